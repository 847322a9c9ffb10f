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
 *
 * The region is one channel (struct vfio_mig_chan): a session it opened
 * by a device_state write is its own, and while another channel (a v2
 * data fd, the management channel) owns one, the data path answers
 * -EBUSY. The window is the region's staging buffer and no one else's.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "mig.h"

#define HDR(field)	offsetof(struct vfio_device_migration_info, field)
#define HDR_SIZE(field)	sizeof_field(struct vfio_device_migration_info, field)

/*
 * The data path (pending_bytes, data_offset, data_size and the window)
 * acts on a session only when the v1 region owns it; while another
 * channel owns one, it is not the v1 user's to read or change.
 */
static int vfio_mig_v1_data_check(struct vfio_mig_device *mig)
{
	return vfio_mig_may_drive(mig, &mig->v1) ? 0 : -EBUSY;
}

static bool vfio_mig_v1_saving(struct vfio_mig_device *mig)
{
	return mig->owner == &mig->v1 && mig->save.active;
}

static bool vfio_mig_v1_resuming(struct vfio_mig_device *mig)
{
	return mig->owner == &mig->v1 && mig->load.active;
}

/* Reading data_offset while saving: stage a piece unless one is staged. */
static int vfio_mig_v1_stage(struct vfio_mig_device *mig)
{
	struct vfio_mig_stage *st = &mig->v1.stage;
	ssize_t n;

	if (st->len)
		return 0;
	n = vfio_mig_save_next(mig, st->buf, st->size);
	if (n < 0) {
		vfio_mig_warn(mig, "saving device state failed: %zd\n", n);
		vfio_mig_fail(mig);
		return n;
	}
	st->len = n;
	st->pos = 0;
	return 0;
}

static int vfio_mig_header_read(struct vfio_mig_device *mig, u64 pos,
				size_t count, u64 *val)
{
	struct vfio_mig_stage *st = &mig->v1.stage;
	int ret;

	if (pos != HDR(device_state)) {
		ret = vfio_mig_v1_data_check(mig);
		if (ret)
			return ret;
	}
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
		/*
		 * Reading it acknowledges the staged piece. In pre-copy it
		 * counts the current round only (see
		 * vfio_mig_save_round_left()).
		 */
		st->len = 0;
		st->pos = 0;
		*val = vfio_mig_v1_saving(mig) ? vfio_mig_save_round_left(mig) : 0;
		return 0;
	case HDR(data_offset):
		if (count != HDR_SIZE(data_offset))
			return -EINVAL;
		if (vfio_mig_v1_saving(mig)) {
			ret = vfio_mig_v1_stage(mig);
			if (ret)
				return ret;
		}
		*val = VFIO_MIG_WINDOW_OFFSET;
		return 0;
	case HDR(data_size):
		if (count != HDR_SIZE(data_size))
			return -EINVAL;
		*val = vfio_mig_v1_saving(mig) ? st->len : 0;
		return 0;
	}
	return -EINVAL;
}

static int vfio_mig_header_write(struct vfio_mig_device *mig, u64 pos,
				 size_t count, u64 val)
{
	unsigned int did;
	int ret;

	switch (pos) {
	case HDR(device_state):
		if (count != HDR_SIZE(device_state))
			return -EINVAL;
		return vfio_mig_set_state(mig, val, &mig->v1, &did);
	case HDR(data_size):
		if (count != HDR_SIZE(data_size))
			return -EINVAL;
		ret = vfio_mig_v1_data_check(mig);
		if (ret)
			return ret;
		if (!vfio_mig_v1_resuming(mig))
			return -EINVAL;
		if (val > mig->window_size)
			return -EINVAL;	/* nothing consumed, state kept */
		/* The decoder copies what it checks out of the window. */
		ret = vfio_mig_load_feed(mig, mig->window, val, false);
		if (ret)
			vfio_mig_fail(mig);
		return ret;
	}
	return -EINVAL;
}

/* Header fields travel at their own width, in the CPU's byte order. */
static ssize_t vfio_mig_header_rw(struct vfio_mig_device *mig,
				  char __user *buf, size_t count, u64 pos,
				  bool write)
{
	u64 val = 0;
	u32 val32;
	int ret;

	if (count != sizeof(u32) && count != sizeof(u64))
		return -EINVAL;
	if (write) {
		if (count == sizeof(u32)) {
			if (copy_from_user(&val32, buf, count))
				return -EFAULT;
			val = val32;
		} else if (copy_from_user(&val, buf, count)) {
			return -EFAULT;
		}
		if (mutex_lock_killable(&mig->lock))
			return -EINTR;
		ret = vfio_mig_header_write(mig, pos, count, val);
		mutex_unlock(&mig->lock);
		return ret ? ret : count;
	}
	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	ret = vfio_mig_header_read(mig, pos, count, &val);
	mutex_unlock(&mig->lock);
	if (ret)
		return ret;
	if (count == sizeof(u32)) {
		val32 = val;
		ret = copy_to_user(buf, &val32, count);
	} else {
		ret = copy_to_user(buf, &val, count);
	}
	return ret ? -EFAULT : count;
}

