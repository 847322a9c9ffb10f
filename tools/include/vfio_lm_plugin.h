/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The VFIO live migration plugin ABI: how a VMM migrates a device that has
 * no in-band migration interface, through a vendor's shared object that
 * reaches the card's out-of-band agent (an IPU or DPU SoC).
 *
 * A VMM loads the object (QEMU: x-plugin-path; vfio-migrate:
 * --plugin-path), checks vfio_lm_get_plugin_version() against
 * VFIO_LM_PLUGIN_VERSION, takes the ops from vfio_lm_get_plugin_ops() and
 * calls init() once per device with the device's id and a vendor-defined
 * argument (QEMU: x-plugin-arg; vfio-migrate: --plugin-arg). The state
 * machine the ops drive is that of the VFIO migration region, protocol v1:
 * the VFIO_DEVICE_STATE_V1_* values of <linux/vfio_mig.h>.
 *
 * All ops but init() return 0 or a negative errno. They are called from one
 * thread per handle; different handles may be used from different threads.
 */
#ifndef _VFIO_LM_PLUGIN_H
#define _VFIO_LM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* The ABI version this header describes. */
#define VFIO_LM_PLUGIN_VERSION		1

/* The symbols a VMM looks up with dlsym(). */
#define VFIO_LM_GET_PLUGIN_VERSION	"vfio_lm_get_plugin_version"
#define VFIO_LM_GET_PLUGIN_OPS		"vfio_lm_get_plugin_ops"

/**
 * struct vfio_lm_plugin_ops - what a plugin does for a VMM
 * @init: start managing device @devid (for an mdev, its UUID); @arg is the
 *	vendor-defined argument, for example the agent's address. Returns an
 *	opaque handle, or NULL with errno set.
 * @save: read the next bytes of the device's migration stream into @buf
 *	(@size bytes of room) and store their count in @len. @len is 0 at
 *	the end of the stream (stop-and-copy); -ENOMSG means that nothing is
 *	pending now (pre-copy). Valid while the device is saving.
 * @load: hand @len bytes of a migration stream to the device. Valid while
 *	the device is resuming; a stream the device refuses puts it in the
 *	error state.
 * @update_pending: store in @pending the bytes the device still has to
 *	send (the v1 region's pending_bytes).
 * @set_state: move the device to @state, a VFIO_DEVICE_STATE_V1_* value.
 * @get_state: store the device's state in @state.
 * @cleanup: release @handle. A save in progress is dropped (the device
 *	keeps running or stopped as it was); a load in progress fails (the
 *	device enters the error state).
 */
struct vfio_lm_plugin_ops {
	void *(*init)(const char *devid, const char *arg);
	int (*save)(void *handle, void *buf, size_t size, size_t *len);
	int (*load)(void *handle, const void *buf, size_t len);
	int (*update_pending)(void *handle, uint64_t *pending);
	int (*set_state)(void *handle, uint32_t state);
	int (*get_state)(void *handle, uint32_t *state);
	void (*cleanup)(void *handle);
};

/**
 * vfio_lm_get_plugin_version() - the ABI version a plugin implements
 *
 * Return: VFIO_LM_PLUGIN_VERSION of the header the plugin was built with.
 * A VMM refuses a plugin of another version.
 */
int vfio_lm_get_plugin_version(void);

/**
 * vfio_lm_get_plugin_ops() - the plugin's operations
 *
 * Return: a table that lives as long as the plugin is loaded, with every
 * member set.
 */
const struct vfio_lm_plugin_ops *vfio_lm_get_plugin_ops(void);

#endif /* _VFIO_LM_PLUGIN_H */
