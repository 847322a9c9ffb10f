// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the migration stream decoder.
 *
 * The first input byte picks how the rest is split into pieces and whether
 * record checksums are repaired first, with or without renumbering the
 * records and with or without then fixing the END totals. Repairing lets
 * the fuzzer past the checksum (renumbering past the sequence, fixing past
 * the END totals) to the semantic checks behind them; without it, it
 * hammers the framing.
 *
 * Each input is decoded twice, with vfio_mig_dec_feed() (every payload
 * copied before its check) and with vfio_mig_dec_feed_stable() (a whole
 * payload checked in place): both must end the same way, for the same
 * reason, after the same deliveries to the sink, with the same memory.
 * The sink aborts on any delivery outside the destination's sections.
 *
 * Every stream the decoder accepts is checked against what the sink saw:
 * no data before a whole HEADER record was handed over as the first record,
 * every chunk of the iterative section at least once (pre-copy may send a
 * chunk again), the ONCE section exactly once, and END totals equal to the
 * records and payload bytes the sink counted. A violation aborts.
 */
#include <stdlib.h>
#include "../../../drivers/vfio/mig/stream.h"
#include "fuzz_entry.h"

#define MEM_SIZE	(16U << 10)
#define CFG_SIZE	64

static const struct vfio_mig_desc desc = {
	.device_type = "fuzz",
	.nr_sections = 2,
	.sections = {
		{ 1, VFIO_MIG_SECTION_ONCE, CFG_SIZE },
		{ 2, VFIO_MIG_SECTION_ITERATIVE, MEM_SIZE },
	},
};

#define NR_CHUNKS	(MEM_SIZE / VFIO_MIG_CHUNK_SIZE)
#define HDR_REC_LEN	(sizeof(struct vfio_mig_rec) + \
			 sizeof(struct vfio_mig_stream_hdr))

static u8 mem[MEM_SIZE];

/* What the sink received, counted independently of the decoder. */
struct seen {
	const u8 *buf;		/* the whole input, as fed */
	size_t fed;		/* bytes of it handed to the decoder so far */
	u64 records;		/* DATA records delivered */
	u64 bytes;		/* DATA payload bytes delivered */
	u32 once;		/* deliveries of the ONCE section */
	u32 chunk[NR_CHUNKS];	/* deliveries covering each chunk */
};

/* Does @buf begin with a whole HEADER record, numbered 0, within @fed? */
static bool header_first(const u8 *buf, size_t fed)
{
	struct vfio_mig_rec rec;

	if (fed < HDR_REC_LEN)
		return false;
	memcpy(&rec, buf, sizeof(rec));
	return le32_to_cpu(rec.magic) == VFIO_MIG_REC_MAGIC &&
	       le16_to_cpu(rec.type) == VFIO_MIG_REC_HEADER &&
	       le32_to_cpu(rec.len) == sizeof(struct vfio_mig_stream_hdr) &&
	       !rec.seq;
}

static int sink_data(void *priv, u32 id, u64 off, const void *p, u32 len)
{
	struct seen *seen = priv;
	u64 c;

	if (id == 1 && (off || len > CFG_SIZE))
		abort();
	if (id == 2 && (off > MEM_SIZE || len > MEM_SIZE - off))
		abort();
	if (id != 1 && id != 2)
		abort();
	/* Data only after the header record was consumed. */
	if (!header_first(seen->buf, seen->fed))
		abort();
	if (id == 2) {
		memcpy(mem + off, p, len);
		for (c = off / VFIO_MIG_CHUNK_SIZE;
		     c * VFIO_MIG_CHUNK_SIZE < off + len; c++)
			seen->chunk[c]++;
	} else {
		seen->once++;
	}
	seen->records++;
	seen->bytes += len;
	return 0;
}

/* The oracle for an accepted stream of @len bytes at @buf. */
static void check_accepted(const struct seen *seen, const u8 *buf,
			   size_t len)
{
	struct vfio_mig_stream_end end;
	struct vfio_mig_rec rec;
	size_t at;
	u32 c;

	if (!header_first(buf, len) || seen->once != 1)
		abort();
	for (c = 0; c < NR_CHUNKS; c++)
		if (!seen->chunk[c])
			abort();
	/* No bytes may follow END, so it is the last 48 bytes. */
	if (len < HDR_REC_LEN + sizeof(rec) + sizeof(end))
		abort();
	at = len - sizeof(rec) - sizeof(end);
	memcpy(&rec, buf + at, sizeof(rec));
	memcpy(&end, buf + at + sizeof(rec), sizeof(end));
	if (le16_to_cpu(rec.type) != VFIO_MIG_REC_END ||
	    le32_to_cpu(rec.len) != sizeof(end))
		abort();
	/* The header, then one record per delivery. */
	if (le64_to_cpu(end.records) != seen->records + 1 ||
	    le32_to_cpu(rec.seq) != seen->records + 1 ||
	    le64_to_cpu(end.payload_bytes) != seen->bytes)
		abort();
}

/*
 * Recompute the checksum of every record that fits, walking by lengths.
 * With @renumber, first number the records in order, so that records the
 * fuzzer inserted, dropped or moved reach the checks behind the sequence;
 * with @fix_end too, make the totals of an END record those of the records
 * before it.
 */
