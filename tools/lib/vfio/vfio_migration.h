/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio: a VFIO migration protocol v1 client (the migration region) and
 * a simple file format for a saved device state.
 *
 * The client follows what QEMU 7.2 does: it finds the region by its type
 * capability, maps the data window announced by the sparse mmap
 * capability (or reads and writes it with pread()/pwrite() when asked
 * to, or when the device offers no mapping) and accesses every header
 * field at its natural width and alignment.
 *
 * Saving, one chunk:     vfio_mig_v1_pending()  (acknowledges the last)
 *                        vfio_mig_v1_save_chunk()
 * Resuming, one chunk:   vfio_mig_v1_load_chunk()
 *
 * Every function returns 0 or a negative errno and records a message for
 * vfio_errmsg() on failure.
 */
#ifndef _VFIO_MIGRATION_H
#define _VFIO_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio_mig.h>

#include "vfio_lib.h"

/**
 * struct vfio_mig_v1 - A device's migration region, opened for protocol v1.
 * @dev: the device.
 * @region: the migration region.
 * @data_offset: offset of the data window in the region, from the sparse
 *	mmap capability (0 if the device announces none).
 * @data_size: size of the data window (0 if the device announces none).
 * @window: the window mapped into this process, or NULL when it is
 *	accessed with pread()/pwrite() ("trapped").
 * @ndma: the region carries VFIO_REGION_INFO_CAP_MIGRATION_NDMA.
 */
struct vfio_mig_v1 {
	struct vfio_dev *dev;
	struct vfio_region region;
	uint64_t data_offset;
	uint64_t data_size;
	void *window;
	bool ndma;
};

/**
 * vfio_mig_v1_open() - Find and open a device's migration region.
 * @m: filled on success.
 * @d: an open device.
 * @use_mmap: map the data window if the region allows it; with false
 *	every data access is a pread()/pwrite() of the device file.
 *
 * Looks at every region index below the device's num_regions, as QEMU 7.2
 * does, for a VFIO_REGION_INFO_CAP_TYPE capability of type 3
 * (VFIO_REGION_TYPE_MIGRATION) and subtype 1; indexes whose info cannot
 * be read are skipped. The region must not be empty.
 *
 * Return: 0, -ENOENT if the device has no migration region, -EINVAL if
 * the region is empty, or the errno of a failed mmap.
 */
int vfio_mig_v1_open(struct vfio_mig_v1 *m, struct vfio_dev *d,
		     bool use_mmap);

/**
 * vfio_mig_v1_close() - Unmap the data window; the device stays open.
 * @m: the region; closing it twice does nothing.
 */
void vfio_mig_v1_close(struct vfio_mig_v1 *m);

/**
 * vfio_mig_v1_get_state() - Read device_state (u32 at offset 0).
 * @m: the region.
 * @state: the value read, reserved bits included.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v1_get_state(struct vfio_mig_v1 *m, uint32_t *state);

/**
 * vfio_mig_v1_set_state() - Write device_state (u32 at offset 0).
 * @m: the region.
 * @state: the new value; the transition is complete when this returns.
 *
 * On failure the device keeps its state or enters the error state
 * (VFIO_DEVICE_STATE_IS_ERROR()), which only a device reset leaves; the
 * message says which of the two happened.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v1_set_state(struct vfio_mig_v1 *m, uint32_t state);

/**
 * vfio_mig_v1_pending() - Read pending_bytes (u64 at offset 8).
 * @m: the region.
 * @pending: bytes the device still has to send.
 *
 * While saving this also acknowledges the chunk read last, so the next
 * vfio_mig_v1_save_chunk() gets a new one.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v1_pending(struct vfio_mig_v1 *m, uint64_t *pending);

/**
 * vfio_mig_v1_save_chunk() - Stage and read the next chunk of device data.
 * @m: the region, device_state with SAVING set.
 * @buf: where the chunk goes.
 * @size: room at @buf; the window size is always enough.
 * @len: the chunk's length (data_size); 0 when nothing is staged.
 *
 * Reads data_offset (the device stages a chunk), then data_size, then the
 * data at data_offset, from the mapping when the chunk lies inside it and
 * with pread() otherwise. Until vfio_mig_v1_pending() acknowledges it, a
 * second call returns the same chunk again.
 *
 * Return: 0, -ENOSPC if @size is smaller than the chunk (nothing is read),
 * or another negative errno.
 */
