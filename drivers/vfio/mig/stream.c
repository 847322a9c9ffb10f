// SPDX-License-Identifier: GPL-2.0
/*
 * Encoder and decoder of the vfio_mig migration stream (see stream.h).
 *
 * The decoder treats its input as hostile: it crosses the network. Every
 * field is checked before it is used, a payload reaches the device only
 * after its checksum matched, and a stream is accepted only when it ended
 * with an end record and delivered every section it must.
 */
#include "stream.h"

static_assert(sizeof(struct vfio_mig_rec) == 32);
static_assert(sizeof(struct vfio_mig_section_desc) == 16);
static_assert(sizeof(struct vfio_mig_stream_hdr) ==
	      48 + 16 * VFIO_MIG_MAX_SECTIONS);
static_assert(sizeof(struct vfio_mig_stream_end) == 16);

/* A record's checksum: its header seeds the hash of its payload. */
static u64 vfio_mig_rec_csum(const struct vfio_mig_rec *rec,
			     const void *payload)
{
	struct vfio_mig_rec tmp = *rec;

	tmp.csum = 0;
	return xxh64(payload, le32_to_cpu(rec->len),
		     xxh64(&tmp, sizeof(tmp), 0));
}

/**
 * vfio_mig_rec_seal() - (re)compute the checksum of a record
 * @rec: a record header, its payload right after it; any alignment
 *
 * For tools and tests that build or alter streams.
 */
void vfio_mig_rec_seal(void *rec)
{
	struct vfio_mig_rec r;

	memcpy(&r, rec, sizeof(r));
	r.csum = cpu_to_le64(vfio_mig_rec_csum(&r, (u8 *)rec + sizeof(r)));
	memcpy(rec, &r, sizeof(r));
}

/**
 * vfio_mig_rec_sealed() - does a record's checksum match it?
 * @rec: a record header, its payload right after it; any alignment
 *
 * Return: true when it does.
 */
bool vfio_mig_rec_sealed(const void *rec)
{
	struct vfio_mig_rec r;

	memcpy(&r, rec, sizeof(r));
	return vfio_mig_rec_csum(&r, (const u8 *)rec + sizeof(r)) ==
	       le64_to_cpu(r.csum);
}

static size_t vfio_mig_min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t vfio_mig_chunks_of(u64 size)
{
	return (size + VFIO_MIG_CHUNK_SIZE - 1) >> VFIO_MIG_CHUNK_SHIFT;
}

/**
 * vfio_mig_desc_check() - check that a device description is usable
 * @desc: the description
 *
 * Return: 0, or -EINVAL for a description no stream could carry.
 */
