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
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-migrate.h"
#include "vfio_lm_plugin.h"

struct vm_plugin {
	void *dl;
	const struct vfio_lm_plugin_ops *ops;
	int version;
	char name[300];
};

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

/* dlopen() the plugin and check its version and ops; NULL if refused. */
static struct vm_plugin *plugin_load(const char *path, const char *uuid)
{
	const struct vfio_lm_plugin_ops *(*get_ops)(void);
	int (*get_version)(void);
	struct vm_plugin *p;
	const char *why;

	p = calloc(1, sizeof(*p));
	if (!p) {
		vm_err("out of memory");
		return NULL;
	}
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		vm_err("plugin %s cannot be loaded: %s", path, dlerror());
		why = "its migration plugin is missing or not loadable";
		goto fail;
	}
	*(void **)&get_version = dlsym(p->dl, VFIO_LM_GET_PLUGIN_VERSION);
	*(void **)&get_ops = dlsym(p->dl, VFIO_LM_GET_PLUGIN_OPS);
	if (!get_version || !get_ops) {
		vm_err("plugin %s lacks the symbol %s()", path,
		       get_version ? VFIO_LM_GET_PLUGIN_OPS :
		       VFIO_LM_GET_PLUGIN_VERSION);
		why = "its migration plugin is incomplete";
		goto fail;
	}
	p->version = get_version();
	if (p->version != VFIO_LM_PLUGIN_VERSION) {
		vm_err("plugin %s implements plugin ABI version %d; vfio-migrate speaks version %d",
		       path, p->version, VFIO_LM_PLUGIN_VERSION);
		why = "its migration plugin is of another ABI version";
		goto fail;
	}
	p->ops = get_ops();
	if (!p->ops || !p->ops->init || !p->ops->save || !p->ops->load ||
	    !p->ops->update_pending || !p->ops->set_state ||
	    !p->ops->get_state || !p->ops->cleanup) {
		vm_err("plugin %s returned an incomplete vfio_lm_plugin_ops table",
		       path);
		why = "its migration plugin is incomplete";
		goto fail;
	}
	snprintf(p->name, sizeof(p->name), "%s (ABI version %d)", path,
		 p->version);
	return p;
fail:
	not_migratable(uuid, why);
	if (p->dl)
		dlclose(p->dl);
	free(p);
	return NULL;
}

int vm_dev_open_backend(struct vm_dev *d, const char *uuid, bool trapped,
			enum vm_proto proto, const char *arg)
{
	struct vm_plugin *p;
	int ret;

	if (!vm_backend.plugin) {
		ret = vm_dev_open(d, uuid, trapped, proto);
		if ((ret == -ENOENT || ret == -ENOTTY) &&
		    vfio_mdev_exists(uuid))
			vm_cont("  %s (%s) offers no in-band migration (no migration region, no VFIO_DEVICE_FEATURE_MIGRATION): it is not migratable in band; it may be out of band, with --backend plugin\n",
				uuid, d->type);
		return ret;
	}
	p = plugin_load(vm_backend.path, uuid);
	if (!p)
		return -ENOEXEC;
	ret = vm_dev_open(d, uuid, trapped, VM_PROTO_PLUGIN);
	if (ret) {
		dlclose(p->dl);
		free(p);
		return ret;
	}
	if (!arg)
		arg = vm_backend.arg;
	d->ph = p->ops->init(uuid, arg);
	if (!d->ph) {
		ret = errno ? -errno : -EIO;
		vm_err("plugin %s: init of %s with \"%s\" failed: %s", p->name,
		       uuid, arg, strerror(-ret));
		not_migratable(uuid, "its migration plugin cannot reach it");
		dlclose(p->dl);
		free(p);
		vm_dev_close(d);
		return ret;
	}
	d->plugin = p;
	return 0;
}

void vm_plugin_close(struct vm_dev *d)
{
	if (!d->plugin)
		return;
	if (d->ph)
		d->plugin->ops->cleanup(d->ph);
	d->ph = NULL;
	dlclose(d->plugin->dl);
	free(d->plugin);
	d->plugin = NULL;
}

const char *vm_plugin_name(const struct vm_dev *d)
{
	return d->plugin ? d->plugin->name : "none";
}

/* A plugin's error, recorded for vm_explain(). */
static int plugin_err(const char *op, int ret)
{
	return vfio_set_error(ret < 0 ? ret : -EIO, "plugin %s: %s", op,
			      strerror(ret < 0 ? -ret : EIO));
}

int vm_v1_set_state(struct vm_dev *d, uint32_t state)
{
	int ret;

	if (!d->plugin)
		return vfio_mig_v1_set_state(&d->mig, state);
	ret = d->plugin->ops->set_state(d->ph, state);
	return ret ? plugin_err("set_state", ret) : 0;
}

int vm_v1_get_state(struct vm_dev *d, uint32_t *state)
{
	int ret;

	if (!d->plugin)
		return vfio_mig_v1_get_state(&d->mig, state);
	ret = d->plugin->ops->get_state(d->ph, state);
	return ret ? plugin_err("get_state", ret) : 0;
}

int vm_v1_pending(struct vm_dev *d, uint64_t *pending)
{
	int ret;

	if (!d->plugin)
		return vfio_mig_v1_pending(&d->mig, pending);
	ret = d->plugin->ops->update_pending(d->ph, pending);
	return ret ? plugin_err("update_pending", ret) : 0;
}

int vm_v1_save_chunk(struct vm_dev *d, void *buf, size_t size,
		     uint64_t *len)
{
	size_t n = 0;
	int ret;

	if (!d->plugin)
		return vfio_mig_v1_save_chunk(&d->mig, buf, size, len);
	ret = d->plugin->ops->save(d->ph, buf, size, &n);
	*len = n;
	if (ret == -ENOMSG)	/* nothing now, in pre-copy */
		return 0;
	return ret ? plugin_err("save", ret) : 0;
}

int vm_v1_load_chunk(struct vm_dev *d, const void *buf, uint64_t len)
{
	int ret;

	if (!d->plugin)
		return vfio_mig_v1_load_chunk(&d->mig, buf, len);
	ret = d->plugin->ops->load(d->ph, buf, len);
	return ret ? plugin_err("load", ret) : 0;
}
