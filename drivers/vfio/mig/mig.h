/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_mig internals: the migration device, its save and load sessions.
 *
 * Locking: @lock serialises every access to the migration region, every
 * state change and both sessions. Device callbacks run under it; the
 * device's own locks nest inside. vfio_mig_mark_dirty() takes no lock, so
 * the device may call it from any context its writes happen in.
 */
#ifndef _VFIO_MIG_MIG_H
#define _VFIO_MIG_MIG_H

#include <linux/mutex.h>
#include <linux/vfio_mig.h>
#include <uapi/linux/vfio_mig.h>

#include "dirty.h"
#include "stream.h"
#include "v1_state.h"
#include "v2_state.h"

/* The region: the v1 header in the first page, the data window after it. */
#define VFIO_MIG_WINDOW_OFFSET	PAGE_SIZE

struct vfio_mig_save {
	bool active;
	bool final;
	bool header_sent;
	bool end_sent;
	u32 once_sent;		/* bit per section index */
	unsigned int sec;	/* iterative section being harvested */
	size_t cursor;		/* chunk cursor in that section */
	u64 staged;		/* bytes staged in the window, not acked */
	u64 staged_pos;		/* of them, read through a v2 data fd */
	u32 rounds;		/* rounds begun after the first */
	struct vfio_mig_enc enc;
};

struct vfio_mig_load {
	bool active;
	u8 *stage;
	unsigned long *coverage;
	struct vfio_mig_dec dec;
};

/* Which protocol a session belongs to: the other one must wait. */
enum vfio_mig_owner {
	VFIO_MIG_OWNER_NONE,
	VFIO_MIG_OWNER_V1,
	VFIO_MIG_OWNER_V2,
	VFIO_MIG_OWNER_MGMT,
};

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
	struct list_head node;		/* in the registry */

	struct mutex lock;		/* see the top of this file */
	u32 state;			/* v1 device_state */
	enum vfio_mig_run_level level;
	bool logging;

	void *window;			/* vmalloc_user(), mmappable */
	size_t window_size;

	/* One dirty log per section; only iterative ones have bits. */
	struct vfio_mig_dirty dirty[VFIO_MIG_MAX_SECTIONS];

	struct vfio_mig_save save;
	struct vfio_mig_load load;
	enum vfio_mig_owner owner;	/* of the session, if any */
	struct vfio_mig_file *file;	/* the v2 data fd of the session */

	/* Statistics, for the debug view and benchmarks. */
	u64 stat_saved_bytes;
	u64 stat_loaded_bytes;
	u64 stat_rounds;
};

/* core.c */
struct vfio_mig_device *vfio_mig_find(struct vfio_device *vdev);
struct vfio_mig_device *vfio_mig_get_by_name(const char *name);
int vfio_mig_hold(struct vfio_mig_device *mig);
void vfio_mig_put(struct vfio_mig_device *mig);

/* stream_io.c */
ssize_t vfio_mig_stream_read(struct vfio_mig_device *mig, char __user *buf,
			     size_t len);
ssize_t vfio_mig_stream_write(struct vfio_mig_device *mig,
			      const char __user *buf, size_t len);

/* mgmt.c */
int vfio_mig_mgmt_init(void);
void vfio_mig_mgmt_exit(void);

/* transition.c */
int vfio_mig_set_state(struct vfio_mig_device *mig, u32 new_state,
		       enum vfio_mig_owner who);
void vfio_mig_fail(struct vfio_mig_device *mig);
void vfio_mig_stop_sessions(struct vfio_mig_device *mig);

/* save.c */
int vfio_mig_save_begin(struct vfio_mig_device *mig, bool precopy);
void vfio_mig_save_final(struct vfio_mig_device *mig);
void vfio_mig_save_end(struct vfio_mig_device *mig);
u64 vfio_mig_save_pending(struct vfio_mig_device *mig);
u64 vfio_mig_stop_copy_size(struct vfio_mig_device *mig);
ssize_t vfio_mig_save_next(struct vfio_mig_device *mig, void *buf,
			   size_t len);

/* load.c */
int vfio_mig_load_begin(struct vfio_mig_device *mig);
int vfio_mig_load_feed(struct vfio_mig_device *mig, const void *buf,
		       size_t len);
int vfio_mig_load_commit(struct vfio_mig_device *mig);
void vfio_mig_load_end(struct vfio_mig_device *mig);

/* v2.c */
void vfio_mig_v2_init(struct vfio_mig_device *mig);
void vfio_mig_v2_exit(struct vfio_mig_device *mig);
void vfio_mig_v2_disable_file(struct vfio_mig_device *mig);

#endif /* _VFIO_MIG_MIG_H */
