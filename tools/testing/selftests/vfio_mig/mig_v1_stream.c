// SPDX-License-Identifier: GPL-2.0
/*
 * Bad migration streams written to a RESUMING mdma: truncated, corrupted,
 * of another stream version, device type or memory size, chunks larger
 * than the window and data outside it. Each is refused with its own errno
 * at the access that reveals it, and the device recovers by a reset.
 */
#include "kselftest_harness.h"
#include "mig_pair.h"
#include "mig_refused.h"

FIXTURE(bad) {
	struct mig_pair p;
	struct mdma other;
	struct mdma_digest ds;
	uint8_t *before;
};

FIXTURE_VARIANT(bad) {
	const char *type;
	const char *other_type;
};

FIXTURE_VARIANT_ADD(bad, m16) {
	.type = MDMA_TYPE_16M,
	.other_type = MDMA_TYPE_64M,
};

FIXTURE_VARIANT_ADD(bad, m64) {
	.type = MDMA_TYPE_64M,
	.other_type = MDMA_TYPE_16M,
};

/* A populated source saved whole into self->p.s; the destination is open. */
FIXTURE_SETUP(bad)
{
	int ret;

	mdma_init(&self->other);
	if (!mig_pair_create(_metadata, &self->p, variant->type))
		return;
	ret = mig_populate(&self->p.src, 0xbad, 3, &self->p.sbuf);
	ret = ret ?: vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, true);
	ret = ret ?: vfio_mig_v1_open(&self->p.md, &self->p.dst.dev, false);
	ret = ret ?: mig_save_all(&self->p.ms, &self->p.s);
	ret = ret ?: mdma_digest_read(self->p.src.uuid, &self->ds);
	ASSERT_EQ(0, ret) TH_LOG("%s", vfio_errmsg());
	ASSERT_GT(self->p.s.nchunks, 3);
	/* The rewrites below start from a record this file understands. */
	ASSERT_TRUE(vfio_mig_rec_sealed(self->p.s.buf));
}

FIXTURE_TEARDOWN(bad)
{
	mig_pair_destroy(&self->p);
	mdma_destroy(&self->other);
	free(self->before);
}

/*
 * Feed the chunks of @buf (laid out as @s's) with trapped writes until one
 * fails; return its errno and in @at its index (nchunks if none failed).
 */
static int feed(struct vfio_mig_v1 *m, const struct mig_stream *s,
		const uint8_t *buf, unsigned int nchunks, unsigned int *at)
{
	size_t pos = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < nchunks; i++) {
		ret = mig_feed_raw(m, buf + pos, s->chunk[i]);
		if (ret) {
			*at = i;
			return ret;
		}
		pos += s->chunk[i];
	}
	*at = nchunks;
	return 0;
}

/*
 * After a refused stream: a reset makes the destination RUNNING, and the
 * good stream then loads and reproduces the source.
 */
static void recover(struct __test_metadata *_metadata, struct _test_data_bad *self)
{
	struct mdma_digest dd;

	ASSERT_EQ(0, vfio_dev_reset(&self->p.dst.dev));
	ASSERT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->p.md));
	ASSERT_EQ(0, mig_load_all(&self->p.md, &self->p.s))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->p.md));
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&self->ds, &dd));
}

/*
 * After data the device refused without leaving RESUMING: the rest of the
 * good stream, from chunk @from, loads and reproduces the source.
 */
static void load_rest(struct __test_metadata *_metadata,
		      struct _test_data_bad *self, unsigned int from)
{
	struct mdma_digest dd;

	ASSERT_EQ(0, mig_load_range(&self->p.md, &self->p.s, from,
				    self->p.s.nchunks))
		TH_LOG("%s", vfio_errmsg());
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RUNNING);
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &dd));
	EXPECT_STREQ("", mig_digest_diff(&self->ds, &dd));
}

