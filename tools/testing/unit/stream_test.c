// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of the migration stream encoder and decoder.
 */
#include <stdlib.h>
#include "../../../drivers/vfio/mig/stream.h"
#include "kselftest_harness.h"

#define CFG_ID		1
#define CFG_SIZE	200
#define MEM_ID		2
#define MEM_SIZE	BIT(20)		/* 256 chunks */
#define REC		sizeof(struct vfio_mig_rec)

static const struct vfio_mig_desc desc = {
	.device_type = "test-1m",
	.nr_sections = 2,
	.sections = {
		{ CFG_ID, VFIO_MIG_SECTION_ONCE, CFG_SIZE },
		{ MEM_ID, VFIO_MIG_SECTION_ITERATIVE, MEM_SIZE },
	},
};

/* A stream under construction, and a record index to find records by. */
struct stream {
	u8 *buf;
	size_t len, cap;
	size_t rec_at[1024];
	int nr;
	struct vfio_mig_enc enc;
};

/* What the decoder delivered. */
struct target {
	u8 mem[MEM_SIZE];
	u8 cfg[CFG_SIZE];
	u32 cfg_len;
	int calls;
	int fail_at;
};

static u8 src_mem[MEM_SIZE];
static u8 src_cfg[CFG_SIZE];

static void *room(struct stream *s, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	s->rec_at[s->nr++] = s->len;
	return s->buf + s->len;
}

static void put_header(struct stream *s, const struct vfio_mig_desc *d)
{
	void *p = room(s, vfio_mig_enc_header_len());

	s->len += vfio_mig_enc_header(&s->enc, d, p, vfio_mig_enc_header_len());
}

static void put_data(struct stream *s, u32 id, u64 off, const void *src,
		     u32 len)
{
	u8 *p = room(s, REC + len);

	memcpy(p + REC, src, len);
	s->len += vfio_mig_enc_data(&s->enc, id, off, p, REC + len, len);
}

static void put_end(struct stream *s)
{
	void *p = room(s, REC + sizeof(struct vfio_mig_stream_end));

	s->len += vfio_mig_enc_end(&s->enc, p,
				   REC + sizeof(struct vfio_mig_stream_end));
}

/* Memory in records of 16 chunks, then config, then the end record. */
static void build(struct stream *s, const struct vfio_mig_desc *d)
{
	u32 off, step = 16 * VFIO_MIG_CHUNK_SIZE;

	memset(s, 0, sizeof(*s));
	vfio_mig_enc_init(&s->enc);
	put_header(s, d);
	for (off = 0; off < MEM_SIZE; off += step)
		put_data(s, MEM_ID, off, src_mem + off, step);
	put_data(s, CFG_ID, 0, src_cfg, 123);
	put_end(s);
}

static struct vfio_mig_rec *rec_of(struct stream *s, int i)
{
	return (struct vfio_mig_rec *)(s->buf + s->rec_at[i]);
}

/* Recompute a record's checksum after a test changed it on purpose. */
static void reseal(struct vfio_mig_rec *rec)
{
	vfio_mig_rec_seal(rec);
	if (!vfio_mig_rec_sealed(rec))
		abort();
}

static int sink_data(void *priv, u32 id, u64 off, const void *p, u32 len)
{
	struct target *t = priv;

	if (++t->calls == t->fail_at)
		return -EIO;
	if (id == MEM_ID) {
		if (off + len > MEM_SIZE)
			abort();
		memcpy(t->mem + off, p, len);
	} else {
		if (len > CFG_SIZE)
			abort();
		memcpy(t->cfg, p, len);
		t->cfg_len = len;
	}
	return 0;
}

struct decoded {
	int feed, finish;
	enum vfio_mig_dec_reason reason;
};

/*
 * How the fixture's tests feed the decoder: vfio_mig_dec_feed(), which
 * copies every payload before its check (the v1 window), or
 * vfio_mig_dec_feed_stable(), which checks a whole payload in place (a
 * channel's private buffer). Every stream test runs both ways.
 */
static bool feed_stable;

static int feed(struct vfio_mig_dec *dec, const void *buf, size_t len,
		const struct vfio_mig_dec_sink *sink)
{
	if (feed_stable)
		return vfio_mig_dec_feed_stable(dec, buf, len, sink);
	return vfio_mig_dec_feed(dec, buf, len, sink);
}

/* Decode @len bytes of @buf in pieces of @piece bytes, for device @d. */
static struct decoded decode_for(const struct vfio_mig_desc *d,
				 struct target *t, const u8 *buf, size_t len,
				 size_t piece)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[64];
	struct vfio_mig_dec_sink sink = { sink_data, t };
	struct vfio_mig_dec dec;
	struct decoded r = { 0 };
	size_t off, n;

	if (vfio_mig_dec_coverage_longs(d) > ARRAY_SIZE(cov))
		abort();
	vfio_mig_dec_init(&dec, d, stage, cov);
	for (off = 0; off < len && !r.feed; off += n) {
		n = len - off < piece ? len - off : piece;
		r.feed = feed(&dec, buf + off, n, &sink);
	}
	r.finish = vfio_mig_dec_finish(&dec);
	r.reason = dec.reason;
	return r;
}

