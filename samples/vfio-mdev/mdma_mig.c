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

static int mdma_config_save(struct vfio_device *vdev, void *buf, size_t len)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct mdma_saved_config *c = buf;

	if (len < sizeof(*c))
		return -ENOSPC;
	mutex_lock(&s->lock);
	if (WARN_ON_ONCE(s->running)) {
		mutex_unlock(&s->lock);
		return -EBUSY;
	}
	mdma_saved_encode(c, &s->regs, s->intx_masked, s->config, s->queue,
			  s->queue_head, s->queue_count);
	mutex_unlock(&s->lock);
	return sizeof(*c);
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
	struct mdma_saved_dev dev = {
		.config = s->config,
		.config_wmask = s->config_wmask,
	};
	struct mdma_saved_config *c;
	int ret;

	if (len != sizeof(*c))
		return -EINVAL;
	c = kmemdup(buf, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	mutex_lock(&s->lock);
	ret = mdma_saved_check(c, &dev);
	if (ret)
		goto out;
	mdma_dma_abort_locked(s);
	/* Nothing runs here: the device is stopped while it resumes. */
	mdma_saved_decode(c, &s->regs, &s->intx_masked, s->config, s->queue,
			  &s->queue_count);
	s->queue_head = 0;
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
