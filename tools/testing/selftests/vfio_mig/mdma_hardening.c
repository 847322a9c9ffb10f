// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: what a hostile or unlucky user must not be able to do to the
 * kernel: SET_IRQS without data, DOORBELL racing an unmap, instances that
 * outlive their removal, DMA on a closed device, register images no device
 * can hold, and a stop that cannot be killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/userfaultfd.h>
#include <linux/vfio_mig.h>

#include "kselftest_harness.h"
#include "mig_v1_util.h"
#include "mdma_fixture.h"
#include "vfio_mig_stream.h"

#define HARD_IOVA	0x40000000ULL

FIXTURE(hard) {
	struct mdma m;
	struct vfio_dma_buf buf;
};

FIXTURE_SETUP(hard)
{
	mdma_fixture_create(_metadata, &self->m, MDMA_TYPE_16M,
			    MDMA_SETUP_ENABLE);
}

FIXTURE_TEARDOWN(hard)
{
	mdma_destroy(&self->m);
	vfio_dma_free(NULL, &self->buf);
}

static uint64_t debugfs_val(struct mdma *m, const char *key)
{
	uint64_t v;

	return mdma_debugfs(m, key, &v) ? ~0ULL : v;
}

/*
 * SET_IRQS with count 0: the core copies no data for it whatever the data
 * type, so only TRIGGER with DATA_NONE (tear the trigger down) may
 * succeed; everything else is refused with EINVAL, on every index.
 */
TEST_F(hard, set_irqs_count_zero)
{
	static const uint32_t actions[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	static const uint32_t types[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD,
	};
	unsigned int index, a, t;

	for (index = 0; index <= VFIO_PCI_NUM_IRQS; index++) {
		for (a = 0; a < ARRAY_SIZE(actions); a++) {
			for (t = 0; t < ARRAY_SIZE(types); t++) {
				struct vfio_irq_set set = {
					.argsz = sizeof(set),
					.flags = actions[a] | types[t],
					.index = index,
					.start = 0,
					.count = 0,
				};
				bool ok = actions[a] == VFIO_IRQ_SET_ACTION_TRIGGER &&
					  types[t] == VFIO_IRQ_SET_DATA_NONE &&
					  (index == VFIO_PCI_INTX_IRQ_INDEX ||
					   index == VFIO_PCI_MSI_IRQ_INDEX);
				int ret = ioctl(self->m.dev.fd,
						VFIO_DEVICE_SET_IRQS, &set);

				if (ok) {
					EXPECT_EQ(0, ret)
						TH_LOG("index %u flags 0x%x: %s",
						       index, set.flags,
						       strerror(errno));
				} else {
					EXPECT_TRUE(ret == -1 && errno == EINVAL)
						TH_LOG("index %u flags 0x%x: %d",
						       index, set.flags, ret);
				}
			}
		}
	}
	/* The device still works: an eventfd installs and fires. */
	{
		struct {
			struct vfio_irq_set set;
			int32_t fd;
		} irq = {
			.set = {
				.argsz = sizeof(irq),
				.flags = VFIO_IRQ_SET_ACTION_TRIGGER |
					 VFIO_IRQ_SET_DATA_EVENTFD,
				.index = VFIO_PCI_INTX_IRQ_INDEX,
				.count = 1,
			},
		};
		struct vfio_irq_set fire = {
			.argsz = sizeof(fire),
			.flags = VFIO_IRQ_SET_ACTION_TRIGGER |
				 VFIO_IRQ_SET_DATA_NONE,
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		};
		uint64_t n = 0;

		irq.fd = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, irq.fd);
		ASSERT_EQ(0, ioctl(self->m.dev.fd, VFIO_DEVICE_SET_IRQS, &irq));
		ASSERT_EQ(0, ioctl(self->m.dev.fd, VFIO_DEVICE_SET_IRQS, &fire));
		EXPECT_EQ(sizeof(n), read(irq.fd, &n, sizeof(n)));
		EXPECT_EQ(1, n);
		close(irq.fd);
	}
}

/* DOORBELL racing VFIO_IOMMU_UNMAP_DMA of the range it works on. */

#define RACE_SIZE	(4UL << 20)
#define RACE_SECONDS	20
#define RACE_RINGERS	2

