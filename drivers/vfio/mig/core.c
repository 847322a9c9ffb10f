// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: a migration framework for VFIO vendor drivers.
 *
 * This file holds the life cycle of a migration device and the entry
 * points a vendor driver calls from its vfio_device_ops.
 */
#include <linux/bitmap.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "mig.h"

static unsigned int window_kb = 1024;
module_param(window_kb, uint, 0444);
MODULE_PARM_DESC(window_kb,
		 "Size of the migration data window in KiB (128..65536, a power of two; default 1024)");

/* Every migration device, for the management channel's lookup by name. */
static DEFINE_MUTEX(registry_lock);
static LIST_HEAD(registry);

/**
 * vfio_mig_hold() - keep a migration device and its driver alive
 * @mig: a migration device the caller knows to be alive
 *
 * Return: 0, or -ENODEV when its driver is going away.
 */
int vfio_mig_hold(struct vfio_mig_device *mig)
{
	if (!try_module_get(mig->module))
		return -ENODEV;
	get_device(&mig->vdev->device);
	return 0;
}

/**
 * vfio_mig_put() - drop what vfio_mig_hold() took
 * @mig: the migration device; may be freed when this returns
 */
void vfio_mig_put(struct vfio_mig_device *mig)
{
	struct module *owner = mig->module;

	/* The last reference runs the driver's release: its module last. */
	put_device(&mig->vdev->device);
	module_put(owner);
}

/**
 * vfio_mig_get_by_name() - find and hold a migration device by name
 * @name: the name of its device (an mdev's UUID)
 *
 * Return: the migration device, held (vfio_mig_put() drops it), or NULL.
 */
struct vfio_mig_device *vfio_mig_get_by_name(const char *name)
{
	struct vfio_mig_device *mig;

	mutex_lock(&registry_lock);
	list_for_each_entry(mig, &registry, node) {
		/*
		 * The name was copied at creation: the parent device it came
		 * from may be gone while a data fd or a management file still
		 * holds this one. A device no longer registered (its removal
		 * has begun) is not found, so a new one of the same name is.
		 */
		if (strcmp(mig->name, name) ||
		    !device_is_registered(&mig->vdev->device))
			continue;
		/* A device whose last reference is gone is being released. */
		if (!try_module_get(mig->module))
			break;
		if (!kobject_get_unless_zero(&mig->vdev->device.kobj)) {
			module_put(mig->module);
			break;
		}
		mutex_unlock(&registry_lock);
		return mig;
	}
	mutex_unlock(&registry_lock);
	return NULL;
}

static size_t vfio_mig_window_bytes(void)
{
	unsigned int kb = clamp(window_kb, 128U, 65536U);

	return (size_t)rounddown_pow_of_two(kb) << 10;
}

/**
 * vfio_mig_create() - make a VFIO device migratable
 * @vdev: the device, initialised and not registered yet: protocol v2 is
 *	offered through its mig_ops and migration_flags
 * @cfg: its description and callbacks
 *
 * Allocates the dirty logs (the data window comes with each open). The
 * device starts in the RUNNING state.
 *
 * Return: the migration device, or an ERR_PTR(): -EINVAL for a description
 * a stream could not carry, -ENOMEM.
 */
