// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the DMA engine, its errors, interrupts and device reset, through
 * the type1 container and through iommufd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "mdma_util.h"
#include "mdma_fixture.h"

#define IOVA_BASE	0x40000000ULL
#define IOVA_UNMAPPED	0x80000000ULL
#define GUARD		0xee
#define NO_IRQ_MS	300

FIXTURE(dma) {
	struct mdma m;
	struct vfio_dma_buf buf;
	int efd;
};

MDMA_FIXTURE_BACKENDS(dma);

FIXTURE_SETUP(dma)
{
	self->efd = -1;
	mdma_fixture_create(_metadata, &self->m, variant->type,
			    MDMA_SETUP_ENABLE | MDMA_SETUP_BAR2 |
			    variant->backend);
}

FIXTURE_TEARDOWN(dma)
{
	if (self->efd >= 0)
		close(self->efd);
	/* Closing the container unmaps; the memory is ours to free. */
	vfio_dma_free(NULL, &self->buf);
	mdma_destroy(&self->m);
}

/* Guest memory of @size bytes mapped at IOVA_BASE, as self->buf. */
static uint8_t *guest_buf(struct __test_metadata *_metadata,
			  struct _test_data_dma *self, size_t size)
{
	ASSERT_EQ(0, vfio_dma_alloc(&self->m.container, IOVA_BASE, size,
				    &self->buf)) TH_LOG("%s", vfio_errmsg());
	return self->buf.vaddr;
}

#define reg(self, r)		mdma_reg(&(self)->m, r)
#define pinned(self)		mdma_pinned(&(self)->m)

static uint64_t mdma_pinned(struct mdma *m)
{
	uint64_t v;

	if (mdma_debugfs(m, "pinned_pages", &v))
		return ~0ULL;
	return v;
}

static const size_t sizes[] = {
	1, 3, 4096, 4097, 65536 + 5, (3 << 20) + 5,
};

#define NSIZES	(ARRAY_SIZE(sizes))
#define BUFSZ	((4 << 20) + 8192)

/* @cmd of @len bytes from @src to @dst (or @pat): done without an error. */
static void dma_done(struct __test_metadata *_metadata, struct mdma *m,
		     uint32_t cmd, uint64_t src, uint64_t dst, size_t len,
		     uint32_t pat)
{
	uint32_t err;

	ASSERT_EQ(0, mdma_run(m, cmd, src, dst, len, pat, &err))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(MDMA_ERR_NONE, err) TH_LOG("len %zu", len);
}

/* The guest buffer holds GUARD outside [@off, @off + @len). */
static void guest_guarded(struct __test_metadata *_metadata,
			  struct _test_data_dma *self, size_t off, size_t len)
{
	uint8_t *g = self->buf.vaddr;

	EXPECT_EQ(-1, mdma_check_byte(g, off, GUARD))
		TH_LOG("bytes before the target written, len %zu", len);
	EXPECT_EQ(-1, mdma_check_byte(g + off + len,
				      self->buf.size - off - len, GUARD))
		TH_LOG("bytes after the target written, len %zu", len);
}