int vfio_mig_desc_check(const struct vfio_mig_desc *desc)
{
	u32 i, j;

	if (!desc->device_type || !desc->device_type[0] ||
	    strnlen(desc->device_type, VFIO_MIG_TYPE_LEN) >= VFIO_MIG_TYPE_LEN)
		return -EINVAL;
	if (!desc->nr_sections || desc->nr_sections > VFIO_MIG_MAX_SECTIONS)
		return -EINVAL;
	for (i = 0; i < desc->nr_sections; i++) {
		if (!desc->sections[i].size || desc->sections[i].id > 0xffff)
			return -EINVAL;
		switch (desc->sections[i].kind) {
		case VFIO_MIG_SECTION_ONCE:
			if (desc->sections[i].size > VFIO_MIG_MAX_PAYLOAD)
				return -EINVAL;
			break;
		case VFIO_MIG_SECTION_ITERATIVE:
			break;
		default:
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (desc->sections[j].id == desc->sections[i].id)
				return -EINVAL;
	}
	return 0;
}

/**
 * vfio_mig_enc_init() - start a new stream
 * @enc: encoder state
 */
void vfio_mig_enc_init(struct vfio_mig_enc *enc)
{
	enc->seq = 0;
	enc->payload_bytes = 0;
}

/**
 * vfio_mig_enc_header_len() - bytes vfio_mig_enc_header() writes
 *
 * Return: the length of the header record with its payload.
 */
size_t vfio_mig_enc_header_len(void)
{
	return sizeof(struct vfio_mig_rec) + sizeof(struct vfio_mig_stream_hdr);
}

/* Records are packed back to back, so @buf may have any alignment. */
static void vfio_mig_rec_fill(void *buf, u16 type, u16 section, u64 offset,
			      u32 len, u32 seq)
{
	struct vfio_mig_rec rec = {
		.magic = cpu_to_le32(VFIO_MIG_REC_MAGIC),
		.type = cpu_to_le16(type),
		.section = cpu_to_le16(section),
		.offset = cpu_to_le64(offset),
		.len = cpu_to_le32(len),
		.seq = cpu_to_le32(seq),
	};

	rec.csum = cpu_to_le64(vfio_mig_rec_csum(&rec, (u8 *)buf + sizeof(rec)));
	memcpy(buf, &rec, sizeof(rec));
}

/**
 * vfio_mig_enc_header() - write the header record
 * @enc: encoder state, fresh from vfio_mig_enc_init()
 * @desc: the device's description
 * @buf: where the record goes
 * @buflen: room at @buf
 *
 * Return: bytes written, or -ENOSPC / -EINVAL.
 */
int vfio_mig_enc_header(struct vfio_mig_enc *enc,
			const struct vfio_mig_desc *desc,
			void *buf, size_t buflen)
{
	struct vfio_mig_stream_hdr h = { 0 }, *hdr = &h;
	u32 i;

	if (buflen < vfio_mig_enc_header_len())
		return -ENOSPC;
	if (enc->seq || vfio_mig_desc_check(desc))
		return -EINVAL;
	hdr->magic = cpu_to_le64(VFIO_MIG_STREAM_MAGIC);
	hdr->version = cpu_to_le32(VFIO_MIG_STREAM_VERSION);
	hdr->nr_sections = cpu_to_le32(desc->nr_sections);
	memcpy(hdr->device_type, desc->device_type,
	       strnlen(desc->device_type, VFIO_MIG_TYPE_LEN - 1));
	for (i = 0; i < desc->nr_sections; i++) {
		hdr->sections[i].id = cpu_to_le32(desc->sections[i].id);
		hdr->sections[i].kind = cpu_to_le32(desc->sections[i].kind);
		hdr->sections[i].size = cpu_to_le64(desc->sections[i].size);
	}
	memcpy((u8 *)buf + sizeof(struct vfio_mig_rec), hdr, sizeof(*hdr));
	vfio_mig_rec_fill(buf, VFIO_MIG_REC_HEADER, 0, 0, sizeof(*hdr),
			  enc->seq++);
	return vfio_mig_enc_header_len();
}

/**
 * vfio_mig_enc_data() - seal a data record whose payload is in place
 * @enc: encoder state
 * @section: section id
 * @offset: offset of the payload in the section
 * @buf: the record; its @len payload bytes already follow the header
 * @buflen: room at @buf
 * @len: payload bytes, at most VFIO_MIG_MAX_PAYLOAD
 *
 * The caller copies the payload straight into the stream buffer, after
 * the header's room, so the data is copied once.
 *
 * Return: bytes of the whole record, or -ENOSPC / -EINVAL.
 */
int vfio_mig_enc_data(struct vfio_mig_enc *enc, u32 section, u64 offset,
		      void *buf, size_t buflen, u32 len)
{
	if (!len || len > VFIO_MIG_MAX_PAYLOAD || section > 0xffff)
		return -EINVAL;
	if (buflen < sizeof(struct vfio_mig_rec) + len)
		return -ENOSPC;
	vfio_mig_rec_fill(buf, VFIO_MIG_REC_DATA, section, offset, len,
			  enc->seq++);
	enc->payload_bytes += len;
	return sizeof(struct vfio_mig_rec) + len;
}

/**
 * vfio_mig_enc_end() - write the end record
 * @enc: encoder state
 * @buf: where the record goes
 * @buflen: room at @buf
 *
 * Return: bytes written, or -ENOSPC.
 */
int vfio_mig_enc_end(struct vfio_mig_enc *enc, void *buf, size_t buflen)
{
	struct vfio_mig_stream_end end = {
		.records = cpu_to_le64(enc->seq),
		.payload_bytes = cpu_to_le64(enc->payload_bytes),
	};
	size_t rec = sizeof(struct vfio_mig_rec);

	if (buflen < rec + sizeof(end))
		return -ENOSPC;
	memcpy((u8 *)buf + rec, &end, sizeof(end));
	vfio_mig_rec_fill(buf, VFIO_MIG_REC_END, 0, 0, sizeof(end), enc->seq++);
	return rec + sizeof(end);
}

/**
 * vfio_mig_dec_coverage_longs() - size of a decoder's coverage bitmap
 * @desc: the destination device's description
 *
 * Return: the number of longs vfio_mig_dec_init() needs for @coverage:
 * one bit per chunk of every iterative section.
 */
size_t vfio_mig_dec_coverage_longs(const struct vfio_mig_desc *desc)
{
	size_t bits = 0;
	u32 i;

	for (i = 0; i < desc->nr_sections; i++)
		if (desc->sections[i].kind == VFIO_MIG_SECTION_ITERATIVE)
			bits += vfio_mig_chunks_of(desc->sections[i].size);
	return BITS_TO_LONGS(bits) ? BITS_TO_LONGS(bits) : 1;
}

/**
 * vfio_mig_dec_init() - prepare to receive a stream
 * @dec: decoder state
 * @desc: the destination device's description
 * @stage: VFIO_MIG_MAX_PAYLOAD bytes for records split between pieces
 * @coverage: vfio_mig_dec_coverage_longs() longs
 */
void vfio_mig_dec_init(struct vfio_mig_dec *dec,
		       const struct vfio_mig_desc *desc,
		       u8 *stage, unsigned long *coverage)
{
	memset(dec, 0, sizeof(*dec));
	dec->desc = desc;
	dec->stage = stage;
	dec->coverage = coverage;
	memset(coverage, 0,
	       vfio_mig_dec_coverage_longs(desc) * sizeof(unsigned long));
}

static int vfio_mig_dec_fail(struct vfio_mig_dec *dec,
			     enum vfio_mig_dec_reason why, int err)
{
	dec->reason = why;
	dec->error = err;
	return err;
}

/* Index of @id in the description, or -1. */
static int vfio_mig_find_section(const struct vfio_mig_desc *desc, u32 id)
{
	u32 i;

	for (i = 0; i < desc->nr_sections; i++)
		if (desc->sections[i].id == id)
			return i;
	return -1;
}

/* First coverage bit of iterative section @idx. */
static size_t vfio_mig_dec_coverage_base(const struct vfio_mig_desc *desc,
					 int idx)
{
	size_t base = 0;
	int i;

	for (i = 0; i < idx; i++)
		if (desc->sections[i].kind == VFIO_MIG_SECTION_ITERATIVE)
			base += vfio_mig_chunks_of(desc->sections[i].size);
	return base;
}

/* Checks that need only the record header, before any payload arrives. */
static int vfio_mig_dec_check_rec(struct vfio_mig_dec *dec)
{
	const struct vfio_mig_rec *rec = &dec->rec;
	u16 type = le16_to_cpu(rec->type);
	u32 len = le32_to_cpu(rec->len);

	if (le32_to_cpu(rec->magic) != VFIO_MIG_REC_MAGIC)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
	if (le32_to_cpu(rec->seq) != dec->seq)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_SEQ, -EBADMSG);
	bool is_header = type == VFIO_MIG_REC_HEADER;

	if (is_header == dec->started)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);

	switch (type) {
	case VFIO_MIG_REC_HEADER:
		if (len != sizeof(struct vfio_mig_stream_hdr) ||
		    rec->section || rec->offset)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
		break;
	case VFIO_MIG_REC_DATA:
		if (!len || len > VFIO_MIG_MAX_PAYLOAD)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
		break;
	case VFIO_MIG_REC_END:
		if (len != sizeof(struct vfio_mig_stream_end) ||
		    rec->section || rec->offset)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
		break;
	default:
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
	}
	return 0;
}

