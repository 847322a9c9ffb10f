// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: a test-only workload, <debugfs>/mdma/<mdev uuid>/workload.
 *
 * Tests of a real VMM need a device that is busy while it migrates, but
 * the VM they run has no guest driver. This file lets a test make an
 * instance act as if one were using it. Writing
 *
 *   dma GPA LEN HZ     HZ times a second, queue a descriptor on the guest
 *                      range [GPA, GPA + LEN): three FILL_GUEST with a new
 *                      pattern each time, then one DEV_TO_GUEST copy of
 *                      device memory [0, LEN)
 *   mem HZ             HZ times a second, write a 4 KiB block of device
 *                      memory (a new value each time, the blocks of the
 *                      first MiB in turn)
 *   fill GPA LEN PAT   queue one FILL_GUEST of PAT on [GPA, GPA + LEN)
 *   stop               stop
 *
 * starts ("dma" and "mem" may be combined in one write, and replace the
 * settings before) or stops it. GPA is an IOVA of the device's container,
 * which under QEMU is the guest-physical address. Reading the file shows
 * the settings and counters.
 *
 * Everything goes through the device as a guest driver would use it: the
 * descriptor registers and DOORBELL (which also sets CTRL.ENABLE), so
 * the DMA engine pins guest pages with vfio_pin_pages() as usual, and
 * device memory writes are reported with mdma_mig_mark_memory(). Nothing
 * happens while the run level is not VFIO_MIG_RUNNING (a stopped device
 * issues no work; the ticks missed are not made up). A descriptor is
 * skipped, not queued, when the queue is full. The workload stops on
 * every reset and on close, and is not part of the migrated state.
 *
 * Lock order: workload.lock -> s->lock. The tick holds workload.lock, so
 * stopping (clear @active, then cancel the work) is final.
 *
 * This file is built only with "make MDMA_WORKLOAD=y" (see Kbuild): a
 * test needs it, a production host does not. Without it, mdma.h turns
 * the entry points into no-ops and there is no workload file.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mdma.h"

#define MDMA_WL_MAX_HZ		10000
#define MDMA_WL_MEM_BLOCK	SZ_4K
#define MDMA_WL_MEM_SPAN	SZ_1M
#define MDMA_WL_MEM_BATCH	256	/* memory writes per tick at most */
#define MDMA_WL_MIN_TICK_HZ	20	/* tick at least this often */

/* Stop; the caller must not hold s->lock. */
static void mdma_workload_halt(struct mdma_state *s, bool closed)
{
	struct mdma_workload *wl = &s->workload;

	mutex_lock(&wl->lock);
	wl->active = false;
	wl->closed = closed;
	mutex_unlock(&wl->lock);
	cancel_delayed_work_sync(&wl->work);
}

/* The device was reset (or opened): stop. */
void mdma_workload_reset(struct mdma_state *s)
{
	mdma_workload_halt(s, false);
}

/* The device was closed: stop, and refuse to start until it is open. */
void mdma_workload_close(struct mdma_state *s)
{
	mdma_workload_halt(s, true);
}

/* Queue one descriptor through DOORBELL; false if the queue is full. */
static bool mdma_workload_queue(struct mdma_state *s, u32 cmd, u64 src,
				u64 dst, u32 len, u32 pattern)
{
	lockdep_assert_held(&s->lock);
	if (s->queue_count + s->running >= MDMA_DMA_QUEUE_DEPTH)
		return false;
	if (!(s->regs.ctrl & MDMA_CTRL_ENABLE))
		mdma_regs_write(s, MDMA_REG_CTRL, MDMA_CTRL_ENABLE);
	mdma_regs_write(s, MDMA_REG_DMA_SRC_LO, lower_32_bits(src));
	mdma_regs_write(s, MDMA_REG_DMA_SRC_HI, upper_32_bits(src));
	mdma_regs_write(s, MDMA_REG_DMA_DST_LO, lower_32_bits(dst));
	mdma_regs_write(s, MDMA_REG_DMA_DST_HI, upper_32_bits(dst));
	mdma_regs_write(s, MDMA_REG_DMA_LEN, len);
	mdma_regs_write(s, MDMA_REG_DMA_CMD, cmd);
	mdma_regs_write(s, MDMA_REG_DMA_PATTERN, pattern);
	mdma_regs_write(s, MDMA_REG_DOORBELL, 1);
	return true;
}

/* A value that differs from one call to the next and between runs. */
static u32 mdma_workload_next_value(struct mdma_workload *wl)
{
	wl->seq++;
	return wl->seed ^ (u32)(wl->seq * 0x9e3779b9U);
}

