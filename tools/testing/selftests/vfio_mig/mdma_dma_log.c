// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: device DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*). The pages
 * reported are the pages the engine wrote inside the logged ranges,
 * byte-exact at the edges, cleared by each report, across a pre-copy;
 * bad arguments get their errno.
 *
 * mdma offers the feature only where the kernel can report through an
 * iova_bitmap: 6.1 (in vfio.ko) and kernels with CONFIG_IOMMUFD_DRIVER,
 * which Debian's 6.12 lacks. There the probe must fail with ENOTTY and
 * the other tests are skipped. Each test runs on the type1 container and,
 * where the kernel has it, on iommufd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mdma_util.h"
#include "mdma_fixture.h"
#include "vfio_mig_chan.h"

#define IOVA_BASE	0x40000000ULL
#define PG		4096ULL
#define NPAGES		64

/* Does the running kernel have the iova_bitmap DMA logging reports by? */
static bool kernel_has_iova_bitmap(void)
{
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, ' ');

		found = name && !strncmp(name + 1, "iova_bitmap_set", 15) &&
			(name[16] == '\n' || name[16] == '\t');
	}
	fclose(f);
	return found;
}

FIXTURE(dma_log) {
	struct mdma m;
	struct vfio_dma_buf buf;
	bool offered;
};

FIXTURE_VARIANT(dma_log) {
	unsigned int backend;
};

FIXTURE_VARIANT_ADD(dma_log, container) {
	.backend = 0,
};

FIXTURE_VARIANT_ADD(dma_log, iommufd) {
	.backend = MDMA_SETUP_IOMMUFD,
};

FIXTURE_SETUP(dma_log)
{
	if (!mdma_fixture_create(_metadata, &self->m, MDMA_TYPE_16M,
				 MDMA_SETUP_ENABLE | variant->backend))
		return;
	self->offered = kernel_has_iova_bitmap();
	ASSERT_EQ(0, vfio_dma_alloc(&self->m.container, IOVA_BASE, NPAGES * PG,
				    &self->buf)) TH_LOG("%s", vfio_errmsg());
}

FIXTURE_TEARDOWN(dma_log)
{
	vfio_dma_free(NULL, &self->buf);
	mdma_destroy(&self->m);
}

#define dev(self)	(&(self)->m.dev)

/* Why a test of the feature skips where the kernel cannot offer it. */
#define NO_LOGGING	"no iova_bitmap in this kernel (CONFIG_IOMMUFD_DRIVER)"

/* Log pages [@first, @first + @n) of the buffer at 4 KiB. */
static int log_pages(struct _test_data_dma_log *self, unsigned int first,
		     unsigned int n)
{
	struct vfio_device_feature_dma_logging_range r = {
		.iova = IOVA_BASE + first * PG, .length = n * PG,
	};
	uint64_t pgsize = PG;

	return vfio_dma_log_start(dev(self), &pgsize, &r, 1);
}

/* The report of the whole buffer at @pgsize, one bit per page. */
static uint64_t report(struct __test_metadata *_metadata,
		       struct _test_data_dma_log *self, uint64_t pgsize)
{
	uint64_t bitmap[2] = { 0, 0 };

	EXPECT_EQ(0, vfio_dma_log_report(dev(self), IOVA_BASE, NPAGES * PG,
					 pgsize, bitmap))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(0, bitmap[1]);	/* nothing past the range */
	return bitmap[0];
}

/* Run one descriptor to its end without an error. */
static void run(struct __test_metadata *_metadata, struct mdma *m,
		uint32_t cmd, uint64_t src, uint64_t dst, uint32_t len)
{
	uint32_t err;

	ASSERT_EQ(0, mdma_run(m, cmd, src, dst, len, 0x5a5a5a5a, &err))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(MDMA_ERR_NONE, err);
}

TEST_F(dma_log, probe)
{
	if (self->offered) {
		EXPECT_EQ(0, vfio_dma_log_probe(dev(self)))
			TH_LOG("%s", vfio_errmsg());
	} else {
		EXPECT_EQ(-ENOTTY, vfio_dma_log_probe(dev(self)));
		EXPECT_EQ(-ENOTTY, log_pages(self, 0, NPAGES));
	}
}