static int vfio_mig_dec_take_header(struct vfio_mig_dec *dec,
				    const void *payload)
{
	const struct vfio_mig_desc *desc = dec->desc;
	char type[VFIO_MIG_TYPE_LEN] = { 0 };
	struct vfio_mig_stream_hdr h, *hdr = &h;
	u32 i, n;

	/* A payload verified in place may sit at any alignment. */
	memcpy(&h, payload, sizeof(h));

	if (le64_to_cpu(hdr->magic) != VFIO_MIG_STREAM_MAGIC)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_MAGIC, -EBADMSG);
	if (le32_to_cpu(hdr->version) != VFIO_MIG_STREAM_VERSION)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_VERSION,
				-EPROTONOSUPPORT);
	memcpy(type, desc->device_type,
	       strnlen(desc->device_type, VFIO_MIG_TYPE_LEN - 1));
	if (memcmp(type, hdr->device_type, VFIO_MIG_TYPE_LEN))
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_TYPE, -EINVAL);

	n = le32_to_cpu(hdr->nr_sections);
	if (n != desc->nr_sections)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_GEOMETRY, -EINVAL);
	for (i = 0; i < VFIO_MIG_MAX_SECTIONS; i++) {
		const struct vfio_mig_section_desc *s = &hdr->sections[i];

		if (i >= n) {
			if (s->id || s->kind || s->size)
				return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_GEOMETRY,
						-EINVAL);
			continue;
		}
		if (le32_to_cpu(s->id) != desc->sections[i].id ||
		    le32_to_cpu(s->kind) != desc->sections[i].kind ||
		    le64_to_cpu(s->size) != desc->sections[i].size)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_GEOMETRY, -EINVAL);
	}
	dec->started = true;
	return 0;
}