TEST_F(dma, dev_to_guest)
{
	uint8_t *g = guest_buf(_metadata, self, BUFSZ);
	struct mdma *m = &self->m;
	unsigned int i;

	for (i = 0; i < NSIZES; i++) {
		size_t len = sizes[i], goff = 13 + i;
		uint64_t doff = (i & 1) ? 4096 * i + 7 : m->mem_size - len;

		mdma_pattern(m->map + doff, len, 1000 + i);
		memset(g, GUARD, self->buf.size);
		dma_done(_metadata, m, MDMA_CMD_DEV_TO_GUEST, doff,
			 self->buf.iova + goff, len, 0);
		EXPECT_EQ(i + 1, reg(self, MDMA_REG_DMA_COMPLETED));
		EXPECT_EQ(-1, mdma_cmp(m->map + doff, g + goff, len))
			TH_LOG("len %zu device 0x%llx guest +%zu", len,
			       (unsigned long long)doff, goff);
		guest_guarded(_metadata, self, goff, len);
	}
	EXPECT_EQ(0, reg(self, MDMA_REG_STATUS) & MDMA_STATUS_ERROR);
	EXPECT_EQ(MDMA_IRQ_DONE, reg(self, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(0, pinned(self));
}

TEST_F(dma, guest_to_dev)
{
	uint8_t *g = guest_buf(_metadata, self, BUFSZ);
	struct mdma *m = &self->m;
	unsigned int i;
	uint32_t err;

	for (i = 0; i < NSIZES; i++) {
		size_t len = sizes[i], goff = 4096 - i;
		/* Device ranges keep 16 guard bytes on either side. */
		uint64_t doff = (i & 1) ? m->mem_size - len - 16 :
			       4096 * i + 16 + 3;

		mdma_pattern(g + goff, len, 2000 + i);
		memset(m->map + doff - 16, GUARD, len + 32);
		dma_done(_metadata, m, MDMA_CMD_GUEST_TO_DEV,
			 self->buf.iova + goff, doff, len, 0);
		EXPECT_EQ(i + 1, reg(self, MDMA_REG_DMA_COMPLETED));
		EXPECT_EQ(-1, mdma_cmp(g + goff, m->map + doff, len))
			TH_LOG("len %zu device 0x%llx", len,
			       (unsigned long long)doff);
		EXPECT_EQ(-1, mdma_check_byte(m->map + doff - 16, 16, GUARD));
		EXPECT_EQ(-1, mdma_check_byte(m->map + doff + len, 16, GUARD));
	}
	/* The last device byte is reachable. */
	g[0] = 0x5c;
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV, self->buf.iova,
			      m->mem_size - 1, 1, 0, &err));
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(0x5c, m->map[m->mem_size - 1]);
	EXPECT_EQ(0, pinned(self));
}

TEST_F(dma, fill_guest)
{
	static const uint32_t pat = 0x11223344;
	static const uint8_t bytes[4] = { 0x44, 0x33, 0x22, 0x11 };
	static const size_t fsizes[] = { 1, 2, 5, 4096 + 3, (3 << 20) + 5 };
	uint8_t *g = guest_buf(_metadata, self, BUFSZ);
	unsigned int i;
	size_t j;

	for (i = 0; i < ARRAY_SIZE(fsizes); i++) {
		size_t len = fsizes[i], goff = 4093 + i;
		long bad = -1;

		memset(g, GUARD, self->buf.size);
		dma_done(_metadata, &self->m, MDMA_CMD_FILL_GUEST, 0,
			 self->buf.iova + goff, len, pat);
		/* The pattern's bytes repeat from the first byte written. */
		for (j = 0; j < len; j++)
			if (g[goff + j] != bytes[j % 4]) {
				bad = j;
				break;
			}
		EXPECT_EQ(-1, bad) TH_LOG("len %zu: byte %ld is 0x%02x", len,
					  bad, bad < 0 ? 0 : g[goff + bad]);
		guest_guarded(_metadata, self, goff, len);
	}
}

TEST_F(dma, device_range)
{
	struct mdma *m = &self->m;
	uint64_t end = m->mem_size;
	uint32_t err;

	guest_buf(_metadata, self, 8192);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, end - 4096,
			      self->buf.iova, 4096, 0, &err));
	EXPECT_EQ(MDMA_ERR_NONE, err);

	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, end - 4095,
			      self->buf.iova, 4096, 0, &err));
	EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, end,
			      self->buf.iova, 1, 0, &err));
	EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV, self->buf.iova,
			      end - 1, 2, 0, &err));
	EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	/* Offsets that overflow when the length is added. */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV, self->buf.iova,
			      ~0ULL - 10, 4096, 0, &err));
	EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, 1ULL << 32,
			      self->buf.iova, 16, 0, &err));
	EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	/* The longest transfer is longer than 16 MiB of device memory. */
	if (m->mem_size < MDMA_DMA_MAX_LEN) {
		ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, 0,
				      self->buf.iova, MDMA_DMA_MAX_LEN, 0,
				      &err));
		EXPECT_EQ(MDMA_ERR_BAD_RANGE, err);
	}
	EXPECT_TRUE(reg(self, MDMA_REG_STATUS) & MDMA_STATUS_ERROR);
	EXPECT_TRUE(reg(self, MDMA_REG_IRQ_STATUS) & MDMA_IRQ_ERROR);
	EXPECT_EQ(0, pinned(self));
}

