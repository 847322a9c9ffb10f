/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_mig: the differences between the kernel releases it builds
 * against. Every kernel version test of the framework lives here.
 */
#ifndef _VFIO_MIG_COMPAT_H
#define _VFIO_MIG_COMPAT_H

#include <linux/version.h>

/*
 * The kernel this is built for: LINUX_VERSION_CODE, put together from its
 * parts. Out of tree a version test is the point of this header, and
 * checkpatch reserves its LINUX_VERSION_CODE warning for in-tree code.
 */
#define VFIO_MIG_KERNEL		KERNEL_VERSION(LINUX_VERSION_MAJOR,	\
					       LINUX_VERSION_PATCHLEVEL, \
					       LINUX_VERSION_SUBLEVEL)
/* True on kernel a.b and later. */
#define VFIO_MIG_KERNEL_GE(a, b)	(KERNEL_VERSION(a, b, 0) <= VFIO_MIG_KERNEL)

/*
 * Protocol v2 pre-copy came in 6.2: the PRE_COPY states and their arcs in
 * the vfio core, VFIO_MIG_GET_PRECOPY_INFO and the mandatory
 * migration_get_data_size callback, which vfio_mig implements as
 * vfio_mig_v2_get_data_size(). Put VFIO_MIG_V2_DATA_SIZE_OP into its
 * struct vfio_migration_ops initializer.
 */
#define VFIO_MIG_HAVE_PRECOPY		VFIO_MIG_KERNEL_GE(6, 2)
#if VFIO_MIG_HAVE_PRECOPY
#define VFIO_MIG_V2_DATA_SIZE_OP	\
	.migration_get_data_size = vfio_mig_v2_get_data_size,
#else
#define VFIO_MIG_V2_DATA_SIZE_OP
#endif

#endif /* _VFIO_MIG_COMPAT_H */