static int vfio_mig_dec_take_data(struct vfio_mig_dec *dec,
				  const void *payload,
				  const struct vfio_mig_dec_sink *sink)
{
	const struct vfio_mig_desc *desc = dec->desc;
	u32 id = le16_to_cpu(dec->rec.section);
	u64 off = le64_to_cpu(dec->rec.offset);
	u32 len = le32_to_cpu(dec->rec.len);
	size_t first, last, bit, base;
	u64 end, size;
	int idx, ret;

	idx = vfio_mig_find_section(desc, id);
	if (idx < 0)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_BOUNDS, -EINVAL);
	size = desc->sections[idx].size;
	if (check_add_overflow(off, (u64)len, &end) || end > size)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_BOUNDS, -EINVAL);

	if (desc->sections[idx].kind == VFIO_MIG_SECTION_ONCE) {
		if (off)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_BOUNDS, -EINVAL);
		if (dec->once_seen & BIT(idx))
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_DUPLICATE, -EBADMSG);
	} else if ((off & (VFIO_MIG_CHUNK_SIZE - 1)) ||
		   ((len & (VFIO_MIG_CHUNK_SIZE - 1)) && end != size)) {
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_BOUNDS, -EINVAL);
	}

	ret = sink->data(sink->priv, id, off, payload, len);
	if (ret)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_SINK, ret);

	if (desc->sections[idx].kind == VFIO_MIG_SECTION_ONCE) {
		dec->once_seen |= BIT(idx);
	} else {
		base = vfio_mig_dec_coverage_base(desc, idx);
		first = off >> VFIO_MIG_CHUNK_SHIFT;
		last = vfio_mig_chunks_of(end);
		for (bit = first; bit < last; bit++)
			test_and_set_bit(base + bit, dec->coverage);
	}
	dec->payload_bytes += len;
	return 0;
}

