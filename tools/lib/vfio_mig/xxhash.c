// SPDX-License-Identifier: GPL-2.0
/*
 * xxh64() for user-space builds of the pure vfio_mig code, with the kernel's
 * calling convention (lib/xxhash.c): the 64-bit xxHash of @len bytes at
 * @input with @seed, as the algorithm's specification defines it.
 */
#include "../../testing/unit/vfio_mig_pure_user.h"

#define PRIME1	0x9e3779b185ebca87ULL
#define PRIME2	0xc2b2ae3d27d4eb4fULL
#define PRIME3	0x165667b19e3779f9ULL
#define PRIME4	0x85ebca77c2b2ae63ULL
#define PRIME5	0x27d4eb2f165667c5ULL

static u64 rotl(u64 x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return le64_to_cpu(v);
}

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return le32_to_cpu(v);
}

static u64 round64(u64 acc, u64 input)
{
	acc += input * PRIME2;
	return rotl(acc, 31) * PRIME1;
}

static u64 merge64(u64 acc, u64 val)
{
	acc ^= round64(0, val);
	return acc * PRIME1 + PRIME4;
}

u64 xxh64(const void *input, size_t len, u64 seed)
{
	const u8 *p = input, *end = p + len;
	u64 h, v1, v2, v3, v4;

	if (len >= 32) {
		v1 = seed + PRIME1 + PRIME2;
		v2 = seed + PRIME2;
		v3 = seed;
		v4 = seed - PRIME1;
		do {
			v1 = round64(v1, get64(p));
			v2 = round64(v2, get64(p + 8));
			v3 = round64(v3, get64(p + 16));
			v4 = round64(v4, get64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge64(h, v1);
		h = merge64(h, v2);
		h = merge64(h, v3);
		h = merge64(h, v4);
	} else {
		h = seed + PRIME5;
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ round64(0, get64(p)), 27) * PRIME1 + PRIME4;
	if (end - p >= 4) {
		h = rotl(h ^ (u64)get32(p) * PRIME1, 23) * PRIME2 + PRIME3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * PRIME5, 11) * PRIME1;
	h ^= h >> 33;
	h *= PRIME2;
	h ^= h >> 29;
	h *= PRIME3;
	h ^= h >> 32;
	return h;
}
