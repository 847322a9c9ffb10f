// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: creating, finding and removing mediated devices in sysfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "vfio_lib.h"

#define MDEV_BUS_DIR "/sys/bus/mdev/devices"

int vfio_mdev_uuid_generate(char uuid[37])
{
	unsigned char b[16];
	ssize_t n;

	do {
		n = getrandom(b, sizeof(b), 0);
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(b))
		return vfio_set_error(n < 0 ? -errno : -EIO, "getrandom");
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(uuid, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int vfio_mdev_type_path(const char *parent, const char *type, char *path,
			size_t size)
{
	int n = snprintf(path, size, "%s/mdev_supported_types/%s", parent,
			 type);

	if (n < 0 || (size_t)n >= size)
		return vfio_set_error(-ENAMETOOLONG, "mdev type %s", type);
	return 0;
}

/* Write a short string to a sysfs attribute in one write(). */
static int sysfs_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vfio_set_error(-errno, "open %s", path);
	n = write(fd, s, len);
	if (n < 0)
		ret = vfio_set_error(-errno, "write \"%s\" to %s", s, path);
	else if ((size_t)n != len)
		ret = vfio_set_error(-EIO, "short write to %s", path);
	close(fd);
	return ret;
}

bool vfio_mdev_type_exists(const char *parent, const char *type)
{
	char path[PATH_MAX];

	if (vfio_mdev_type_path(parent, type, path, sizeof(path) - 8))
		return false;
	strcat(path, "/create");
	return access(path, F_OK) == 0;
}

int vfio_mdev_available(const char *parent, const char *type)
{
	char path[PATH_MAX];
	FILE *f;
	int n, ret;

	ret = vfio_mdev_type_path(parent, type, path, sizeof(path) - 24);
	if (ret)
		return ret;
	strcat(path, "/available_instances");
	f = fopen(path, "re");
	if (!f)
		return vfio_set_error(-errno, "open %s", path);
	ret = fscanf(f, "%d", &n);
	fclose(f);
	if (ret != 1 || n < 0)
		return vfio_set_error(-EINVAL, "parse %s", path);
	return n;
}

int vfio_mdev_create(const char *parent, const char *type, const char *uuid)
{
	char path[PATH_MAX];
	int ret;

	ret = vfio_mdev_type_path(parent, type, path, sizeof(path) - 8);
	if (ret)
		return ret;
	strcat(path, "/create");
	return sysfs_write(path, uuid);
}

int vfio_mdev_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_BUS_DIR "/%s/remove", uuid);
	return sysfs_write(path, "1");
}

bool vfio_mdev_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_BUS_DIR "/%s", uuid);
	return access(path, F_OK) == 0;
}

int vfio_mdev_link(const char *uuid, const char *attr, char *name,
		   size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), MDEV_BUS_DIR "/%s/%s", uuid, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return vfio_set_error(-errno, "readlink %s", path);
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if ((size_t)snprintf(name, size, "%s", base) >= size)
		return vfio_set_error(-ENAMETOOLONG, "%s of %s", attr, uuid);
	return 0;
}

int vfio_mdev_group(const char *uuid)
{
	char name[32], *end;
	long id;
	int ret;

	ret = vfio_mdev_link(uuid, "iommu_group", name, sizeof(name));
	if (ret)
		return ret;
	errno = 0;
	id = strtol(name, &end, 10);
	if (errno || end == name || *end || id < 0 || id > INT_MAX)
		return vfio_set_error(-EINVAL, "bad iommu group %s of %s",
				      name, uuid);
	return id;
}