struct race {
	struct mdma *m;
	void *vaddr;
	atomic_bool stop;
	atomic_ulong unmaps;
	atomic_ulong rings;
	int err;
};

static void *race_ringer(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (mdma_wr(r->m, MDMA_REG_DOORBELL, 1)) {
			r->err = EIO;
			break;
		}
		atomic_fetch_add(&r->rings, 1);
	}
	return NULL;
}

static int race_map(struct race *r)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)r->vaddr,
		.iova = HARD_IOVA,
		.size = RACE_SIZE,
	};

	return ioctl(r->m->container.fd, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int race_unmap(struct race *r)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = HARD_IOVA,
		.size = RACE_SIZE,
	};

	if (ioctl(r->m->container.fd, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size == RACE_SIZE ? 0 : -EIO;
}

static void *race_unmapper(void *arg)
{
	struct sched_param sp = { 0 };
	struct race *r = arg;
	int ret = 0;

	/*
	 * SCHED_IDLE: woken when .dma_unmap is done waiting, the unmapper
	 * gets back to type1's lock late, after the engine had every chance
	 * to pin the range again.
	 */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);

	while (!ret && !atomic_load(&r->stop)) {
		ret = race_unmap(r);
		if (!ret)
			ret = race_map(r);
		atomic_fetch_add(&r->unmaps, 1);
	}
	if (ret)
		r->err = -ret;
	return NULL;
}

TEST_F_TIMEOUT(hard, doorbell_unmap_race, 180)
{
	struct race r = { .m = &self->m };
	pthread_t ringers[RACE_RINGERS], unmapper;
	struct mdma *m = &self->m;
	uint32_t err;
	unsigned int i;

	r.vaddr = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, r.vaddr);
	self->buf.vaddr = r.vaddr;
	self->buf.size = RACE_SIZE;
	ASSERT_EQ(0, race_map(&r));

	/* Every doorbell queues a fill of the whole range: two chunks. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_DST_LO, (uint32_t)HARD_IOVA));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_DST_HI, HARD_IOVA >> 32));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_LEN, RACE_SIZE));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_CMD, MDMA_CMD_FILL_GUEST));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_PATTERN, 0x5a5a5a5a));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));

	for (i = 0; i < RACE_RINGERS; i++)
		ASSERT_EQ(0, pthread_create(&ringers[i], NULL, race_ringer, &r));
	ASSERT_EQ(0, pthread_create(&unmapper, NULL, race_unmapper, &r));
	sleep(RACE_SECONDS);
	atomic_store(&r.stop, true);
	for (i = 0; i < RACE_RINGERS; i++)
		pthread_join(ringers[i], NULL);
	pthread_join(unmapper, NULL);
	TH_LOG("%lu unmaps, %lu doorbells", atomic_load(&r.unmaps),
	       atomic_load(&r.rings));
	ASSERT_EQ(0, r.err) TH_LOG("%s", strerror(r.err));
	EXPECT_LT(0, atomic_load(&r.unmaps));

	/* Drain, then DMA on the range mapped again works. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_RESET));
	EXPECT_EQ(0, debugfs_val(m, "pinned_pages"));
	memset(r.vaddr, 0, RACE_SIZE);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, HARD_IOVA, RACE_SIZE,
			      0x01010101, &err)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(-1, mdma_check_byte(r.vaddr, RACE_SIZE, 1));
	/* And so it does after one more unmap and map. */
	ASSERT_EQ(0, race_unmap(&r));
	ASSERT_EQ(0, race_map(&r));
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, HARD_IOVA, RACE_SIZE,
			      0x02020202, &err)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(-1, mdma_check_byte(r.vaddr, RACE_SIZE, 2));
	EXPECT_EQ(0, debugfs_val(m, "pinned_pages"));
}

/*
 * Bytes held by every kmalloc cache, from /proc/slabinfo; an instance's
 * state is a kmalloc()ed vfio_device.
 */
static long long kmalloc_bytes(void)
{
	char line[512], name[128];
	long long total = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		long long active, num, objsize;

		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num,
			   &objsize) != 4 || strncmp(name, "kmalloc", 7))
			continue;
		total += active * objsize;
	}
	fclose(f);
	return total;
}

#define LEAK_ROUNDS	200

/*
 * Removing an instance frees it: create and remove many, and the kmalloc
 * caches must not keep a state per round (one is several KiB).
 */
