// SPDX-License-Identifier: GPL-2.0
/*
 * Who may act on a migration session: the channel that opened it (the v1
 * region, one v2 data fd, one file of /dev/vfio-mig) and nobody else.
 * Also the management channel's limits (an open, registered device only),
 * the reset against concurrent state changes, the data fd's poll and the
 * device migrated out of band only, which has no region to reach.
 *
 * Each test is named after the defect it guards against.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include <linux/vfio_mig.h>

#include "kselftest_harness.h"
#include "mig_pair.h"

#define MDMA_TYPE_16M_OOB	"mdma-16m-oob"
#define MGMT_DEV		"/dev/vfio-mig"

/* Open /dev/vfio-mig and select @uuid: the fd, or -errno. */
static int mgmt_open(const char *uuid)
{
	struct vfio_mig_mgmt_select sel = { .argsz = sizeof(sel) };
	int fd = open(MGMT_DEV, O_RDWR);

	if (fd < 0)
		return -errno;
	snprintf(sel.name, sizeof(sel.name), "%s", uuid);
	if (ioctl(fd, VFIO_MIG_MGMT_SELECT, &sel)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int mgmt_set(int fd, uint32_t st)
{
	struct vfio_mig_mgmt_state s = { .argsz = sizeof(s),
					 .device_state = st };

	return ioctl(fd, VFIO_MIG_MGMT_SET_STATE, &s) ? -errno : 0;
}

static uint32_t mgmt_get(int fd)
{
	struct vfio_mig_mgmt_state s = { .argsz = sizeof(s) };

	return ioctl(fd, VFIO_MIG_MGMT_GET_STATE, &s) ? NO_STATE :
							 s.device_state;
}

static int mgmt_info(int fd, struct vfio_mig_mgmt_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(fd, VFIO_MIG_MGMT_INFO, info) ? -errno : 0;
}

/* Read a whole saved stream from @fd (a management file) into @b. */
static int mgmt_read_all(int fd, struct vfio_mig_v2_buf *b)
{
	return vfio_mig_v2_read_all(fd, b, 256UL << 20, NULL);
}

/* p.ms is the source's v1 region; a test creates p.dst if it needs one. */
FIXTURE(chan) {
	struct mig_pair p;
	int mgmt;
	int mgmt2;
};

FIXTURE_SETUP(chan)
{
	self->mgmt = -1;
	self->mgmt2 = -1;
	self->p.fd = -1;
	mdma_init(&self->p.dst);
	if (!mdma_fixture_v1(_metadata, &self->p.src, &self->p.ms,
			     MDMA_TYPE_16M, MDMA_SETUP_BAR2, false))
		return;
	mdma_pattern(self->p.src.map, self->p.src.mem_size, 0x1234);
}

FIXTURE_TEARDOWN(chan)
{
	close_fd(&self->mgmt);
	close_fd(&self->mgmt2);
	mig_pair_destroy(&self->p);
}

/*
 * While a management file saves the device, the VMM's v1 data path is
 * not its to touch: pending_bytes (whose read acknowledges a piece),
 * data_offset (which stages one), data_size and the window all fail
 * with EBUSY, device_state cannot be written, and the agent's stream is
 * whole and loads.
 */
TEST_F(chan, mgmt_session_blocks_v1_data_path)
{
	uint64_t win = self->p.ms.data_offset, v64;
	struct vfio_mig_mgmt_info info;
	struct mdma_digest a, b;
	uint8_t page[64] = { 0 };
	uint32_t v32;
	int fd;

	self->mgmt = mgmt_open(self->p.src.uuid);
	ASSERT_LE(0, self->mgmt);
	ASSERT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_SAVING));
	/* The agent stages a first piece and reads part of it. */
	ASSERT_EQ(0, vfio_mig_v2_read_all(self->mgmt, &self->p.b, 256,
					  NULL));
	ASSERT_EQ(256, self->p.b.len);
	ASSERT_EQ(0, mgmt_info(self->mgmt, &info));
	EXPECT_LT(0, info.pending_bytes);

	EXPECT_EQ(-EBUSY, mig_rd(&self->p.ms, MIG_HDR(pending_bytes), &v64, 8));
	EXPECT_EQ(-EBUSY, mig_rd(&self->p.ms, MIG_HDR(data_offset), &v64, 8));
	EXPECT_EQ(-EBUSY, mig_rd(&self->p.ms, MIG_HDR(data_size), &v64, 8));
	v64 = 16;
	EXPECT_EQ(-EBUSY, mig_wr(&self->p.ms, MIG_HDR(data_size), &v64, 8));
	EXPECT_EQ(-EBUSY, mig_rd(&self->p.ms, win, page, sizeof(page)));
	EXPECT_EQ(-EBUSY, mig_wr(&self->p.ms, win, page, sizeof(page)));
	mig_set_err(EBUSY, &self->p.ms, VFIO_DEVICE_STATE_V1_RUNNING);
	mig_set_err(EBUSY, &self->p.ms, VFIO_DEVICE_STATE_V1_RESUMING);
	v2_set_err(EBUSY, &self->p.src.dev, VFIO_DEVICE_STATE_RUNNING, &fd);
	EXPECT_EQ(0, mig_rd(&self->p.ms, MIG_HDR(device_state), &v32, 4));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING, v32);

	/* The rest of the agent's stream, whole. */
	ASSERT_EQ(0, mgmt_read_all(self->mgmt, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_STOP));

	ASSERT_EQ(0, mdma_create(&self->p.dst, MDMA_TYPE_16M))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, v2_load_all(&self->p.dst.dev, self->p.b.data,
				 self->p.b.len, 0))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &a));
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &b));
	EXPECT_EQ(a.mem_crc32, b.mem_crc32);
	EXPECT_EQ(a.regs_crc32, b.regs_crc32);
}

