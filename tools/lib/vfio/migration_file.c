// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the saved-state file, a header and length-prefixed chunks
 * (the format is described in vfio_migration.h).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vfio_migration.h"

/* Write all of @buf; -errno on failure. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read all of @buf; -EIO if the file ends first. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int vfio_mig_file_write_header(int fd, const char *type)
{
	char hdr[VFIO_MIG_FILE_HEADER_LEN] = { 0 };
	size_t tlen = strlen(type);
	int ret;

	if (tlen >= VFIO_MIG_FILE_TYPE_LEN)
		return vfio_set_error(-ENAMETOOLONG,
				      "saved-state file: type name \"%s\"",
				      type);
	memcpy(hdr, VFIO_MIG_FILE_MAGIC, VFIO_MIG_FILE_MAGIC_LEN);
	memcpy(hdr + VFIO_MIG_FILE_MAGIC_LEN, type, tlen);
	ret = write_all(fd, hdr, sizeof(hdr));
	if (ret)
		return vfio_set_error(ret, "write the saved-state file header");
	return 0;
}

int vfio_mig_file_read_header(int fd, char *type, size_t size)
{
	char hdr[VFIO_MIG_FILE_HEADER_LEN];
	const char *name = hdr + VFIO_MIG_FILE_MAGIC_LEN;
	size_t len;
	int ret;

	ret = read_all(fd, hdr, sizeof(hdr));
	if (ret == -EIO)
		return vfio_set_error(ret,
				      "saved-state file shorter than its %d-byte header",
				      VFIO_MIG_FILE_HEADER_LEN);
	if (ret)
		return vfio_set_error(ret, "read the saved-state file header");
	if (memcmp(hdr, VFIO_MIG_FILE_MAGIC, VFIO_MIG_FILE_MAGIC_LEN))
		return vfio_set_error(-EINVAL,
				      "not a saved-state file (no \"%s\" magic)",
				      VFIO_MIG_FILE_MAGIC);
	if (!memchr(name, '\0', VFIO_MIG_FILE_TYPE_LEN))
		return vfio_set_error(-EINVAL,
				      "saved-state file: type name not terminated");
	len = strlen(name);
	if (len >= size)
		return vfio_set_error(-ENAMETOOLONG,
				      "saved-state file: type name \"%s\"",
				      name);
	memcpy(type, name, len + 1);
	return 0;
}

int vfio_mig_file_write_frame(int fd, const void *buf, uint64_t len)
{
	uint64_t le = htole64(len);
	int ret;

	ret = write_all(fd, &le, sizeof(le));
	if (!ret && len)
		ret = write_all(fd, buf, len);
	if (ret)
		return vfio_set_error(ret,
				      "write a %llu-byte frame to the saved-state file",
				      (unsigned long long)len);
	return 0;
}

int vfio_mig_file_read_frame(int fd, void *buf, size_t size, uint64_t *len)
{
	uint64_t le, n;
	int ret;

	*len = 0;
	ret = read_all(fd, &le, sizeof(le));
	if (ret == -EIO)
		return vfio_set_error(ret,
				      "saved-state file ends without its end mark (truncated?)");
	if (ret)
		return vfio_set_error(ret, "read the saved-state file");
	n = le64toh(le);
	if (n > size)
		return vfio_set_error(-EFBIG,
				      "saved-state file: a frame of %llu bytes, more than the %zu expected",
				      (unsigned long long)n, size);
	ret = read_all(fd, buf, n);
	if (ret == -EIO)
		return vfio_set_error(ret,
				      "saved-state file ends inside a %llu-byte frame (truncated?)",
				      (unsigned long long)n);
	if (ret)
		return vfio_set_error(ret, "read the saved-state file");
	*len = n;
	return 0;
}
