// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: containers, groups and devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_lib.h"

#define VFIO_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int vfio_container_open(struct vfio_container *c)
{
	int ret;

	c->iommu_type = 0;
	c->iommufd = false;
	c->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return vfio_set_error(-errno, "open /dev/vfio/vfio");

	ret = ioctl(c->fd, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		ret = ret < 0 ? -errno : -EINVAL;
		close(c->fd);
		c->fd = -1;
		return vfio_set_error(ret, "VFIO_GET_API_VERSION");
	}
	return 0;
}

void vfio_container_close(struct vfio_container *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->iommu_type = 0;
	c->iommufd = false;
}

static int vfio_container_set_iommu(struct vfio_container *c)
{
	static const int types[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };
	unsigned int i;

	for (i = 0; i < VFIO_ARRAY_SIZE(types); i++) {
		if (ioctl(c->fd, VFIO_CHECK_EXTENSION, types[i]) <= 0)
			continue;
		if (ioctl(c->fd, VFIO_SET_IOMMU, types[i]) < 0)
			return vfio_set_error(-errno, "VFIO_SET_IOMMU %d",
					      types[i]);
		c->iommu_type = types[i];
		return 0;
	}
	return vfio_set_error(-ENODEV, "no type1 IOMMU in the container");
}

int vfio_group_attach(struct vfio_container *c, int group_id)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vfio_set_error(-errno, "open %s", path);

	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) < 0) {
		ret = vfio_set_error(-errno, "VFIO_GROUP_GET_STATUS %s", path);
		goto err;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = vfio_set_error(-EBUSY, "group %d is not viable",
				     group_id);
		goto err;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0) {
		ret = vfio_set_error(-errno, "VFIO_GROUP_SET_CONTAINER %s",
				     path);
		goto err;
	}
	if (!c->iommu_type) {
		ret = vfio_container_set_iommu(c);
		if (ret) {
			ioctl(fd, VFIO_GROUP_UNSET_CONTAINER);
			goto err;
		}
	}
	return fd;
err:
	close(fd);
	return ret;
}

int vfio_dev_open(struct vfio_dev *d, struct vfio_container *c,
		  int group_id, const char *name)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->group_fd = -1;
	d->group_id = group_id;
	snprintf(d->name, sizeof(d->name), "%s", name);

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return vfio_set_error(-ENOMEM, "container");
		ret = vfio_container_open(c);
		if (ret) {
			free(c);
			return ret;
		}
		d->own_container = true;
	}
	d->container = c;

	ret = vfio_group_attach(c, group_id);
	if (ret < 0)
		goto err;
	d->group_fd = ret;

	d->fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (d->fd < 0) {
		ret = vfio_set_error(-errno, "VFIO_GROUP_GET_DEVICE_FD %s",
				     name);
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

int vfio_dev_info(struct vfio_dev *d)
{
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &d->info) < 0)
		return vfio_set_error(-errno, "VFIO_DEVICE_GET_INFO %s",
				      d->name);
	return 0;
}

int vfio_mdev_open(struct vfio_dev *d, struct vfio_container *c,
		   const char *uuid)
{
	int group;

	if (c && c->iommufd)
		return vfio_cdev_open(d, c, uuid);
	group = vfio_mdev_group(uuid);
	if (group < 0) {
		memset(d, 0, sizeof(*d));
		d->fd = -1;
		d->group_fd = -1;
		return group;
	}
	return vfio_dev_open(d, c, group, uuid);
}

void vfio_dev_close(struct vfio_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->group_fd >= 0) {
		/*
		 * Closing the last group of a container drops it from the
		 * container and tears down its IOMMU mappings.
		 */
		close(d->group_fd);
	}
	d->group_fd = -1;
	if (d->own_container && d->container) {
		vfio_container_close(d->container);
		free(d->container);
	}
	d->container = NULL;
	d->own_container = false;
}

int vfio_dev_reset(struct vfio_dev *d)
{
	if (ioctl(d->fd, VFIO_DEVICE_RESET) < 0)
		return vfio_set_error(-errno, "VFIO_DEVICE_RESET %s", d->name);
	return 0;
}