/*
 * A session belongs to the management file that opened it, not to the
 * channel: a second file may select the same device but cannot change
 * its state, read its stream or see its pending bytes, and closing it
 * leaves the first file's session alone.
 */
TEST_F(chan, mgmt_session_belongs_to_its_file)
{
	struct vfio_mig_mgmt_info info;
	uint8_t buf[64];

	self->mgmt = mgmt_open(self->p.src.uuid);
	self->mgmt2 = mgmt_open(self->p.src.uuid);
	ASSERT_LE(0, self->mgmt);
	ASSERT_LE(0, self->mgmt2);
	ASSERT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_SAVING));

	EXPECT_EQ(-EBUSY, mgmt_set(self->mgmt2, VFIO_DEVICE_STATE_V1_RUNNING));
	EXPECT_EQ(-EBUSY, mgmt_set(self->mgmt2, VFIO_DEVICE_STATE_V1_STOP));
	EXPECT_EQ(-1, read(self->mgmt2, buf, sizeof(buf)));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, write(self->mgmt2, buf, sizeof(buf)));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, mgmt_info(self->mgmt2, &info));
	EXPECT_EQ(0, info.pending_bytes);
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING, mgmt_get(self->mgmt2));
	close_fd(&self->mgmt2);

	/* The owner's session survived the other file's close. */
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING, mgmt_get(self->mgmt));
	ASSERT_EQ(0, mgmt_read_all(self->mgmt, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_LT(self->p.src.mem_size, self->p.b.len);
	EXPECT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_RUNNING));
}

/*
 * The management channel drives a device only while a user has it open:
 * a closed device has no DMA context (running it would start DMA with
 * nothing to pin through), so every change of state fails with ENODEV.
 */
TEST_F(chan, mgmt_refuses_closed_device)
{
	self->mgmt = mgmt_open(self->p.src.uuid);
	ASSERT_LE(0, self->mgmt);
	ASSERT_EQ(0, mdma_wr(&self->p.src, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	vfio_mig_v1_close(&self->p.ms);
	munmap(self->p.src.map, self->p.src.mem_size);
	self->p.src.map = NULL;
	vfio_dev_close(&self->p.src.dev);

	EXPECT_EQ(-ENODEV, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_STOP));
	EXPECT_EQ(-ENODEV, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_SAVING));
	EXPECT_EQ(-ENODEV, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_RESUMING));
	EXPECT_EQ(-ENODEV, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_RUNNING));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mgmt_get(self->mgmt));
}

/*
 * Once removal of a device has begun (while a v2 data fd still holds
 * it), a management file can no longer find it by name: the lookup
 * never reads the name of the removed parent, and a new device of the
 * same name is the one found.
 */
TEST_F(chan, mgmt_select_after_removal)
{
	char uuid[37];
	int fd = -1;

	memcpy(uuid, self->p.src.uuid, sizeof(uuid));
	vfio_mig_v1_close(&self->p.ms);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	ASSERT_LE(0, fd);
	mdma_destroy(&self->p.src);
	ASSERT_FALSE(vfio_mdev_exists(uuid));

	EXPECT_EQ(-ENODEV, mgmt_open(uuid));
	/* The orphaned data fd fails cleanly. */
	EXPECT_EQ(-ENODEV, fd_poke(fd));

	/* A new instance under the same name is found. */
	ASSERT_EQ(0, vfio_mdev_create(MDMA_PARENT, MDMA_TYPE_16M, uuid))
		TH_LOG("%s", vfio_errmsg());
	self->mgmt = mgmt_open(uuid);
	EXPECT_LE(0, self->mgmt);
	close_fd(&self->mgmt);
	close_fd(&fd);
	EXPECT_EQ(0, vfio_mdev_remove(uuid));
}

