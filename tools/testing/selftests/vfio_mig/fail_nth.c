// SPDX-License-Identifier: GPL-2.0
/*
 * fail_nth: fail the n-th allocation of each path an mdma user drives,
 * for n = 1, 2, ... until the path no longer meets a failure, in the
 * style of tools/testing/selftests/iommu/iommufd_fail_nth.c.
 *
 * Writing n to /proc/self/task/<tid>/fail-nth makes the n-th slab or page
 * allocation of this thread fail (failslab and fail_page_alloc). Each
 * failure must come back as a clean errno (ENOMEM) or be absorbed, and
 * then what the path produced is checked; every sweep must exercise at
 * least one point; the device must work afterwards, and the kernel must
 * neither splat nor leak (the debug lane checks the kernel log and
 * kmemleak after the run).
 *
 * Paths: mdev creation (the sysfs write), device open
 * (VFIO_GROUP_GET_DEVICE_FD), the migration region's info with its
 * capability chain, DMA (VFIO_IOMMU_MAP_DMA and the doorbell; the engine
 * pins pages from a work item, which a per-thread fail-nth cannot reach),
 * a v2 save (STOP_COPY and reading the data fd; a v1 save allocates
 * nothing) and a v1 load (RESUMING, writing the stream, RUNNING).
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAILSLAB and
 * CONFIG_FAIL_PAGE_ALLOC; elsewhere every test is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/vfio_mig.h>

#include "kselftest_harness.h"
#include "mig_v1_util.h"

#define FI_DIR		"/sys/kernel/debug"
#define MAX_NTH		2000
#define IOVA		0x40000000ULL
#define DMA_LEN		(256u << 10)
#define INFO_SIZE	4096
#define MAX_CHUNKS	4096

/* The n-th allocation failure of the current iteration, 0 for none. */
static int nth_fd = -1;
static unsigned int nth_cur;
/* vfio_create_group() could not be kept out of the injection. */
static bool upstream_unfiltered;

static int write_knob(const char *file, const char *val)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FI_DIR "/%s", file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Linux 6.12's vfio_create_group() WARNs on its own error path (a group
 * released with its iommu_group still set, drivers/vfio/group.c:538), so
 * allocations made under it are not failed: set the fault injection
 * stack filter to reject them. It matches every frame of the stack, so
 * the rest of mdev creation is still swept. 6.1 has the same WARN but
 * no stack filter on x86_64: there the mdev creation sweep is skipped.
 */
static int reject_upstream(void)
{
	unsigned long long start = 0, end = ~0ULL, a;
	char line[256], name[128], type, val[32];
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 &&
		    !strcmp(name, "vfio_create_group"))
			start = a;
	rewind(f);
	while (start && fgets(line, sizeof(line), f)) {
		a = strtoull(line, NULL, 16);
		if (a > start && a < end)
			end = a;
	}
	fclose(f);
	if (!start)
		return 0;	/* vfio core built otherwise: nothing to skip */
	if (access(FI_DIR "/failslab/reject-start", F_OK)) {
		upstream_unfiltered = true;
		return 0;
	}
	printf("# not failing allocations under vfio_create_group [%#llx, %#llx)\n",
	       start, end);
	snprintf(val, sizeof(val), "%llu", start);
	if (write_knob("failslab/reject-start", val) ||
	    write_knob("fail_page_alloc/reject-start", val))
		return -EIO;
	snprintf(val, sizeof(val), "%llu", end);
	if (write_knob("failslab/reject-end", val) ||
	    write_knob("fail_page_alloc/reject-end", val))
		return -EIO;
	return 0;
}

/*
 * Return NULL once failslab and fail_page_alloc are set up for fail-nth,
 * or why they cannot be. verbose=0 keeps the injected failures out of the
 * kernel log: they are expected, while any real splat must stand out.
 */
