// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the VFIO migration protocol v1 client.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vfio_migration.h"

/* Offset of a field of the region's header. */
#define HDR(field)	offsetof(struct vfio_device_migration_info, field)

static int hdr_read64(struct vfio_mig_v1 *m, uint64_t off, const char *field,
		      uint64_t *val)
{
	uint64_t le;
	int ret;

	ret = vfio_region_read(m->dev, &m->region, off, &le, sizeof(le));
	if (ret)
		return vfio_set_error(ret, "%s: read %s (u64 at %llu)",
				      m->dev->name, field,
				      (unsigned long long)off);
	*val = le64toh(le);
	return 0;
}

static int hdr_write64(struct vfio_mig_v1 *m, uint64_t off, const char *field,
		       uint64_t val)
{
	uint64_t le = htole64(val);
	int ret;

	ret = vfio_region_write(m->dev, &m->region, off, &le, sizeof(le));
	if (ret)
		return vfio_set_error(ret, "%s: write %llu to %s (u64 at %llu)",
				      m->dev->name, (unsigned long long)val,
				      field, (unsigned long long)off);
	return 0;
}

/* Does the mapping cover [off, off + len) of the region? */
static bool in_window(struct vfio_mig_v1 *m, uint64_t off, uint64_t len)
{
	return m->window && off >= m->data_offset &&
	       off - m->data_offset <= m->data_size &&
	       len <= m->data_size - (off - m->data_offset);
}

/* Bytes a piece written at @off may have: to the end of its section. */
static uint64_t span_at(struct vfio_mig_v1 *m, uint64_t off)
{
	if (m->data_size && off >= m->data_offset &&
	    off - m->data_offset < m->data_size)
		return m->data_size - (off - m->data_offset);
	if (off < m->region.size)
		return m->region.size - off;
	return 0;
}

/*
 * Find the region as QEMU 7.2's vfio_get_dev_region_info() does: every
 * index below num_regions, skipping those whose info cannot be read.
 */
static int find_region(struct vfio_dev *d, struct vfio_region_info **info)
{
	const struct vfio_region_info_cap_type *ct;
	const struct vfio_info_cap_header *hdr;
	struct vfio_region_info *ri;
	unsigned int i;

	for (i = 0; i < d->info.num_regions; i++) {
		if (vfio_region_info(d, i, &ri))
			continue;
		hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_TYPE);
		if (hdr && (size_t)((const char *)hdr - (const char *)ri) +
			   sizeof(*ct) <= ri->argsz) {
			ct = (const void *)hdr;
			if (ct->type == VFIO_REGION_TYPE_MIGRATION &&
			    ct->subtype == VFIO_REGION_SUBTYPE_MIGRATION) {
				*info = ri;
				return 0;
			}
		}
		free(ri);
	}
	return vfio_set_error(-ENOENT,
			      "%s: no migration region (type %u/%u) among its %u regions",
			      d->name, VFIO_REGION_TYPE_MIGRATION,
			      VFIO_REGION_SUBTYPE_MIGRATION,
			      d->info.num_regions);
}

/* Take the data window from the first area of the sparse mmap capability. */
static void find_window(struct vfio_mig_v1 *m, const struct vfio_region_info *ri)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	const struct vfio_info_cap_header *hdr;
	size_t at;

	hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (!hdr)
		return;
	at = (const char *)hdr - (const char *)ri;
	sp = (const void *)hdr;
	if (at + sizeof(*sp) > ri->argsz || !sp->nr_areas ||
	    at + sizeof(*sp) + sizeof(sp->areas[0]) > ri->argsz)
		return;
	if (sp->areas[0].offset > m->region.size ||
	    sp->areas[0].size > m->region.size - sp->areas[0].offset)
		return;
	m->data_offset = sp->areas[0].offset;
	m->data_size = sp->areas[0].size;
}