TEST_F(dma, bad_iova)
{
	struct mdma *m = &self->m;
	static const uint32_t cmds[] = {
		MDMA_CMD_DEV_TO_GUEST, MDMA_CMD_GUEST_TO_DEV,
		MDMA_CMD_FILL_GUEST,
	};
	const uint64_t iovas[] = {
		IOVA_UNMAPPED,			/* nothing there */
		IOVA_BASE + 8192 - 100,		/* runs off the mapping */
		IOVA_BASE - 4096,		/* starts before it */
		~0ULL - 100,			/* wraps around */
	};
	uint32_t err;
	unsigned int i, j;

	guest_buf(_metadata, self, 8192);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		for (j = 0; j < ARRAY_SIZE(iovas); j++) {
			int to_dev = cmds[i] == MDMA_CMD_GUEST_TO_DEV;

			ASSERT_EQ(0, mdma_run(m, cmds[i],
					      to_dev ? iovas[j] : 0,
					      to_dev ? 0 : iovas[j], 4096,
					      0xabababab, &err))
				TH_LOG("%s", vfio_errmsg());
			EXPECT_EQ(MDMA_ERR_BAD_IOVA, err)
				TH_LOG("cmd %u iova 0x%llx", cmds[i],
				       (unsigned long long)iovas[j]);
			EXPECT_TRUE(reg(self, MDMA_REG_STATUS) &
				    MDMA_STATUS_ERROR);
			EXPECT_EQ(MDMA_IRQ_ERROR,
				  reg(self, MDMA_REG_IRQ_STATUS));
		}
	EXPECT_EQ(0, pinned(self));
	EXPECT_EQ(0, reg(self, MDMA_REG_DMA_QUEUED));
}

TEST_F(dma, bad_len)
{
	static const uint32_t lens[] = { 0, MDMA_DMA_MAX_LEN + 1, 0xffffffff };
	struct mdma *m = &self->m;
	uint32_t err;
	unsigned int i;

	guest_buf(_metadata, self, 8192);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0,
				      self->buf.iova, lens[i], 1, &err))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(MDMA_ERR_BAD_LEN, err) TH_LOG("len %u", lens[i]);
		EXPECT_TRUE(reg(self, MDMA_REG_STATUS) & MDMA_STATUS_ERROR);
		EXPECT_EQ(MDMA_IRQ_ERROR, reg(self, MDMA_REG_IRQ_STATUS));
	}
	EXPECT_EQ(-1, mdma_check_byte(self->buf.vaddr, 8192, 0));
}

