/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio: a small library for users of VFIO devices and mdevs.
 *
 * Every function that can fail returns 0 (or a non-negative count) on
 * success and a negative errno on failure; vfio_errmsg() then describes
 * the failure in words. The message is kept per thread.
 */
#ifndef _VFIO_LIB_H
#define _VFIO_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

/* error.c */

/**
 * vfio_errmsg() - Describe the last failure of this thread.
 *
 * Return: a message naming the operation and the errno, or "" if nothing
 * failed yet. Valid until the next failing call of the same thread.
 */
const char *vfio_errmsg(void);

/**
 * vfio_set_error() - Record a failure and return it.
 * @err: a negative errno.
 * @fmt: printf format describing the failed operation.
 *
 * The message becomes "<formatted text>: <strerror(-err)>".
 *
 * Return: @err, so callers can write "return vfio_set_error(...)".
 */
int vfio_set_error(int err, const char *fmt, ...);

/* container.c: container, group and device handles */

/**
 * struct vfio_container - Where a device's DMA mappings live: a VFIO
 * container (/dev/vfio/vfio with type1), or an iommufd (/dev/iommu) with
 * one IO address space.
 * @fd: the container's or the iommufd's file descriptor, -1 when closed.
 * @iommu_type: the IOMMU model set on a container (VFIO_TYPE1v2_IOMMU or
 *	VFIO_TYPE1_IOMMU), 0 until a group is attached.
 * @iommufd: @fd is an iommufd (vfio_iommufd_open()).
 * @ioas_id: the iommufd's IO address space.
 */
struct vfio_container {
	int fd;
	int iommu_type;
	bool iommufd;
	uint32_t ioas_id;
};

/**
 * struct vfio_dev - An open VFIO device with the group it belongs to.
 *
 * User space's handle of a device; not the kernel's struct vfio_device.
 * @fd: the device's file descriptor, -1 when closed.
 * @group_fd: file descriptor of /dev/vfio/<group_id>.
 * @group_id: the IOMMU group number.
 * @container: the container the group is attached to.
 * @own_container: true if vfio_dev_open() created @container itself.
 * @name: the device name given to VFIO_GROUP_GET_DEVICE_FD.
 * @info: the device's VFIO_DEVICE_GET_INFO answer.
 */
struct vfio_dev {
	int fd;
	int group_fd;
	int group_id;
	struct vfio_container *container;
	bool own_container;
	char name[64];
	struct vfio_device_info info;
};

/**
 * vfio_container_open() - Open a new VFIO container.
 * @c: the container to initialise.
 *
 * Opens /dev/vfio/vfio and checks VFIO_GET_API_VERSION. The IOMMU model is
 * chosen when the first group is attached.
 *
 * Return: 0 or a negative errno.
 */
int vfio_container_open(struct vfio_container *c);

/**
 * vfio_iommufd_open() - Open /dev/iommu and allocate an IO address space.
 * @c: the container to initialise; vfio_container_close() closes it.
 *
 * Devices join it with vfio_cdev_open(); vfio_dma_map() and
 * vfio_dma_unmap() then map into its IO address space.
 *
 * Return: 0 or a negative errno.
 */
int vfio_iommufd_open(struct vfio_container *c);

/**
 * vfio_cdev_open() - Open an mdev through its VFIO device cdev.
 * @d: the device to initialise.
 * @c: an iommufd from vfio_iommufd_open(); it must outlive @d.
 * @uuid: the mdev's UUID.
 *
 * Opens /dev/vfio/devices/vfioN of the mdev, binds it to @c and attaches
 * it to @c's IO address space.
 *
 * Return: 0 or a negative errno. On failure nothing is left open.
 */
int vfio_cdev_open(struct vfio_dev *d, struct vfio_container *c,
		   const char *uuid);

