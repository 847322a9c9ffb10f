/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mdma: the differences between the kernel releases it builds against.
 * Every kernel version test of the sample lives here; the rest of it
 * calls the helpers below and reads the same on every supported kernel.
 */
#ifndef _MDMA_COMPAT_H
#define _MDMA_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/version.h>
#include <linux/vfio.h>

/*
 * The kernel this is built for: LINUX_VERSION_CODE, put together from its
 * parts. Out of tree a version test is the point of this header, and
 * checkpatch reserves its LINUX_VERSION_CODE warning for in-tree code.
 */
#define MDMA_KERNEL		KERNEL_VERSION(LINUX_VERSION_MAJOR,	\
					       LINUX_VERSION_PATCHLEVEL, \
					       LINUX_VERSION_SUBLEVEL)
/* True on kernel a.b and later. */
#define MDMA_KERNEL_GE(a, b)	(KERNEL_VERSION(a, b, 0) <= MDMA_KERNEL)

/* eventfd_signal() lost its count argument in 6.8. */
static inline void mdma_eventfd_signal(struct eventfd_ctx *ctx)
{
#if MDMA_KERNEL_GE(6, 8)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* class_create() lost its owner argument in 6.4. */
static inline struct class *mdma_class_create(const char *name)
{
#if MDMA_KERNEL_GE(6, 4)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/* vma->vm_flags became read-only behind accessors in 6.3. */
static inline void mdma_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if MDMA_KERNEL_GE(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * With CONFIG_IOMMUFD a device that uses an emulated IOMMU must provide
 * the iommufd callbacks (6.2 added bind/unbind/attach_ioas, 6.6 added
 * detach_ioas); vfio supplies ready-made ones for such devices. Put
 * MDMA_EMULATED_IOMMUFD_OPS into a struct vfio_device_ops initializer.
 * Without iommufd the legacy container is the only way in and the fields
 * stay NULL.
 */
#if IS_ENABLED(CONFIG_IOMMUFD) && \
	MDMA_KERNEL_GE(6, 6)
#define MDMA_EMULATED_IOMMUFD_OPS				\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#elif IS_ENABLED(CONFIG_IOMMUFD) && \
	MDMA_KERNEL_GE(6, 2)
#define MDMA_EMULATED_IOMMUFD_OPS				\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
#else
#define MDMA_EMULATED_IOMMUFD_OPS
#endif

/*
 * Device DMA logging reports through the core's iova_bitmap. vfio.ko
 * carried it until 6.7, when it moved into iommufd: since then it is
 * built only with CONFIG_IOMMUFD_DRIVER (which an IOMMU driver selects
 * when CONFIG_IOMMUFD is set; Debian's 6.12 has neither) and exported in
 * the IOMMUFD namespace. Without it REPORT can only fail, so mdma does
 * not offer the feature. Put MDMA_IOVA_BITMAP_IMPORT(); in the file that
 * calls iova_bitmap_set().
 */
#if MDMA_KERNEL_GE(6, 7)
#define MDMA_HAS_DMA_LOGGING	IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
#else
#define MDMA_HAS_DMA_LOGGING	1
#endif
#if MDMA_KERNEL_GE(6, 7) && IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
#define MDMA_IOVA_BITMAP_IMPORT()	MODULE_IMPORT_NS(IOMMUFD)
#else
#define MDMA_IOVA_BITMAP_IMPORT()	static_assert(1)
#endif

/*
 * Who frees a vfio_device: until 6.2 the core only calls the driver's
 * .release, which must end with vfio_free_device(); since 6.2 the core
 * frees the device itself once .release returns. Call this last in a
 * .release.
 */
static inline void mdma_release_free(struct vfio_device *vdev)
{
#if !MDMA_KERNEL_GE(6, 2)
	vfio_free_device(vdev);
#endif
}

#endif /* _MDMA_COMPAT_H */