TEST_F(dma, bad_cmd)
{
	static const uint32_t cmds[] = { 0, 4, 0x100, 0xffffffff };
	struct mdma *m = &self->m;
	uint32_t err;
	unsigned int i;

	guest_buf(_metadata, self, 8192);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(0, mdma_run(m, cmds[i], 0, self->buf.iova, 16, 1,
				      &err)) TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(MDMA_ERR_BAD_CMD, err) TH_LOG("cmd 0x%x", cmds[i]);
		EXPECT_TRUE(reg(self, MDMA_REG_STATUS) & MDMA_STATUS_ERROR);
		EXPECT_EQ(MDMA_IRQ_ERROR, reg(self, MDMA_REG_IRQ_STATUS));
	}
	EXPECT_EQ(-1, mdma_check_byte(self->buf.vaddr, 8192, 0));

	/* The engine goes on with the next descriptor. */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 16,
			      0x01010101, &err));
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(MDMA_IRQ_DONE, reg(self, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(1, ((uint8_t *)self->buf.vaddr)[15]);
	EXPECT_EQ(0, ((uint8_t *)self->buf.vaddr)[16]);
}

TEST_F(dma, queue_full)
{
	struct mdma *m = &self->m;
	uint32_t i;
	uint8_t *g;

	g = guest_buf(_metadata, self, MDMA_DMA_QUEUE_DEPTH * 4096);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, 0));
	for (i = 0; i < MDMA_DMA_QUEUE_DEPTH; i++) {
		ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0,
					 self->buf.iova + i * 4096, 4096,
					 0x01010101 * (i + 1)))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(i + 1, reg(self, MDMA_REG_DMA_QUEUED));
	}
	EXPECT_EQ(MDMA_ERR_NONE, reg(self, MDMA_REG_DMA_ERROR));
	EXPECT_EQ(0, reg(self, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(-1, mdma_check_byte(g, self->buf.size, 0));

	/* One more does not fit. */
	ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova,
				 4096, 0xffffffff));
	EXPECT_EQ(MDMA_ERR_QUEUE_FULL, reg(self, MDMA_REG_DMA_ERROR));
	EXPECT_TRUE(reg(self, MDMA_REG_STATUS) & MDMA_STATUS_ERROR);
	EXPECT_TRUE(reg(self, MDMA_REG_IRQ_STATUS) & MDMA_IRQ_ERROR);
	EXPECT_EQ(MDMA_DMA_QUEUE_DEPTH, reg(self, MDMA_REG_DMA_QUEUED));

	/* Enabling the engine runs the sixteen queued ones in order. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_DONE, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_DMA_QUEUE_DEPTH, reg(self, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(0, reg(self, MDMA_REG_DMA_QUEUED));
	for (i = 0; i < MDMA_DMA_QUEUE_DEPTH; i++)
		EXPECT_EQ(-1, mdma_check_byte(g + i * 4096, 4096, i + 1))
			TH_LOG("descriptor %u", i);
	EXPECT_EQ(0, pinned(self));
}

/*
 * Unmap the range of a long transfer while the engine works on it. The
 * unmap must succeed and leave nothing pinned; the transfer either
 * completed before it or ends ABORTED. Even rounds wait until the engine
 * is busy, so the unmap lands in the middle of the transfer; odd rounds
 * unmap at once, so the transfer may not have started: then, and only
 * then (nothing of it written), BAD_IOVA is right too.
 */
TEST_F_TIMEOUT(dma, unmap_while_pinned, 180)
{
	const size_t len = MDMA_DMA_MAX_LEN;
	struct mdma *m = &self->m;
	uint64_t unmapped, v;
	uint32_t err, busy;
	int round;

	for (round = 0; round < 6; round++) {
		uint32_t done = reg(self, MDMA_REG_DMA_COMPLETED);
		bool started, ok;

		guest_buf(_metadata, self, len);
		ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, 0));
		ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
		ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0,
					 self->buf.iova, len, 0x5a5a5a5a));
		ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
		busy = 0;
		if (!(round & 1)) {
			for (v = 0; v < 1000000 && !busy; v++)
				busy = reg(self, MDMA_REG_STATUS) &
				       MDMA_STATUS_BUSY;
			ASSERT_TRUE(busy) TH_LOG("the engine never got busy");
		}
		ASSERT_EQ(0, vfio_dma_unmap(&m->container, self->buf.iova,
					    len, &unmapped))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(len, unmapped);
		ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_ALL, MDMA_TIMEOUT_MS))
			TH_LOG("%s", vfio_errmsg());
		err = reg(self, MDMA_REG_IRQ_STATUS) & MDMA_IRQ_ERROR ?
		      reg(self, MDMA_REG_DMA_ERROR) : MDMA_ERR_NONE;
		started = ((uint8_t *)self->buf.vaddr)[0] == 0x5a;
		TH_LOG("round %d (%s): DMA_ERROR %u, %s", round,
		       busy ? "unmap while busy" : "unmap at once", err,
		       started ? "started" : "not started");
		if (started)
			ok = err == MDMA_ERR_NONE || err == MDMA_ERR_ABORTED;
		else
			ok = err == MDMA_ERR_BAD_IOVA;
		EXPECT_TRUE(ok)
			TH_LOG("round %d: DMA_ERROR %u for a transfer %s",
			       round, err, started ?
			       "cut by the unmap (want ABORTED)" :
			       "that never ran (want BAD_IOVA)");
		/* A transfer that was not aborted completed in full. */
		EXPECT_TRUE(err != MDMA_ERR_NONE ||
			    reg(self, MDMA_REG_DMA_COMPLETED) == done + 1);
		EXPECT_EQ(0, pinned(self));

		/* The range is gone for the device too. */
		ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0,
				      self->buf.iova, 4096, 1, &err));
		EXPECT_EQ(MDMA_ERR_BAD_IOVA, err);
		EXPECT_EQ(0, pinned(self));

		munmap(self->buf.vaddr, self->buf.size);
		memset(&self->buf, 0, sizeof(self->buf));
	}
}

