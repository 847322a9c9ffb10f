// SPDX-License-Identifier: GPL-2.0
/*
 * stress: threads hammering one open mdma instance at once - BAR0 and
 * BAR2 accesses, BAR2 mmap/munmap, DMA doorbells, VFIO_DEVICE_RESET and
 * v1 migration state changes with chunk reads - while another thread
 * creates, opens and removes other instances.
 *
 * Nothing may deadlock (a watchdog fails the test and says what each
 * thread was doing), every failing call must fail with an errno from the
 * set expected for it, and the device must work afterwards. Leaks and
 * kernel splats are caught by the guest runner and the debug lane.
 *
 * Afterwards the threads must have done real work (whole save cycles,
 * completed DMAs are counted; at least one DMA must complete) and the
 * instance must still migrate whole into a fresh one with equal digests.
 *
 * STRESS_SECONDS sets how long the threads run (default 20).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio_mig.h>

#include "kselftest_harness.h"
#include "mig_v1_util.h"

#define IOVA		0x40000000ULL
#define DMA_BUF		0x100000u
#define CHURN_MAX	3
#define WATCHDOG_SLACK	120
#define PAGE		4096u

enum { T_BAR0, T_BAR2, T_MMAP, T_DMA, T_RESET, T_MIG, T_CHURN, T_NR };

static const char * const thread_name[T_NR] = {
	"bar0", "bar2", "mmap", "dma", "reset", "migration", "churn",
};

struct worker {
	pthread_t tid;
	int id;
	unsigned int seed;
	unsigned long ops;
	unsigned long done;		/* whole migrations, completed DMAs */
	unsigned long errors;		/* expected errnos */
	unsigned long unexpected;
	const char *doing;		/* what it is doing, for the watchdog */
	char first[160];		/* first unexpected failure */
};

static struct mdma dev;
static struct vfio_mig_v1 mig;
static struct vfio_dma_buf dmabuf;
static struct worker workers[T_NR];
static atomic_bool stop;
static int seconds;

static void on_watchdog(int sig)
{
	char line[128];
	int i, n;

	n = snprintf(line, sizeof(line),
		     "# watchdog: still running %d s after the deadline\n",
		     WATCHDOG_SLACK);
	write(2, line, n);
	for (i = 0; i < T_NR; i++) {
		n = snprintf(line, sizeof(line), "#   %-9s %s\n",
			     thread_name[i], workers[i].doing);
		write(2, line, n);
	}
	_exit(1);
}

/*
 * Account one call: @ret is 0 or a negative errno, @ok the errnos that
 * the concurrent activity may cause (0-terminated).
 */
static void account(struct worker *w, int ret, const int *ok)
{
	w->ops++;
	if (!ret)
		return;
	for (; ok && *ok; ok++) {
		if (ret == -*ok) {
			w->errors++;
			return;
		}
	}
	if (!w->unexpected++)
		snprintf(w->first, sizeof(w->first), "%s: %s",
			 __atomic_load_n(&w->doing, __ATOMIC_RELAXED),
			 strerror(-ret));
}

static void doing(struct worker *w, const char *what)
{
	__atomic_store_n(&w->doing, what, __ATOMIC_RELAXED);
}

/*
 * Register accesses never fail, whatever the device does at the time:
 * registers are served in every state.
 */
static void *bar0_thread(void *arg)
{
	struct worker *w = arg;
	uint32_t v;
	int ret;

	while (!atomic_load(&stop)) {
		doing(w, "BAR0 write SCRATCH");
		v = rand_r(&w->seed);
		account(w, mdma_wr(&dev, MDMA_REG_SCRATCH, v), NULL);
		doing(w, "BAR0 read ID");
		ret = mdma_rd(&dev, MDMA_REG_ID, &v);
		if (!ret && v != MDMA_ID)
			ret = -EILSEQ;
		account(w, ret, NULL);
		doing(w, "BAR0 read STATUS");
		account(w, mdma_rd(&dev, MDMA_REG_STATUS, &v), NULL);
		doing(w, "BAR0 write IRQ_MASK");
		account(w, mdma_wr(&dev, MDMA_REG_IRQ_MASK, v & 1), NULL);
	}
	return NULL;
}

