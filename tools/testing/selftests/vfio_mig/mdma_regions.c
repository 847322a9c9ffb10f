// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: device, region and irq info, PCI config space, BAR0 registers,
 * BAR2 device memory and how bad requests are refused.
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

#define PAGE	4096UL

FIXTURE(mdma) {
	struct mdma m;
};

MDMA_FIXTURE_VARIANTS(mdma);

FIXTURE_SETUP(mdma)
{
	mdma_fixture_create(_metadata, &self->m, variant->type, 0);
}

FIXTURE_TEARDOWN(mdma)
{
	mdma_destroy(&self->m);
}

static ssize_t dev_pread(struct mdma *m, const struct vfio_region *r,
			 uint64_t off, void *buf, size_t len)
{
	return pread(m->dev.fd, buf, len, r->offset + off);
}

static ssize_t dev_pwrite(struct mdma *m, const struct vfio_region *r,
			  uint64_t off, const void *buf, size_t len)
{
	return pwrite(m->dev.fd, buf, len, r->offset + off);
}

static uint32_t cfg_rd(struct mdma *m, unsigned int off, unsigned int width)
{
	uint32_t v;

	if (vfio_pci_config_read(&m->dev, off, width, &v))
		return 0xdeadbeef;
	return v;
}

static int cfg_wr(struct mdma *m, unsigned int off, unsigned int width,
		  uint32_t v)
{
	return vfio_pci_config_write(&m->dev, off, width, v);
}

TEST_F(mdma, device_info)
{
	struct vfio_device_info *info = &self->m.dev.info;
	struct vfio_region_info *ri;
	unsigned int i;

	EXPECT_TRUE(info->flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(info->flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_FALSE(info->flags & VFIO_DEVICE_FLAGS_PLATFORM);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info->num_irqs);
	ASSERT_LE(VFIO_PCI_NUM_REGIONS, info->num_regions);
	/* Regions past the PCI ones must say what they are. */
	for (i = VFIO_PCI_NUM_REGIONS; i < info->num_regions; i++) {
		ASSERT_EQ(0, vfio_region_info(&self->m.dev, i, &ri))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_NE(NULL, vfio_region_cap_find(ri,
						     VFIO_REGION_INFO_CAP_TYPE))
			TH_LOG("region %u has no type capability", i);
		free(ri);
	}
}

TEST_F(mdma, region_info)
{
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE;
	struct vfio_region r[VFIO_PCI_NUM_REGIONS];
	unsigned int i, j;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		ASSERT_EQ(0, vfio_region_get(&self->m.dev, i, &r[i]))
			TH_LOG("%s", vfio_errmsg());

	EXPECT_EQ(MDMA_BAR0_SIZE, r[VFIO_PCI_BAR0_REGION_INDEX].size);
	EXPECT_EQ(rw, r[VFIO_PCI_BAR0_REGION_INDEX].flags & ~VFIO_REGION_INFO_FLAG_CAPS);

	EXPECT_EQ(self->m.mem_size, r[VFIO_PCI_BAR2_REGION_INDEX].size);
	EXPECT_EQ(rw | VFIO_REGION_INFO_FLAG_MMAP,
		  r[VFIO_PCI_BAR2_REGION_INDEX].flags & ~VFIO_REGION_INFO_FLAG_CAPS);

	EXPECT_EQ(256, r[VFIO_PCI_CONFIG_REGION_INDEX].size);
	EXPECT_EQ(rw, r[VFIO_PCI_CONFIG_REGION_INDEX].flags & ~VFIO_REGION_INFO_FLAG_CAPS);

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		if (i == VFIO_PCI_BAR0_REGION_INDEX ||
		    i == VFIO_PCI_BAR2_REGION_INDEX ||
		    i == VFIO_PCI_CONFIG_REGION_INDEX)
			continue;
		EXPECT_EQ(0, r[i].size) TH_LOG("region %u", i);
		EXPECT_FALSE(r[i].flags & VFIO_REGION_INFO_FLAG_MMAP)
			TH_LOG("region %u", i);
	}

	/* The regions that exist do not overlap in the device file. */
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		for (j = 0; j < VFIO_PCI_NUM_REGIONS; j++) {
			if (i == j || !r[i].size || !r[j].size)
				continue;
			EXPECT_TRUE(r[i].offset + r[i].size <= r[j].offset ||
				    r[j].offset + r[j].size <= r[i].offset)
				TH_LOG("regions %u and %u overlap", i, j);
		}
	/* BAR2 is mmapped at its offset: it must be page aligned. */
	EXPECT_EQ(0, r[VFIO_PCI_BAR2_REGION_INDEX].offset % PAGE);
}

