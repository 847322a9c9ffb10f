// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the DMA engine.
 *
 * DOORBELL queues a copy of the descriptor registers; one work item per
 * instance runs the queue in order while CTRL.ENABLE is set. Guest memory
 * is reached only through vfio_pin_pages(): a descriptor is cut into
 * chunks of at most VFIO_PIN_PAGES_MAX_ENTRIES pages, and each chunk is
 * pinned, copied through kmap_local_page() and unpinned again while
 * s->chunk_busy says so (see mdma.h for why no lock is held there).
 *
 * .dma_unmap marks every queued or running descriptor whose guest range
 * overlaps the unmapped range aborted, then waits for the chunk in flight;
 * the engine checks for an abort before each chunk.
 * A reset bumps s->generation instead: the running descriptor is
 * abandoned and its result is dropped.
 *
 * FILL_GUEST writes byte i of the destination (counted from the start of
 * the descriptor) with byte (i % 4) of PATTERN in little-endian order.
 *
 * The engine runs only at run level VFIO_MIG_RUNNING. When the level drops
 * (migration stops the device) the running descriptor parks before its
 * next chunk: it goes back to the head of the queue with its progress and
 * continues from there when the device runs again, here or, migrated, on
 * another instance. Device memory the engine writes is reported to
 * vfio_mig after each chunk.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/minmax.h>
#include <linux/sched.h>

#include "mdma.h"

#define MDMA_CHUNK_BYTES	((u64)VFIO_PIN_PAGES_MAX_ENTRIES * PAGE_SIZE)
/* Not an MDMA_ERR_*: the descriptor stopped for the device to stop. */
#define MDMA_PARKED		U32_MAX

static bool mdma_engine_on(struct mdma_state *s)
{
	return (s->regs.ctrl & MDMA_CTRL_ENABLE) &&
	       s->run_level == VFIO_MIG_RUNNING;
}

/* Queue the work item if there is anything to run. */
void mdma_dma_kick(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);
	if (mdma_engine_on(s) && s->queue_count)
		queue_work(mdma_wq, &s->dma_work);
}

/* Empty the queue and abandon the running descriptor. */
void mdma_dma_abort_locked(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);
	s->generation++;
	s->queue_head = 0;
	s->queue_count = 0;
	if (s->running)
		s->running_aborted = true;
}

/*
 * Stop the engine: clear CTRL.ENABLE, empty the queue, abandon the running
 * descriptor and wait for the work item. Nothing is pinned afterwards.
 */
void mdma_dma_quiesce(struct mdma_state *s)
{
	mutex_lock(&s->lock);
	mdma_dma_abort_locked(s);
	s->regs.ctrl &= ~MDMA_CTRL_ENABLE;
	s->regs.status &= ~(MDMA_STATUS_ENABLED | MDMA_STATUS_BUSY);
	mutex_unlock(&s->lock);
	mdma_dma_wait_idle(s);
	cancel_work_sync(&s->dma_work);
}

/*
 * Wait for the chunk in flight, if any. The caller aborted what it must
 * not run on under s->lock first, so no new chunk of it starts.
 */
void mdma_dma_wait_idle(struct mdma_state *s)
{
	wait_event(s->chunk_wq, !READ_ONCE(s->chunk_busy));
}

/* The guest side of a descriptor; false if it has none. */
static bool mdma_desc_iova(const struct mdma_desc *d, u64 *iova)
{
	switch (d->cmd) {
	case MDMA_CMD_DEV_TO_GUEST:
	case MDMA_CMD_FILL_GUEST:
		*iova = d->dst;
		return true;
	case MDMA_CMD_GUEST_TO_DEV:
		*iova = d->src;
		return true;
	default:
		return false;
	}
}