TEST_F_TIMEOUT(hard, remove_frees_instance, 300)
{
	long long before, after;
	unsigned int i;

	/*
	 * KASAN's quarantine holds freed objects back, so the caches grow
	 * whether or not anything leaks; where kmemleak runs (the debug
	 * kernels) it judges leaks instead, after the suite.
	 */
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		SKIP(return, "kmemleak judges leaks on this kernel");
	mdma_destroy(&self->m);
	/* Warm the caches up, then measure. */
	for (i = 0; i < 8; i++) {
		struct mdma x = { 0 };

		ASSERT_EQ(0, mdma_create(&x, MDMA_TYPE_16M))
			TH_LOG("%s", vfio_errmsg());
		mdma_destroy(&x);
	}
	sleep(1);
	before = kmalloc_bytes();
	ASSERT_LE(0, before) TH_LOG("/proc/slabinfo: %s", strerror(-before));
	for (i = 0; i < LEAK_ROUNDS; i++) {
		struct mdma x = { 0 };

		ASSERT_EQ(0, mdma_create(&x, MDMA_TYPE_16M))
			TH_LOG("%s", vfio_errmsg());
		mdma_destroy(&x);
	}
	sleep(2);
	after = kmalloc_bytes();
	TH_LOG("kmalloc caches: %lld KiB before, %lld KiB after %u rounds",
	       before >> 10, after >> 10, LEAK_ROUNDS);
	/* A leaked state is at least 2 KiB: 400 KiB for the rounds. */
	EXPECT_LT(after - before, LEAK_ROUNDS * 1024LL);
}

/* The management channel: select a device and set its v1 state. */
static int mgmt_select(int fd, const char *uuid)
{
	struct vfio_mig_mgmt_select sel = { .argsz = sizeof(sel) };

	snprintf(sel.name, sizeof(sel.name), "%s", uuid);
	return ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel) ? -errno : 0;
}

static int mgmt_set(int fd, uint32_t state)
{
	struct vfio_mig_mgmt_state st = {
		.argsz = sizeof(st),
		.device_state = state,
	};

	return ioctl(fd, VFIO_MIG_MGMT_SET_STATE, &st) ? -errno : 0;
}

/* A management ioctl with an argument of @argsz bytes (NULL: none). */
static int mgmt_ioctl(int fd, unsigned long req, void *arg, uint32_t argsz)
{
	if (arg)
		*(uint32_t *)arg = argsz;
	return ioctl(fd, req, arg) ? -errno : 0;
}

/*
 * Every management ioctl refuses an argument shorter than its structure
 * (EINVAL) or not there at all (EFAULT), and the channel still works.
 */
TEST_F(hard, mgmt_bad_arguments)
{
	static const unsigned long reqs[] = {
		VFIO_MIG_MGMT_GET_STATE, VFIO_MIG_MGMT_SET_STATE,
		VFIO_MIG_MGMT_INFO,
	};
	static const uint32_t minsz[] = {
		sizeof(struct vfio_mig_mgmt_state),
		sizeof(struct vfio_mig_mgmt_state),
		sizeof(struct vfio_mig_mgmt_info),
	};
	struct vfio_mig_mgmt_select sel = { 0 };
	struct vfio_mig_mgmt_state st = { 0 };
	union {
		struct vfio_mig_mgmt_state st;
		struct vfio_mig_mgmt_info info;
	} arg;
	unsigned int i;
	int fd;

	fd = open("/dev/vfio-mig", O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("/dev/vfio-mig: %s", strerror(errno));
	/* Nothing selected yet. */
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		memset(&arg, 0, sizeof(arg));
		EXPECT_EQ(-ENODEV, mgmt_ioctl(fd, reqs[i], &arg, minsz[i]));
	}

	snprintf(sel.name, sizeof(sel.name), "%s", self->m.uuid);
	EXPECT_EQ(-EINVAL, mgmt_ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel,
				      sizeof(sel) - 1));
	EXPECT_EQ(-EFAULT, mgmt_ioctl(fd, VFIO_MIG_MGMT_SELECT, NULL, 0));
	sel.flags = 1;
	EXPECT_EQ(-EINVAL, mgmt_ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel,
				      sizeof(sel)));
	sel.flags = 0;
	memset(sel.name, 'a', sizeof(sel.name));
	EXPECT_EQ(-EINVAL, mgmt_ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel,
				      sizeof(sel)));
	snprintf(sel.name, sizeof(sel.name), "no-such-device");
	EXPECT_EQ(-ENODEV, mgmt_ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel,
				      sizeof(sel)));
	ASSERT_EQ(0, mgmt_select(fd, self->m.uuid));
	EXPECT_EQ(-EBUSY, mgmt_select(fd, self->m.uuid));

	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		memset(&arg, 0, sizeof(arg));
		EXPECT_EQ(-EINVAL, mgmt_ioctl(fd, reqs[i], &arg, minsz[i] - 1))
			TH_LOG("request %u", i);
		EXPECT_EQ(-EFAULT, mgmt_ioctl(fd, reqs[i], NULL, 0))
			TH_LOG("request %u", i);
	}

	/* The channel and the device are as they were. */
	ASSERT_EQ(0, mgmt_ioctl(fd, VFIO_MIG_MGMT_GET_STATE, &st, sizeof(st)));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, st.device_state);
	EXPECT_EQ(0, mgmt_set(fd, VFIO_DEVICE_STATE_V1_RUNNING));
	close(fd);
}