TEST_F(mdma, region_info_bad_index)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	const uint32_t bad[] = {
		self->m.dev.info.num_regions,
		self->m.dev.info.num_regions + 100,
		0x7fffffff, 0xffffffff,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ri.index = bad[i];
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->m.dev.fd, VFIO_DEVICE_GET_REGION_INFO,
				    &ri)) TH_LOG("index %u", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("index %u", bad[i]);
	}
}

TEST_F(mdma, irq_info)
{
	struct vfio_irq_info ii;

	ASSERT_EQ(0, vfio_irq_info(&self->m.dev, VFIO_PCI_INTX_IRQ_INDEX, &ii))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(1, ii.count);
	EXPECT_TRUE(ii.flags & VFIO_IRQ_INFO_EVENTFD);

	ASSERT_EQ(0, vfio_irq_info(&self->m.dev, VFIO_PCI_MSI_IRQ_INDEX, &ii))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(1, ii.count);
	EXPECT_TRUE(ii.flags & VFIO_IRQ_INFO_EVENTFD);

	ASSERT_EQ(0, vfio_irq_info(&self->m.dev, VFIO_PCI_MSIX_IRQ_INDEX, &ii))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(0, ii.count);
}

TEST_F(mdma, irq_bad_index)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	const uint32_t bad[] = {
		self->m.dev.info.num_irqs, self->m.dev.info.num_irqs + 7,
		0xffffffff,
	};
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ii.index = bad[i];
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->m.dev.fd, VFIO_DEVICE_GET_IRQ_INFO,
				    &ii)) TH_LOG("index %u", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("index %u", bad[i]);

		memset(&s, 0, sizeof(s));
		s.set.argsz = sizeof(s);
		s.set.flags = VFIO_IRQ_SET_DATA_NONE |
			      VFIO_IRQ_SET_ACTION_TRIGGER;
		s.set.index = bad[i];
		s.set.count = 0;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->m.dev.fd, VFIO_DEVICE_SET_IRQS, &s))
			TH_LOG("index %u", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("index %u", bad[i]);
	}
	/* A vector past the index's count. */
	memset(&s, 0, sizeof(s));
	s.set.argsz = sizeof(s);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = VFIO_PCI_MSI_IRQ_INDEX;
	s.set.start = 1;
	s.set.count = 1;
	s.fd = -1;
	EXPECT_ERRNO(EINVAL, ioctl(self->m.dev.fd, VFIO_DEVICE_SET_IRQS, &s));
}