static const char *fault_injection_setup(void)
{
	static const char * const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "failslab/task-filter", "Y" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_page_alloc/task-filter", "Y" },
	};
	char path[64];
	size_t i;

	if (access(FI_DIR "/failslab", F_OK) ||
	    access(FI_DIR "/fail_page_alloc", F_OK))
		return "no failslab/fail_page_alloc in debugfs (CONFIG_FAULT_INJECTION_DEBUG_FS)";
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (write_knob(knobs[i][0], knobs[i][1]))
			return "cannot set up failslab/fail_page_alloc";
	if (reject_upstream())
		return "cannot set up the stack filter (reject-start/end)";
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	nth_fd = open(path, O_RDWR);
	if (nth_fd < 0)
		return "no /proc/self/task/<tid>/fail-nth";
	return NULL;
}

/* Arm the injection for the next allocations of this thread. */
static void arm(void)
{
	char buf[16];
	int len;

	if (!nth_cur)
		return;
	len = snprintf(buf, sizeof(buf), "%u", nth_cur);
	if (pwrite(nth_fd, buf, len, 0) != len)
		abort();
}

/* Disarm; return true if the armed failure was injected. */
static bool disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	if (!nth_cur)
		return false;
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	/* The read itself may use up the count: then nothing else did. */
	if (n < 0)
		buf[0] = '1';
	if (pwrite(nth_fd, "0", 1, 0) != 1 && pwrite(nth_fd, "0", 1, 0) != 1)
		abort();
	return buf[0] == '0';
}

/* Sweep bookkeeping of one path. */
struct sweep {
	const char *name;
	unsigned int points;	/* iterations where a failure was injected */
	unsigned int failed;	/* ... and the operation failed cleanly */
	unsigned int absorbed;	/* ... and the operation still succeeded */
};

static void sweep_report(const struct sweep *s)
{
	printf("# fail-nth %s: %u points exercised (%u failed with ENOMEM, %u absorbed)\n",
	       s->name, s->points, s->failed, s->absorbed);
}

/* One DMA round trip through device memory: guest -> device -> guest. */
static int dma_round_trip(struct mdma *m)
{
	struct vfio_dma_buf buf = { 0 };
	uint32_t err;
	int ret;

	ret = vfio_dma_alloc(&m->container, IOVA, 2 * DMA_LEN, &buf);
	if (ret)
		return ret;
	mdma_pattern(buf.vaddr, DMA_LEN, nth_cur + 7);
	ret = mdma_run(m, MDMA_CMD_GUEST_TO_DEV, IOVA, 4096, DMA_LEN, 0, &err);
	if (!ret && err)
		ret = -EIO;
	if (!ret)
		ret = mdma_run(m, MDMA_CMD_DEV_TO_GUEST, 4096, IOVA + DMA_LEN,
			       DMA_LEN, 0, &err);
	if (!ret && err)
		ret = -EIO;
	if (!ret && mdma_cmp(buf.vaddr, (uint8_t *)buf.vaddr + DMA_LEN,
			     DMA_LEN) >= 0)
		ret = -EILSEQ;
	vfio_dma_free(&m->container, &buf);
	return ret;
}

/* Bring a device back to RUNNING, through a reset if need be. */
static int recover(struct vfio_mig_v1 *v)
{
	if (__mig_set(v, VFIO_DEVICE_STATE_V1_RUNNING) && vfio_dev_reset(v->dev))
		return -EIO;
	return mig_state(v) == VFIO_DEVICE_STATE_V1_RUNNING ? 0 : -EIO;
}

/* A saved stream, chunk by chunk as the device staged it. */
struct stream {
	uint8_t *data;
	size_t cap;
	size_t len;
	unsigned int nr;
	size_t chunk[MAX_CHUNKS];
};

/*
 * STOP_COPY and read every chunk into @s, whose memory is already
 * faulted in (a page fault while armed would fail, not the path); the
 * caller arms around it.
 */
