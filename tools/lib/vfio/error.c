// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: error reporting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vfio_lib.h"

static __thread char vfio_msg[512];

const char *vfio_errmsg(void)
{
	return vfio_msg;
}

int vfio_set_error(int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(vfio_msg, sizeof(vfio_msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(vfio_msg))
		snprintf(vfio_msg + n, sizeof(vfio_msg) - n, ": %s",
			 strerror(-err));
	return err;
}
