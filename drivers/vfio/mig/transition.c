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

static int vfio_mig_set_level(struct vfio_mig_device *mig,
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
 * vfio_mig_may_drive() - may a channel act on the device's session?
 * @mig: the migration device, locked
 * @who: the channel asking
 *
 * The channel that opened the session owns it. The v2 data fd is created
 * by, and stands for, the device fd's v2 requests: those drive a session
 * a v2 data fd owns.
 *
 * Return: true without a session, or when @who owns it.
 */
bool vfio_mig_may_drive(struct vfio_mig_device *mig,
			const struct vfio_mig_chan *who)
{
	const struct vfio_mig_chan *owner = mig->owner;

	lockdep_assert_held(&mig->lock);
	return !owner || owner == who ||
	       (owner->kind == VFIO_MIG_CHAN_V2 &&
		who->kind == VFIO_MIG_CHAN_V2);
}

/**
 * vfio_mig_end_session() - drop the save or load session, if any
 * @mig: the migration device, locked
 *
 * The owner loses it: a v2 data fd fails with ENODEV from now on, and
 * whatever a channel staged and did not hand out is dropped.
 */
void vfio_mig_end_session(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	vfio_mig_save_end(mig);
	vfio_mig_load_end(mig);
	vfio_mig_v2_disable_file(mig);
	if (mig->owner) {
		mig->owner->stage.len = 0;
		mig->owner->stage.pos = 0;
	}
	mig->owner = NULL;
	wake_up_interruptible_all(&mig->poll_wq);
}

/**
 * vfio_mig_fail() - enter the error state
 * @mig: the migration device, locked
 *
 * The session is dropped; the device keeps its run level until a reset.
 */
void vfio_mig_fail(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	vfio_mig_end_session(mig);
	mig->state = VFIO_DEVICE_STATE_SET_ERROR(mig->state) &
		     VFIO_DEVICE_STATE_MASK;
}

/**
 * vfio_mig_to_running() - back to the power-on view
 * @mig: the migration device, locked
 *
 * No session, no log, RUNNING; for a device the driver has just reset
 * (or opened, or closed), whose run level is RUNNING again.
 */
void vfio_mig_to_running(struct vfio_mig_device *mig)
{
	lockdep_assert_held(&mig->lock);
	vfio_mig_end_session(mig);
	mig->state = VFIO_DEVICE_STATE_V1_RUNNING;
	mig->level = VFIO_MIG_RUNNING;
}

/**
 * vfio_mig_set_state() - move the device to a new state
 * @mig: the migration device, locked
 * @new_state: the new state, in v1 bits (v2 maps its states onto them)
 * @who: the channel asking; it owns a session the change opens
 * @did: set to what the change did to the session, VFIO_MIG_DID_*
 *
 * Return: 0 when the device is in @new_state. -EBUSY while another
 * channel owns the session; -EINVAL for a value or an arc the protocol
 * does not allow, and for NDMA on a device without it: nothing changed.
 * Any other error: a step failed, the device is in the error state and
 * *@did says the session ended if there was one.
 */
int vfio_mig_set_state(struct vfio_mig_device *mig, u32 new_state,
		       struct vfio_mig_chan *who, unsigned int *did)
{
	bool had_session = mig->save.active || mig->load.active;
	struct vfio_mig_v1_arc arc;
	int ret;

	lockdep_assert_held(&mig->lock);
	*did = 0;
	if (!vfio_mig_may_drive(mig, who))
		return -EBUSY;
	if (vfio_mig_v1_arc(mig->state, new_state, &arc))
		return -EINVAL;
	if ((new_state & VFIO_DEVICE_STATE_V1_NDMA) && !mig->ndma)
		return -EINVAL;

	if (arc.actions & VFIO_MIG_ACT_LEVEL_DOWN) {
		ret = vfio_mig_set_level(mig, arc.level);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_SAVE_END)
		vfio_mig_end_session(mig);
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
		vfio_mig_end_session(mig);
		if (ret)
			goto fail;
	}
	if (arc.actions & VFIO_MIG_ACT_LEVEL_UP) {
		ret = vfio_mig_set_level(mig, arc.level);
		if (ret)
			goto fail;
	}
	mig->state = new_state;
	if ((mig->save.active || mig->load.active) && !had_session) {
		mig->owner = who;
		mig->session++;
		who->stage.len = 0;
		who->stage.pos = 0;
		*did = VFIO_MIG_DID_OPEN;
	} else if (had_session && !mig->save.active && !mig->load.active) {
		*did = VFIO_MIG_DID_CLOSE;
	}
	wake_up_interruptible_all(&mig->poll_wq);
	return 0;

fail:
	vfio_mig_fail(mig);
	if (had_session)
		*did = VFIO_MIG_DID_CLOSE;
	return ret;
}
