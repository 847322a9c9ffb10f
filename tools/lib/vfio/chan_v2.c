// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the migration channel of protocol v2 (VFIO_DEVICE_FEATURE and
 * the data fd the kernel hands out with a saving or resuming state).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vfio_mig_chan.h"

/* What QEMU reads a data fd in, and what the channel suggests. */
#define V2_PIECE	(1024UL * 1024)

static void v2_drop_fd(struct vfio_mig_chan *c)
{
	if (c->v2.data_fd >= 0)
		close(c->v2.data_fd);
	c->v2.data_fd = -1;
}

static int v2_set_state(struct vfio_mig_chan *c, uint32_t state)
{
	int ret, fd;

	ret = vfio_mig_v2_set_state(c->v2.dev, state, &fd);
	if (ret)
		return ret;
	c->state = state;
	if (fd >= 0) {
		v2_drop_fd(c);
		c->v2.data_fd = fd;
	} else if (state != VFIO_DEVICE_STATE_PRE_COPY &&
		   state != VFIO_DEVICE_STATE_PRE_COPY_P2P &&
		   state != VFIO_DEVICE_STATE_STOP_COPY) {
		/* The session ended: the kernel disabled its fd. */
		v2_drop_fd(c);
	}
	return 0;
}

static int v2_get_state(struct vfio_mig_chan *c, uint32_t *state)
{
	return vfio_mig_v2_get_state(c->v2.dev, state);
}

static int v2_no_stream(struct vfio_mig_chan *c)
{
	return vfio_set_error(-EBADF, "%s: no data fd: the device is %s",
			      c->v2.dev->name,
			      vfio_mig_v2_state_name(c->state));
}

static ssize_t v2_read(struct vfio_mig_chan *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->v2.data_fd < 0)
		return v2_no_stream(c);
	do {
		n = read(c->v2.data_fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOMSG)
		return -ENOMSG;
	if (n < 0)
		return vfio_set_error(-errno, "%s: read the data fd",
				      c->v2.dev->name);
	return n;
}

static int v2_write(struct vfio_mig_chan *c, const void *buf, size_t len)
{
	if (c->v2.data_fd < 0)
		return v2_no_stream(c);
	return vfio_mig_v2_write_all(c->v2.data_fd, buf, len, 0);
}

static int v2_pending(struct vfio_mig_chan *c, uint64_t *bytes)
{
	uint64_t initial, dirty;
	int ret;

	if (c->v2.data_fd >= 0 &&
	    (c->state == VFIO_DEVICE_STATE_PRE_COPY ||
	     c->state == VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		ret = vfio_mig_v2_precopy_info(c->v2.data_fd, &initial,
					       &dirty);
		if (!ret)
			*bytes = initial + dirty;
		return ret;
	}
	return vfio_mig_v2_stop_copy_size(c->v2.dev, bytes);
}

static void v2_close(struct vfio_mig_chan *c)
{
	v2_drop_fd(c);
}

static const struct vfio_mig_chan_ops v2_ops = {
	.set_state = v2_set_state,
	.get_state = v2_get_state,
	.read = v2_read,
	.write = v2_write,
	.pending = v2_pending,
	.close = v2_close,
};

int vfio_mig_chan_v2(struct vfio_mig_chan *c, struct vfio_dev *d)
{
	uint64_t flags;
	int ret;

	memset(c, 0, sizeof(*c));
	c->v2.data_fd = -1;
	ret = vfio_mig_v2_flags(d, &flags);
	if (ret)
		return ret;
	if (!(flags & VFIO_MIGRATION_STOP_COPY))
		return vfio_set_error(-EOPNOTSUPP,
				      "%s: the v2 migration flags 0x%llx lack STOP_COPY",
				      d->name, (unsigned long long)flags);
	c->ops = &v2_ops;
	c->kind = "v2 data fd";
	c->precopy = flags & VFIO_MIGRATION_PRE_COPY;
	c->v2.flags = flags;
	c->piece = V2_PIECE;
	c->v2.dev = d;
	c->state = VFIO_DEVICE_STATE_RUNNING;
	vfio_mig_v2_get_state(d, &c->state);
	return 0;
}
