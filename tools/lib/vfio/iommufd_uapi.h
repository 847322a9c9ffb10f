/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio: the parts of the iommufd and VFIO device cdev uAPI it uses
 * (Linux 6.6 and later), for user-space headers older than that: Debian
 * 12's linux-libc-dev is 6.1, which has neither <linux/iommufd.h> nor the
 * cdev ioctls. The values are the kernel's ABI and cannot change.
 */
#ifndef _VFIO_LIB_IOMMUFD_UAPI_H
#define _VFIO_LIB_IOMMUFD_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE			(';')

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_MAP_FIXED_IOVA	0x1
#define IOMMU_IOAS_MAP_WRITEABLE	0x2
#define IOMMU_IOAS_MAP_READABLE		0x4

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_ALLOC		_IO(IOMMUFD_TYPE, 0x81)
#define IOMMU_IOAS_MAP			_IO(IOMMUFD_TYPE, 0x85)
#define IOMMU_IOAS_UNMAP		_IO(IOMMUFD_TYPE, 0x86)
#endif /* IOMMUFD_TYPE */

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};

#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)
#endif /* VFIO_DEVICE_BIND_IOMMUFD */

#endif /* _VFIO_LIB_IOMMUFD_UAPI_H */