static struct decoded decode(struct target *t, const u8 *buf, size_t len,
			     size_t piece)
{
	return decode_for(&desc, t, buf, len, piece);
}

FIXTURE(stream) {
	struct stream s;
	struct target *t;
};

FIXTURE_VARIANT(stream) {
	bool stable;
};

FIXTURE_VARIANT_ADD(stream, copied) {
	.stable = false,
};

FIXTURE_VARIANT_ADD(stream, stable) {
	.stable = true,
};

FIXTURE_SETUP(stream)
{
	size_t i;

	feed_stable = variant->stable;
	srand(7);
	for (i = 0; i < MEM_SIZE; i++)
		src_mem[i] = rand();
	for (i = 0; i < CFG_SIZE; i++)
		src_cfg[i] = rand();
	build(&self->s, &desc);
	self->t = calloc(1, sizeof(*self->t));
}

FIXTURE_TEARDOWN(stream)
{
	free(self->s.buf);
	free(self->t);
}

TEST_F(stream, round_trip_any_split)
{
	static const size_t pieces[] = { 1, 7, 31, 32, 33, 4096, 65536 + 32,
					 100000, 1 << 30 };
	struct decoded r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, self->s.buf, self->s.len, pieces[i]);
		EXPECT_EQ(0, r.feed);
		EXPECT_EQ(0, r.finish) TH_LOG("piece %zu", pieces[i]);
		EXPECT_EQ(0, memcmp(self->t->mem, src_mem, MEM_SIZE));
		EXPECT_EQ(123, self->t->cfg_len);
		EXPECT_EQ(0, memcmp(self->t->cfg, src_cfg, 123));
	}
}

TEST_F(stream, any_flipped_bit_is_refused_before_use)
{
	struct decoded r;
	size_t bit, nbits = self->s.len * 8;
	int calls;

	/* A spread of single-bit flips over the whole stream. */
	for (bit = 0; bit < nbits; bit += 997) {
		self->s.buf[bit / 8] ^= 1 << (bit % 8);
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, self->s.buf, self->s.len, 4000);
		self->s.buf[bit / 8] ^= 1 << (bit % 8);
		EXPECT_NE(0, r.finish) TH_LOG("bit %zu accepted", bit);
		/* No record at or after the damaged one reached the device. */
		calls = self->t->calls;
		EXPECT_LE(calls, (int)(bit / 8 / (REC + 65536)) + 1);
	}
}

/* The record of @s that holds byte @at. */
static int rec_holding(const struct stream *s, size_t at)
{
	int i = s->nr - 1;

	while (i > 0 && s->rec_at[i] > at)
		i--;
	return i;
}

/*
 * The staged path, as the kernel's v2 data fd and management channel feed
 * it: pieces smaller than a record, so each record is put together in the
 * stage before its check. With one bit flipped in record k, the sink gets
 * exactly the k - 1 DATA records before it, each with its own bytes, and
 * nothing of record k or after. Every byte of each record's header and a
 * spread of payload bytes, over five piece sizes.
 */
TEST_F(stream, damaged_record_never_reaches_the_sink_in_pieces)
{
	static const size_t pieces[] = { 1, 7, REC, 4000, 65536 + 31 };
	static u8 want_mem[MEM_SIZE];
	size_t at, n = 0, delivered;
	struct decoded r;
	int k;

	for (at = 0; at < self->s.len; at++) {
		k = rec_holding(&self->s, at);
		if (at - self->s.rec_at[k] >= REC && at % 4093)
			continue;
		self->s.buf[at] ^= 1 << (at % 8);
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, self->s.buf, self->s.len,
			   pieces[n++ % ARRAY_SIZE(pieces)]);
		self->s.buf[at] ^= 1 << (at % 8);
		ASSERT_NE(0, r.feed ?: r.finish) TH_LOG("byte %zu taken", at);
		/* Records 1 .. k - 1 are memory, then config at 17. */
		delivered = k ? k - 1 : 0;
		ASSERT_EQ((int)delivered, self->t->calls)
			TH_LOG("byte %zu of record %d", at, k);
		memset(want_mem, 0, sizeof(want_mem));
		memcpy(want_mem, src_mem, (delivered < 16 ? delivered : 16) *
		       16 * VFIO_MIG_CHUNK_SIZE);
		ASSERT_EQ(0, memcmp(want_mem, self->t->mem, MEM_SIZE))
			TH_LOG("byte %zu of record %d", at, k);
		ASSERT_EQ(delivered > 16 ? 123 : 0, self->t->cfg_len);
	}
	EXPECT_GT(n, 19 * REC);
}

