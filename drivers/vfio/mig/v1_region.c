// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: the protocol v1 migration region.
 *
 *   offset 0            struct vfio_device_migration_info (32 bytes),
 *                       each field at its natural width only
 *   offset PAGE_SIZE    the data window, window_kb KiB: read or written
 *                       at any width, and mmappable (sparse mmap cap)
 *
 * Saving: reading data_offset stages the next piece of the stream in the
 * window (again the same piece until it is acknowledged); data_size then
 * says how long it is; reading pending_bytes acknowledges it. Resuming:
 * the user writes a piece into the window and then its length into
 * data_size, which returns once the device consumed it.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "mig.h"

#define HDR(field)	offsetof(struct vfio_device_migration_info, field)
#define HDR_SIZE(field)	sizeof_field(struct vfio_device_migration_info, field)

static bool saving(struct vfio_mig_device *mig)
{
	return mig->save.active;
}

static bool resuming(struct vfio_mig_device *mig)
{
	return mig->load.active;
}

/* Reading data_offset while saving: stage a piece unless one is staged. */
static int stage(struct vfio_mig_device *mig)
{
	ssize_t n;

	if (mig->save.staged)
		return 0;
	n = vfio_mig_save_next(mig, mig->window, mig->window_size);
	if (n < 0) {
		dev_warn_ratelimited(mig->vdev->dev,
				     "saving device state failed: %zd\n", n);
		vfio_mig_fail(mig);
		return n;
	}
	mig->save.staged = n;
	return 0;
}

/* The data path belongs to a v2 session while one is open. */
static bool v2_owned(struct vfio_mig_device *mig)
{
	return mig->owner == VFIO_MIG_OWNER_V2;
}

static int header_read(struct vfio_mig_device *mig, u64 pos, size_t count,
		       u64 *val)
{
	int ret;

	if (pos != HDR(device_state) && v2_owned(mig))
		return -EBUSY;
	switch (pos) {
	case HDR(device_state):
		if (count != HDR_SIZE(device_state))
			return -EINVAL;
		*val = mig->state;
		return 0;
	case HDR(reserved):
		if (count != HDR_SIZE(reserved))
			return -EINVAL;
		*val = 0;
		return 0;
	case HDR(pending_bytes):
		if (count != HDR_SIZE(pending_bytes))
			return -EINVAL;
		/* Reading it acknowledges the staged piece. */
		mig->save.staged = 0;
		*val = saving(mig) ? vfio_mig_save_pending(mig) : 0;
		return 0;
	case HDR(data_offset):
		if (count != HDR_SIZE(data_offset))
			return -EINVAL;
		if (saving(mig)) {
			ret = stage(mig);
			if (ret)
				return ret;
		}
		*val = VFIO_MIG_WINDOW_OFFSET;
		return 0;
	case HDR(data_size):
		if (count != HDR_SIZE(data_size))
			return -EINVAL;
		*val = saving(mig) ? mig->save.staged : 0;
		return 0;
	}
	return -EINVAL;
}

static int header_write(struct vfio_mig_device *mig, u64 pos, size_t count,
			u64 val)
{
	int ret;

	switch (pos) {
	case HDR(device_state):
		if (count != HDR_SIZE(device_state))
			return -EINVAL;
		return vfio_mig_set_state(mig, val, VFIO_MIG_OWNER_V1);
	case HDR(data_size):
		if (v2_owned(mig))
			return -EBUSY;
		if (count != HDR_SIZE(data_size) || !resuming(mig))
			return -EINVAL;
		if (val > mig->window_size)
			return -EINVAL;	/* nothing consumed, state kept */
		ret = vfio_mig_load_feed(mig, mig->window, val);
		if (ret)
			vfio_mig_fail(mig);
		return ret;
	}
	return -EINVAL;
}

static ssize_t header_rw(struct vfio_mig_device *mig, char __user *buf,
			 size_t count, u64 pos, bool write)
{
	u64 val = 0;
	int ret;

	if (count != 4 && count != 8)
		return -EINVAL;
	if (write) {
		if (copy_from_user(&val, buf, count))
			return -EFAULT;
		mutex_lock(&mig->lock);
		ret = header_write(mig, pos, count, val);
		mutex_unlock(&mig->lock);
		return ret ? ret : count;
	}
	mutex_lock(&mig->lock);
	ret = header_read(mig, pos, count, &val);
	mutex_unlock(&mig->lock);
	if (ret)
		return ret;
	/* Little endian machines only: the low bytes hold a u32. */
	if (copy_to_user(buf, &val, count))
		return -EFAULT;
	return count;
}

/*
 * The window is plain memory that the user owns between handshakes, like
 * its mmap; the lock only keeps the session from changing under a copy.
 * A fault on @buf cannot come back here: the window's own mmap is
 * populated at mmap time.
 */
