// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol v2 device states and their protocol v1 equivalents:
 *
 *   v2 state        v1 device_state
 *   STOP            000   STOP
 *   RUNNING         001   RUNNING
 *   STOP_COPY       010   SAVING (stop-and-copy)
 *   RESUMING        100   RESUMING
 *   RUNNING_P2P     1001  RUNNING | NDMA
 *   PRE_COPY        011   RUNNING | SAVING (pre-copy)
 *   PRE_COPY_P2P    1011  RUNNING | SAVING | NDMA
 *   ERROR           110   error
 *
 * Every single arc of the v2 state machine is an allowed v1 arc between
 * the equivalents, with the same effect, so one implementation serves
 * both.
 */
#include "v2_state.h"
#include "v1_state.h"

#define NO_V1	0xffffffffU

static const u32 v2_to_v1[VFIO_MIG_V2_NR_STATES] = {
	[VFIO_MIG_V2_ERROR]		= NO_V1,
	[VFIO_MIG_V2_STOP]		= 0,
	[VFIO_MIG_V2_RUNNING]		= VFIO_DEVICE_STATE_V1_RUNNING,
	[VFIO_MIG_V2_STOP_COPY]		= VFIO_DEVICE_STATE_V1_SAVING,
	[VFIO_MIG_V2_RESUMING]		= VFIO_DEVICE_STATE_V1_RESUMING,
	[VFIO_MIG_V2_RUNNING_P2P]	= VFIO_DEVICE_STATE_V1_RUNNING |
					  VFIO_DEVICE_STATE_V1_NDMA,
	[VFIO_MIG_V2_PRE_COPY]		= VFIO_DEVICE_STATE_V1_RUNNING |
					  VFIO_DEVICE_STATE_V1_SAVING,
	[VFIO_MIG_V2_PRE_COPY_P2P]	= VFIO_DEVICE_STATE_V1_RUNNING |
					  VFIO_DEVICE_STATE_V1_SAVING |
					  VFIO_DEVICE_STATE_V1_NDMA,
};

/**
 * vfio_mig_v2_to_v1() - the v1 equivalent of a v2 state
 * @v2: a v2 state
 * @v1: its v1 device_state
 *
 * Return: 0, or -EINVAL for ERROR and values that are no state.
 */
int vfio_mig_v2_to_v1(u32 v2, u32 *v1)
{
	if (v2 >= VFIO_MIG_V2_NR_STATES || v2_to_v1[v2] == NO_V1)
		return -EINVAL;
	*v1 = v2_to_v1[v2];
	return 0;
}

/**
 * vfio_mig_v1_to_v2() - the v2 equivalent of a v1 state
 * @v1: a device_state the framework holds
 *
 * Return: the v2 state; ERROR for the error state (and anything else).
 */
u32 vfio_mig_v1_to_v2(u32 v1)
{
	u32 v2;

	for (v2 = 0; v2 < VFIO_MIG_V2_NR_STATES; v2++)
		if (v2_to_v1[v2] == v1)
			return v2;
	return VFIO_MIG_V2_ERROR;
}

/**
 * vfio_mig_v1_to_v2_known() - the v2 state a kernel's uapi can name
 * @v1: a device_state the framework holds
 * @have_precopy: the kernel knows the PRE_COPY states (6.2 and later)
 *
 * Without PRE_COPY in the uapi, a pre-copy that another channel (the v1
 * region, the management channel) runs is reported as what the device
 * does meanwhile: it runs, with or without P2P.
 *
 * Return: the v2 state.
 */
u32 vfio_mig_v1_to_v2_known(u32 v1, bool have_precopy)
{
	u32 v2 = vfio_mig_v1_to_v2(v1);

	if (have_precopy)
		return v2;
	if (v2 == VFIO_MIG_V2_PRE_COPY)
		return VFIO_MIG_V2_RUNNING;
	if (v2 == VFIO_MIG_V2_PRE_COPY_P2P)
		return VFIO_MIG_V2_RUNNING_P2P;
	return v2;
}
