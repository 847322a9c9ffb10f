/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the protocol v2 migration kselftests (mig_v2_*.c): the v2
 * states and their v1 equivalents, what the running kernel is expected to
 * offer, whole streams saved and loaded through the data fd.
 *
 * On top of mig_v1_util.h (instances with distinctive state, digests, the
 * v1 region, stream fields), as static functions in a header.
 */
#ifndef _MIG_V2_UTIL_H
#define _MIG_V2_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "mig_v1_util.h"

/* The PRE_COPY states come from vfio_mig.h where <linux/vfio.h> lacks them. */
#define NO_STATE	0xdeadbeefU

/*
 * Does the running kernel have the 6.2 pre-copy uapi (PRE_COPY states,
 * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE)? Decided from its release, not from
 * what the device reports, so that a device that fails to offer it fails.
 */
static inline bool kernel_has_precopy(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/* The v1 device_state equivalent of a v2 state (NO_STATE for none). */
static inline uint32_t v1_of(uint32_t v2)
{
	switch (v2) {
	case VFIO_DEVICE_STATE_STOP:
		return VFIO_DEVICE_STATE_V1_STOP;
	case VFIO_DEVICE_STATE_RUNNING:
		return VFIO_DEVICE_STATE_V1_RUNNING;
	case VFIO_DEVICE_STATE_STOP_COPY:
		return VFIO_DEVICE_STATE_V1_SAVING;
	case VFIO_DEVICE_STATE_RESUMING:
		return VFIO_DEVICE_STATE_V1_RESUMING;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		return VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA;
	case VFIO_DEVICE_STATE_PRE_COPY:
		return VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING;
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		return VFIO_DEVICE_STATE_V1_SAVING |
		       VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA;
	case VFIO_DEVICE_STATE_ERROR:
		return VFIO_DEVICE_STATE_SET_ERROR(0);
	}
	return NO_STATE;
}

static inline bool v2_saving(uint32_t s)
{
	return s == VFIO_DEVICE_STATE_STOP_COPY ||
	       s == VFIO_DEVICE_STATE_PRE_COPY ||
	       s == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

static inline bool v2_has_session(uint32_t s)
{
	return v2_saving(s) || s == VFIO_DEVICE_STATE_RESUMING;
}

/* The v2 device_state, or NO_STATE if it cannot be read. */
static inline uint32_t v2_state(struct vfio_dev *d)
{
	uint32_t st;

	if (vfio_mig_v2_get_state(d, &st))
		return NO_STATE;
	return st;
}

/*
 * Set a v2 state; 0 or -errno, the data fd (or -1) in *fd if not NULL.
 * v2_set() asserts that it succeeds, v2_set_err() expects an errno.
 */
static inline int __v2_set(struct vfio_dev *d, uint32_t st, int *fd)
{
	return vfio_mig_v2_set_state(d, st, fd);
}

#define v2_set(d, st, fd)						\
	({ ASSERT_EQ(0, __v2_set(d, st, fd)) TH_LOG("%s", vfio_errmsg()); })
#define v2_set_err(_errno, d, st, fd)					\
	EXPECT_EQ(-(_errno), __v2_set(d, st, fd))

/* read() of @len bytes from @fd: the count, or -errno. */
static inline ssize_t fd_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* write() of @len bytes to @fd: the count, or -errno. */
static inline ssize_t fd_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* One byte through a data fd in the direction it is open for. */
static inline ssize_t fd_poke(int fd)
{
	uint8_t b = 0;

	if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY)
		return fd_write(fd, &b, 1);
	return fd_read(fd, &b, 1);
}

static inline void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Move @d to @state, a state that opens a data fd, into *@fd. */
static inline int v2_open_fd(struct vfio_dev *d, uint32_t state, int *fd)
{
	int ret = __v2_set(d, state, fd);

	if (!ret && *fd < 0)
		ret = vfio_set_error(-EPROTO, "%s returned no data fd",
				     vfio_mig_v2_state_name(state));
	return ret;
}

/*
 * Save a whole stream through v2: the device to STOP_COPY, read until the
 * end of the stream, STOP. The bytes are appended to @b.
 */
static inline int v2_save_all(struct vfio_dev *d, struct vfio_mig_v2_buf *b)
{
	bool ended;
	int fd, ret;

	ret = v2_open_fd(d, VFIO_DEVICE_STATE_STOP_COPY, &fd);
	if (ret)
		return ret;
	ret = vfio_mig_v2_read_all(fd, b, 0, &ended);
	if (!ret && !ended)
		ret = vfio_set_error(-EPROTO, "the stop-copy stream did not end");
	if (!ret)
		ret = __v2_set(d, VFIO_DEVICE_STATE_STOP, NULL);
	close(fd);
	return ret;
}

/* RESUMING, all of @buf written in pieces of @piece bytes, RUNNING. */
static inline int v2_load_all(struct vfio_dev *d, const void *buf,
			      size_t len, size_t piece)
{
	int fd, ret;

	ret = v2_open_fd(d, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (ret)
		return ret;
	ret = vfio_mig_v2_write_all(fd, buf, len, piece);
	if (!ret)
		ret = __v2_set(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	close(fd);
	return ret;
}

#endif /* _MIG_V2_UTIL_H */
