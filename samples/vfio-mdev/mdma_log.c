// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: device DMA logging, the vfio_log_ops of an instance.
 *
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_START gives the IOVA ranges to watch
 * and a page size; from then on every guest page the DMA engine writes
 * inside them is logged (mdma_iova_log.c), until REPORT hands it to user
 * space through the core's iova_bitmap and clears it, or STOP ends
 * logging. Only writes are logged: DEV_TO_GUEST and FILL_GUEST, after
 * each chunk's copy and before its pages are unpinned.
 *
 * The core keeps no logging state of its own: it calls these callbacks
 * whenever user space asks. So a second START fails with EBUSY, REPORT
 * without START with EINVAL, and STOP is always allowed. Closing the
 * device stops logging.
 *
 * REPORT copies the runs out under @log_lock and writes the user's
 * bitmap without it: that may fault in user memory for as long as user
 * space likes, and the engine takes @log_lock after every chunk. It
 * writes a gigabyte of IOVA at a time and may be killed in between.
 * The log page is at most 2 MiB, whatever the hint.
 *
 * The feature is offered only where the core can report through an
 * iova_bitmap (see mdma_compat.h); elsewhere the PROBE fails with ENOTTY.
 */
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "mdma.h"
#include "mdma_compat.h"

/* The largest log page: a byte written marks this much IOVA. */
#define MDMA_LOG_MAX_PAGE	SZ_2M
/* IOVA reported between two chances to reschedule. */
#define MDMA_LOG_REPORT_PIECE	SZ_1G

void mdma_log_init(struct mdma_state *s)
{
	mutex_init(&s->log_lock);
}

static void mdma_log_free(struct mdma_state *s)
{
	lockdep_assert_held(&s->log_lock);
	kvfree(s->iova_log.ranges);
	kvfree(s->iova_log.runs);
	s->iova_log.ranges = NULL;
	s->iova_log.runs = NULL;
	s->log_on = false;
}

/* From close_device and release: logging ends with the user. */
void mdma_log_stop_all(struct mdma_state *s)
{
	mutex_lock(&s->log_lock);
	mdma_log_free(s);
	mutex_unlock(&s->log_lock);
}

void mdma_log_destroy(struct mdma_state *s)
{
	mdma_log_stop_all(s);
	mutex_destroy(&s->log_lock);
}

/* The engine wrote [@iova, @iova + @len) of guest memory. */
void mdma_log_mark(struct mdma_state *s, u64 iova, u64 len)
{
	mutex_lock(&s->log_lock);
	if (s->log_on)
		mdma_iova_log_mark(&s->iova_log, iova, len);
	mutex_unlock(&s->log_lock);
}

static int mdma_log_start(struct vfio_device *vdev,
			  struct rb_root_cached *root, u32 nnodes,
			  u64 *page_size)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct interval_tree_node *node;
	struct mdma_iova_run *ranges, *runs;
	struct mdma_iova_log log;
	u64 pgsize = *page_size;
	unsigned int n = 0;
	int ret;

	/*
	 * A hint, the uAPI says; but only a power of two is a page size. Past
	 * MDMA_LOG_MAX_PAGE one written byte would stand for too much IOVA.
	 */
	if (!pgsize || !is_power_of_2(pgsize))
		return -EINVAL;
	pgsize = clamp_t(u64, pgsize, PAGE_SIZE, MDMA_LOG_MAX_PAGE);
	if (!nnodes)
		return -EINVAL;
	if (nnodes > MDMA_LOG_MAX_RANGES)
		return -E2BIG;

	ranges = kvcalloc(nnodes, sizeof(*ranges), GFP_KERNEL);
	runs = kvcalloc(MDMA_LOG_MAX_RUNS + 1, sizeof(*runs), GFP_KERNEL);
	if (!ranges || !runs) {
		ret = -ENOMEM;
		goto err_free;
	}
	/*
	 * The tree is the core's and goes when this returns: copy it, in
	 * IOVA order. A range of length 0 at IOVA 0 reaches us as [0,
	 * ULONG_MAX] (the core checks neither); a real range never ends at
	 * ULONG_MAX, as the core refuses iova + length > ULONG_MAX.
	 */
	for (node = interval_tree_iter_first(root, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (n == nnodes || node->last == ULONG_MAX) {
			ret = -EINVAL;
			goto err_free;
		}
		ranges[n].first = node->start;
		ranges[n++].last = node->last;
	}
	ret = n == nnodes ? 0 : -EINVAL;
	if (!ret)
		ret = mdma_iova_log_init(&log, ilog2(pgsize), ranges, n, runs,
					 MDMA_LOG_MAX_RUNS);
	if (ret)
		goto err_free;

	mutex_lock(&s->log_lock);
	if (s->log_on) {
		mutex_unlock(&s->log_lock);
		ret = -EBUSY;
		goto err_free;
	}
	s->iova_log = log;
	s->log_on = true;
	mutex_unlock(&s->log_lock);
	*page_size = pgsize;
	return 0;

err_free:
	kvfree(runs);
	kvfree(ranges);
	return ret;
}

static int mdma_log_stop(struct vfio_device *vdev)
{
	mdma_log_stop_all(vdev_to_mdma(vdev));
	return 0;
}

/*
 * Set the bits of [@first, @last] a piece at a time: a run may span far
 * more than was written (a joined gap, a large log page), and the core
 * writes as many bits as the caller's bitmap holds without rescheduling.
 */
static int mdma_log_report_run(struct iova_bitmap *dirty, u64 first,
			       u64 last)
{
	u64 n;

	for (;;) {
		n = min_t(u64, last - first, MDMA_LOG_REPORT_PIECE - 1);
		iova_bitmap_set(dirty, first, n + 1);
		if (n == last - first)
			return 0;
		first += n + 1;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

static int mdma_log_read_and_clear(struct vfio_device *vdev,
				   unsigned long iova, unsigned long length,
				   struct iova_bitmap *dirty)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct mdma_iova_run *out;
	unsigned int i, n;
	int ret;

	out = kvmalloc_array(MDMA_LOG_MAX_RUNS + 1, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	mutex_lock(&s->log_lock);
	if (!s->log_on) {
		mutex_unlock(&s->log_lock);
		kvfree(out);
		return -EINVAL;
	}
	n = mdma_iova_log_take(&s->iova_log, iova, length, out);
	mutex_unlock(&s->log_lock);

	ret = 0;
	for (i = 0; i < n && !ret; i++)
		ret = mdma_log_report_run(dirty, out[i].first, out[i].last);
	kvfree(out);
	return ret;
}

static const struct vfio_log_ops mdma_log_ops = {
	.log_start = mdma_log_start,
	.log_stop = mdma_log_stop,
	.log_read_and_clear = mdma_log_read_and_clear,
};

/* For vdev->log_ops: NULL where the core cannot report a log. */
const struct vfio_log_ops *mdma_log_ops_get(void)
{
	return MDMA_HAS_DMA_LOGGING ? &mdma_log_ops : NULL;
}

MDMA_IOVA_BITMAP_IMPORT();