TEST_F(stream, payload_bit_flip_is_a_checksum_error)
{
	struct decoded r;

	self->s.buf[self->s.rec_at[3] + REC + 10] ^= 0x20;
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_CSUM, r.reason);
	EXPECT_EQ(2, self->t->calls);
}

TEST_F(stream, wrong_version)
{
	struct vfio_mig_stream_hdr *h = (void *)(rec_of(&self->s, 0) + 1);
	struct decoded r;

	h->version = cpu_to_le32(2);
	reseal(rec_of(&self->s, 0));
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EPROTONOSUPPORT, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_VERSION, r.reason);
	EXPECT_EQ(0, self->t->calls);
}

TEST_F(stream, wrong_magic)
{
	struct vfio_mig_stream_hdr *h = (void *)(rec_of(&self->s, 0) + 1);
	struct decoded r;

	h->magic ^= 1;
	reseal(rec_of(&self->s, 0));
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_MAGIC, r.reason);
}

TEST_F(stream, wrong_device_type)
{
	struct vfio_mig_stream_hdr *h = (void *)(rec_of(&self->s, 0) + 1);
	struct decoded r;

	memcpy(h->device_type, "test-4m", 7);
	reseal(rec_of(&self->s, 0));
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EINVAL, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_TYPE, r.reason);
	EXPECT_EQ(0, self->t->calls);
}

TEST_F(stream, wrong_memory_size)
{
	struct vfio_mig_stream_hdr *h = (void *)(rec_of(&self->s, 0) + 1);
	struct decoded r;

	h->sections[1].size = cpu_to_le64(2 * MEM_SIZE);
	reseal(rec_of(&self->s, 0));
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EINVAL, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_GEOMETRY, r.reason);
}

TEST_F(stream, truncated_anywhere)
{
	struct decoded r;
	size_t cut;

	for (cut = 0; cut < self->s.len; cut += 4093) {
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, self->s.buf, cut, 1000);
		EXPECT_EQ(0, r.feed);
		EXPECT_EQ(-ENODATA, r.finish) TH_LOG("cut at %zu", cut);
		EXPECT_EQ(VFIO_MIG_DEC_TRUNCATED, r.reason);
	}
	r = decode(self->t, self->s.buf, self->s.len - 1, 1000);
	EXPECT_EQ(-ENODATA, r.finish);
}

TEST_F(stream, missing_chunk_is_incomplete)
{
	struct stream s2 = { 0 };
	struct decoded r;
	u32 off;

	/* Memory without its last 16 chunks, otherwise well formed. */
	vfio_mig_enc_init(&s2.enc);
	put_header(&s2, &desc);
	for (off = 0; off < MEM_SIZE - 65536; off += 65536)
		put_data(&s2, MEM_ID, off, src_mem + off, 65536);
	put_data(&s2, CFG_ID, 0, src_cfg, 10);
	put_end(&s2);
	r = decode(self->t, s2.buf, s2.len, 1 << 30);
	EXPECT_EQ(0, r.feed);
	EXPECT_EQ(-ENODATA, r.finish);
	EXPECT_EQ(VFIO_MIG_DEC_INCOMPLETE, r.reason);
	free(s2.buf);
}

TEST_F(stream, missing_config_is_incomplete)
{
	struct stream s2 = { 0 };
	struct decoded r;
	u32 off;

	vfio_mig_enc_init(&s2.enc);
	put_header(&s2, &desc);
	for (off = 0; off < MEM_SIZE; off += 65536)
		put_data(&s2, MEM_ID, off, src_mem + off, 65536);
	put_end(&s2);
	r = decode(self->t, s2.buf, s2.len, 1 << 30);
	EXPECT_EQ(-ENODATA, r.finish);
	EXPECT_EQ(VFIO_MIG_DEC_INCOMPLETE, r.reason);
	free(s2.buf);
}

TEST_F(stream, records_out_of_bounds)
{
	static const struct { u32 id; u64 off; u32 len; } bad[] = {
		{ MEM_ID, MEM_SIZE - 4096, 8192 },	/* past the end */
		{ MEM_ID, ~0ULL - 4095, 8192 },		/* wraps around */
		{ MEM_ID, 100, 4096 },			/* not chunk aligned */
		{ MEM_ID, 0, 100 },			/* partial chunk */
		{ CFG_ID, 8, 10 },			/* config not at 0 */
		{ CFG_ID, 0, CFG_SIZE + 1 },		/* config too big */
		{ 9, 0, 4096 },				/* unknown section */
	};
	static u8 zero[8192];
	struct stream s2;
	struct decoded r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&s2, 0, sizeof(s2));
		vfio_mig_enc_init(&s2.enc);
		put_header(&s2, &desc);
		put_data(&s2, bad[i].id, bad[i].off, zero, bad[i].len);
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, s2.buf, s2.len, 1 << 30);
		EXPECT_EQ(-EINVAL, r.feed) TH_LOG("case %zu", i);
		EXPECT_EQ(VFIO_MIG_DEC_BAD_BOUNDS, r.reason);
		EXPECT_EQ(0, self->t->calls);
		free(s2.buf);
	}
}

