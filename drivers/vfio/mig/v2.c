// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: protocol v2, VFIO_DEVICE_FEATURE migration with a data fd.
 *
 * The vfio core handles the VFIO_DEVICE_FEATURE ioctls and walks a multi
 * step change of state one arc at a time (vfio_mig_get_next_state()); each
 * arc is carried out by the same code as protocol v1, through the mapping
 * of v2_state.c. Entering the saving group (PRE_COPY, PRE_COPY_P2P,
 * STOP_COPY) or RESUMING opens a session and returns a data fd; leaving it
 * ends the session, after which the fd fails with ENODEV.
 *
 * Saving, read() returns the stream; in pre-copy a read at the temporary
 * end of the data fails with ENOMSG, in stop-copy the end of the stream is
 * a read of 0. Resuming, write() feeds the stream to the decoder.
 *
 * A data fd holds a reference to the VFIO device (and its driver's module)
 * so the migration device outlives it; all its operations run under the
 * migration device's lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_mig_compat.h>
#include <uapi/linux/vfio_mig.h>

#include "mig.h"

struct vfio_mig_file {
	struct vfio_mig_device *mig;
	struct module *owner;		/* the vendor driver's module */
	bool saving;
	bool disabled;			/* under mig->lock */
};

/* The vfio core hands us a vfio_device; find its migration device. */
static DEFINE_HASHTABLE(vfio_mig_table, 6);
static DEFINE_SPINLOCK(vfio_mig_table_lock);

static struct vfio_mig_device *to_mig(struct vfio_device *vdev)
{
	struct vfio_mig_device *mig;

	spin_lock(&vfio_mig_table_lock);
	hash_for_each_possible(vfio_mig_table, mig, node, (unsigned long)vdev)
		if (mig->vdev == vdev)
			goto out;
	mig = NULL;
out:
	spin_unlock(&vfio_mig_table_lock);
	return mig;
}

/**
 * vfio_mig_v2_disable_file() - end the v2 data fd of a session, if any
 * @mig: the migration device, locked
 */
void vfio_mig_v2_disable_file(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	if (mig->file) {
		mig->file->disabled = true;
		mig->file = NULL;
	}
}

static int file_release(struct inode *inode, struct file *filp)
{
	struct vfio_mig_file *f = filp->private_data;
	struct vfio_mig_device *mig = f->mig;
	struct vfio_device *vdev = mig->vdev;
	struct module *owner = f->owner;

	mutex_lock(&mig->lock);
	if (mig->file == f)
		mig->file = NULL;
	mutex_unlock(&mig->lock);
	kfree(f);
	/* May free @mig, through the driver's release: its module last. */
	put_device(&vdev->device);
	module_put(owner);
	return 0;
}

static ssize_t file_read(struct file *filp, char __user *buf, size_t len,
			 loff_t *pos)
{
	struct vfio_mig_file *f = filp->private_data;
	struct vfio_mig_device *mig = f->mig;
	struct vfio_mig_save *sv = &mig->save;
	ssize_t done = 0, n;

	mutex_lock(&mig->lock);
	if (f->disabled || !f->saving || !sv->active) {
		done = f->disabled ? -ENODEV : -EINVAL;
		goto out;
	}
	while (len) {
		if (sv->staged_pos == sv->staged) {
			n = vfio_mig_save_next(mig, mig->window,
					       mig->window_size);
			if (n < 0) {
				vfio_mig_fail(mig);
				done = done ? done : n;
				goto out;
			}
			sv->staged = n;
			sv->staged_pos = 0;
			if (!n)
				break;
		}
		n = min_t(u64, len, sv->staged - sv->staged_pos);
		if (copy_to_user(buf, mig->window + sv->staged_pos, n)) {
			done = done ? done : -EFAULT;
			goto out;
		}
		sv->staged_pos += n;
		buf += n;
		len -= n;
		done += n;
	}
	/* Nothing now: the temporary end of pre-copy, or the real end. */
	if (!done && !sv->final)
		done = -ENOMSG;
out:
	mutex_unlock(&mig->lock);
	return done;
}

static ssize_t file_write(struct file *filp, const char __user *buf,
			  size_t len, loff_t *pos)
{
	struct vfio_mig_file *f = filp->private_data;
	struct vfio_mig_device *mig = f->mig;
	ssize_t done = 0;
	size_t n;
	int ret;

	mutex_lock(&mig->lock);
	if (f->disabled || f->saving || !mig->load.active) {
		done = f->disabled ? -ENODEV : -EINVAL;
		goto out;
	}
	while (len) {
		n = min(len, mig->window_size);
		if (copy_from_user(mig->window, buf, n)) {
			done = done ? done : -EFAULT;
			goto out;
		}
		ret = vfio_mig_load_feed(mig, mig->window, n);
		if (ret) {
			vfio_mig_fail(mig);
			done = ret;
			goto out;
		}
		buf += n;
		len -= n;
		done += n;
	}
out:
	mutex_unlock(&mig->lock);
	return done;
}

static long precopy_info(struct vfio_mig_file *f, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_mig_device *mig = f->mig;
	struct vfio_mig_save *sv = &mig->save;
	struct vfio_precopy_info info;
	u64 pending;
	u32 v2;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	mutex_lock(&mig->lock);
	v2 = vfio_mig_v1_to_v2(mig->state);
	if (f->disabled || !f->saving || !sv->active ||
	    (v2 != VFIO_MIG_V2_PRE_COPY && v2 != VFIO_MIG_V2_PRE_COPY_P2P)) {
		mutex_unlock(&mig->lock);
		return f->disabled ? -ENODEV : -EINVAL;
	}
	/* Staged but unread bytes count too: they are still to be read. */
	pending = vfio_mig_save_pending(mig) + sv->staged - sv->staged_pos;
	info.initial_bytes = sv->rounds ? 0 : pending;
	info.dirty_bytes = sv->rounds ? pending : 0;
	info.flags = 0;
	mutex_unlock(&mig->lock);

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long file_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	return precopy_info(filp->private_data, (void __user *)arg);
}

static const struct file_operations vfio_mig_file_fops = {
	.owner = THIS_MODULE,
	.read = file_read,
	.write = file_write,
	.unlocked_ioctl = file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = file_release,
};

static struct file *open_file(struct vfio_mig_device *mig, bool saving)
{
	struct device_driver *drv = mig->vdev->dev->driver;
	struct vfio_mig_file *f;
	struct file *filp;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->mig = mig;
	f->saving = saving;
	f->owner = drv ? drv->owner : NULL;
	if (!try_module_get(f->owner)) {
		kfree(f);
		return ERR_PTR(-ENODEV);
	}
	get_device(&mig->vdev->device);
	filp = anon_inode_getfile("vfio_mig", &vfio_mig_file_fops, f,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		put_device(&mig->vdev->device);
		module_put(f->owner);
		kfree(f);
		return filp;
	}
	stream_open(filp->f_inode, filp);
	mig->file = f;
	return filp;
}

/* Does a v2 state have a data transfer session? */
static bool has_session(u32 v2)
{
	return vfio_mig_v2_saving(v2) || v2 == VFIO_MIG_V2_RESUMING;
}

/* One arc of the v2 state machine. */
static struct file *step(struct vfio_mig_device *mig, u32 cur, u32 next)
{
	u32 v1;
	int ret;

	if (vfio_mig_v2_to_v1(next, &v1))
		return ERR_PTR(-EINVAL);
	ret = vfio_mig_set_state(mig, v1, VFIO_MIG_OWNER_V2);
	if (ret)
		return ERR_PTR(ret);
	/* Moving inside the saving group keeps the session and its fd. */
	if (has_session(cur) && !vfio_mig_v2_saving(next))
		vfio_mig_v2_disable_file(mig);
	if (has_session(next) && !vfio_mig_v2_saving(cur)) {
		struct file *filp = open_file(mig, next != VFIO_MIG_V2_RESUMING);

		if (IS_ERR(filp))
			vfio_mig_fail(mig);
		return filp;
	}
	return NULL;
}

static struct file *v2_set_state(struct vfio_device *vdev,
				 enum vfio_device_mig_state new_state)
{
	struct vfio_mig_device *mig = to_mig(vdev);
	enum vfio_device_mig_state cur, next;
	struct file *filp = NULL;
	int ret;

	if (!mig)
		return ERR_PTR(-ENODEV);
	mutex_lock(&mig->lock);
	if (mig->owner == VFIO_MIG_OWNER_V1) {
		filp = ERR_PTR(-EBUSY);
		goto out;
	}
	cur = vfio_mig_v1_to_v2(mig->state);
	while (cur != new_state) {
		ret = vfio_mig_get_next_state(vdev, cur, new_state, &next);
		if (ret) {
			filp = ERR_PTR(ret);
			break;
		}
		filp = step(mig, cur, next);
		if (IS_ERR(filp))
			break;
		cur = next;
		/* A data fd only ever comes at the end of a path. */
		if (filp && WARN_ON(cur != new_state)) {
			fput(filp);
			filp = ERR_PTR(-EINVAL);
			break;
		}
	}
out:
	mutex_unlock(&mig->lock);
	return filp;
}

static int v2_get_state(struct vfio_device *vdev,
			enum vfio_device_mig_state *state)
{
	struct vfio_mig_device *mig = to_mig(vdev);

	if (!mig)
		return -ENODEV;
	mutex_lock(&mig->lock);
	*state = vfio_mig_v1_to_v2(mig->state);
	mutex_unlock(&mig->lock);
	return 0;
}

static int __maybe_unused vfio_mig_v2_get_data_size(struct vfio_device *vdev,
						    unsigned long *len)
{
	struct vfio_mig_device *mig = to_mig(vdev);

	if (!mig)
		return -ENODEV;
	mutex_lock(&mig->lock);
	*len = vfio_mig_stop_copy_size(mig);
	mutex_unlock(&mig->lock);
	return 0;
}

static const struct vfio_migration_ops vfio_mig_v2_ops = {
	.migration_set_state = v2_set_state,
	.migration_get_state = v2_get_state,
	VFIO_MIG_V2_DATA_SIZE_OP
};

/**
 * vfio_mig_v2_init() - offer protocol v2 for a migration device
 * @mig: the migration device, before its VFIO device is registered
 */
void vfio_mig_v2_init(struct vfio_mig_device *mig)
{
	struct vfio_device *vdev = mig->vdev;

	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	if (mig->ndma)
		vdev->migration_flags |= VFIO_MIGRATION_P2P;
	if (VFIO_MIG_HAVE_PRECOPY)
		vdev->migration_flags |= VFIO_MIGRATION_PRE_COPY;
	vdev->mig_ops = &vfio_mig_v2_ops;

	spin_lock(&vfio_mig_table_lock);
	hash_add(vfio_mig_table, &mig->node, (unsigned long)vdev);
	spin_unlock(&vfio_mig_table_lock);
}

/**
 * vfio_mig_v2_exit() - forget a migration device
 * @mig: the migration device
 */
void vfio_mig_v2_exit(struct vfio_mig_device *mig)
{
	if (hlist_unhashed(&mig->node))
		return;
	spin_lock(&vfio_mig_table_lock);
	hash_del(&mig->node);
	spin_unlock(&vfio_mig_table_lock);
	mig->vdev->mig_ops = NULL;
	mig->vdev->migration_flags = 0;
}
