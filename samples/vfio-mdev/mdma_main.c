// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: a mediated PCI "DMA accelerator" sample device.
 *
 * Module glue: the "mdma" class and parent device, the mdev types, the
 * memory budget shared by all instances, and the life cycle of one
 * instance (probe/remove, vfio_device init/release, resets).
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "mdma.h"
#include "mdma_compat.h"

static unsigned int mem_budget_mb = 256;
module_param(mem_budget_mb, uint, 0444);
MODULE_PARM_DESC(mem_budget_mb,
		 "device memory in MiB shared by all instances (default 256)");

struct workqueue_struct *mdma_wq;

/* Device memory handed out to instances, against mem_budget_mb. */
static DEFINE_MUTEX(mdma_budget_lock);
static u64 mdma_mem_used;

static struct mdma_type mdma_types[] = {
	{
		.type.sysfs_name = "16m",
		.type.pretty_name = "mdma-16m",
		.mem_size = SZ_16M,
	},
	{
		.type.sysfs_name = "64m",
		.type.pretty_name = "mdma-64m",
		.mem_size = SZ_64M,
	},
	{
		/* Migrates only out of band, through /dev/vfio-mig. */
		.type.sysfs_name = "16m-oob",
		.type.pretty_name = "mdma-16m-oob",
		.mem_size = SZ_16M,
		.out_of_band = true,
	},
};

static struct mdev_type *mdma_mdev_types[] = {
	&mdma_types[0].type,
	&mdma_types[1].type,
	&mdma_types[2].type,
};

struct mdma_parent {
	struct device dev;
	struct mdev_parent parent;
};

static struct class *mdma_class;
static struct mdma_parent *mdma_parent;

static u64 mdma_budget_bytes(void)
{
	return (u64)mem_budget_mb << 20;
}

static int mdma_budget_reserve(u64 size)
{
	int ret = -ENOSPC;

	mutex_lock(&mdma_budget_lock);
	if (size <= mdma_budget_bytes() - mdma_mem_used) {
		mdma_mem_used += size;
		ret = 0;
	}
	mutex_unlock(&mdma_budget_lock);
	return ret;
}

static void mdma_budget_release(u64 size)
{
	mutex_lock(&mdma_budget_lock);
	mdma_mem_used -= size;
	mutex_unlock(&mdma_budget_lock);
}

/*
 * Power-on state of everything but the memory file: registers, config
 * space, queue and interrupt masking; device memory is zeroed and user
 * mappings of it are zapped so that they fault again.
 */
void mdma_power_on_locked(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);

	mdma_dma_abort_locked(s);
	mdma_regs_reset(s);
	mdma_pci_reset(s);
	s->intx_masked = false;
	s->run_level = VFIO_MIG_RUNNING;
	memset(s->mem, 0, s->mem_size);
	mdma_mem_zap_locked(s);
}

/*
 * VFIO_DEVICE_RESET and open: a full power-on reset. Unlike the soft
 * reset of CTRL.RESET it also zeroes device memory, zaps its user
 * mappings and returns the config space (MSI enable, PCI_COMMAND, BARs)
 * to its power-on values. The interrupt eventfds stay as configured. When
 * this returns 0 no descriptor is running, nothing is pinned and the queue
 * is empty; -EINTR if the caller was killed while a chunk in flight waited
 * for user space (the engine is stopped, the rest is not reset).
 */
int mdma_device_reset(struct mdma_state *s)
{
	mdma_workload_reset(s);
	/*
	 * Stop the engine (abort what is queued or running, with ENABLE) and
	 * wait for the chunk in flight, which may still write memory. Any
	 * writer of BAR0 may enable the engine and ring a new descriptor
	 * whenever the lock is dropped, so the power-on happens in the same
	 * locked section that finds no chunk in flight. A work item that
	 * runs later sees the new generation, or an empty queue, and stops.
	 */
	mutex_lock(&s->lock);
	for (;;) {
		mdma_dma_abort_locked(s);
		s->regs.ctrl &= ~MDMA_CTRL_ENABLE;
		s->regs.status &= ~(MDMA_STATUS_ENABLED | MDMA_STATUS_BUSY);
		if (!s->chunk_busy)
			break;
		mutex_unlock(&s->lock);
		if (mdma_dma_wait_idle_killable(s))
			return -EINTR;
		mutex_lock(&s->lock);
	}
	mdma_power_on_locked(s);
	mutex_unlock(&s->lock);
	return 0;
}