/*
 * A closed device runs no DMA, even when the management channel tries to
 * load a queue with the engine enabled into it and set it running: the
 * channel refuses a closed device (ENODEV) before mdma is asked, and
 * nothing is queued, pinned or failed on it.
 */
TEST_F(hard, closed_device_runs_no_dma)
{
	struct mdma *m = &self->m, b = { 0 };
	struct vfio_mig_v1 ms;
	struct mig_stream s = { 0 };
	size_t pos = 0;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, mig_populate(m, 0x600d, 2, &self->buf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&ms, &m->dev, true));
	/* Stopped, the engine is enabled but runs nothing. */
	ASSERT_EQ(0, vfio_mig_v1_set_state(&ms, VFIO_DEVICE_STATE_V1_STOP));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(2, mdma_reg(m, MDMA_REG_DMA_QUEUED));
	ASSERT_EQ(0, vfio_mig_v1_set_state(&ms, VFIO_DEVICE_STATE_V1_SAVING));
	ASSERT_EQ(0, mig_save_rest(&ms, &s, NULL)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_set_state(&ms, VFIO_DEVICE_STATE_V1_STOP));
	vfio_mig_v1_close(&ms);

	/* A second instance, opened once and closed again. */
	ASSERT_EQ(0, mdma_create(&b, MDMA_TYPE_16M)) TH_LOG("%s", vfio_errmsg());
	vfio_dev_close(&b.dev);
	vfio_container_close(&b.container);

	fd = open("/dev/vfio-mig", O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("/dev/vfio-mig: %s", strerror(errno));
	ASSERT_EQ(0, mgmt_select(fd, b.uuid));
	EXPECT_EQ(-ENODEV, mgmt_set(fd, VFIO_DEVICE_STATE_V1_STOP));
	EXPECT_EQ(-ENODEV, mgmt_set(fd, VFIO_DEVICE_STATE_V1_RESUMING));
	for (i = 0; i < s.nchunks; i++) {
		EXPECT_EQ(-1, write(fd, s.buf + pos, s.chunk[i]));
		EXPECT_EQ(EINVAL, errno);
		pos += s.chunk[i];
	}
	EXPECT_EQ(-ENODEV, mgmt_set(fd, VFIO_DEVICE_STATE_V1_RUNNING));
	usleep(500 * 1000);
	/* Nothing ran and nothing was loaded: the power-on queue is empty. */
	EXPECT_EQ(0, debugfs_val(&b, "dma_error"));
	EXPECT_EQ(0, debugfs_val(&b, "dma_queued"));
	EXPECT_EQ(0, debugfs_val(&b, "pinned_pages"));
	close(fd);
	mig_stream_free(&s);
	mdma_destroy(&b);
}

/*
 * Register images no device can hold, and CONFIG sections no device
 * saves, are refused: each field set to one such value, the record's
 * checksum made right (a sealed stream), fails the load with EINVAL.
 */
struct bad_field {
	const char *what;
	size_t off;		/* in struct mdma_saved_config */
	uint32_t val;
};