static ssize_t window_rw(struct vfio_mig_device *mig, char __user *buf,
			 size_t count, u64 off, bool write)
{
	unsigned long left;

	if (off >= mig->window_size || count > mig->window_size - off)
		return -EINVAL;
	mutex_lock(&mig->lock);
	if (v2_owned(mig)) {
		mutex_unlock(&mig->lock);
		return -EBUSY;
	}
	if (write)
		left = copy_from_user(mig->window + off, buf, count);
	else
		left = copy_to_user(buf, mig->window + off, count);
	mutex_unlock(&mig->lock);
	return left ? -EFAULT : count;
}

/**
 * vfio_mig_region_rw() - read or write the migration region
 * @mig: the migration device
 * @buf: user buffer
 * @count: bytes
 * @pos: offset in the region
 * @write: direction
 *
 * Return: @count, or -EINVAL for an access outside the header fields (at
 * their natural width) and the window, -EFAULT, or a state change's or a
 * load's error.
 */
ssize_t vfio_mig_region_rw(struct vfio_mig_device *mig, char __user *buf,
			   size_t count, u64 pos, bool write)
{
	if (!count)
		return 0;
	if (pos < sizeof(struct vfio_device_migration_info))
		return header_rw(mig, buf, count, pos, write);
	if (pos < VFIO_MIG_WINDOW_OFFSET)
		return -EINVAL;
	return window_rw(mig, buf, count, pos - VFIO_MIG_WINDOW_OFFSET, write);
}
EXPORT_SYMBOL_GPL(vfio_mig_region_rw);

/**
 * vfio_mig_region_mmap() - map (part of) the data window
 * @mig: the migration device
 * @vma: the mapping, MAP_SHARED
 * @pos: offset in the region of the mapping's first byte
 *
 * Return: 0, or -EINVAL for a mapping that is not inside the window or
 * not shared.
 */
int vfio_mig_region_mmap(struct vfio_mig_device *mig,
			 struct vm_area_struct *vma, u64 pos)
{
	u64 len = vma->vm_end - vma->vm_start;
	u64 off;

	if (!(vma->vm_flags & VM_SHARED) || !PAGE_ALIGNED(pos) ||
	    pos < VFIO_MIG_WINDOW_OFFSET)
		return -EINVAL;
	off = pos - VFIO_MIG_WINDOW_OFFSET;
	if (off >= mig->window_size || len > mig->window_size - off)
		return -EINVAL;
	/*
	 * A mapping may outlive a v1 session and watch the window while a
	 * v2 session stages its data there; the window never holds more
	 * than the device's own state, which the user may read anyway.
	 */
	return remap_vmalloc_range(vma, mig->window, off >> PAGE_SHIFT);
}
EXPORT_SYMBOL_GPL(vfio_mig_region_mmap);

static int add_caps(struct vfio_mig_device *mig, struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_region_info_cap_type type = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = VFIO_REGION_TYPE_MIGRATION,
		.subtype = VFIO_REGION_SUBTYPE_MIGRATION,
	};
	struct vfio_info_cap_header ndma = {
		.id = VFIO_REGION_INFO_CAP_MIGRATION_NDMA,
		.version = 1,
	};
	size_t size = struct_size(sparse, areas, 1);
	int ret;

	ret = vfio_info_add_capability(caps, &type.header, sizeof(type));
	if (ret)
		return ret;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	sparse->areas[0].offset = VFIO_MIG_WINDOW_OFFSET;
	sparse->areas[0].size = mig->window_size;
	ret = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	if (ret || !mig->ndma)
		return ret;

	return vfio_info_add_capability(caps, &ndma, sizeof(ndma));
}

/**
 * vfio_mig_region_info() - answer VFIO_DEVICE_GET_REGION_INFO
 * @mig: the migration device
 * @arg: the user's struct vfio_region_info, index already checked with
 *	vfio_mig_is_region()
 *
 * Reports the region's size and flags with its type, sparse mmap and (if
 * the device has it) NDMA capabilities, following the argsz protocol.
 *
 * Return: 0, -EFAULT, -EINVAL for a short argsz, or -ENOMEM.
 */
int vfio_mig_region_info(struct vfio_mig_device *mig,
			 struct vfio_region_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index != mig->region_index)
		return -EINVAL;

	info.offset = mig->region_offset;
	info.size = VFIO_MIG_WINDOW_OFFSET + mig->window_size;
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		     VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;
	info.cap_offset = 0;

	ret = add_caps(mig, &caps);
	if (ret)
		goto out;
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user(arg + 1, caps.buf, caps.size)) {
			ret = -EFAULT;
			goto out;
		}
		info.cap_offset = sizeof(info);
	}
	if (copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
out:
	kfree(caps.buf);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_mig_region_info);
