// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the migration channel of a v1 migration region.
 *
 * The region hands out a stream in chunks: read pending_bytes, read
 * data_offset (which stages a chunk), data_size, then the data; the next
 * pending_bytes read acknowledges it. A read of the channel copies out of
 * the staged chunk and stages the next one only when it is used up, so
 * reads of any size lose nothing.
 */
#include <errno.h>
#include <string.h>

#include "vfio_mig_chan.h"

static bool saving(uint32_t state)
{
	return state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
	       state == VFIO_DEVICE_STATE_STOP_COPY;
}

static int v1_set_state(struct vfio_mig_chan *c, uint32_t state)
{
	uint32_t v1;
	int ret;

	ret = vfio_mig_chan_v1_state(state, &v1);
	if (!ret && (v1 & VFIO_DEVICE_STATE_V1_NDMA) && !c->v1.mig.ndma)
		ret = vfio_set_error(-EOPNOTSUPP,
				     "%s: the region offers no NDMA for %s",
				     c->v1.mig.dev->name,
				     vfio_mig_v2_state_name(state));
	ret = ret ?: vfio_mig_v1_set_state(&c->v1.mig, v1);
	if (ret)
		return ret;
	/*
	 * From pre-copy to stop-copy the session goes on, and so does a
	 * chunk read only in part; any other change ends or starts one.
	 */
	if (!(saving(c->state) && saving(state))) {
		c->v1.staged = 0;
		c->v1.pos = 0;
	}
	c->state = state;
	return 0;
}

static int v1_get_state(struct vfio_mig_chan *c, uint32_t *state)
{
	uint32_t v1;
	int ret;

	ret = vfio_mig_v1_get_state(&c->v1.mig, &v1);
	if (!ret)
		*state = vfio_mig_chan_from_v1(v1);
	return ret;
}

/* Nothing to read now: the end in stop-and-copy, a pause in pre-copy. */
static ssize_t v1_nothing(struct vfio_mig_chan *c)
{
	if (c->state == VFIO_DEVICE_STATE_PRE_COPY ||
	    c->state == VFIO_DEVICE_STATE_PRE_COPY_P2P)
		return -ENOMSG;
	return 0;
}

static ssize_t v1_read(struct vfio_mig_chan *c, void *buf, size_t len)
{
	struct vfio_mig_v1 *m = &c->v1.mig;
	uint64_t n;
	int ret;

	if (c->v1.pos == c->v1.staged) {
		ret = vfio_mig_v1_pending(m, &c->v1.last_pending);
		if (ret)
			return ret;
		c->v1.staged = 0;
		c->v1.pos = 0;
		if (!c->v1.last_pending)
			return v1_nothing(c);
		ret = vfio_mig_v1_stage(m, &c->v1.off, &n);
		if (ret)
			return ret;
		if (!n && c->state == VFIO_DEVICE_STATE_STOP_COPY)
			return vfio_set_error(-EPROTO,
					      "%s: %llu bytes pending but no chunk staged",
					      m->dev->name,
					      (unsigned long long)c->v1.last_pending);
		if (!n)
			return v1_nothing(c);
		c->v1.staged = n;
	}
	n = c->v1.staged - c->v1.pos;
	if (n > len)
		n = len;
	ret = vfio_mig_v1_read_data(m, c->v1.off + c->v1.pos, buf, n);
	if (ret)
		return ret;
	c->v1.pos += n;
	return n;
}

static int v1_write(struct vfio_mig_chan *c, const void *buf, size_t len)
{
	return vfio_mig_v1_load_chunk(&c->v1.mig, buf, len);
}

static int v1_pending(struct vfio_mig_chan *c, uint64_t *bytes)
{
	/*
	 * A read of pending_bytes would acknowledge a chunk not read whole.
	 * In pre-copy the chunk may be longer than the pending_bytes read
	 * before it (the device staged what was dirtied in between), so at
	 * least the chunk's rest is left.
	 */
	if (c->v1.pos < c->v1.staged) {
		*bytes = (c->v1.last_pending > c->v1.staged ?
			  c->v1.last_pending : c->v1.staged) - c->v1.pos;
		return 0;
	}
	c->v1.staged = 0;
	c->v1.pos = 0;
	return vfio_mig_v1_pending(&c->v1.mig, bytes);
}

static void v1_close(struct vfio_mig_chan *c)
{
	vfio_mig_v1_close(&c->v1.mig);
}

static const struct vfio_mig_chan_ops v1_ops = {
	.set_state = v1_set_state,
	.get_state = v1_get_state,
	.read = v1_read,
	.write = v1_write,
	.pending = v1_pending,
	.close = v1_close,
};

int vfio_mig_chan_v1(struct vfio_mig_chan *c, struct vfio_dev *d,
		     bool mapped)
{
	struct vfio_mig_v1 *m = &c->v1.mig;
	uint32_t v1;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = vfio_mig_v1_open(m, d, mapped);
	if (ret)
		return ret;
	c->ops = &v1_ops;
	c->kind = m->window ? "mapped window" : "trapped window";
	c->precopy = true;
	c->piece = m->data_size ? m->data_size : m->region.size;
	c->state = VFIO_DEVICE_STATE_RUNNING;
	if (!vfio_mig_v1_get_state(m, &v1))
		c->state = vfio_mig_chan_from_v1(v1);
	return 0;
}
