/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio: one migration channel, whatever carries it.
 *
 * A device's migration stream reaches user space in four ways: the v1
 * migration region (its data window mapped or trapped), the v2 data fd,
 * the management channel /dev/vfio-mig, and a migration plugin that
 * reaches an out-of-band agent. A struct vfio_mig_chan hides which: its
 * states are spelt by the uapi's enum vfio_device_mig_state (the v1
 * carriers translate), and its stream is read and written as bytes.
 *
 * Every op returns 0 (or a byte count) or a negative errno, and records a
 * message for vfio_errmsg() on failure. A channel is used from one thread
 * at a time.
 */
#ifndef _VFIO_MIG_CHAN_H
#define _VFIO_MIG_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio_migration.h"

/* The management channel's device node. */
#define VFIO_MIG_MGMT_PATH	"/dev/vfio-mig"

struct vfio_lm_plugin_ops;
struct vfio_mig_chan;

/**
 * struct vfio_mig_chan_ops - What a migration channel does.
 * @set_state: move the device to @state, an enum vfio_device_mig_state
 *	value. RUNNING, STOP, STOP_COPY and RESUMING are always offered;
 *	PRE_COPY where the carrier and the device have it (v1: RUNNING |
 *	SAVING); RUNNING_P2P and PRE_COPY_P2P where the device can quiesce
 *	its DMA (v1: the NDMA bit). Entering STOP_COPY, PRE_COPY or RESUMING
 *	starts a stream; RUNNING or STOP ends it.
 * @get_state: store the device's state; VFIO_DEVICE_STATE_ERROR when it
 *	needs a reset.
 * @read: while saving, copy up to @len bytes of the stream into @buf.
 *	Returns the count (> 0), 0 at the end of the stream (stop-and-copy),
 *	or -ENOMSG when nothing is pending now (pre-copy: read again after a
 *	while or move to STOP_COPY). A read never splits what the device
 *	produced in a way that loses bytes: the rest comes with the next.
 * @write: while resuming, hand all @len bytes to the device, in pieces the
 *	carrier chooses. Any split of a stream is accepted.
 * @pending: store the bytes the device still has to send: the v1 region's
 *	pending_bytes, the management channel's, a plugin's, or for v2 the
 *	pre-copy info (initial + dirty) in PRE_COPY and the stop-copy size
 *	estimate elsewhere.
 * @close: release the carrier's resources; the device and its state stay.
 */
struct vfio_mig_chan_ops {
	int (*set_state)(struct vfio_mig_chan *c, uint32_t state);
	int (*get_state)(struct vfio_mig_chan *c, uint32_t *state);
	ssize_t (*read)(struct vfio_mig_chan *c, void *buf, size_t len);
	int (*write)(struct vfio_mig_chan *c, const void *buf, size_t len);
	int (*pending)(struct vfio_mig_chan *c, uint64_t *bytes);
	void (*close)(struct vfio_mig_chan *c);
};

/**
 * struct vfio_mig_chan - A migration channel.
 * @ops: its operations.
 * @kind: what carries it: "mapped window", "trapped window", "v2 data fd",
 *	"management channel" or "plugin".
 * @piece: the most one read or write moves at once (the v1 window, the
 *	size QEMU reads a data fd in); a good buffer size.
 * @state: the last state set through the channel.
 * @precopy: the device can be pre-copied (PRE_COPY is offered).
 * @v1: the v1 region and the chunk being read out of it.
 * @v2: the device, its data fd (-1 without a stream) and its migration
 *	flags (VFIO_MIGRATION_*).
 * @fd: the management channel's file.
 * @plugin: the loaded plugin and its handle.
 */
struct vfio_mig_chan {
	const struct vfio_mig_chan_ops *ops;
	const char *kind;
	size_t piece;
	uint32_t state;
	bool precopy;
	union {
		struct {
			struct vfio_mig_v1 mig;
			uint64_t last_pending;
			uint64_t off;
			uint64_t staged;
			uint64_t pos;
		} v1;
		struct {
			struct vfio_dev *dev;
			int data_fd;
			uint64_t flags;
		} v2;
		int fd;
		struct {
			void *dl;
			const struct vfio_lm_plugin_ops *ops;
			void *handle;
			int version;
		} plugin;
	};
};

