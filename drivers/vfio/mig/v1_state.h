/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol v1 device_state transitions: which writes are allowed and what
 * each one asks of the framework.
 */
#ifndef _VFIO_MIG_V1_STATE_H
#define _VFIO_MIG_V1_STATE_H

#include <uapi/linux/vfio_mig.h>

#include "pure.h"

/* Work an arc asks for, performed in this order by the framework. */
#define VFIO_MIG_ACT_LEVEL_DOWN		BIT(0) /* lower the run level first */
#define VFIO_MIG_ACT_SAVE_END		BIT(1) /* drop the save session */
#define VFIO_MIG_ACT_SAVE_BEGIN		BIT(2) /* open a save session */
#define VFIO_MIG_ACT_LOG_START		BIT(3) /* pre-copy: log dirty data */
#define VFIO_MIG_ACT_SAVE_FINAL		BIT(4) /* stop-and-copy phase begins */
#define VFIO_MIG_ACT_RESUME_BEGIN	BIT(5) /* open a resume session */
#define VFIO_MIG_ACT_RESUME_COMMIT	BIT(6) /* the stream must be complete */
#define VFIO_MIG_ACT_LEVEL_UP		BIT(7) /* raise the run level last */

/**
 * struct vfio_mig_v1_arc - what a device_state write asks for
 * @actions: VFIO_MIG_ACT_* bits
 * @level: run level of the new state
 */
struct vfio_mig_v1_arc {
	u32 actions;
	enum vfio_mig_run_level level;
};

int vfio_mig_v1_arc(u32 from, u32 to, struct vfio_mig_v1_arc *arc);
enum vfio_mig_run_level vfio_mig_v1_level(u32 state);

#endif /* _VFIO_MIG_V1_STATE_H */