static void *bar2_thread(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[8192];
	uint64_t off;

	memset(buf, 0xa5, sizeof(buf));
	while (!atomic_load(&stop)) {
		off = (rand_r(&w->seed) % (dev.mem_size / PAGE)) * PAGE;
		off = off > dev.mem_size - sizeof(buf) ?
		      dev.mem_size - sizeof(buf) : off;
		doing(w, "BAR2 pwrite");
		account(w, vfio_region_write(&dev.dev, &dev.bar2, off, buf,
					     sizeof(buf)), NULL);
		doing(w, "BAR2 pread");
		account(w, vfio_region_read(&dev.dev, &dev.bar2, off, buf,
					    sizeof(buf)), NULL);
	}
	return NULL;
}

static void *mmap_thread(void *arg)
{
	struct worker *w = arg;
	size_t len = 16 * PAGE;
	uint64_t off;
	void *p;
	int ret;

	while (!atomic_load(&stop)) {
		off = (rand_r(&w->seed) % (dev.mem_size / len)) * len;
		doing(w, "BAR2 mmap");
		ret = vfio_region_mmap(&dev.dev, &dev.bar2, off, len,
				       PROT_READ | PROT_WRITE, &p);
		account(w, ret, NULL);
		if (ret)
			continue;
		doing(w, "BAR2 touch the mapping");
		__atomic_store_n((uint8_t *)p + rand_r(&w->seed) % len, 0x5a,
				 __ATOMIC_RELAXED);
		__atomic_load_n((uint8_t *)p + len - 1, __ATOMIC_RELAXED);
		doing(w, "BAR2 munmap");
		account(w, munmap(p, len) ? -errno : 0, NULL);
	}
	return NULL;
}

/*
 * Doorbells go through BAR0 and never fail; the descriptors' outcome
 * (queue full, aborted by a reset) shows in device registers only.
 */
static void *dma_thread(void *arg)
{
	static const uint32_t cmds[] = {
		MDMA_CMD_FILL_GUEST, MDMA_CMD_GUEST_TO_DEV,
		MDMA_CMD_DEV_TO_GUEST,
	};
	struct worker *w = arg;
	uint32_t cmd, len, done, last = 0;

	while (!atomic_load(&stop)) {
		/* A reset zeroes the counter: count what it gained. */
		doing(w, "DMA read DMA_COMPLETED");
		if (!mdma_rd(&dev, MDMA_REG_DMA_COMPLETED, &done)) {
			if (done > last)
				w->done += done - last;
			last = done;
		}
		cmd = cmds[rand_r(&w->seed) % 3];
		len = 1 + rand_r(&w->seed) % DMA_BUF;
		doing(w, "DMA enable");
		account(w, mdma_wr(&dev, MDMA_REG_CTRL, MDMA_CTRL_ENABLE),
			NULL);
		doing(w, "DMA doorbell");
		account(w, mdma_submit(&dev, cmd,
				       cmd == MDMA_CMD_GUEST_TO_DEV ? IOVA : 0,
				       cmd == MDMA_CMD_GUEST_TO_DEV ? 0 : IOVA,
				       len, 0x11223344), NULL);
		usleep(200);
	}
	return NULL;
}

static void *reset_thread(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop)) {
		doing(w, "VFIO_DEVICE_RESET");
		account(w, vfio_dev_reset(&dev.dev), NULL);
		usleep(20000 + rand_r(&w->seed) % 30000);
	}
	return NULL;
}

/*
 * Read up to @max chunks of the stream. A reset in between ends the
 * session (the device is RUNNING again), so reads of data_offset and
 * data_size return the idle values and a window read of that size is
 * still in bounds.
 */
static int read_chunks(struct worker *w, int max, uint8_t *buf, size_t cap)
{
	uint64_t off, size, pending = 1;
	int ret = 0;

	while (!ret && pending && max--) {
		doing(w, "migration: read data_offset");
		ret = mig_rd(&mig, MIG_HDR(data_offset), &off, sizeof(off));
		doing(w, "migration: read data_size");
		ret = ret ?: mig_rd(&mig, MIG_HDR(data_size), &size, sizeof(size));
		if (!ret && size > cap)
			return -E2BIG;
		doing(w, "migration: read the window");
		ret = ret ?: (size ? mig_rd(&mig, off, buf, size) : 0);
		doing(w, "migration: read pending_bytes");
		ret = ret ?: mig_rd(&mig, MIG_HDR(pending_bytes), &pending,
				    sizeof(pending));
	}
	return ret;
}

