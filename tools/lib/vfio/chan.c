// SPDX-License-Identifier: GPL-2.0
/*
 * libvfio: what the migration channels share - the v1 translation of the
 * states, and close.
 */
#include <errno.h>
#include <string.h>

#include "vfio_mig_chan.h"

int vfio_mig_chan_v1_state(uint32_t state, uint32_t *v1)
{
	switch (state) {
	case VFIO_DEVICE_STATE_STOP:
		*v1 = VFIO_DEVICE_STATE_V1_STOP;
		return 0;
	case VFIO_DEVICE_STATE_RUNNING:
		*v1 = VFIO_DEVICE_STATE_V1_RUNNING;
		return 0;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		*v1 = VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA;
		return 0;
	case VFIO_DEVICE_STATE_STOP_COPY:
		*v1 = VFIO_DEVICE_STATE_V1_SAVING;
		return 0;
	case VFIO_DEVICE_STATE_PRE_COPY:
		*v1 = VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING;
		return 0;
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		*v1 = VFIO_DEVICE_STATE_V1_SAVING |
		      VFIO_DEVICE_STATE_V1_RUNNING | VFIO_DEVICE_STATE_V1_NDMA;
		return 0;
	case VFIO_DEVICE_STATE_RESUMING:
		*v1 = VFIO_DEVICE_STATE_V1_RESUMING;
		return 0;
	}
	return vfio_set_error(-EINVAL, "state %u (%s) has no v1 encoding",
			      state, vfio_mig_v2_state_name(state));
}

uint32_t vfio_mig_chan_from_v1(uint32_t v1)
{
	bool ndma = v1 & VFIO_DEVICE_STATE_V1_NDMA;

	if (!VFIO_DEVICE_STATE_VALID(v1))
		return VFIO_DEVICE_STATE_ERROR;
	switch (v1 & VFIO_DEVICE_STATE_MASK) {
	case VFIO_DEVICE_STATE_V1_STOP:
		return VFIO_DEVICE_STATE_STOP;
	case VFIO_DEVICE_STATE_V1_RUNNING:
		return ndma ? VFIO_DEVICE_STATE_RUNNING_P2P :
			      VFIO_DEVICE_STATE_RUNNING;
	case VFIO_DEVICE_STATE_V1_SAVING:
		return VFIO_DEVICE_STATE_STOP_COPY;
	case VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RUNNING:
		return ndma ? VFIO_DEVICE_STATE_PRE_COPY_P2P :
			      VFIO_DEVICE_STATE_PRE_COPY;
	case VFIO_DEVICE_STATE_V1_RESUMING:
		return VFIO_DEVICE_STATE_RESUMING;
	}
	return VFIO_DEVICE_STATE_ERROR;
}

void vfio_mig_chan_close(struct vfio_mig_chan *c)
{
	if (c->ops)
		c->ops->close(c);
	memset(c, 0, sizeof(*c));
}