/*
 * A v2 SET_STATE while a management file pre-copies the device is
 * refused with EBUSY before the core walks any arc, and GET_STATE
 * reports only states the running kernel's uapi names (6.1 has no
 * PRE_COPY: the device runs).
 */
TEST_F(chan, v2_set_state_during_mgmt_precopy)
{
	const uint32_t targets[] = {
		VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_RUNNING,
		VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_RESUMING,
		VFIO_DEVICE_STATE_RUNNING_P2P,
	};
	uint32_t st;
	unsigned int i;
	int fd;

	self->mgmt = mgmt_open(self->p.src.uuid);
	ASSERT_LE(0, self->mgmt);
	ASSERT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_SAVING |
					  VFIO_DEVICE_STATE_V1_RUNNING));
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		EXPECT_EQ(-EBUSY, __v2_set(&self->p.src.dev, targets[i], &fd))
			TH_LOG("-> %s", vfio_mig_v2_state_name(targets[i]));
		close_fd(&fd);
	}
	st = v2_state(&self->p.src.dev);
	EXPECT_EQ(kernel_has_precopy() ? VFIO_DEVICE_STATE_PRE_COPY :
				       VFIO_DEVICE_STATE_RUNNING, st);
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING, mgmt_get(self->mgmt));
	EXPECT_EQ(0, mgmt_set(self->mgmt, VFIO_DEVICE_STATE_V1_RUNNING));
}

/*
 * A data fd's poll says when a read would not fail with ENOMSG: at the
 * temporary end of pre-copy it is not readable until the device dirties
 * memory again; a stop-copy fd is readable to its end.
 */
TEST_F(chan, v2_fd_poll_at_temporary_end)
{
	struct pollfd p = { .events = POLLIN };
	uint8_t buf[4096];
	ssize_t n;
	int fd;

	if (!kernel_has_precopy())
		SKIP(return, "no PRE_COPY before Linux 6.2");
	vfio_mig_v1_close(&self->p.ms);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_PRE_COPY, &fd);
	p.fd = fd;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLIN);
	do {
		n = fd_read(fd, buf, sizeof(buf));
	} while (n > 0);
	ASSERT_EQ(-ENOMSG, n);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("revents 0x%x", p.revents);

	/* A write to device memory makes it readable, and wakes a poller. */
	self->p.src.map[8192] ^= 0xff;
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, MDMA_TIMEOUT_MS));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_LT(0, fd_read(fd, buf, sizeof(buf)));

	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, NULL);
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLIN);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
	p.revents = 0;
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & (POLLERR | POLLHUP));
	close_fd(&fd);
}

struct reset_race {
	struct mdma *m;
	struct vfio_mig_v1 *v1;
	int stop;
	unsigned int resets;
};

static void *resetter(void *arg)
{
	struct reset_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (!vfio_dev_reset(&r->m->dev))
			r->resets++;
	}
	return NULL;
}

/*
 * VFIO_DEVICE_RESET runs under the framework's lock: racing it with
 * device_state writes (stop, pre-copy, stop-copy, which saves the config
 * and needs the engine parked) never leaves a device that both protocols
 * call RUNNING but that does not run, and never saves while DMA runs.
 * After the race the device runs a descriptor to completion.
 */
