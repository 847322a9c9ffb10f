// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: the migration channel of a migration plugin (<vfio_lm_plugin.h>),
 * a shared object that reaches a device's out-of-band agent. Its ops speak
 * the v1 states and hand the stream over in pieces.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "vfio_mig_chan.h"
#include "vfio_lm_plugin.h"

#define PLUGIN_PIECE	(1024UL * 1024)

/* A plugin's failure, recorded for vfio_errmsg(). */
static int plugin_fail(const char *op, int ret)
{
	if (ret >= 0)
		ret = -EIO;
	return vfio_set_error(ret, "plugin %s: %s", op, strerror(-ret));
}

static int plugin_set_state(struct vfio_mig_chan *c, uint32_t state)
{
	uint32_t v1;
	int ret;

	ret = vfio_mig_chan_v1_state(state, &v1);
	if (ret)
		return ret;
	ret = c->plugin.ops->set_state(c->plugin.handle, v1);
	if (ret)
		return plugin_fail("set_state", ret);
	c->state = state;
	return 0;
}

static int plugin_get_state(struct vfio_mig_chan *c, uint32_t *state)
{
	uint32_t v1;
	int ret;

	ret = c->plugin.ops->get_state(c->plugin.handle, &v1);
	if (ret)
		return plugin_fail("get_state", ret);
	*state = vfio_mig_chan_from_v1(v1);
	return 0;
}

static ssize_t plugin_read(struct vfio_mig_chan *c, void *buf, size_t len)
{
	size_t n = 0;
	int ret;

	ret = c->plugin.ops->save(c->plugin.handle, buf, len, &n);
	if (ret == -ENOMSG)
		return -ENOMSG;
	if (ret)
		return plugin_fail("save", ret);
	if (n > len)
		return vfio_set_error(-EPROTO,
				      "plugin save: %zu bytes into room for %zu",
				      n, len);
	return n;
}

static int plugin_write(struct vfio_mig_chan *c, const void *buf, size_t len)
{
	int ret;

	ret = c->plugin.ops->load(c->plugin.handle, buf, len);
	return ret ? plugin_fail("load", ret) : 0;
}

static int plugin_pending(struct vfio_mig_chan *c, uint64_t *bytes)
{
	int ret;

	ret = c->plugin.ops->update_pending(c->plugin.handle, bytes);
	return ret ? plugin_fail("update_pending", ret) : 0;
}

static void plugin_close(struct vfio_mig_chan *c)
{
	if (c->plugin.handle)
		c->plugin.ops->cleanup(c->plugin.handle);
	c->plugin.handle = NULL;
	if (c->plugin.dl)
		dlclose(c->plugin.dl);
	c->plugin.dl = NULL;
}

static const struct vfio_mig_chan_ops plugin_ops = {
	.set_state = plugin_set_state,
	.get_state = plugin_get_state,
	.read = plugin_read,
	.write = plugin_write,
	.pending = plugin_pending,
	.close = plugin_close,
};

/* Load @path and take its ops; 0 or -ENOEXEC with the reason recorded. */
static int plugin_load(struct vfio_mig_chan *c, const char *path)
{
	const struct vfio_lm_plugin_ops *(*get_ops)(void);
	const struct vfio_lm_plugin_ops *ops;
	int (*get_version)(void);

	c->plugin.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!c->plugin.dl)
		return vfio_set_error(-ENOEXEC, "plugin %s cannot be loaded: %s",
				      path, dlerror());
	*(void **)&get_version = dlsym(c->plugin.dl,
				       VFIO_LM_GET_PLUGIN_VERSION);
	*(void **)&get_ops = dlsym(c->plugin.dl, VFIO_LM_GET_PLUGIN_OPS);
	if (!get_version || !get_ops)
		return vfio_set_error(-ENOEXEC, "plugin %s lacks the symbol %s()",
				      path, get_version ?
				      VFIO_LM_GET_PLUGIN_OPS :
				      VFIO_LM_GET_PLUGIN_VERSION);
	c->plugin.version = get_version();
	if (c->plugin.version != VFIO_LM_PLUGIN_VERSION)
		return vfio_set_error(-ENOEXEC,
				      "plugin %s implements plugin ABI version %d; this library speaks version %d",
				      path, c->plugin.version,
				      VFIO_LM_PLUGIN_VERSION);
	ops = get_ops();
	if (!ops || !ops->init || !ops->save || !ops->load ||
	    !ops->update_pending || !ops->set_state || !ops->get_state ||
	    !ops->cleanup)
		return vfio_set_error(-ENOEXEC,
				      "plugin %s returned an incomplete vfio_lm_plugin_ops table",
				      path);
	c->plugin.ops = ops;
	return 0;
}

int vfio_mig_chan_plugin(struct vfio_mig_chan *c, const char *path,
			 const char *devid, const char *arg)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = plugin_load(c, path);
	if (!ret) {
		errno = 0;
		c->plugin.handle = c->plugin.ops->init(devid, arg);
		if (!c->plugin.handle)
			ret = vfio_set_error(errno ? -errno : -EIO,
					     "plugin %s: init of %s with \"%s\" failed: %s",
					     path, devid, arg,
					     strerror(errno ? errno : EIO));
	}
	if (ret) {
		plugin_close(c);
		return ret;
	}
	c->ops = &plugin_ops;
	c->kind = "plugin";
	c->precopy = true;
	c->piece = PLUGIN_PIECE;
	c->state = VFIO_DEVICE_STATE_RUNNING;
	plugin_get_state(c, &c->state);
	return 0;
}
