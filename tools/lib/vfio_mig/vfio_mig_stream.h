/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfiomig: the migration stream codec of drivers/vfio/mig/stream.c for
 * user space. Build with -I<top>/include for <linux/vfio_mig_defs.h>,
 * after the uapi include directory.
 */
#ifndef _VFIO_MIG_STREAM_LIB_H
#define _VFIO_MIG_STREAM_LIB_H

#include "../../testing/unit/vfio_mig_pure_user.h"
#include "../../../drivers/vfio/mig/stream.h"

#endif /* _VFIO_MIG_STREAM_LIB_H */
