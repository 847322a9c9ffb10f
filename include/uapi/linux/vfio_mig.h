/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VFIO migration region, protocol v1: the ABI served by vfio_mig.ko.
 *
 * The numbers are those of Linux 5.8's <linux/vfio.h>. Linux 5.18 and later
 * keep them under *_DEPRECATED names (and reuse VFIO_DEVICE_STATE_RUNNING and
 * friends for protocol v2), so every definition here is guarded: this header
 * only fills in what the <linux/vfio.h> it is built with does not have.
 */
#ifndef _UAPI_LINUX_VFIO_MIG_H
#define _UAPI_LINUX_VFIO_MIG_H

#include <linux/types.h>
#include <linux/vfio.h>

/* Region type and subtype, found through VFIO_REGION_INFO_CAP_TYPE. */
#ifndef VFIO_REGION_TYPE_MIGRATION
#define VFIO_REGION_TYPE_MIGRATION		(3)
#define VFIO_REGION_SUBTYPE_MIGRATION		(1)
#endif

#if !defined(VFIO_REGION_TYPE_MIGRATION_DEPRECATED) && \
	!defined(VFIO_DEVICE_STATE_MASK)
/**
 * struct vfio_device_migration_info - header at offset 0 of the region
 * @device_state: VFIO_DEVICE_STATE_V1_* bits; written to change state
 * @reserved: reads as 0
 * @pending_bytes: bytes the device still has to send (read only)
 * @data_offset: offset of the data window in the region; reading it stages
 *	the next chunk while saving (read only)
 * @data_size: bytes in the staged chunk while saving; written while
 *	resuming to hand a chunk to the device
 *
 * Each field is accessed only at its natural width and alignment.
 */
struct vfio_device_migration_info {
	__u32 device_state;
	__u32 reserved;
	__aligned_u64 pending_bytes;
	__aligned_u64 data_offset;
	__aligned_u64 data_size;
};
#endif

/* device_state bits: the Linux 5.8 values under their 5.18+ names. */
#ifndef VFIO_DEVICE_STATE_V1_RUNNING
#define VFIO_DEVICE_STATE_V1_STOP		(0)
#define VFIO_DEVICE_STATE_V1_RUNNING		(1 << 0)
#define VFIO_DEVICE_STATE_V1_SAVING		(1 << 1)
#define VFIO_DEVICE_STATE_V1_RESUMING		(1 << 2)
#endif

#ifndef VFIO_DEVICE_STATE_MASK
#define VFIO_DEVICE_STATE_MASK	(VFIO_DEVICE_STATE_V1_RUNNING | \
				 VFIO_DEVICE_STATE_V1_SAVING | \
				 VFIO_DEVICE_STATE_V1_RESUMING)

/* RESUMING must stand alone: of the eight encodings, 0 to 4 are valid. */
#define VFIO_DEVICE_STATE_VALID(state) \
	((0x1f >> ((state) & VFIO_DEVICE_STATE_MASK)) & 1)

#define VFIO_DEVICE_STATE_IS_ERROR(state) \
	(((state) & VFIO_DEVICE_STATE_MASK) == (VFIO_DEVICE_STATE_V1_SAVING | \
						VFIO_DEVICE_STATE_V1_RESUMING))

#define VFIO_DEVICE_STATE_SET_ERROR(state) \
	(((state) & ~VFIO_DEVICE_STATE_MASK) | VFIO_DEVICE_STATE_V1_SAVING | \
	 VFIO_DEVICE_STATE_V1_RESUMING)
#endif

/*
 * NDMA: with RUNNING set, the device issues no DMA and raises no interrupt
 * but still serves MMIO. Offered only by a region that carries the
 * VFIO_REGION_INFO_CAP_MIGRATION_NDMA capability (a bare
 * struct vfio_info_cap_header).
 */
#ifndef VFIO_DEVICE_STATE_V1_NDMA
#define VFIO_DEVICE_STATE_V1_NDMA		(1 << 3)
#endif
#ifndef VFIO_REGION_INFO_CAP_MIGRATION_NDMA
#define VFIO_REGION_INFO_CAP_MIGRATION_NDMA	6
#endif

