// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate: migration backends. The local backend moves a device's
 * state through its own migration interface (the v1 region or the v2 data
 * fd). The plugin backend loads a migration plugin (<vfio_lm_plugin.h>), as
 * QEMU does with x-plugin-path and x-plugin-arg, for a device that has no
 * in-band interface and is migrated by the card's agent: the VMM still
 * owns the device (its DMA, registers and memory), but its state moves
 * through the plugin, with the v1 device_state values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-migrate.h"

struct vm_backend vm_backend;

int vm_backend_option(int c, const char *arg)
{
	switch (c) {
	case VM_OPT_BACKEND:
		if (!strcmp(arg, "local")) {
			vm_backend.plugin = false;
		} else if (!strcmp(arg, "plugin")) {
			vm_backend.plugin = true;
		} else {
			vm_err("--backend %s: use local or plugin", arg);
			return 1;
		}
		return 0;
	case VM_OPT_PLUGIN_PATH:
		vm_backend.path = arg;
		return 0;
	case VM_OPT_PLUGIN_ARG:
		vm_backend.arg = arg;
		return 0;
	case VM_OPT_SRC_PLUGIN_ARG:
		vm_backend.src_arg = arg;
		return 0;
	case VM_OPT_DST_PLUGIN_ARG:
		vm_backend.dst_arg = arg;
		return 0;
	}
	return 1;
}

int vm_backend_check(enum vm_proto proto, bool trapped, bool live)
{
	const struct vm_backend *b = &vm_backend;

	if (!b->plugin) {
		if (b->path || b->arg || b->src_arg || b->dst_arg) {
			vm_err("--plugin-path and --plugin-arg go with --backend plugin");
			return 1;
		}
		if (trapped && proto == VM_PROTO_V2) {
			vm_err("--trapped is about the v1 data window; v2 has a data fd");
			return 1;
		}
		return 0;
	}
	if (!b->path) {
		vm_err("--backend plugin needs --plugin-path SO");
		return 1;
	}
	if (!b->arg && (!live || !b->src_arg || !b->dst_arg)) {
		vm_err("--backend plugin needs --plugin-arg ARG%s",
		       live ? " (or both --src-plugin-arg and --dst-plugin-arg)" :
		       "");
		return 1;
	}
	if (proto == VM_PROTO_V2 || trapped) {
		vm_err("--protocol and --trapped are about the local backend; a plugin has its own transport");
		return 1;
	}
	return 0;
}

static void not_migratable(const char *uuid, const char *why)
{
	vm_cont("  %s is not migratable: %s (a VMM adds a migration blocker)\n",
		uuid, why);
}

/* The device's own channel: its v1 region or its v2 feature. */
static int open_local(struct vm_dev *d, bool trapped, enum vm_proto proto)
{
	int ret;

	if (proto == VM_PROTO_V2)
		ret = vfio_mig_chan_v2(&d->chan, &d->m.dev);
	else
		ret = vfio_mig_chan_v1(&d->chan, &d->m.dev, !trapped);
	if (!ret)
		return 0;
	vm_explain(proto == VM_PROTO_V2 ? "open the v2 migration feature" :
		   "open the migration region", ret);
	if (proto == VM_PROTO_V2 && ret == -ENOTTY)
		vm_cont("  hint: the device offers no protocol v2; try --protocol v1\n");
	else if (proto != VM_PROTO_V2 && ret != -ENOENT)
		vm_cont("  hint: --trapped avoids mapping the data window\n");
	if ((ret == -ENOENT || ret == -ENOTTY) &&
	    vfio_mdev_exists(d->m.uuid))
		vm_cont("  %s (%s) offers no in-band migration (no migration region, no VFIO_DEVICE_FEATURE_MIGRATION): it is not migratable in band; it may be out of band, with --backend plugin\n",
			d->m.uuid, d->type);
	return ret;
}

int vm_dev_open_backend(struct vm_dev *d, const char *uuid, bool trapped,
			enum vm_proto proto, const char *arg)
{
	int ret;

	ret = vm_dev_open(d, uuid);
	if (ret)
		return ret;
	if (vm_backend.plugin) {
		d->proto = VM_PROTO_PLUGIN;
		ret = vfio_mig_chan_plugin(&d->chan, vm_backend.path, uuid,
					   arg ?: vm_backend.arg);
		if (ret) {
			vm_err("%s", vfio_errmsg());
			not_migratable(uuid, ret == -ENOEXEC ?
				       "its migration plugin cannot be used" :
				       "its migration plugin cannot reach it");
		}
	} else {
		d->proto = proto;
		ret = open_local(d, trapped, proto);
	}
	if (!ret) {
		d->chunk_size = d->chan.piece;
		d->chunk = malloc(d->chunk_size);
		if (!d->chunk) {
			vm_err("open %s: no memory for a %zu-byte buffer", uuid,
			       d->chunk_size);
			ret = -ENOMEM;
		}
	}
	if (ret)
		vm_dev_close(d);
	return ret;
}
