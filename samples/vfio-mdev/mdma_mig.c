// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: live migration through vfio_mig.
 *
 * The device's state is two sections:
 *
 *   MDMA_SEC_CONFIG  (ONCE)       registers, config space, interrupt
 *                                 masking and the descriptor queue,
 *                                 parked descriptors with their progress
 *   MDMA_SEC_MEMORY  (ITERATIVE)  device memory, BAR2
 *
 * Stopping the device parks the DMA engine between two chunks; a parked
 * descriptor goes back to the head of the queue with its progress, is
 * saved with it and runs on, from there, wherever the device next runs.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio_mig.h>

#include "mdma.h"

#define MDMA_SEC_CONFIG		1
#define MDMA_SEC_MEMORY		2
#define MDMA_SAVED_VERSION	1

struct mdma_saved_desc {
	__le64 src;
	__le64 dst;
	__le32 len;
	__le32 cmd;
	__le32 pattern;
	__le32 progress;
	__le32 aborted;
	__le32 reserved;
};

/* The CONFIG section as it travels: little endian, fixed size. */
struct mdma_saved_config {
	__le32 version;
	__le32 queue_count;
	__le32 regs[14];
	__le32 intx_masked;
	__le32 reserved;
	u8 config[MDMA_CONFIG_SIZE];
	struct mdma_saved_desc queue[MDMA_DMA_QUEUE_DEPTH];
};

/* The register file in a fixed order, for saving and loading. */
static u32 *mdma_reg_slot(struct mdma_regs *r, unsigned int i)
{
	u32 *slots[] = {
		&r->ctrl, &r->status, &r->irq_status, &r->irq_mask,
		&r->dma_src_lo, &r->dma_src_hi, &r->dma_dst_lo,
		&r->dma_dst_hi, &r->dma_len, &r->dma_cmd, &r->dma_pattern,
		&r->dma_completed, &r->dma_error, &r->scratch,
	};

	BUILD_BUG_ON(ARRAY_SIZE(slots) !=
		     ARRAY_SIZE(((struct mdma_saved_config *)0)->regs));
	return slots[i];
}

static int mdma_config_save(struct vfio_device *vdev, void *buf, size_t len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct mdma_saved_config *c = buf;
	unsigned int i;

	if (len < sizeof(*c))
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	mutex_lock(&s->lock);
	if (WARN_ON_ONCE(s->running)) {
		mutex_unlock(&s->lock);
		return -EBUSY;
	}
	c->version = cpu_to_le32(MDMA_SAVED_VERSION);
	for (i = 0; i < ARRAY_SIZE(c->regs); i++)
		c->regs[i] = cpu_to_le32(*mdma_reg_slot(&s->regs, i));
	c->intx_masked = cpu_to_le32(s->intx_masked);
	memcpy(c->config, s->config, MDMA_CONFIG_SIZE);
	c->queue_count = cpu_to_le32(s->queue_count);
	for (i = 0; i < s->queue_count; i++) {
		const struct mdma_desc *d =
			&s->queue[(s->queue_head + i) % MDMA_DMA_QUEUE_DEPTH];

		c->queue[i].src = cpu_to_le64(d->src);
		c->queue[i].dst = cpu_to_le64(d->dst);
		c->queue[i].len = cpu_to_le32(d->len);
		c->queue[i].cmd = cpu_to_le32(d->cmd);
		c->queue[i].pattern = cpu_to_le32(d->pattern);
		c->queue[i].progress = cpu_to_le32(d->progress);
		c->queue[i].aborted = cpu_to_le32(d->aborted);
	}
	mutex_unlock(&s->lock);
	return sizeof(*c);
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

/*
 * Everything is checked before anything is applied: the header, the
 * register image, the interrupt masking, the read-only config bits and
 * every queue slot, used or not.
 */
static int mdma_config_check(struct mdma_state *s,
			     const struct mdma_saved_config *c)
{
	unsigned int i, n = le32_to_cpu(c->queue_count);
	struct mdma_regs r;

	if (le32_to_cpu(c->version) != MDMA_SAVED_VERSION ||
	    n > MDMA_DMA_QUEUE_DEPTH || c->reserved ||
	    le32_to_cpu(c->intx_masked) > 1)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(c->regs); i++)
		*mdma_reg_slot(&r, i) = le32_to_cpu(c->regs[i]);
	if (mdma_saved_regs_check(&r))
		return -EINVAL;
	/* Read-only config bits must be those of this device. */
	for (i = 0; i < MDMA_CONFIG_SIZE; i++)
		if ((c->config[i] ^ s->config[i]) & ~s->config_wmask[i])
			return -EINVAL;
	for (i = 0; i < n; i++)
		if (mdma_saved_desc_check(&c->queue[i]))
			return -EINVAL;
	for (; i < MDMA_DMA_QUEUE_DEPTH; i++)
		if (memchr_inv(&c->queue[i], 0, sizeof(c->queue[i])))
			return -EINVAL;
	return 0;
}

/*
 * @buf may be memory the user can write while this runs (the v1 data
 * window is mmappable), so the blob is copied into kernel memory first,
 * and only the copy is checked and applied.
 */