static bool mdma_desc_overlaps(const struct mdma_desc *d, u64 iova,
			       u64 length)
{
	u64 start, last, ulast;

	if (!length || !d->len || !mdma_desc_iova(d, &start))
		return false;
	last = start + d->len - 1;
	if (last < start)
		last = U64_MAX;
	ulast = iova + length - 1;
	if (ulast < iova)
		ulast = U64_MAX;
	return start <= ulast && iova <= last;
}

void mdma_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	unsigned int i;

	mutex_lock(&s->lock);
	for (i = 0; i < s->queue_count; i++) {
		struct mdma_desc *d =
			&s->queue[(s->queue_head + i) % MDMA_DMA_QUEUE_DEPTH];

		if (mdma_desc_overlaps(d, iova, length))
			d->aborted = true;
	}
	if (s->running && mdma_desc_overlaps(&s->running_desc, iova, length))
		s->running_aborted = true;
	mutex_unlock(&s->lock);
	/* type1 goes on once nothing of the range is pinned. */
	mdma_dma_wait_idle(s);
}

static void mdma_fill(u8 *dst, size_t n, u32 pattern, u64 pos)
{
	while (n--) {
		*dst++ = pattern >> (8 * (pos & 3));
		pos++;
	}
}

/* Copy one pinned chunk. */
static void mdma_dma_copy(struct mdma_state *s, const struct mdma_desc *d,
			  size_t pg_off, u64 chunk, u64 dev_off, u64 pos)
{
	unsigned int i;

	for (i = 0; chunk; i++) {
		size_t n = min_t(u64, chunk, PAGE_SIZE - pg_off);
		struct page *page = s->pages[i];
		u8 *va = kmap_local_page(page);

		switch (d->cmd) {
		case MDMA_CMD_DEV_TO_GUEST:
			memcpy(va + pg_off, s->mem + dev_off, n);
			flush_dcache_page(page);
			break;
		case MDMA_CMD_GUEST_TO_DEV:
			memcpy(s->mem + dev_off, va + pg_off, n);
			mdma_mig_mark_memory(s, dev_off, n);
			break;
		case MDMA_CMD_FILL_GUEST:
			mdma_fill(va + pg_off, n, d->pattern, pos);
			flush_dcache_page(page);
			break;
		}
		kunmap_local(va);
		chunk -= n;
		dev_off += n;
		pos += n;
		pg_off = 0;
	}
}

/*
 * Before each chunk: stop for an abort, park for a stopped device, or
 * claim the chunk (s->chunk_busy) for pinning.
 */
static u32 mdma_chunk_begin(struct mdma_state *s, u32 generation)
{
	u32 ret = MDMA_ERR_NONE;

	mutex_lock(&s->lock);
	if (s->running_aborted || s->generation != generation)
		ret = MDMA_ERR_ABORTED;
	else if (s->run_level != VFIO_MIG_RUNNING)
		ret = MDMA_PARKED;
	else
		WRITE_ONCE(s->chunk_busy, true);
	mutex_unlock(&s->lock);
	return ret;
}

/* The chunk is unpinned: let waiters for an idle engine go on. */
static void mdma_chunk_end(struct mdma_state *s)
{
	mutex_lock(&s->lock);
	WRITE_ONCE(s->chunk_busy, false);
	mutex_unlock(&s->lock);
	wake_up_all(&s->chunk_wq);
}

/*
 * Run one descriptor from d->progress on; returns an MDMA_ERR_* code, or
 * MDMA_PARKED with d->progress updated.
 */