TEST_F(stream, oversized_record_length)
{
	struct vfio_mig_rec *rec = rec_of(&self->s, 1);
	struct decoded r;

	rec->len = cpu_to_le32(VFIO_MIG_MAX_PAYLOAD + 1);
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_RECORD, r.reason);
}

TEST_F(stream, reordered_records)
{
	size_t a = self->s.rec_at[1], b = self->s.rec_at[2];
	size_t n = b - a;
	u8 *tmp = malloc(n);
	struct decoded r;

	/* Swap two equally long records. */
	memcpy(tmp, self->s.buf + a, n);
	memcpy(self->s.buf + a, self->s.buf + b, n);
	memcpy(self->s.buf + b, tmp, n);
	free(tmp);
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_BAD_SEQ, r.reason);
}

TEST_F(stream, duplicate_config)
{
	struct stream s2 = { 0 };
	struct decoded r;

	vfio_mig_enc_init(&s2.enc);
	put_header(&s2, &desc);
	put_data(&s2, CFG_ID, 0, src_cfg, 10);
	put_data(&s2, CFG_ID, 0, src_cfg, 10);
	r = decode(self->t, s2.buf, s2.len, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_DUPLICATE, r.reason);
	EXPECT_EQ(1, self->t->calls);
	free(s2.buf);
}

TEST_F(stream, trailing_bytes)
{
	struct decoded r;
	u8 *buf = malloc(self->s.len + 1);

	memcpy(buf, self->s.buf, self->s.len);
	buf[self->s.len] = 0;
	r = decode(self->t, buf, self->s.len + 1, 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(VFIO_MIG_DEC_TRAILING, r.reason);
	free(buf);
}

TEST_F(stream, data_before_header)
{
	struct decoded r;

	r = decode(self->t, self->s.buf + self->s.rec_at[1],
		   self->s.len - self->s.rec_at[1], 1 << 30);
	EXPECT_EQ(-EBADMSG, r.feed);
	EXPECT_EQ(0, self->t->calls);
}

/*
 * Guards the header-first rule itself: a DATA record numbered 0 has the
 * sequence number the decoder expects, so only the check that a stream
 * starts with its HEADER can refuse it, before the sink gets anything.
 */
TEST_F(stream, seq0_data_first)
{
	static const struct { u32 id; u32 len; } first[] = {
		{ CFG_ID, 10 },
		{ MEM_ID, VFIO_MIG_CHUNK_SIZE },
	};
	struct stream s2;
	struct decoded r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(first); i++) {
		memset(&s2, 0, sizeof(s2));
		vfio_mig_enc_init(&s2.enc);
		put_data(&s2, first[i].id, 0,
			 first[i].id == MEM_ID ? src_mem : src_cfg,
			 first[i].len);
		put_data(&s2, MEM_ID, VFIO_MIG_CHUNK_SIZE,
			 src_mem + VFIO_MIG_CHUNK_SIZE, VFIO_MIG_CHUNK_SIZE);
		put_end(&s2);
		EXPECT_EQ(0, le32_to_cpu(rec_of(&s2, 0)->seq));
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, s2.buf, s2.len, 1 << 30);
		EXPECT_EQ(-EBADMSG, r.feed) TH_LOG("case %zu", i);
		EXPECT_EQ(VFIO_MIG_DEC_BAD_RECORD, r.reason);
		EXPECT_EQ(0, self->t->calls);
		free(s2.buf);
	}
}

/*
 * Guards against a stream redefining the device halfway: a HEADER record
 * after the first one is refused even with the right sequence number and
 * checksum, and even when it describes the same device.
 */