/* The stream ends early: only leaving RESUMING can tell, with ENODATA. */
TEST_F_TIMEOUT(bad, truncated, 300)
{
	struct mig_stream cut = self->p.s;
	unsigned int at;

	/* The last chunk is missing. */
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	EXPECT_EQ(0, feed(&self->p.md, &self->p.s, self->p.s.buf,
			  self->p.s.nchunks - 1, &at));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RESUMING, mig_state(&self->p.md));
	mig_set_err(ENODATA, &self->p.md, VFIO_DEVICE_STATE_V1_RUNNING);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md));
	recover(_metadata, self);

	/* The end record is cut short: the last 7 bytes never come. */
	cut.chunk = malloc(self->p.s.nchunks * sizeof(*cut.chunk));
	ASSERT_NE(NULL, cut.chunk);
	memcpy(cut.chunk, self->p.s.chunk, self->p.s.nchunks * sizeof(*cut.chunk));
	ASSERT_GT(cut.chunk[cut.nchunks - 1], 7);
	cut.chunk[cut.nchunks - 1] -= 7;
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	EXPECT_EQ(0, feed(&self->p.md, &cut, cut.buf, cut.nchunks, &at));
	mig_set_err(ENODATA, &self->p.md, VFIO_DEVICE_STATE_V1_STOP);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md));
	free(cut.chunk);
	recover(_metadata, self);
}

/* One bit flipped in device memory's data: EBADMSG on that chunk. */
TEST_F_TIMEOUT(bad, bit_flip, 300)
{
	uint8_t *copy = malloc(self->p.s.len);
	size_t pos = mig_chunk_pos(&self->p.s, 2) + 5000;
	unsigned int at;

	ASSERT_NE(NULL, copy);
	memcpy(copy, self->p.s.buf, self->p.s.len);
	copy[pos] ^= 0x08;
	mig_fill_before(_metadata, &self->p.dst, &self->before);
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	EXPECT_EQ(-EBADMSG, feed(&self->p.md, &self->p.s, copy, self->p.s.nchunks,
				 &at));
	EXPECT_EQ(2, at);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md));
	/* Refused for good: the next good chunk and leaving fail too. */
	EXPECT_EQ(-EINVAL, mig_feed_raw(&self->p.md, self->p.s.buf +
				  mig_chunk_pos(&self->p.s, 3),
				  self->p.s.chunk[3]));
	mig_set_err(EINVAL, &self->p.md, VFIO_DEVICE_STATE_V1_RUNNING);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md));
	mig_expect_refused(_metadata, &self->p.dst, self->before,
			   self->p.s.buf, self->p.s.len, pos);
	free(copy);
	recover(_metadata, self);
}

/* The first chunk with its stream header rewritten, checksum made right. */
static uint8_t *rewrite_header(const struct mig_stream *s, size_t off,
			       const void *val, size_t len)
{
	uint8_t *copy = malloc(s->len);

	if (!copy)
		return NULL;
	memcpy(copy, s->buf, s->len);
	memcpy(copy + STREAM_REC_LEN + off, val, len);
	vfio_mig_rec_seal(copy);
	return copy;
}

/*
 * Feed @data, laid out in @layout's chunks, to the resuming destination:
 * it is refused with @err (at the first chunk, the header, when @at0),
 * the device is in the error state with its memory untouched, and a
 * reset brings it back to load the good stream.
 */
static void refused(struct __test_metadata *_metadata,
		    struct _test_data_bad *self, const struct mig_stream *layout,
		    const uint8_t *data, int err, bool at0)
{
	unsigned int at;

	mig_fill_before(_metadata, &self->p.dst, &self->before);
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	EXPECT_EQ(err, feed(&self->p.md, layout, data, layout->nchunks, &at));
	if (at0)
		EXPECT_EQ(0, at);
	EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&self->p.md));
	mig_expect_refused(_metadata, &self->p.dst, self->before,
			   self->p.s.buf, self->p.s.len, 0);
	recover(_metadata, self);
}

TEST_F_TIMEOUT(bad, wrong_version, 300)
{
	uint32_t version = 2;
	uint8_t *copy;

	copy = rewrite_header(&self->p.s, STREAM_HDR_VERSION, &version,
			      sizeof(version));
	ASSERT_NE(NULL, copy);
	ASSERT_TRUE(vfio_mig_rec_sealed(copy));
	refused(_metadata, self, &self->p.s, copy, -EPROTONOSUPPORT, true);
	free(copy);
}

