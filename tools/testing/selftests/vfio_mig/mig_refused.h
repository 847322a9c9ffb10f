/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a refused migration stream may leave in a destination's device
 * memory, for the bad-stream tests of both protocols: fill the memory
 * with a pattern first, then after the refusal it must hold the pattern,
 * changed only by the memory records that end before the damaged byte.
 * Include it after kselftest_harness.h and mig_v1_util.h.
 */
#ifndef MIG_REFUSED_H
#define MIG_REFUSED_H

#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mdma_util.h"
#include "vfio_mig_stream.h"

/*
 * Fill all of @m's device memory with the pattern of @seed through BAR2's
 * region (no mapping) and return a copy of it, which the caller frees:
 * what a destination held before a stream was fed to it.
 */
static inline uint8_t *mig_mem_fill(struct mdma *m, uint32_t seed)
{
	uint8_t *mem = malloc(m->mem_size);

	if (!mem) {
		vfio_set_error(-ENOMEM, "no memory for a device image");
		return NULL;
	}
	mdma_pattern(mem, m->mem_size, seed);
	if (vfio_region_write(&m->dev, &m->bar2, 0, mem, m->mem_size)) {
		free(mem);
		return NULL;
	}
	return mem;
}

/*
 * What a refused stream may have done to device memory @mem (@size
 * bytes): stream @buf (@len bytes, undamaged) was fed with byte @bad
 * damaged, so each memory record that ends before @bad reached the device
 * and the record holding @bad and all after it did not. The memory
 * sections are the ITERATIVE ones @buf's header names. Return 0, or
 * -EINVAL if @buf does not parse (the caller's stream is wrong).
 */
static inline int mig_apply_before(const uint8_t *buf, size_t len,
				   size_t bad, uint8_t *mem, uint64_t size)
{
	const size_t rec = sizeof(struct vfio_mig_rec);
	const struct vfio_mig_stream_hdr *h = (const void *)(buf + rec);
	size_t pos = 0, end;
	uint32_t i, nr;

	if (len < rec + sizeof(*h))
		return -EINVAL;
	nr = le32toh(h->nr_sections);
	if (nr > VFIO_MIG_MAX_SECTIONS)
		return -EINVAL;
	for (; pos + rec <= len; pos = end) {
		const struct vfio_mig_rec *r = (const void *)(buf + pos);
		uint64_t off = le64toh(r->offset);
		uint32_t n = le32toh(r->len);

		end = pos + rec + n;
		if (end > len)
			return -EINVAL;
		if (end > bad)
			return 0;
		if (le16toh(r->type) != VFIO_MIG_REC_DATA)
			continue;
		for (i = 0; i < nr; i++) {
			if (le32toh(h->sections[i].id) != le16toh(r->section) ||
			    le32toh(h->sections[i].kind) !=
			    VFIO_MIG_SECTION_ITERATIVE)
				continue;
			if (off > size || n > size - off)
				return -EINVAL;
			memcpy(mem + off, buf + pos + rec, n);
		}
	}
	return 0;
}

/*
 * Compare @m's device memory, read through BAR2's region, with @want.
 * Return -1 when equal, else the first offset that differs (or 0 when the
 * memory could not be read).
 */
static inline int64_t mig_mem_diff(struct mdma *m, const uint8_t *want)
{
	uint8_t *got = malloc(m->mem_size);
	int64_t at = -1;
	uint64_t i;

	if (!got || vfio_region_read(&m->dev, &m->bar2, 0, got, m->mem_size)) {
		free(got);
		return 0;
	}
	if (memcmp(got, want, m->mem_size))
		for (i = 0; i < m->mem_size && at < 0; i++)
			if (got[i] != want[i])
				at = i;
	free(got);
	return at;
}

/*
 * Fill @dst's memory with a pattern before a bad stream is fed to it;
 * *@before (freed first) becomes the copy that mig_expect_refused() checks.
 */
static inline void mig_fill_before(struct __test_metadata *_metadata,
				   struct mdma *dst, uint8_t **before)
{
	free(*before);
	*before = mig_mem_fill(dst, 0x5eed);
	ASSERT_NE(NULL, *before) TH_LOG("%s", vfio_errmsg());
}

/*
 * After the good stream @buf (@len bytes), damaged at byte @bad, was
 * refused: @dst's memory holds @before changed only by the memory
 * records that end before @bad; the damaged record and those after it
 * never reached the device.
 */
static inline void mig_expect_refused(struct __test_metadata *_metadata,
				      struct mdma *dst, uint8_t *before,
				      const uint8_t *buf, size_t len,
				      size_t bad)
{
	ASSERT_EQ(0, mig_apply_before(buf, len, bad, before, dst->mem_size));
	EXPECT_EQ(-1, mig_mem_diff(dst, before))
		TH_LOG("damage at byte %zu", bad);
}

#endif /* MIG_REFUSED_H */
