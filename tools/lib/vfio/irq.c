// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: interrupts delivered through eventfds.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_lib.h"

int vfio_irq_info(struct vfio_dev *d, unsigned int index,
		  struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, info) < 0)
		return vfio_set_error(-errno, "VFIO_DEVICE_GET_IRQ_INFO %u",
				      index);
	return 0;
}

int vfio_irq_set_eventfds(struct vfio_dev *d, unsigned int index,
			  unsigned int start, unsigned int count,
			  const int *fds)
{
	struct vfio_irq_set *set;
	size_t sz;
	int ret = 0;

	if (!count)
		return vfio_set_error(-EINVAL, "irq %u: no vectors", index);
	sz = sizeof(*set) + count * sizeof(int32_t);
	set = calloc(1, sz);
	if (!set)
		return vfio_set_error(-ENOMEM, "irq %u", index);
	set->argsz = sz;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = start;
	set->count = count;
	memcpy(set->data, fds, count * sizeof(int32_t));
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		ret = vfio_set_error(-errno,
				     "VFIO_DEVICE_SET_IRQS %u eventfd [%u,+%u)",
				     index, start, count);
	free(set);
	return ret;
}

int vfio_irq_enable(struct vfio_dev *d, unsigned int index, int *efd)
{
	int fd, ret;

	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return vfio_set_error(-errno, "eventfd");
	ret = vfio_irq_set_eventfds(d, index, 0, 1, &fd);
	if (ret) {
		close(fd);
		return ret;
	}
	*efd = fd;
	return 0;
}

static int vfio_irq_set_none(struct vfio_dev *d, unsigned int index,
			     uint32_t action, unsigned int count)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | action,
		.index = index,
		.start = 0,
		.count = count,
	};

	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, &set) < 0)
		return vfio_set_error(-errno, "VFIO_DEVICE_SET_IRQS %u %s",
				      index,
				      action == VFIO_IRQ_SET_ACTION_UNMASK ?
				      "unmask" : "disable");
	return 0;
}

int vfio_irq_disable(struct vfio_dev *d, unsigned int index)
{
	return vfio_irq_set_none(d, index, VFIO_IRQ_SET_ACTION_TRIGGER, 0);
}

int vfio_irq_unmask(struct vfio_dev *d, unsigned int index)
{
	return vfio_irq_set_none(d, index, VFIO_IRQ_SET_ACTION_UNMASK, 1);
}

int vfio_eventfd_wait(int efd, int timeout_ms, uint64_t *count)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t v;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return vfio_set_error(-errno, "poll eventfd");
	if (n == 0)
		return vfio_set_error(-ETIMEDOUT, "eventfd not signalled");
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return vfio_set_error(-errno, "read eventfd");
	if (count)
		*count = v;
	return 0;
}
