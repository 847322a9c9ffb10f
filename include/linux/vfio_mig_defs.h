/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the vfio_mig API and its pure parts (which also
 * build in user space): the run levels, and the stream's wire format with
 * the section kinds from the uapi.
 */
#ifndef _LINUX_VFIO_MIG_DEFS_H
#define _LINUX_VFIO_MIG_DEFS_H

#include <uapi/linux/vfio_mig_stream.h>

/**
 * enum vfio_mig_run_level - how much of the device is allowed to run
 * @VFIO_MIG_STOPPED: no DMA, no interrupts, no progress of queued work
 * @VFIO_MIG_RUNNING_NO_DMA: MMIO is served, but the device issues no DMA
 *	and raises no interrupt (v1 NDMA, v2 RUNNING_P2P)
 * @VFIO_MIG_RUNNING: normal operation
 */
enum vfio_mig_run_level {
	VFIO_MIG_STOPPED,
	VFIO_MIG_RUNNING_NO_DMA,
	VFIO_MIG_RUNNING,
};

#endif /* _LINUX_VFIO_MIG_DEFS_H */