int vfio_mig_v1_open(struct vfio_mig_v1 *m, struct vfio_dev *d,
		     bool use_mmap)
{
	struct vfio_region_info *ri = NULL;
	void *p;
	int ret;

	memset(m, 0, sizeof(*m));
	m->dev = d;
	ret = find_region(d, &ri);
	if (ret)
		return ret;
	m->region.index = ri->index;
	m->region.flags = ri->flags;
	m->region.size = ri->size;
	m->region.offset = ri->offset;
	if (!ri->size) {
		free(ri);
		return vfio_set_error(-EINVAL,
				      "%s: the migration region (index %u) is empty",
				      d->name, m->region.index);
	}
	find_window(m, ri);
	m->ndma = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_MIGRATION_NDMA);
	free(ri);

	if (!use_mmap || !m->data_size ||
	    !(m->region.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return 0;
	ret = vfio_region_mmap(d, &m->region, m->data_offset, m->data_size,
			       PROT_READ | PROT_WRITE, &p);
	if (ret)
		return vfio_set_error(ret,
				      "%s: mmap of the migration data window (%llu bytes at %llu)",
				      d->name,
				      (unsigned long long)m->data_size,
				      (unsigned long long)m->data_offset);
	m->window = p;
	return 0;
}

void vfio_mig_v1_close(struct vfio_mig_v1 *m)
{
	if (m->window) {
		munmap(m->window, m->data_size);
		m->window = NULL;
	}
}

int vfio_mig_v1_get_state(struct vfio_mig_v1 *m, uint32_t *state)
{
	int ret;

	ret = vfio_region_read32(m->dev, &m->region, HDR(device_state),
				 state);
	if (ret)
		return vfio_set_error(ret, "%s: read device_state",
				      m->dev->name);
	return 0;
}

int vfio_mig_v1_set_state(struct vfio_mig_v1 *m, uint32_t state)
{
	uint32_t now;
	int ret;

	ret = vfio_region_write32(m->dev, &m->region,
				  HDR(device_state), state);
	if (!ret)
		return 0;
	if (vfio_region_read32(m->dev, &m->region, HDR(device_state),
			       &now))
		return vfio_set_error(ret,
				      "%s: set device_state 0x%x (%s), and device_state cannot be read back",
				      m->dev->name, state,
				      vfio_mig_v1_state_name(state));
	return vfio_set_error(ret,
			      "%s: set device_state 0x%x (%s); the device is now 0x%x (%s)%s",
			      m->dev->name, state,
			      vfio_mig_v1_state_name(state), now,
			      vfio_mig_v1_state_name(now),
			      VFIO_DEVICE_STATE_IS_ERROR(now) ?
			      ", only a device reset leaves it" : "");
}

int vfio_mig_v1_pending(struct vfio_mig_v1 *m, uint64_t *pending)
{
	return hdr_read64(m, HDR(pending_bytes), "pending_bytes",
			  pending);
}

int vfio_mig_v1_stage(struct vfio_mig_v1 *m, uint64_t *off, uint64_t *len)
{
	int ret;

	*len = 0;
	ret = hdr_read64(m, HDR(data_offset), "data_offset", off);
	return ret ?: hdr_read64(m, HDR(data_size), "data_size", len);
}

int vfio_mig_v1_read_data(struct vfio_mig_v1 *m, uint64_t off, void *buf,
			  uint64_t len)
{
	int ret;

	if (in_window(m, off, len)) {
		memcpy(buf, (char *)m->window + (off - m->data_offset), len);
		return 0;
	}
	ret = vfio_region_read(m->dev, &m->region, off, buf, len);
	if (ret)
		return vfio_set_error(ret, "%s: read %llu bytes of data at %llu",
				      m->dev->name, (unsigned long long)len,
				      (unsigned long long)off);
	return 0;
}

int vfio_mig_v1_save_chunk(struct vfio_mig_v1 *m, void *buf, size_t size,
			   uint64_t *len)
{
	uint64_t off = 0, n = 0;
	int ret;

	*len = 0;
	ret = vfio_mig_v1_stage(m, &off, &n);
	if (ret || !n)
		return ret;
	if (n > size)
		return vfio_set_error(-ENOSPC,
				      "%s: a chunk of %llu bytes does not fit in %zu",
				      m->dev->name, (unsigned long long)n,
				      size);
	ret = vfio_mig_v1_read_data(m, off, buf, n);
	if (!ret)
		*len = n;
	return ret;
}

int vfio_mig_v1_load_chunk(struct vfio_mig_v1 *m, const void *buf,
			   uint64_t len)
{
	const char *p = buf;
	uint64_t off = 0, n;
	int ret;

	while (len) {
		ret = hdr_read64(m, HDR(data_offset), "data_offset",
				 &off);
		if (ret)
			return ret;
		n = span_at(m, off);
		if (!n)
			return vfio_set_error(-ERANGE,
					      "%s: data_offset %llu is outside the region",
					      m->dev->name,
					      (unsigned long long)off);
		if (n > len)
			n = len;
		if (in_window(m, off, n)) {
			memcpy((char *)m->window + (off - m->data_offset), p,
			       n);
		} else {
			ret = vfio_region_write(m->dev, &m->region, off, p, n);
			if (ret)
				return vfio_set_error(ret,
						      "%s: write %llu bytes of data at %llu",
						      m->dev->name,
						      (unsigned long long)n,
						      (unsigned long long)off);
		}
		ret = hdr_write64(m, HDR(data_size), "data_size", n);
		if (ret)
			return ret;
		p += n;
		len -= n;
	}
	return 0;
}

const char *vfio_mig_v1_state_name(uint32_t state)
{
	switch (state & VFIO_DEVICE_STATE_MASK) {
	case VFIO_DEVICE_STATE_V1_STOP:
		return "stop";
	case VFIO_DEVICE_STATE_V1_RUNNING:
		return "running";
	case VFIO_DEVICE_STATE_V1_SAVING:
		return "stop-copy";
	case VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING:
		return "pre-copy";
	case VFIO_DEVICE_STATE_V1_RESUMING:
		return "resuming";
	case VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING:
		return "error";
	}
	return "invalid";
}