struct vfio_mig_device *vfio_mig_create(struct vfio_device *vdev,
					const struct vfio_mig_config *cfg)
{
	struct vfio_mig_device *mig;
	unsigned int i;
	size_t nbits;

	if (!cfg->ops || !cfg->ops->set_run_level || !cfg->ops->reset ||
	    !cfg->sections || cfg->nr_sections > VFIO_MIG_MAX_SECTIONS)
		return ERR_PTR(-EINVAL);

	mig = kzalloc(sizeof(*mig), GFP_KERNEL);
	if (!mig)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mig->lock);
	init_waitqueue_head(&mig->poll_wq);
	INIT_LIST_HEAD(&mig->node);
	mig->vdev = vdev;
	strscpy(mig->name, dev_name(vdev->dev), sizeof(mig->name));
	mig->ops = cfg->ops;
	mig->sections = cfg->sections;
	mig->nr_sections = cfg->nr_sections;
	mig->region_index = cfg->region_index;
	mig->region_offset = cfg->region_offset;
	mig->ndma = cfg->ndma;
	mig->out_of_band = cfg->out_of_band;
	mig->module = cfg->owner;
	mig->desc.device_type = cfg->device_type;
	mig->desc.nr_sections = cfg->nr_sections;
	for (i = 0; i < cfg->nr_sections; i++) {
		const struct vfio_mig_section *s = &cfg->sections[i];

		mig->desc.sections[i].id = s->id;
		mig->desc.sections[i].kind = s->kind;
		mig->desc.sections[i].size = s->size;
		if (s->kind == VFIO_MIG_SECTION_ONCE ? !s->save || !s->load :
		    !s->read || !s->write)
			goto err_inval;
	}
	if (vfio_mig_desc_check(&mig->desc))
		goto err_inval;

	for (i = 0; i < cfg->nr_sections; i++) {
		unsigned long *map;

		nbits = 0;
		if (cfg->sections[i].kind == VFIO_MIG_SECTION_ITERATIVE)
			nbits = DIV_ROUND_UP(cfg->sections[i].size,
					     VFIO_MIG_CHUNK_SIZE);
		map = bitmap_zalloc(max_t(size_t, nbits, 1), GFP_KERNEL);
		if (!map)
			goto err_nomem;
		vfio_mig_dirty_init(&mig->dirty[i], map, nbits);
	}

	mig->window_size = vfio_mig_window_bytes();
	mig->v1.kind = VFIO_MIG_CHAN_V1;
	mig->v1.stage.size = mig->window_size;
	mig->v2.kind = VFIO_MIG_CHAN_V2;
	mig->state = VFIO_DEVICE_STATE_V1_RUNNING;
	mig->level = VFIO_MIG_RUNNING;
	if (!mig->out_of_band)
		vfio_mig_v2_init(mig);
	mutex_lock(&registry_lock);
	list_add(&mig->node, &registry);
	mutex_unlock(&registry_lock);
	return mig;

err_inval:
	vfio_mig_destroy(mig);
	return ERR_PTR(-EINVAL);
err_nomem:
	vfio_mig_destroy(mig);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(vfio_mig_create);

/**
 * vfio_mig_destroy() - free a migration device
 * @mig: the migration device, or NULL
 *
 * Called when the VFIO device is released, after its last close: no
 * session and no window exist any more.
 */
void vfio_mig_destroy(struct vfio_mig_device *mig)
{
	unsigned int i;

	if (!mig)
		return;
	mutex_lock(&registry_lock);
	list_del_init(&mig->node);
	mutex_unlock(&registry_lock);
	vfio_mig_v2_exit(mig);
	for (i = 0; i < VFIO_MIG_MAX_SECTIONS; i++)
		bitmap_free(mig->dirty[i].map);
	vfree(mig->window);
	mutex_destroy(&mig->lock);
	kfree(mig);
}
EXPORT_SYMBOL_GPL(vfio_mig_destroy);

/*
 * Open or close: the device is RUNNING with no session, and gets
 * @window as its data window (NULL: none). Returns the window it had,
 * for the caller to free outside the lock.
 */
static void *vfio_mig_swap_window(struct vfio_mig_device *mig, void *window,
				  bool open)
{
	void *old;

	mutex_lock(&mig->lock);
	vfio_mig_to_running(mig);
	old = mig->window;
	mig->window = window;
	mig->v1.stage.buf = window;
	mig->open = open;
	mutex_unlock(&mig->lock);
	return old;
}

/**
 * vfio_mig_open() - the device file was opened
 * @mig: the migration device
 *
 * Call from the driver's open_device, after the device was put in its
 * power-on state. A new user sees a RUNNING device with no session, and
 * a data window of its own: pages of the last user's window may still
 * be referenced (a pipe it spliced them into, a pin), so they are never
 * handed to the next one.
 *
 * Return: 0, or -ENOMEM.
 */
int vfio_mig_open(struct vfio_mig_device *mig)
{
	void *window = NULL, *old;

	if (!mig->out_of_band) {
		window = vmalloc_user(mig->window_size);
		if (!window)
			return -ENOMEM;
	}
	/* The last close took the old window; a leftover is a bug. */
	old = vfio_mig_swap_window(mig, window, true);
	if (WARN_ON_ONCE(old))
		vfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_mig_open);

