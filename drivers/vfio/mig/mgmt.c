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
 * while a user has it open, under the rule every channel follows: a
 * session belongs to the file that opened it. Another file of this
 * channel, the v1 region or a v2 data fd get -EBUSY for anything that
 * would read, write or change it. Each file stages the stream in memory
 * of its own, and copies to and from the user without the device's lock.
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

struct vfio_mig_mgmt {
	struct vfio_mig_chan chan;	/* owns the sessions this file opens */
	struct mutex lock;		/* selection */
	struct mutex io_lock;		/* one read or write at a time */
	struct vfio_mig_device *mig;	/* selected, held */
};

static int vfio_mig_mgmt_open(struct inode *inode, struct file *filp)
{
	struct vfio_mig_mgmt *m;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->chan.kind = VFIO_MIG_CHAN_MGMT;
	mutex_init(&m->lock);
	mutex_init(&m->io_lock);
	filp->private_data = m;
	return stream_open(inode, filp);
}

static int vfio_mig_mgmt_release(struct inode *inode, struct file *filp)
{
	struct vfio_mig_mgmt *m = filp->private_data;
	struct vfio_mig_device *mig = m->mig;
	unsigned int did;

	if (mig) {
		mutex_lock(&mig->lock);
		if (mig->owner == &m->chan) {
			if (mig->save.active)
				vfio_mig_set_state(mig, mig->state &
						   ~VFIO_DEVICE_STATE_V1_SAVING,
						   &m->chan, &did);
			/* A save that could not end cleanly, or a load. */
			if (mig->owner == &m->chan)
				vfio_mig_fail(mig);
		}
		mutex_unlock(&mig->lock);
		vfio_mig_put(mig);
	}
	kvfree(m->chan.stage.buf);
	mutex_destroy(&m->io_lock);
	mutex_destroy(&m->lock);
	kfree(m);
	return 0;
}

/* The selected device, or NULL; stable once set. */
static struct vfio_mig_device *
vfio_mig_mgmt_selected(struct vfio_mig_mgmt *m)
{
	struct vfio_mig_device *mig;

	mutex_lock(&m->lock);
	mig = m->mig;
	mutex_unlock(&m->lock);
	return mig;
}

/* Copy a user struct of which the first u32 is argsz, at least @minsz. */
static int vfio_mig_mgmt_get_arg(void *arg, size_t minsz,
				 const void __user *uarg)
{
	u32 argsz;

	if (copy_from_user(&argsz, uarg, sizeof(argsz)))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	return copy_from_user(arg, uarg, minsz) ? -EFAULT : 0;
}

static long vfio_mig_mgmt_ioc_select(struct vfio_mig_mgmt *m,
				     void __user *uarg)
{
	struct vfio_mig_mgmt_select sel;
	struct vfio_mig_device *mig;
	void *buf;
	int ret;

	ret = vfio_mig_mgmt_get_arg(&sel, sizeof(sel), uarg);
	if (ret)
		return ret;
	if (sel.flags || !memchr(sel.name, 0, sizeof(sel.name)))
		return -EINVAL;
	mig = vfio_mig_get_by_name(sel.name);
	if (!mig)
		return -ENODEV;
	buf = kvmalloc(mig->window_size, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		vfio_mig_put(mig);
		return -ENOMEM;
	}
	mutex_lock(&m->lock);
	if (m->mig) {
		mutex_unlock(&m->lock);
		kvfree(buf);
		vfio_mig_put(mig);
		return -EBUSY;
	}
	m->chan.stage.buf = buf;
	m->chan.stage.size = mig->window_size;
	m->mig = mig;
	mutex_unlock(&m->lock);
	return 0;
}

/*
 * The channel drives a device only while a user has it open: closing the
 * device ends any session, and a closed device has no DMA context.
 */
static int vfio_mig_mgmt_usable(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	return mig->open ? 0 : -ENODEV;
}

