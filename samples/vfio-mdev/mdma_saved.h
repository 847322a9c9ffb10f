/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mdma: the device state its CONFIG section carries, and the section's
 * wire format, checks and conversions.
 *
 * Pure logic, like vfio_mig's stream codec: built into mdma.ko and, with
 * the host side of pure.h, into host-native tests and a fuzzer
 * (tools/testing/unit/).
 */
#ifndef _MDMA_SAVED_H
#define _MDMA_SAVED_H

#include "../../drivers/vfio/mig/pure.h"
#include <linux/mdma.h>

#define MDMA_CONFIG_SIZE	256
#define MDMA_SAVED_VERSION	1

/* A descriptor as queued by DOORBELL. */
struct mdma_desc {
	u64 src;
	u64 dst;
	u32 len;
	u32 cmd;
	u32 pattern;
	u32 progress;			/* bytes done before it was parked */
	bool aborted;
};

/* The BAR0 registers that hold state; the others are computed. */
struct mdma_regs {
	u32 ctrl;
	u32 status;
	u32 irq_status;
	u32 irq_mask;
	u32 dma_src_lo;
	u32 dma_src_hi;
	u32 dma_dst_lo;
	u32 dma_dst_hi;
	u32 dma_len;
	u32 dma_cmd;
	u32 dma_pattern;
	u32 dma_completed;
	u32 dma_error;
	u32 scratch;
};

#define MDMA_SAVED_NR_REGS	14

struct mdma_saved_desc {
	__le64 src;
	__le64 dst;
	__le32 len;
	__le32 cmd;
	__le32 pattern;
	__le32 progress;
	__le32 aborted;
	__le32 reserved;
};

/* The CONFIG section as it travels: little endian, fixed size. */
struct mdma_saved_config {
	__le32 version;
	__le32 queue_count;
	__le32 regs[MDMA_SAVED_NR_REGS];
	__le32 intx_masked;
	__le32 reserved;
	u8 config[MDMA_CONFIG_SIZE];
	struct mdma_saved_desc queue[MDMA_DMA_QUEUE_DEPTH];
};

/**
 * struct mdma_saved_dev - what a loaded section is checked against
 * @config: the device's config space now
 * @config_wmask: its writable bits; the others must match @config
 */
struct mdma_saved_dev {
	const u8 *config;
	const u8 *config_wmask;
};

bool mdma_dma_guest_iova(u32 cmd, u64 src, u64 dst, u64 *iova);
void mdma_saved_encode(struct mdma_saved_config *c, const struct mdma_regs *r,
		       bool intx_masked, const u8 *config,
		       const struct mdma_desc *ring, unsigned int head,
		       unsigned int count);
int mdma_saved_check(const struct mdma_saved_config *c,
		     const struct mdma_saved_dev *dev);
void mdma_saved_decode(const struct mdma_saved_config *c, struct mdma_regs *r,
		       bool *intx_masked, u8 *config, struct mdma_desc *queue,
		       unsigned int *count);

#endif /* _MDMA_SAVED_H */
