// SPDX-License-Identifier: GPL-2.0
/*
 * hold_device: open an mdev as a VMM would (a type1 container, its group,
 * the device fd) and keep it open until killed, so that an agent can
 * drive its migration: the management channel acts only on devices a
 * user has open.
 *
 *   hold_device UUID
 *
 * Prints "open" once the device is open, then waits for a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

static int fail(const char *what)
{
	fprintf(stderr, "hold_device: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX + 16];
	int container, group, device;
	const char *base;
	ssize_t n;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: hold_device UUID\n"
			"Open the mdev UUID in a type1 container and keep it open until killed.\n");
		return argc == 2 ? 0 : 2;
	}
	snprintf(link, sizeof(link), "/sys/bus/mdev/devices/%s/iommu_group",
		 argv[1]);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return fail(link);
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", base ? base + 1 : target);

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return fail("/dev/vfio/vfio");
	group = open(path, O_RDWR);
	if (group < 0)
		return fail(path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (device < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	printf("open\n");
	fflush(stdout);
	for (;;)
		pause();
}
