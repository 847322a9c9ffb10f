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
 * A data fd holds the migration device (vfio_mig_hold()) so it may outlive
 * the device fd. It is the channel that owns its session: its bytes are
 * staged in a buffer of its own, and while it owns a session the v1
 * region and the management channel get -EBUSY. The device fd's v2
 * requests drive that session; they are refused with -EBUSY while
 * another channel owns one. Closing the fd leaves the session to the next
 * state change, as the uapi says.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio_mig.h>

#include "compat.h"
#include "mig.h"

struct vfio_mig_file {
	struct vfio_mig_chan chan;	/* owns the session it was made for */
	struct vfio_mig_device *mig;	/* held: vfio_mig_hold() */
	struct mutex io_lock;		/* one read or write at a time */
	bool saving;
	bool disabled;			/* set under mig->lock */
};

/*
 * The v2 ops are called by the VFIO core for an open device, whose
 * migration device lives until the VFIO device is released.
 */
static struct vfio_mig_device *vfio_mig_v2_to_mig(struct vfio_device *vdev)
{
	return container_of(vdev->mig_ops, struct vfio_mig_device, v2_ops);
}

/*
 * Free the staging buffer of @f if its session ended, unless an I/O
 * holds io_lock (which nests outside mig->lock: only a trylock here);
 * that I/O calls this again once it dropped io_lock. The end stores
 * disabled and then tries io_lock, the I/O drops io_lock and then loads
 * disabled; the full barrier on each side makes one see the other. An
 * end that an I/O itself causes (a failed save or load) finds io_lock
 * held by its own task: the same I/O frees the buffer when it is done.
 */
static void vfio_mig_file_try_free(struct vfio_mig_file *f)
{
	smp_mb();	/* order the caller's store before the load below */
	if (!READ_ONCE(f->disabled) || !mutex_trylock(&f->io_lock))
		return;
	kvfree(f->chan.stage.buf);
	f->chan.stage.buf = NULL;
	mutex_unlock(&f->io_lock);
}

/**
 * vfio_mig_v2_disable_file() - end the v2 data fd of a session, if any
 * @mig: the migration device, locked
 */
void vfio_mig_v2_disable_file(struct vfio_mig_device *mig)
{
	struct vfio_mig_file *f = mig->file;

	lockdep_assert_held(&mig->lock);
	if (!f)
		return;
	WRITE_ONCE(f->disabled, true);
	mig->file = NULL;
	vfio_mig_file_try_free(f);
}

static int vfio_mig_file_release(struct inode *inode, struct file *filp)
{
	struct vfio_mig_file *f = filp->private_data;
	struct vfio_mig_device *mig = f->mig;

	mutex_lock(&mig->lock);
	/*
	 * The session stays, as the uapi wants (a state change ends it),
	 * but nobody can read or write it any more.
	 */
	if (mig->file == f)
		mig->file = NULL;
	if (mig->owner == &f->chan)
		mig->owner = &mig->v2;
	mutex_unlock(&mig->lock);
	kvfree(f->chan.stage.buf);
	mutex_destroy(&f->io_lock);
	kfree(f);
	vfio_mig_put(mig);
	return 0;
}

/*
 * Under io_lock: has the session of @f ended? Then its staging buffer
 * goes (an end that raced this check is seen by the I/O's own stream
 * calls, and vfio_mig_file_try_free() after the I/O frees the buffer).
 */
static bool vfio_mig_file_drop_if_ended(struct vfio_mig_file *f)
{
	if (!READ_ONCE(f->disabled))
		return false;
	kvfree(f->chan.stage.buf);
	f->chan.stage.buf = NULL;
	return true;
}

/*
 * Under io_lock: the fd's staging buffer, allocated at its first I/O and
 * charged to the caller's memory cgroup, freed when the session ends (or
 * by the I/O that held io_lock then, as it finishes): a user keeping
 * many ended fds keeps no buffers.
 */
static int vfio_mig_file_stage(struct vfio_mig_file *f)
{
	struct vfio_mig_stage *st = &f->chan.stage;

	if (vfio_mig_file_drop_if_ended(f))
		return -ENODEV;
	if (!st->buf) {
		st->buf = kvmalloc(st->size, GFP_KERNEL_ACCOUNT);
		if (!st->buf)
			return -ENOMEM;
	}
	return 0;
}