static int vfio_mig_dec_take_end(struct vfio_mig_dec *dec,
				 const void *payload)
{
	struct vfio_mig_stream_end end;

	memcpy(&end, payload, sizeof(end));
	if (le64_to_cpu(end.records) != dec->seq ||
	    le64_to_cpu(end.payload_bytes) != dec->payload_bytes)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_RECORD, -EBADMSG);
	dec->ended = true;
	return 0;
}

static int vfio_mig_dec_take_record(struct vfio_mig_dec *dec,
				    const void *payload,
				    const struct vfio_mig_dec_sink *sink)
{
	int ret;

	if (vfio_mig_rec_csum(&dec->rec, payload) != le64_to_cpu(dec->rec.csum))
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_BAD_CSUM, -EBADMSG);

	switch (le16_to_cpu(dec->rec.type)) {
	case VFIO_MIG_REC_HEADER:
		ret = vfio_mig_dec_take_header(dec, payload);
		break;
	case VFIO_MIG_REC_DATA:
		ret = vfio_mig_dec_take_data(dec, payload, sink);
		break;
	default:
		ret = vfio_mig_dec_take_end(dec, payload);
		break;
	}
	if (ret)
		return ret;
	dec->seq++;
	dec->rec_have = 0;
	dec->stage_have = 0;
	return 0;
}

static int vfio_mig_dec_feed_from(struct vfio_mig_dec *dec, const u8 *p,
				  size_t len,
				  const struct vfio_mig_dec_sink *sink,
				  bool stable)
{
	u32 n, need;
	int ret;

	if (dec->error)
		return dec->error;
	while (len) {
		if (dec->ended)
			return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_TRAILING, -EBADMSG);

		if (dec->rec_have < sizeof(dec->rec)) {
			n = vfio_mig_min_size(len, sizeof(dec->rec) - dec->rec_have);
			memcpy((u8 *)&dec->rec + dec->rec_have, p, n);
			dec->rec_have += n;
			p += n;
			len -= n;
			if (dec->rec_have < sizeof(dec->rec))
				return 0;
			ret = vfio_mig_dec_check_rec(dec);
			if (ret)
				return ret;
		}

		need = le32_to_cpu(dec->rec.len) - dec->stage_have;
		/*
		 * A whole payload in bytes no one else can write while we
		 * run is checked and used where it is.
		 */
		if (stable && !dec->stage_have && len >= need) {
			ret = vfio_mig_dec_take_record(dec, p, sink);
			if (ret)
				return ret;
			p += need;
			len -= need;
			continue;
		}
		/*
		 * Otherwise the payload is copied to the stage and checked
		 * there: the caller's bytes may be memory a user writes
		 * while we read it, and what the checksum saw must be what
		 * the sink gets.
		 */
		n = vfio_mig_min_size(len, need);
		memcpy(dec->stage + dec->stage_have, p, n);
		dec->stage_have += n;
		p += n;
		len -= n;
		if (n == need) {
			ret = vfio_mig_dec_take_record(dec, dec->stage, sink);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * vfio_mig_dec_feed() - hand the decoder the next piece of a stream
 * @dec: decoder state
 * @buf: the bytes, which a user may write while the decoder reads them
 *	(a mappable window): each payload is copied before it is checked
 * @len: how many; any split of the stream is accepted
 * @sink: receives the data of each verified record
 *
 * Return: 0, or a negative errno once the stream is refused (and on every
 * later call): -EBADMSG for a malformed, reordered or corrupted record,
 * -EPROTONOSUPPORT for another stream version, -EINVAL for a stream of
 * another device type or geometry or with a record out of bounds, or the
 * sink's error. dec->reason says which.
 */
int vfio_mig_dec_feed(struct vfio_mig_dec *dec, const void *buf, size_t len,
		      const struct vfio_mig_dec_sink *sink)
{
	return vfio_mig_dec_feed_from(dec, buf, len, sink, false);
}

/**
 * vfio_mig_dec_feed_stable() - vfio_mig_dec_feed() for private bytes
 * @dec: decoder state
 * @buf: the bytes, in memory nothing else writes until the call returns
 *	(a buffer only the calling channel's I/O fills)
 * @len: how many; any split of the stream is accepted
 * @sink: receives the data of each verified record
 *
 * A record whose payload lies whole in @buf is checked and handed to the
 * sink in place, without the copy to the stage; one split between pieces
 * is staged as by vfio_mig_dec_feed(). Same results otherwise.
 *
 * Return: as vfio_mig_dec_feed().
 */
int vfio_mig_dec_feed_stable(struct vfio_mig_dec *dec, const void *buf,
			     size_t len, const struct vfio_mig_dec_sink *sink)
{
	return vfio_mig_dec_feed_from(dec, buf, len, sink, true);
}

/**
 * vfio_mig_dec_finish() - the stream is over: was it whole?
 * @dec: decoder state
 *
 * Return: 0 when an end record arrived and every section was delivered
 * (each ONCE section, each chunk of each iterative section); the earlier
 * error if the stream was refused; -ENODATA otherwise.
 */
int vfio_mig_dec_finish(struct vfio_mig_dec *dec)
{
	const struct vfio_mig_desc *desc = dec->desc;
	size_t bit, base = 0, nchunks;
	u32 i;

	if (dec->error)
		return dec->error;
	if (!dec->ended)
		return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_TRUNCATED, -ENODATA);
	for (i = 0; i < desc->nr_sections; i++) {
		if (desc->sections[i].kind == VFIO_MIG_SECTION_ONCE) {
			if (!(dec->once_seen & BIT(i)))
				return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_INCOMPLETE,
						-ENODATA);
			continue;
		}
		nchunks = vfio_mig_chunks_of(desc->sections[i].size);
		for (bit = 0; bit < nchunks; bit++)
			if (!test_bit(base + bit, dec->coverage))
				return vfio_mig_dec_fail(dec, VFIO_MIG_DEC_INCOMPLETE,
						-ENODATA);
		base += nchunks;
	}
	return 0;
}