static long vfio_mig_mgmt_ioc_state(struct vfio_mig_mgmt *m,
				    void __user *uarg, bool set)
{
	struct vfio_mig_device *mig = vfio_mig_mgmt_selected(m);
	struct vfio_mig_mgmt_state st;
	unsigned int did;
	int ret;

	if (!mig)
		return -ENODEV;
	ret = vfio_mig_mgmt_get_arg(&st, sizeof(st), uarg);
	if (ret)
		return ret;
	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	if (!set)
		st.device_state = mig->state;
	else
		ret = vfio_mig_mgmt_usable(mig) ?:
		      vfio_mig_set_state(mig, st.device_state, &m->chan,
					 &did);
	mutex_unlock(&mig->lock);
	if (ret || set)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long vfio_mig_mgmt_ioc_info(struct vfio_mig_mgmt *m,
				   void __user *uarg)
{
	struct vfio_mig_device *mig = vfio_mig_mgmt_selected(m);
	struct vfio_mig_mgmt_info info;
	int ret;

	if (!mig)
		return -ENODEV;
	ret = vfio_mig_mgmt_get_arg(&info, sizeof(info), uarg);
	if (ret)
		return ret;
	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	info.flags = mig->out_of_band ? 0 : VFIO_MIG_MGMT_INFO_INBAND;
	info.pending_bytes = 0;
	/* Only this file's session: another channel's is not its to see. */
	if (mig->owner == &m->chan && mig->save.active)
		info.pending_bytes = vfio_mig_save_pending(mig) +
				     vfio_mig_save_unread(mig);
	info.stop_copy_bytes = vfio_mig_stop_copy_size(mig);
	mutex_unlock(&mig->lock);
	memset(info.device_type, 0, sizeof(info.device_type));
	strscpy(info.device_type, mig->desc.device_type,
		sizeof(info.device_type));
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vfio_mig_mgmt_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	struct vfio_mig_mgmt *m = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_MIG_MGMT_SELECT:
		return vfio_mig_mgmt_ioc_select(m, uarg);
	case VFIO_MIG_MGMT_GET_STATE:
		return vfio_mig_mgmt_ioc_state(m, uarg, false);
	case VFIO_MIG_MGMT_SET_STATE:
		return vfio_mig_mgmt_ioc_state(m, uarg, true);
	case VFIO_MIG_MGMT_INFO:
		return vfio_mig_mgmt_ioc_info(m, uarg);
	default:
		return -ENOTTY;
	}
}

static ssize_t vfio_mig_mgmt_rw(struct file *filp, char __user *buf,
				size_t len, bool write)
{
	struct vfio_mig_mgmt *m = filp->private_data;
	struct vfio_mig_device *mig = vfio_mig_mgmt_selected(m);
	ssize_t ret;

	if (!mig)
		return -ENODEV;
	if (mutex_lock_interruptible(&m->io_lock))
		return -ERESTARTSYS;
	if (write)
		ret = vfio_mig_stream_write(mig, &m->chan, buf, len);
	else
		ret = vfio_mig_stream_read(mig, &m->chan, buf, len);
	mutex_unlock(&m->io_lock);
	return ret;
}

static ssize_t vfio_mig_mgmt_read(struct file *filp, char __user *buf,
				  size_t len, loff_t *pos)
{
	return vfio_mig_mgmt_rw(filp, buf, len, false);
}

static ssize_t vfio_mig_mgmt_write(struct file *filp, const char __user *buf,
				   size_t len, loff_t *pos)
{
	return vfio_mig_mgmt_rw(filp, (char __user *)buf, len, true);
}

static const struct file_operations vfio_mig_mgmt_fops = {
	.owner = THIS_MODULE,
	.open = vfio_mig_mgmt_open,
	.release = vfio_mig_mgmt_release,
	.read = vfio_mig_mgmt_read,
	.write = vfio_mig_mgmt_write,
	.unlocked_ioctl = vfio_mig_mgmt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vfio_mig_mgmt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vfio-mig",
	.fops = &vfio_mig_mgmt_fops,
	.mode = 0600,
};

/**
 * vfio_mig_mgmt_init() - register /dev/vfio-mig
 *
 * Return: 0 or misc_register()'s error.
 */
int vfio_mig_mgmt_init(void)
{
	return misc_register(&vfio_mig_mgmt_misc);
}

/**
 * vfio_mig_mgmt_exit() - unregister /dev/vfio-mig
 */
void vfio_mig_mgmt_exit(void)
{
	misc_deregister(&vfio_mig_mgmt_misc);
}