TEST_F_TIMEOUT(chan, reset_serialised_with_state_changes, 300)
{
	const uint32_t seq[] = { VFIO_DEVICE_STATE_V1_STOP,
				 VFIO_DEVICE_STATE_V1_RUNNING,
				 VFIO_DEVICE_STATE_V1_SAVING |
					 VFIO_DEVICE_STATE_V1_RUNNING,
				 VFIO_DEVICE_STATE_V1_SAVING,
				 VFIO_DEVICE_STATE_V1_STOP,
				 VFIO_DEVICE_STATE_V1_RUNNING };
	struct reset_race r = { &self->p.src, &self->p.ms, 0, 0 };
	struct vfio_dma_buf guest;
	unsigned int i, k, ok = 0;
	uint64_t v64;
	uint32_t err;
	pthread_t t;

	ASSERT_EQ(0, vfio_pci_config_write(&self->p.src.dev, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER));
	ASSERT_EQ(0, vfio_dma_alloc(&self->p.src.container, MIG_IOVA,
				    1 << 20, &guest));
	ASSERT_EQ(0, pthread_create(&t, NULL, resetter, &r));
	for (i = 0; i < 300; i++) {
		/* Keep the engine busy so a save has DMA to park. */
		mdma_wr(&self->p.src, MDMA_REG_CTRL, MDMA_CTRL_ENABLE);
		mdma_submit(&self->p.src, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA,
			    1 << 20, i);
		for (k = 0; k < ARRAY_SIZE(seq); k++) {
			if (__mig_set(&self->p.ms, seq[k]))
				break;
			if (seq[k] == VFIO_DEVICE_STATE_V1_SAVING &&
			    !mig_rd(&self->p.ms, MIG_HDR(data_offset), &v64, 8))
				ok++;
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%u resets, %u stop-copy pieces staged", r.resets, ok);
	EXPECT_LT(0, r.resets);

	ASSERT_EQ(0, vfio_dev_reset(&self->p.src.dev));
	EXPECT_EQ(VFIO_DEVICE_STATE_V1_RUNNING, mig_state(&self->p.ms));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.src.dev));
	ASSERT_EQ(0, vfio_pci_config_write(&self->p.src.dev, PCI_COMMAND, 2,
					   PCI_COMMAND_MEMORY |
					   PCI_COMMAND_MASTER));
	ASSERT_EQ(0, mdma_run(&self->p.src, MDMA_CMD_FILL_GUEST, 0, MIG_IOVA,
			      4096, 0x5a5a5a5a, &err))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(-1, mdma_check_byte(guest.vaddr, 4096, 0x5a));
	vfio_dma_free(&self->p.src.container, &guest);
}

/*
 * The v1 window is the one buffer a user can read with no session: what
 * one user staged there (its device memory, queued descriptors) must be
 * gone before the next user opens the device.
 */
TEST_F(chan, window_cleared_between_users)
{
	uint64_t win = self->p.ms.data_offset, v64 = 0;
	uint8_t page[4096];

	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING);
	ASSERT_EQ(0, mig_rd(&self->p.ms, MIG_HDR(data_offset), &v64, 8));
	ASSERT_EQ(0, mig_rd(&self->p.ms, MIG_HDR(data_size), &v64, 8));
	ASSERT_LT(0, v64);
	ASSERT_EQ(0, mig_rd(&self->p.ms, win, page, sizeof(page)));
	ASSERT_LE(0, mdma_check_byte(page, sizeof(page), 0));

	vfio_mig_v1_close(&self->p.ms);
	ASSERT_EQ(0, mdma_reopen(&self->p.src)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, false))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mig_rd(&self->p.ms, win, page, sizeof(page)));
	EXPECT_EQ(-1, mdma_check_byte(page, sizeof(page), 0));
}

/*
 * Load @st into a new mdma-16m destination through a v2 data fd; @a and
 * @b get the source's and the destination's digests.
 */
static void load_into_dst(struct __test_metadata *_metadata,
			  struct _test_data_chan *self,
			  const struct mig_stream *st, struct mdma_digest *a,
			  struct mdma_digest *b)
{
	ASSERT_EQ(0, mdma_create(&self->p.dst, MDMA_TYPE_16M))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, v2_load_all(&self->p.dst.dev, st->buf, st->len, 0))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, a));
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, b));
}

/*
 * A user that keeps references to its window's pages past close (here,
 * spliced into a pipe) must not see the next user's stream through them:
 * each open gets a window of its own.
 */
TEST_F(chan, window_pages_not_reused_after_close)
{
	const size_t len = 16 * 4096;
	uint8_t page[4096];
	struct iovec iov;
	uint64_t v64 = 0;
	unsigned int i;
	int p[2];

	vfio_mig_v1_close(&self->p.ms);
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, true))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_NE(NULL, self->p.ms.window);
	ASSERT_EQ(0, pipe(p));
	ASSERT_LE((int)len, fcntl(p[1], F_SETPIPE_SZ, (int)len));
	iov.iov_base = self->p.ms.window;
	iov.iov_len = len;
	ASSERT_EQ((ssize_t)len, vmsplice(p[1], &iov, 1, 0));
	vfio_mig_v1_close(&self->p.ms);
	ASSERT_EQ(0, mdma_reopen(&self->p.src)) TH_LOG("%s", vfio_errmsg());

	/* The next user saves: the first pieces of its stream are staged. */
	ASSERT_EQ(0, vfio_mig_v1_open(&self->p.ms, &self->p.src.dev, false))
		TH_LOG("%s", vfio_errmsg());
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING);
	ASSERT_EQ(0, mig_rd(&self->p.ms, MIG_HDR(data_offset), &v64, 8));
	ASSERT_EQ(0, mig_rd(&self->p.ms, MIG_HDR(data_size), &v64, 8));
	ASSERT_LT(len, v64);
	for (i = 0; i < len / sizeof(page); i++) {
		ASSERT_EQ((ssize_t)sizeof(page), read(p[0], page, sizeof(page)));
		EXPECT_EQ(-1, mdma_check_byte(page, sizeof(page), 0))
			TH_LOG("page %u of the old window shows the new stream", i);
	}
	close(p[0]);
	close(p[1]);
}

