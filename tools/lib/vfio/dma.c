// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: DMA mappings and type1 dirty page tracking.
 * On an iommufd the mappings go to iommufd.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_lib.h"

int vfio_dma_map(struct vfio_container *c, void *vaddr, uint64_t iova,
		 uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (c->iommufd)
		return vfio_ioas_map(c, vaddr, iova, size, flags);
	if (ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) < 0)
		return vfio_set_error(-errno, "VFIO_IOMMU_MAP_DMA 0x%llx+0x%llx",
				      (unsigned long long)iova,
				      (unsigned long long)size);
	return 0;
}

int vfio_dma_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
		   uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (c->iommufd)
		return vfio_ioas_unmap(c, iova, size, unmapped);
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		return vfio_set_error(-errno,
				      "VFIO_IOMMU_UNMAP_DMA 0x%llx+0x%llx",
				      (unsigned long long)iova,
				      (unsigned long long)size);
	if (unmapped)
		*unmapped = unmap.size;
	return 0;
}

int vfio_dma_alloc(struct vfio_container *c, uint64_t iova, size_t size,
		   struct vfio_dma_buf *buf)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	void *p;
	int ret;

	size = (size + pg - 1) & ~(pg - 1);
	if (!size)
		return vfio_set_error(-EINVAL, "DMA buffer of 0 bytes");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return vfio_set_error(-errno, "mmap %zu bytes", size);
	ret = vfio_dma_map(c, p, iova, size,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (ret) {
		munmap(p, size);
		return ret;
	}
	buf->vaddr = p;
	buf->iova = iova;
	buf->size = size;
	return 0;
}

int vfio_dma_free(struct vfio_container *c, struct vfio_dma_buf *buf)
{
	int ret = 0;

	if (!buf->vaddr)
		return 0;
	if (c && c->fd >= 0)
		ret = vfio_dma_unmap(c, buf->iova, buf->size, NULL);
	munmap(buf->vaddr, buf->size);
	memset(buf, 0, sizeof(*buf));
	return ret;
}

int vfio_iommu_info(struct vfio_container *c,
		    struct vfio_iommu_type1_info **info)
{
	struct vfio_iommu_type1_info *ii;
	size_t sz = sizeof(*ii);

	for (;;) {
		ii = calloc(1, sz);
		if (!ii)
			return vfio_set_error(-ENOMEM, "iommu info");
		ii->argsz = sz;
		if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, ii) < 0) {
			int err = -errno;

			free(ii);
			return vfio_set_error(err, "VFIO_IOMMU_GET_INFO");
		}
		if (ii->argsz <= sz)
			break;
		sz = ii->argsz;
		free(ii);
	}
	*info = ii;
	return 0;
}

static int vfio_dirty_flag(struct vfio_container *c, uint32_t flag,
			   const char *what)
{
	struct vfio_iommu_type1_dirty_bitmap db = {
		.argsz = sizeof(db),
		.flags = flag,
	};

	if (ioctl(c->fd, VFIO_IOMMU_DIRTY_PAGES, &db) < 0)
		return vfio_set_error(-errno, "VFIO_IOMMU_DIRTY_PAGES %s",
				      what);
	return 0;
}

int vfio_dirty_start(struct vfio_container *c)
{
	return vfio_dirty_flag(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START, "start");
}

int vfio_dirty_stop(struct vfio_container *c)
{
	return vfio_dirty_flag(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, "stop");
}

size_t vfio_dirty_bitmap_bytes(uint64_t size, uint64_t pgsize)
{
	uint64_t pages = (size + pgsize - 1) / pgsize;

	return (pages + 63) / 64 * sizeof(uint64_t);
}

int vfio_dirty_get(struct vfio_container *c, uint64_t iova, uint64_t size,
		   uint64_t pgsize, uint64_t *bitmap, size_t bitmap_size)
{
	struct vfio_iommu_type1_dirty_bitmap_get *get;
	struct vfio_iommu_type1_dirty_bitmap *db;
	size_t sz = sizeof(*db) + sizeof(*get);
	int ret = 0;

	db = calloc(1, sz);
	if (!db)
		return vfio_set_error(-ENOMEM, "dirty bitmap");
	db->argsz = sz;
	db->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	get = (void *)db->data;
	get->iova = iova;
	get->size = size;
	get->bitmap.pgsize = pgsize;
	get->bitmap.size = bitmap_size;
	get->bitmap.data = (void *)bitmap;
	if (ioctl(c->fd, VFIO_IOMMU_DIRTY_PAGES, db) < 0)
		ret = vfio_set_error(-errno,
				     "VFIO_IOMMU_DIRTY_PAGES get 0x%llx+0x%llx",
				     (unsigned long long)iova,
				     (unsigned long long)size);
	free(db);
	return ret;
}

int vfio_dma_unmap_dirty(struct vfio_container *c, uint64_t iova,
			 uint64_t size, uint64_t pgsize, uint64_t *bitmap,
			 size_t bitmap_size)
{
	struct vfio_iommu_type1_dma_unmap *unmap;
	struct vfio_bitmap *bm;
	size_t sz = sizeof(*unmap) + sizeof(*bm);
	int ret = 0;

	unmap = calloc(1, sz);
	if (!unmap)
		return vfio_set_error(-ENOMEM, "dirty unmap");
	unmap->argsz = sz;
	unmap->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	unmap->iova = iova;
	unmap->size = size;
	bm = (void *)unmap->data;
	bm->pgsize = pgsize;
	bm->size = bitmap_size;
	bm->data = (void *)bitmap;
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, unmap) < 0)
		ret = vfio_set_error(-errno,
				     "VFIO_IOMMU_UNMAP_DMA dirty 0x%llx+0x%llx",
				     (unsigned long long)iova,
				     (unsigned long long)size);
	free(unmap);
	return ret;
}