TEST_F(mdma, config_ids)
{
	struct mdma *m = &self->m;

	EXPECT_EQ(MDMA_PCI_VENDOR_ID, cfg_rd(m, PCI_VENDOR_ID, 2));
	EXPECT_EQ(MDMA_PCI_DEVICE_ID, cfg_rd(m, PCI_DEVICE_ID, 2));
	EXPECT_EQ(MDMA_PCI_VENDOR_ID | MDMA_PCI_DEVICE_ID << 16,
		  cfg_rd(m, PCI_VENDOR_ID, 4));
	EXPECT_EQ(MDMA_PCI_REVISION, cfg_rd(m, PCI_REVISION_ID, 1));
	EXPECT_EQ(MDMA_PCI_CLASS, cfg_rd(m, PCI_REVISION_ID, 4) >> 8);
	EXPECT_EQ(MDMA_PCI_CLASS >> 8, cfg_rd(m, PCI_CLASS_DEVICE, 2));
	EXPECT_EQ(PCI_HEADER_TYPE_NORMAL,
		  cfg_rd(m, PCI_HEADER_TYPE, 1) & 0x7f);
	EXPECT_EQ(MDMA_PCI_SUBSYS_VENDOR_ID,
		  cfg_rd(m, PCI_SUBSYSTEM_VENDOR_ID, 2));
	EXPECT_EQ(MDMA_PCI_SUBSYS_ID, cfg_rd(m, PCI_SUBSYSTEM_ID, 2));
	EXPECT_TRUE(cfg_rd(m, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	EXPECT_EQ(MDMA_PCI_MSI_CAP_OFFSET,
		  cfg_rd(m, PCI_CAPABILITY_LIST, 1) & 0xfc);
	EXPECT_EQ(1, cfg_rd(m, PCI_INTERRUPT_PIN, 1));
	/* 1-, 2- and 4-byte views of the same dword agree. */
	EXPECT_EQ(cfg_rd(m, PCI_VENDOR_ID, 1) | cfg_rd(m, 1, 1) << 8 |
		  cfg_rd(m, 2, 1) << 16 | cfg_rd(m, 3, 1) << 24,
		  cfg_rd(m, 0, 4));
}

TEST_F(mdma, config_ro_ignored)
{
	static const struct { unsigned int off, width; } ro[] = {
		{ PCI_VENDOR_ID, 4 }, { PCI_VENDOR_ID, 2 },
		{ PCI_DEVICE_ID, 2 }, { PCI_REVISION_ID, 4 },
		{ PCI_CLASS_DEVICE, 2 }, { PCI_HEADER_TYPE, 1 },
		{ PCI_SUBSYSTEM_VENDOR_ID, 4 }, { PCI_CAPABILITY_LIST, 1 },
		{ PCI_INTERRUPT_PIN, 1 },
		{ MDMA_PCI_MSI_CAP_OFFSET, 2 },	/* MSI id and next */
	};
	struct mdma *m = &self->m;
	uint32_t before, after;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		before = cfg_rd(m, ro[i].off, ro[i].width);
		ASSERT_NE(0xdeadbeef, before);
		EXPECT_EQ(0, cfg_wr(m, ro[i].off, ro[i].width, ~before))
			TH_LOG("%s", vfio_errmsg());
		after = cfg_rd(m, ro[i].off, ro[i].width);
		EXPECT_EQ(before, after)
			TH_LOG("config 0x%x/%u changed", ro[i].off,
			       ro[i].width);
	}
	/* The cap list bit of the status register is read-only too. */
	EXPECT_EQ(0, cfg_wr(m, PCI_STATUS, 2, 0));
	EXPECT_TRUE(cfg_rd(m, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
}

TEST_F(mdma, config_command)
{
	const uint32_t wr = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			    PCI_COMMAND_INTX_DISABLE;
	struct mdma *m = &self->m;
	uint32_t v;

	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 2, wr));
	EXPECT_EQ(wr, cfg_rd(m, PCI_COMMAND, 2));
	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 2, PCI_COMMAND_MASTER));
	EXPECT_EQ(PCI_COMMAND_MASTER, cfg_rd(m, PCI_COMMAND, 2));
	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 2, 0));
	EXPECT_EQ(0, cfg_rd(m, PCI_COMMAND, 2));
	/* Only the three bits are writable. */
	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 2, 0xffff));
	v = cfg_rd(m, PCI_COMMAND, 2);
	EXPECT_EQ(wr, v);
	/* A byte write reaches the low byte only. */
	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 1, 0));
	EXPECT_EQ(PCI_COMMAND_INTX_DISABLE, cfg_rd(m, PCI_COMMAND, 2));
	/* A dword write at 0x04 sets the command, leaves the status. */
	EXPECT_EQ(0, cfg_wr(m, PCI_COMMAND, 4, PCI_COMMAND_MEMORY));
	EXPECT_EQ(PCI_COMMAND_MEMORY, cfg_rd(m, PCI_COMMAND, 2));
	EXPECT_TRUE(cfg_rd(m, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
}

TEST_F(mdma, config_bar_sizing)
{
	struct mdma *m = &self->m;
	uint32_t size_lo = ~(uint32_t)(m->mem_size - 1);
	uint32_t pref64 = PCI_BASE_ADDRESS_MEM_TYPE_64 |
			  PCI_BASE_ADDRESS_MEM_PREFETCH;
	unsigned int off;

	/* Initial BAR types. */
	EXPECT_EQ(0, cfg_rd(m, PCI_BASE_ADDRESS_0, 4) & 0xf);
	EXPECT_EQ(pref64, cfg_rd(m, PCI_BASE_ADDRESS_2, 4) & 0xf);

	/* BAR0: 4 KiB, 32-bit memory. */
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_0, 4, 0xffffffff));
	EXPECT_EQ(~(uint32_t)(MDMA_BAR0_SIZE - 1),
		  cfg_rd(m, PCI_BASE_ADDRESS_0, 4));
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_0, 4, 0xfebf1234));
	EXPECT_EQ(0xfebf1000, cfg_rd(m, PCI_BASE_ADDRESS_0, 4));

	/* BAR2/3: 64-bit prefetchable of the device memory's size. */
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_2, 4, 0xffffffff));
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_3, 4, 0xffffffff));
	EXPECT_EQ((size_lo & ~0xfU) | pref64,
		  cfg_rd(m, PCI_BASE_ADDRESS_2, 4));
	EXPECT_EQ(0xffffffff, cfg_rd(m, PCI_BASE_ADDRESS_3, 4));
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_2, 4, 0xe0123456));
	EXPECT_EQ(0, cfg_wr(m, PCI_BASE_ADDRESS_3, 4, 0x00000012));
	EXPECT_EQ((0xe0123456 & size_lo & ~0xfU) | pref64,
		  cfg_rd(m, PCI_BASE_ADDRESS_2, 4));
	EXPECT_EQ(0x12, cfg_rd(m, PCI_BASE_ADDRESS_3, 4));

	/* BAR1, BAR4, BAR5 and the ROM BAR are not implemented. */
	for (off = PCI_BASE_ADDRESS_1; off <= PCI_BASE_ADDRESS_5; off += 4) {
		if (off == PCI_BASE_ADDRESS_2 || off == PCI_BASE_ADDRESS_3)
			continue;
		EXPECT_EQ(0, cfg_wr(m, off, 4, 0xffffffff));
		EXPECT_EQ(0, cfg_rd(m, off, 4)) TH_LOG("BAR at 0x%x", off);
	}
	EXPECT_EQ(0, cfg_wr(m, PCI_ROM_ADDRESS, 4, 0xffffffff));
	EXPECT_EQ(0, cfg_rd(m, PCI_ROM_ADDRESS, 4));
}

