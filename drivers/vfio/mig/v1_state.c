// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol v1 device_state transitions.
 *
 * The five user-settable states and the arcs allowed between them:
 *
 *                        to:  STOP  RUNNING  STOP_COPY  PRE_COPY  RESUMING
 *   from STOP      (000)       =      y         y          y         y
 *   from RUNNING   (001)       y      =         y          y         y
 *   from STOP_COPY (010)       y      y         =          -         -
 *   from PRE_COPY  (011)       y      y         y          =         -
 *   from RESUMING  (100)       y      y         -          -         =
 *
 * "=" leaves the state as it is, "-" fails with -EINVAL. The error state
 * (110) is entered only by the framework when a transition or a load fails
 * and is left only through a device reset, so every write from it fails.
 * NDMA (bit 3) may accompany RUNNING only. Bits 4..31 are reserved and
 * must be written as read, that is as 0.
 */
#include "v1_state.h"

/*
 * allowed[from] has bit "to" set when the arc is allowed, both indexed by
 * the value of the base state: STOP 0, RUNNING 1, STOP_COPY 2, PRE_COPY 3,
 * RESUMING 4.
 */
static const u8 allowed[8] = {
	0x1f,	/* STOP: to any */
	0x1f,	/* RUNNING: to any */
	0x07,	/* STOP_COPY: to STOP, RUNNING, STOP_COPY */
	0x0f,	/* PRE_COPY: to STOP, RUNNING, STOP_COPY, PRE_COPY */
	0x13,	/* RESUMING: to STOP, RUNNING, RESUMING */
};

static bool vfio_mig_v1_settable(u32 state)
{
	u32 base = state & VFIO_DEVICE_STATE_MASK;

	if (state & ~(VFIO_DEVICE_STATE_MASK | VFIO_DEVICE_STATE_V1_NDMA))
		return false;
	if ((state & VFIO_DEVICE_STATE_V1_NDMA) && !(state & VFIO_DEVICE_STATE_V1_RUNNING))
		return false;
	return allowed[base] != 0;
}

/**
 * vfio_mig_v1_level() - run level of a device in a v1 state
 * @state: a valid device_state value
 *
 * Return: the run level the device has in @state.
 */
enum vfio_mig_run_level vfio_mig_v1_level(u32 state)
{
	if (!(state & VFIO_DEVICE_STATE_V1_RUNNING))
		return VFIO_MIG_STOPPED;
	if (state & VFIO_DEVICE_STATE_V1_NDMA)
		return VFIO_MIG_RUNNING_NO_DMA;
	return VFIO_MIG_RUNNING;
}

/**
 * vfio_mig_v1_arc() - check a device_state write and say what it asks for
 * @from: the current device_state (a settable state)
 * @to: the value the user wrote
 * @arc: filled in with the work to do when the write is allowed
 *
 * Return: 0 when the arc is allowed, -EINVAL otherwise (invalid value,
 * reserved bit set, NDMA without RUNNING, arc not in the table, or the
 * device is in the error state).
 */
int vfio_mig_v1_arc(u32 from, u32 to, struct vfio_mig_v1_arc *arc)
{
	u32 fb = from & VFIO_DEVICE_STATE_MASK;
	u32 tb = to & VFIO_DEVICE_STATE_MASK;
	enum vfio_mig_run_level lf, lt;
	u32 act = 0;

	if (!vfio_mig_v1_settable(from) || !vfio_mig_v1_settable(to))
		return -EINVAL;
	if (!(allowed[fb] & BIT(tb)))
		return -EINVAL;

	lf = vfio_mig_v1_level(from);
	lt = vfio_mig_v1_level(to);
	if (lt < lf)
		act |= VFIO_MIG_ACT_LEVEL_DOWN;
	if (lt > lf)
		act |= VFIO_MIG_ACT_LEVEL_UP;

	if ((fb & VFIO_DEVICE_STATE_V1_SAVING) && !(tb & VFIO_DEVICE_STATE_V1_SAVING))
		act |= VFIO_MIG_ACT_SAVE_END;
	if (!(fb & VFIO_DEVICE_STATE_V1_SAVING) && (tb & VFIO_DEVICE_STATE_V1_SAVING)) {
		act |= VFIO_MIG_ACT_SAVE_BEGIN;
		act |= (tb & VFIO_DEVICE_STATE_V1_RUNNING) ?
		       VFIO_MIG_ACT_LOG_START : VFIO_MIG_ACT_SAVE_FINAL;
	}
	/* PRE_COPY -> STOP_COPY */
	if (fb == (VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING) &&
	    tb == VFIO_DEVICE_STATE_V1_SAVING)
		act |= VFIO_MIG_ACT_SAVE_FINAL;

	if (!(fb & VFIO_DEVICE_STATE_V1_RESUMING) && (tb & VFIO_DEVICE_STATE_V1_RESUMING))
		act |= VFIO_MIG_ACT_RESUME_BEGIN;
	if ((fb & VFIO_DEVICE_STATE_V1_RESUMING) && !(tb & VFIO_DEVICE_STATE_V1_RESUMING))
		act |= VFIO_MIG_ACT_RESUME_COMMIT;

	arc->actions = act;
	arc->level = lt;
	return 0;
}
