// SPDX-License-Identifier: GPL-2.0
/*
 * Write seed inputs for fuzz_stream: whole valid streams for its device,
 * unrepaired, with checksums repaired, and renumbered as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include "../../../drivers/vfio/mig/stream.h"

static const struct vfio_mig_desc desc = {
	.device_type = "fuzz",
	.nr_sections = 2,
	.sections = {
		{ 1, VFIO_MIG_SECTION_ONCE, 64 },
		{ 2, VFIO_MIG_SECTION_ITERATIVE, 16U << 10 },
	},
};

static int write_seed(const char *dir, const char *name, u8 mode,
		      const u8 *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	fputc(mode, f);
	fwrite(buf, 1, len, f);
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static u8 buf[256 << 10];
	struct vfio_mig_enc enc;
	size_t len = 0;
	u32 off, step = 4 << 10;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	vfio_mig_enc_init(&enc);
	len += vfio_mig_enc_header(&enc, &desc, buf, sizeof(buf));
	for (off = 0; off < (16U << 10); off += step) {
		memset(buf + len + sizeof(struct vfio_mig_rec), off >> 12, step);
		len += vfio_mig_enc_data(&enc, 2, off, buf + len,
					 sizeof(buf) - len, step);
	}
	memset(buf + len + sizeof(struct vfio_mig_rec), 0xc5, 40);
	len += vfio_mig_enc_data(&enc, 1, 0, buf + len, sizeof(buf) - len, 40);
	len += vfio_mig_enc_end(&enc, buf + len, sizeof(buf) - len);

	ret = write_seed(argv[1], "valid-whole", 0xff, buf, len);
	ret |= write_seed(argv[1], "valid-pieces", 0x05, buf, len);
	ret |= write_seed(argv[1], "valid-repair", 0x90, buf, len);
	ret |= write_seed(argv[1], "valid-renumber", 0xd0, buf, len);
	return ret;
}