static void repair(u8 *buf, size_t len, bool renumber, bool fix_end)
{
	struct vfio_mig_stream_end end;
	struct vfio_mig_rec rec;
	size_t at = 0, plen;
	u64 bytes = 0;
	u32 seq = 0;

	while (at + sizeof(rec) <= len) {
		memcpy(&rec, buf + at, sizeof(rec));
		plen = le32_to_cpu(rec.len);
		if (plen > len - at - sizeof(rec))
			return;
		if (renumber) {
			rec.seq = cpu_to_le32(seq);
			memcpy(buf + at, &rec, sizeof(rec));
			if (fix_end && plen == sizeof(end) &&
			    le16_to_cpu(rec.type) == VFIO_MIG_REC_END) {
				end.records = cpu_to_le64(seq);
				end.payload_bytes = cpu_to_le64(bytes);
				memcpy(buf + at + sizeof(rec), &end,
				       sizeof(end));
			}
			if (le16_to_cpu(rec.type) == VFIO_MIG_REC_DATA)
				bytes += plen;
			seq++;
		}
		vfio_mig_rec_seal(buf + at);
		at += sizeof(rec) + plen;
	}
}

#define MAX_RECS	64

/*
 * Half of the mutations work on whole records: send one again, drop one,
 * or swap two. Byte mutations alone rarely cut a stream at record
 * boundaries, and resent, missing and reordered records are what the
 * decoder must get right (with renumbering, they pass the sequence check).
 */
size_t fuzz_mutate(u8 *data, size_t size, size_t max_size, unsigned int seed)
{
	size_t at[MAX_RECS + 1], len, p = 0, plen, out, k;
	int order[MAX_RECS + 1], nr = 0, n, i, j, t;
	struct vfio_mig_rec rec;
	u8 *tmp;

	if (!size || !(seed & 1))
		return fuzz_default_mutate(data, size, max_size);
	len = size - 1;
	while (nr < MAX_RECS && p + sizeof(rec) <= len) {
		memcpy(&rec, data + 1 + p, sizeof(rec));
		plen = le32_to_cpu(rec.len);
		if (plen > len - p - sizeof(rec))
			break;
		at[nr++] = p;
		p += sizeof(rec) + plen;
	}
	at[nr] = p;
	if (!nr)
		return fuzz_default_mutate(data, size, max_size);

	for (n = 0; n < nr; n++)
		order[n] = n;
	i = (seed >> 1) % nr;
	j = (seed >> 9) % nr;
	switch ((seed >> 17) % 3) {
	case 0:		/* record i again, before record j */
		memmove(order + j + 1, order + j, (n - j) * sizeof(int));
		order[j] = i;
		n++;
		break;
	case 1:		/* no record i */
		memmove(order + i, order + i + 1, (n - i - 1) * sizeof(int));
		n--;
		break;
	default:	/* records i and j swapped */
		t = order[i];
		order[i] = order[j];
		order[j] = t;
		break;
	}

	out = 1 + len - at[nr];
	for (k = 0; k < n; k++)
		out += at[order[k] + 1] - at[order[k]];
	if (out > max_size)
		return fuzz_default_mutate(data, size, max_size);
	tmp = malloc(out);
	if (!tmp)
		return fuzz_default_mutate(data, size, max_size);
	tmp[0] = data[0];
	for (p = 1, k = 0; k < n; k++) {
		plen = at[order[k] + 1] - at[order[k]];
		memcpy(tmp + p, data + 1 + at[order[k]], plen);
		p += plen;
	}
	memcpy(tmp + p, data + 1 + at[nr], len - at[nr]);
	memcpy(data, tmp, out);
	free(tmp);
	return out;
}

/* Decode @len bytes at @buf in pieces of @piece; fills *@seen. */
static int decode(const u8 *buf, size_t len, size_t piece, bool stable,
		  struct seen *seen, enum vfio_mig_dec_reason *reason)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[4];
	struct vfio_mig_dec_sink sink = { sink_data, seen };
	struct vfio_mig_dec dec;
	size_t off, n;
	int ret = 0;

	memset(seen, 0, sizeof(*seen));
	memset(mem, 0, sizeof(mem));
	seen->buf = buf;
	vfio_mig_dec_init(&dec, &desc, stage, cov);
	for (off = 0; off < len && !ret; off += n) {
		n = len - off < piece ? len - off : piece;
		seen->fed = off + n;
		if (stable)
			ret = vfio_mig_dec_feed_stable(&dec, buf + off, n, &sink);
		else
			ret = vfio_mig_dec_feed(&dec, buf + off, n, &sink);
	}
	ret = vfio_mig_dec_finish(&dec);
	if (ret == 0 && !dec.ended)
		abort();
	if (ret == 0)
		check_accepted(seen, buf, len);
	*reason = dec.reason;
	return ret;
}

int fuzz_one_input(const u8 *data, size_t size)
{
	static u8 mem_copied[MEM_SIZE];
	static struct seen seen, seen2;
	enum vfio_mig_dec_reason why, why2;
	size_t piece;
	int ret, ret2;
	u8 *buf;

	if (!size)
		return 0;
	piece = (data[0] & 0x1f) + 1;
	if (piece > 24)
		piece = size;
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 0x80)
		repair(buf, size - 1, data[0] & 0x40, data[0] & 0x20);

	ret = decode(buf, size - 1, piece, false, &seen, &why);
	memcpy(mem_copied, mem, sizeof(mem));
	ret2 = decode(buf, size - 1, piece, true, &seen2, &why2);
	/* seen.buf is the same input for both. */
	if (ret != ret2 || why != why2 || memcmp(&seen, &seen2, sizeof(seen)) ||
	    memcmp(mem_copied, mem, sizeof(mem)))
		abort();
	free(buf);
	return 0;
}
