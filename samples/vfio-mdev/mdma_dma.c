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
 * Fences. type1 calls .dma_unmap with its iommu->lock dropped, and takes
 * the lock again afterwards to check that nothing of the range is pinned;
 * if something is, it calls .dma_unmap again, and after ten such retries
 * on the same mapping it hits a BUG_ON(). Aborting what is queued is not
 * enough: a descriptor rung after .dma_unmap returned could pin the range
 * again before type1 retakes its lock, and a guest ringing in a loop could
 * do so every time. So .dma_unmap first fences the range: it adds it to
 * s->fences, and before every chunk (under s->lock and s->fence_lock, in
 * mdma_chunk_begin()) the engine refuses to pin a page of a fenced range:
 * the descriptor ends with MDMA_ERR_ABORTED, as one the unmap caught in
 * flight. The fence must stay up until type1 has removed the mapping,
 * which it does before the VFIO_IOMMU_UNMAP_DMA ioctl (the only caller of
 * .dma_unmap) returns to user space, and must come down then, so that a
 * VMM can map the same IOVA again and run DMA on it. It does so exactly:
 * the fence is lifted by a task_work queued on the unmapping task with
 * TWA_RESUME, which runs when that task returns to user space. Further
 * .dma_unmap calls of the same ioctl (type1's retries, more mappings in
 * the range) widen the task's fence instead of adding one. A caller that
 * will not return to user space (a kernel thread, an exiting task) gets
 * no fence and leaves the range unfenced, as before. The release of the
 * instance waits until every fence is lifted, so the task_work never
 * outlives the instance it points to.
 *
 * FILL_GUEST writes byte i of the destination (counted from the start of
 * the descriptor) with byte (i % 4) of PATTERN in little-endian order.
 *
 * The engine runs only at run level VFIO_MIG_RUNNING. When the level drops
 * (migration stops the device) the running descriptor parks before its
 * next chunk: it goes back to the head of the queue with its progress and
 * continues from there when the device runs again, here or, migrated, on
 * another instance. Device memory the engine writes is reported to
 * vfio_mig after each chunk, and guest memory it writes to the DMA log
 * (mdma_log.c).
 *
 * The work item runs as a KCOV remote section under the common handle of
 * the task that last rang DOORBELL, so a fuzzer that collects remote
 * coverage (tools/testing/fuzz/) sees the engine run its descriptors.
 * Without CONFIG_KCOV both calls are empty.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/kcov.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mdma.h"

#define MDMA_CHUNK_BYTES	((u64)VFIO_PIN_PAGES_MAX_ENTRIES * PAGE_SIZE)
/* Not an MDMA_ERR_*: the descriptor stopped for the device to stop. */
#define MDMA_PARKED		U32_MAX

/*
 * Only an open device runs DMA: pinning needs a user of the container,
 * and a closed device can still be driven to RUNNING by the management
 * channel (with a loaded queue) or by vfio_mig_close() itself.
 */
static bool mdma_engine_on(struct mdma_state *s)
{
	return s->open && (s->regs.ctrl & MDMA_CTRL_ENABLE) &&
	       s->run_level == VFIO_MIG_RUNNING;
}

/* Queue the work item if there is anything to run and the device is open. */
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
 *
 * The chunk may wait in vfio_pin_pages() for as long as user space likes:
 * on a FUSE page through either IOMMU backend, and on a userfaultfd page
 * where the pin may retry (iommufd; type1 pins without it, and such a
 * fault fails). Callers that can fail use the killable form; close and
 * .dma_unmap cannot fail and must see the chunk end, so a VMM whose own
 * memory stalls the chunk waits for it there.
 */
void mdma_dma_wait_idle(struct mdma_state *s)
{
	wait_event(s->chunk_wq, !READ_ONCE(s->chunk_busy));
}

/* The same, or -EINTR if the caller was killed first. */
int mdma_dma_wait_idle_killable(struct mdma_state *s)
{
	if (wait_event_killable(s->chunk_wq, !READ_ONCE(s->chunk_busy)))
		return -EINTR;
	return 0;
}

/*
 * Wait until no descriptor runs, after the run level dropped: the running
 * one parks or ends at its next chunk, and the work item takes no other
 * while the level is not VFIO_MIG_RUNNING. Return 0, or -EINTR if the
 * caller was killed first.
 */
int mdma_dma_park(struct mdma_state *s)
{
	if (wait_event_killable(s->chunk_wq, !READ_ONCE(s->running)))
		return -EINTR;
	return 0;
}

/* An IOVA range being unmapped, fenced until its unmapper leaves type1. */
struct mdma_fence {
	struct list_head node;		/* in s->fences */
	struct callback_head twork;	/* mdma_fence_lift() */
	struct mdma_state *s;
	struct task_struct *task;	/* the unmapping task */
	u64 iova;
	u64 last;			/* inclusive */
};

/* Runs as the unmapping task returns to user space: type1 is done. */
static void mdma_fence_lift(struct callback_head *cb)
{
	struct mdma_fence *f = container_of(cb, struct mdma_fence, twork);
	struct mdma_state *s = f->s;

	/* @s may go as soon as the lock is dropped: touch nothing after. */
	spin_lock(&s->fence_lock);
	list_del(&f->node);
	wake_up_all(&s->fence_wq);
	spin_unlock(&s->fence_lock);
	kfree(f);
}