/**
 * vfio_mig_dec_reason_str() - a decoder's reason in words
 * @reason: the reason
 *
 * Return: a short constant string.
 */
const char *vfio_mig_dec_reason_str(enum vfio_mig_dec_reason reason)
{
	static const char * const str[] = {
		[VFIO_MIG_DEC_OK] = "ok",
		[VFIO_MIG_DEC_BAD_RECORD] = "malformed record",
		[VFIO_MIG_DEC_BAD_SEQ] = "record missing or out of order",
		[VFIO_MIG_DEC_BAD_CSUM] = "record checksum mismatch",
		[VFIO_MIG_DEC_BAD_MAGIC] = "not a vfio_mig stream",
		[VFIO_MIG_DEC_BAD_VERSION] = "unsupported stream version",
		[VFIO_MIG_DEC_BAD_TYPE] = "stream of another device type",
		[VFIO_MIG_DEC_BAD_GEOMETRY] = "device geometry differs",
		[VFIO_MIG_DEC_BAD_BOUNDS] = "record outside its section",
		[VFIO_MIG_DEC_DUPLICATE] = "section sent twice",
		[VFIO_MIG_DEC_TRAILING] = "data after the end record",
		[VFIO_MIG_DEC_TRUNCATED] = "stream ended early",
		[VFIO_MIG_DEC_INCOMPLETE] = "section data missing",
		[VFIO_MIG_DEC_SINK] = "device refused the data",
	};

	if ((unsigned int)reason >= ARRAY_SIZE(str) || !str[reason])
		return "unknown";
	return str[reason];
}