static int mdma_config_load(struct vfio_device *vdev, const void *buf,
			    size_t len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct mdma_saved_config *c;
	unsigned int i;
	int ret;

	if (len != sizeof(*c))
		return -EINVAL;
	c = kmemdup(buf, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	mutex_lock(&s->lock);
	ret = mdma_config_check(s, c);
	if (ret)
		goto out;
	mdma_dma_abort_locked(s);
	for (i = 0; i < ARRAY_SIZE(c->regs); i++)
		*mdma_reg_slot(&s->regs, i) = le32_to_cpu(c->regs[i]);
	s->intx_masked = le32_to_cpu(c->intx_masked);
	memcpy(s->config, c->config, MDMA_CONFIG_SIZE);
	s->queue_head = 0;
	s->queue_count = le32_to_cpu(c->queue_count);
	for (i = 0; i < s->queue_count; i++) {
		struct mdma_desc *d = &s->queue[i];

		d->src = le64_to_cpu(c->queue[i].src);
		d->dst = le64_to_cpu(c->queue[i].dst);
		d->len = le32_to_cpu(c->queue[i].len);
		d->cmd = le32_to_cpu(c->queue[i].cmd);
		d->pattern = le32_to_cpu(c->queue[i].pattern);
		d->progress = le32_to_cpu(c->queue[i].progress);
		d->aborted = le32_to_cpu(c->queue[i].aborted);
	}
	/* Nothing runs here: the device is stopped while it resumes. */
	s->regs.status &= ~MDMA_STATUS_BUSY;
out:
	mutex_unlock(&s->lock);
	kfree(c);
	return ret;
}

static int mdma_memory_read(struct vfio_device *vdev, u64 off, void *buf,
			    size_t len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	memcpy(buf, s->mem + off, len);
	return 0;
}

static int mdma_memory_write(struct vfio_device *vdev, u64 off,
			     const void *buf, size_t len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	memcpy(s->mem + off, buf, len);
	return 0;
}

static int mdma_set_run_level(struct vfio_device *vdev,
			      enum vfio_mig_run_level level)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	mutex_lock(&s->lock);
	s->run_level = level;
	if (level == VFIO_MIG_RUNNING) {
		mdma_dma_kick(s);
		mdma_irq_update(s);
	}
	mutex_unlock(&s->lock);
	/*
	 * The engine parks at its next chunk. That chunk may be waiting in
	 * vfio_pin_pages() on the VMM's memory, which may never come: this
	 * wait is killable, and a killed caller gets -EINTR (the framework
	 * then reports the error state) instead of hanging with its lock.
	 */
	if (level != VFIO_MIG_RUNNING)
		return mdma_dma_park(s);
	return 0;
}

static int mdma_log_start(struct vfio_device *vdev)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	/* Mappings made writable before now must fault again. */
	WRITE_ONCE(s->logging, true);
	mutex_lock(&s->lock);
	mdma_mem_zap_locked(s);
	mutex_unlock(&s->lock);
	return 0;
}

static void mdma_log_stop(struct vfio_device *vdev)
{
	WRITE_ONCE(vdev_to_mdma(vdev)->logging, false);
}

static void mdma_log_protect(struct vfio_device *vdev, u32 id, u64 off,
			     u64 len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	mutex_lock(&s->lock);
	mdma_mem_zap_range_locked(s, off, len);
	mutex_unlock(&s->lock);
}

static int mdma_mig_reset(struct vfio_device *vdev)
{
	return mdma_device_reset(vdev_to_mdma(vdev));
}

static const struct vfio_mig_ops mdma_mig_ops = {
	.set_run_level = mdma_set_run_level,
	.log_start = mdma_log_start,
	.log_stop = mdma_log_stop,
	.log_protect = mdma_log_protect,
	.reset = mdma_mig_reset,
};

/**
 * mdma_mig_create() - make an instance migratable
 * @s: the instance, with its memory allocated
 *
 * Return: 0 or a negative errno.
 */
int mdma_mig_create(struct mdma_state *s)
{
	struct vfio_mig_config cfg = {
		.device_type = s->type->type.pretty_name,
		.sections = s->sections,
		.nr_sections = ARRAY_SIZE(s->sections),
		.ops = &mdma_mig_ops,
		.region_index = MDMA_MIG_REGION,
		.region_offset = MDMA_INDEX_TO_OFFSET(MDMA_MIG_REGION),
		.ndma = true,
		.out_of_band = s->type->out_of_band,
		.owner = THIS_MODULE,
	};

	BUILD_BUG_ON(sizeof(struct mdma_saved_config) > SZ_64K);
	s->sections[0] = (struct vfio_mig_section) {
		.id = MDMA_SEC_CONFIG,
		.kind = VFIO_MIG_SECTION_ONCE,
		.size = sizeof(struct mdma_saved_config),
		.save = mdma_config_save,
		.load = mdma_config_load,
	};
	s->sections[1] = (struct vfio_mig_section) {
		.id = MDMA_SEC_MEMORY,
		.kind = VFIO_MIG_SECTION_ITERATIVE,
		.size = s->mem_size,
		.read = mdma_memory_read,
		.write = mdma_memory_write,
	};
	s->mig = vfio_mig_create(&s->vdev, &cfg);
	if (IS_ERR(s->mig)) {
		int ret = PTR_ERR(s->mig);

		s->mig = NULL;
		return ret;
	}
	return 0;
}

/**
 * mdma_mig_mark_memory() - report a write to device memory
 * @s: the instance
 * @off: first byte written
 * @len: bytes written
 */
void mdma_mig_mark_memory(struct mdma_state *s, u64 off, u64 len)
{
	vfio_mig_mark_dirty(s->mig, MDMA_SEC_MEMORY, off, len);
}