TEST_F(dma, irq_status_rw1c)
{
	struct mdma *m = &self->m;

	guest_buf(_metadata, self, 4096);
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	ASSERT_EQ(MDMA_IRQ_DONE, reg(self, MDMA_REG_IRQ_STATUS));
	/* Another descriptor, failing, without clearing first. */
	ASSERT_EQ(0, mdma_submit(m, 0x99, 0, self->buf.iova, 64, 0));
	ASSERT_EQ(0, mdma_wait(m, MDMA_IRQ_ERROR, MDMA_TIMEOUT_MS));
	ASSERT_EQ(MDMA_IRQ_ALL, reg(self, MDMA_REG_IRQ_STATUS));

	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, 0));
	EXPECT_EQ(MDMA_IRQ_ALL, reg(self, MDMA_REG_IRQ_STATUS));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_DONE));
	EXPECT_EQ(MDMA_IRQ_ERROR, reg(self, MDMA_REG_IRQ_STATUS));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_DONE));
	EXPECT_EQ(MDMA_IRQ_ERROR, reg(self, MDMA_REG_IRQ_STATUS));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ERROR));
	EXPECT_EQ(0, reg(self, MDMA_REG_IRQ_STATUS));
	/* Clearing the interrupt does not clear the error itself. */
	EXPECT_EQ(MDMA_ERR_BAD_CMD, reg(self, MDMA_REG_DMA_ERROR));
}

static void msi_enable(struct __test_metadata *_metadata, struct mdma *m,
		       bool on)
{
	const unsigned int cap = MDMA_PCI_MSI_CAP_OFFSET;
	struct vfio_dev *d = &m->dev;

	ASSERT_EQ(0, vfio_pci_config_write(d, cap + PCI_MSI_ADDRESS_LO, 4,
					   0xfee00000));
	ASSERT_EQ(0, vfio_pci_config_write(d, cap + PCI_MSI_ADDRESS_HI, 4, 0));
	ASSERT_EQ(0, vfio_pci_config_write(d, cap + PCI_MSI_DATA_64, 2, 0x41));
	ASSERT_EQ(0, vfio_pci_config_write(d, cap + PCI_MSI_FLAGS, 2,
					   on ? PCI_MSI_FLAGS_ENABLE : 0));
}

/* A page of guest memory, and self->efd on MSI (@msi) or INTx. */
static void irq_setup(struct __test_metadata *_metadata,
		      struct _test_data_dma *self, bool msi)
{
	guest_buf(_metadata, self, 4096);
	msi_enable(_metadata, &self->m, msi);
	ASSERT_EQ(0, vfio_irq_enable(&self->m.dev,
				     msi ? VFIO_PCI_MSI_IRQ_INDEX :
					   VFIO_PCI_INTX_IRQ_INDEX,
				     &self->efd)) TH_LOG("%s", vfio_errmsg());
}

TEST_F(dma, irq_msi)
{
	struct mdma *m = &self->m;
	uint64_t count;
	uint32_t err;

	irq_setup(_metadata, self, true);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL));

	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, &count))
		TH_LOG("no MSI on completion: %s", vfio_errmsg());

	/* An error interrupts too. */
	ASSERT_EQ(0, mdma_run(m, 0x99, 0, self->buf.iova, 64, 0, &err));
	ASSERT_EQ(MDMA_ERR_BAD_CMD, err);
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, &count))
		TH_LOG("no MSI on error: %s", vfio_errmsg());

	/* Nothing more is pending. */
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL));

	/* Tearing the vector down stops delivery. */
	ASSERT_EQ(0, vfio_irq_disable(&m->dev, VFIO_PCI_MSI_IRQ_INDEX))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64,
			      0, &err));
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL));
}