/* Fence [@iova, @last] until the current task leaves the kernel. */
static void mdma_fence_arm(struct mdma_state *s, u64 iova, u64 last)
{
	struct mdma_fence *f, *nf;

	if (current->flags & (PF_KTHREAD | PF_EXITING))
		return;
	/*
	 * Cannot fail: without the fence a guest ringing doorbells could
	 * re-pin the range faster than type1 retries its unmap, and type1
	 * gives up with a BUG after ten tries.
	 */
	nf = kzalloc(sizeof(*nf), GFP_KERNEL | __GFP_NOFAIL);

	spin_lock(&s->fence_lock);
	list_for_each_entry(f, &s->fences, node) {
		if (f->task == current) {
			f->iova = min(f->iova, iova);
			f->last = max(f->last, last);
			spin_unlock(&s->fence_lock);
			kfree(nf);
			return;
		}
	}
	nf->s = s;
	nf->task = current;
	nf->iova = iova;
	nf->last = last;
	init_task_work(&nf->twork, mdma_fence_lift);
	list_add(&nf->node, &s->fences);
	spin_unlock(&s->fence_lock);

	/*
	 * Only this task adds its own fence, and it is inside an ioctl, so
	 * its task_work cannot run before this returns.
	 */
	if (task_work_add(current, &nf->twork, TWA_RESUME)) {
		spin_lock(&s->fence_lock);
		list_del(&nf->node);
		spin_unlock(&s->fence_lock);
		kfree(nf);
	}
}

/* Does [@iova, @last] touch a fenced range? */
static bool mdma_fenced(struct mdma_state *s, u64 iova, u64 last)
{
	struct mdma_fence *f;
	bool ret = false;

	spin_lock(&s->fence_lock);
	list_for_each_entry(f, &s->fences, node) {
		if (f->iova <= last && iova <= f->last) {
			ret = true;
			break;
		}
	}
	spin_unlock(&s->fence_lock);
	return ret;
}

static bool mdma_fences_lifted(struct mdma_state *s)
{
	bool ret;

	spin_lock(&s->fence_lock);
	ret = list_empty(&s->fences);
	spin_unlock(&s->fence_lock);
	return ret;
}

void mdma_dma_init(struct mdma_state *s)
{
	init_waitqueue_head(&s->chunk_wq);
	INIT_WORK(&s->dma_work, mdma_dma_work);
	atomic_long_set(&s->pinned_pages, 0);
	spin_lock_init(&s->fence_lock);
	INIT_LIST_HEAD(&s->fences);
	init_waitqueue_head(&s->fence_wq);
}

/*
 * The instance goes: the device is closed, so nothing queues the work
 * item again. Wait for it, and for the unmapping tasks to lift their
 * fences: they are on their way back to user space.
 */
void mdma_dma_release(struct mdma_state *s)
{
	cancel_work_sync(&s->dma_work);
	wait_event(s->fence_wq, mdma_fences_lifted(s));
}

static u64 mdma_range_last(u64 start, u64 length)
{
	u64 last = start + length - 1;

	return last < start ? U64_MAX : last;
}

static bool mdma_desc_overlaps(const struct mdma_desc *d, u64 iova,
			       u64 length)
{
	u64 start, last, ulast;

	if (!length || !d->len ||
	    !mdma_dma_guest_iova(d->cmd, d->src, d->dst, &start))
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

	if (!length)
		return;
	/* First the fence: from here on no chunk starts in the range. */
	mdma_fence_arm(s, iova, mdma_range_last(iova, length));
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
 * Before each chunk: stop for an abort or a fence on the @npage pages at
 * @base, park for a stopped device, or claim the chunk (s->chunk_busy)
 * for pinning.
 */
static u32 mdma_chunk_begin(struct mdma_state *s, u32 generation, u64 base,
			    int npage)
{
	u32 ret = MDMA_ERR_NONE;

	mutex_lock(&s->lock);
	if (s->running_aborted || s->generation != generation || !s->open ||
	    mdma_fenced(s, base, mdma_range_last(base, (u64)npage << PAGE_SHIFT)))
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

		stop = mdma_chunk_begin(s, generation, base, npage);
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
		if (prot & IOMMU_WRITE)
			mdma_log_mark(s, cur, chunk);
		vfio_unpin_pages(&s->vdev, base, npage);
		atomic_long_sub(npage, &s->pinned_pages);
		mdma_chunk_end(s);

		done += chunk;
		cond_resched();
	}
	return MDMA_ERR_NONE;
}

static void mdma_dma_run_queue(struct mdma_state *s)
{
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
		WRITE_ONCE(s->running, true);
		s->running_desc = d;
		s->running_aborted = d.aborted;
		s->regs.status |= MDMA_STATUS_BUSY;
		generation = s->generation;
		mutex_unlock(&s->lock);

		err = mdma_dma_run(s, &d, generation);

		mutex_lock(&s->lock);
		WRITE_ONCE(s->running, false);
		wake_up_all(&s->chunk_wq);
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

void mdma_dma_work(struct work_struct *work)
{
	struct mdma_state *s = container_of(work, struct mdma_state, dma_work);

	kcov_remote_start_common(READ_ONCE(s->kcov_handle));
	mdma_dma_run_queue(s);
	kcov_remote_stop();
}
