/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drivers/vfio/mig/pure.h for user space: the few kernel interfaces the
 * pure parts of vfio_mig and mdma use (types, byte order, bit operations,
 * xxh64), so the same .c files build into the host-native tests, the
 * fuzzers and libvfiomig. It takes pure.h's include guard, so included
 * first it stands in for it.
 */
#ifndef _VFIO_MIG_PURE_H
#define _VFIO_MIG_PURE_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the host-native build assumes a little-endian machine"
#endif
#define cpu_to_le16(x)	((__le16)(x))
#define cpu_to_le32(x)	((__le32)(x))
#define cpu_to_le64(x)	((__le64)(x))
#define le16_to_cpu(x)	((u16)(x))
#define le32_to_cpu(x)	((u32)(x))
#define le64_to_cpu(x)	((u64)(x))

/* Test harnesses may have defined some of these already. */
#ifndef BIT
#define BIT(n)			(1UL << (n))
#endif
#ifndef BITS_PER_LONG
#define BITS_PER_LONG		(8 * sizeof(long))
#endif
#ifndef BITS_TO_LONGS
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef U64_MAX
#define U64_MAX			(~0ULL)
#endif
#ifndef min
#define min(a, b)		({ __typeof__(a) _a = (a), _b = (b);	\
				   _a < _b ? _a : _b; })
#endif
#ifndef max
#define max(a, b)		({ __typeof__(a) _a = (a), _b = (b);	\
				   _a > _b ? _a : _b; })
#endif
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

#ifndef EBADMSG
#define EBADMSG 74
#endif

#ifndef BUILD_BUG_ON
#define BUILD_BUG_ON(c)		static_assert(!(c), #c)
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE		4096UL
#endif
#define PAGE_ALIGNED(x)		(((x) & (PAGE_SIZE - 1)) == 0)

static inline void *memchr_inv(const void *p, int c, size_t n)
{
	const unsigned char *b = p;

	for (; n; n--, b++)
		if (*b != (unsigned char)c)
			return (void *)b;
	return NULL;
}

/* tools/lib/vfio_mig/xxhash.c: the kernel's xxh64(), in user space. */
u64 xxh64(const void *input, size_t len, u64 seed);

static inline bool test_and_set_bit(unsigned long nr, unsigned long *map)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_or(&map[nr / BITS_PER_LONG], m,
				 __ATOMIC_SEQ_CST) & m;
}

static inline bool test_and_clear_bit(unsigned long nr, unsigned long *map)
{
	unsigned long m = 1UL << (nr % BITS_PER_LONG);

	return __atomic_fetch_and(&map[nr / BITS_PER_LONG], ~m,
				  __ATOMIC_SEQ_CST) & m;
}

static inline bool test_bit(unsigned long nr, const unsigned long *map)
{
	return (__atomic_load_n(&map[nr / BITS_PER_LONG], __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static inline unsigned long find_next_bit(const unsigned long *map,
					  unsigned long size,
					  unsigned long bit)
{
	unsigned long w;

	while (bit < size) {
		w = __atomic_load_n(&map[bit / BITS_PER_LONG],
				    __ATOMIC_RELAXED) >> (bit % BITS_PER_LONG);
		if (w) {
			bit += __builtin_ctzl(w);
			return bit < size ? bit : size;
		}
		bit = (bit / BITS_PER_LONG + 1) * BITS_PER_LONG;
	}
	return size;
}

static inline void set_bit(unsigned long nr, unsigned long *map)
{
	__atomic_fetch_or(&map[nr / BITS_PER_LONG], 1UL << (nr % BITS_PER_LONG),
			  __ATOMIC_SEQ_CST);
}

static inline unsigned int hweight_long(unsigned long w)
{
	return __builtin_popcountl(w);
}

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#include <linux/vfio_mig_defs.h>

#endif /* _VFIO_MIG_PURE_H */