TEST_F(mdma, config_msi_cap)
{
	const unsigned int cap = MDMA_PCI_MSI_CAP_OFFSET;
	struct mdma *m = &self->m;
	uint32_t flags;

	EXPECT_EQ(PCI_CAP_ID_MSI, cfg_rd(m, cap + PCI_CAP_LIST_ID, 1));
	EXPECT_EQ(0, cfg_rd(m, cap + PCI_CAP_LIST_NEXT, 1));
	flags = cfg_rd(m, cap + PCI_MSI_FLAGS, 2);
	EXPECT_TRUE(flags & PCI_MSI_FLAGS_64BIT);
	EXPECT_EQ(0, flags & PCI_MSI_FLAGS_QMASK);	/* one vector */
	EXPECT_EQ(0, flags & PCI_MSI_FLAGS_ENABLE);

	/* Enable is writable; capability bits and QSIZE are not. */
	EXPECT_EQ(0, cfg_wr(m, cap + PCI_MSI_FLAGS, 2, 0xffff));
	flags = cfg_rd(m, cap + PCI_MSI_FLAGS, 2);
	EXPECT_TRUE(flags & PCI_MSI_FLAGS_ENABLE);
	EXPECT_TRUE(flags & PCI_MSI_FLAGS_64BIT);
	EXPECT_EQ(0, flags & PCI_MSI_FLAGS_QMASK);
	EXPECT_EQ(0, flags & PCI_MSI_FLAGS_QSIZE);
	EXPECT_EQ(0, cfg_wr(m, cap + PCI_MSI_FLAGS, 2, 0));
	EXPECT_EQ(0, cfg_rd(m, cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_TRUE(cfg_rd(m, cap + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_64BIT);

	/* Message address (dword aligned), upper address and data. */
	EXPECT_EQ(0, cfg_wr(m, cap + PCI_MSI_ADDRESS_LO, 4, 0xfee01004));
	EXPECT_EQ(0xfee01004, cfg_rd(m, cap + PCI_MSI_ADDRESS_LO, 4) & ~3U);
	EXPECT_EQ(0, cfg_wr(m, cap + PCI_MSI_ADDRESS_HI, 4, 0x12345678));
	EXPECT_EQ(0x12345678, cfg_rd(m, cap + PCI_MSI_ADDRESS_HI, 4));
	EXPECT_EQ(0, cfg_wr(m, cap + PCI_MSI_DATA_64, 2, 0x4321));
	EXPECT_EQ(0x4321, cfg_rd(m, cap + PCI_MSI_DATA_64, 2));
}

/*
 * QEMU reads the whole config space with one pread() when it realizes a
 * vfio-pci device, so accesses of any length inside the 256 bytes work.
 */
TEST_F(mdma, config_bulk_read)
{
	struct mdma *m = &self->m;
	uint8_t all[256], part[256];
	unsigned int off;
	uint32_t v;

	ASSERT_EQ(256, dev_pread(m, &m->cfg, 0, all, sizeof(all)));
	for (off = 0; off < 256; off += 4) {
		ASSERT_EQ(0, vfio_pci_config_read(&m->dev, off, 4, &v));
		part[off] = v;
		part[off + 1] = v >> 8;
		part[off + 2] = v >> 16;
		part[off + 3] = v >> 24;
	}
	EXPECT_EQ(-1, mdma_cmp(all, part, sizeof(all)));
	ASSERT_EQ(64, dev_pread(m, &m->cfg, 192, part, 64));
	EXPECT_EQ(-1, mdma_cmp(all + 192, part, 64));
}

TEST_F(mdma, config_bad_access)
{
	struct mdma *m = &self->m;
	const struct vfio_region *r = &m->cfg;
	uint8_t buf[8] = { 0 };
	static const struct { unsigned int off, len; } bad[] = {
		{ 256, 1 }, { 256, 4 }, { 254, 4 }, { 255, 2 }, { 4096, 4 },
		{ 0x10000, 1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, dev_pread(m, r, bad[i].off, buf, bad[i].len))
			TH_LOG("read %u at 0x%x", bad[i].len, bad[i].off);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("read %u at 0x%x", bad[i].len, bad[i].off);
		errno = 0;
		EXPECT_EQ(-1, dev_pwrite(m, r, bad[i].off, buf, bad[i].len))
			TH_LOG("write %u at 0x%x", bad[i].len, bad[i].off);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("write %u at 0x%x", bad[i].len, bad[i].off);
	}
	/* Good accesses still work and the ids were not disturbed. */
	EXPECT_EQ(MDMA_PCI_VENDOR_ID, cfg_rd(m, PCI_VENDOR_ID, 2));
	EXPECT_EQ(MDMA_PCI_DEVICE_ID, cfg_rd(m, PCI_DEVICE_ID, 2));
}

TEST_F(mdma, bar0_identity)
{
	struct mdma *m = &self->m;

	EXPECT_EQ(MDMA_ID, mdma_reg(m, MDMA_REG_ID));
	EXPECT_EQ(MDMA_VERSION, mdma_reg(m, MDMA_REG_VERSION));
	EXPECT_EQ((uint32_t)m->mem_size, mdma_reg(m, MDMA_REG_MEM_SIZE_LO));
	EXPECT_EQ(m->mem_size >> 32, mdma_reg(m, MDMA_REG_MEM_SIZE_HI));
	/* Power-on state of the engine. */
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_CTRL));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_STATUS));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_IRQ_STATUS));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_COMPLETED));
	EXPECT_EQ(MDMA_ERR_NONE, mdma_reg(m, MDMA_REG_DMA_ERROR));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_QUEUED));
}

