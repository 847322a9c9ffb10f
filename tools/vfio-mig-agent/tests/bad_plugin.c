// SPDX-License-Identifier: GPL-2.0
/*
 * Broken migration plugins, for the tests of the VMM's checks: built with
 * -DBAD_VERSION it reports an ABI version the VMM does not speak; with
 * -DNO_OPS it lacks vfio_lm_get_plugin_ops().
 */
#include "vfio_lm_plugin.h"

#define PLUGIN_EXPORT	__attribute__((visibility("default")))

PLUGIN_EXPORT int vfio_lm_get_plugin_version(void)
{
#ifdef BAD_VERSION
	return VFIO_LM_PLUGIN_VERSION + 41;
#else
	return VFIO_LM_PLUGIN_VERSION;
#endif
}

#ifndef NO_OPS
static void *bad_init(const char *devid, const char *arg)
{
	(void)devid;
	(void)arg;
	return 0;
}

static const struct vfio_lm_plugin_ops bad_ops = {
	.init = bad_init,
};

PLUGIN_EXPORT const struct vfio_lm_plugin_ops *vfio_lm_get_plugin_ops(void)
{
	return &bad_ops;
}
#endif
