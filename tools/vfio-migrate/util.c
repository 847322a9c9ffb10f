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

int vm_set_state(struct vm_dev *d, uint32_t state, const char *what)
{
	int ret = vfio_mig_chan_set_state(&d->chan, state);

	if (ret && what)
		vm_explain(what, ret);
	return ret;
}

int vm_other_option(int c, const char *arg, void (*usage)(FILE *f))
{
	if (c >= VM_OPT_BACKEND && c <= VM_OPT_DST_PLUGIN_ARG)
		return vm_backend_option(c, arg);
	usage(c == 'h' ? stdout : stderr);
	return c == 'h' ? -1 : 1;
}

int vm_proto_parse(const char *arg)
{
	if (!strcmp(arg, "v1") || !strcmp(arg, "1"))
		return VM_PROTO_V1;
	if (!strcmp(arg, "v2") || !strcmp(arg, "2"))
		return VM_PROTO_V2;
	vm_err("--protocol %s: use v1 or v2", arg);
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

int vm_dev_open(struct vm_dev *d, const char *uuid)
{
	char what[96];
	int ret;

	memset(d, 0, sizeof(*d));
	mdma_init(&d->m);
	snprintf(what, sizeof(what), "open instance %s", uuid);
	if (!vfio_mdev_exists(uuid)) {
		vm_err("%s: no /sys/bus/mdev/devices/%s", what, uuid);
		vm_cont("  hint: list instances with ls /sys/bus/mdev/devices; create one with\n");
		vm_cont("    echo $(uuidgen) > %s/mdev_supported_types/mdma-16m/create\n",
			MDMA_PARENT);
		return -ENOENT;
	}
	ret = vfio_mdev_link(uuid, "mdev_type", d->type, sizeof(d->type));
	if (ret) {
		vm_explain(what, ret);
		return ret;
	}
	if (strncmp(d->type, "mdma-", 5)) {
		vm_err("%s: it is a %s, not an mdma instance", what, d->type);
		return -EINVAL;
	}
	ret = mdma_open(&d->m, uuid);
	if (ret)
		vm_explain(what, ret);
	return ret;
}

void vm_dev_close(struct vm_dev *d)
{
	vfio_mig_chan_close(&d->chan);
	free(d->chunk);
	d->chunk = NULL;
	mdma_destroy(&d->m);
	mdma_init(&d->m);
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