#define CFG_QUEUE_COUNT	4
#define CFG_REG(i)	(8 + 4 * (i))
#define CFG_INTX	64
#define CFG_RESERVED	68
#define CFG_CONFIG	72
#define CFG_DESC(i, f)	(328 + 40 * (i) + (f))
#define DESC_DST	8
#define DESC_LEN	16
#define DESC_CMD	20
#define DESC_PROGRESS	28
#define DESC_RESERVED	36
#define CFG_SIZE	968

static const struct bad_field bad_fields[] = {
	{ "CTRL.RESET", CFG_REG(0), MDMA_CTRL_ENABLE | MDMA_CTRL_RESET },
	{ "CTRL bit 31", CFG_REG(0), 1U << 31 },
	{ "STATUS bit 3", CFG_REG(1), 1U << 3 },
	{ "STATUS.ENABLED without CTRL.ENABLE", CFG_REG(1), MDMA_STATUS_ENABLED },
	{ "STATUS.ERROR without DMA_ERROR", CFG_REG(1), MDMA_STATUS_ERROR },
	{ "IRQ_STATUS bit 2", CFG_REG(2), 1U << 2 },
	{ "IRQ_MASK bit 31", CFG_REG(3), 1U << 31 },
	{ "DMA_ERROR 7", CFG_REG(12), 7 },
	{ "intx_masked 2", CFG_INTX, 2 },
	{ "progress on an undefined command", CFG_DESC(0, DESC_CMD), 99 },
	{ "progress at the end", CFG_DESC(0, DESC_PROGRESS), 100 },
	{ "progress past MAX_LEN", CFG_DESC(0, DESC_LEN), 0xffffffff },
	{ "queue_count 17", CFG_QUEUE_COUNT, 17 },
	{ "the reserved word", CFG_RESERVED, 1 },
	{ "read-only config bits (vendor and device ID)", CFG_CONFIG,
	  0x12345678 },
	{ "a descriptor's reserved word", CFG_DESC(0, DESC_RESERVED), 1 },
	{ "an unused queue slot not zero", CFG_DESC(15, DESC_LEN), 4096 },
};

/* Queue slot 0 parked after @progress bytes, its IOVA then page aligned. */
static void park_desc(uint8_t *payload, uint32_t progress)
{
	uint64_t dst = MIG_IOVA + 4096 - 10;

	memcpy(payload + CFG_DESC(0, DESC_DST), &dst, sizeof(dst));
	memcpy(payload + CFG_DESC(0, DESC_PROGRESS), &progress,
	       sizeof(progress));
}

static size_t config_record(const struct mig_stream *s)
{
	size_t pos = 0;

	while (pos + sizeof(struct vfio_mig_rec) <= s->len) {
		struct vfio_mig_rec r;

		memcpy(&r, s->buf + pos, sizeof(r));
		if (r.type == VFIO_MIG_REC_DATA && r.section == 1)
			return pos;
		pos += sizeof(r) + r.len;
	}
	return 0;
}

static int load_stream(struct vfio_mig_v1 *md, const struct mig_stream *s,
		       const uint8_t *buf)
{
	size_t pos = 0;
	unsigned int i;
	int ret;

	ret = vfio_mig_v1_set_state(md, VFIO_DEVICE_STATE_V1_RESUMING);
	for (i = 0; !ret && i < s->nchunks; i++) {
		ret = vfio_mig_v1_load_chunk(md, buf + pos, s->chunk[i]);
		pos += s->chunk[i];
	}
	return ret ?: vfio_mig_v1_set_state(md, VFIO_DEVICE_STATE_V1_RUNNING);
}