/**
 * vfio_mig_close() - the device file was closed
 * @mig: the migration device
 *
 * Call from the driver's close_device, before it quiesces the device: a
 * save or load in progress is dropped, dirty logging stops, and the
 * management channel can no longer drive the device. The data window
 * goes: no mapping of it can exist once the device file is closed.
 */
void vfio_mig_close(struct vfio_mig_device *mig)
{
	vfree(vfio_mig_swap_window(mig, NULL, false));
}
EXPORT_SYMBOL_GPL(vfio_mig_close);

/**
 * vfio_mig_reset() - reset the device (VFIO_DEVICE_RESET)
 * @mig: the migration device
 *
 * Runs the driver's reset callback under the framework's lock, so no
 * change of state, save or load runs beside it, then drops any session
 * and leaves the error state: the device is RUNNING again, the only way
 * out of the error state. A reset callback that fails (its caller was
 * killed while it waited) did not reset the device, which then enters
 * the error state instead.
 *
 * Return: the reset callback's result, or -EINTR if the caller was killed
 * while waiting for the lock (nothing was reset).
 */
int vfio_mig_reset(struct vfio_mig_device *mig)
{
	int ret;

	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	vfio_mig_end_session(mig);
	ret = mig->ops->reset(mig->vdev);
	if (ret)
		vfio_mig_fail(mig);
	else
		vfio_mig_to_running(mig);
	mutex_unlock(&mig->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_mig_reset);

/**
 * vfio_mig_fill_device_info() - account for the migration region
 * @mig: the migration device
 * @info: VFIO_DEVICE_GET_INFO reply being filled by the driver
 */
void vfio_mig_fill_device_info(struct vfio_mig_device *mig,
			       struct vfio_device_info *info)
{
	if (!mig->out_of_band)
		info->num_regions = max(info->num_regions,
					mig->region_index + 1);
}
EXPORT_SYMBOL_GPL(vfio_mig_fill_device_info);

/**
 * vfio_mig_is_region() - is a region index the migration region?
 * @mig: the migration device
 * @index: a VFIO region index
 *
 * Return: true when the framework serves @index.
 */
bool vfio_mig_is_region(struct vfio_mig_device *mig, unsigned int index)
{
	return !mig->out_of_band && index == mig->region_index;
}
EXPORT_SYMBOL_GPL(vfio_mig_is_region);

static int vfio_mig_section_index(struct vfio_mig_device *mig, u32 id)
{
	unsigned int i;

	for (i = 0; i < mig->nr_sections; i++)
		if (mig->sections[i].id == id)
			return i;
	return -1;
}

/**
 * vfio_mig_mark_dirty() - report a write to an iterative section
 * @mig: the migration device
 * @id: section id
 * @off: first byte written
 * @len: bytes written
 *
 * Call after the write. Cheap when no log is running; takes no lock.
 */
void vfio_mig_mark_dirty(struct vfio_mig_device *mig, u32 id, u64 off,
			 u64 len)
{
	struct vfio_mig_dirty *d;
	int i;

	if (!READ_ONCE(mig->logging) || !len)
		return;
	i = vfio_mig_section_index(mig, id);
	if (i < 0)
		return;
	d = &mig->dirty[i];
	vfio_mig_dirty_mark(d, off >> VFIO_MIG_CHUNK_SHIFT,
			    (off + len - 1) / VFIO_MIG_CHUNK_SIZE + 1);
	/* A v2 reader polling at the temporary end of pre-copy. */
	if (wq_has_sleeper(&mig->poll_wq))
		wake_up_interruptible(&mig->poll_wq);
}
EXPORT_SYMBOL_GPL(vfio_mig_mark_dirty);

static int __init vfio_mig_init(void)
{
	return vfio_mig_mgmt_init();
}

static void __exit vfio_mig_exit(void)
{
	vfio_mig_mgmt_exit();
}

module_init(vfio_mig_init);
module_exit(vfio_mig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live migration framework for VFIO devices");