static int save(struct vfio_mig_v1 *v, struct stream *s)
{
	uint64_t pending, off, size;
	int ret;

	s->len = 0;
	s->nr = 0;
	ret = __mig_set(v, VFIO_DEVICE_STATE_V1_SAVING);
	do {
		ret = ret ?: mig_rd(v, MIG_HDR(data_offset), &off, sizeof(off));
		ret = ret ?: mig_rd(v, MIG_HDR(data_size), &size, sizeof(size));
		if (!ret && (size > s->cap - s->len || s->nr == MAX_CHUNKS))
			ret = -E2BIG;
		ret = ret ?: mig_rd(v, off, s->data + s->len, size);
		if (!ret) {
			s->chunk[s->nr++] = size;
			s->len += size;
		}
		ret = ret ?: mig_rd(v, MIG_HDR(pending_bytes), &pending, sizeof(pending));
	} while (!ret && pending);
	return ret;
}

/* RESUMING, write every chunk, RUNNING; the caller arms around it. */
static int load(struct vfio_mig_v1 *v, const struct stream *s)
{
	size_t pos = 0;
	unsigned int i;
	int ret;

	ret = __mig_set(v, VFIO_DEVICE_STATE_V1_RESUMING);
	for (i = 0; !ret && i < s->nr; i++) {
		ret = mig_feed_raw(v, s->data + pos, s->chunk[i]);
		pos += s->chunk[i];
	}
	return ret ?: __mig_set(v, VFIO_DEVICE_STATE_V1_RUNNING);
}

static int stream_init(struct stream *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->data = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->data == MAP_FAILED) {
		s->data = NULL;
		return -errno;
	}
	/* Touch every page: a fault while armed would fail, not the path. */
	memset(s->data, 0, cap);
	s->cap = cap;
	return 0;
}

static void stream_fini(struct stream *s)
{
	if (s->data)
		munmap(s->data, s->cap);
	s->data = NULL;
}

FIXTURE(nth) {
	struct mdma a;
	struct mdma b;
	struct vfio_mig_v1 va;
	struct vfio_mig_v1 vb;
	struct stream st;
	uint8_t *mem;
};

FIXTURE_SETUP(nth)
{
	const char *why = mdma_unavailable(MDMA_TYPE_16M);

	mdma_init(&self->a);
	mdma_init(&self->b);
	nth_cur = 0;
	if (!why)
		why = fault_injection_setup();
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(nth)
{
	mdma_destroy(&self->a);
	mdma_destroy(&self->b);
	stream_fini(&self->st);
	free(self->mem);
	if (nth_fd >= 0)
		close(nth_fd);
	nth_fd = -1;
}

/*
 * Count one armed operation and check its outcome: with a failure
 * injected it may fail, with ENOMEM only; without one it must succeed,
 * and the sweep ends. Return true when it ends.
 */
static bool nth_outcome(struct __test_metadata *_metadata, struct sweep *sw,
			bool fired, int ret)
{
	if (fired) {
		sw->points++;
		if (ret)
			sw->failed++;
		else
			sw->absorbed++;
	}
	if (ret && (!fired || ret != -ENOMEM))
		TH_LOG("n=%u: %s failed with %s%s", nth_cur, sw->name,
		       strerror(-ret), fired ? "" : " (nothing injected)");
	EXPECT_TRUE(fired ? !ret || ret == -ENOMEM : !ret);
	return !fired;
}

TEST_F_TIMEOUT(nth, mdev_create, 900)
{
	struct sweep sw = { .name = "mdev create" };
	char path[512], uuid[37];
	bool fired, end = false;
	int fd, ret;

	if (upstream_unfiltered)
		SKIP(return, "no fault-injection stack filter to spare vfio_create_group()");
	ASSERT_EQ(0, vfio_mdev_type_path(MDMA_PARENT, MDMA_TYPE_16M, path,
					 sizeof(path)));
	strcat(path, "/create");
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		ASSERT_EQ(0, vfio_mdev_uuid_generate(uuid));
		fd = open(path, O_WRONLY);
		ASSERT_LE(0, fd);
		arm();
		ret = write(fd, uuid, 36) == 36 ? 0 : -errno;
		fired = disarm();
		close(fd);
		end = nth_outcome(_metadata, &sw, fired, ret);
		/* Absorbed: the instance it created works. */
		if (fired && !ret) {
			ASSERT_EQ(0, mdma_open(&self->b, uuid))
				TH_LOG("n=%u: %s", nth_cur, vfio_errmsg());
			EXPECT_EQ(MDMA_ID, mdma_reg(&self->b, MDMA_REG_ID));
			self->b.created = false;
			mdma_destroy(&self->b);
		}
		/* A failed creation leaves nothing behind. */
		ASSERT_EQ(0, ret ? vfio_mdev_exists(uuid) :
			     vfio_mdev_remove(uuid));
	}
	nth_cur = 0;
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	ASSERT_EQ(0, mdma_create(&self->a, MDMA_TYPE_16M));
	ASSERT_EQ(0, dma_round_trip(&self->a));
}