TEST_F_TIMEOUT(hard, config_check_registers, 300)
{
	struct mdma *m = &self->m, d = { 0 };
	struct vfio_mig_v1 ms, md;
	struct mig_stream s = { 0 };
	struct vfio_mig_rec hdr;
	uint8_t *copy;
	size_t rec;
	unsigned int i;

	ASSERT_EQ(0, mig_populate(m, 0xc0f1, 1, &self->buf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&ms, &m->dev, true));
	ASSERT_EQ(0, mig_save_all(&ms, &s)) TH_LOG("%s", vfio_errmsg());
	vfio_mig_v1_close(&ms);
	rec = config_record(&s);
	ASSERT_NE(0, rec);
	memcpy(&hdr, s.buf + rec, sizeof(hdr));
	ASSERT_EQ(CFG_SIZE, hdr.len);

	ASSERT_EQ(0, mdma_create(&d, MDMA_TYPE_16M)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&md, &d.dev, true));
	copy = malloc(s.len);
	ASSERT_NE(NULL, copy);

	/* The stream as saved loads. */
	EXPECT_EQ(0, load_stream(&md, &s, s.buf)) TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < ARRAY_SIZE(bad_fields); i++) {
		const struct bad_field *f = &bad_fields[i];
		uint8_t *payload = copy + rec + sizeof(struct vfio_mig_rec);
		uint32_t progress = 10;

		memcpy(copy, s.buf, s.len);
		memcpy(payload + f->off, &f->val, sizeof(f->val));
		/* The descriptor cases: one parked on a page boundary. */
		if (f->off >= CFG_DESC(0, 0))
			park_desc(payload, f->off == CFG_DESC(0, DESC_PROGRESS) ?
				  f->val : progress);
		if (f->off != CFG_DESC(0, DESC_PROGRESS))
			memcpy(payload + f->off, &f->val, sizeof(f->val));
		vfio_mig_rec_seal(copy + rec);
		EXPECT_EQ(-EINVAL, load_stream(&md, &s, copy))
			TH_LOG("%s accepted", f->what);
		EXPECT_EQ(0, vfio_dev_reset(&d.dev));
	}
	/* A descriptor parked on a page boundary is fine. */
	{
		memcpy(copy, s.buf, s.len);
		park_desc(copy + rec + sizeof(struct vfio_mig_rec), 10);
		vfio_mig_rec_seal(copy + rec);
		EXPECT_EQ(0, load_stream(&md, &s, copy))
			TH_LOG("%s", vfio_errmsg());
	}
	free(copy);
	vfio_mig_v1_close(&md);
	mig_stream_free(&s);
	mdma_destroy(&d);
}

/*
 * The CONFIG section is loaded from the v1 data window, which the user
 * can write through its mapping while the device reads it: a read-only
 * config byte flipped between a good and a bad value behind the load's
 * back must never end up in the device.
 */
struct flipper {
	uint8_t *byte;
	atomic_bool stop;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		__atomic_store_n(f->byte, MDMA_PCI_VENDOR_ID & 0xff,
				 __ATOMIC_RELAXED);
		__atomic_store_n(f->byte, 0xff, __ATOMIC_RELAXED);
	}
	return NULL;
}

#define FLIP_SECONDS	60
#define CFG_CONFIG	72

TEST_F_TIMEOUT(hard, config_load_window_race, 180)
{
	struct mdma *m = &self->m, d = { 0 };
	struct vfio_mig_v1 ms, md;
	struct mig_stream s = { 0 };
	struct vfio_mig_rec hdr, cfg;
	struct flipper f = { 0 };
	unsigned int tries = 0, loaded = 0;
	uint8_t *small;
	size_t rec, hlen, clen;
	long long end;
	pthread_t t;

	ASSERT_EQ(0, mig_populate(m, 0xf11b, 0, &self->buf))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&ms, &m->dev, true));
	ASSERT_EQ(0, mig_save_all(&ms, &s)) TH_LOG("%s", vfio_errmsg());
	vfio_mig_v1_close(&ms);

	/* The stream header and the CONFIG record, as records 0 and 1. */
	memcpy(&hdr, s.buf, sizeof(hdr));
	hlen = sizeof(hdr) + hdr.len;
	rec = config_record(&s);
	ASSERT_NE(0, rec);
	memcpy(&cfg, s.buf + rec, sizeof(cfg));
	clen = sizeof(cfg) + cfg.len;
	small = malloc(hlen + clen);
	ASSERT_NE(NULL, small);
	memcpy(small, s.buf, hlen);
	memcpy(small + hlen, s.buf + rec, clen);
	cfg.seq = 1;
	memcpy(small + hlen, &cfg, sizeof(cfg));
	vfio_mig_rec_seal(small + hlen);

	ASSERT_EQ(0, mdma_create(&d, MDMA_TYPE_16M)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&md, &d.dev, true));
	ASSERT_NE(NULL, md.window) TH_LOG("the data window cannot be mapped");
	/* The vendor ID's low byte, where the chunk lands in the window. */
	f.byte = (uint8_t *)md.window + hlen + sizeof(cfg) + CFG_CONFIG;
	ASSERT_EQ(0, pthread_create(&t, NULL, flip, &f));

	end = mig_now_ms() + FLIP_SECONDS * 1000;
	while (mig_now_ms() < end) {
		uint32_t vendor = 0;
		int ret;

		tries++;
		ret = vfio_mig_v1_set_state(&md, VFIO_DEVICE_STATE_V1_RESUMING);
		if (!ret) {
			ret = vfio_mig_v1_load_chunk(&md, small, hlen + clen);
			loaded += !ret;
		}
		if (vfio_pci_config_read(&d.dev, PCI_VENDOR_ID, 2, &vendor) ||
		    vendor != MDMA_PCI_VENDOR_ID) {
			EXPECT_EQ(MDMA_PCI_VENDOR_ID, vendor)
				TH_LOG("after %u loads: the device took a value it refused",
				       tries);
			break;
		}
		ASSERT_EQ(0, vfio_dev_reset(&d.dev));
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	TH_LOG("%u loads, %u accepted", tries, loaded);
	free(small);
	vfio_mig_v1_close(&md);
	mig_stream_free(&s);
	mdma_destroy(&d);
}

