// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate: opening devices, messages, progress and small helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfio-migrate.h"

void vm_err(const char *fmt, ...)
{
	va_list ap;

	vm_status_done();
	fputs("vfio-migrate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void vm_cont(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void vm_info(const char *fmt, ...)
{
	va_list ap;

	vm_status_done();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* What a user can do about a failure, by errno. */
static const char * const hints[] = {
	[ENOENT] =
		"check the UUID (ls /sys/bus/mdev/devices), that mdma.ko and vfio_mig.ko are loaded, and that debugfs is mounted",
	[EACCES] = "run as root",
	[EPERM] = "run as root",
	[EBUSY] =
		"another process (a VMM, or another vfio-migrate) has the device or its group open; stop it first",
	[ENODEV] = "the instance went away; create it again",
	[ENOSPC] = "not enough memory; try a smaller --ram-mb or fewer instances",
	[ENOMEM] = "not enough memory; try a smaller --ram-mb or fewer instances",
	[EINVAL] =
		"the device refused the request; it may be in the error state (reopening the device resets it)",
	[EIO] = "the device or file returned less than asked",
};

void vm_explain(const char *what, int err)
{
	vm_err("%s: %s", what, vfio_errmsg());
	if (-err > 0 && -err < (int)VM_ARRAY_SIZE(hints) && hints[-err])
		vm_cont("  hint: %s\n", hints[-err]);
}

int vm_proto_parse(const char *arg)
{
	if (!strcmp(arg, "v1") || !strcmp(arg, "1"))
		return VM_PROTO_V1;
	if (!strcmp(arg, "v2") || !strcmp(arg, "2"))
		return VM_PROTO_V2;
	return -1;
}

const char *vm_proto_name(enum vm_proto proto)
{
	if (proto == VM_PROTO_PLUGIN)
		return "v1 states through the plugin";
	return proto == VM_PROTO_V2 ? "v2" : "v1";
}

const char *vm_v2_flags_str(char *buf, size_t size, uint64_t flags)
{
	snprintf(buf, size, "%s%s%s%s",
		 flags & VFIO_MIGRATION_STOP_COPY ? "stop-copy" : "no-stop-copy",
		 flags & VFIO_MIGRATION_P2P ? " p2p" : "",
		 flags & VFIO_MIGRATION_PRE_COPY ? " pre-copy" : "",
		 flags & ~(uint64_t)(VFIO_MIGRATION_STOP_COPY |
				     VFIO_MIGRATION_P2P |
				     VFIO_MIGRATION_PRE_COPY) ?
		 " +unknown" : "");
	return buf;
}

const char *vm_transport(const struct vm_dev *d)
{
	if (d->proto == VM_PROTO_V2)
		return "v2 data fd";
	if (d->proto == VM_PROTO_PLUGIN)
		return "plugin backend";
	return d->mig.window ? "mapped window" : "trapped window";
}

int vm_set_state(struct vm_dev *d, enum vm_state st)
{
	static const uint32_t v1[] = {
		[VM_RUNNING] = VFIO_MIG_V1_RUNNING,
		[VM_STOP] = VFIO_MIG_V1_STOP,
		[VM_STOP_COPY] = VFIO_MIG_V1_STOP_COPY,
		[VM_PRE_COPY] = VFIO_MIG_V1_PRE_COPY,
		[VM_RESUMING] = VFIO_MIG_V1_RESUMING,
	};
	static const uint32_t v2[] = {
		[VM_RUNNING] = VFIO_DEVICE_STATE_RUNNING,
		[VM_STOP] = VFIO_DEVICE_STATE_STOP,
		[VM_STOP_COPY] = VFIO_DEVICE_STATE_STOP_COPY,
		[VM_PRE_COPY] = VFIO_DEVICE_STATE_PRE_COPY,
		[VM_RESUMING] = VFIO_DEVICE_STATE_RESUMING,
	};
	int ret, fd;

	if (d->proto != VM_PROTO_V2)
		return vm_v1_set_state(d, v1[st]);
	ret = vfio_mig_v2_set_state(&d->m.dev, v2[st], &fd);
	if (ret)
		return ret;
	if (fd >= 0) {
		if (d->data_fd >= 0)
			close(d->data_fd);
		d->data_fd = fd;
	} else if (st == VM_RUNNING || st == VM_STOP) {
		/* The session ended: the kernel disabled its fd. */
		if (d->data_fd >= 0)
			close(d->data_fd);
		d->data_fd = -1;
	}
	return 0;
}

/* The v2 side of vm_dev_open(): the device must offer STOP_COPY. */
static int dev_open_v2(struct vm_dev *d)
{
	char fl[64];
	int ret;

	ret = vfio_mig_v2_flags(&d->m.dev, &d->v2_flags);
	if (ret) {
		vm_explain("read the v2 migration flags", ret);
		if (ret == -ENOTTY)
			vm_cont("  hint: the device offers no protocol v2; try --protocol v1\n");
		return ret;
	}
	if (!(d->v2_flags & VFIO_MIGRATION_STOP_COPY)) {
		vm_err("the device's v2 migration flags are %s: STOP_COPY is required",
		       vm_v2_flags_str(fl, sizeof(fl), d->v2_flags));
		return -EOPNOTSUPP;
	}
	d->chunk_size = VM_V2_PIECE;
	return 0;
}

int vm_dev_open(struct vm_dev *d, const char *uuid, bool trapped,
		enum vm_proto proto)
{
	char what[96];
	int ret;

	memset(d, 0, sizeof(*d));
	d->m.dev.fd = -1;
	d->m.dev.group_fd = -1;
	d->m.container.fd = -1;
	d->data_fd = -1;
	d->proto = proto;
	snprintf(what, sizeof(what), "open instance %s", uuid);
	if (!vfio_mdev_exists(uuid)) {
		vm_err("%s: no /sys/bus/mdev/devices/%s", what, uuid);
		vm_cont("  hint: list instances with ls /sys/bus/mdev/devices; create one with\n");
		vm_cont("    echo $(uuidgen) > %s/mdev_supported_types/mdma-16m/create\n",
			MDMA_PARENT);
		return -ENOENT;
	}
	ret = mdma_type_of(uuid, d->type, sizeof(d->type));
	if (ret) {
		vm_explain(what, ret);
		return ret;
	}
	if (strncmp(d->type, "mdma-", 5)) {
		vm_err("%s: it is a %s, not an mdma instance", what, d->type);
		return -EINVAL;
	}
	ret = mdma_open(&d->m, uuid);
	if (ret) {
		vm_explain(what, ret);
		return ret;
	}
	if (proto == VM_PROTO_V2) {
		ret = dev_open_v2(d);
		if (ret) {
			vm_dev_close(d);
			return ret;
		}
	} else if (proto == VM_PROTO_PLUGIN) {
		/* The plugin carries the state: see backend.c. */
		d->chunk_size = VM_V2_PIECE;
	} else {
		ret = vfio_mig_v1_open(&d->mig, &d->m.dev, !trapped);
		if (ret) {
			vm_explain("open the migration region", ret);
			if (ret != -ENOENT)
				vm_cont("  hint: --trapped avoids mapping the data window\n");
			vm_dev_close(d);
			return ret;
		}
		d->chunk_size = d->mig.data_size ? d->mig.data_size :
				d->mig.region.size;
	}
	d->chunk = malloc(d->chunk_size);
	if (!d->chunk) {
		vm_err("%s: no memory for a %zu-byte chunk buffer", what,
		       d->chunk_size);
		vm_dev_close(d);
		return -ENOMEM;
	}
	return 0;
}

void vm_dev_close(struct vm_dev *d)
{
	vm_plugin_close(d);
	/* A zeroed device has no protocol yet, and fd 0 is not its. */
	if (d->proto == VM_PROTO_V2 && d->data_fd >= 0)
		close(d->data_fd);
	d->data_fd = -1;
	if (d->mig.dev)
		vfio_mig_v1_close(&d->mig);
	d->mig.dev = NULL;
	free(d->chunk);
	d->chunk = NULL;
	if (d->m.dev.fd >= 0 || d->m.container.fd >= 0)
		mdma_destroy(&d->m);
	memset(&d->m, 0, sizeof(d->m));
	d->m.dev.fd = -1;
	d->m.dev.group_fd = -1;
	d->m.container.fd = -1;
}

double vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *vm_bytes(char *buf, size_t size, double bytes)
{
	if (bytes >= VM_MIB)
		snprintf(buf, size, "%.1f MiB", bytes / VM_MIB);
	else if (bytes >= 1024)
		snprintf(buf, size, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, size, "%.0f B", bytes);
	return buf;
}

void vm_fill(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	for (; i < len; i++)
		p[i] = x >> (8 * (i & 7));
}

long vm_window_kb(void)
{
	long kb = -1;
	FILE *f;

	f = fopen(VM_WINDOW_KB_PARAM, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &kb) != 1)
		kb = -1;
	fclose(f);
	return kb;
}

static int status_tty = -1;
static bool status_open;
static double status_last;

void vm_status(bool force, const char *fmt, ...)
{
	double now = vm_now();
	va_list ap;

	if (status_tty < 0)
		status_tty = isatty(STDOUT_FILENO);
	if (status_tty) {
		if (!force && now - status_last < 0.1)
			return;
		fputs("\r\033[K", stdout);
	} else if (!force) {
		return;
	}
	status_last = now;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (status_tty)
		status_open = true;
	else
		fputc('\n', stdout);
	fflush(stdout);
}

void vm_status_done(void)
{
	if (status_open) {
		fputc('\n', stdout);
		fflush(stdout);
		status_open = false;
	}
}

bool vm_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}
