/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the protocol v1 migration kselftests (mig_v1_*.c): raw access
 * to the migration region's header, whole streams saved and loaded through
 * libvfio's v1 client, a source instance with distinctive state, digests,
 * and the few stream fields the bad-stream tests rewrite.
 *
 * Static functions in a header, as tools/testing/selftests/iommufd does:
 * each test binary is one translation unit.
 */
#ifndef _MIG_V1_UTIL_H
#define _MIG_V1_UTIL_H

/*
 * A test whose body is one call gets inlined into the harness's wrapper,
 * and GCC then warns that the wrapper's own "child" may be clobbered by
 * its longjmp(): a false positive, "child" is not written after setjmp().
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio_mig.h>

#include "mdma_util.h"
#include "vfio_migration.h"
#include "vfio_mig_stream.h"

#define MIG_PAGE		4096UL

/* Offset in the region of a header field, by its uapi name. */
#define MIG_HDR(field)	offsetof(struct vfio_device_migration_info, field)

/* Where the tests map guest memory in a container. */
#define MIG_IOVA	0x40000000ULL

/* Raw pread()/pwrite() of the region: 0 or -errno, a short access is -EIO. */
static inline int mig_raw_rw(struct vfio_mig_v1 *m, uint64_t off, void *buf,
			     size_t len, bool write)
{
	ssize_t n;

	if (write)
		n = pwrite(m->dev->fd, buf, len, m->region.offset + off);
	else
		n = pread(m->dev->fd, buf, len, m->region.offset + off);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static inline int mig_rd(struct vfio_mig_v1 *m, uint64_t off, void *buf,
			 size_t len)
{
	return mig_raw_rw(m, off, buf, len, false);
}

static inline int mig_wr(struct vfio_mig_v1 *m, uint64_t off,
			 const void *buf, size_t len)
{
	return mig_raw_rw(m, off, (void *)buf, len, true);
}

/* device_state, or 0xdeadbeef if it cannot be read. */
static inline uint32_t mig_state(struct vfio_mig_v1 *m)
{
	uint32_t st;

	if (mig_rd(m, MIG_HDR(device_state), &st, sizeof(st)))
		return 0xdeadbeef;
	return st;
}

/*
 * Write device_state with one 4-byte pwrite(): 0 or -errno. As with the
 * helpers of iommufd's selftests, mig_set() asserts that it succeeds
 * (with vfio_errmsg() in the log) and mig_set_err() expects an errno.
 */
static inline int __mig_set(struct vfio_mig_v1 *m, uint32_t st)
{
	return mig_wr(m, MIG_HDR(device_state), &st, sizeof(st));
}

#define mig_set(m, st)						\
	({ ASSERT_EQ(0, __mig_set(m, st)) TH_LOG("%s", vfio_errmsg()); })
#define mig_set_err(_errno, m, st)					\
	EXPECT_EQ(-(_errno), __mig_set(m, st))

/* pending_bytes (this read also acknowledges a staged chunk). */
static inline uint64_t mig_pending(struct vfio_mig_v1 *m)
{
	uint64_t v;

	if (vfio_mig_v1_pending(m, &v))
		return ~0ULL;
	return v;
}

/*
 * Hand one chunk to a RESUMING device by trapped writes: the data at the
 * window, then its length to data_size. Return 0 or the -errno of the
 * access that failed, so a test sees exactly what the data_size write
 * returned.
 */
static inline int mig_feed_raw(struct vfio_mig_v1 *m, const void *buf,
			       uint64_t len)
{
	uint64_t off;
	int ret;

	ret = mig_rd(m, MIG_HDR(data_offset), &off, sizeof(off));
	if (ret)
		return ret;
	if (len) {
		ret = mig_wr(m, off, buf, len);
		if (ret)
			return ret;
	}
	return mig_wr(m, MIG_HDR(data_size), &len, sizeof(len));
}

/* A saved stream, with the length of every chunk it was saved in. */
struct mig_stream {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t *chunk;
	unsigned int nchunks;
	unsigned int chunk_cap;
};

static inline void mig_stream_free(struct mig_stream *s)
{
	free(s->buf);
	free(s->chunk);
	memset(s, 0, sizeof(*s));
}

/* Make room for one more chunk of up to @room bytes. */
static inline int mig_stream_grow(struct mig_stream *s, size_t room)
{
	if (s->cap - s->len < room) {
		size_t cap = s->cap ? s->cap : room;
		uint8_t *p;

		while (cap - s->len < room)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p)
			return -ENOMEM;
		s->buf = p;
		s->cap = cap;
	}
	if (s->nchunks == s->chunk_cap) {
		unsigned int n = s->chunk_cap ? 2 * s->chunk_cap : 64;
		uint64_t *c = realloc(s->chunk, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		s->chunk = c;
		s->chunk_cap = n;
	}
	return 0;
}

/*
 * Take the staged chunk (data_offset, data_size, data) without looking at
 * pending_bytes first, and append it to @s; @got is its length.
 */
static inline int mig_save_chunk(struct vfio_mig_v1 *m, struct mig_stream *s,
				 uint64_t *got)
{
	uint64_t len = 0;
	int ret;

	*got = 0;
	ret = mig_stream_grow(s, m->data_size);
	if (ret)
		return ret;
	ret = vfio_mig_v1_save_chunk(m, s->buf + s->len, m->data_size, &len);
	if (ret)
		return ret;
	if (len > m->data_size)
		return -EOVERFLOW;
	if (len) {
		s->len += len;
		s->chunk[s->nchunks++] = len;
	}
	*got = len;
	return 0;
}

/*
 * One save iteration as QEMU does it: pending_bytes, then (if there is
 * anything) one chunk appended to @s. @got receives the chunk's length
 * (0 if nothing was pending). Return 0 or -errno.
 */
static inline int mig_save_iter(struct vfio_mig_v1 *m, struct mig_stream *s,
				uint64_t *got)
{
	uint64_t pending;
	int ret;

	*got = 0;
	ret = vfio_mig_v1_pending(m, &pending);
	if (ret || !pending)
		return ret;
	return mig_save_chunk(m, s, got);
}

/*
 * Save until pending_bytes reads 0 (the stop-and-copy loop); a chunk of 0
 * bytes while something is pending is an error (-EPROTO). @bytes, if not
 * NULL, receives the bytes this call appended.
 */
static inline int mig_save_rest(struct vfio_mig_v1 *m, struct mig_stream *s,
				uint64_t *bytes)
{
	size_t start = s->len;
	uint64_t pending, got;
	int ret;

	for (;;) {
		ret = vfio_mig_v1_pending(m, &pending);
		if (ret)
			return ret;
		if (!pending)
			break;
		ret = mig_save_iter(m, s, &got);
		if (ret)
			return ret;
		if (!got)
			return -EPROTO;
	}
	if (bytes)
		*bytes = s->len - start;
	return 0;
}

/* RUNNING -> STOP_COPY, the whole stream, -> STOP. */
static inline int mig_save_all(struct vfio_mig_v1 *m, struct mig_stream *s)
{
	int ret;

	ret = vfio_mig_v1_set_state(m, VFIO_DEVICE_STATE_V1_SAVING);
	if (!ret)
		ret = mig_save_rest(m, s, NULL);
	if (!ret)
		ret = vfio_mig_v1_set_state(m, VFIO_DEVICE_STATE_V1_STOP);
	return ret;
}

/* Replay chunks [from, to) of @s into a RESUMING device with the client. */
static inline int mig_load_range(struct vfio_mig_v1 *m,
				 const struct mig_stream *s,
				 unsigned int from, unsigned int to)
{
	size_t pos = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < to; i++) {
		if (i >= from) {
			ret = vfio_mig_v1_load_chunk(m, s->buf + pos,
						     s->chunk[i]);
			if (ret)
				return ret;
		}
		pos += s->chunk[i];
	}
	return 0;
}

