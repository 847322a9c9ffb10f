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

/* Decode @len bytes of @buf in pieces of @piece bytes. */
static struct decoded decode(struct target *t, const u8 *buf, size_t len,
			     size_t piece)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[64];
	struct vfio_mig_dec_sink sink = { sink_data, t };
	struct vfio_mig_dec dec;
	struct decoded r = { 0 };
	size_t off, n;

	if (vfio_mig_dec_coverage_longs(&desc) > ARRAY_SIZE(cov))
		abort();
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	for (off = 0; off < len && !r.feed; off += n) {
		n = len - off < piece ? len - off : piece;
		r.feed = vfio_mig_dec_feed(&dec, buf + off, n, &sink);
	}
	r.finish = vfio_mig_dec_finish(&dec);
	r.reason = dec.reason;
	return r;
}

FIXTURE(stream) {
	struct stream s;
	struct target *t;
};

FIXTURE_SETUP(stream)
{
	size_t i;

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

TEST_F(stream, decoder_toctou_payload_is_private)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[64];
	struct toctou t = { self->s.buf, self->s.len, 0, 0 };
	struct vfio_mig_dec_sink sink = { sink_toctou, &t };
	struct vfio_mig_dec dec;

	vfio_mig_dec_init(&dec, &desc, stage, cov);
	/* One piece holding every record whole: the old fast path. */
	EXPECT_EQ(0, vfio_mig_dec_feed(&dec, self->s.buf, self->s.len, &sink));
	EXPECT_EQ(0, vfio_mig_dec_finish(&dec));
	EXPECT_LT(0, t.calls);
	EXPECT_EQ(0, t.aliased);
}

TEST_HARNESS_MAIN