TEST_F_TIMEOUT(nth, device_open, 900)
{
	struct sweep sw = { .name = "device open" };
	struct vfio_container c;
	bool fired, end = false;
	int group, gfd, fd, ret;

	ASSERT_EQ(0, mdma_create(&self->b, MDMA_TYPE_16M));
	/* Only the mdev stays: each iteration opens it from scratch. */
	self->b.created = false;
	mdma_destroy(&self->b);
	self->b.created = true;
	group = vfio_mdev_group(self->b.uuid);
	ASSERT_LE(0, group);
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		ASSERT_EQ(0, vfio_container_open(&c));
		gfd = vfio_group_attach(&c, group);
		ASSERT_LE(0, gfd);
		arm();
		fd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, self->b.uuid);
		ret = fd < 0 ? -errno : 0;
		fired = disarm();
		end = nth_outcome(_metadata, &sw, fired, ret);
		/* Absorbed: the device file it gave serves BAR0. */
		if (fired && fd >= 0) {
			uint32_t id = 0;

			EXPECT_EQ((ssize_t)sizeof(id),
				  pread(fd, &id, sizeof(id), MDMA_REG_ID));
			EXPECT_EQ(MDMA_ID, id) TH_LOG("n=%u", nth_cur);
		}
		if (fd >= 0)
			close(fd);
		close(gfd);
		vfio_container_close(&c);
	}
	nth_cur = 0;
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	ASSERT_EQ(0, mdma_open(&self->a, self->b.uuid));
	ASSERT_EQ(0, dma_round_trip(&self->a));
}

