/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol v2 device states and their protocol v1 equivalents. The
 * framework keeps one state, in v1 bits; v2 reads and writes it through
 * this mapping, so both protocols always report the same device truth.
 */
#ifndef _VFIO_MIG_V2_STATE_H
#define _VFIO_MIG_V2_STATE_H

#include "pure.h"

/* The values of enum vfio_device_mig_state (6.2 added the PRE_COPY ones). */
#define VFIO_MIG_V2_ERROR		0
#define VFIO_MIG_V2_STOP		1
#define VFIO_MIG_V2_RUNNING		2
#define VFIO_MIG_V2_STOP_COPY		3
#define VFIO_MIG_V2_RESUMING		4
#define VFIO_MIG_V2_RUNNING_P2P		5
#define VFIO_MIG_V2_PRE_COPY		6
#define VFIO_MIG_V2_PRE_COPY_P2P	7
#define VFIO_MIG_V2_NR_STATES		8

int vfio_mig_v2_to_v1(u32 v2, u32 *v1);
u32 vfio_mig_v1_to_v2(u32 v1);
u32 vfio_mig_v1_to_v2_known(u32 v1, bool have_precopy);

#endif /* _VFIO_MIG_V2_STATE_H */