int mdma_init_dev(struct vfio_device *vdev)
{
	struct mdma_state *s = vdev_to_mdma(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	const struct mdma_type *type =
		container_of(mdev->type, struct mdma_type, type);
	int ret;

	ret = mdma_budget_reserve(type->mem_size);
	if (ret)
		return ret;

	s->mdev = mdev;
	s->type = type;
	s->mem_size = type->mem_size;
	s->mem = vmalloc_user(s->mem_size);
	s->pages = kcalloc(VFIO_PIN_PAGES_MAX_ENTRIES, sizeof(*s->pages),
			   GFP_KERNEL);
	if (!s->mem || !s->pages) {
		ret = -ENOMEM;
		goto err_free;
	}

	mutex_init(&s->lock);
	mdma_log_init(s);
	s->vdev.log_ops = mdma_log_ops_get();
	mdma_dma_init(s);
	mdma_workload_init(s);
	mdma_pci_init(s);

	mutex_lock(&s->lock);
	mdma_power_on_locked(s);
	mutex_unlock(&s->lock);

	ret = mdma_mig_create(s);
	if (ret)
		goto err_mutex;
	return 0;

err_mutex:
	mdma_workload_destroy(s);
	mdma_log_destroy(s);
	mutex_destroy(&s->lock);
err_free:
	kfree(s->pages);
	vfree(s->mem);
	mdma_budget_release(type->mem_size);
	return ret;
}

/*
 * The last reference is gone: the device is closed, so no DMA can be
 * queued (see mdma_dma_kick()); nothing of the instance may run after
 * this, not the DMA work item and not the workload.
 */
void mdma_release_dev(struct vfio_device *vdev)
{
	struct mdma_state *s = vdev_to_mdma(vdev);

	mdma_workload_destroy(s);
	mdma_dma_release(s);
	vfio_mig_destroy(s->mig);
	mdma_log_destroy(s);
	mutex_destroy(&s->lock);
	kfree(s->pages);
	vfree(s->mem);
	mdma_budget_release(s->mem_size);
	mdma_release_free(vdev);
}

static int mdma_probe(struct mdev_device *mdev)
{
	struct mdma_state *s;
	int ret;

	s = vfio_alloc_device(mdma_state, vdev, &mdev->dev, &mdma_dev_ops);
	if (IS_ERR(s))
		return PTR_ERR(s);

	/*
	 * Registration gives a device without a set a set of its own, but
	 * ignores that allocation failing and registers a device whose open
	 * then dereferences a NULL set (6.1 and 6.12). Assign it here, where
	 * the failure is seen.
	 */
	ret = vfio_assign_device_set(&s->vdev, &s->vdev);
	if (!ret)
		ret = vfio_register_emulated_iommu_dev(&s->vdev);
	if (ret) {
		vfio_put_device(&s->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, s);
	mdma_debugfs_add(s);
	return 0;
}

static void mdma_remove(struct mdev_device *mdev)
{
	struct mdma_state *s = dev_get_drvdata(&mdev->dev);

	mdma_debugfs_remove(s);
	/* Waits until every fd of the device is closed. */
	vfio_unregister_group_dev(&s->vdev);
	vfio_put_device(&s->vdev);
}

static unsigned int mdma_get_available(struct mdev_type *mtype)
{
	const struct mdma_type *type =
		container_of(mtype, struct mdma_type, type);
	u64 left;

	mutex_lock(&mdma_budget_lock);
	left = mdma_budget_bytes() - mdma_mem_used;
	mutex_unlock(&mdma_budget_lock);
	return div64_u64(left, type->mem_size);
}

static ssize_t mdma_show_description(struct mdev_type *mtype, char *buf)
{
	const struct mdma_type *type =
		container_of(mtype, struct mdma_type, type);

	return sysfs_emit(buf, "device memory %llu MiB%s\n",
			  type->mem_size >> 20,
			  type->out_of_band ? ", migrates out of band only" : "");
}

static struct mdev_driver mdma_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = MDMA_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = mdma_probe,
	.remove = mdma_remove,
	.get_available = mdma_get_available,
	.show_description = mdma_show_description,
};

static void mdma_parent_release(struct device *dev)
{
	kfree(container_of(dev, struct mdma_parent, dev));
}

static int __init mdma_init(void)
{
	struct mdma_parent *p;
	int ret;

	mdma_wq = alloc_workqueue(MDMA_NAME, WQ_UNBOUND, 0);
	if (!mdma_wq)
		return -ENOMEM;
	mdma_debugfs_init();

	ret = mdev_register_driver(&mdma_driver);
	if (ret)
		goto err_wq;

	mdma_class = mdma_class_create(MDMA_NAME);
	if (IS_ERR(mdma_class)) {
		ret = PTR_ERR(mdma_class);
		goto err_driver;
	}

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		ret = -ENOMEM;
		goto err_class;
	}
	p->dev.class = mdma_class;
	p->dev.release = mdma_parent_release;
	dev_set_name(&p->dev, MDMA_NAME);
	ret = device_register(&p->dev);
	if (ret) {
		put_device(&p->dev);
		goto err_class;
	}

	ret = mdev_register_parent(&p->parent, &p->dev, &mdma_driver,
				   mdma_mdev_types,
				   ARRAY_SIZE(mdma_mdev_types));
	if (ret)
		goto err_device;
	mdma_parent = p;
	return 0;

err_device:
	device_unregister(&p->dev);
err_class:
	class_destroy(mdma_class);
err_driver:
	mdev_unregister_driver(&mdma_driver);
err_wq:
	mdma_debugfs_exit();
	destroy_workqueue(mdma_wq);
	return ret;
}

static void __exit mdma_exit(void)
{
	mdev_unregister_parent(&mdma_parent->parent);
	device_unregister(&mdma_parent->dev);
	class_destroy(mdma_class);
	mdev_unregister_driver(&mdma_driver);
	mdma_debugfs_exit();
	destroy_workqueue(mdma_wq);
}

module_init(mdma_init);
module_exit(mdma_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated PCI DMA accelerator sample for VFIO");