/*
 * RUNNING -> PRE_COPY -> STOP_COPY -> STOP -> RUNNING with chunk reads.
 * A concurrent reset moves the device back to RUNNING at any time, so a
 * state write may meet an arc that is not allowed (EINVAL), and a save
 * cut short by the reset fails the same way.
 */
static void *mig_thread(void *arg)
{
	static const int ok[] = { EINVAL, 0 };
	struct worker *w = arg;
	size_t cap = mig.region.size;
	uint8_t *buf;

	buf = malloc(cap);
	if (!buf) {
		account(w, -ENOMEM, NULL);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		int r[5];

		doing(w, "migration: RUNNING -> PRE_COPY");
		r[0] = __mig_set(&mig, VFIO_DEVICE_STATE_V1_SAVING |
				       VFIO_DEVICE_STATE_V1_RUNNING);
		account(w, r[0], ok);
		account(w, r[1] = read_chunks(w, 4, buf, cap), ok);
		doing(w, "migration: PRE_COPY -> STOP_COPY");
		account(w, r[2] = __mig_set(&mig, VFIO_DEVICE_STATE_V1_SAVING), ok);
		account(w, r[3] = read_chunks(w, 1 + rand_r(&w->seed) % 64, buf,
					      cap), ok);
		doing(w, "migration: -> STOP");
		account(w, r[4] = __mig_set(&mig, VFIO_DEVICE_STATE_V1_STOP), ok);
		if (!(r[0] | r[1] | r[2] | r[3] | r[4]))
			w->done++;
		doing(w, "migration: STOP -> RUNNING");
		if (__mig_set(&mig, VFIO_DEVICE_STATE_V1_RUNNING)) {
			/* Out of the error state only through a reset. */
			doing(w, "migration: reset to leave an error state");
			account(w, vfio_dev_reset(&dev.dev), NULL);
		}
	}
	free(buf);
	return NULL;
}

/*
 * Other instances come and go. Creation may find the type exhausted
 * while instances of other tests or threads exist (EUSERS from the mdev
 * core, or ENOSPC).
 */
static void *churn_thread(void *arg)
{
	static const int ok[] = { EUSERS, ENOSPC, 0 };
	struct worker *w = arg;
	struct mdma m[CHURN_MAX];
	int i, n, ret;

	while (!atomic_load(&stop)) {
		n = 1 + rand_r(&w->seed) % CHURN_MAX;
		for (i = 0; i < n; i++) {
			doing(w, "churn: create and open an instance");
			ret = mdma_create(&m[i], MDMA_TYPE_16M);
			account(w, ret, ok);
			if (ret)
				break;
			doing(w, "churn: BAR0 read ID");
			account(w, mdma_reg(&m[i], MDMA_REG_ID) == MDMA_ID ?
				0 : -EILSEQ, NULL);
		}
		while (i-- > 0) {
			doing(w, "churn: close and remove an instance");
			mdma_destroy(&m[i]);
			account(w, vfio_mdev_exists(m[i].uuid) ? -EEXIST : 0,
				NULL);
		}
	}
	return NULL;
}

static void *(*const thread_fn[T_NR])(void *) = {
	bar0_thread, bar2_thread, mmap_thread, dma_thread, reset_thread,
	mig_thread, churn_thread,
};

FIXTURE(stress) {
	bool ready;
};

FIXTURE_SETUP(stress)
{
	const char *why = mdma_unavailable(MDMA_TYPE_16M);
	const char *env = getenv("STRESS_SECONDS");

	if (why)
		SKIP(return, "%s", why);
	seconds = env ? atoi(env) : 20;
	ASSERT_LT(0, seconds);
	ASSERT_EQ(0, mdma_create(&dev, MDMA_TYPE_16M));
	self->ready = true;
	ASSERT_EQ(0, vfio_mig_v1_open(&mig, &dev.dev, false))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dma_alloc(&dev.container, IOVA, DMA_BUF, &dmabuf));
}

