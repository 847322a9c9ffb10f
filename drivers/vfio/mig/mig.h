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
	struct vfio_mig_enc enc;
};

struct vfio_mig_load {
	bool active;
	u8 *stage;
	unsigned long *coverage;
	struct vfio_mig_dec dec;
};

struct vfio_mig_device {
	struct vfio_device *vdev;
	const struct vfio_mig_ops *ops;
	const struct vfio_mig_section *sections;
	unsigned int nr_sections;
	struct vfio_mig_desc desc;
	unsigned int region_index;
	u64 region_offset;
	bool ndma;

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

	/* Statistics, for the debug view and benchmarks. */
	u64 stat_saved_bytes;
	u64 stat_loaded_bytes;
	u64 stat_rounds;
};

/* transition.c */
int vfio_mig_set_v1_state(struct vfio_mig_device *mig, u32 new_state);
void vfio_mig_fail(struct vfio_mig_device *mig);
void vfio_mig_stop_sessions(struct vfio_mig_device *mig);

/* save.c */
int vfio_mig_save_begin(struct vfio_mig_device *mig, bool precopy);
void vfio_mig_save_final(struct vfio_mig_device *mig);
void vfio_mig_save_end(struct vfio_mig_device *mig);
u64 vfio_mig_save_pending(struct vfio_mig_device *mig);
ssize_t vfio_mig_save_next(struct vfio_mig_device *mig, void *buf,
			   size_t len);

/* load.c */
int vfio_mig_load_begin(struct vfio_mig_device *mig);
int vfio_mig_load_feed(struct vfio_mig_device *mig, const void *buf,
		       size_t len);
int vfio_mig_load_commit(struct vfio_mig_device *mig);
void vfio_mig_load_end(struct vfio_mig_device *mig);

#endif /* _VFIO_MIG_MIG_H */