TEST_F_TIMEOUT(nth, region_info, 900)
{
	const uint16_t sparse = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	struct sweep sw = { .name = "region info" };
	struct vfio_region_info *info;
	struct vfio_region *r = &self->va.region;
	bool fired, end = false;
	int ret;

	ASSERT_EQ(0, mdma_create(&self->a, MDMA_TYPE_16M));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->va, &self->a.dev, false));
	info = calloc(1, INFO_SIZE);
	ASSERT_NE(NULL, info);
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		memset(info, 0, INFO_SIZE);
		info->argsz = INFO_SIZE;
		info->index = r->index;
		arm();
		ret = ioctl(self->a.dev.fd, VFIO_DEVICE_GET_REGION_INFO,
			    info) ? -errno : 0;
		fired = disarm();
		end = nth_outcome(_metadata, &sw, fired, ret);
		/* Absorbed: the answer is whole, capabilities and all. */
		if (fired && !ret) {
			EXPECT_EQ(r->size, info->size) TH_LOG("n=%u", nth_cur);
			EXPECT_NE(NULL, vfio_region_cap_find(info, sparse));
		}
	}
	nth_cur = 0;
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	ASSERT_NE(0, info->cap_offset);
	ASSERT_NE(NULL, vfio_region_cap_find(info, VFIO_REGION_INFO_CAP_TYPE));
	ASSERT_NE(NULL, vfio_region_cap_find(info,
					     VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	free(info);
	ASSERT_EQ(0, dma_round_trip(&self->a));
}

TEST_F_TIMEOUT(nth, dma, 900)
{
	struct sweep sw = { .name = "dma map and doorbell" };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	bool fired, end = false;
	uint32_t err;
	void *buf;
	int ret;

	ASSERT_EQ(0, mdma_create(&self->a, MDMA_TYPE_16M));
	buf = mmap(NULL, DMA_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, DMA_LEN);
	ASSERT_EQ(0, mdma_wr(&self->a, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		map.vaddr = (uintptr_t)buf;
		map.iova = IOVA;
		map.size = DMA_LEN;
		ASSERT_EQ(0, mdma_wr(&self->a, MDMA_REG_IRQ_STATUS,
				     MDMA_IRQ_ALL));
		arm();
		ret = ioctl(self->a.container.fd, VFIO_IOMMU_MAP_DMA, &map) ?
		      -errno : 0;
		ret = ret ?: mdma_submit(&self->a, MDMA_CMD_FILL_GUEST, 0, IOVA,
					 DMA_LEN, 0x5a5a5a5a);
		fired = disarm();
		end = nth_outcome(_metadata, &sw, fired, ret);
		if (!ret) {
			ASSERT_EQ(0, mdma_wait(&self->a, MDMA_IRQ_ALL,
					       MDMA_TIMEOUT_MS));
			ASSERT_EQ(0, mdma_rd(&self->a, MDMA_REG_IRQ_STATUS,
					     &err));
			ASSERT_EQ(MDMA_IRQ_DONE, err & MDMA_IRQ_ALL);
			ASSERT_EQ(-1, mdma_check_byte(buf, DMA_LEN, 0x5a));
			memset(buf, 0, DMA_LEN);
		}
		/* Unmapping a range that was never mapped is no error. */
		vfio_dma_unmap(&self->a.container, IOVA, DMA_LEN, NULL);
	}
	nth_cur = 0;
	munmap(buf, DMA_LEN);
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	ASSERT_EQ(0, dma_round_trip(&self->a));
}

/* Fill device memory with a pattern and keep a copy in self->mem. */
static int fill_device(struct mdma *m, uint8_t **copy)
{
	size_t len = m->mem_size;
	uint8_t *p = malloc(len);
	int ret;

	if (!p)
		return -ENOMEM;
	mdma_pattern(p, len, 0x1234);
	ret = vfio_region_write(&m->dev, &m->bar2, 0, p, len);
	if (ret) {
		free(p);
		return ret;
	}
	*copy = p;
	return 0;
}

/* Device memory of @m equals @want. */
static int check_device(struct mdma *m, const uint8_t *want)
{
	size_t len = m->mem_size;
	uint8_t *p = malloc(len);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = vfio_region_read(&m->dev, &m->bar2, 0, p, len);
	if (!ret && mdma_cmp(p, want, len) >= 0)
		ret = -EILSEQ;
	free(p);
	return ret;
}

/*
 * v2: STOP_COPY, read the data fd to its end into @s (pieces of the v1
 * window's size, so load() can replay it), STOP. The v2 path allocates
 * (the data fd, its buffer); the v1 one does not, its window exists from
 * open on, so v1 saving has no failure point to sweep.
 */
static int v2_save(struct mdma *m, struct stream *s, size_t piece)
{
	int fd = -1, ret;
	ssize_t n;

	s->len = 0;
	s->nr = 0;
	ret = vfio_mig_v2_set_state(&m->dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	while (!ret) {
		if (s->cap - s->len < piece || s->nr == MAX_CHUNKS) {
			ret = -E2BIG;
			break;
		}
		n = read(fd, s->data + s->len, piece);
		if (n < 0)
			ret = -errno;
		if (n <= 0)
			break;
		s->chunk[s->nr++] = n;
		s->len += n;
	}
	if (fd >= 0)
		close(fd);
	return ret ?: vfio_mig_v2_set_state(&m->dev, VFIO_DEVICE_STATE_STOP,
					    NULL);
}

TEST_F_TIMEOUT(nth, v2_save, 1800)
{
	struct sweep sw = { .name = "v2 save" };
	bool fired, end = false;
	size_t piece;
	int ret;

	ASSERT_EQ(0, mdma_create(&self->a, MDMA_TYPE_16M));
	ASSERT_EQ(0, mdma_create(&self->b, MDMA_TYPE_16M));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->va, &self->a.dev, false));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->vb, &self->b.dev, false));
	piece = self->va.data_size;	/* the v1 window */
	ASSERT_EQ(0, stream_init(&self->st, 2 * self->a.mem_size));
	ASSERT_EQ(0, fill_device(&self->a, &self->mem));
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		arm();
		ret = v2_save(&self->a, &self->st, piece);
		fired = disarm();
		end = nth_outcome(_metadata, &sw, fired, ret);
		ASSERT_EQ(0, recover(&self->va));
		/* A failed save may need a reset, which clears the memory. */
		if (ret)
			ASSERT_EQ(0, vfio_region_write(&self->a.dev,
						       &self->a.bar2, 0,
						       self->mem,
						       self->a.mem_size));
		/* Absorbed: the stream it made loads, and is the device. */
		if (fired && !ret) {
			EXPECT_EQ(0, load(&self->vb, &self->st))
				TH_LOG("n=%u", nth_cur);
			EXPECT_EQ(0, check_device(&self->b, self->mem))
				TH_LOG("n=%u", nth_cur);
			ASSERT_EQ(0, recover(&self->vb));
		}
	}
	nth_cur = 0;
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	/* The last, undisturbed stream is a good one. */
	ASSERT_EQ(0, load(&self->vb, &self->st));
	ASSERT_EQ(0, check_device(&self->b, self->mem));
	ASSERT_EQ(0, check_device(&self->a, self->mem));
	ASSERT_EQ(0, dma_round_trip(&self->a));
	ASSERT_EQ(0, dma_round_trip(&self->b));
}

