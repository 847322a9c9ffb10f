// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the VFIO migration protocol v2 client (VFIO_DEVICE_FEATURE and
 * the data fd).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_migration.h"

/* Largest read(): 1 MiB. */
#define READ_PIECE	(1024UL * 1024)
#define V2_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* VFIO_DEVICE_FEATURE_GET of @which into @payload; @what names it. */
static int feature_get(struct vfio_dev *d, uint32_t which, void *payload,
		       size_t len, const char *what)
{
	int ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_GET | which, payload, len);

	if (ret)
		return vfio_set_error(ret, "%s: get %s", d->name, what);
	return 0;
}

int vfio_mig_v2_flags(struct vfio_dev *d, uint64_t *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int ret;

	ret = feature_get(d, VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig),
			  "VFIO_DEVICE_FEATURE_MIGRATION");
	if (!ret)
		*flags = mig.flags;
	return ret;
}

int vfio_mig_v2_get_state(struct vfio_dev *d, uint32_t *state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int ret;

	ret = feature_get(d, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &mig,
			  sizeof(mig), "the v2 device_state");
	if (!ret)
		*state = mig.device_state;
	return ret;
}

int vfio_mig_v2_set_state(struct vfio_dev *d, uint32_t state,
			  int *data_fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state,
		.data_fd = -1,
	};
	int ret;

	if (data_fd)
		*data_fd = -1;
	ret = vfio_dev_feature(d, VFIO_DEVICE_FEATURE_SET |
			       VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			       &mig, sizeof(mig));
	if (ret)
		return vfio_set_error(ret, "%s: set the v2 device_state to %u (%s)",
				      d->name, state,
				      vfio_mig_v2_state_name(state));
	if (data_fd)
		*data_fd = mig.data_fd;
	else if (mig.data_fd >= 0)
		close(mig.data_fd);
	return 0;
}

int vfio_mig_v2_stop_copy_size(struct vfio_dev *d, uint64_t *len)
{
	struct vfio_device_feature_mig_data_size sz = { 0 };
	int ret;

	ret = feature_get(d, VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &sz,
			  sizeof(sz), "VFIO_DEVICE_FEATURE_MIG_DATA_SIZE");
	if (!ret)
		*len = sz.stop_copy_length;
	return ret;
}

int vfio_mig_v2_precopy_info(int data_fd, uint64_t *initial, uint64_t *dirty)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return vfio_set_error(-errno, "VFIO_MIG_GET_PRECOPY_INFO on fd %d",
				      data_fd);
	*initial = info.initial_bytes;
	*dirty = info.dirty_bytes;
	return 0;
}

void vfio_mig_v2_buf_free(struct vfio_mig_v2_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Room for @n more bytes in @b. */
static int buf_reserve(struct vfio_mig_v2_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : READ_PIECE;
	uint8_t *p;

	if (b->cap - b->len >= n)
		return 0;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int vfio_mig_v2_read_all(int data_fd, struct vfio_mig_v2_buf *b, size_t max,
			 bool *ended)
{
	size_t got = 0, want;
	ssize_t n;
	int ret;

	if (ended)
		*ended = false;
	for (;;) {
		want = READ_PIECE;
		if (max) {
			if (got >= max)
				return 0;
			if (want > max - got)
				want = max - got;
		}
		ret = buf_reserve(b, want);
		if (ret)
			return vfio_set_error(ret, "read the data fd");
		n = read(data_fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOMSG)
			return 0;
		if (n < 0)
			return vfio_set_error(-errno,
					      "read the data fd after %zu bytes",
					      got);
		if (!n) {
			if (ended)
				*ended = true;
			return 0;
		}
		b->len += n;
		got += n;
	}
}

int vfio_mig_v2_write_all(int data_fd, const void *buf, size_t len,
			  size_t piece)
{
	const uint8_t *p = buf;
	size_t done = 0, want;
	ssize_t n;

	while (done < len) {
		want = len - done;
		if (piece && want > piece)
			want = piece;
		n = write(data_fd, p + done, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vfio_set_error(-errno,
					      "write %zu bytes to the data fd at %zu of %zu",
					      want, done, len);
		if (!n)
			return vfio_set_error(-EIO,
					      "the data fd took nothing at %zu of %zu",
					      done, len);
		done += n;
	}
	return 0;
}

const char *vfio_mig_v2_state_name(uint32_t state)
{
	static const char * const names[] = {
		[VFIO_DEVICE_STATE_ERROR] = "error",
		[VFIO_DEVICE_STATE_STOP] = "stop",
		[VFIO_DEVICE_STATE_RUNNING] = "running",
		[VFIO_DEVICE_STATE_STOP_COPY] = "stop-copy",
		[VFIO_DEVICE_STATE_RESUMING] = "resuming",
		[VFIO_DEVICE_STATE_RUNNING_P2P] = "running-p2p",
		[VFIO_DEVICE_STATE_PRE_COPY] = "pre-copy",
		[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "pre-copy-p2p",
	};

	if (state < V2_ARRAY_SIZE(names))
		return names[state];
	return "invalid";
}