TEST_F(stream, second_header_refused)
{
	size_t hlen = vfio_mig_enc_header_len();
	struct vfio_mig_rec rec;
	struct stream s2;
	struct decoded r;
	u32 off, before;
	u8 *p;

	/* The repeated header right after the first, then after the config. */
	for (before = 0; before < 2; before++) {
		memset(&s2, 0, sizeof(s2));
		vfio_mig_enc_init(&s2.enc);
		put_header(&s2, &desc);
		if (before)
			put_data(&s2, CFG_ID, 0, src_cfg, 10);
		/* A copy of the first, renumbered; records are packed. */
		p = room(&s2, hlen);
		memcpy(p, s2.buf, hlen);
		memcpy(&rec, p, REC);
		rec.seq = cpu_to_le32(s2.enc.seq++);
		memcpy(p, &rec, REC);
		reseal((struct vfio_mig_rec *)p);
		s2.len += hlen;
		for (off = 0; off < MEM_SIZE; off += 65536)
			put_data(&s2, MEM_ID, off, src_mem + off, 65536);
		if (!before)
			put_data(&s2, CFG_ID, 0, src_cfg, 10);
		put_end(&s2);

		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, s2.buf, s2.len, 1 << 30);
		EXPECT_EQ(-EBADMSG, r.feed) TH_LOG("after %u records", before);
		EXPECT_EQ(-EBADMSG, r.finish);
		EXPECT_EQ(VFIO_MIG_DEC_BAD_RECORD, r.reason);
		EXPECT_EQ((int)before, self->t->calls);
		free(s2.buf);
	}
}

/*
 * Guards the END record's totals: a record count or a payload byte count
 * that differs from what the stream carried is refused, each on its own
 * and with a valid checksum, after every DATA record was delivered.
 */
TEST_F(stream, end_with_wrong_totals)
{
	struct vfio_mig_rec *rec = rec_of(&self->s, self->s.nr - 1);
	struct vfio_mig_stream_end good, bad;
	struct vfio_mig_rec hdr;
	struct decoded r;
	int i;

	/* Records are packed: this one is misaligned, so copy it out. */
	memcpy(&hdr, rec, REC);
	ASSERT_EQ(VFIO_MIG_REC_END, le16_to_cpu(hdr.type));
	memcpy(&good, rec + 1, sizeof(good));
	for (i = 0; i < 4; i++) {
		bad = good;
		if (i < 2)
			bad.records = cpu_to_le64(le64_to_cpu(good.records) +
						  (i ? -1 : 1));
		else
			bad.payload_bytes =
				cpu_to_le64(le64_to_cpu(good.payload_bytes) +
					    (i == 3 ? -1 : 1));
		memcpy(rec + 1, &bad, sizeof(bad));
		reseal(rec);
		memset(self->t, 0, sizeof(*self->t));
		r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
		EXPECT_EQ(-EBADMSG, r.feed) TH_LOG("case %d", i);
		EXPECT_EQ(-EBADMSG, r.finish);
		EXPECT_EQ(VFIO_MIG_DEC_BAD_RECORD, r.reason);
		EXPECT_EQ(self->s.nr - 2, self->t->calls);
	}
	memcpy(rec + 1, &good, sizeof(good));
	reseal(rec);
}

TEST_F(stream, sink_error_stops_the_stream)
{
	struct decoded r;

	self->t->fail_at = 3;
	r = decode(self->t, self->s.buf, self->s.len, 1 << 30);
	EXPECT_EQ(-EIO, r.feed);
	EXPECT_EQ(-EIO, r.finish);
	EXPECT_EQ(VFIO_MIG_DEC_SINK, r.reason);
	EXPECT_EQ(3, self->t->calls);
}

/* The user-space xxh64 must be the kernel's: known answers of xxHash64. */
TEST(xxh64_known_answers)
{
	static const char text[] = "Nobody inspects the spammish repetition";

	EXPECT_EQ(0xef46db3751d8e999ULL, xxh64("", 0, 0));
	EXPECT_EQ(0x44bc2cf5ad770999ULL, xxh64("abc", 3, 0));
	EXPECT_EQ(0xfbcea83c8a378bf1ULL, xxh64(text, sizeof(text) - 1, 0));
}

/*
 * A reference xxh64, written from the xxHash specification for the
 * known-answer test below and sharing nothing with the one the codec
 * links: the codec's checksums are checked against it, not against
 * themselves.
 */
#define KAT_P1	0x9e3779b185ebca87ULL
#define KAT_P2	0xc2b2ae3d27d4eb4fULL
#define KAT_P3	0x165667b19e3779f9ULL
#define KAT_P4	0x85ebca77c2b2ae63ULL
#define KAT_P5	0x27d4eb2f165667c5ULL

