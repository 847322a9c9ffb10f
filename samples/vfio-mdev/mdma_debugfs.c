// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: debugfs, <debugfs>/mdma/<mdev uuid>/state.
 *
 * One "key=value" line per item, in this order: type, mem_size,
 * mem_crc32, regs_crc32, queue_crc32, ctrl, status, irq_status, irq_mask,
 * intx_masked, dma_completed, dma_queued, dma_error, pinned_pages.
 *
 * The checksums are crc32_le(~0, data) ^ ~0. mem_crc32 covers the whole
 * device memory. regs_crc32 covers the 20 BAR0 registers at 0x00..0x4c,
 * each as a guest reads it, stored as little-endian u32 in offset order,
 * followed by the 256 bytes of config space. queue_crc32 covers the
 * queued descriptors, head first, each as the CONFIG section carries it
 * (struct mdma_saved_desc: addresses, length, command, pattern, progress
 * and the aborted flag).
 */
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "mdma.h"

#define MDMA_NR_REGS	(MDMA_REG_SCRATCH / 4 + 1)

static struct dentry *mdma_debugfs_root;

struct mdma_snapshot {
	__le32 regs[MDMA_NR_REGS];
	u8 config[MDMA_CONFIG_SIZE];
};

struct mdma_queue_snapshot {
	struct mdma_saved_config c;
	bool intx_masked;
	unsigned int count;
};

static u32 mdma_snap_reg(const struct mdma_snapshot *snap, unsigned int reg)
{
	return le32_to_cpu(snap->regs[reg / 4]);
}

static int mdma_state_show(struct seq_file *m, void *unused)
{
	struct mdma_state *s = m->private;
	struct mdma_queue_snapshot *q;
	struct mdma_snapshot *snap;
	u32 mem_crc, regs_crc, queue_crc;
	unsigned int i;

	snap = kmalloc(sizeof(*snap), GFP_KERNEL);
	q = kmalloc(sizeof(*q), GFP_KERNEL);
	if (!snap || !q) {
		kfree(snap);
		kfree(q);
		return -ENOMEM;
	}

	mutex_lock(&s->lock);
	for (i = 0; i < MDMA_NR_REGS; i++)
		snap->regs[i] = cpu_to_le32(mdma_regs_read(s, i * 4));
	memcpy(snap->config, s->config, MDMA_CONFIG_SIZE);
	mdma_saved_encode(&q->c, &s->regs, s->intx_masked, s->config,
			  s->queue, s->queue_head, s->queue_count);
	q->intx_masked = s->intx_masked;
	q->count = s->queue_count;
	mutex_unlock(&s->lock);

	regs_crc = crc32_le(~0U, (u8 *)snap, sizeof(*snap)) ^ ~0U;
	queue_crc = crc32_le(~0U, (u8 *)q->c.queue,
			     q->count * sizeof(q->c.queue[0])) ^ ~0U;
	mem_crc = crc32_le(~0U, s->mem, s->mem_size) ^ ~0U;

	seq_printf(m, "type=%s\n", s->type->type.pretty_name);
	seq_printf(m, "mem_size=%llu\n", s->mem_size);
	seq_printf(m, "mem_crc32=%08x\n", mem_crc);
	seq_printf(m, "regs_crc32=%08x\n", regs_crc);
	seq_printf(m, "queue_crc32=%08x\n", queue_crc);
	seq_printf(m, "ctrl=0x%08x\n", mdma_snap_reg(snap, MDMA_REG_CTRL));
	seq_printf(m, "status=0x%08x\n", mdma_snap_reg(snap, MDMA_REG_STATUS));
	seq_printf(m, "irq_status=0x%08x\n",
		   mdma_snap_reg(snap, MDMA_REG_IRQ_STATUS));
	seq_printf(m, "irq_mask=0x%08x\n",
		   mdma_snap_reg(snap, MDMA_REG_IRQ_MASK));
	seq_printf(m, "intx_masked=%u\n", q->intx_masked);
	seq_printf(m, "dma_completed=%u\n",
		   mdma_snap_reg(snap, MDMA_REG_DMA_COMPLETED));
	seq_printf(m, "dma_queued=%u\n",
		   mdma_snap_reg(snap, MDMA_REG_DMA_QUEUED));
	seq_printf(m, "dma_error=%u\n", mdma_snap_reg(snap, MDMA_REG_DMA_ERROR));
	seq_printf(m, "pinned_pages=%ld\n", atomic_long_read(&s->pinned_pages));

	kfree(snap);
	kfree(q);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdma_state);

void mdma_debugfs_init(void)
{
	mdma_debugfs_root = debugfs_create_dir(MDMA_NAME, NULL);
}

void mdma_debugfs_exit(void)
{
	debugfs_remove_recursive(mdma_debugfs_root);
}

void mdma_debugfs_add(struct mdma_state *s)
{
	s->debugfs = debugfs_create_dir(dev_name(mdev_dev(s->mdev)),
					mdma_debugfs_root);
	debugfs_create_file("state", 0400, s->debugfs, s, &mdma_state_fops);
	mdma_workload_debugfs(s, s->debugfs);
}

void mdma_debugfs_remove(struct mdma_state *s)
{
	debugfs_remove_recursive(s->debugfs);
	s->debugfs = NULL;
}