static u32 mdma_dma_run(struct mdma_state *s, struct mdma_desc *d,
			u32 generation)
{
	u64 iova, dev_off = 0, done;
	int prot;

	switch (d->cmd) {
	case MDMA_CMD_DEV_TO_GUEST:
		dev_off = d->src;
		iova = d->dst;
		prot = IOMMU_WRITE;
		break;
	case MDMA_CMD_GUEST_TO_DEV:
		iova = d->src;
		dev_off = d->dst;
		prot = IOMMU_READ;
		break;
	case MDMA_CMD_FILL_GUEST:
		iova = d->dst;
		prot = IOMMU_WRITE;
		break;
	default:
		return MDMA_ERR_BAD_CMD;
	}
	if (!d->len || d->len > MDMA_DMA_MAX_LEN)
		return MDMA_ERR_BAD_LEN;
	if (d->cmd != MDMA_CMD_FILL_GUEST &&
	    (dev_off >= s->mem_size || d->len > s->mem_size - dev_off))
		return MDMA_ERR_BAD_RANGE;
	if (iova + d->len - 1 < iova)
		return MDMA_ERR_BAD_IOVA;

	for (done = d->progress; done < d->len; ) {
		u64 cur = iova + done;
		u64 base = cur & ~((u64)PAGE_SIZE - 1);
		size_t pg_off = offset_in_page(cur);
		u64 chunk = min_t(u64, d->len - done, MDMA_CHUNK_BYTES - pg_off);
		int npage = DIV_ROUND_UP(pg_off + chunk, PAGE_SIZE);
		u32 stop;
		int ret;

		stop = mdma_chunk_begin(s, generation);
		if (stop) {
			d->progress = done;
			return stop;
		}
		ret = vfio_pin_pages(&s->vdev, base, npage, prot, s->pages);
		if (ret != npage) {
			if (ret > 0)
				vfio_unpin_pages(&s->vdev, base, ret);
			mdma_chunk_end(s);
			/*
			 * type1 tells .dma_unmap only about ranges with pages
			 * pinned, so an unmap between two chunks shows up
			 * here: after the first chunk it is an abort.
			 */
			return done ? MDMA_ERR_ABORTED : MDMA_ERR_BAD_IOVA;
		}
		atomic_long_add(npage, &s->pinned_pages);
		mdma_dma_copy(s, d, pg_off, chunk, dev_off + done, done);
		vfio_unpin_pages(&s->vdev, base, npage);
		atomic_long_sub(npage, &s->pinned_pages);
		mdma_chunk_end(s);

		done += chunk;
		cond_resched();
	}
	return MDMA_ERR_NONE;
}

void mdma_dma_work(struct work_struct *work)
{
	struct mdma_state *s = container_of(work, struct mdma_state, dma_work);
	struct mdma_desc d;
	u32 generation, err;

	for (;;) {
		mutex_lock(&s->lock);
		if (!mdma_engine_on(s) || !s->queue_count) {
			s->regs.status &= ~MDMA_STATUS_BUSY;
			mutex_unlock(&s->lock);
			return;
		}
		d = s->queue[s->queue_head];
		s->queue_head = (s->queue_head + 1) % MDMA_DMA_QUEUE_DEPTH;
		s->queue_count--;
		s->running = true;
		s->running_desc = d;
		s->running_aborted = d.aborted;
		s->regs.status |= MDMA_STATUS_BUSY;
		generation = s->generation;
		mutex_unlock(&s->lock);

		err = mdma_dma_run(s, &d, generation);

		mutex_lock(&s->lock);
		s->running = false;
		if (err == MDMA_PARKED && generation == s->generation) {
			/* Back to the head of the queue; its slot was kept. */
			s->queue_head = (s->queue_head + MDMA_DMA_QUEUE_DEPTH - 1) %
					MDMA_DMA_QUEUE_DEPTH;
			d.aborted = s->running_aborted;
			s->queue[s->queue_head] = d;
			s->queue_count++;
			s->regs.status &= ~MDMA_STATUS_BUSY;
			mutex_unlock(&s->lock);
			return;
		}
		if (generation == s->generation) {
			if (err) {
				s->regs.dma_error = err;
				s->regs.status |= MDMA_STATUS_ERROR;
				mdma_irq_raise(s, MDMA_IRQ_ERROR);
			} else {
				s->regs.dma_completed++;
				mdma_irq_raise(s, MDMA_IRQ_DONE);
			}
		}
		mutex_unlock(&s->lock);
		cond_resched();
	}
}