TEST_F(mdma, bar0_rw_registers)
{
	static const uint32_t any[] = {
		MDMA_REG_DMA_SRC_LO, MDMA_REG_DMA_SRC_HI, MDMA_REG_DMA_DST_LO,
		MDMA_REG_DMA_DST_HI, MDMA_REG_DMA_PATTERN, MDMA_REG_SCRATCH,
	};
	static const uint32_t vals[] = {
		0xa5a5a5a5, 0x5a5a5a5a, 0xffffffff, 0x00000001, 0,
	};
	static const uint32_t lens[] = { 1, 3, 4096, MDMA_DMA_MAX_LEN, 0,
					 0xffffffff };
	static const uint32_t cmds[] = { MDMA_CMD_DEV_TO_GUEST,
					 MDMA_CMD_GUEST_TO_DEV,
					 MDMA_CMD_FILL_GUEST, 0, 0x77 };
	struct mdma *m = &self->m;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(any); i++)
		for (j = 0; j < ARRAY_SIZE(vals); j++) {
			ASSERT_EQ(0, mdma_wr(m, any[i], vals[j]))
				TH_LOG("%s", vfio_errmsg());
			EXPECT_EQ(vals[j], mdma_reg(m, any[i]))
				TH_LOG("register 0x%x", any[i]);
		}
	/* Registers do not alias each other. */
	for (i = 0; i < ARRAY_SIZE(any); i++)
		ASSERT_EQ(0, mdma_wr(m, any[i], 0x1000 + i));
	for (i = 0; i < ARRAY_SIZE(any); i++)
		EXPECT_EQ(0x1000 + i, mdma_reg(m, any[i]));

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_LEN, lens[i]));
		EXPECT_EQ(lens[i], mdma_reg(m, MDMA_REG_DMA_LEN));
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(0, mdma_wr(m, MDMA_REG_DMA_CMD, cmds[i]));
		EXPECT_EQ(cmds[i], mdma_reg(m, MDMA_REG_DMA_CMD));
	}

	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL));
	EXPECT_EQ(MDMA_IRQ_ALL, mdma_reg(m, MDMA_REG_IRQ_MASK));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_DONE));
	EXPECT_EQ(MDMA_IRQ_DONE, mdma_reg(m, MDMA_REG_IRQ_MASK));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, 0));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_IRQ_MASK));

	/* CTRL.ENABLE shows in STATUS; CTRL.RESET clears itself. */
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	EXPECT_EQ(MDMA_CTRL_ENABLE, mdma_reg(m, MDMA_REG_CTRL));
	EXPECT_TRUE(mdma_reg(m, MDMA_REG_STATUS) & MDMA_STATUS_ENABLED);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, 0));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_CTRL));
	EXPECT_FALSE(mdma_reg(m, MDMA_REG_STATUS) & MDMA_STATUS_ENABLED);
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_RESET));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_CTRL) & MDMA_CTRL_RESET);
}