/*
 * A chunk stuck in vfio_pin_pages(): here behind type1's lock, held by a
 * dirty-bitmap read faulting on a userfaultfd page nobody serves yet.
 * Whatever waits for that chunk (stopping the device, resetting it) waits
 * for user space, so it must wait killably.
 */
struct bitmap_reader {
	int container;
	void *bitmap;
	int ret;
};

static void *bitmap_read(void *arg)
{
	struct bitmap_reader *br = arg;
	struct {
		struct vfio_iommu_type1_dirty_bitmap hdr;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} req = {
		.hdr = {
			.argsz = sizeof(req),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		},
		.get = {
			.iova = HARD_IOVA,
			.size = 64 << 10,
			.bitmap = {
				.pgsize = 4096,
				.size = 8,
			},
		},
	};

	req.get.bitmap.data = br->bitmap;
	br->ret = ioctl(br->container, VFIO_IOMMU_DIRTY_PAGES, &req) ? -errno : 0;
	return NULL;
}

struct stall {
	int uffd;
	struct bitmap_reader br;
	pthread_t reader;
};

/* Start a FILL whose first chunk waits in vfio_pin_pages(). */
static void stall_engine(struct __test_metadata *_metadata,
			 struct _test_data_hard *self, struct stall *st)
{
	struct vfio_iommu_type1_dirty_bitmap start = {
		.argsz = sizeof(start),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct mdma *m = &self->m;

	st->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, st->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, vfio_dma_alloc(&m->container, HARD_IOVA, 64 << 10,
				    &self->buf)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, ioctl(m->container.fd, VFIO_IOMMU_DIRTY_PAGES, &start));

	ASSERT_EQ(0, ioctl(st->uffd, UFFDIO_API, &api));
	st->br.bitmap = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st->br.bitmap);
	reg.range.start = (uintptr_t)st->br.bitmap;
	reg.range.len = 4096;
	ASSERT_EQ(0, ioctl(st->uffd, UFFDIO_REGISTER, &reg));

	/* The reader holds type1's lock, faulting on the bitmap. */
	st->br.container = m->container.fd;
	ASSERT_EQ(0, pthread_create(&st->reader, NULL, bitmap_read, &st->br));
	usleep(300 * 1000);
	/* A descriptor: its first chunk waits for that lock. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0, HARD_IOVA, 4096, 7));
	usleep(300 * 1000);
	EXPECT_TRUE(mdma_reg(m, MDMA_REG_STATUS) & MDMA_STATUS_BUSY);
}

/*
 * Serve the fault: the reader and the chunk move on, and so does @child
 * (a task expect_waits_killably() could not reap, or 0), which is reaped.
 */
static void unstall_engine(struct __test_metadata *_metadata,
			   struct stall *st, pid_t child)
{
	struct uffdio_zeropage zero = { .mode = 0 };

	zero.range.start = (uintptr_t)st->br.bitmap;
	zero.range.len = 4096;
	EXPECT_EQ(0, ioctl(st->uffd, UFFDIO_ZEROPAGE, &zero));
	pthread_join(st->reader, NULL);
	EXPECT_EQ(0, st->br.ret);
	close(st->uffd);
	munmap(st->br.bitmap, 4096);
	if (child)
		waitpid(child, NULL, 0);
}

