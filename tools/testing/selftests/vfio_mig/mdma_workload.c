// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the test-only workload, <debugfs>/mdma/<uuid>/workload, that the
 * QEMU lanes use to keep an instance busy: its commands and their
 * refusals, the work it does while the device runs, its pause while the
 * device is stopped, and its end on reset and close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "mdma_util.h"
#include "mdma_fixture.h"
#include "vfio_migration.h"

#define IOVA_BASE	0x40000000ULL
#define BUF_SIZE	0x100000
#define FILL_LEN	4096

FIXTURE(wl) {
	struct mdma m;
	struct vfio_dma_buf buf;
	char path[256];
};

FIXTURE_SETUP(wl)
{
	struct mdma *m = &self->m;

	if (!mdma_fixture_create(_metadata, m, MDMA_TYPE_16M,
				 MDMA_SETUP_ENABLE))
		return;
	snprintf(self->path, sizeof(self->path), MDMA_DEBUGFS "/%s/workload",
		 m->uuid);
	if (access(self->path, F_OK))
		SKIP(return, "%s: mdma was built without its workload (make MDMA_WORKLOAD=y)",
		     self->path);
	ASSERT_EQ(0, vfio_dma_alloc(&m->container, IOVA_BASE, BUF_SIZE,
				    &self->buf)) TH_LOG("%s", vfio_errmsg());
}

FIXTURE_TEARDOWN(wl)
{
	mdma_destroy(&self->m);
	vfio_dma_free(NULL, &self->buf);
}