TEST_F(mdma, bar0_ro_registers)
{
	static const uint32_t ro[] = {
		MDMA_REG_ID, MDMA_REG_VERSION, MDMA_REG_STATUS,
		MDMA_REG_MEM_SIZE_LO, MDMA_REG_MEM_SIZE_HI,
		MDMA_REG_DMA_COMPLETED, MDMA_REG_DMA_ERROR,
		MDMA_REG_DMA_QUEUED,
	};
	struct mdma *m = &self->m;
	uint32_t before;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		before = mdma_reg(m, ro[i]);
		ASSERT_NE(0xdeadbeef, before);
		EXPECT_EQ(0, mdma_wr(m, ro[i], ~before))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(0, mdma_wr(m, ro[i], 0x12345678));
		EXPECT_EQ(before, mdma_reg(m, ro[i]))
			TH_LOG("register 0x%x", ro[i]);
	}
	/* Writing 0 to IRQ_STATUS (RW1C) changes nothing either. */
	EXPECT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, 0));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_IRQ_STATUS));
	/* Writing 1s to IRQ_STATUS does not set bits. */
	EXPECT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_STATUS, 0xffffffff));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_IRQ_STATUS));
}

TEST_F(mdma, bar0_unassigned)
{
	struct mdma *m = &self->m;
	uint32_t off, v;

	for (off = MDMA_REG_SCRATCH + 4; off < MDMA_BAR0_SIZE; off += 4) {
		ASSERT_EQ(0, mdma_wr(m, off, 0xffffffff))
			TH_LOG("%s", vfio_errmsg());
		ASSERT_EQ(0, mdma_rd(m, off, &v)) TH_LOG("%s", vfio_errmsg());
		ASSERT_EQ(0, v) TH_LOG("offset 0x%x", off);
	}
	/* ... and the writes landed nowhere else. */
	EXPECT_EQ(MDMA_ID, mdma_reg(m, MDMA_REG_ID));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_CTRL));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_SCRATCH));
	EXPECT_EQ(0, mdma_reg(m, MDMA_REG_DMA_QUEUED));
}

TEST_F(mdma, bar0_bad_access)
{
	static const struct { unsigned int off, len; } bad[] = {
		{ 0, 1 }, { 0, 2 }, { 0, 3 }, { 0, 8 }, { 0, 16 },
		{ MDMA_REG_SCRATCH, 1 }, { MDMA_REG_SCRATCH + 2, 2 },
		{ 1, 4 }, { 2, 4 }, { MDMA_REG_SCRATCH + 3, 4 },
		{ MDMA_BAR0_SIZE, 4 }, { MDMA_BAR0_SIZE - 2, 4 },
		{ MDMA_BAR0_SIZE + 0x1000, 4 },
	};
	struct mdma *m = &self->m;
	uint8_t buf[16];
	unsigned int i;

	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_SCRATCH, 0x11223344));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(buf, 0xff, sizeof(buf));
		errno = 0;
		EXPECT_EQ(-1, dev_pread(m, &m->bar0, bad[i].off, buf,
					bad[i].len))
			TH_LOG("read %u at 0x%x", bad[i].len, bad[i].off);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("read %u at 0x%x", bad[i].len, bad[i].off);
		errno = 0;
		EXPECT_EQ(-1, dev_pwrite(m, &m->bar0, bad[i].off, buf,
					 bad[i].len))
			TH_LOG("write %u at 0x%x", bad[i].len, bad[i].off);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("write %u at 0x%x", bad[i].len, bad[i].off);
	}
	/* Refused writes changed nothing. */
	EXPECT_EQ(0x11223344, mdma_reg(m, MDMA_REG_SCRATCH));
	EXPECT_EQ(MDMA_ID, mdma_reg(m, MDMA_REG_ID));
}