static void mdma_workload_dma(struct mdma_state *s)
{
	struct mdma_workload *wl = &s->workload;
	u32 copy_len = min_t(u64, wl->len, s->mem_size);
	u32 pattern;

	if (wl->dma_events++ % 4 == 3) {
		if (mdma_workload_queue(s, MDMA_CMD_DEV_TO_GUEST, 0, wl->gpa,
					copy_len, 0))
			wl->copies++;
		else
			wl->skipped++;
		return;
	}
	pattern = mdma_workload_next_value(wl);
	if (mdma_workload_queue(s, MDMA_CMD_FILL_GUEST, 0, wl->gpa, wl->len,
				pattern)) {
		wl->fills++;
		wl->last_pattern = pattern;
	} else {
		wl->skipped++;
	}
}

static void mdma_workload_mem(struct mdma_state *s)
{
	struct mdma_workload *wl = &s->workload;
	u64 span = min_t(u64, s->mem_size, MDMA_WL_MEM_SPAN);
	u64 off = (wl->mem_writes % (span / MDMA_WL_MEM_BLOCK)) *
		  MDMA_WL_MEM_BLOCK;

	memset32(s->mem + off, mdma_workload_next_value(wl),
		 MDMA_WL_MEM_BLOCK / sizeof(u32));
	mdma_mig_mark_memory(s, off, MDMA_WL_MEM_BLOCK);
	wl->mem_writes++;
}

/*
 * Events due since the last tick: @credit accumulates nanoseconds times
 * @hz and pays NSEC_PER_SEC per event, at most @batch at a time.
 */
static unsigned int mdma_workload_due(u64 *credit, u64 ns, u32 hz,
				      unsigned int batch)
{
	u64 n;

	*credit += ns * hz;
	n = div64_u64(*credit, NSEC_PER_SEC);
	if (n > batch) {
		*credit = 0;
		return batch;
	}
	*credit -= n * NSEC_PER_SEC;
	return n;
}

static void mdma_workload_tick(struct work_struct *work)
{
	struct mdma_workload *wl =
		container_of(to_delayed_work(work), struct mdma_workload, work);
	struct mdma_state *s = container_of(wl, struct mdma_state, workload);
	unsigned int n;
	ktime_t now;
	u64 ns;

	mutex_lock(&wl->lock);
	if (!wl->active)
		goto out;
	now = ktime_get();
	ns = ktime_to_ns(ktime_sub(now, wl->last));
	wl->last = now;
	mutex_lock(&s->lock);
	if (s->run_level != VFIO_MIG_RUNNING) {
		wl->paused_ticks++;
		wl->dma_credit = 0;
		wl->mem_credit = 0;
	} else {
		n = mdma_workload_due(&wl->dma_credit, ns, wl->dma_hz,
				      MDMA_DMA_QUEUE_DEPTH);
		while (n--)
			mdma_workload_dma(s);
		n = mdma_workload_due(&wl->mem_credit, ns, wl->mem_hz,
				      MDMA_WL_MEM_BATCH);
		while (n--)
			mdma_workload_mem(s);
	}
	mutex_unlock(&s->lock);
	queue_delayed_work(mdma_wq, &wl->work, wl->period);
out:
	mutex_unlock(&wl->lock);
}

static char *mdma_workload_token(char **p)
{
	char *tok;

	do {
		tok = strsep(p, " \t\n");
	} while (tok && !*tok);
	return tok;
}

/* The next token as a number in [min, max]. */
static int mdma_workload_num(char **p, u64 min, u64 max, u64 *val)
{
	char *tok = mdma_workload_token(p);

	if (!tok || kstrtou64(tok, 0, val) || *val < min || *val > max)
		return -EINVAL;
	return 0;
}

/* GPA LEN: a guest range the engine can take in one descriptor. */
static int mdma_workload_range(char **p, u64 *gpa, u64 *len)
{
	if (mdma_workload_num(p, 0, U64_MAX, gpa) ||
	    mdma_workload_num(p, 1, MDMA_DMA_MAX_LEN, len) ||
	    *gpa + *len - 1 < *gpa)
		return -EINVAL;
	return 0;
}

static int mdma_workload_fill(struct mdma_state *s, char **p)
{
	struct mdma_workload *wl = &s->workload;
	u64 gpa, len, pattern;
	int ret = 0;

	if (mdma_workload_range(p, &gpa, &len) ||
	    mdma_workload_num(p, 0, U32_MAX, &pattern) ||
	    mdma_workload_token(p))
		return -EINVAL;
	mutex_lock(&wl->lock);
	if (wl->closed) {
		ret = -ENODEV;
		goto out;
	}
	mutex_lock(&s->lock);
	if (mdma_workload_queue(s, MDMA_CMD_FILL_GUEST, 0, gpa, len,
				pattern)) {
		wl->fills++;
		wl->last_pattern = pattern;
	} else {
		ret = -EBUSY;
	}
	mutex_unlock(&s->lock);
out:
	mutex_unlock(&wl->lock);
	return ret;
}

