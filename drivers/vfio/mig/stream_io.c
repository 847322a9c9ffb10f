// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the stream as a byte stream, for the channels that carry it
 * through read() and write() (the v2 data fd and the management channel).
 *
 * Saving, the window stages one piece of the stream at a time and reads
 * drain it; resuming, writes go through the window to the decoder.
 */
#include <linux/uaccess.h>

#include "mig.h"

/**
 * vfio_mig_stream_read() - read the next bytes of the saved stream
 * @mig: the migration device, locked, with a save session
 * @buf: user buffer
 * @len: its size
 *
 * Return: bytes read; 0 at the end of the stream (stop-and-copy);
 * -ENOMSG when nothing is pending now (pre-copy); -EFAULT; or the
 * device's error, which puts it in the error state.
 */
ssize_t vfio_mig_stream_read(struct vfio_mig_device *mig, char __user *buf,
			     size_t len)
{
	struct vfio_mig_save *sv = &mig->save;
	ssize_t done = 0, n;

	lockdep_assert_held(&mig->lock);
	while (len) {
		if (sv->staged_pos == sv->staged) {
			n = vfio_mig_save_next(mig, mig->window,
					       mig->window_size);
			if (n < 0) {
				vfio_mig_fail(mig);
				return done ? done : n;
			}
			sv->staged = n;
			sv->staged_pos = 0;
			if (!n)
				break;
		}
		n = min_t(u64, len, sv->staged - sv->staged_pos);
		if (copy_to_user(buf, mig->window + sv->staged_pos, n))
			return done ? done : -EFAULT;
		sv->staged_pos += n;
		buf += n;
		len -= n;
		done += n;
	}
	/* Nothing now: the temporary end of pre-copy, or the real end. */
	if (!done && !sv->final)
		return -ENOMSG;
	return done;
}

/**
 * vfio_mig_stream_write() - hand the next bytes of a stream to the device
 * @mig: the migration device, locked, with a load session
 * @buf: user buffer
 * @len: its size
 *
 * Return: @len; -EFAULT; or the decoder's (or device's) error, which puts
 * the device in the error state.
 */
ssize_t vfio_mig_stream_write(struct vfio_mig_device *mig,
			      const char __user *buf, size_t len)
{
	ssize_t done = 0;
	size_t n;
	int ret;

	lockdep_assert_held(&mig->lock);
	while (len) {
		n = min(len, mig->window_size);
		if (copy_from_user(mig->window, buf, n))
			return done ? done : -EFAULT;
		ret = vfio_mig_load_feed(mig, mig->window, n);
		if (ret) {
			vfio_mig_fail(mig);
			return ret;
		}
		buf += n;
		len -= n;
		done += n;
	}
	return done;
}