TEST_F(mdma, bar2_rw)
{
	static const struct { uint64_t off; size_t len; } io[] = {
		{ 0, 1 }, { 5, 3 }, { 4095, 4097 }, { 65536 + 1, 65536 + 7 },
		{ 1 << 20, 1 << 20 },
	};
	struct mdma *m = &self->m;
	size_t maxlen = 2 << 20;
	uint8_t *a = malloc(maxlen), *b = malloc(maxlen);
	unsigned int i;
	uint64_t off;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	for (i = 0; i < ARRAY_SIZE(io) + 1; i++) {
		size_t len = i < ARRAY_SIZE(io) ? io[i].len :
			     (1 << 20) + 7;

		/* The last case ends exactly at the end of the memory. */
		off = i < ARRAY_SIZE(io) ? io[i].off :
		      m->mem_size - len;
		mdma_pattern(a, len, i + 1);
		ASSERT_EQ(0, vfio_region_write(&m->dev, &m->bar2, off, a, len))
			TH_LOG("%s", vfio_errmsg());
		memset(b, 0, len);
		ASSERT_EQ(0, vfio_region_read(&m->dev, &m->bar2, off, b, len))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(-1, mdma_cmp(a, b, len))
			TH_LOG("%zu bytes at 0x%llx", len,
			       (unsigned long long)off);
	}
	free(a);
	free(b);
}

TEST_F(mdma, bar2_mmap_coherent)
{
	struct mdma *m = &self->m;
	size_t len = (1 << 20) + 13;
	uint64_t offs[] = { 0, 4096 + 3, m->mem_size - len };
	uint8_t *a = malloc(len), *b = malloc(len);
	unsigned int i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, mdma_map_bar2(m)) TH_LOG("%s", vfio_errmsg());

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		/* pwrite, then read through the mapping. */
		mdma_pattern(a, len, 100 + i);
		ASSERT_EQ(0, vfio_region_write(&m->dev, &m->bar2, offs[i], a,
					       len)) TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(-1, mdma_cmp(a, m->map + offs[i], len))
			TH_LOG("pwrite at 0x%llx not seen in the mapping",
			       (unsigned long long)offs[i]);

		/* Store through the mapping, then pread. */
		mdma_pattern(a, len, 200 + i);
		memcpy(m->map + offs[i], a, len);
		ASSERT_EQ(0, vfio_region_read(&m->dev, &m->bar2, offs[i], b,
					      len)) TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(-1, mdma_cmp(a, b, len))
			TH_LOG("store at 0x%llx not seen by pread",
			       (unsigned long long)offs[i]);
	}

	/* A second, partial mapping at an offset sees the same memory. */
	{
		uint8_t *p;

		ASSERT_EQ(0, vfio_region_mmap(&m->dev, &m->bar2, 2 * 4096,
					      4096, PROT_READ, (void **)&p))
			TH_LOG("%s", vfio_errmsg());
		EXPECT_EQ(-1, mdma_cmp(p, m->map + 2 * 4096, 4096));
		munmap(p, 4096);
	}
	free(a);
	free(b);
}

