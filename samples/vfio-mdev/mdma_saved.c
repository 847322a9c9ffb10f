// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the CONFIG section of its migration stream (see mdma_saved.h).
 */
#include "mdma_saved.h"

/* The register file in a fixed order, for saving and loading. */
static u32 *mdma_reg_slot(struct mdma_regs *r, unsigned int i)
{
	u32 *slots[] = {
		&r->ctrl, &r->status, &r->irq_status, &r->irq_mask,
		&r->dma_src_lo, &r->dma_src_hi, &r->dma_dst_lo,
		&r->dma_dst_hi, &r->dma_len, &r->dma_cmd, &r->dma_pattern,
		&r->dma_completed, &r->dma_error, &r->scratch,
	};

	BUILD_BUG_ON(ARRAY_SIZE(slots) != MDMA_SAVED_NR_REGS);
	return slots[i];
}

/**
 * mdma_dma_guest_iova() - the guest side of a descriptor
 * @cmd: its command
 * @src: its source
 * @dst: its destination
 * @iova: the guest IOVA it reads or writes
 *
 * Return: false if command @cmd has no guest side.
 */
bool mdma_dma_guest_iova(u32 cmd, u64 src, u64 dst, u64 *iova)
{
	switch (cmd) {
	case MDMA_CMD_DEV_TO_GUEST:
	case MDMA_CMD_FILL_GUEST:
		*iova = dst;
		return true;
	case MDMA_CMD_GUEST_TO_DEV:
		*iova = src;
		return true;
	default:
		return false;
	}
}

/**
 * mdma_saved_encode() - write the CONFIG section
 * @c: the section
 * @r: the register file
 * @intx_masked: INTx is masked
 * @config: the config space
 * @ring: the descriptor queue, a ring of MDMA_DMA_QUEUE_DEPTH
 * @head: the ring's first used slot
 * @count: used slots, at most MDMA_DMA_QUEUE_DEPTH
 *
 * Every byte of @c is written; unused queue slots are zero.
 */
void mdma_saved_encode(struct mdma_saved_config *c, const struct mdma_regs *r,
		       bool intx_masked, const u8 *config,
		       const struct mdma_desc *ring, unsigned int head,
		       unsigned int count)
{
	struct mdma_regs regs = *r;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->version = cpu_to_le32(MDMA_SAVED_VERSION);
	for (i = 0; i < MDMA_SAVED_NR_REGS; i++)
		c->regs[i] = cpu_to_le32(*mdma_reg_slot(&regs, i));
	c->intx_masked = cpu_to_le32(intx_masked);
	memcpy(c->config, config, MDMA_CONFIG_SIZE);
	c->queue_count = cpu_to_le32(count);
	for (i = 0; i < count && i < MDMA_DMA_QUEUE_DEPTH; i++) {
		const struct mdma_desc *d =
			&ring[(head + i) % MDMA_DMA_QUEUE_DEPTH];

		c->queue[i].src = cpu_to_le64(d->src);
		c->queue[i].dst = cpu_to_le64(d->dst);
		c->queue[i].len = cpu_to_le32(d->len);
		c->queue[i].cmd = cpu_to_le32(d->cmd);
		c->queue[i].pattern = cpu_to_le32(d->pattern);
		c->queue[i].progress = cpu_to_le32(d->progress);
		c->queue[i].aborted = cpu_to_le32(d->aborted);
	}
}

/*
 * A queued descriptor holds whatever DOORBELL copied from the registers,
 * so an undefined command or length may wait in the queue: the engine
 * refuses it when it gets there. Progress is made only by the engine: a
 * descriptor that made some is one it could run, parked between two
 * chunks, so it stopped short of its end, and its guest side stopped on
 * a page boundary.
 */
static int mdma_saved_desc_check(const struct mdma_saved_desc *d)
{
	u32 len = le32_to_cpu(d->len), progress = le32_to_cpu(d->progress);
	u64 iova;

	if (le32_to_cpu(d->aborted) > 1 || d->reserved)
		return -EINVAL;
	if (!progress)
		return 0;
	if (!mdma_dma_guest_iova(le32_to_cpu(d->cmd), le64_to_cpu(d->src),
				 le64_to_cpu(d->dst), &iova) ||
	    len > MDMA_DMA_MAX_LEN || progress >= len ||
	    !PAGE_ALIGNED(iova + progress))
		return -EINVAL;
	return 0;
}