/*
 * In a child, @op(@m, @arg) must wait (the engine is stalled) and SIGKILL
 * must end the child all the same. Returns the child's pid if it could
 * not be reaped yet (the caller reaps it once the engine moves on), else 0.
 */
static pid_t expect_waits_killably(struct __test_metadata *_metadata,
				   int (*op)(struct mdma *m, void *arg),
				   struct mdma *m, void *arg, const char *what)
{
	int status = 0, waited;
	pid_t child, got = 0;

	child = fork();
	if (child < 0)
		return 0;
	if (child == 0)
		_exit(op(m, arg) ? 1 : 0);
	usleep(500 * 1000);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG))
		TH_LOG("%s did not wait for the engine", what);
	kill(child, SIGKILL);
	for (waited = 0; waited < 100 && got != child; waited++) {
		got = waitpid(child, &status, WNOHANG);
		if (got != child)
			usleep(50 * 1000);
	}
	EXPECT_EQ(child, got) TH_LOG("the task in %s could not be killed", what);
	return got == child ? 0 : child;
}

/* The device recovers with a reset and runs DMA again. */
static void expect_recovers(struct __test_metadata *_metadata,
			    struct _test_data_hard *self)
{
	struct mdma *m = &self->m;
	uint32_t err;

	EXPECT_EQ(0, vfio_dev_reset(&m->dev));
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, HARD_IOVA, 4096,
			      0x03030303, &err));
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(0, vfio_dma_free(&m->container, &self->buf));
	self->buf.vaddr = NULL;
}

static int v1_stop(struct mdma *m, void *arg)
{
	return vfio_mig_v1_set_state(arg, VFIO_DEVICE_STATE_V1_STOP);
}

static int device_reset(struct mdma *m, void *arg)
{
	return vfio_dev_reset(&m->dev);
}

static int soft_reset(struct mdma *m, void *arg)
{
	return mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_RESET);
}

/* The sysctl exists exactly when the kernel has userfaultfd. */
static bool have_userfaultfd(void)
{
	return !access("/proc/sys/vm/unprivileged_userfaultfd", F_OK);
}

TEST_F_TIMEOUT(hard, stop_is_killable, 120)
{
	struct vfio_mig_v1 mv;
	struct stall st;
	pid_t child;

	if (!have_userfaultfd())
		SKIP(return, "kernel without userfaultfd");
	ASSERT_EQ(0, vfio_mig_v1_open(&mv, &self->m.dev, true));
	stall_engine(_metadata, self, &st);
	child = expect_waits_killably(_metadata, v1_stop, &self->m, &mv,
				      "a stop");
	unstall_engine(_metadata, &st, child);
	vfio_mig_v1_close(&mv);
	expect_recovers(_metadata, self);
}

/*
 * VFIO_DEVICE_RESET waits for the chunk in flight, under the framework's
 * lock: killably, and a reset cut short leaves the device in the error
 * state (a reset that did not happen is not a reset).
 */
TEST_F_TIMEOUT(hard, reset_is_killable, 120)
{
	struct vfio_mig_v1 mv;
	struct stall st;
	pid_t child;

	if (!have_userfaultfd())
		SKIP(return, "kernel without userfaultfd");
	ASSERT_EQ(0, vfio_mig_v1_open(&mv, &self->m.dev, false));
	stall_engine(_metadata, self, &st);
	child = expect_waits_killably(_metadata, device_reset, &self->m, NULL,
				      "VFIO_DEVICE_RESET");
	if (!child)
		EXPECT_EQ(VFIO_DEVICE_STATE_SET_ERROR(0), mig_state(&mv));
	unstall_engine(_metadata, &st, child);
	vfio_mig_v1_close(&mv);
	expect_recovers(_metadata, self);
}

/* The guest's CTRL.RESET waits for the chunk in flight too: killably. */
TEST_F_TIMEOUT(hard, soft_reset_is_killable, 120)
{
	struct stall st;
	pid_t child;

	if (!have_userfaultfd())
		SKIP(return, "kernel without userfaultfd");
	stall_engine(_metadata, self, &st);
	child = expect_waits_killably(_metadata, soft_reset, &self->m, NULL,
				      "CTRL.RESET");
	unstall_engine(_metadata, &st, child);
	expect_recovers(_metadata, self);
}

TEST_HARNESS_MAIN