static int mdma_workload_start(struct mdma_state *s, char *tok, char **p)
{
	struct mdma_workload *wl = &s->workload;
	u64 gpa = 0, len = 0, dma_hz = 0, mem_hz = 0;
	int ret = 0;

	for (; tok; tok = mdma_workload_token(p)) {
		if (!strcmp(tok, "dma") && !dma_hz) {
			if (mdma_workload_range(p, &gpa, &len) ||
			    mdma_workload_num(p, 1, MDMA_WL_MAX_HZ, &dma_hz))
				return -EINVAL;
		} else if (!strcmp(tok, "mem") && !mem_hz) {
			if (mdma_workload_num(p, 1, MDMA_WL_MAX_HZ, &mem_hz))
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}

	mutex_lock(&wl->lock);
	if (wl->closed) {
		ret = -ENODEV;
		goto out;
	}
	wl->gpa = gpa;
	wl->len = len;
	wl->dma_hz = dma_hz;
	wl->mem_hz = mem_hz;
	wl->dma_credit = 0;
	wl->mem_credit = 0;
	wl->last = ktime_get();
	wl->period = clamp_t(unsigned long,
			     HZ / max(dma_hz, mem_hz), 1,
			     HZ / MDMA_WL_MIN_TICK_HZ);
	wl->active = true;
	mod_delayed_work(mdma_wq, &wl->work, wl->period);
out:
	mutex_unlock(&wl->lock);
	return ret;
}

static int mdma_workload_cmd(struct mdma_state *s, char *buf)
{
	char *p = buf, *tok = mdma_workload_token(&p);

	if (!tok)
		return -EINVAL;
	if (!strcmp(tok, "stop")) {
		if (mdma_workload_token(&p))
			return -EINVAL;
		mutex_lock(&s->workload.lock);
		s->workload.active = false;
		mutex_unlock(&s->workload.lock);
		cancel_delayed_work_sync(&s->workload.work);
		return 0;
	}
	if (!strcmp(tok, "fill"))
		return mdma_workload_fill(s, &p);
	return mdma_workload_start(s, tok, &p);
}

static int mdma_workload_show(struct seq_file *m, void *unused)
{
	struct mdma_state *s = m->private;
	struct mdma_workload *wl = &s->workload;
	const char *state;

	mutex_lock(&wl->lock);
	mutex_lock(&s->lock);
	if (!wl->active)
		state = wl->closed ? "closed" : "stopped";
	else if (s->run_level != VFIO_MIG_RUNNING)
		state = "paused";
	else
		state = "running";
	mutex_unlock(&s->lock);

	seq_printf(m, "state=%s\n", state);
	seq_printf(m, "dma_gpa=0x%llx\n", wl->gpa);
	seq_printf(m, "dma_len=%u\n", wl->len);
	seq_printf(m, "dma_hz=%u\n", wl->dma_hz);
	seq_printf(m, "mem_hz=%u\n", wl->mem_hz);
	seq_printf(m, "fills=%llu\n", wl->fills);
	seq_printf(m, "copies=%llu\n", wl->copies);
	seq_printf(m, "skipped=%llu\n", wl->skipped);
	seq_printf(m, "mem_writes=%llu\n", wl->mem_writes);
	seq_printf(m, "paused_ticks=%llu\n", wl->paused_ticks);
	seq_printf(m, "last_pattern=0x%08x\n", wl->last_pattern);
	mutex_unlock(&wl->lock);
	return 0;
}

static int mdma_workload_open(struct inode *inode, struct file *file)
{
	return single_open(file, mdma_workload_show, inode->i_private);
}

static ssize_t mdma_workload_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct mdma_state *s = ((struct seq_file *)file->private_data)->private;
	char buf[128];
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = mdma_workload_cmd(s, buf);
	return ret ? ret : count;
}

static const struct file_operations mdma_workload_fops = {
	.owner = THIS_MODULE,
	.open = mdma_workload_open,
	.read = seq_read,
	.write = mdma_workload_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* From mdma_init_dev(): the device is not open. */
void mdma_workload_init(struct mdma_state *s)
{
	struct mdma_workload *wl = &s->workload;

	memset(wl, 0, sizeof(*wl));
	mutex_init(&wl->lock);
	INIT_DELAYED_WORK(&wl->work, mdma_workload_tick);
	wl->closed = true;
	wl->seed = get_random_u32();
}

/* From mdma_release_dev(): the device was closed, the work is idle. */
void mdma_workload_destroy(struct mdma_state *s)
{
	cancel_delayed_work_sync(&s->workload.work);
	mutex_destroy(&s->workload.lock);
}

void mdma_workload_debugfs(struct mdma_state *s, struct dentry *dir)
{
	debugfs_create_file("workload", 0600, dir, s, &mdma_workload_fops);
}