/*
 * The window is the v1 user's own memory between handshakes, like its
 * mmap: it is copied without the lock, so a user buffer that faults
 * slowly holds up nobody else. The lock only checks that no other
 * channel owns a session; the window is never staged into by one.
 */
static ssize_t vfio_mig_window_rw(struct vfio_mig_device *mig,
				  char __user *buf, size_t count, u64 off,
				  bool write)
{
	unsigned long left;
	int ret;

	if (off >= mig->window_size || count > mig->window_size - off)
		return -EINVAL;
	if (mutex_lock_killable(&mig->lock))
		return -EINTR;
	ret = vfio_mig_v1_data_check(mig);
	mutex_unlock(&mig->lock);
	if (ret)
		return ret;
	if (write)
		left = copy_from_user(mig->window + off, buf, count);
	else
		left = copy_to_user(buf, mig->window + off, count);
	return left ? -EFAULT : count;
}

/**
 * vfio_mig_region_rw() - read or write the migration region
 * @mig: the migration device
 * @buf: user buffer
 * @count: bytes
 * @ppos: the device file's position, as the driver's read or write got
 *	it: inside the region the driver placed at its region_offset
 * @write: direction
 *
 * The driver hands its read or write through as it came; what it returns
 * is the driver's return value.
 *
 * Return: @count with *@ppos advanced by it; -EINVAL for a position
 * before the region, an access outside the header fields (at their
 * natural width) and the window, and for any access to a device that is
 * migrated out of band only; -EBUSY for the data path while another
 * channel owns the session; -EFAULT; or a state change's or a load's
 * error.
 */
ssize_t vfio_mig_region_rw(struct vfio_mig_device *mig, char __user *buf,
			   size_t count, loff_t *ppos, bool write)
{
	u64 pos;
	ssize_t ret;

	if (mig->out_of_band || *ppos < 0 || (u64)*ppos < mig->region_offset)
		return -EINVAL;
	if (!count)
		return 0;
	pos = *ppos - mig->region_offset;
	if (pos < sizeof(struct vfio_device_migration_info))
		ret = vfio_mig_header_rw(mig, buf, count, pos, write);
	else if (pos < VFIO_MIG_WINDOW_OFFSET)
		ret = -EINVAL;
	else
		ret = vfio_mig_window_rw(mig, buf, count,
					 pos - VFIO_MIG_WINDOW_OFFSET, write);
	if (ret < 0)
		return ret;
	*ppos += count;
	return count;
}
EXPORT_SYMBOL_GPL(vfio_mig_region_rw);

/**
 * vfio_mig_region_mmap() - map (part of) the data window
 * @mig: the migration device
 * @vma: the mapping, MAP_SHARED, as the driver's mmap got it: its
 *	vm_pgoff is the device file's page offset, inside the region the
 *	driver placed at its region_offset
 *
 * Return: 0, or -EINVAL for a mapping that is not inside the window or
 * not shared, or on a device migrated out of band only.
 */
int vfio_mig_region_mmap(struct vfio_mig_device *mig,
			 struct vm_area_struct *vma)
{
	u64 len = vma->vm_end - vma->vm_start;
	u64 pos, off;

	/* A page offset whose byte offset does not fit in 64 bits. */
	if (vma->vm_pgoff > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;
	pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	if (mig->out_of_band || !(vma->vm_flags & VM_SHARED) ||
	    pos < mig->region_offset)
		return -EINVAL;
	pos -= mig->region_offset;
	if (!PAGE_ALIGNED(pos) || pos < VFIO_MIG_WINDOW_OFFSET)
		return -EINVAL;
	off = pos - VFIO_MIG_WINDOW_OFFSET;
	if (off >= mig->window_size || len > mig->window_size - off)
		return -EINVAL;
	/* Only the v1 region stages in the window; no other channel's. */
	return remap_vmalloc_range(vma, mig->window, off >> PAGE_SHIFT);
}
EXPORT_SYMBOL_GPL(vfio_mig_region_mmap);

static int vfio_mig_region_caps(struct vfio_mig_device *mig, struct vfio_info_cap *caps)
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

	ret = vfio_mig_region_caps(mig, &caps);
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