/**
 * vfio_ioas_map() - vfio_dma_map() on an iommufd: IOMMU_IOAS_MAP at @iova.
 * @c: an iommufd from vfio_iommufd_open().
 * @vaddr: page aligned process address.
 * @iova: page aligned IOVA.
 * @size: page multiple.
 * @flags: VFIO_DMA_MAP_FLAG_READ and/or VFIO_DMA_MAP_FLAG_WRITE.
 *
 * Return: 0 or a negative errno.
 */
int vfio_ioas_map(struct vfio_container *c, void *vaddr, uint64_t iova,
		  uint64_t size, uint32_t flags);

/**
 * vfio_ioas_unmap() - vfio_dma_unmap() on an iommufd: IOMMU_IOAS_UNMAP.
 * @c: an iommufd from vfio_iommufd_open().
 * @iova: start of the range.
 * @size: length of the range.
 * @unmapped: if not NULL, the number of bytes the kernel unmapped.
 *
 * Return: 0 or a negative errno.
 */
int vfio_ioas_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
		    uint64_t *unmapped);

/**
 * vfio_container_close() - Close a container or an iommufd.
 * @c: the container; closing a closed container does nothing.
 */
void vfio_container_close(struct vfio_container *c);

/**
 * vfio_group_attach() - Open an IOMMU group and add it to a container.
 * @c: an open container.
 * @group_id: the group number (the N of /dev/vfio/N).
 *
 * Checks that the group is viable, sets its container and, for the first
 * group of @c, sets the IOMMU model: type1v2 if offered, else type1.
 *
 * Return: the group's file descriptor or a negative errno.
 */
int vfio_group_attach(struct vfio_container *c, int group_id);

/**
 * vfio_dev_open() - Open a device of a group.
 * @d: the device to initialise.
 * @c: the container to attach the group to, or NULL to create a new one
 *	owned by @d.
 * @group_id: the device's IOMMU group number.
 * @name: the device name (the PCI address or the mdev UUID).
 *
 * Return: 0 or a negative errno. On failure nothing is left open.
 */
int vfio_dev_open(struct vfio_dev *d, struct vfio_container *c,
		  int group_id, const char *name);

/**
 * vfio_mdev_open() - Open an mdev by UUID.
 * @d: the device to initialise.
 * @c: the container to use, or NULL to create a new one owned by @d.
 * @uuid: the mdev's UUID as in /sys/bus/mdev/devices/.
 *
 * Finds the mdev's IOMMU group in sysfs, then acts as vfio_dev_open();
 * if @c is an iommufd, acts as vfio_cdev_open() instead.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mdev_open(struct vfio_dev *d, struct vfio_container *c,
		   const char *uuid);

/**
 * vfio_dev_info() - Read VFIO_DEVICE_GET_INFO into @d->info.
 * @d: a device with an open fd, however it was opened.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dev_info(struct vfio_dev *d);

/**
 * vfio_dev_close() - Close a device, its group and, if owned, container.
 * @d: the device; closing a closed device does nothing.
 */
void vfio_dev_close(struct vfio_dev *d);

/**
 * vfio_dev_reset() - Reset a device with VFIO_DEVICE_RESET.
 * @d: an open device.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dev_reset(struct vfio_dev *d);

/* feature.c */

/**
 * vfio_dev_feature() - One VFIO_DEVICE_FEATURE call.
 * @d: an open device.
 * @flags: VFIO_DEVICE_FEATURE_* flags and the feature's number.
 * @payload: the feature's data, copied in before the call and back out
 *	after it; may be NULL when @len is 0.
 * @len: bytes at @payload.
 *
 * Return: 0 or the negative errno of the ioctl; no error is recorded.
 */
int vfio_dev_feature(struct vfio_dev *d, uint32_t flags, void *payload,
		     size_t len);

/**
 * vfio_dma_log_probe() - Ask whether the device offers DMA logging.
 * @d: an open device.
 *
 * Return: 0 if it does, else a negative errno (-ENOTTY: it does not).
 */
int vfio_dma_log_probe(struct vfio_dev *d);