/* RESUMING, every chunk of @s, RUNNING. */
static inline int mig_load_all(struct vfio_mig_v1 *m,
			       const struct mig_stream *s)
{
	int ret;

	ret = vfio_mig_v1_set_state(m, VFIO_DEVICE_STATE_V1_RESUMING);
	if (!ret)
		ret = mig_load_range(m, s, 0, s->nchunks);
	if (!ret)
		ret = vfio_mig_v1_set_state(m, VFIO_DEVICE_STATE_V1_RUNNING);
	return ret;
}

/* Byte offset of chunk @i in @s. */
static inline size_t mig_chunk_pos(const struct mig_stream *s, unsigned int i)
{
	size_t pos = 0;
	unsigned int j;

	for (j = 0; j < i; j++)
		pos += s->chunk[j];
	return pos;
}

/*
 * Give a source instance state worth migrating: device memory filled with
 * a pattern of @seed, PCI_COMMAND set, one fill run (so DMA_COMPLETED and
 * IRQ_STATUS are not at reset values), distinctive IRQ_MASK and SCRATCH,
 * the engine disabled and @ndesc descriptors queued behind it: parked
 * work that must travel with the device. @guest is mapped at MIG_IOVA in
 * @m's container (at least 64 KiB); the caller frees it.
 */