int vfio_mig_v1_save_chunk(struct vfio_mig_v1 *m, void *buf, size_t size,
			   uint64_t *len);

/**
 * vfio_mig_v1_stage() - Stage the next chunk of a saving device.
 * @m: the region.
 * @off: where the chunk is in the region (data_offset).
 * @len: its length (data_size); 0 when nothing was staged.
 *
 * Reads data_offset, which stages the chunk, then data_size. Read
 * pending_bytes first, as the protocol orders; reading it again
 * acknowledges the chunk.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v1_stage(struct vfio_mig_v1 *m, uint64_t *off, uint64_t *len);

/**
 * vfio_mig_v1_read_data() - Copy staged data out of the region.
 * @m: the region.
 * @off: region offset, inside the staged chunk.
 * @buf: where to copy.
 * @len: bytes.
 *
 * Copies from the mapped window when @off lies in it, else with pread().
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v1_read_data(struct vfio_mig_v1 *m, uint64_t off, void *buf,
			  uint64_t len);

/**
 * vfio_mig_v1_load_chunk() - Hand a chunk of saved data to the device.
 * @m: the region, device_state RESUMING.
 * @buf: the chunk, as vfio_mig_v1_save_chunk() returned it.
 * @len: its length.
 *
 * For each piece: reads data_offset, writes the piece into the window
 * (the mapping, or pwrite()), writes its length to data_size, which
 * returns once the device consumed it. A chunk larger than the window is
 * split into window-sized pieces, as QEMU 7.2 does.
 *
 * Return: 0 or a negative errno (the device's verdict on the data).
 */
int vfio_mig_v1_load_chunk(struct vfio_mig_v1 *m, const void *buf,
			   uint64_t len);

/**
 * vfio_mig_v1_state_name() - Name a device_state value.
 * @state: the value.
 *
 * Return: "stop", "running", "stop-copy", "pre-copy", "resuming", "error"
 * or "invalid", for the three base bits; the NDMA and reserved bits are
 * ignored.
 */
const char *vfio_mig_v1_state_name(uint32_t state);

/*
 * The protocol v2 client (migration_v2.c): VFIO_DEVICE_FEATURE_MIGRATION,
 * VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE and its data fd, and the pre-copy
 * additions of Linux 6.2 (VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
 * VFIO_MIG_GET_PRECOPY_INFO). Like the v1 client, every function returns
 * 0 or a negative errno (the ioctl's or the read's own) and records a
 * message for vfio_errmsg() on failure.
 */

/**
 * vfio_mig_v2_flags() - Read VFIO_DEVICE_FEATURE_MIGRATION.
 * @d: an open device.
 * @flags: VFIO_MIGRATION_STOP_COPY, _P2P, _PRE_COPY as the device offers.
 *
 * Return: 0, -ENOTTY if the device does not offer protocol v2, or another
 * negative errno.
 */
int vfio_mig_v2_flags(struct vfio_dev *d, uint64_t *flags);

/**
 * vfio_mig_v2_get_state() - Read the v2 device_state.
 * @d: an open device.
 * @state: an enum vfio_device_mig_state value.
 *
 * Return: 0 or a negative errno.
 */
int vfio_mig_v2_get_state(struct vfio_dev *d, uint32_t *state);