/*
 * A write to device memory whose source faults changes the memory (the
 * copy zero-fills what it could not read) and must mark all of it dirty,
 * or the destination keeps what was there before.
 */
TEST_F(chan, faulting_bar2_write_marks_dirty)
{
	struct mig_stream st = { 0 };
	struct mdma_digest a, b;
	uint64_t got, pending;
	unsigned int i;
	void *hole;

	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING);
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &st, &got));
		if (!got)
			break;
	}
	ASSERT_EQ(0, vfio_mig_v1_pending(&self->p.ms, &pending));
	ASSERT_EQ(0, pending) TH_LOG("pre-copy did not finish its round");
	/* 64 KiB written from user memory that cannot be read. */
	hole = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->p.src.dev.fd, hole, 65536,
			     self->p.src.bar2.offset + 4 * 65536));
	EXPECT_EQ(EFAULT, errno);
	munmap(hole, 65536);
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING);
	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &st, NULL));
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP);

	load_into_dst(_metadata, self, &st, &a, &b);
	EXPECT_EQ(a.mem_crc32, b.mem_crc32)
		TH_LOG("the zeroed range did not reach the destination");
	mig_stream_free(&st);
}

/*
 * MemFree of /proc/meminfo, in KiB; -1 if it cannot be read. The buffers
 * come from kvmalloc(): whole pages, or vmalloc, taken from it either way.
 */
static long mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * A v2 data fd's staging buffer (a window's size) goes when its session
 * ends, not at the fd's next I/O: a user that keeps ended fds it read
 * once keeps no buffers.
 */
TEST_F(chan, ended_data_fds_keep_no_buffers)
{
	enum { N = 48 };
	int fds[N], i, fd;
	long before, after;
	uint8_t b;

	vfio_mig_v1_close(&self->p.ms);
	before = mem_free_kb();
	ASSERT_LT(0, before);
	for (i = 0; i < N; i++) {
		fds[i] = -1;
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fds[i]);
		ASSERT_EQ(1, fd_read(fds[i], &b, 1));
		fd = -1;
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, &fd);
	}
	after = mem_free_kb();
	TH_LOG("MemFree %ld -> %ld KiB with %d ended fds", before, after, N);
	/* Each buffer is 1 MiB: half of them would be 24 MiB. */
	EXPECT_LT(before - N * 1024 / 2, after)
		TH_LOG("ended data fds keep their buffers");
	for (i = 0; i < N; i++)
		close_fd(&fds[i]);
}

/*
 * Once the end record is out, the stream is over: writes to device
 * memory in stop-copy (dirty logging still on after pre-copy) add no
 * records after it, pending_bytes stays 0, and the stream loads.
 */
TEST_F(chan, no_records_after_end)
{
	struct mig_stream st = { 0 };
	struct mdma_digest a, b;
	uint64_t got, pending;
	unsigned int i;

	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, mig_save_iter(&self->p.ms, &st, &got));
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING);
	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &st, NULL));
	/* The device memory changes after the end record went out. */
	for (i = 0; i < 16; i++)
		self->p.src.map[i * 65536] ^= 0xff;
	ASSERT_EQ(0, vfio_mig_v1_pending(&self->p.ms, &pending));
	EXPECT_EQ(0, pending);
	ASSERT_EQ(0, mig_save_rest(&self->p.ms, &st, &got));
	EXPECT_EQ(0, got);
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP);
	for (i = 0; i < 16; i++)
		self->p.src.map[i * 65536] ^= 0xff;

	load_into_dst(_metadata, self, &st, &a, &b);
	EXPECT_EQ(a.mem_crc32, b.mem_crc32);
	mig_stream_free(&st);
}