static inline int mig_populate(struct mdma *m, uint32_t seed,
			       unsigned int ndesc, struct vfio_dma_buf *guest)
{
	uint32_t err;
	unsigned int i;
	int ret;

	ret = vfio_pci_config_write(&m->dev, PCI_COMMAND, 2,
				    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (!ret)
		ret = mdma_map_bar2(m);
	if (!ret)
		ret = vfio_dma_alloc(&m->container, MIG_IOVA, 64 << 10, guest);
	if (ret)
		return ret;
	mdma_pattern(m->map, m->mem_size, seed);
	ret = mdma_run(m, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA, 4096, seed, &err);
	if (ret)
		return ret;
	if (err != MDMA_ERR_NONE)
		return vfio_set_error(-EIO, "fill run failed: DMA_ERROR %u",
				      err);
	ret = mdma_wr(m, MDMA_REG_CTRL, 0);
	ret = ret ?: mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ERROR);
	ret = ret ?: mdma_wr(m, MDMA_REG_SCRATCH, seed ^ 0xa5c3e1f7);
	for (i = 0; !ret && i < ndesc; i++)
		ret = mdma_submit(m, MDMA_CMD_DEV_TO_GUEST, i * 8192 + 3,
				  MIG_IOVA + 4096 + i * 512, 100 + i,
				  seed + i);
	if (ret)
		return ret;
	if (mdma_reg(m, MDMA_REG_DMA_QUEUED) != ndesc)
		return vfio_set_error(-EIO, "%u descriptors queued, not %u",
				      mdma_reg(m, MDMA_REG_DMA_QUEUED), ndesc);
	return 0;
}

/*
 * The descriptors mig_populate() parked on @src run on @dst after it took
 * @src's state: enable @dst's engine against fresh guest memory at
 * MIG_IOVA (@dbuf, filled with @guard) and check that each of the
 * @ndesc copies of @src's device memory landed.
 */