static u64 kat_rotl(u64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Little-endian loads, byte by byte. */
static u64 kat_le(const u8 *p, int bytes)
{
	u64 v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static u64 kat_round(u64 acc, u64 lane)
{
	return kat_rotl(acc + lane * KAT_P2, 31) * KAT_P1;
}

static u64 kat_xxh64(const u8 *p, size_t len, u64 seed)
{
	const u8 *end = p + len;
	u64 v1, v2, v3, v4, h;

	if (len >= 32) {
		v1 = seed + KAT_P1 + KAT_P2;
		v2 = seed + KAT_P2;
		v3 = seed;
		v4 = seed - KAT_P1;
		for (; end - p >= 32; p += 32) {
			v1 = kat_round(v1, kat_le(p, 8));
			v2 = kat_round(v2, kat_le(p + 8, 8));
			v3 = kat_round(v3, kat_le(p + 16, 8));
			v4 = kat_round(v4, kat_le(p + 24, 8));
		}
		h = kat_rotl(v1, 1) + kat_rotl(v2, 7) + kat_rotl(v3, 12) +
		    kat_rotl(v4, 18);
		h = (h ^ kat_round(0, v1)) * KAT_P1 + KAT_P4;
		h = (h ^ kat_round(0, v2)) * KAT_P1 + KAT_P4;
		h = (h ^ kat_round(0, v3)) * KAT_P1 + KAT_P4;
		h = (h ^ kat_round(0, v4)) * KAT_P1 + KAT_P4;
	} else {
		h = seed + KAT_P5;
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = kat_rotl(h ^ kat_round(0, kat_le(p, 8)), 27) * KAT_P1 +
		    KAT_P4;
	if (end - p >= 4) {
		h = kat_rotl(h ^ (kat_le(p, 4) * KAT_P1), 23) * KAT_P2 + KAT_P3;
		p += 4;
	}
	for (; p < end; p++)
		h = kat_rotl(h ^ (*p * KAT_P5), 11) * KAT_P1;
	h ^= h >> 33;
	h *= KAT_P2;
	h ^= h >> 29;
	h *= KAT_P3;
	h ^= h >> 32;
	return h;
}

/* The reference must give the published xxHash64 answers. */
TEST(kat_xxh64_reference)
{
	static const char text[] = "Nobody inspects the spammish repetition";
	static u8 long_in[100];
	size_t i;

	EXPECT_EQ(0xef46db3751d8e999ULL, kat_xxh64((const u8 *)"", 0, 0));
	EXPECT_EQ(0xd24ec4f1a98c6e5bULL, kat_xxh64((const u8 *)"a", 1, 0));
	EXPECT_EQ(0x44bc2cf5ad770999ULL, kat_xxh64((const u8 *)"abc", 3, 0));
	EXPECT_EQ(0xfbcea83c8a378bf1ULL,
		  kat_xxh64((const u8 *)text, sizeof(text) - 1, 0));
	/* Every tail length and the 32-byte stripes agree with the codec's. */
	for (i = 0; i < sizeof(long_in); i++)
		long_in[i] = i * 13 + 5;
	for (i = 0; i <= sizeof(long_in); i++)
		EXPECT_EQ(xxh64(long_in, i, 0x1234), kat_xxh64(long_in, i, 0x1234))
			TH_LOG("length %zu", i);
}

/*
 * The known-answer stream: a 2-section device "kat-dev" (section 1: ONCE,
 * 6 bytes; section 2: ITERATIVE, one 4 KiB chunk), written down from
 * Documentation/vfio-mig/stream-format.rst field by field. The checksums
 * were computed from the specification of xxh64, independently of the
 * codec, and kat_checksums checks them against kat_xxh64().
 */
#define KAT_CFG_LEN	6
#define KAT_MEM_LEN	4096
#define KAT_LEN		(REC + 176 + REC + KAT_CFG_LEN + REC + KAT_MEM_LEN + \
			 REC + 16)

static const struct vfio_mig_desc kat_desc = {
	.device_type = "kat-dev",
	.nr_sections = 2,
	.sections = {
		{ CFG_ID, VFIO_MIG_SECTION_ONCE, KAT_CFG_LEN },
		{ MEM_ID, VFIO_MIG_SECTION_ITERATIVE, KAT_MEM_LEN },
	},
};

static const u8 kat_header[REC + 176] = {
	/* record: magic "MVR1", type 1 (HEADER), section 0 */
	0x4d, 0x56, 0x52, 0x31, 0x01, 0x00, 0x00, 0x00,
	/* offset 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* len 176, seq 0 */
	0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* csum 0xaa1279c7d72870f9 */
	0xf9, 0x70, 0x28, 0xd7, 0xc7, 0x79, 0x12, 0xaa,
	/* payload: magic "VFIOMIG\0" */
	0x56, 0x46, 0x49, 0x4f, 0x4d, 0x49, 0x47, 0x00,
	/* version 1, nr_sections 2 */
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* device_type "kat-dev", NUL-padded to 32 bytes */
	0x6b, 0x61, 0x74, 0x2d, 0x64, 0x65, 0x76, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* section 0: id 1, kind 1 (ONCE), size 6 */
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* section 1: id 2, kind 2 (ITERATIVE), size 4096 */
	0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* sections 2..7 unused: the remaining 96 bytes are zero */
};

static const u8 kat_cfg[REC + KAT_CFG_LEN] = {
	/* record: magic "MVR1", type 2 (DATA), section 1 */
	0x4d, 0x56, 0x52, 0x31, 0x02, 0x00, 0x01, 0x00,
	/* offset 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* len 6, seq 1 */
	0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* csum 0x32d901b748faf680 */
	0x80, 0xf6, 0xfa, 0x48, 0xb7, 0x01, 0xd9, 0x32,
	/* payload: the whole ONCE section */
	0xc0, 0xff, 0xee, 0x01, 0x02, 0x03,
};

/* Its payload, 4096 bytes, follows: byte i is (i * 7 + 3) & 0xff. */
static const u8 kat_mem[REC] = {
	/* record: magic "MVR1", type 2 (DATA), section 2 */
	0x4d, 0x56, 0x52, 0x31, 0x02, 0x00, 0x02, 0x00,
	/* offset 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* len 4096, seq 2 */
	0x00, 0x10, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* csum 0x1c92695ff8168756 */
	0x56, 0x87, 0x16, 0xf8, 0x5f, 0x69, 0x92, 0x1c,
};

static const u8 kat_end[REC + 16] = {
	/* record: magic "MVR1", type 3 (END), section 0 */
	0x4d, 0x56, 0x52, 0x31, 0x03, 0x00, 0x00, 0x00,
	/* offset 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* len 16, seq 3 */
	0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	/* csum 0x3707ed6213a808d3 */
	0xd3, 0x08, 0xa8, 0x13, 0x62, 0xed, 0x07, 0x37,
	/* payload: 3 records before this one */
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 4102 DATA payload bytes */
	0x06, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static u8 kat_mem_payload[KAT_MEM_LEN];

/* Lay the written-down records back to back in @buf (KAT_LEN bytes). */
static void kat_stream(u8 *buf)
{
	size_t at = 0, i;

	for (i = 0; i < KAT_MEM_LEN; i++)
		kat_mem_payload[i] = (i * 7 + 3) & 0xff;
	memcpy(buf + at, kat_header, sizeof(kat_header));
	at += sizeof(kat_header);
	memcpy(buf + at, kat_cfg, sizeof(kat_cfg));
	at += sizeof(kat_cfg);
	memcpy(buf + at, kat_mem, sizeof(kat_mem));
	at += sizeof(kat_mem);
	memcpy(buf + at, kat_mem_payload, KAT_MEM_LEN);
	at += KAT_MEM_LEN;
	memcpy(buf + at, kat_end, sizeof(kat_end));
	at += sizeof(kat_end);
	if (at != KAT_LEN)
		abort();
}

/* The written-down checksums are what the specification says. */
TEST(kat_checksums)
{
	static u8 buf[KAT_LEN];
	u8 head[REC];
	size_t at, len;
	int nr = 0;

	kat_stream(buf);
	for (at = 0; at < KAT_LEN; at += REC + len, nr++) {
		len = kat_le(buf + at + 16, 4);
		ASSERT_LE(at + REC + len, KAT_LEN);
		memcpy(head, buf + at, REC);
		memset(head + 24, 0, 8);
		EXPECT_EQ(kat_le(buf + at + 24, 8),
			  kat_xxh64(buf + at + REC, len,
				    kat_xxh64(head, REC, 0)))
			TH_LOG("record %d", nr);
	}
	EXPECT_EQ(4, nr);
}

/*
 * Guards the wire format against the spec, which round trips cannot do:
 * an encoder and a decoder that agree on a wrong layout or checksum pass
 * every other test. The decoder must take the written-down stream, and
 * the encoder must produce exactly those bytes.
 */
TEST_F(stream, known_answer_stream)
{
	static const size_t pieces[] = { 1, 33, 1 << 30 };
	static u8 buf[KAT_LEN];
	struct stream s2;
	struct decoded r;
	size_t i;

	kat_stream(buf);
	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		memset(self->t, 0, sizeof(*self->t));
		r = decode_for(&kat_desc, self->t, buf, KAT_LEN, pieces[i]);
		EXPECT_EQ(0, r.feed) TH_LOG("piece %zu: %s", pieces[i],
					    vfio_mig_dec_reason_str(r.reason));
		EXPECT_EQ(0, r.finish);
		EXPECT_EQ(2, self->t->calls);
		EXPECT_EQ(KAT_CFG_LEN, self->t->cfg_len);
		EXPECT_EQ(0, memcmp(self->t->cfg, kat_cfg + REC, KAT_CFG_LEN));
		EXPECT_EQ(0, memcmp(self->t->mem, kat_mem_payload,
				    KAT_MEM_LEN));
	}

	memset(&s2, 0, sizeof(s2));
	vfio_mig_enc_init(&s2.enc);
	put_header(&s2, &kat_desc);
	put_data(&s2, CFG_ID, 0, kat_cfg + REC, KAT_CFG_LEN);
	put_data(&s2, MEM_ID, 0, kat_mem_payload, KAT_MEM_LEN);
	put_end(&s2);
	ASSERT_EQ(KAT_LEN, s2.len);
	for (i = 0; i < KAT_LEN && s2.buf[i] == buf[i]; i++)
		;
	EXPECT_EQ(KAT_LEN, i) TH_LOG("encoder differs at byte %zu: 0x%02x, not 0x%02x",
				     i, s2.buf[i], buf[i]);
	free(s2.buf);
}

TEST(desc_check)
{
	struct vfio_mig_desc d = desc;

	EXPECT_EQ(0, vfio_mig_desc_check(&d));
	d.sections[1].id = CFG_ID;
	EXPECT_EQ(-EINVAL, vfio_mig_desc_check(&d));
	d = desc;
	d.sections[0].size = VFIO_MIG_MAX_PAYLOAD + 1;
	EXPECT_EQ(-EINVAL, vfio_mig_desc_check(&d));
	d = desc;
	d.nr_sections = VFIO_MIG_MAX_SECTIONS + 1;
	EXPECT_EQ(-EINVAL, vfio_mig_desc_check(&d));
	d = desc;
	d.device_type = "";
	EXPECT_EQ(-EINVAL, vfio_mig_desc_check(&d));
}

TEST(reason_strings)
{
	EXPECT_STREQ("record checksum mismatch",
		     vfio_mig_dec_reason_str(VFIO_MIG_DEC_BAD_CSUM));
	EXPECT_STREQ("unknown", vfio_mig_dec_reason_str(1000));
}

/*
 * The fed bytes may be memory a user writes at the same time (the mapped
 * v1 window). The sink must get the decoder's own copy, which the
 * checksum covered, never a pointer into the fed buffer: a writer that
 * flips bytes after the check would otherwise reach the device.
 */
struct toctou {
	const u8 *fed;
	size_t fed_len;
	int aliased;
	int calls;
};

static int sink_toctou(void *priv, u32 id, u64 off, const void *p, u32 len)
{
	struct toctou *t = priv;
	const u8 *b = p;

	t->calls++;
	if (b + len > t->fed && b < t->fed + t->fed_len)
		t->aliased++;
	return 0;
}

TEST(decoder_toctou_payload_is_private)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[64];
	static struct stream s;
	struct toctou t;
	struct vfio_mig_dec_sink sink = { sink_toctou, &t };
	struct vfio_mig_dec dec;

	build(&s, &desc);
	t = (struct toctou){ s.buf, s.len, 0, 0 };
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	/* One piece holding every record whole: no shortcut in place. */
	EXPECT_EQ(0, vfio_mig_dec_feed(&dec, s.buf, s.len, &sink));
	EXPECT_EQ(0, vfio_mig_dec_finish(&dec));
	EXPECT_EQ(17, t.calls);
	EXPECT_EQ(0, t.aliased);
	free(s.buf);
}

/*
 * The stable feed hands a payload that lies whole in the piece to the
 * sink in place (no copy), and stages one split between pieces.
 */
TEST(stable_feed_checks_whole_payloads_in_place)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[64];
	static struct stream s;
	struct toctou t;
	struct vfio_mig_dec_sink sink = { sink_toctou, &t };
	struct vfio_mig_dec dec;
	size_t off, n, piece;

	build(&s, &desc);
	/* One piece: all 17 DATA records in place. */
	t = (struct toctou){ s.buf, s.len, 0, 0 };
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	EXPECT_EQ(0, vfio_mig_dec_feed_stable(&dec, s.buf, s.len, &sink));
	EXPECT_EQ(0, vfio_mig_dec_finish(&dec));
	EXPECT_EQ(17, t.calls);
	EXPECT_EQ(17, t.aliased);

	/* Pieces of 7 bytes split every payload: all staged. */
	t = (struct toctou){ s.buf, s.len, 0, 0 };
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	for (off = 0; off < s.len; off += n) {
		n = s.len - off < 7 ? s.len - off : 7;
		ASSERT_EQ(0, vfio_mig_dec_feed_stable(&dec, s.buf + off, n,
						      &sink));
	}
	EXPECT_EQ(0, vfio_mig_dec_finish(&dec));
	EXPECT_EQ(17, t.calls);
	EXPECT_EQ(0, t.aliased);

	/* Pieces of a record and a half: some of each. */
	piece = (REC + 16 * VFIO_MIG_CHUNK_SIZE) * 3 / 2;
	t = (struct toctou){ s.buf, s.len, 0, 0 };
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	for (off = 0; off < s.len; off += n) {
		n = s.len - off < piece ? s.len - off : piece;
		ASSERT_EQ(0, vfio_mig_dec_feed_stable(&dec, s.buf + off, n,
						      &sink));
	}
	EXPECT_EQ(0, vfio_mig_dec_finish(&dec));
	EXPECT_EQ(17, t.calls);
	EXPECT_LT(0, t.aliased);
	EXPECT_GT(17, t.aliased);
	free(s.buf);
}

TEST_HARNESS_MAIN
