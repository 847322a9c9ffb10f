// SPDX-License-Identifier: GPL-2.0
/*
 * crc32_le() for the host-native build of the pure vfio_mig code: the
 * little-endian CRC32 (polynomial 0xedb88320) with the kernel's calling
 * convention, no inversion on entry or exit.
 */
#include "../../../drivers/vfio/mig/pure.h"

static u32 table[256];

static void make_table(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (c & 1 ? 0xedb88320U : 0);
		table[i] = c;
	}
}

u32 crc32_le(u32 crc, const unsigned char *p, size_t len)
{
	if (!table[1])
		make_table();
	while (len--)
		crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xff];
	return crc;
}