FIXTURE_TEARDOWN(stress)
{
	vfio_mig_v1_close(&mig);
	if (self->ready)
		mdma_destroy(&dev);
}

/*
 * After the races: a whole v1 migration of the hammered instance into a
 * fresh one, with their digests compared. 0, or -errno with a reason.
 */
static int migrate_whole(struct mdma *dst, const char **what)
{
	struct vfio_mig_v1 md = { 0 };
	struct mdma_digest a, b;
	struct mig_stream st = { 0 };
	int ret;

	*what = "open the destination's migration region";
	ret = vfio_mig_v1_open(&md, &dst->dev, false);
	*what = ret ? *what : "save";
	ret = ret ?: mig_save_all(&mig, &st);
	*what = ret ? *what : "load";
	/* The destination stays stopped: its container maps no memory. */
	ret = ret ?: vfio_mig_v1_set_state(&md, VFIO_DEVICE_STATE_V1_RESUMING);
	ret = ret ?: mig_load_range(&md, &st, 0, st.nchunks);
	ret = ret ?: vfio_mig_v1_set_state(&md, VFIO_DEVICE_STATE_V1_STOP);
	*what = ret ? *what : "read the digests";
	ret = ret ?: mdma_digest_read(dev.uuid, &a);
	ret = ret ?: mdma_digest_read(dst->uuid, &b);
	if (!ret && *mig_digest_diff(&a, &b)) {
		*what = mig_digest_diff(&a, &b);
		ret = -EILSEQ;
	}
	vfio_mig_v1_close(&md);
	mig_stream_free(&st);
	return ret;
}

TEST_F_TIMEOUT(stress, hammer, 3600)
{
	struct mdma other = { .dev.fd = -1 };
	unsigned long ops = 0, unexpected = 0;
	const char *what = "";
	int ret;
	struct timespec end;
	uint32_t err;
	int i;

	signal(SIGALRM, on_watchdog);
	alarm(seconds + WATCHDOG_SLACK);
	for (i = 0; i < T_NR; i++) {
		workers[i].id = i;
		workers[i].seed = 0x5eed + i;
		workers[i].doing = "starting";
		ASSERT_EQ(0, pthread_create(&workers[i].tid, NULL,
					    thread_fn[i], &workers[i]));
	}
	end.tv_sec = seconds;
	end.tv_nsec = 0;
	nanosleep(&end, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < T_NR; i++)
		pthread_join(workers[i].tid, NULL);
	alarm(0);

	for (i = 0; i < T_NR; i++) {
		struct worker *w = &workers[i];

		printf("# %-9s %8lu calls, %6lu expected errors, %lu unexpected%s%s\n",
		       thread_name[i], w->ops, w->errors, w->unexpected,
		       w->unexpected ? "; first: " : "", w->first);
		ops += w->ops;
		unexpected += w->unexpected;
		EXPECT_LT(0, w->ops);
	}
	printf("# %lu calls in %d s; %lu whole save cycles, %lu DMAs completed\n",
	       ops, seconds, workers[T_MIG].done, workers[T_DMA].done);
	EXPECT_EQ(0, unexpected);
	EXPECT_LT(0, workers[T_DMA].done) TH_LOG("no DMA completed");

	/* Afterwards the device is healthy: RUNNING after a reset, DMA works. */
	ASSERT_EQ(0, vfio_dev_reset(&dev.dev));
	ASSERT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&mig));
	memset(dmabuf.vaddr, 0, DMA_BUF);
	ASSERT_EQ(0, mdma_run(&dev, MDMA_CMD_FILL_GUEST, 0, IOVA, DMA_BUF,
			      0x77777777, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	ASSERT_EQ(-1, mdma_check_byte(dmabuf.vaddr, DMA_BUF, 0x77));

	/* And it migrates whole into a fresh instance. */
	ASSERT_EQ(0, mdma_create(&other, MDMA_TYPE_16M))
		TH_LOG("%s", vfio_errmsg());
	ret = migrate_whole(&other, &what);
	mdma_destroy(&other);
	EXPECT_EQ(0, ret) TH_LOG("migration after the races: %s: %s", what,
				 ret == -EILSEQ ? "the digests differ" :
				 strerror(-ret));
}

TEST_HARNESS_MAIN