/**
 * vfio_dma_log_start() - Start device DMA logging of IOVA ranges.
 * @d: an open device.
 * @page_size: in: the page size asked for; out: the one the device chose.
 * @r: the ranges, sorted or not, which must not overlap.
 * @nranges: entries in @r.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_log_start(struct vfio_dev *d, uint64_t *page_size,
		       const struct vfio_device_feature_dma_logging_range *r,
		       uint32_t nranges);

/**
 * vfio_dma_log_stop() - Stop device DMA logging.
 * @d: an open device.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_log_stop(struct vfio_dev *d);

/**
 * vfio_dma_log_report() - Read and clear the DMA log of an IOVA range.
 * @d: an open device.
 * @iova: start of the range.
 * @length: bytes in the range.
 * @page_size: the IOVA each bit of @bitmap stands for, a power of two
 *	of 4 KiB or more.
 * @bitmap: one bit per page, bit n of word w for page 64 * w + n; the
 *	kernel only sets bits, so clear it first.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_log_report(struct vfio_dev *d, uint64_t iova, uint64_t length,
			uint64_t page_size, uint64_t *bitmap);

/* region.c */

/**
 * struct vfio_region - The plain facts of one region.
 * @index: the region index.
 * @flags: VFIO_REGION_INFO_FLAG_*.
 * @size: size in bytes.
 * @offset: offset of the region in the device file.
 */
struct vfio_region {
	unsigned int index;
	uint32_t flags;
	uint64_t size;
	uint64_t offset;
};

/**
 * vfio_region_info() - Get a region's info including its capability chain.
 * @d: an open device.
 * @index: the region index.
 * @info: on success, a malloc()ed struct vfio_region_info large enough for
 *	its capability chain; the caller frees it.
 *
 * Return: 0 or a negative errno.
 */
int vfio_region_info(struct vfio_dev *d, unsigned int index,
		     struct vfio_region_info **info);

/**
 * vfio_region_get() - Get the plain facts of a region.
 * @d: an open device.
 * @index: the region index.
 * @r: filled on success.
 *
 * Return: 0 or a negative errno.
 */
int vfio_region_get(struct vfio_dev *d, unsigned int index,
		    struct vfio_region *r);

/**
 * vfio_info_cap_find() - Find a capability in an info chain by id.
 * @info: the info structure the chain belongs to (region, irq or iommu).
 * @argsz: the size of @info as returned by the kernel.
 * @cap_offset: offset of the first capability, 0 if there is none.
 * @id: the capability id to find.
 *
 * Walks the chain with bounds checks, so a malformed chain is not followed
 * out of @info.
 *
 * Return: the capability header or NULL.
 */
const struct vfio_info_cap_header *
vfio_info_cap_find(const void *info, size_t argsz, uint32_t cap_offset,
		   uint16_t id);

/**
 * vfio_region_cap_find() - Find a capability of a region by id.
 * @info: a region info from vfio_region_info().
 * @id: the capability id, e.g. VFIO_REGION_INFO_CAP_SPARSE_MMAP.
 *
 * Return: the capability header or NULL.
 */
const struct vfio_info_cap_header *
vfio_region_cap_find(const struct vfio_region_info *info, uint16_t id);

/**
 * vfio_region_find_type() - Find a region by its type capability.
 * @d: an open device.
 * @type: VFIO_REGION_INFO_CAP_TYPE type.
 * @subtype: VFIO_REGION_INFO_CAP_TYPE subtype.
 * @info: on success, the region's info as from vfio_region_info().
 *
 * Searches every index below the device's num_regions.
 *
 * Return: 0, -ENOENT if no region matches, or another negative errno.
 */
int vfio_region_find_type(struct vfio_dev *d, uint32_t type,
			  uint32_t subtype, struct vfio_region_info **info);

/**
 * vfio_region_read() - Read from a region with pread().
 * @d: an open device.
 * @r: the region.
 * @off: offset inside the region.
 * @buf: destination.
 * @len: bytes to read; the read is issued as a single pread() and a short
 *	read is an error.
 *
 * Return: 0 or a negative errno (-ERANGE if the range is outside @r).
 */