/* A saving file is only read, a resuming one only written. */
static ssize_t vfio_mig_file_rw(struct file *filp, char __user *buf,
				size_t len, bool write)
{
	struct vfio_mig_file *f = filp->private_data;
	ssize_t ret;

	if (f->saving == write)
		return -EINVAL;
	if (!len)
		return 0;
	if (mutex_lock_interruptible(&f->io_lock))
		return -ERESTARTSYS;
	ret = vfio_mig_file_stage(f);
	if (!ret) {
		if (write)
			ret = vfio_mig_stream_write(f->mig, &f->chan, buf, len);
		else
			ret = vfio_mig_stream_read(f->mig, &f->chan, buf, len);
	}
	mutex_unlock(&f->io_lock);
	/* A session that ended during the I/O could not free its buffer. */
	vfio_mig_file_try_free(f);
	return ret;
}

static ssize_t vfio_mig_file_read(struct file *filp, char __user *buf,
				  size_t len, loff_t *pos)
{
	return vfio_mig_file_rw(filp, buf, len, false);
}

static ssize_t vfio_mig_file_write(struct file *filp, const char __user *buf,
				   size_t len, loff_t *pos)
{
	return vfio_mig_file_rw(filp, (char __user *)buf, len, true);
}

/*
 * A saving fd is readable when a read would not fail with ENOMSG: data is
 * pending or staged, the stream's end can be read (stop-copy), or the
 * session is over (the read fails at once). A resuming fd is writable.
 */
static __poll_t vfio_mig_file_poll(struct file *filp, poll_table *wait)
{
	struct vfio_mig_file *f = filp->private_data;
	struct vfio_mig_device *mig = f->mig;
	__poll_t mask = 0;

	poll_wait(filp, &mig->poll_wq, wait);
	if (mutex_lock_killable(&mig->lock))
		return EPOLLERR;
	if (f->disabled || mig->owner != &f->chan)
		mask = EPOLLERR | EPOLLHUP;
	else if (!f->saving)
		mask = EPOLLOUT | EPOLLWRNORM;
	else if (mig->save.final || vfio_mig_save_unread(mig) ||
		 vfio_mig_save_pending(mig))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&mig->lock);
	return mask;
}

static long vfio_mig_precopy_info(struct vfio_mig_file *f, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_mig_device *mig = f->mig;
	struct vfio_mig_save *sv = &mig->save;
	struct vfio_precopy_info info;
	u64 pending, unread;
	u32 v2;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	v2 = vfio_mig_v1_to_v2(mig->state);
	/* The uapi: -EINVAL unless this fd's session is in a PRE_COPY state. */
	if (f->disabled || !f->saving || mig->owner != &f->chan ||
	    !sv->active ||
	    (v2 != VFIO_MIG_V2_PRE_COPY && v2 != VFIO_MIG_V2_PRE_COPY_P2P)) {
		mutex_unlock(&mig->lock);
		return -EINVAL;
	}
	/*
	 * Staged but unread bytes count too: they are still to be read.
	 * Until the first round has passed every section, all that is
	 * pending is initial data; once it has, only what it staged and
	 * left unread is, and chunks dirtied since are dirty data, even
	 * before a read starts the next round.
	 */
	pending = vfio_mig_save_pending(mig);
	unread = vfio_mig_save_unread(mig);
	if (!sv->rounds && sv->sec < mig->nr_sections) {
		info.initial_bytes = pending + unread;
		info.dirty_bytes = 0;
	} else if (!sv->rounds) {
		info.initial_bytes = unread;
		info.dirty_bytes = pending;
	} else {
		info.initial_bytes = 0;
		info.dirty_bytes = pending + unread;
	}
	info.flags = 0;
	mutex_unlock(&mig->lock);

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long vfio_mig_file_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	return vfio_mig_precopy_info(filp->private_data, (void __user *)arg);
}

static const struct file_operations vfio_mig_file_fops = {
	.owner = THIS_MODULE,
	.read = vfio_mig_file_read,
	.write = vfio_mig_file_write,
	.poll = vfio_mig_file_poll,
	.unlocked_ioctl = vfio_mig_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vfio_mig_file_release,
};