/*
 * The register image: only bits and values the device can hold. CTRL
 * holds ENABLE alone (RESET clears itself), STATUS says what CTRL and
 * DMA_ERROR say (BUSY is dropped on load), the interrupt registers hold
 * MDMA_IRQ_ALL bits and DMA_ERROR one MDMA_ERR_* code. The descriptor
 * registers, DMA_COMPLETED and SCRATCH take any value.
 */
static int mdma_saved_regs_check(const struct mdma_regs *r)
{
	bool enabled = r->ctrl & MDMA_CTRL_ENABLE;
	bool error = r->dma_error != MDMA_ERR_NONE;

	if (r->ctrl & ~MDMA_CTRL_ENABLE ||
	    r->status & ~(MDMA_STATUS_ENABLED | MDMA_STATUS_BUSY |
			  MDMA_STATUS_ERROR) ||
	    !(r->status & MDMA_STATUS_ENABLED) != !enabled ||
	    !(r->status & MDMA_STATUS_ERROR) != !error ||
	    r->irq_status & ~MDMA_IRQ_ALL || r->irq_mask & ~MDMA_IRQ_ALL ||
	    r->dma_error > MDMA_ERR_QUEUE_FULL)
		return -EINVAL;
	return 0;
}

/**
 * mdma_saved_check() - may this CONFIG section be loaded into @dev?
 * @c: the section, in memory no one else can write
 * @dev: the device it would be loaded into
 *
 * Everything is checked before anything is applied: the header, the
 * register image, the interrupt masking, the read-only config bits and
 * every queue slot, used or not.
 *
 * Return: 0, or -EINVAL.
 */
int mdma_saved_check(const struct mdma_saved_config *c,
		     const struct mdma_saved_dev *dev)
{
	unsigned int i, n = le32_to_cpu(c->queue_count);
	struct mdma_regs r;

	if (le32_to_cpu(c->version) != MDMA_SAVED_VERSION ||
	    n > MDMA_DMA_QUEUE_DEPTH || c->reserved ||
	    le32_to_cpu(c->intx_masked) > 1)
		return -EINVAL;
	for (i = 0; i < MDMA_SAVED_NR_REGS; i++)
		*mdma_reg_slot(&r, i) = le32_to_cpu(c->regs[i]);
	if (mdma_saved_regs_check(&r))
		return -EINVAL;
	/* Read-only config bits must be those of this device. */
	for (i = 0; i < MDMA_CONFIG_SIZE; i++)
		if ((c->config[i] ^ dev->config[i]) & ~dev->config_wmask[i])
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (mdma_saved_desc_check(&c->queue[i]))
			return -EINVAL;
	for (; i < MDMA_DMA_QUEUE_DEPTH; i++)
		if (memchr_inv(&c->queue[i], 0, sizeof(c->queue[i])))
			return -EINVAL;
	return 0;
}

/**
 * mdma_saved_decode() - the device state of a checked CONFIG section
 * @c: a section mdma_saved_check() accepted
 * @r: the register file; STATUS without BUSY, since nothing runs yet
 * @intx_masked: INTx is masked
 * @config: the config space
 * @queue: the descriptor queue, from slot 0
 * @count: used slots
 */
void mdma_saved_decode(const struct mdma_saved_config *c, struct mdma_regs *r,
		       bool *intx_masked, u8 *config, struct mdma_desc *queue,
		       unsigned int *count)
{
	unsigned int i;

	for (i = 0; i < MDMA_SAVED_NR_REGS; i++)
		*mdma_reg_slot(r, i) = le32_to_cpu(c->regs[i]);
	r->status &= ~MDMA_STATUS_BUSY;
	*intx_masked = le32_to_cpu(c->intx_masked);
	memcpy(config, c->config, MDMA_CONFIG_SIZE);
	*count = le32_to_cpu(c->queue_count);
	for (i = 0; i < *count; i++) {
		struct mdma_desc *d = &queue[i];

		d->src = le64_to_cpu(c->queue[i].src);
		d->dst = le64_to_cpu(c->queue[i].dst);
		d->len = le32_to_cpu(c->queue[i].len);
		d->cmd = le32_to_cpu(c->queue[i].cmd);
		d->pattern = le32_to_cpu(c->queue[i].pattern);
		d->progress = le32_to_cpu(c->queue[i].progress);
		d->aborted = le32_to_cpu(c->queue[i].aborted);
	}
}