int vfio_region_read(struct vfio_dev *d, const struct vfio_region *r,
		     uint64_t off, void *buf, size_t len);

/**
 * vfio_region_write() - Write to a region with pwrite().
 * @d: an open device.
 * @r: the region.
 * @off: offset inside the region.
 * @buf: source.
 * @len: bytes to write in a single pwrite(); a short write is an error.
 *
 * Return: 0 or a negative errno (-ERANGE if the range is outside @r).
 */
int vfio_region_write(struct vfio_dev *d, const struct vfio_region *r,
		      uint64_t off, const void *buf, size_t len);

/**
 * vfio_region_read32() - Read a naturally aligned 32-bit value.
 * @d: an open device.
 * @r: the region.
 * @off: offset inside the region.
 * @val: the value read, in host byte order (regions are little endian).
 *
 * Return: 0 or a negative errno.
 */
int vfio_region_read32(struct vfio_dev *d, const struct vfio_region *r,
		       uint64_t off, uint32_t *val);

/**
 * vfio_region_write32() - Write a naturally aligned 32-bit value.
 * @d: an open device.
 * @r: the region.
 * @off: offset inside the region.
 * @val: the value, in host byte order.
 *
 * Return: 0 or a negative errno.
 */
int vfio_region_write32(struct vfio_dev *d, const struct vfio_region *r,
			uint64_t off, uint32_t val);

/**
 * vfio_region_mmap() - Map part of a region.
 * @d: an open device.
 * @r: the region.
 * @off: page aligned offset inside the region.
 * @len: bytes to map.
 * @prot: PROT_READ and/or PROT_WRITE.
 * @addr: the mapping on success.
 *
 * Does not check VFIO_REGION_INFO_FLAG_MMAP, so it can also be used to
 * check that the device refuses a mapping.
 *
 * Return: 0 or a negative errno.
 */
int vfio_region_mmap(struct vfio_dev *d, const struct vfio_region *r,
		     uint64_t off, size_t len, int prot, void **addr);

/**
 * vfio_pci_config_read() - Read 1, 2 or 4 bytes of PCI config space.
 * @d: an open vfio-pci device.
 * @off: config space offset.
 * @width: 1, 2 or 4.
 * @val: the value read.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_config_read(struct vfio_dev *d, uint64_t off,
			 unsigned int width, uint32_t *val);

/**
 * vfio_pci_config_write() - Write 1, 2 or 4 bytes of PCI config space.
 * @d: an open vfio-pci device.
 * @off: config space offset.
 * @width: 1, 2 or 4.
 * @val: the value to write.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_config_write(struct vfio_dev *d, uint64_t off,
			  unsigned int width, uint32_t val);

/* irq.c */

/**
 * vfio_irq_info() - Get an interrupt index's info.
 * @d: an open device.
 * @index: the interrupt index, e.g. VFIO_PCI_MSI_IRQ_INDEX.
 * @info: filled on success.
 *
 * Return: 0 or a negative errno.
 */
int vfio_irq_info(struct vfio_dev *d, unsigned int index,
		  struct vfio_irq_info *info);

/**
 * vfio_irq_set_eventfds() - Assign eventfds to a range of vectors.
 * @d: an open device.
 * @index: the interrupt index.
 * @start: first vector.
 * @count: number of vectors, at least 1.
 * @fds: @count eventfds; -1 unassigns a vector.
 *
 * Return: 0 or a negative errno.
 */
int vfio_irq_set_eventfds(struct vfio_dev *d, unsigned int index,
			  unsigned int start, unsigned int count,
			  const int *fds);

/**
 * vfio_irq_enable() - Create an eventfd and make it vector 0 of an index.
 * @d: an open device.
 * @index: the interrupt index.
 * @efd: the new eventfd (non-blocking) on success; the caller closes it.
 *
 * Return: 0 or a negative errno.
 */
int vfio_irq_enable(struct vfio_dev *d, unsigned int index, int *efd);

/**
 * vfio_irq_disable() - Tear down every vector of an interrupt index.
 * @d: an open device.
 * @index: the interrupt index.
 *
 * Return: 0 or a negative errno.
 */