struct stalled_read {
	int fd;			/* a v2 data fd, or the device fd */
	off_t off;		/* -1: read(), else pread() at it */
	void *buf;
	ssize_t ret;
	int err;		/* errno of a failed read */
};

static void *stalled_reader(void *arg)
{
	struct stalled_read *r = arg;

	if (r->off < 0)
		r->ret = read(r->fd, r->buf, 4096);
	else
		r->ret = pread(r->fd, r->buf, 4096, r->off);
	r->err = errno;
	return NULL;
}

struct state_query {
	struct vfio_dev *dev;
	struct vfio_mig_v1 *v1;
	uint32_t v2, v1_state;
	int done;
};

static void *state_query(void *arg)
{
	struct state_query *q = arg;

	q->v2 = v2_state(q->dev);
	q->v1_state = mig_state(q->v1);
	__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A missing-page userfaultfd over two fresh pages: the uffd, or -errno. */
static int uffd_pages(void **pages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return -errno;
	*pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*pages == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api))
		return -errno;
	reg.range.start = (unsigned long)*pages;
	reg.range.len = 8192;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return uffd;
}

/*
 * A user buffer that never faults in (a userfaultfd nobody serves) stalls
 * the read that copies into it, and nothing else: no user copy runs under
 * the device's lock, so a state query from another thread answers while
 * the copy waits. Served, the stalled reads complete.
 */
static void stalled_copy_check(struct __test_metadata *_metadata,
			       struct vfio_dev *dev, struct vfio_mig_v1 *v1,
			       int fd, off_t off, uint32_t want_v2)
{
	struct uffdio_zeropage zero = { 0 };
	struct state_query q = { dev, v1, 0, 0, 0 };
	struct stalled_read r = { fd, off, NULL, 0, 0 };
	pthread_t reader, query;
	int uffd, i;

	uffd = uffd_pages(&r.buf);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	ASSERT_EQ(0, pthread_create(&reader, NULL, stalled_reader, &r));
	usleep(200 * 1000);	/* let it reach the copy */
	ASSERT_EQ(0, pthread_create(&query, NULL, state_query, &q));
	/* A bound for a hang, not a speed: the query takes microseconds. */
	for (i = 0; i < 200 && !__atomic_load_n(&q.done, __ATOMIC_ACQUIRE);
	     i++)
		usleep(100 * 1000);
	EXPECT_TRUE(__atomic_load_n(&q.done, __ATOMIC_ACQUIRE))
		TH_LOG("a state query waited for another thread's user copy");

	zero.range.start = (unsigned long)r.buf;
	zero.range.len = 8192;
	ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
	pthread_join(reader, NULL);
	pthread_join(query, NULL);
	EXPECT_EQ(4096, r.ret);
	EXPECT_EQ(want_v2, q.v2);
	close(uffd);
	munmap(r.buf, 8192);
}

TEST_F(chan, user_copy_outside_lock)
{
	int fd;

	/* The sysctl exists exactly when the kernel has userfaultfd. */
	if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK))
		SKIP(return, "kernel without userfaultfd");

	/* The v1 window, read with pread into the stalled buffer. */
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_SAVING);
	stalled_copy_check(_metadata, &self->p.src.dev, &self->p.ms,
			   self->p.src.dev.fd,
			   self->p.ms.region.offset + self->p.ms.data_offset,
			   VFIO_DEVICE_STATE_STOP_COPY);
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_STOP);
	mig_set(&self->p.ms, VFIO_DEVICE_STATE_V1_RUNNING);

	/* A v2 data fd. */
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	stalled_copy_check(_metadata, &self->p.src.dev, &self->p.ms, fd, -1,
			   VFIO_DEVICE_STATE_STOP_COPY);
	close_fd(&fd);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
}

/*
 * A session that ends while a read of its data fd waits in its user copy
 * (a userfaultfd nobody serves yet) cannot free the fd's buffer then: the
 * read holds the fd's I/O lock. The read frees it as it finishes, so
 * ended fds keep no buffers in this case either.
 */