TEST_F(dma_log, reports_pages_written)
{
	struct mdma *m = &self->m;
	uint64_t bitmap[1] = { 0 };

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
	/* From the middle of page 3 to the middle of page 5. */
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 3 * PG + 100,
	    2 * PG);
	/* Page 40 is only read: a read is no write. */
	run(_metadata, m, MDMA_CMD_GUEST_TO_DEV, IOVA_BASE + 40 * PG, 0, 16);
	run(_metadata, m, MDMA_CMD_DEV_TO_GUEST, 0, IOVA_BASE + 63 * PG, PG);
	EXPECT_EQ(7ULL << 3 | 1ULL << 63, report(_metadata, self, PG));
	/* The report cleared the log. */
	EXPECT_EQ(0, report(_metadata, self, PG));
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 10 * PG, 1);
	EXPECT_EQ(1ULL << 10, report(_metadata, self, PG));
	EXPECT_EQ(0, vfio_dma_log_stop(dev(self)));
	/* Stopped: nothing is logged, and there is nothing to report. */
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE, PG);
	EXPECT_EQ(-EINVAL, vfio_dma_log_report(dev(self), IOVA_BASE, PG, PG,
					       bitmap));
}

TEST_F(dma_log, byte_exact_edges)
{
	struct mdma *m = &self->m;

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
	/* The last byte of page 9, the first of page 11. */
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 10 * PG - 1, 1);
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 11 * PG, 1);
	/* Eight pages and a byte from page 20: pages 20 to 28. */
	run(_metadata, m, MDMA_CMD_DEV_TO_GUEST, 0, IOVA_BASE + 20 * PG,
	    8 * PG + 1);
	EXPECT_EQ(1ULL << 9 | 1ULL << 11 | 0x1ffULL << 20,
		  report(_metadata, self, PG));
}

TEST_F(dma_log, larger_report_page)
{
	struct mdma *m = &self->m;
	uint64_t bitmap[1] = { 0 };

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 3 * PG + 100,
	    2 * PG);
	/* 8 KiB bits: pages 3..5 are bits 1 and 2. */
	EXPECT_EQ(3ULL << 1, report(_metadata, self, 2 * PG));
	/* A report of part of the range clears only that part. */
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE, 8 * PG);
	ASSERT_EQ(0, vfio_dma_log_report(dev(self), IOVA_BASE + 2 * PG,
					 4 * PG, PG, bitmap));
	EXPECT_EQ(0xfULL, bitmap[0]);
	EXPECT_EQ(0xc3ULL, report(_metadata, self, PG));
}

TEST_F(dma_log, writes_outside_the_ranges)
{
	struct vfio_device_feature_dma_logging_range r[2] = {
		{ .iova = IOVA_BASE + 32 * PG, .length = 8 * PG },
		{ .iova = IOVA_BASE + 8 * PG, .length = 8 * PG },
	};
	struct mdma *m = &self->m;
	uint64_t pgsize = PG;

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	/* Out of order: the core sorts them. */
	ASSERT_EQ(0, vfio_dma_log_start(dev(self), &pgsize, r, 2))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(PG, pgsize);
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE, NPAGES * PG);
	EXPECT_EQ(0xffULL << 8 | 0xffULL << 32, report(_metadata, self, PG));
}

/*
 * Pre-copy: what the engine writes while the device is pre-copied is
 * logged; a descriptor rung while it is stopped runs, and is logged, only
 * once it runs again.
 */
TEST_F(dma_log, across_a_precopy)
{
	struct mdma *m = &self->m;
	struct vfio_mig_chan c;
	uint32_t err;

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, vfio_mig_chan_v2(&c, dev(self)));
	if (!c.precopy) {
		vfio_mig_chan_close(&c);
		ASSERT_EQ(0, vfio_mig_chan_v1(&c, dev(self), false))
			TH_LOG("%s", vfio_errmsg());
	}
	ASSERT_TRUE(c.precopy) TH_LOG("%s offers no pre-copy", c.kind);
	ASSERT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, c.ops->set_state(&c, VFIO_DEVICE_STATE_PRE_COPY))
		TH_LOG("%s", vfio_errmsg());
	run(_metadata, m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 2 * PG, PG);
	EXPECT_EQ(1ULL << 2, report(_metadata, self, PG));
	ASSERT_EQ(0, c.ops->set_state(&c, VFIO_DEVICE_STATE_STOP))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, ~0u));
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0,
				 IOVA_BASE + 7 * PG, PG, 1));
	usleep(200 * 1000);
	EXPECT_EQ(0, report(_metadata, self, PG));
	ASSERT_EQ(0, c.ops->set_state(&c, VFIO_DEVICE_STATE_RUNNING))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_DONE | MDMA_IRQ_ERROR,
			       MDMA_TIMEOUT_MS));
	err = mdma_reg(m, MDMA_REG_DMA_ERROR);
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(1ULL << 7, report(_metadata, self, PG));
	vfio_mig_chan_close(&c);
}