/*
 * The management channel, /dev/vfio-mig (root only): the back channel an
 * out-of-band agent uses to migrate a device that offers no in-band
 * interface. A file selects one device by name (the mdev UUID), then
 * drives the same device_state machine as the v1 region (VFIO_DEVICE_STATE_V1_*
 * values, same arcs) and carries the same stream: read() while saving
 * (0 at the end of stop-and-copy, ENOMSG when nothing is pending in
 * pre-copy), write() while resuming. Ioctls take their struct's size in
 * argsz, like VFIO's.
 */
#define VFIO_MIG_MGMT_NAME_LEN			64

/**
 * struct vfio_mig_mgmt_select - VFIO_MIG_MGMT_SELECT
 * @argsz: size of this structure
 * @flags: 0
 * @name: the device's name, NUL terminated (an mdev's UUID)
 */
struct vfio_mig_mgmt_select {
	__u32 argsz;
	__u32 flags;
	char name[VFIO_MIG_MGMT_NAME_LEN];
};

#define VFIO_MIG_MGMT_SELECT			_IO(VFIO_TYPE, VFIO_BASE + 100)

/**
 * struct vfio_mig_mgmt_state - VFIO_MIG_MGMT_GET_STATE / _SET_STATE
 * @argsz: size of this structure
 * @device_state: VFIO_DEVICE_STATE_V1_* bits, as in the v1 region
 */
struct vfio_mig_mgmt_state {
	__u32 argsz;
	__u32 device_state;
};

#define VFIO_MIG_MGMT_GET_STATE			_IO(VFIO_TYPE, VFIO_BASE + 101)
#define VFIO_MIG_MGMT_SET_STATE			_IO(VFIO_TYPE, VFIO_BASE + 102)

/**
 * struct vfio_mig_mgmt_info - VFIO_MIG_MGMT_INFO
 * @argsz: size of this structure
 * @flags: VFIO_MIG_MGMT_INFO_INBAND if the device also migrates in band
 * @pending_bytes: bytes still to be read while saving, as the v1 region's
 *	pending_bytes (a staged piece not read yet included)
 * @stop_copy_bytes: estimated size of a stop-and-copy now
 * @device_type: the device type a stream carries, NUL terminated
 */
struct vfio_mig_mgmt_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_MIG_MGMT_INFO_INBAND		(1 << 0)
	__aligned_u64 pending_bytes;
	__aligned_u64 stop_copy_bytes;
	char device_type[32];
};

#define VFIO_MIG_MGMT_INFO			_IO(VFIO_TYPE, VFIO_BASE + 103)

/*
 * Protocol v2 pre-copy (Linux 6.2): headers of older kernels (Debian 12's
 * linux-libc-dev is 6.1) lack the PRE_COPY states, the precopy info ioctl
 * and the stop-copy size feature. They arrived together with
 * VFIO_MIGRATION_PRE_COPY, which therefore guards them all.
 */
#ifndef VFIO_MIGRATION_PRE_COPY
#define VFIO_MIGRATION_PRE_COPY			(1 << 2)
#define VFIO_DEVICE_STATE_PRE_COPY		6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P		7

/**
 * struct vfio_precopy_info - VFIO_MIG_GET_PRECOPY_INFO on a saving data fd
 * @argsz: size of this structure
 * @flags: 0
 * @initial_bytes: initial pre-copy data not read yet
 * @dirty_bytes: data dirtied since it was read
 */
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

#define VFIO_MIG_GET_PRECOPY_INFO		_IO(VFIO_TYPE, VFIO_BASE + 21)

/**
 * struct vfio_device_feature_mig_data_size - VFIO_DEVICE_FEATURE_MIG_DATA_SIZE
 * @stop_copy_length: estimated bytes the stop-copy phase would produce
 */
struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};

#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE	9
#endif

#endif /* _UAPI_LINUX_VFIO_MIG_H */