TEST_F(chan, buffer_of_fd_ended_during_copy_goes)
{
	enum { N = 48 };
	struct uffdio_zeropage zero = { .range.len = 8192 };
	struct stalled_read r;
	struct uffd_msg msg;
	long before, after;
	int fds[N], i, fd, uffd;
	pthread_t reader;

	if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK))
		SKIP(return, "kernel without userfaultfd");
	vfio_mig_v1_close(&self->p.ms);
	before = mem_free_kb();
	ASSERT_LT(0, before);
	for (i = 0; i < N; i++)
		fds[i] = -1;
	for (i = 0; i < N; i++) {
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fds[i]);
		r = (struct stalled_read){ .fd = fds[i], .off = -1 };
		uffd = uffd_pages(&r.buf);
		ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
		ASSERT_EQ(0, pthread_create(&reader, NULL, stalled_reader, &r));
		/* Reported (a blocking read of the uffd): the copy waits. */
		ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
		ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
		fd = -1;
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, &fd);
		zero.range.start = (unsigned long)r.buf;
		ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
		pthread_join(reader, NULL);
		EXPECT_EQ(4096, r.ret) TH_LOG("%s", strerror(r.err));
		close(uffd);
		munmap(r.buf, 8192);
	}
	after = mem_free_kb();
	TH_LOG("MemFree %ld -> %ld KiB with %d fds ended during a copy",
	       before, after, N);
	/* Each buffer is 1 MiB: half of them would be 24 MiB. */
	EXPECT_LT(before - N * 1024 / 2, after)
		TH_LOG("fds ended during a copy keep their buffers");
	for (i = 0; i < N; i++)
		close_fd(&fds[i]);
}

/*
 * A read or write of 0 bytes moves nothing and says so with 0, in every
 * state of the session, through a data fd and the management channel.
 */
TEST_F(chan, zero_length_io)
{
	int fd = -1, m;
	uint8_t b;

	m = mgmt_open(self->p.src.uuid);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, mgmt_set(m, VFIO_DEVICE_STATE_V1_SAVING));
	EXPECT_EQ(0, read(m, &b, 0));
	ASSERT_EQ(0, mgmt_set(m, VFIO_DEVICE_STATE_V1_STOP));
	ASSERT_EQ(0, mgmt_set(m, VFIO_DEVICE_STATE_V1_RUNNING));
	close(m);

	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	EXPECT_EQ(0, read(fd, &b, 0));
	ASSERT_EQ(1, fd_read(fd, &b, 1));
	EXPECT_EQ(0, read(fd, &b, 0));
	close_fd(&fd);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_RESUMING, &fd);
	EXPECT_EQ(0, write(fd, &b, 0));
	close_fd(&fd);
	/* Nothing was loaded: only a reset leaves RESUMING now. */
	ASSERT_EQ(0, vfio_dev_reset(&self->p.src.dev));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, v2_state(&self->p.src.dev));
}

/*
 * libvfio's v1 channel reads a chunk in pieces of any size: a chunk read
 * only in part during pre-copy is finished after the move to stop-copy
 * (the session goes on and the device keeps the chunk staged), and the
 * stream loads whole into another instance.
 */
TEST_F(chan, lib_v1_part_of_chunk_across_stop_copy)
{
	struct vfio_mig_chan s = { 0 }, d = { 0 };
	struct mdma_digest a, b;
	uint8_t *buf;
	ssize_t n;

	ASSERT_EQ(0, mdma_create(&self->p.dst, MDMA_TYPE_16M))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_v1(&s, &self->p.src.dev, false))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_v1(&d, &self->p.dst.dev, true))
		TH_LOG("%s", vfio_errmsg());
	buf = malloc(s.piece);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vfio_mig_chan_set_state(&s, VFIO_DEVICE_STATE_PRE_COPY));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&d, VFIO_DEVICE_STATE_RESUMING));

	/* 100 bytes of a chunk that is much longer. */
	ASSERT_EQ(100, vfio_mig_chan_read(&s, buf, 100))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_write(&d, buf, 100));
	ASSERT_EQ(0, vfio_mig_chan_set_state(&s, VFIO_DEVICE_STATE_STOP_COPY));
	while ((n = vfio_mig_chan_read(&s, buf, s.piece)) > 0) {
		ASSERT_EQ(0, vfio_mig_chan_write(&d, buf, n))
			TH_LOG("%s", vfio_errmsg());
	}
	EXPECT_EQ(0, n) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_mig_chan_set_state(&s, VFIO_DEVICE_STATE_STOP));
	EXPECT_EQ(0, vfio_mig_chan_set_state(&d, VFIO_DEVICE_STATE_STOP))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_digest_read(self->p.src.uuid, &a));
	ASSERT_EQ(0, mdma_digest_read(self->p.dst.uuid, &b));
	EXPECT_STREQ("", mig_digest_diff(&a, &b));
	free(buf);
	vfio_mig_chan_close(&s);
	vfio_mig_chan_close(&d);
}