/**
 * vfio_mig_chan_v1() - A channel on a device's v1 migration region.
 * @c: filled on success.
 * @d: an open device.
 * @mapped: map the data window if the region allows it.
 *
 * Return: 0, or the errno of vfio_mig_v1_open().
 */
int vfio_mig_chan_v1(struct vfio_mig_chan *c, struct vfio_dev *d,
		     bool mapped);

/**
 * vfio_mig_chan_v2() - A channel on a device's protocol v2 feature.
 * @c: filled on success.
 * @d: an open device; it must stay open while @c is used.
 *
 * Return: 0, -ENOTTY if the device offers no v2 migration, or
 * -EOPNOTSUPP if it lacks STOP_COPY.
 */
int vfio_mig_chan_v2(struct vfio_mig_chan *c, struct vfio_dev *d);

/**
 * vfio_mig_chan_mgmt() - A channel on the management channel.
 * @c: filled on success.
 * @name: the device's name there (an mdev's UUID).
 *
 * Opens /dev/vfio-mig and selects @name.
 *
 * Return: 0 or the negative errno of the open or VFIO_MIG_MGMT_SELECT.
 */
int vfio_mig_chan_mgmt(struct vfio_mig_chan *c, const char *name);

/**
 * vfio_mig_chan_mgmt_info() - VFIO_MIG_MGMT_INFO of a management channel.
 * @c: a channel of vfio_mig_chan_mgmt().
 * @info: filled on success.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_chan_mgmt_info(struct vfio_mig_chan *c,
			    struct vfio_mig_mgmt_info *info);

/**
 * vfio_mig_chan_plugin() - A channel through a migration plugin.
 * @c: filled on success.
 * @path: the plugin's shared object.
 * @devid: the device's id for the plugin (an mdev's UUID).
 * @arg: the plugin's argument (for example the agent's address).
 *
 * Loads @path, checks its ABI version and ops, and calls its init().
 *
 * Return: 0, -ENOEXEC if the plugin cannot be used, or init()'s errno.
 */
int vfio_mig_chan_plugin(struct vfio_mig_chan *c, const char *path,
			 const char *devid, const char *arg);

/* The ops, called through the channel. */
static inline int vfio_mig_chan_set_state(struct vfio_mig_chan *c,
					  uint32_t state)
{
	return c->ops->set_state(c, state);
}

static inline int vfio_mig_chan_get_state(struct vfio_mig_chan *c,
					  uint32_t *state)
{
	return c->ops->get_state(c, state);
}

static inline ssize_t vfio_mig_chan_read(struct vfio_mig_chan *c, void *buf,
					 size_t len)
{
	return c->ops->read(c, buf, len);
}

static inline int vfio_mig_chan_write(struct vfio_mig_chan *c,
				      const void *buf, size_t len)
{
	return c->ops->write(c, buf, len);
}

static inline int vfio_mig_chan_pending(struct vfio_mig_chan *c,
					uint64_t *bytes)
{
	return c->ops->pending(c, bytes);
}

/**
 * vfio_mig_chan_close() - Release a channel; safe on a zeroed one.
 * @c: the channel.
 */
void vfio_mig_chan_close(struct vfio_mig_chan *c);

/**
 * vfio_mig_chan_v1_state() - A v1 device_state for a channel state.
 * @state: an enum vfio_device_mig_state value.
 * @v1: the VFIO_DEVICE_STATE_V1_* bits.
 *
 * Return: 0, or -EINVAL for a state v1 cannot express.
 */
int vfio_mig_chan_v1_state(uint32_t state, uint32_t *v1);

/**
 * vfio_mig_chan_from_v1() - The channel state of a v1 device_state.
 * @v1: VFIO_DEVICE_STATE_V1_* bits.
 *
 * Return: an enum vfio_device_mig_state value; VFIO_DEVICE_STATE_ERROR
 * for the error state and encodings that are not valid.
 */
uint32_t vfio_mig_chan_from_v1(uint32_t v1);

#endif /* _VFIO_MIG_CHAN_H */