TEST_F(dma, irq_intx)
{
	struct mdma *m = &self->m;
	const uint32_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	irq_setup(_metadata, self, false);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL));

	/* With INTx disabled in the command register, nothing arrives. */
	ASSERT_EQ(0, vfio_pci_config_write(&m->dev, PCI_COMMAND, 2,
					   cmd | PCI_COMMAND_INTX_DISABLE));
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL))
		TH_LOG("INTx delivered with PCI_COMMAND_INTX_DISABLE set");

	/* Acknowledge, enable INTx, run again: the line fires. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, vfio_pci_config_write(&m->dev, PCI_COMMAND, 2, cmd));
	vfio_eventfd_wait(self->efd, 0, NULL);
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, NULL))
		TH_LOG("no INTx on completion: %s", vfio_errmsg());
}

/* VFIO_DEVICE_SET_IRQS on INTx with DATA_NONE, or DATA_BOOL of @val. */
static int intx_action(struct mdma *m, uint32_t action, uint32_t type,
		       uint32_t count, uint8_t val)
{
	struct {
		struct vfio_irq_set hdr;
		uint8_t data[4];
	} set = {
		.hdr.argsz = sizeof(set),
		.hdr.flags = action | type,
		.hdr.index = VFIO_PCI_INTX_IRQ_INDEX,
		.hdr.count = count,
		.data = { val },
	};

	return ioctl(m->dev.fd, VFIO_DEVICE_SET_IRQS, &set);
}

static uint64_t intx_masked(struct __test_metadata *_metadata, struct mdma *m)
{
	uint64_t v = UINT64_MAX;

	EXPECT_EQ(0, mdma_debugfs(m, "intx_masked", &v))
		TH_LOG("%s", vfio_errmsg());
	return v;
}

TEST_F(dma, irq_intx_mask_and_unmask)
{
	struct mdma *m = &self->m;

	irq_setup(_metadata, self, false);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL));

	/* Masked by the VMM: the completion is pending, the line quiet. */
	ASSERT_EQ(0, intx_action(m, VFIO_IRQ_SET_ACTION_MASK,
				 VFIO_IRQ_SET_DATA_NONE, 1, 0));
	EXPECT_EQ(1, intx_masked(_metadata, m));
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(MDMA_IRQ_DONE, reg(self, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL))
		TH_LOG("INTx delivered while masked");

	/* Unmasking delivers what is pending, and INTx masks itself again. */
	ASSERT_EQ(0, vfio_irq_unmask(&m->dev, VFIO_PCI_INTX_IRQ_INDEX))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, NULL))
		TH_LOG("no INTx at unmask with DONE pending: %s",
		       vfio_errmsg());
	EXPECT_EQ(1, intx_masked(_metadata, m));

	/* Acknowledged, then unmasked: nothing is pending, nothing fires. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, intx_action(m, VFIO_IRQ_SET_ACTION_UNMASK,
				 VFIO_IRQ_SET_DATA_BOOL, 1, 1));
	EXPECT_EQ(0, intx_masked(_metadata, m));
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL));

	/* DATA_BOOL false asks for nothing; count 0 and eventfds are refused. */
	ASSERT_EQ(0, intx_action(m, VFIO_IRQ_SET_ACTION_MASK,
				 VFIO_IRQ_SET_DATA_BOOL, 1, 0));
	EXPECT_EQ(0, intx_masked(_metadata, m));
	EXPECT_ERRNO(EINVAL, intx_action(m, VFIO_IRQ_SET_ACTION_MASK,
					 VFIO_IRQ_SET_DATA_NONE, 0, 0));
	EXPECT_ERRNO(EINVAL, intx_action(m, VFIO_IRQ_SET_ACTION_MASK,
					 VFIO_IRQ_SET_DATA_EVENTFD, 1, 0));
	EXPECT_EQ(0, intx_masked(_metadata, m));

	/* Unmasked, a new completion fires at once. */
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, NULL))
		TH_LOG("no INTx after unmask: %s", vfio_errmsg());
}

