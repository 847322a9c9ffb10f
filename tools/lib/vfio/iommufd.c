// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the iommufd backend. A struct vfio_container opened by
 * vfio_iommufd_open() is /dev/iommu with one IO address space (IOAS);
 * devices are opened through their cdev (/dev/vfio/devices/vfioN), bound
 * to it and attached to the IOAS, and vfio_dma_map()/vfio_dma_unmap() map
 * into the IOAS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd_uapi.h"
#include "vfio_lib.h"

int vfio_iommufd_open(struct vfio_container *c)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int ret;

	c->iommu_type = 0;
	c->iommufd = false;
	c->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return vfio_set_error(-errno, "open /dev/iommu (a kernel with CONFIG_IOMMUFD?)");
	if (ioctl(c->fd, IOMMU_IOAS_ALLOC, &alloc) < 0) {
		ret = vfio_set_error(-errno, "IOMMU_IOAS_ALLOC");
		close(c->fd);
		c->fd = -1;
		return ret;
	}
	c->iommufd = true;
	c->ioas_id = alloc.out_ioas_id;
	return 0;
}

/* The /dev path of the cdev of the mdev @uuid, from its vfio-dev node. */
static int vfio_mdev_cdev_path(const char *uuid, char *path, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/mdev/devices/%s/vfio-dev", uuid);
	d = opendir(dir);
	if (!d)
		return vfio_set_error(-errno, "%s (a kernel with CONFIG_VFIO_DEVICE_CDEV?)",
				      dir);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "vfio", 4))
			continue;
		snprintf(path, size, "/dev/vfio/devices/%s", e->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	if (ret)
		return vfio_set_error(ret, "no vfio device in %s", dir);
	return 0;
}

int vfio_cdev_open(struct vfio_dev *d, struct vfio_container *c,
		   const char *uuid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = c->fd,
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = c->ioas_id,
	};
	char path[PATH_MAX];
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->group_fd = -1;
	d->group_id = -1;
	d->container = c;
	snprintf(d->name, sizeof(d->name), "%s", uuid);

	ret = vfio_mdev_cdev_path(uuid, path, sizeof(path));
	if (ret)
		return ret;
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return vfio_set_error(-errno, "open %s", path);
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		ret = vfio_set_error(-errno, "VFIO_DEVICE_BIND_IOMMUFD %s", path);
		goto err;
	}
	if (ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0) {
		ret = vfio_set_error(-errno, "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s to IOAS %u",
				     path, c->ioas_id);
		goto err;
	}
	ret = vfio_dev_info(d);
	if (ret)
		goto err;
	return 0;
err:
	vfio_dev_close(d);
	return ret;
}

int vfio_ioas_map(struct vfio_container *c, void *vaddr, uint64_t iova,
		  uint64_t size, uint32_t flags)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = c->ioas_id,
		.user_va = (uintptr_t)vaddr,
		.length = size,
		.iova = iova,
	};

	if (flags & VFIO_DMA_MAP_FLAG_READ)
		map.flags |= IOMMU_IOAS_MAP_READABLE;
	if (flags & VFIO_DMA_MAP_FLAG_WRITE)
		map.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	if (ioctl(c->fd, IOMMU_IOAS_MAP, &map) < 0)
		return vfio_set_error(-errno, "IOMMU_IOAS_MAP 0x%llx+0x%llx",
				      (unsigned long long)iova,
				      (unsigned long long)size);
	return 0;
}

int vfio_ioas_unmap(struct vfio_container *c, uint64_t iova, uint64_t size,
		    uint64_t *unmapped)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = c->ioas_id,
		.iova = iova,
		.length = size,
	};

	if (ioctl(c->fd, IOMMU_IOAS_UNMAP, &unmap) < 0)
		return vfio_set_error(-errno, "IOMMU_IOAS_UNMAP 0x%llx+0x%llx",
				      (unsigned long long)iova,
				      (unsigned long long)size);
	if (unmapped)
		*unmapped = unmap.length;
	return 0;
}
