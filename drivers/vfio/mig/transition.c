// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mig: carrying out protocol v1 device_state changes.
 *
 * v1_state.c decides whether an arc is allowed and what it asks for; this
 * file does the work, in a fixed order: lower the run level, close and
 * open sessions, raise the run level. A step that fails puts the device
 * in the error state, which only a reset leaves.
 */
#include "mig.h"

static int set_level(struct vfio_mig_device *mig,
		     enum vfio_mig_run_level level)
{
	int ret;

	if (level == mig->level)
		return 0;
	ret = mig->ops->set_run_level(mig->vdev, level);
	if (!ret)
		mig->level = level;
	return ret;
}

/**
 * vfio_mig_stop_sessions() - drop any save or load session
 * @mig: the migration device, locked
 */
void vfio_mig_stop_sessions(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	vfio_mig_save_end(mig);
	vfio_mig_load_end(mig);
	vfio_mig_v2_disable_file(mig);
	mig->owner = VFIO_MIG_OWNER_NONE;
}

/**
 * vfio_mig_fail() - enter the error state
 * @mig: the migration device, locked
 *
 * Sessions are dropped; the device keeps its run level until a reset.
 */
void vfio_mig_fail(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	vfio_mig_stop_sessions(mig);
	mig->state = VFIO_DEVICE_STATE_SET_ERROR(mig->state) &
		     VFIO_MIG_V1_BASE_MASK;
}

/**
 * vfio_mig_set_state() - move the device to a new state
 * @mig: the migration device, locked
 * @new_state: the new state, in v1 bits (v2 maps its states onto them)
 * @who: the protocol asking
 *
 * Return: 0 when the device is in @new_state. -EBUSY while the other
 * protocol has a session open; -EINVAL for a value or an arc the protocol
 * does not allow, and for NDMA on a device without it: nothing changed.
 * Any other error: a step failed and the device is in the error state.
 */
int vfio_mig_set_state(struct vfio_mig_device *mig, u32 new_state,
		       enum vfio_mig_owner who)
{
	struct vfio_mig_v1_arc arc;
	int ret;

	lockdep_assert_held(&mig->lock);
	if (mig->owner != VFIO_MIG_OWNER_NONE && mig->owner != who)
		return -EBUSY;
	if (vfio_mig_v1_arc(mig->state, new_state, &arc))
		return -EINVAL;
	if ((new_state & VFIO_MIG_V1_NDMA) && !mig->ndma)
		return -EINVAL;

	if (arc.actions & VFIO_MIG_ACT_LEVEL_DOWN) {
		ret = set_level(mig, arc.level);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_SAVE_END)
		vfio_mig_save_end(mig);
	if (arc.actions & VFIO_MIG_ACT_SAVE_BEGIN) {
		ret = vfio_mig_save_begin(mig,
					  arc.actions & VFIO_MIG_ACT_LOG_START);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_SAVE_FINAL)
		vfio_mig_save_final(mig);
	if (arc.actions & VFIO_MIG_ACT_RESUME_BEGIN) {
		ret = vfio_mig_load_begin(mig);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_RESUME_COMMIT) {
		ret = vfio_mig_load_commit(mig);
		vfio_mig_load_end(mig);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_LEVEL_UP) {
		ret = set_level(mig, arc.level);
		if (ret)
			goto fail;
	}
	mig->state = new_state;
	mig->owner = mig->save.active || mig->load.active ? who :
		     VFIO_MIG_OWNER_NONE;
	return 0;

fail:
	vfio_mig_fail(mig);
	return ret;
}
