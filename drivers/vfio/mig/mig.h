/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_mig internals: the migration device, its channels and sessions.
 *
 * Ownership: a session (save or load) belongs to the one channel that
 * opened it (@owner): the v1 region, one v2 data fd, or one file of the
 * management channel. Every other channel gets -EBUSY for anything that
 * would read, write or change it. Documentation/driver-api/vfio-mig.rst
 * draws the rules.
 *
 * Locking: @lock serialises every state change, both sessions and the
 * staging of pieces. Device callbacks run under it; the device's own
 * locks nest inside. No user memory is touched under it: user copies
 * happen before it is taken or after it is dropped, into or out of a
 * buffer only the copying channel stages in. vfio_mig_mark_dirty() takes
 * no lock, so the device may call it from any context its writes happen
 * in.
 */
#ifndef _VFIO_MIG_MIG_H
#define _VFIO_MIG_MIG_H

#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/vfio_mig.h>
#include <uapi/linux/vfio_mig.h>

#include "dirty.h"
#include "stream.h"
#include "v1_state.h"
#include "v2_state.h"

/*
 * A warning about a device, by the name copied at creation: the parent
 * device behind vdev->dev may be gone while a data fd still holds us.
 */
#define vfio_mig_warn(mig, fmt, ...)					\
	pr_warn_ratelimited("vfio_mig %s: " fmt, (mig)->name, ##__VA_ARGS__)

/* The region: the v1 header in the first page, the data window after it. */
#define VFIO_MIG_WINDOW_OFFSET	PAGE_SIZE

/**
 * struct vfio_mig_stage - a buffer a channel stages stream pieces in
 * @buf: the bytes: the v1 window, or a channel's private memory
 * @size: room at @buf
 * @len: bytes of the current piece
 * @pos: of them, already taken by the user
 */
struct vfio_mig_stage {
	void *buf;
	size_t size;
	size_t len;
	size_t pos;
};

/* The three kinds of channel that can carry a migration session. */
enum vfio_mig_chan_kind {
	VFIO_MIG_CHAN_V1,	/* the device fd's migration region */
	VFIO_MIG_CHAN_V2,	/* a v2 data fd; the device fd drives it */
	VFIO_MIG_CHAN_MGMT,	/* one open file of /dev/vfio-mig */
};

/**
 * struct vfio_mig_chan - one channel that may own a session
 * @kind: enum vfio_mig_chan_kind
 * @stage: where its saved pieces are staged; for the v1 region the data
 *	window (the v1 user's own, it may map it), for the others memory
 *	no user can reach
 */
struct vfio_mig_chan {
	enum vfio_mig_chan_kind kind;
	struct vfio_mig_stage stage;
};

struct vfio_mig_save {
	bool active;
	bool final;
	bool header_sent;
	bool end_sent;
	u32 once_sent;		/* bit per section index */
	unsigned int sec;	/* iterative section being harvested */
	size_t cursor;		/* chunk cursor in that section */
	u32 rounds;		/* rounds begun after the first */
	struct vfio_mig_enc enc;
};

struct vfio_mig_load {
	bool active;
	u8 *stage;
	unsigned long *coverage;
	struct vfio_mig_dec dec;
};

/* What a transition did, for the channel that asked (a bit each). */
#define VFIO_MIG_DID_OPEN	BIT(0)	/* a session began */
#define VFIO_MIG_DID_CLOSE	BIT(1)	/* the session ended */

struct vfio_mig_file;

struct vfio_mig_device {
	struct vfio_device *vdev;
	const struct vfio_mig_ops *ops;
	const struct vfio_mig_section *sections;
	unsigned int nr_sections;
	struct vfio_mig_desc desc;
	unsigned int region_index;
	u64 region_offset;
	bool ndma;
	bool out_of_band;
	struct module *module;		/* the vendor driver's */
	char name[64];			/* dev_name() of the device, copied */
	struct list_head node;		/* in the registry, found by name */
	/*
	 * vdev->mig_ops points here: the v2 ops find this device from
	 * their vfio_device with container_of(), no lookup.
	 */
	struct vfio_migration_ops v2_ops;

	struct mutex lock;		/* see the top of this file */
	bool open;			/* between vfio_mig_open() and _close() */
	u32 state;			/* v1 device_state */
	enum vfio_mig_run_level level;
	bool logging;

	void *window;			/* the v1 data window, while open */
	size_t window_size;

	/* One dirty log per section; only iterative ones have bits. */
	struct vfio_mig_dirty dirty[VFIO_MIG_MAX_SECTIONS];

	struct vfio_mig_save save;
	struct vfio_mig_load load;
	struct vfio_mig_chan *owner;	/* of the session, NULL without one */
	u64 session;			/* bumped when a session begins */
	struct vfio_mig_chan v1;	/* the migration region */
	struct vfio_mig_chan v2;	/* v2 requests through the device fd */
	struct vfio_mig_file *file;	/* the v2 data fd of the session */
	wait_queue_head_t poll_wq;	/* data to read, or the session ended */
};

/* core.c */
struct vfio_mig_device *vfio_mig_get_by_name(const char *name);
int vfio_mig_hold(struct vfio_mig_device *mig);
void vfio_mig_put(struct vfio_mig_device *mig);

/* stream_io.c */
ssize_t vfio_mig_stream_read(struct vfio_mig_device *mig,
			     struct vfio_mig_chan *chan, char __user *buf,
			     size_t len);
ssize_t vfio_mig_stream_write(struct vfio_mig_device *mig,
			      struct vfio_mig_chan *chan,
			      const char __user *buf, size_t len);

/* mgmt.c */
int vfio_mig_mgmt_init(void);
void vfio_mig_mgmt_exit(void);

/* transition.c */
bool vfio_mig_may_drive(struct vfio_mig_device *mig,
			const struct vfio_mig_chan *who);
int vfio_mig_set_state(struct vfio_mig_device *mig, u32 new_state,
		       struct vfio_mig_chan *who, unsigned int *did);
void vfio_mig_fail(struct vfio_mig_device *mig);
void vfio_mig_end_session(struct vfio_mig_device *mig);
void vfio_mig_to_running(struct vfio_mig_device *mig);

/* save.c */
int vfio_mig_save_begin(struct vfio_mig_device *mig, bool precopy);
void vfio_mig_save_final(struct vfio_mig_device *mig);
void vfio_mig_save_end(struct vfio_mig_device *mig);
u64 vfio_mig_save_pending(struct vfio_mig_device *mig);
u64 vfio_mig_save_round_left(struct vfio_mig_device *mig);
u64 vfio_mig_save_unread(struct vfio_mig_device *mig);
u64 vfio_mig_stop_copy_size(struct vfio_mig_device *mig);
ssize_t vfio_mig_save_next(struct vfio_mig_device *mig, void *buf,
			   size_t len);

/* load.c */
int vfio_mig_load_begin(struct vfio_mig_device *mig);
int vfio_mig_load_feed(struct vfio_mig_device *mig, const void *buf,
		       size_t len, bool stable);
int vfio_mig_load_commit(struct vfio_mig_device *mig);
void vfio_mig_load_end(struct vfio_mig_device *mig);

/* v2.c */
void vfio_mig_v2_init(struct vfio_mig_device *mig);
void vfio_mig_v2_exit(struct vfio_mig_device *mig);
void vfio_mig_v2_disable_file(struct vfio_mig_device *mig);

#endif /* _VFIO_MIG_MIG_H */