int vfio_irq_disable(struct vfio_dev *d, unsigned int index);

/**
 * vfio_irq_unmask() - Unmask vector 0 of an index (used for INTx).
 * @d: an open device.
 * @index: the interrupt index.
 *
 * Return: 0 or a negative errno.
 */
int vfio_irq_unmask(struct vfio_dev *d, unsigned int index);

/**
 * vfio_eventfd_wait() - Wait for an eventfd to be signalled and consume it.
 * @efd: the eventfd.
 * @timeout_ms: how long to wait; negative waits forever.
 * @count: if not NULL, the counter value read.
 *
 * Return: 0 if signalled, -ETIMEDOUT if not, or another negative errno.
 */
int vfio_eventfd_wait(int efd, int timeout_ms, uint64_t *count);

/* dma.c */

/**
 * struct vfio_dma_buf - Anonymous memory mapped for device DMA.
 * @vaddr: the memory in this process.
 * @iova: its address as seen by the device.
 * @size: its size in bytes, a multiple of the page size.
 */
struct vfio_dma_buf {
	void *vaddr;
	uint64_t iova;
	size_t size;
};

/**
 * vfio_dma_map() - Map process memory for DMA with VFIO_IOMMU_MAP_DMA,
 *	or IOMMU_IOAS_MAP on an iommufd.
 * @c: a container with a group attached, or an iommufd.
 * @vaddr: page aligned process address.
 * @iova: page aligned IOVA.
 * @size: page multiple.
 * @flags: VFIO_DMA_MAP_FLAG_READ and/or VFIO_DMA_MAP_FLAG_WRITE.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_map(struct vfio_container *c, void *vaddr, uint64_t iova,
		 uint64_t size, uint32_t flags);

/**
 * vfio_dma_unmap() - Unmap an IOVA range with VFIO_IOMMU_UNMAP_DMA, or
 *	IOMMU_IOAS_UNMAP on an iommufd.
 * @c: the container or iommufd.
 * @iova: start of the range.
 * @size: length of the range.
 * @unmapped: if not NULL, the number of bytes the kernel unmapped.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
		   uint64_t *unmapped);

/**
 * vfio_dma_alloc() - Allocate anonymous memory and map it at an IOVA.
 * @c: a container with a group attached.
 * @iova: page aligned IOVA.
 * @size: bytes, rounded up to the page size.
 * @buf: filled on success; the memory is zeroed and readable and
 *	writable by the device.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_alloc(struct vfio_container *c, uint64_t iova, size_t size,
		   struct vfio_dma_buf *buf);

/**
 * vfio_dma_free() - Unmap and free memory from vfio_dma_alloc().
 * @c: the container.
 * @buf: the buffer; a zeroed or already freed buffer is ignored.
 *
 * Return: 0 or the negative errno of the unmap (the memory is freed anyway).
 */
int vfio_dma_free(struct vfio_container *c, struct vfio_dma_buf *buf);

/**
 * vfio_iommu_info() - Get the container's info including capabilities.
 * @c: a container with a group attached.
 * @info: on success a malloc()ed struct vfio_iommu_type1_info with its
 *	capability chain; the caller frees it.
 *
 * Return: 0 or a negative errno.
 */
int vfio_iommu_info(struct vfio_container *c,
		    struct vfio_iommu_type1_info **info);

/**
 * vfio_dirty_start() - Start type1 dirty page tracking.
 * @c: the container.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dirty_start(struct vfio_container *c);

/**
 * vfio_dirty_stop() - Stop type1 dirty page tracking.
 * @c: the container.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dirty_stop(struct vfio_container *c);

/**
 * vfio_dirty_bitmap_bytes() - Bytes needed for a dirty bitmap.
 * @size: length of the IOVA range.
 * @pgsize: the page size each bit stands for.
 *
 * Return: the bitmap size, rounded up to whole 64-bit words.
 */
size_t vfio_dirty_bitmap_bytes(uint64_t size, uint64_t pgsize);

