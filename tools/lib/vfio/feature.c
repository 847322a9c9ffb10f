// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: VFIO_DEVICE_FEATURE, and device DMA logging through it
 * (VFIO_DEVICE_FEATURE_DMA_LOGGING_START, _STOP and _REPORT).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfio_lib.h"

int vfio_dev_feature(struct vfio_dev *d, uint32_t flags, void *payload,
		     size_t len)
{
	size_t sz = sizeof(struct vfio_device_feature) + len;
	struct vfio_device_feature *f;
	int ret = 0;

	f = calloc(1, sz);
	if (!f)
		return -ENOMEM;
	f->argsz = sz;
	f->flags = flags;
	if (len)
		memcpy(f->data, payload, len);
	if (ioctl(d->fd, VFIO_DEVICE_FEATURE, f))
		ret = -errno;
	if (len)
		memcpy(payload, f->data, len);
	free(f);
	return ret;
}

int vfio_dma_log_probe(struct vfio_dev *d)
{
	int ret;

	ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_PROBE |
			       VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_START, NULL, 0);
	if (ret)
		return vfio_set_error(ret, "%s: the device offers no DMA logging",
				      d->name);
	return 0;
}

int vfio_dma_log_start(struct vfio_dev *d, uint64_t *page_size,
		       const struct vfio_device_feature_dma_logging_range *r,
		       uint32_t nranges)
{
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = *page_size,
		.num_ranges = nranges,
		.ranges = (uintptr_t)r,
	};
	int ret;

	ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			       &ctl, sizeof(ctl));
	if (ret)
		return vfio_set_error(ret, "%s: start DMA logging of %u ranges, page size %llu",
				      d->name, nranges,
				      (unsigned long long)*page_size);
	*page_size = ctl.page_size;
	return 0;
}

int vfio_dma_log_stop(struct vfio_dev *d)
{
	int ret;

	ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
	if (ret)
		return vfio_set_error(ret, "%s: stop DMA logging", d->name);
	return 0;
}

int vfio_dma_log_report(struct vfio_dev *d, uint64_t iova, uint64_t length,
			uint64_t page_size, uint64_t *bitmap)
{
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.bitmap = (uintptr_t)bitmap,
	};
	int ret;

	ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_GET |
			       VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
			       &rep, sizeof(rep));
	if (ret)
		return vfio_set_error(ret, "%s: DMA logging report of 0x%llx+0x%llx",
				      d->name, (unsigned long long)iova,
				      (unsigned long long)length);
	return 0;
}