/* A stream of the other type (16m into 64m, 64m into 16m): EINVAL. */
TEST_F_TIMEOUT(bad, wrong_device_type, 300)
{
	struct vfio_mig_v1 mo;
	struct mig_stream os = { 0 };

	if (mdma_unavailable(variant->other_type))
		SKIP(return, "%s", mdma_unavailable(variant->other_type));
	ASSERT_EQ(0, mdma_create(&self->other, variant->other_type))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&mo, &self->other.dev, true));
	ASSERT_EQ(0, mig_save_all(&mo, &os)) TH_LOG("%s", vfio_errmsg());
	vfio_mig_v1_close(&mo);
	refused(_metadata, self, &os, os.buf, -EINVAL, true);
	mig_stream_free(&os);
}

/* The right type name with another memory size: EINVAL. */
TEST_F_TIMEOUT(bad, wrong_memory_size, 300)
{
	uint64_t size, want = self->p.dst.mem_size;
	uint8_t *copy;

	/* mdma's memory is its second section. */
	memcpy(&size, self->p.s.buf + STREAM_REC_LEN + STREAM_HDR_SECTION(1) +
	       STREAM_SEC_SIZE, sizeof(size));
	ASSERT_EQ(want, size);
	size = want * 2;
	copy = rewrite_header(&self->p.s, STREAM_HDR_SECTION(1) + STREAM_SEC_SIZE,
			      &size, sizeof(size));
	ASSERT_NE(NULL, copy);
	refused(_metadata, self, &self->p.s, copy, -EINVAL, true);
	free(copy);

	size = want - 4096;
	copy = rewrite_header(&self->p.s, STREAM_HDR_SECTION(1) + STREAM_SEC_SIZE,
			      &size, sizeof(size));
	ASSERT_NE(NULL, copy);
	refused(_metadata, self, &self->p.s, copy, -EINVAL, false);
	free(copy);
}

/*
 * data_size larger than the window: EINVAL, nothing consumed, the device
 * still RESUMING; the rest of a good stream then loads.
 */
TEST_F_TIMEOUT(bad, oversized_data_size, 300)
{
	uint64_t sizes[] = { self->p.md.data_size + 1, self->p.md.data_size * 2,
			     1ULL << 63, ~0ULL };
	unsigned int i;

	ASSERT_NE(0, self->p.md.data_size);
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	ASSERT_EQ(0, mig_load_range(&self->p.md, &self->p.s, 0, 1));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, MIG_HDR(data_size), &sizes[i],
					  sizeof(sizes[i])))
			TH_LOG("data_size %llu", (unsigned long long)sizes[i]);
		EXPECT_EQ(VFIO_DEVICE_STATE_V1_RESUMING, mig_state(&self->p.md));
	}
	load_rest(_metadata, self, 1);
	recover(_metadata, self);
}

/*
 * Data written outside the window (across its end, past the region, into
 * the gap after the header): EINVAL, still RESUMING, the load goes on.
 */
TEST_F_TIMEOUT(bad, data_outside_window, 300)
{
	uint64_t off = self->p.md.data_offset, size = self->p.md.data_size;
	uint8_t junk[64];

	memset(junk, 0x77, sizeof(junk));
	mig_set(&self->p.md, VFIO_DEVICE_STATE_V1_RESUMING);
	ASSERT_EQ(0, mig_load_range(&self->p.md, &self->p.s, 0, 2));
	EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, off + size - 8, junk, 16));
	EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, off + size, junk, 8));
	EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, self->p.md.region.size, junk, 8));
	EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, off - 64, junk, 64));
	EXPECT_EQ(-EINVAL, mig_wr(&self->p.md, 32, junk, 64));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RESUMING, mig_state(&self->p.md));
	load_rest(_metadata, self, 2);
	recover(_metadata, self);
}

TEST_HARNESS_MAIN