/**
 * vfio_dirty_get() - Get and clear the dirty bitmap of a mapped range.
 * @c: the container, with tracking started.
 * @iova: start of the range; must be the start of a mapping.
 * @size: length of the range.
 * @pgsize: the page size each bit stands for (the smallest supported).
 * @bitmap: receives one bit per page, bit 0 of word 0 for @iova.
 * @bitmap_size: size of @bitmap in bytes, at least
 *	vfio_dirty_bitmap_bytes(@size, @pgsize).
 *
 * Return: 0 or a negative errno.
 */
int vfio_dirty_get(struct vfio_container *c, uint64_t iova, uint64_t size,
		   uint64_t pgsize, uint64_t *bitmap, size_t bitmap_size);

/**
 * vfio_dma_unmap_dirty() - Unmap a range and get its dirty bitmap.
 * @c: the container, with tracking started.
 * @iova: start of the range.
 * @size: length of the range.
 * @pgsize: page size each bit stands for.
 * @bitmap: receives the bitmap.
 * @bitmap_size: size of @bitmap in bytes.
 *
 * Return: 0 or a negative errno.
 */
int vfio_dma_unmap_dirty(struct vfio_container *c, uint64_t iova,
			 uint64_t size, uint64_t pgsize, uint64_t *bitmap,
			 size_t bitmap_size);

/* mdev.c: mediated devices through sysfs */

/**
 * vfio_mdev_uuid_generate() - Make a random (version 4) UUID.
 * @uuid: receives 36 characters and a NUL.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mdev_uuid_generate(char uuid[37]);

/**
 * vfio_mdev_type_path() - Build the sysfs directory of an mdev type.
 * @parent: the parent device's sysfs directory, e.g. "/sys/class/mdma/mdma".
 * @type: the type's directory name under mdev_supported_types.
 * @path: receives the path.
 * @size: size of @path.
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int vfio_mdev_type_path(const char *parent, const char *type, char *path,
			size_t size);

/**
 * vfio_mdev_type_exists() - Check that a parent offers an mdev type.
 * @parent: the parent device's sysfs directory.
 * @type: the type name.
 *
 * Return: true if the type's create file exists.
 */
bool vfio_mdev_type_exists(const char *parent, const char *type);

/**
 * vfio_mdev_available() - Read a type's available_instances.
 * @parent: the parent device's sysfs directory.
 * @type: the type name.
 *
 * Return: the count or a negative errno.
 */
int vfio_mdev_available(const char *parent, const char *type);

/**
 * vfio_mdev_create() - Create an mdev.
 * @parent: the parent device's sysfs directory.
 * @type: the type name.
 * @uuid: the new device's UUID.
 *
 * Return: 0 or a negative errno (the write's error, e.g. -EEXIST).
 */
int vfio_mdev_create(const char *parent, const char *type, const char *uuid);

/**
 * vfio_mdev_remove() - Remove an mdev.
 * @uuid: the device's UUID.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mdev_remove(const char *uuid);

/**
 * vfio_mdev_exists() - Check that an mdev exists.
 * @uuid: the device's UUID.
 *
 * Return: true if /sys/bus/mdev/devices/@uuid exists.
 */
bool vfio_mdev_exists(const char *uuid);

/**
 * vfio_mdev_link() - Read the last component of an mdev's sysfs link.
 * @uuid: the device's UUID.
 * @attr: the link, e.g. "mdev_type" or "iommu_group".
 * @name: where the name the link points to goes.
 * @size: room at @name.
 *
 * Return: 0, -ENAMETOOLONG if @name is too small, or the negative errno
 * of readlink().
 */
int vfio_mdev_link(const char *uuid, const char *attr, char *name,
		   size_t size);

/**
 * vfio_mdev_group() - Find an mdev's IOMMU group.
 * @uuid: the device's UUID.
 *
 * Return: the group number or a negative errno.
 */
int vfio_mdev_group(const char *uuid);

#endif /* _VFIO_LIB_H */