static inline void mig_run_parked(struct __test_metadata *_metadata,
				  struct mdma *src, struct mdma *dst,
				  struct vfio_dma_buf *dbuf,
				  unsigned int ndesc, uint8_t guard)
{
	uint8_t *g, want[128];
	unsigned int i;

	EXPECT_EQ(ndesc, mdma_reg(dst, MDMA_REG_DMA_QUEUED));
	ASSERT_EQ(0, vfio_dma_alloc(&dst->container, MIG_IOVA, 64 << 10,
				    dbuf));
	g = dbuf->vaddr;
	memset(g, guard, dbuf->size);
	ASSERT_EQ(0, mdma_map_bar2(src));
	ASSERT_EQ(0, mdma_wr(dst, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_wr(dst, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wait(dst, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(1 + ndesc, mdma_reg(dst, MDMA_REG_DMA_COMPLETED));
	for (i = 0; i < ndesc; i++) {
		memcpy(want, src->map + i * 8192 + 3, 100 + i);
		EXPECT_EQ(-1, mdma_cmp(g + 4096 + i * 512, want, 100 + i))
			TH_LOG("descriptor %u", i);
	}
}

/* Where the pre-copy workload's guest memory lives. */
#define WORK_IOVA	0x50000000ULL
#define WORK_SIZE	(1024UL * 1024)

/*
 * The pre-copy workload: keep up to @depth GUEST_TO_DEV copies of the
 * guest memory at WORK_IOVA queued on @m, spread over the first half of
 * its device memory; @n counts the copies queued so far.
 */
static inline int mig_keep_busy(struct mdma *m, unsigned int depth,
				unsigned int *n)
{
	uint32_t queued = mdma_reg(m, MDMA_REG_DMA_QUEUED);
	uint64_t dev;
	int ret = 0;

	if (queued == 0xdeadbeef)
		return -EIO;
	while (!ret && queued++ < depth) {
		dev = ((uint64_t)*n * WORK_SIZE + *n * 4096) %
		      (m->mem_size / 2);
		ret = mdma_submit(m, MDMA_CMD_GUEST_TO_DEV, WORK_IOVA, dev,
				  WORK_SIZE, 0);
		(*n)++;
	}
	return ret;
}

/* Compare what the tests compare of two digests; "" when equal. */
static inline const char *mig_digest_diff(const struct mdma_digest *a,
					  const struct mdma_digest *b)
{
	if (strcmp(a->type, b->type))
		return "type";
	if (a->mem_size != b->mem_size)
		return "mem_size";
	if (a->mem_crc32 != b->mem_crc32)
		return "mem_crc32";
	if (a->regs_crc32 != b->regs_crc32)
		return "regs_crc32";
	if (a->queue_crc32 != b->queue_crc32)
		return "queue_crc32";
	if (a->intx_masked != b->intx_masked)
		return "intx_masked";
	if (a->dma_queued != b->dma_queued)
		return "dma_queued";
	return "";
}

static inline long long mig_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait until the device's DMA changed the first byte of @g from @guard:
 * the engine is inside its first chunk. Return 0 or -ETIMEDOUT.
 */
static inline int mig_wait_first_byte(const uint8_t *g, uint8_t guard)
{
	long long end = mig_now_ms() + MDMA_TIMEOUT_MS;

	while (__atomic_load_n(g, __ATOMIC_RELAXED) == guard)
		if (mig_now_ms() > end)
			return -ETIMEDOUT;
	return 0;
}

/*
 * Where the tests find and rewrite parts of a stream, from the structures
 * of <uapi/linux/vfio_mig_stream.h>: a stream starts with a record header
 * and the stream header payload; mdma's second section is its memory. A
 * rewritten record's checksum is made right again with the project's own
 * codec (libvfiomig, the stream.c the module runs).
 */
#define STREAM_REC_LEN		sizeof(struct vfio_mig_rec)
#define STREAM_REC_PAYLOAD_LEN	offsetof(struct vfio_mig_rec, len)
#define STREAM_HDR_VERSION	offsetof(struct vfio_mig_stream_hdr, version)
#define STREAM_HDR_TYPE		offsetof(struct vfio_mig_stream_hdr, device_type)
#define STREAM_HDR_SECTION(i)	offsetof(struct vfio_mig_stream_hdr, sections[i])
#define STREAM_SEC_SIZE		offsetof(struct vfio_mig_section_desc, size)
/* The header record and the end record, with their payloads. */
#define STREAM_HDR_REC_LEN	(STREAM_REC_LEN + sizeof(struct vfio_mig_stream_hdr))
#define STREAM_END_REC_LEN	(STREAM_REC_LEN + sizeof(struct vfio_mig_stream_end))

#endif /* _MIG_V1_UTIL_H */
