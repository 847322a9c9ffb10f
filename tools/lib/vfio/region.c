// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: regions, their capabilities and access to them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <endian.h>

#include "vfio_lib.h"

int vfio_region_info(struct vfio_dev *d, unsigned int index,
		     struct vfio_region_info **info)
{
	struct vfio_region_info *ri;
	size_t sz = sizeof(*ri);

	for (;;) {
		ri = calloc(1, sz);
		if (!ri)
			return vfio_set_error(-ENOMEM, "region %u info", index);
		ri->argsz = sz;
		ri->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0) {
			int err = -errno;

			free(ri);
			return vfio_set_error(err,
					      "VFIO_DEVICE_GET_REGION_INFO %u",
					      index);
		}
		if (ri->argsz <= sz)
			break;
		/* The capability chain did not fit: ask again. */
		sz = ri->argsz;
		free(ri);
	}
	*info = ri;
	return 0;
}

int vfio_region_get(struct vfio_dev *d, unsigned int index,
		    struct vfio_region *r)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri),
		.index = index,
	};

	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return vfio_set_error(-errno, "VFIO_DEVICE_GET_REGION_INFO %u",
				      index);
	r->index = index;
	r->flags = ri.flags;
	r->size = ri.size;
	r->offset = ri.offset;
	return 0;
}

const struct vfio_info_cap_header *
vfio_info_cap_find(const void *info, size_t argsz, uint32_t cap_offset,
		   uint16_t id)
{
	const struct vfio_info_cap_header *hdr;
	uint32_t off = cap_offset;
	unsigned int hops = 0;

	while (off) {
		if (off < sizeof(uint32_t) || off > argsz ||
		    argsz - off < sizeof(*hdr) || ++hops > 256)
			return NULL;
		hdr = (const void *)((const char *)info + off);
		if (hdr->id == id)
			return hdr;
		off = hdr->next;
	}
	return NULL;
}

const struct vfio_info_cap_header *
vfio_region_cap_find(const struct vfio_region_info *info, uint16_t id)
{
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	return vfio_info_cap_find(info, info->argsz, info->cap_offset, id);
}

int vfio_region_find_type(struct vfio_dev *d, uint32_t type,
			  uint32_t subtype, struct vfio_region_info **info)
{
	const struct vfio_region_info_cap_type *ct;
	const struct vfio_info_cap_header *hdr;
	struct vfio_region_info *ri;
	unsigned int i;
	int ret;

	for (i = 0; i < d->info.num_regions; i++) {
		ret = vfio_region_info(d, i, &ri);
		if (ret == -EINVAL)
			continue;
		if (ret)
			return ret;
		hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_TYPE);
		if (hdr && (size_t)((const char *)hdr - (const char *)ri) +
			   sizeof(*ct) <= ri->argsz) {
			ct = (const void *)hdr;
			if (ct->type == type && ct->subtype == subtype) {
				*info = ri;
				return 0;
			}
		}
		free(ri);
	}
	return vfio_set_error(-ENOENT, "no region of type %u/%u on %s",
			      type, subtype, d->name);
}

static int vfio_region_check(const struct vfio_region *r, uint64_t off,
			     size_t len)
{
	if (off > r->size || len > r->size - off)
		return vfio_set_error(-ERANGE,
				      "region %u: %zu bytes at 0x%llx", r->index,
				      len, (unsigned long long)off);
	return 0;
}

static int region_rw(struct vfio_dev *d, const struct vfio_region *r,
		     uint64_t off, void *buf, size_t len, bool write)
{
	const char *what = write ? "write" : "read";
	ssize_t n;
	int ret;

	ret = vfio_region_check(r, off, len);
	if (ret)
		return ret;
	if (write)
		n = pwrite(d->fd, buf, len, r->offset + off);
	else
		n = pread(d->fd, buf, len, r->offset + off);
	if (n < 0)
		return vfio_set_error(-errno, "%s region %u at 0x%llx", what,
				      r->index, (unsigned long long)off);
	if ((size_t)n != len)
		return vfio_set_error(-EIO, "short %s of region %u at 0x%llx",
				      what, r->index, (unsigned long long)off);
	return 0;
}

int vfio_region_read(struct vfio_dev *d, const struct vfio_region *r,
		     uint64_t off, void *buf, size_t len)
{
	return region_rw(d, r, off, buf, len, false);
}

int vfio_region_write(struct vfio_dev *d, const struct vfio_region *r,
		      uint64_t off, const void *buf, size_t len)
{
	return region_rw(d, r, off, (void *)buf, len, true);
}

int vfio_region_read32(struct vfio_dev *d, const struct vfio_region *r,
		       uint64_t off, uint32_t *val)
{
	uint32_t le;
	int ret;

	ret = vfio_region_read(d, r, off, &le, sizeof(le));
	if (!ret)
		*val = le32toh(le);
	return ret;
}

int vfio_region_write32(struct vfio_dev *d, const struct vfio_region *r,
			uint64_t off, uint32_t val)
{
	uint32_t le = htole32(val);

	return vfio_region_write(d, r, off, &le, sizeof(le));
}

int vfio_region_mmap(struct vfio_dev *d, const struct vfio_region *r,
		     uint64_t off, size_t len, int prot, void **addr)
{
	void *p;

	p = mmap(NULL, len, prot, MAP_SHARED, d->fd, r->offset + off);
	if (p == MAP_FAILED)
		return vfio_set_error(-errno,
				      "mmap region %u: %zu bytes at 0x%llx",
				      r->index, len, (unsigned long long)off);
	*addr = p;
	return 0;
}

static int vfio_pci_config(struct vfio_dev *d, struct vfio_region *cfg,
			   unsigned int width)
{
	int ret;

	if (width != 1 && width != 2 && width != 4)
		return vfio_set_error(-EINVAL, "config access width %u",
				      width);
	ret = vfio_region_get(d, VFIO_PCI_CONFIG_REGION_INDEX, cfg);
	return ret;
}

int vfio_pci_config_read(struct vfio_dev *d, uint64_t off,
			 unsigned int width, uint32_t *val)
{
	struct vfio_region cfg;
	uint8_t b[4] = { 0 };
	int ret;

	ret = vfio_pci_config(d, &cfg, width);
	if (ret)
		return ret;
	ret = vfio_region_read(d, &cfg, off, b, width);
	if (ret)
		return ret;
	*val = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int vfio_pci_config_write(struct vfio_dev *d, uint64_t off,
			  unsigned int width, uint32_t val)
{
	struct vfio_region cfg;
	uint8_t b[4];
	int ret;

	ret = vfio_pci_config(d, &cfg, width);
	if (ret)
		return ret;
	b[0] = val;
	b[1] = val >> 8;
	b[2] = val >> 16;
	b[3] = val >> 24;
	return vfio_region_write(d, &cfg, off, b, width);
}