/* Write one command; 0 or -errno. */
static int wl_cmd(const char *path, const char *cmd, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

static int wl_write(const char *path, const char *cmd)
{
	return wl_cmd(path, cmd, strlen(cmd));
}

/* The value of one key=value line of the workload file, as a string. */
static int wl_str(struct mdma *m, const char *key, char *val, size_t size)
{
	return mdma_debugfs_file_str(m, "workload", key, val, size);
}

static uint64_t wl_num(struct mdma *m, const char *key)
{
	char s[64];

	if (wl_str(m, key, s, sizeof(s)))
		return UINT64_MAX;
	return strtoull(s, NULL, 0);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until @key reaches @min; its last value. */
static uint64_t wl_wait(struct mdma *m, const char *key, uint64_t min)
{
	uint64_t v = 0;
	int ms;

	for (ms = 0; ms < MDMA_TIMEOUT_MS; ms += 10) {
		v = wl_num(m, key);
		if (v != UINT64_MAX && v >= min)
			break;
		sleep_ms(10);
	}
	return v;
}

/* Wait until the first @len bytes of @p all hold the 32-bit @pattern. */
static bool filled(const uint32_t *p, size_t len, uint32_t pattern)
{
	int ms;
	size_t i;

	for (ms = 0; ms < MDMA_TIMEOUT_MS; ms += 10) {
		for (i = 0; i < len / 4 && p[i] == pattern; i++)
			;
		if (i == len / 4)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void expect_einval(struct __test_metadata *_metadata,
			  const char *path, const char *cmd)
{
	EXPECT_EQ(-EINVAL, wl_write(path, cmd)) TH_LOG("'%s' was taken", cmd);
}

TEST_F(wl, refuses_bad_commands)
{
	static const char * const bad[] = {
		"  ", "\n", "bogus", "Dma 0x40000000 4096 10", "stop now",
		"dma", "dma 0x40000000", "dma 0x40000000 4096",
		"dma 0x40000000 4096 0", "dma 0x40000000 4096 10001",
		"dma 0x40000000 0 10", "dma 0x40000000 67108865 10",
		"dma 0xffffffffffffffff 2 10", "dma 0x40000000 4096 1x",
		"dma 0x40000000 4096 10 dma 0x40000000 4096 10",
		"mem", "mem 0", "mem 10001", "mem -1", "mem 10 mem 10",
		"mem 10 extra", "fill", "fill 0x40000000 4096",
		"fill 0x40000000 4096 0x100000000", "fill 0x40000000 4096 1 2",
		"fill 0x40000000 0 1",
	};
	char big[200];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_einval(_metadata, self->path, bad[i]);
	memset(big, ' ', sizeof(big));
	memcpy(big, "mem 10", 6);
	EXPECT_EQ(-EINVAL, wl_cmd(self->path, big, 128));
	EXPECT_EQ(-EINVAL, wl_cmd(self->path, big, sizeof(big)));
	EXPECT_EQ(-EINVAL, wl_cmd(self->path, big, 0));

	/* Nothing was started, nothing was queued. */
	EXPECT_EQ(0, wl_num(&self->m, "fills"));
	EXPECT_EQ(0, wl_num(&self->m, "mem_hz"));
	EXPECT_EQ(0, wl_num(&self->m, "dma_hz"));
	EXPECT_EQ(0, mdma_reg(&self->m, MDMA_REG_DMA_QUEUED));
	/* The longest command that fits is taken, with spaces around. */
	EXPECT_EQ(0, wl_cmd(self->path, big, 127));
	EXPECT_EQ(10, wl_num(&self->m, "mem_hz"));
	EXPECT_EQ(0, wl_write(self->path, "\tstop\n"));
}

TEST_F(wl, mem_writes_device_memory_until_stopped)
{
	char state[32], crc0[32], crc[32];
	uint64_t n;

	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("stopped", state);
	ASSERT_EQ(0, mdma_debugfs_str(&self->m, "mem_crc32", crc0,
				      sizeof(crc0)));
	ASSERT_EQ(0, wl_write(self->path, "mem 1000"));
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("running", state);
	EXPECT_EQ(1000, wl_num(&self->m, "mem_hz"));
	EXPECT_LE(3, wl_wait(&self->m, "mem_writes", 3));
	ASSERT_EQ(0, mdma_debugfs_str(&self->m, "mem_crc32", crc, sizeof(crc)));
	EXPECT_STRNE(crc0, crc);

	ASSERT_EQ(0, wl_write(self->path, "stop"));
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("stopped", state);
	n = wl_num(&self->m, "mem_writes");
	sleep_ms(200);
	EXPECT_EQ(n, wl_num(&self->m, "mem_writes"));
	/* A second stop is no error. */
	EXPECT_EQ(0, wl_write(self->path, "stop"));
}

TEST_F(wl, dma_fills_and_copies_guest_memory)
{
	char want[32], s[32];

	snprintf(want, sizeof(want), "0x%llx", IOVA_BASE);
	ASSERT_EQ(0, wl_write(self->path, "dma 0x40000000 65536 500 mem 50"));
	EXPECT_EQ(65536, wl_num(&self->m, "dma_len"));
	EXPECT_EQ(500, wl_num(&self->m, "dma_hz"));
	EXPECT_EQ(50, wl_num(&self->m, "mem_hz"));
	EXPECT_LE(6, wl_wait(&self->m, "fills", 6));
	EXPECT_LE(2, wl_wait(&self->m, "copies", 2));
	ASSERT_EQ(0, wl_write(self->path, "stop"));
	ASSERT_EQ(0, wl_str(&self->m, "dma_gpa", s, sizeof(s)));
	EXPECT_STREQ(want, s);

	/* After the queue drained, one fill of a known pattern lands. */
	ASSERT_EQ(0, mdma_wait(&self->m, MDMA_IRQ_ALL, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, wl_write(self->path, "fill 0x40001000 4096 0x5a5aa5a5"));
	EXPECT_TRUE(filled((uint32_t *)self->buf.vaddr + 1024, FILL_LEN,
			   0x5a5aa5a5));
	EXPECT_EQ(0x5a5aa5a5, wl_num(&self->m, "last_pattern"));
	EXPECT_EQ(0, mdma_reg(&self->m, MDMA_REG_DMA_ERROR));
}

TEST_F(wl, pauses_while_stopped_and_queue_full_is_ebusy)
{
	char state[32];
	uint64_t writes;
	unsigned int i;

	ASSERT_EQ(0, vfio_mig_v2_set_state(&self->m.dev,
					   VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, wl_write(self->path, "mem 1000"));
	EXPECT_LE(2, wl_wait(&self->m, "paused_ticks", 2));
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("paused", state);
	EXPECT_EQ(0, wl_num(&self->m, "mem_writes"));

	/* A stopped engine takes descriptors but runs none. */
	for (i = 0; i < MDMA_DMA_QUEUE_DEPTH; i++)
		ASSERT_EQ(0, wl_write(self->path,
				      "fill 0x40000000 4096 0x11111111"))
			TH_LOG("fill %u", i);
	EXPECT_EQ(-EBUSY, wl_write(self->path,
				   "fill 0x40000000 4096 0x22222222"));
	EXPECT_EQ(MDMA_DMA_QUEUE_DEPTH, wl_num(&self->m, "fills"));

	ASSERT_EQ(0, vfio_mig_v2_set_state(&self->m.dev,
					   VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_TRUE(filled(self->buf.vaddr, FILL_LEN, 0x11111111));
	writes = wl_wait(&self->m, "mem_writes", 3);
	EXPECT_LE(3, writes);
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("running", state);
}

TEST_F(wl, reset_stops_and_close_refuses)
{
	struct mdma *m = &self->m;
	char state[32];

	ASSERT_EQ(0, wl_write(self->path, "mem 100"));
	ASSERT_EQ(0, ioctl(m->dev.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("stopped", state);
	/* A reset device takes a new start. */
	ASSERT_EQ(0, wl_write(self->path, "mem 100"));

	/* A closed device runs nothing and takes no command... */
	vfio_dev_close(&m->dev);
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("closed", state);
	EXPECT_EQ(-ENODEV, wl_write(self->path, "mem 100"));
	EXPECT_EQ(-ENODEV, wl_write(self->path, "fill 0x40000000 4096 1"));
	EXPECT_EQ(0, wl_write(self->path, "stop"));
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("closed", state);

	/* ... until it is opened again. */
	ASSERT_EQ(0, mdma_reopen(m)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, wl_str(&self->m, "state", state, sizeof(state)));
	EXPECT_STREQ("stopped", state);
	EXPECT_EQ(0, wl_write(self->path, "mem 100"));
	EXPECT_EQ(0, wl_write(self->path, "stop"));
}

TEST_HARNESS_MAIN