TEST_F(dma, irq_mask)
{
	struct mdma *m = &self->m;
	uint32_t err;

	irq_setup(_metadata, self, true);

	/* Everything masked: status is set, nothing is delivered. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, 0));
	dma_done(_metadata, m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64, 0);
	EXPECT_EQ(MDMA_IRQ_DONE, reg(self, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL))
		TH_LOG("interrupt delivered with IRQ_MASK 0");

	/* Only errors enabled: completion stays quiet, an error fires. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ERROR));
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64,
			      0, &err));
	EXPECT_EQ(-ETIMEDOUT, vfio_eventfd_wait(self->efd, NO_IRQ_MS, NULL))
		TH_LOG("DONE delivered with only IRQ_ERROR enabled");
	ASSERT_EQ(0, mdma_run(m, 0x99, 0, self->buf.iova, 64, 0, &err));
	ASSERT_EQ(MDMA_ERR_BAD_CMD, err);
	EXPECT_EQ(0, vfio_eventfd_wait(self->efd, MDMA_TIMEOUT_MS, NULL))
		TH_LOG("no interrupt for an enabled error: %s",
		       vfio_errmsg());
}

TEST_F_TIMEOUT(dma, reset, 90)
{
	static const uint32_t zeroed[] = {
		MDMA_REG_CTRL, MDMA_REG_STATUS, MDMA_REG_IRQ_STATUS,
		MDMA_REG_IRQ_MASK, MDMA_REG_DMA_SRC_LO, MDMA_REG_DMA_SRC_HI,
		MDMA_REG_DMA_DST_LO, MDMA_REG_DMA_DST_HI, MDMA_REG_DMA_LEN,
		MDMA_REG_DMA_CMD, MDMA_REG_DMA_PATTERN,
		MDMA_REG_DMA_COMPLETED, MDMA_REG_DMA_ERROR,
		MDMA_REG_DMA_QUEUED, MDMA_REG_SCRATCH,
	};
	struct mdma *m = &self->m;
	uint8_t *p, sample[256];
	uint64_t v;
	uint32_t err;
	unsigned int i;

	guest_buf(_metadata, self, 4096);
	/* Dirty every part of the device's state. */
	mdma_pattern(m->map, m->mem_size, 7);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 64,
			      0, &err));
	ASSERT_EQ(0, mdma_run(m, 0x99, 0, self->buf.iova, 64, 0, &err));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mdma_submit(m, MDMA_CMD_FILL_GUEST, 0,
					 self->buf.iova, 4096, 0x77777777));
	ASSERT_EQ(3, reg(self, MDMA_REG_DMA_QUEUED));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_SCRATCH, 0xfeedf00d));
	ASSERT_EQ(0, mdma_submit(m, 0x55, 0x1234, 0x5678, 99, 0xa5a5a5a5));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, 0));

	ASSERT_EQ(0, vfio_dev_reset(&m->dev)) TH_LOG("%s", vfio_errmsg());

	for (i = 0; i < ARRAY_SIZE(zeroed); i++)
		EXPECT_EQ(0, reg(self, zeroed[i]))
			TH_LOG("register 0x%x after reset", zeroed[i]);
	EXPECT_EQ(MDMA_ID, reg(self, MDMA_REG_ID));
	EXPECT_EQ(MDMA_VERSION, reg(self, MDMA_REG_VERSION));
	EXPECT_EQ((uint32_t)m->mem_size, reg(self, MDMA_REG_MEM_SIZE_LO));

	/* Device memory reads as zero, through a new mapping and pread. */
	ASSERT_EQ(0, vfio_region_mmap(&m->dev, &m->bar2, 0, m->mem_size,
				      PROT_READ, (void **)&p))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(-1, mdma_check_byte(p, m->mem_size, 0));
	munmap(p, m->mem_size);
	ASSERT_EQ(0, vfio_region_read(&m->dev, &m->bar2,
				      m->mem_size - sizeof(sample), sample,
				      sizeof(sample)));
	EXPECT_EQ(-1, mdma_check_byte(sample, sizeof(sample), 0));

	EXPECT_EQ(0, mdma_debugfs(m, "dma_queued", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, pinned(self));

	/* The dropped queue does not come back when the engine starts. */
	memset(self->buf.vaddr, 0, 4096);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	usleep(100 * 1000);
	EXPECT_EQ(0, reg(self, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(-1, mdma_check_byte(self->buf.vaddr, 4096, 0));

	/* And the device works after the reset. */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0, self->buf.iova, 8,
			      0x03030303, &err));
	EXPECT_EQ(MDMA_ERR_NONE, err);
	EXPECT_EQ(3, ((uint8_t *)self->buf.vaddr)[7]);
}

/*
 * iommufd keeps no dirty log of an emulated device's pins: the device's
 * own DMA log reports the pages its DMA wrote, and not those it read.
 */
