// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the migration stream decoder.
 *
 * The first input byte picks how the rest is split into pieces and whether
 * record checksums are repaired first. Repairing lets the fuzzer past the
 * checksum to the semantic checks behind it; without it, it hammers the
 * framing.
 * The sink aborts on any delivery outside the destination's sections.
 */
#include <stdlib.h>
#include "../../../drivers/vfio/mig/stream.h"

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

static u8 mem[MEM_SIZE];

static int sink_data(void *priv, u32 id, u64 off, const void *p, u32 len)
{
	if (id == 1 && (off || len > CFG_SIZE))
		abort();
	if (id == 2 && (off > MEM_SIZE || len > MEM_SIZE - off))
		abort();
	if (id != 1 && id != 2)
		abort();
	if (id == 2)
		memcpy(mem + off, p, len);
	return 0;
}

/* Recompute the checksum of every record that fits, walking by lengths. */
static void repair(u8 *buf, size_t len)
{
	struct vfio_mig_rec rec;
	size_t at = 0, plen;

	while (at + sizeof(rec) <= len) {
		memcpy(&rec, buf + at, sizeof(rec));
		plen = le32_to_cpu(rec.len);
		if (plen > len - at - sizeof(rec))
			return;
		vfio_mig_rec_seal(buf + at);
		at += sizeof(rec) + plen;
	}
}

/* Named for libFuzzer on the compiler command line. */
int fuzz_one_input(const u8 *data, size_t size);

int fuzz_one_input(const u8 *data, size_t size)
{
	static u8 stage[VFIO_MIG_MAX_PAYLOAD];
	static unsigned long cov[4];
	struct vfio_mig_dec_sink sink = { sink_data, NULL };
	struct vfio_mig_dec dec;
	size_t piece, off, n;
	u8 *buf;
	int ret = 0;

	if (!size)
		return 0;
	piece = (data[0] & 0x7f) + 1;
	if (piece > 96)
		piece = size;
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 0x80)
		repair(buf, size - 1);

	vfio_mig_dec_init(&dec, &desc, stage, cov);
	for (off = 0; off < size - 1 && !ret; off += n) {
		n = size - 1 - off < piece ? size - 1 - off : piece;
		ret = vfio_mig_dec_feed(&dec, buf + off, n, &sink);
	}
	ret = vfio_mig_dec_finish(&dec);
	if (ret == 0 && !dec.ended)
		abort();
	free(buf);
	return 0;
}
