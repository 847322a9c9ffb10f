// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the stream as a byte stream, for the channels that carry it
 * through read() and write() (the v2 data fd and the management channel).
 *
 * Each such channel stages in a buffer of its own that no user can map.
 * Saving, a piece of the stream is produced into it under the device's
 * lock and copied to the user after the lock is dropped; resuming, the
 * user's bytes are copied into it first and fed to the decoder under the
 * lock. A user buffer that faults slowly (userfaultfd, a stalled NFS
 * mapping) so blocks only the file it was handed to, never the device.
 *
 * The caller serialises the I/O of one channel (a mutex of its file):
 * only the channel's own reads and writes touch its buffer's bytes.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "mig.h"

/* Why a channel that lost its session cannot go on. */
static int vfio_mig_stream_gone(struct vfio_mig_device *mig,
				struct vfio_mig_chan *chan)
{
	if (chan->kind == VFIO_MIG_CHAN_V2)
		return -ENODEV;		/* the data fd's session is over */
	return mig->owner ? -EBUSY : -EINVAL;
}

/*
 * Under the lock: make sure @chan has unread staged bytes. Returns how
 * many, 0 at the end of the data for now, or -errno.
 */
static ssize_t vfio_mig_stream_fill(struct vfio_mig_device *mig,
				    struct vfio_mig_chan *chan)
{
	struct vfio_mig_stage *st = &chan->stage;
	ssize_t n;

	lockdep_assert_held(&mig->lock);
	if (mig->owner != chan)
		return vfio_mig_stream_gone(mig, chan);
	if (!mig->save.active)
		return -EINVAL;
	if (st->pos == st->len) {
		n = vfio_mig_save_next(mig, st->buf, st->size);
		if (n < 0) {
			vfio_mig_warn(mig, "saving device state failed: %zd\n",
				      n);
			vfio_mig_fail(mig);
			return n;
		}
		st->len = n;
		st->pos = 0;
	}
	return st->len - st->pos;
}

/**
 * vfio_mig_stream_read() - read the next bytes of the saved stream
 * @mig: the migration device, not locked
 * @chan: the channel reading, which must own the save session
 * @buf: user buffer
 * @len: its size
 *
 * A signal ends the read after the bytes consumed so far, as a read of
 * /dev/zero does; the count never includes bytes left staged.
 *
 * Return: bytes read; 0 at the end of the stream (stop-and-copy) or for
 * a @len of 0; -ENOMSG when nothing is pending now (pre-copy); -EFAULT;
 * -EINTR when killed before a byte was consumed; -ENODEV (v2) or -EBUSY /
 * -EINVAL (management) once @chan has no save session; or the device's
 * error, which puts it in the error state.
 */
ssize_t vfio_mig_stream_read(struct vfio_mig_device *mig,
			     struct vfio_mig_chan *chan, char __user *buf,
			     size_t len)
{
	struct vfio_mig_stage *st = &chan->stage;
	ssize_t done = 0, n;
	bool final = false;
	u64 session;
	size_t pos;

	/* A read of nothing reads nothing, whatever the session's state. */
	if (!len)
		return 0;
	while (len) {
		if (mutex_lock_killable(&mig->lock))
			return done ? done : -EINTR;
		n = vfio_mig_stream_fill(mig, chan);
		final = mig->save.final;
		session = mig->session;
		pos = st->pos;
		mutex_unlock(&mig->lock);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		n = min_t(size_t, len, n);
		/* Only this channel's I/O writes the bytes: no lock needed. */
		if (copy_to_user(buf, st->buf + pos, n))
			return done ? done : -EFAULT;
		/*
		 * Killed here: these bytes are not consumed, so they are not
		 * counted; a reader that shares the fd gets them next.
		 */
		if (mutex_lock_killable(&mig->lock))
			return done ? done : -EINTR;
		if (mig->owner == chan && mig->session == session)
			st->pos = pos + n;
		mutex_unlock(&mig->lock);
		buf += n;
		len -= n;
		done += n;
		/* A device that keeps dirtying would fill any @len: yield. */
		if (signal_pending(current))
			break;
		cond_resched();
	}
	/* Nothing now: the temporary end of pre-copy, or the real end. */
	if (!done && !final)
		return -ENOMSG;
	return done;
}

/**
 * vfio_mig_stream_write() - hand the next bytes of a stream to the device
 * @mig: the migration device, not locked
 * @chan: the channel writing, which must own the load session
 * @buf: user buffer
 * @len: its size
 *
 * Return: bytes consumed; -EFAULT; -ENODEV (v2) or -EBUSY / -EINVAL
 * (management) once @chan has no load session; or the decoder's (or
 * device's) error, which puts the device in the error state.
 */
ssize_t vfio_mig_stream_write(struct vfio_mig_device *mig,
			      struct vfio_mig_chan *chan,
			      const char __user *buf, size_t len)
{
	struct vfio_mig_stage *st = &chan->stage;
	ssize_t done = 0;
	size_t n;
	int ret;

	while (len) {
		n = min(len, st->size);
		if (copy_from_user(st->buf, buf, n))
			return done ? done : -EFAULT;
		if (mutex_lock_killable(&mig->lock))
			return done ? done : -EINTR;
		if (mig->owner != chan) {
			ret = vfio_mig_stream_gone(mig, chan);
		} else if (!mig->load.active) {
			ret = -EINVAL;
		} else {
			/* Only this channel's I/O writes its buffer. */
			ret = vfio_mig_load_feed(mig, st->buf, n, true);
			if (ret)
				vfio_mig_fail(mig);
		}
		mutex_unlock(&mig->lock);
		/* A refused stream is reported at once, not at the next call. */
		if (ret)
			return ret;
		buf += n;
		len -= n;
		done += n;
		cond_resched();
	}
	return done;
}
