// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the migration channel of /dev/vfio-mig, the management channel
 * an out-of-band agent drives. A file selects one device by name, then
 * speaks the v1 states with ioctls and carries the stream with read() and
 * write().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_mig_chan.h"

#define MGMT_PIECE	(1024UL * 1024)

static int mgmt_fail(const char *what, uint32_t state)
{
	int err = -errno;

	if (what)
		return vfio_set_error(err, "/dev/vfio-mig: %s", what);
	return vfio_set_error(err, "/dev/vfio-mig: set the state to %s",
			      vfio_mig_v2_state_name(state));
}

static int mgmt_set_state(struct vfio_mig_chan *c, uint32_t state)
{
	struct vfio_mig_mgmt_state st = { .argsz = sizeof(st) };
	int ret;

	ret = vfio_mig_chan_v1_state(state, &st.device_state);
	if (ret)
		return ret;
	if (ioctl(c->fd, VFIO_MIG_MGMT_SET_STATE, &st))
		return mgmt_fail(NULL, state);
	c->state = state;
	return 0;
}

static int mgmt_get_state(struct vfio_mig_chan *c, uint32_t *state)
{
	struct vfio_mig_mgmt_state st = { .argsz = sizeof(st) };

	if (ioctl(c->fd, VFIO_MIG_MGMT_GET_STATE, &st))
		return mgmt_fail("get the state", 0);
	*state = vfio_mig_chan_from_v1(st.device_state);
	return 0;
}

static ssize_t mgmt_read(struct vfio_mig_chan *c, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(c->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOMSG)
		return -ENOMSG;
	if (n < 0)
		return mgmt_fail("read the stream", 0);
	return n;
}

static int mgmt_write(struct vfio_mig_chan *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(c->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mgmt_fail("write the stream", 0);
		if (!n)
			return vfio_set_error(-EIO,
					      "/dev/vfio-mig took nothing of %zu bytes",
					      len);
		p += n;
		len -= n;
	}
	return 0;
}

int vfio_mig_chan_mgmt_info(struct vfio_mig_chan *c,
			    struct vfio_mig_mgmt_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (ioctl(c->fd, VFIO_MIG_MGMT_INFO, info))
		return mgmt_fail("VFIO_MIG_MGMT_INFO", 0);
	return 0;
}

static int mgmt_pending(struct vfio_mig_chan *c, uint64_t *bytes)
{
	struct vfio_mig_mgmt_info info;
	int ret;

	ret = vfio_mig_chan_mgmt_info(c, &info);
	if (!ret)
		*bytes = info.pending_bytes;
	return ret;
}

static void mgmt_close(struct vfio_mig_chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static const struct vfio_mig_chan_ops mgmt_ops = {
	.set_state = mgmt_set_state,
	.get_state = mgmt_get_state,
	.read = mgmt_read,
	.write = mgmt_write,
	.pending = mgmt_pending,
	.close = mgmt_close,
};

int vfio_mig_chan_mgmt(struct vfio_mig_chan *c, const char *name)
{
	struct vfio_mig_mgmt_select sel = { .argsz = sizeof(sel) };
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(name) >= sizeof(sel.name))
		return vfio_set_error(-ENAMETOOLONG,
				      "device name \"%s\" is too long", name);
	snprintf(sel.name, sizeof(sel.name), "%s", name);
	c->fd = open(VFIO_MIG_MGMT_PATH, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return mgmt_fail("open", 0);
	if (ioctl(c->fd, VFIO_MIG_MGMT_SELECT, &sel)) {
		ret = vfio_set_error(-errno, "/dev/vfio-mig: select %s", name);
		mgmt_close(c);
		return ret;
	}
	c->ops = &mgmt_ops;
	c->kind = "management channel";
	c->precopy = true;
	c->piece = MGMT_PIECE;
	c->state = VFIO_DEVICE_STATE_RUNNING;
	mgmt_get_state(c, &c->state);
	return 0;
}