static void dirty_pages_iommufd(struct __test_metadata *_metadata,
				struct _test_data_dma *self)
{
	struct vfio_device_feature_dma_logging_range r = {
		.iova = IOVA_BASE, .length = 64 * 4096,
	};
	struct mdma *m = &self->m;
	uint64_t bitmap[1] = { 0 }, pgsize = 4096;
	uint32_t err;

	guest_buf(_metadata, self, r.length);
	ASSERT_EQ(0, vfio_dma_log_start(&m->dev, &pgsize, &r, 1))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0,
			      IOVA_BASE + 3 * 4096 + 100, 2 * 4096, 7, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV, IOVA_BASE + 40 * 4096,
			      0, 16, 0, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	ASSERT_EQ(0, vfio_dma_log_report(&m->dev, IOVA_BASE, r.length, pgsize,
					 bitmap)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(7ULL << 3, bitmap[0]);
	EXPECT_EQ(0, vfio_dma_log_stop(&m->dev));
}

/*
 * vfio_iommu_type1 reports the pages an mdev pinned while dirty tracking
 * was on: the pages this device's DMA wrote, and no others.
 */
TEST_F(dma, dirty_pages)
{
	const struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info *info;
	const size_t npages = 64, pg = 4096;
	struct mdma *m = &self->m;
	uint64_t bitmap[1], want;
	uint32_t err;

	if (variant->backend == MDMA_SETUP_IOMMUFD) {
		dirty_pages_iommufd(_metadata, self);
		return;
	}
	guest_buf(_metadata, self, npages * pg);
	ASSERT_EQ(0, vfio_iommu_info(&m->container, &info))
		TH_LOG("%s", vfio_errmsg());
	mig = (const void *)vfio_info_cap_find(info, info->argsz,
					       info->flags & VFIO_IOMMU_INFO_CAPS ?
					       info->cap_offset : 0,
					       VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ASSERT_NE(NULL, mig) TH_LOG("no migration capability");
	EXPECT_TRUE(mig->pgsize_bitmap & pg);
	free(info);

	/* Before tracking starts, the ioctl refuses to report. */
	EXPECT_EQ(-EINVAL, vfio_dirty_get(&m->container, self->buf.iova,
					  self->buf.size, pg, bitmap,
					  sizeof(bitmap)));
	ASSERT_EQ(0, vfio_dirty_start(&m->container))
		TH_LOG("%s", vfio_errmsg());

	/* Pages 3..5 (a fill from the middle of 3 to the middle of 5). */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_FILL_GUEST, 0,
			      self->buf.iova + 3 * pg + 100, 2 * pg, 7, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	/* Page 40, read by the device: pinned too, so reported as well. */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_GUEST_TO_DEV,
			      self->buf.iova + 40 * pg, 0, 16, 0, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);

	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, vfio_dirty_get(&m->container, self->buf.iova,
				    self->buf.size, pg, bitmap,
				    sizeof(bitmap))) TH_LOG("%s", vfio_errmsg());
	want = 7ULL << 3 | 1ULL << 40;
	EXPECT_EQ(want, bitmap[0]);

	/* Reading the bitmap cleared it; nothing is pinned any more. */
	memset(bitmap, 0xff, sizeof(bitmap));
	ASSERT_EQ(0, vfio_dirty_get(&m->container, self->buf.iova,
				    self->buf.size, pg, bitmap,
				    sizeof(bitmap))) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(0, bitmap[0]);

	/* Unmapping with the bitmap reports what was dirtied since. */
	ASSERT_EQ(0, mdma_run(m, MDMA_CMD_DEV_TO_GUEST, 0,
			      self->buf.iova + 63 * pg, pg, 0, &err));
	ASSERT_EQ(MDMA_ERR_NONE, err);
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, vfio_dma_unmap_dirty(&m->container, self->buf.iova,
					  self->buf.size, pg, bitmap,
					  sizeof(bitmap)))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(1ULL << 63, bitmap[0]);
	EXPECT_EQ(0, vfio_dirty_stop(&m->container)) TH_LOG("%s", vfio_errmsg());

	munmap(self->buf.vaddr, self->buf.size);
	memset(&self->buf, 0, sizeof(self->buf));
}

TEST_HARNESS_MAIN