TEST_F(mdma, bar2_bad_access)
{
	struct mdma *m = &self->m;
	uint64_t end = m->mem_size;
	uint8_t buf[8] = { 0 };
	static const int lens[] = { 1, 4, 8 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		errno = 0;
		EXPECT_EQ(-1, dev_pread(m, &m->bar2, end, buf, lens[i]));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, dev_pwrite(m, &m->bar2, end, buf, lens[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	/* Straddling the end. */
	errno = 0;
	EXPECT_EQ(-1, dev_pread(m, &m->bar2, end - 2, buf, 4));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, dev_pwrite(m, &m->bar2, end - 2, buf, 4));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mdma, region_size0_access)
{
	static const unsigned int idx[] = {
		VFIO_PCI_BAR1_REGION_INDEX, VFIO_PCI_BAR3_REGION_INDEX,
		VFIO_PCI_BAR4_REGION_INDEX, VFIO_PCI_BAR5_REGION_INDEX,
		VFIO_PCI_ROM_REGION_INDEX, VFIO_PCI_VGA_REGION_INDEX,
	};
	struct mdma *m = &self->m;
	struct vfio_region r;
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		ASSERT_EQ(0, vfio_region_get(&m->dev, idx[i], &r));
		errno = 0;
		EXPECT_EQ(-1, pread(m->dev.fd, &v, 4, r.offset))
			TH_LOG("region %u", idx[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("region %u", idx[i]);
		errno = 0;
		EXPECT_EQ(-1, pwrite(m->dev.fd, &v, 4, r.offset))
			TH_LOG("region %u", idx[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("region %u", idx[i]);
	}
}

/*
 * Try a mapping that should be refused; one that is made anyway is undone
 * at once, since a mapping keeps the device open.
 */
static int mmap_refused(struct mdma *m, const struct vfio_region *r,
			uint64_t off, size_t len, int prot)
{
	void *p;
	int ret;

	ret = vfio_region_mmap(&m->dev, r, off, len, prot, &p);
	if (!ret)
		munmap(p, len);
	return ret;
}

TEST_F(mdma, mmap_bad)
{
	struct mdma *m = &self->m;
	struct vfio_region r;
	void *p;

	/* Trapped regions cannot be mapped. */
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->bar0, 0, PAGE,
					PROT_READ | PROT_WRITE));
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->bar0, 0, PAGE, PROT_READ));
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->cfg, 0, PAGE, PROT_READ));
	ASSERT_EQ(0, vfio_region_get(&m->dev, VFIO_PCI_ROM_REGION_INDEX, &r));
	EXPECT_EQ(-EINVAL, mmap_refused(m, &r, 0, PAGE, PROT_READ));

	/* Past or across the end of BAR2. */
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->bar2, m->mem_size, PAGE,
					PROT_READ));
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->bar2, 0, m->mem_size + PAGE,
					PROT_READ));
	EXPECT_EQ(-EINVAL, mmap_refused(m, &m->bar2, m->mem_size - PAGE,
					2 * PAGE, PROT_READ));

	/* The whole of BAR2 and its last page are fine. */
	ASSERT_EQ(0, vfio_region_mmap(&m->dev, &m->bar2, 0, m->mem_size,
				      PROT_READ | PROT_WRITE, &p))
		TH_LOG("%s", vfio_errmsg());
	munmap(p, m->mem_size);
	ASSERT_EQ(0, vfio_region_mmap(&m->dev, &m->bar2, m->mem_size - PAGE,
				      PAGE, PROT_READ, &p))
		TH_LOG("%s", vfio_errmsg());
	munmap(p, PAGE);
}

TEST_F(mdma, unknown_ioctl)
{
	int fd = self->m.dev.fd;
	char buf[64] = { 0 };

	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 60)));
	EXPECT_ERRNO(ENOTTY, ioctl(fd, _IOWR('x', 1, char[64]), buf));
	/* A container ioctl sent to the device. */
	EXPECT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_GET_INFO, buf));
	/* The device still answers. */
	EXPECT_EQ(MDMA_ID, mdma_reg(&self->m, MDMA_REG_ID));
}

TEST_F(mdma, bad_argsz)
{
	int fd = self->m.dev.fd;
	struct vfio_device_info di = { .argsz = 4 };
	struct vfio_region_info ri = { .argsz = 8, .index = 0 };
	struct vfio_irq_info ii = { .argsz = 4, .index = 0 };
	struct vfio_irq_set is = {
		.argsz = 8,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	struct vfio_irq_set is2 = {
		.argsz = sizeof(is2),	/* no room for the eventfd */
		.flags = VFIO_IRQ_SET_DATA_EVENTFD |
			 VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
		.count = 1,
	};

	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_DEVICE_SET_IRQS, &is));
	EXPECT_ERRNO(EINVAL, ioctl(fd, VFIO_DEVICE_SET_IRQS, &is2));
}

TEST_HARNESS_MAIN
