// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the management channel, /dev/vfio-mig.
 *
 * It stands for the back channel of a card (an IPU or DPU) through which
 * an out-of-band agent saves and restores the state of a device that has
 * no in-band migration interface. A root-only file selects one device by
 * name and then drives the same device_state machine as the v1 region and
 * carries the same stream, through read() and write(); it is one more
 * user of the sessions every protocol shares, not a second copy of them.
 *
 * The channel works on any device described to vfio_mig, in-band or not,
 * under the same rule as the two protocols: one session at a time.
 * Closing the file ends a session it left open: a save is dropped and the
 * device keeps its run level (a source keeps running); a load is refused
 * (the device enters the error state, as after a bad stream).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio_mig.h>

#include "mig.h"

struct mgmt {
	struct mutex lock;		/* selection */
	struct vfio_mig_device *mig;	/* selected, held */
};

static int mgmt_open(struct inode *inode, struct file *filp)
{
	struct mgmt *m;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	mutex_init(&m->lock);
	filp->private_data = m;
	return stream_open(inode, filp);
}

static int mgmt_release(struct inode *inode, struct file *filp)
{
	struct mgmt *m = filp->private_data;
	struct vfio_mig_device *mig = m->mig;

	if (mig) {
		mutex_lock(&mig->lock);
		if (mig->owner == VFIO_MIG_OWNER_MGMT) {
			if (mig->save.active)
				vfio_mig_set_state(mig, mig->state &
						   ~VFIO_MIG_V1_SAVING,
						   VFIO_MIG_OWNER_MGMT);
			else
				vfio_mig_fail(mig);
		}
		mutex_unlock(&mig->lock);
		vfio_mig_put(mig);
	}
	mutex_destroy(&m->lock);
	kfree(m);
	return 0;
}

/* The selected device, or NULL; stable once set. */
static struct vfio_mig_device *selected(struct mgmt *m)
{
	struct vfio_mig_device *mig;

	mutex_lock(&m->lock);
	mig = m->mig;
	mutex_unlock(&m->lock);
	return mig;
}

/* Copy a user struct of which the first u32 is argsz, at least @minsz. */
static int get_arg(void *arg, size_t minsz, const void __user *uarg)
{
	u32 argsz;

	if (copy_from_user(&argsz, uarg, sizeof(argsz)))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	return copy_from_user(arg, uarg, minsz) ? -EFAULT : 0;
}

static long mgmt_select(struct mgmt *m, void __user *uarg)
{
	struct vfio_mig_mgmt_select sel;
	struct vfio_mig_device *mig;
	int ret;

	ret = get_arg(&sel, sizeof(sel), uarg);
	if (ret)
		return ret;
	if (sel.flags || !memchr(sel.name, 0, sizeof(sel.name)))
		return -EINVAL;
	mig = vfio_mig_get_by_name(sel.name);
	if (!mig)
		return -ENODEV;
	mutex_lock(&m->lock);
	if (m->mig) {
		mutex_unlock(&m->lock);
		vfio_mig_put(mig);
		return -EBUSY;
	}
	m->mig = mig;
	mutex_unlock(&m->lock);
	return 0;
}

static long mgmt_state(struct mgmt *m, void __user *uarg, bool set)
{
	struct vfio_mig_device *mig = selected(m);
	struct vfio_mig_mgmt_state st;
	int ret;

	if (!mig)
		return -ENODEV;
	ret = get_arg(&st, sizeof(st), uarg);
	if (ret)
		return ret;
	mutex_lock(&mig->lock);
	if (set)
		ret = vfio_mig_set_state(mig, st.device_state,
					 VFIO_MIG_OWNER_MGMT);
	else
		st.device_state = mig->state;
	mutex_unlock(&mig->lock);
	if (ret || set)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long mgmt_info(struct mgmt *m, void __user *uarg)
{
	struct vfio_mig_device *mig = selected(m);
	struct vfio_mig_mgmt_info info;
	int ret;

	if (!mig)
		return -ENODEV;
	ret = get_arg(&info, sizeof(info), uarg);
	if (ret)
		return ret;
	mutex_lock(&mig->lock);
	info.flags = mig->out_of_band ? 0 : VFIO_MIG_MGMT_INFO_INBAND;
	info.pending_bytes = 0;
	/* A staged piece not read yet is still pending. */
	if (mig->owner == VFIO_MIG_OWNER_MGMT && mig->save.active)
		info.pending_bytes = vfio_mig_save_pending(mig) +
				     mig->save.staged - mig->save.staged_pos;
	info.stop_copy_bytes = vfio_mig_stop_copy_size(mig);
	mutex_unlock(&mig->lock);
	memset(info.device_type, 0, sizeof(info.device_type));
	strscpy(info.device_type, mig->desc.device_type,
		sizeof(info.device_type));
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long mgmt_ioctl(struct file *filp, unsigned int cmd,
		       unsigned long arg)
{
	struct mgmt *m = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_MIG_MGMT_SELECT:
		return mgmt_select(m, uarg);
	case VFIO_MIG_MGMT_GET_STATE:
		return mgmt_state(m, uarg, false);
	case VFIO_MIG_MGMT_SET_STATE:
		return mgmt_state(m, uarg, true);
	case VFIO_MIG_MGMT_INFO:
		return mgmt_info(m, uarg);
	default:
		return -ENOTTY;
	}
}

static ssize_t mgmt_read(struct file *filp, char __user *buf, size_t len,
			 loff_t *pos)
{
	struct vfio_mig_device *mig = selected(filp->private_data);
	ssize_t ret;

	if (!mig)
		return -ENODEV;
	mutex_lock(&mig->lock);
	if (mig->owner != VFIO_MIG_OWNER_MGMT || !mig->save.active)
		ret = -EINVAL;
	else
		ret = vfio_mig_stream_read(mig, buf, len);
	mutex_unlock(&mig->lock);
	return ret;
}

static ssize_t mgmt_write(struct file *filp, const char __user *buf,
			  size_t len, loff_t *pos)
{
	struct vfio_mig_device *mig = selected(filp->private_data);
	ssize_t ret;

	if (!mig)
		return -ENODEV;
	mutex_lock(&mig->lock);
	if (mig->owner != VFIO_MIG_OWNER_MGMT || !mig->load.active)
		ret = -EINVAL;
	else
		ret = vfio_mig_stream_write(mig, buf, len);
	mutex_unlock(&mig->lock);
	return ret;
}

static const struct file_operations mgmt_fops = {
	.owner = THIS_MODULE,
	.open = mgmt_open,
	.release = mgmt_release,
	.read = mgmt_read,
	.write = mgmt_write,
	.unlocked_ioctl = mgmt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mgmt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vfio-mig",
	.fops = &mgmt_fops,
	.mode = 0600,
};

/**
 * vfio_mig_mgmt_init() - register /dev/vfio-mig
 *
 * Return: 0 or misc_register()'s error.
 */
int vfio_mig_mgmt_init(void)
{
	return misc_register(&mgmt_misc);
}

/**
 * vfio_mig_mgmt_exit() - unregister /dev/vfio-mig
 */
void vfio_mig_mgmt_exit(void)
{
	misc_deregister(&mgmt_misc);
}
