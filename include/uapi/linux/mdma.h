/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mdma: a mediated sample "DMA accelerator" for VFIO.
 *
 * Register map of BAR0 and the device's PCI identity, shared by the driver,
 * the userspace library and the tests.
 */
#ifndef _UAPI_LINUX_MDMA_H
#define _UAPI_LINUX_MDMA_H

#include <linux/types.h>

/*
 * PCI identity. 0x1de0/0xd3a0 are not registered with the PCI-SIG; they
 * name this sample device only and must never be matched by a real driver.
 */
#define MDMA_PCI_VENDOR_ID		0x1de0
#define MDMA_PCI_DEVICE_ID		0xd3a0
#define MDMA_PCI_SUBSYS_VENDOR_ID	MDMA_PCI_VENDOR_ID
#define MDMA_PCI_SUBSYS_ID		0x0001
#define MDMA_PCI_REVISION		0x01
#define MDMA_PCI_CLASS			0x080100 /* system peripheral: DMA */
#define MDMA_PCI_MSI_CAP_OFFSET		0x40

/* BAR0: register file, 4 KiB, 32-bit non-prefetchable memory, trapped. */
#define MDMA_BAR0_SIZE			0x1000

/*
 * Every register is 32 bits wide and is accessed only with naturally
 * aligned 4-byte reads and writes; other widths fail with -EINVAL.
 * Reads of unassigned offsets inside BAR0 return 0, writes are ignored.
 */
#define MDMA_REG_ID			0x00	/* RO: MDMA_ID */
#define MDMA_REG_VERSION		0x04	/* RO: MDMA_VERSION */
#define MDMA_REG_CTRL			0x08	/* RW: MDMA_CTRL_* */
#define MDMA_REG_STATUS			0x0c	/* RO: MDMA_STATUS_* */
#define MDMA_REG_IRQ_STATUS		0x10	/* RW1C: MDMA_IRQ_* */
#define MDMA_REG_IRQ_MASK		0x14	/* RW: 1 = enabled */
#define MDMA_REG_MEM_SIZE_LO		0x18	/* RO: device memory size */
#define MDMA_REG_MEM_SIZE_HI		0x1c	/* RO */
#define MDMA_REG_DMA_SRC_LO		0x20	/* RW: descriptor source */
#define MDMA_REG_DMA_SRC_HI		0x24	/* RW */
#define MDMA_REG_DMA_DST_LO		0x28	/* RW: descriptor destination */
#define MDMA_REG_DMA_DST_HI		0x2c	/* RW */
#define MDMA_REG_DMA_LEN		0x30	/* RW: bytes, 1..MDMA_DMA_MAX_LEN */
#define MDMA_REG_DMA_CMD		0x34	/* RW: MDMA_CMD_* */
#define MDMA_REG_DMA_PATTERN		0x38	/* RW: fill pattern */
#define MDMA_REG_DOORBELL		0x3c	/* WO: any value queues */
#define MDMA_REG_DMA_COMPLETED		0x40	/* RO: descriptors finished */
#define MDMA_REG_DMA_ERROR		0x44	/* RO: last failure, until reset */
#define MDMA_REG_DMA_QUEUED		0x48	/* RO: descriptors waiting */
#define MDMA_REG_SCRATCH		0x4c	/* RW: free for software */

#define MDMA_ID				0x414d444dU	/* "MDMA" */
#define MDMA_VERSION			0x00010000U	/* 1.0 */

/* CTRL */
#define MDMA_CTRL_ENABLE		(1U << 0) /* engine runs descriptors */
#define MDMA_CTRL_RESET			(1U << 1) /* self-clearing soft reset */

/* STATUS */
#define MDMA_STATUS_ENABLED		(1U << 0)
#define MDMA_STATUS_BUSY		(1U << 1) /* a descriptor is running */
#define MDMA_STATUS_ERROR		(1U << 2) /* DMA_ERROR is not NONE */

/* IRQ_STATUS and IRQ_MASK */
#define MDMA_IRQ_DONE			(1U << 0) /* a descriptor completed */
#define MDMA_IRQ_ERROR			(1U << 1) /* a descriptor failed */
#define MDMA_IRQ_ALL			(MDMA_IRQ_DONE | MDMA_IRQ_ERROR)

/*
 * DMA_CMD. Addresses are IOVAs in the device's VFIO container for the
 * guest side and byte offsets into device memory for the device side.
 */
#define MDMA_CMD_DEV_TO_GUEST		1 /* SRC: device offset, DST: IOVA */
#define MDMA_CMD_GUEST_TO_DEV		2 /* SRC: IOVA, DST: device offset */
#define MDMA_CMD_FILL_GUEST		3 /* DST: IOVA, PATTERN repeated */

/* DMA_ERROR */
#define MDMA_ERR_NONE			0
#define MDMA_ERR_BAD_CMD		1 /* unknown DMA_CMD */
#define MDMA_ERR_BAD_LEN		2 /* zero or above MDMA_DMA_MAX_LEN */
#define MDMA_ERR_BAD_RANGE		3 /* device range past memory end */
#define MDMA_ERR_BAD_IOVA		4 /* IOVA not mapped at the start, overflow */
#define MDMA_ERR_ABORTED		5 /* unmapped while in flight */
#define MDMA_ERR_QUEUE_FULL		6 /* 16 descriptors outstanding */

#define MDMA_DMA_MAX_LEN		(64U << 20)
#define MDMA_DMA_QUEUE_DEPTH		16

#endif /* _UAPI_LINUX_MDMA_H */