/**
 * vfio_mig_v2_set_state() - Move the device to a v2 state.
 * @d: an open device.
 * @state: the new state, passed to the kernel as it is (invalid values
 *	included, so that tests can check they are refused).
 * @data_fd: if not NULL, receives the data fd the kernel returned, or -1
 *	when it returned none; the caller closes it. If NULL, a returned fd
 *	is closed at once.
 *
 * The kernel walks a multi-step change one arc at a time; a data fd comes
 * with entering STOP_COPY, PRE_COPY or PRE_COPY_P2P from outside that
 * group, and with entering RESUMING.
 *
 * Return: 0 or the negative errno of VFIO_DEVICE_FEATURE (@data_fd is -1).
 */
int vfio_mig_v2_set_state(struct vfio_dev *d, uint32_t state,
			  int *data_fd);

/**
 * vfio_mig_v2_stop_copy_size() - Read VFIO_DEVICE_FEATURE_MIG_DATA_SIZE.
 * @d: an open device.
 * @len: the device's estimate of the bytes a stop-copy would produce now.
 *
 * Return: 0, -ENOTTY on a kernel without the feature (before 6.2), or
 * another negative errno.
 */
int vfio_mig_v2_stop_copy_size(struct vfio_dev *d, uint64_t *len);

/**
 * vfio_mig_v2_precopy_info() - VFIO_MIG_GET_PRECOPY_INFO on a data fd.
 * @data_fd: the data fd of a saving session.
 * @initial: initial_bytes, the initial data not read yet.
 * @dirty: dirty_bytes, the data dirtied since it was read.
 *
 * Return: 0, -EINVAL outside PRE_COPY and PRE_COPY_P2P, or another
 * negative errno.
 */
int vfio_mig_v2_precopy_info(int data_fd, uint64_t *initial,
			     uint64_t *dirty);

/**
 * struct vfio_mig_v2_buf - A growing buffer of stream bytes.
 * @data: the bytes (malloc()ed), or NULL.
 * @len: bytes held.
 * @cap: bytes allocated.
 */
struct vfio_mig_v2_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/**
 * vfio_mig_v2_buf_free() - Free a buffer and make it empty.
 * @b: the buffer.
 */
void vfio_mig_v2_buf_free(struct vfio_mig_v2_buf *b);

/**
 * vfio_mig_v2_read_all() - Read what a saving data fd has now.
 * @data_fd: the data fd of a saving session.
 * @b: the bytes read are appended to it.
 * @max: stop after this many bytes (0: no limit); a read never asks for
 *	more than what is left of @max.
 * @ended: if not NULL, set to true when the stream ended (a read of 0,
 *	STOP_COPY) and to false otherwise: the temporary end of pre-copy
 *	(ENOMSG) or @max reached.
 *
 * Reads in pieces of up to 1 MiB until the end of the stream, ENOMSG or
 * @max; EINTR is retried.
 *
 * Return: 0, or the negative errno of a failed read (the bytes read
 * before it stay in @b).
 */
int vfio_mig_v2_read_all(int data_fd, struct vfio_mig_v2_buf *b, size_t max,
			 bool *ended);

/**
 * vfio_mig_v2_write_all() - Write stream bytes to a resuming data fd.
 * @data_fd: the data fd of a RESUMING session.
 * @buf: the bytes.
 * @len: how many.
 * @piece: largest write() (0: all of what is left at once).
 *
 * Return: 0, or the negative errno of the write() that failed; -EIO if a
 * write() returned 0.
 */
int vfio_mig_v2_write_all(int data_fd, const void *buf, size_t len,
			  size_t piece);

/**
 * vfio_mig_v2_state_name() - Name a v2 device_state value.
 * @state: the value.
 *
 * Return: "error", "stop", "running", "stop-copy", "resuming",
 * "running-p2p", "pre-copy", "pre-copy-p2p" or "invalid".
 */
const char *vfio_mig_v2_state_name(uint32_t state);

#endif /* _VFIO_MIGRATION_H */