TEST_F_TIMEOUT(nth, load, 1800)
{
	struct sweep sw = { .name = "v1 load" };
	bool fired, end = false;
	int ret;

	ASSERT_EQ(0, mdma_create(&self->a, MDMA_TYPE_16M));
	ASSERT_EQ(0, mdma_create(&self->b, MDMA_TYPE_16M));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->va, &self->a.dev, false));
	ASSERT_EQ(0, vfio_mig_v1_open(&self->vb, &self->b.dev, false));
	ASSERT_EQ(0, stream_init(&self->st, 2 * self->a.mem_size));
	ASSERT_EQ(0, fill_device(&self->a, &self->mem));
	ASSERT_EQ(0, save(&self->va, &self->st));
	ASSERT_EQ(0, recover(&self->va));
	for (nth_cur = 1; !end && nth_cur < MAX_NTH; nth_cur++) {
		arm();
		ret = load(&self->vb, &self->st);
		fired = disarm();
		end = nth_outcome(_metadata, &sw, fired, ret);
		/* Absorbed: the device holds what was saved. */
		if (fired && !ret)
			EXPECT_EQ(0, check_device(&self->b, self->mem))
				TH_LOG("n=%u", nth_cur);
		if (ret)
			ASSERT_EQ(0, recover(&self->vb));
	}
	nth_cur = 0;
	sweep_report(&sw);
	ASSERT_TRUE(end);
	ASSERT_LT(0, sw.points);
	ASSERT_EQ(0, check_device(&self->b, self->mem));
	ASSERT_EQ(0, dma_round_trip(&self->b));
}

TEST_HARNESS_MAIN
