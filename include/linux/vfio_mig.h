/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_mig: a migration framework for VFIO vendor drivers.
 *
 * A vendor driver describes its device state as sections and hands the
 * framework a few callbacks; the framework owns the protocol (the v1
 * migration region and its device_state machine), the migration stream
 * and the dirty bookkeeping. The driver never parses a device_state write
 * or a data_size field itself.
 */
#ifndef _LINUX_VFIO_MIG_H
#define _LINUX_VFIO_MIG_H

#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/vfio_mig_defs.h>

struct vfio_mig_device;
struct vm_area_struct;

/**
 * struct vfio_mig_section - one part of a device's state
 * @id: id of the section in the stream, unique in the device, <= 0xffff
 * @kind: enum vfio_mig_section_kind
 * @size: bytes; for a ONCE section the largest blob @save may produce
 *	(at most 64 KiB)
 * @save: ONCE: write the section into @buf (@len bytes of room) and
 *	return the bytes written or -errno. Called with the device stopped.
 * @load: ONCE: check a blob @save produced on the source and apply it;
 *	if it is not acceptable return -errno and apply nothing.
 * @read: ITERATIVE: copy [@off, @off + @len) of the section into @buf.
 * @write: ITERATIVE: copy @buf into [@off, @off + @len) of the section.
 *
 * Offsets and lengths handed to @read and @write lie inside the section.
 */
struct vfio_mig_section {
	u32 id;
	enum vfio_mig_section_kind kind;
	u64 size;
	int (*save)(struct vfio_device *vdev, void *buf, size_t len);
	int (*load)(struct vfio_device *vdev, const void *buf, size_t len);
	int (*read)(struct vfio_device *vdev, u64 off, void *buf, size_t len);
	int (*write)(struct vfio_device *vdev, u64 off, const void *buf,
		     size_t len);
};

/**
 * struct vfio_mig_ops - device callbacks
 * @set_run_level: make the device run, run without DMA, or stop. When it
 *	returns, nothing of a higher level may still be in flight: DMA that
 *	cannot finish is parked, and is part of the state saved afterwards.
 * @log_start: logging of the iterative sections starts: from now on every
 *	write the device or a user mapping makes to them must be reported
 *	with vfio_mig_mark_dirty(), after the write.
 * @log_stop: logging ended.
 * @log_protect: the framework is about to copy [@off, @off + @len) of
 *	section @id while logging: write-protect user mappings of it, so a
 *	later write through a mapping faults and is reported. Optional for
 *	devices whose iterative sections cannot be mapped.
 * @reset: VFIO_DEVICE_RESET through vfio_mig_reset(): put the device in
 *	its power-on state, at run level VFIO_MIG_RUNNING. Required. An
 *	error (-EINTR when a killable wait was cut short) leaves the
 *	device in the error state, at the run level it had: a reset that
 *	fails must not change the run level.
 *
 * All callbacks are called with the framework's lock held and may sleep;
 * they must not call back into the framework except vfio_mig_mark_dirty(),
 * and must not wait for anything a user controls (a user copy, a page a
 * user may fault slowly) other than killably.
 */
struct vfio_mig_ops {
	int (*set_run_level)(struct vfio_device *vdev,
			     enum vfio_mig_run_level level);
	int (*log_start)(struct vfio_device *vdev);
	void (*log_stop)(struct vfio_device *vdev);
	void (*log_protect)(struct vfio_device *vdev, u32 id, u64 off,
			    u64 len);
	int (*reset)(struct vfio_device *vdev);
};

/**
 * struct vfio_mig_config - what a vendor driver tells vfio_mig_create()
 * @device_type: name of the device type; a stream only loads into a device
 *	of the same type and section geometry (at most 31 characters)
 * @sections: the device's sections; must outlive the migration device
 * @nr_sections: entries in @sections (at most 8)
 * @ops: device callbacks
 * @region_index: VFIO region index of the migration region, the first
 *	index after the driver's own regions
 * @region_offset: offset of the region in the device file, as the driver
 *	encodes region offsets
 * @ndma: the device implements VFIO_MIG_RUNNING_NO_DMA
 * @out_of_band: the device offers no in-band migration (no region, no v2
 *	feature); only the management channel, /dev/vfio-mig, migrates it
 * @owner: the driver's module, held while a data channel holds the device
 */
struct vfio_mig_config {
	const char *device_type;
	const struct vfio_mig_section *sections;
	unsigned int nr_sections;
	const struct vfio_mig_ops *ops;
	unsigned int region_index;
	u64 region_offset;
	bool ndma;
	bool out_of_band;
	struct module *owner;
};

struct vfio_mig_device *vfio_mig_create(struct vfio_device *vdev,
					const struct vfio_mig_config *cfg);
void vfio_mig_destroy(struct vfio_mig_device *mig);

int vfio_mig_open(struct vfio_mig_device *mig);
void vfio_mig_close(struct vfio_mig_device *mig);
int vfio_mig_reset(struct vfio_mig_device *mig);

void vfio_mig_fill_device_info(struct vfio_mig_device *mig,
			       struct vfio_device_info *info);
bool vfio_mig_is_region(struct vfio_mig_device *mig, unsigned int index);
int vfio_mig_region_info(struct vfio_mig_device *mig,
			 struct vfio_region_info __user *arg);
ssize_t vfio_mig_region_rw(struct vfio_mig_device *mig, char __user *buf,
			   size_t count, loff_t *ppos, bool write);
int vfio_mig_region_mmap(struct vfio_mig_device *mig,
			 struct vm_area_struct *vma);

void vfio_mig_mark_dirty(struct vfio_mig_device *mig, u32 id, u64 off,
			 u64 len);

#endif /* _LINUX_VFIO_MIG_H */