/* The data fd of the session that just opened, which it then owns. */
static struct file *vfio_mig_open_file(struct vfio_mig_device *mig,
				       bool saving)
{
	struct vfio_mig_file *f;
	struct file *filp;
	int ret;

	lockdep_assert_held(&mig->lock);
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->chan.kind = VFIO_MIG_CHAN_V2;
	f->chan.stage.size = mig->window_size;
	mutex_init(&f->io_lock);
	f->mig = mig;
	f->saving = saving;
	ret = vfio_mig_hold(mig);
	if (ret)
		goto err_free;
	filp = anon_inode_getfile("vfio_mig", &vfio_mig_file_fops, f,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		vfio_mig_put(mig);
		ret = PTR_ERR(filp);
		goto err_free;
	}
	stream_open(filp->f_inode, filp);
	mig->file = f;
	mig->owner = &f->chan;
	return filp;

err_free:
	mutex_destroy(&f->io_lock);
	kfree(f);
	return ERR_PTR(ret);
}

/* One arc of the v2 state machine; a data fd if the arc opened a session. */
static struct file *vfio_mig_v2_step(struct vfio_mig_device *mig, u32 next)
{
	struct file *filp;
	unsigned int did;
	u32 v1;
	int ret;

	if (vfio_mig_v2_to_v1(next, &v1))
		return ERR_PTR(-EINVAL);
	ret = vfio_mig_set_state(mig, v1, &mig->v2, &did);
	if (ret)
		return ERR_PTR(ret);
	if (!(did & VFIO_MIG_DID_OPEN))
		return NULL;
	filp = vfio_mig_open_file(mig, next != VFIO_MIG_V2_RESUMING);
	if (IS_ERR(filp))
		vfio_mig_fail(mig);
	return filp;
}

/* The v2 view of the device's one state, in values this kernel knows. */
static u32 vfio_mig_v2_state(struct vfio_mig_device *mig)
{
	return vfio_mig_v1_to_v2_known(mig->state, VFIO_MIG_HAVE_PRECOPY);
}

static struct file *vfio_mig_v2_set_state(struct vfio_device *vdev,
					  enum vfio_device_mig_state new_state)
{
	struct vfio_mig_device *mig = vfio_mig_v2_to_mig(vdev);
	enum vfio_device_mig_state cur, next;
	struct file *filp = NULL;
	int ret;

	if (mutex_lock_killable(&mig->lock))
		return ERR_PTR(-EINTR);
	/*
	 * Another channel's session is not ours to walk through: refuse
	 * before the core's walk sees a state it may not know (6.1 has no
	 * PRE_COPY, which a v1 or management session may be in).
	 */
	if (!vfio_mig_may_drive(mig, &mig->v2)) {
		filp = ERR_PTR(-EBUSY);
		goto out;
	}
	cur = vfio_mig_v2_state(mig);
	/*
	 * Only a reset leaves ERROR: every request fails, ERROR itself
	 * included, and the core's walk (which WARNs when started from
	 * ERROR) is not asked.
	 */
	if (cur == VFIO_MIG_V2_ERROR) {
		filp = ERR_PTR(-EINVAL);
		goto out;
	}
	while (cur != new_state) {
		ret = vfio_mig_get_next_state(vdev, cur, new_state, &next);
		if (ret) {
			filp = ERR_PTR(ret);
			break;
		}
		filp = vfio_mig_v2_step(mig, next);
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

static int vfio_mig_v2_get_state(struct vfio_device *vdev,
				 enum vfio_device_mig_state *state)
{
	struct vfio_mig_device *mig = vfio_mig_v2_to_mig(vdev);

	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	*state = vfio_mig_v2_state(mig);
	mutex_unlock(&mig->lock);
	return 0;
}

static int __maybe_unused vfio_mig_v2_get_data_size(struct vfio_device *vdev,
						    unsigned long *len)
{
	struct vfio_mig_device *mig = vfio_mig_v2_to_mig(vdev);

	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	*len = vfio_mig_stop_copy_size(mig);
	mutex_unlock(&mig->lock);
	return 0;
}

static const struct vfio_migration_ops vfio_mig_v2_ops = {
	.migration_set_state = vfio_mig_v2_set_state,
	.migration_get_state = vfio_mig_v2_get_state,
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
	mig->v2_ops = vfio_mig_v2_ops;
	vdev->mig_ops = &mig->v2_ops;
}

/**
 * vfio_mig_v2_exit() - forget a migration device
 * @mig: the migration device
 */
void vfio_mig_v2_exit(struct vfio_mig_device *mig)
{
	if (mig->vdev->mig_ops != &mig->v2_ops)
		return;
	mig->vdev->mig_ops = NULL;
	mig->vdev->migration_flags = 0;
}
