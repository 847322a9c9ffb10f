// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: instances side by side, created and removed in a loop, sysfs
 * input checks and the debugfs state file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "mdma_util.h"
#include "mdma_fixture.h"

#define IOVA_BASE	0x40000000ULL
#define IOVA_ONLY_B	0x90000000ULL
#define LEN		((1 << 20) + 3)

FIXTURE(life) {
	struct mdma a;
	struct mdma b;
	struct vfio_dma_buf abuf;
	struct vfio_dma_buf bbuf;
	struct vfio_dma_buf bonly;
};

MDMA_FIXTURE_VARIANTS(life);

FIXTURE_SETUP(life)
{
	const char *why = mdma_unavailable(variant->type);

	mdma_init(&self->a);
	mdma_init(&self->b);
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(life)
{
	mdma_destroy(&self->a);
	mdma_destroy(&self->b);
	/* The containers are closed by now, which unmapped the IOVAs. */
	vfio_dma_free(NULL, &self->abuf);
	vfio_dma_free(NULL, &self->bbuf);
	vfio_dma_free(NULL, &self->bonly);
}

static int start_dev_to_guest(struct mdma *m, uint64_t iova)
{
	int ret;

	ret = vfio_pci_config_write(&m->dev, PCI_COMMAND, 2,
				    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ret = ret ?: mdma_wr(m, MDMA_REG_CTRL, 0);
	ret = ret ?: mdma_wr(m, MDMA_REG_IRQ_STATUS, MDMA_IRQ_ALL);
	ret = ret ?: mdma_submit(m, MDMA_CMD_DEV_TO_GUEST, 5, iova, LEN, 0);
	return ret;
}

TEST_F(life, two_instances)
{
	struct mdma *a = &self->a, *b = &self->b;
	uint32_t err;

	ASSERT_EQ(0, mdma_create(a, variant->type)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_create(b, variant->type)) TH_LOG("%s", vfio_errmsg());
	ASSERT_STRNE(a->uuid, b->uuid);
	ASSERT_EQ(0, mdma_map_bar2(a)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_map_bar2(b)) TH_LOG("%s", vfio_errmsg());

	/* Same IOVA in two containers: two different pieces of memory. */
	ASSERT_EQ(0, vfio_dma_alloc(&a->container, IOVA_BASE, 2 << 20,
				    &self->abuf)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, vfio_dma_alloc(&b->container, IOVA_BASE, 2 << 20,
				    &self->bbuf)) TH_LOG("%s", vfio_errmsg());

	mdma_pattern(a->map, a->mem_size, 11);
	mdma_pattern(b->map, b->mem_size, 22);
	EXPECT_NE(-1, mdma_cmp(a->map, b->map, 4096));

	/* Both engines at work at the same time. */
	ASSERT_EQ(0, start_dev_to_guest(a, IOVA_BASE));
	ASSERT_EQ(0, start_dev_to_guest(b, IOVA_BASE));
	ASSERT_EQ(0, mdma_wr(a, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(b, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wait(a, MDMA_IRQ_ALL, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_wait(b, MDMA_IRQ_ALL, MDMA_TIMEOUT_MS))
		TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(MDMA_ERR_NONE, mdma_reg(a, MDMA_REG_DMA_ERROR));
	EXPECT_EQ(MDMA_ERR_NONE, mdma_reg(b, MDMA_REG_DMA_ERROR));
	EXPECT_EQ(-1, mdma_cmp(self->abuf.vaddr, a->map + 5, LEN))
		TH_LOG("instance A's buffer does not hold A's memory");
	EXPECT_EQ(-1, mdma_cmp(self->bbuf.vaddr, b->map + 5, LEN))
		TH_LOG("instance B's buffer does not hold B's memory");

	/* Registers and memory are per instance. */
	ASSERT_EQ(0, mdma_wr(a, MDMA_REG_SCRATCH, 0xaaaa5555));
	ASSERT_EQ(0, mdma_wr(b, MDMA_REG_SCRATCH, 0x5555aaaa));
	EXPECT_EQ(0xaaaa5555, mdma_reg(a, MDMA_REG_SCRATCH));
	EXPECT_EQ(0x5555aaaa, mdma_reg(b, MDMA_REG_SCRATCH));
	memset(a->map, 0x11, 4096);
	EXPECT_NE(0x11, b->map[0]);
	EXPECT_NE(0x11, b->map[4095]);

	/* A cannot reach what only B's container maps. */
	ASSERT_EQ(0, vfio_dma_alloc(&b->container, IOVA_ONLY_B, 4096,
				    &self->bonly)) TH_LOG("%s", vfio_errmsg());
	ASSERT_EQ(0, mdma_run(a, MDMA_CMD_FILL_GUEST, 0, IOVA_ONLY_B, 4096,
			      0xffffffff, &err));
	EXPECT_EQ(MDMA_ERR_BAD_IOVA, err);
	EXPECT_EQ(-1, mdma_check_byte(self->bonly.vaddr, 4096, 0));

	/* Resetting A leaves B alone. */
	ASSERT_EQ(0, vfio_dev_reset(&a->dev)) TH_LOG("%s", vfio_errmsg());
	EXPECT_EQ(0, mdma_reg(a, MDMA_REG_SCRATCH));
	EXPECT_EQ(0x5555aaaa, mdma_reg(b, MDMA_REG_SCRATCH));
	EXPECT_EQ(1, mdma_reg(b, MDMA_REG_DMA_COMPLETED));
}

TEST_F_TIMEOUT(life, create_remove_loop, 120)
{
	int avail = vfio_mdev_available(MDMA_PARENT, variant->type);
	char uuid[37];
	int i;

	ASSERT_LE(1, avail) TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, mdma_create(&self->a, variant->type))
			TH_LOG("iteration %d: %s", i, vfio_errmsg());
		memcpy(uuid, self->a.uuid, sizeof(uuid));
		ASSERT_TRUE(vfio_mdev_exists(uuid));
		ASSERT_EQ(MDMA_ID, mdma_reg(&self->a, MDMA_REG_ID))
			TH_LOG("iteration %d", i);
		ASSERT_EQ(0, mdma_wr(&self->a, MDMA_REG_SCRATCH, i));
		/* A new instance starts from power-on state. */
		ASSERT_EQ(0, mdma_map_bar2(&self->a));
		ASSERT_EQ(-1, mdma_check_byte(self->a.map, 1 << 20, 0))
			TH_LOG("iteration %d: device memory not zeroed", i);
		memset(self->a.map, 0xff, 1 << 20);
		if (i < avail)
			ASSERT_EQ(avail - 1, vfio_mdev_available(MDMA_PARENT,
								 variant->type));
		mdma_destroy(&self->a);
		ASSERT_FALSE(vfio_mdev_exists(uuid))
			TH_LOG("iteration %d: %s still there", i, uuid);
		ASSERT_EQ(avail, vfio_mdev_available(MDMA_PARENT,
						     variant->type));
	}
}

TEST_F(life, sysfs_bad_input)
{
	char uuid[37];

	ASSERT_EQ(0, mdma_create(&self->a, variant->type))
		TH_LOG("%s", vfio_errmsg());
	/* The same UUID twice. */
	EXPECT_EQ(-EEXIST, vfio_mdev_create(MDMA_PARENT, variant->type,
					    self->a.uuid));
	/* Not a UUID. */
	EXPECT_EQ(-EINVAL, vfio_mdev_create(MDMA_PARENT, variant->type,
					    "not-a-uuid"));
	EXPECT_EQ(-EINVAL, vfio_mdev_create(MDMA_PARENT, variant->type,
					    "12345678-1234-1234-1234-12345678901"));
	/* A device that does not exist cannot be opened or removed. */
	ASSERT_EQ(0, vfio_mdev_uuid_generate(uuid));
	EXPECT_EQ(-ENOENT, vfio_mdev_group(uuid));
	EXPECT_EQ(-ENOENT, vfio_mdev_remove(uuid));
	/* The first instance is still fine. */
	EXPECT_EQ(MDMA_ID, mdma_reg(&self->a, MDMA_REG_ID));
}

TEST_F(life, debugfs_state)
{
	static const char * const keys[] = {
		"type", "mem_size", "mem_crc32", "regs_crc32", "queue_crc32",
		"ctrl", "status", "irq_status", "irq_mask", "intx_masked",
		"dma_completed", "dma_queued", "dma_error", "pinned_pages",
	};
	struct mdma *m = &self->a;
	char s[128], crc0[32], rcrc0[32];
	uint64_t v;
	unsigned int i;

	ASSERT_EQ(0, mdma_create(m, variant->type)) TH_LOG("%s", vfio_errmsg());
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		EXPECT_EQ(0, mdma_debugfs_str(m, keys[i], s, sizeof(s)))
			TH_LOG("%s", vfio_errmsg());

	ASSERT_EQ(0, mdma_debugfs_str(m, "type", s, sizeof(s)));
	EXPECT_STREQ(variant->type, s);
	ASSERT_EQ(0, mdma_debugfs(m, "mem_size", &v));
	EXPECT_EQ(m->mem_size, v);
	ASSERT_EQ(0, mdma_debugfs(m, "pinned_pages", &v));
	EXPECT_EQ(0, v);

	/* The state file follows the device. */
	ASSERT_EQ(0, mdma_debugfs_str(m, "mem_crc32", crc0, sizeof(crc0)));
	ASSERT_EQ(0, mdma_debugfs_str(m, "regs_crc32", rcrc0, sizeof(rcrc0)));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ERROR));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE));
	ASSERT_EQ(0, mdma_wr(m, MDMA_REG_SCRATCH, 0x12345678));
	ASSERT_EQ(0, mdma_debugfs(m, "irq_mask", &v));
	EXPECT_EQ(MDMA_IRQ_ERROR, v);
	ASSERT_EQ(0, mdma_debugfs(m, "ctrl", &v));
	EXPECT_EQ(MDMA_CTRL_ENABLE, v);
	ASSERT_EQ(0, mdma_debugfs_str(m, "regs_crc32", s, sizeof(s)));
	EXPECT_STRNE(rcrc0, s);
	ASSERT_EQ(0, mdma_debugfs_str(m, "mem_crc32", s, sizeof(s)));
	EXPECT_STREQ(crc0, s);
	ASSERT_EQ(0, vfio_region_write(&m->dev, &m->bar2, 12345, "x", 1));
	ASSERT_EQ(0, mdma_debugfs_str(m, "mem_crc32", s, sizeof(s)));
	EXPECT_STRNE(crc0, s);
	ASSERT_EQ(0, vfio_region_write(&m->dev, &m->bar2, 12345, "\0", 1));
	ASSERT_EQ(0, mdma_debugfs_str(m, "mem_crc32", s, sizeof(s)));
	EXPECT_STREQ(crc0, s);
}

TEST_HARNESS_MAIN
