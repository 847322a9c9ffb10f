/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the vfio_mig API and its pure parts (which also
 * build in user space, so this header includes nothing).
 */
#ifndef _LINUX_VFIO_MIG_DEFS_H
#define _LINUX_VFIO_MIG_DEFS_H

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

/**
 * enum vfio_mig_section_kind - how a section travels
 * @VFIO_MIG_SECTION_ONCE: small; saved in stop-and-copy only, as one
 *	record, and loaded in stream order (device config)
 * @VFIO_MIG_SECTION_ITERATIVE: large; sent in chunk-aligned pieces, again
 *	for every chunk dirtied while the source still runs (device memory)
 */
enum vfio_mig_section_kind {
	VFIO_MIG_SECTION_ONCE = 1,
	VFIO_MIG_SECTION_ITERATIVE = 2,
};

#endif /* _LINUX_VFIO_MIG_DEFS_H */