/*
 * An instance migrated out of band only has no migration region at all:
 * the VMM can neither find it nor reach it at its offset (read, write,
 * mmap fail with EINVAL), so it cannot drive a migration the root agent
 * owns.
 */
TEST(oob_region_unreachable)
{
	const uint64_t off = (uint64_t)VFIO_PCI_NUM_REGIONS << 40;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	const char *why = mdma_unavailable(MDMA_TYPE_16M_OOB);
	uint32_t v32 = VFIO_DEVICE_STATE_V1_SAVING;
	struct mdma m = { .dev.fd = -1 };
	void *p;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, mdma_create(&m, MDMA_TYPE_16M_OOB))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, ioctl(m.dev.fd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);

	EXPECT_EQ(-1, pread(m.dev.fd, &v32, 4, off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(m.dev.fd, &v32, 4, off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(m.dev.fd, &v32, 4, off + 4096));
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m.dev.fd,
		 off + 4096);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	mdma_destroy(&m);
}

static void on_signal(int sig)
{
}

/* The reader of read_ends_at_a_signal and what its watcher saw. */
struct signalled_read {
	const uint8_t *buf;
	size_t mark;		/* signal once the read wrote here */
	size_t late;		/* on time if the read had not written here */
	pthread_t reader;
	bool read_returned;		/* __atomic: the watcher polls it */
	bool on_time;
};

/* Any byte of the 4 KiB at @p changed from the fill (0xa5)? */
static bool written(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < 4096; i++)
		if (__atomic_load_n(&p[i], __ATOMIC_RELAXED) != 0xa5)
			return true;
	return false;
}

static void *signal_reader_midway(void *arg)
{
	struct signalled_read *r = arg;

	while (!written(r->buf + r->mark))
		if (__atomic_load_n(&r->read_returned, __ATOMIC_ACQUIRE))
			return NULL;
	pthread_kill(r->reader, SIGUSR1);
	/*
	 * The signal is pending once pthread_kill() returns: if the read
	 * has not reached @late by now, it got the signal before it did.
	 */
	r->on_time = !written(r->buf + r->late);
	return NULL;
}

/*
 * A read of the data fd ends at a signal with the bytes copied so far,
 * as a read of /dev/zero does, instead of going on to fill the caller's
 * buffer (which a device that keeps dirtying its memory in pre-copy
 * would do for as long as the buffer lasts); the rest of the stream
 * follows in the next reads, whole.
 */
TEST_F_TIMEOUT(chan, read_ends_at_a_signal, 300)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct signalled_read r = { 0 };
	size_t len, size, got;
	unsigned int attempt;
	pthread_t t;
	uint8_t *buf;
	ssize_t n;
	int fd;

	/* The stream of the stopped device, and its length. */
	vfio_mig_v1_close(&self->p.ms);
	v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
	ASSERT_EQ(0, v2_save_all(&self->p.src.dev, &self->p.b))
		TH_LOG("%s", vfio_errmsg());
	len = self->p.b.len;
	ASSERT_GT(len, 8 << 20);
	size = len + (1 << 20);
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */

	/* The signal may come too late on a busy machine: try again then. */
	for (attempt = 0; attempt < 5 && !r.on_time; attempt++) {
		memset(buf, 0xa5, size);
		r = (struct signalled_read) {
			.buf = buf,
			.mark = len / 8,
			.late = len - (2 << 20),
			.reader = pthread_self(),
		};
		fd = -1;
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP_COPY, &fd);
		ASSERT_EQ(0, pthread_create(&t, NULL, signal_reader_midway, &r));
		n = read(fd, buf, size);
		__atomic_store_n(&r.read_returned, true, __ATOMIC_RELEASE);
		ASSERT_EQ(0, pthread_join(t, NULL));
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		if (r.on_time) {
			/* Stopped within a piece of the signal, well short. */
			EXPECT_LT(n, len - (1 << 20))
				TH_LOG("a read went on to %zd of %zu bytes after a signal",
				       n, len);
			/* The rest follows, and the stream is whole. */
			for (got = n; got < size; got += n) {
				n = fd_read(fd, buf + got, size - got);
				ASSERT_LE(0, n);
				if (!n)
					break;
			}
			EXPECT_EQ(len, got);
			EXPECT_EQ(-1, mdma_cmp(buf, self->p.b.data, len));
		}
		close_fd(&fd);
		v2_set(&self->p.src.dev, VFIO_DEVICE_STATE_STOP, NULL);
	}
	EXPECT_TRUE(r.on_time)
		TH_LOG("the signal came too late %u times", attempt);
	munmap(buf, size);
}

TEST_HARNESS_MAIN