TEST_F(dma_log, close_stops_logging)
{
	uint64_t bitmap[1] = { 0 };

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(-EBUSY, log_pages(self, 0, NPAGES));
	vfio_dma_free(NULL, &self->buf);
	ASSERT_EQ(0, mdma_reopen(&self->m)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dma_alloc(&self->m.container, IOVA_BASE, NPAGES * PG,
				    &self->buf)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(-EINVAL, vfio_dma_log_report(dev(self), IOVA_BASE, PG, PG,
					       bitmap));
	EXPECT_EQ(0, log_pages(self, 0, NPAGES)) TH_LOG("%s", vfio_errmsg());
}

/*
 * A log page is at most 2 MiB, whatever the hint: a one-byte write then
 * reports 2 MiB, not the gigabyte asked for.
 */
TEST_F(dma_log, large_page_hint_is_capped)
{
	static uint64_t bitmap[(1ULL << 30) / PG / 64];
	struct vfio_device_feature_dma_logging_range r = {
		.iova = IOVA_BASE, .length = 1ULL << 30,
	};
	uint64_t pgsize = 1ULL << 30;
	unsigned int i, set = 0;

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	ASSERT_EQ(0, vfio_dma_log_start(dev(self), &pgsize, &r, 1))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(2ULL << 20, pgsize);
	run(_metadata, &self->m, MDMA_CMD_FILL_GUEST, 0, IOVA_BASE + 5 * PG, 1);
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, vfio_dma_log_report(dev(self), IOVA_BASE, r.length, PG,
					 bitmap)) TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < ARRAY_SIZE(bitmap); i++)
		set += __builtin_popcountll(bitmap[i]);
	EXPECT_EQ(512, set);
	EXPECT_EQ(~0ULL, bitmap[0]);
	EXPECT_EQ(~0ULL, bitmap[7]);
	EXPECT_EQ(0, bitmap[8]);
}

TEST_F(dma_log, bad_arguments)
{
	static struct vfio_device_feature_dma_logging_range r[257];
	uint64_t bitmap[1] = { 0 };
	uint64_t pgsize;
	unsigned int i;

	if (!self->offered)
		SKIP(return, NO_LOGGING);
	/* Not started: no report; a stop is always fine. */
	EXPECT_EQ(-EINVAL, vfio_dma_log_report(dev(self), IOVA_BASE, PG, PG,
					       bitmap));
	EXPECT_EQ(0, vfio_dma_log_stop(dev(self)));

	r[0].iova = IOVA_BASE;
	r[0].length = PG;
	pgsize = PG;
	EXPECT_EQ(-EINVAL, vfio_dma_log_start(dev(self), &pgsize, r, 0));
	/* A page size that is no power of two, the ranges aligned to it. */
	r[0].iova = 0x3000ULL << 16;
	r[0].length = 0x3000ULL * 16;
	pgsize = 0x3000;
	EXPECT_EQ(-EINVAL, vfio_dma_log_start(dev(self), &pgsize, r, 1));
	/* A range of length 0 at IOVA 0 would be everything. */
	r[0].iova = 0;
	r[0].length = 0;
	pgsize = PG;
	EXPECT_EQ(-EINVAL, vfio_dma_log_start(dev(self), &pgsize, r, 1));
	/* Overlapping ranges. */
	r[0].iova = IOVA_BASE;
	r[0].length = 4 * PG;
	r[1].iova = IOVA_BASE + 3 * PG;
	r[1].length = 4 * PG;
	EXPECT_EQ(-EINVAL, vfio_dma_log_start(dev(self), &pgsize, r, 2));
	/* More ranges than fit in a page. */
	for (i = 0; i < 257; i++) {
		r[i].iova = IOVA_BASE + 2 * i * PG;
		r[i].length = PG;
	}
	EXPECT_EQ(-E2BIG, vfio_dma_log_start(dev(self), &pgsize, r, 257));
	/* All that fit are taken. */
	EXPECT_EQ(0, vfio_dma_log_start(dev(self), &pgsize, r, 256))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(-EBUSY, vfio_dma_log_start(dev(self), &pgsize, r, 1));
	/* Report page sizes the uAPI refuses. */
	EXPECT_EQ(-EINVAL, vfio_dma_log_report(dev(self), IOVA_BASE, PG, 1024,
					       bitmap));
	EXPECT_EQ(-EINVAL, vfio_dma_log_report(dev(self), IOVA_BASE, PG,
					       3 * PG, bitmap));
	EXPECT_EQ(0, vfio_dma_log_stop(dev(self)));
	/* A smaller page than the kernel's is a hint: it picks its own. */
	r[0].iova = IOVA_BASE;
	r[0].length = PG;
	pgsize = 512;
	EXPECT_EQ(0, vfio_dma_log_start(dev(self), &pgsize, r, 1));
	EXPECT_EQ(PG, pgsize);
	EXPECT_EQ(0, vfio_dma_log_stop(dev(self)));
}

TEST_HARNESS_MAIN
