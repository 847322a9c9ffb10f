// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for mdma's CONFIG section loader
 * (samples/vfio-mdev/mdma_saved.c): what a migration stream reaches once
 * vfio_mig's decoder hands the section over, with the device's own check.
 *
 * The first input byte picks the mode: the rest is the whole section
 * (zero padded), or a list of (offset, byte) patches to a valid section,
 * which takes the fuzzer past the header to the register, config and
 * queue checks.
 *
 * Every section mdma_saved_check() accepts is decoded and encoded again,
 * which must give back the same bytes (but STATUS.BUSY, which loading
 * drops: nothing runs on a resuming device), and the decoded state must
 * be one the device can hold, as restated here from the register
 * description in include/uapi/linux/mdma.h. A violation aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include "../../../samples/vfio-mdev/mdma_saved.h"
#include "fuzz_entry.h"

#define SECTION		sizeof(struct mdma_saved_config)

static u8 dev_config[MDMA_CONFIG_SIZE], dev_wmask[MDMA_CONFIG_SIZE];
static const struct mdma_saved_dev dev = { dev_config, dev_wmask };
static struct mdma_saved_config base;

static void fail(const char *what, unsigned int i)
{
	fprintf(stderr, "accepted a section that %s (%u)\n", what, i);
	abort();
}

/*
 * A device with read-only, partly and wholly writable config bytes, and
 * a valid section for it: three descriptors, one parked mid-way, across
 * the end of the ring.
 */
static void setup(void)
{
	struct mdma_desc ring[MDMA_DMA_QUEUE_DEPTH] = { 0 };
	struct mdma_regs r = {
		.ctrl = MDMA_CTRL_ENABLE,
		.status = MDMA_STATUS_ENABLED | MDMA_STATUS_BUSY,
		.irq_status = MDMA_IRQ_DONE,
		.dma_src_lo = 0x1000, .dma_len = 4096,
		.dma_cmd = MDMA_CMD_FILL_GUEST, .dma_completed = 7,
		.scratch = 0xdeadbeef,
	};
	unsigned int i;

	for (i = 0; i < MDMA_CONFIG_SIZE; i++) {
		dev_config[i] = i * 7 + 3;
		dev_wmask[i] = i % 3 == 0 ? 0xff : i % 3 == 1 ? 0x0f : 0;
	}
	ring[14] = (struct mdma_desc){ .dst = 0x10000, .len = 0x8000,
		.cmd = MDMA_CMD_FILL_GUEST, .pattern = 0x5a5a, .progress = 0x2000 };
	ring[15] = (struct mdma_desc){ .src = 0x20000, .len = 4096,
		.cmd = MDMA_CMD_GUEST_TO_DEV };
	ring[0] = (struct mdma_desc){ .len = 12, .cmd = 99, .aborted = true };
	mdma_saved_encode(&base, &r, true, dev_config, ring, 14, 3);
	if (mdma_saved_check(&base, &dev)) {
		fprintf(stderr, "the base section is refused\n");
		abort();
	}
}

/* What the device can hold, restated from the register description. */
static void check_state(const struct mdma_regs *r, const u8 *config,
			const struct mdma_desc *q, unsigned int n)
{
	unsigned int i;
	u64 iova;

	if (n > MDMA_DMA_QUEUE_DEPTH)
		fail("overfills the queue", n);
	if (r->ctrl & ~MDMA_CTRL_ENABLE)
		fail("sets CTRL bits other than ENABLE", r->ctrl);
	if (r->status & ~(MDMA_STATUS_ENABLED | MDMA_STATUS_ERROR))
		fail("keeps unknown or BUSY STATUS bits", r->status);
	if (!!(r->status & MDMA_STATUS_ENABLED) != !!(r->ctrl & MDMA_CTRL_ENABLE))
		fail("has STATUS.ENABLED disagree with CTRL", r->status);
	if (!!(r->status & MDMA_STATUS_ERROR) != !!r->dma_error)
		fail("has STATUS.ERROR disagree with DMA_ERROR", r->status);
	if ((r->irq_status | r->irq_mask) & ~MDMA_IRQ_ALL)
		fail("sets unknown interrupt bits", r->irq_status);
	if (r->dma_error > MDMA_ERR_QUEUE_FULL)
		fail("holds an unknown DMA_ERROR", r->dma_error);
	for (i = 0; i < MDMA_CONFIG_SIZE; i++)
		if ((config[i] ^ dev_config[i]) & ~dev_wmask[i])
			fail("changes read-only config bits at", i);
	for (i = 0; i < n; i++) {
		if (!q[i].progress)
			continue;
		iova = q[i].cmd == MDMA_CMD_GUEST_TO_DEV ? q[i].src : q[i].dst;
		if (q[i].cmd < MDMA_CMD_DEV_TO_GUEST ||
		    q[i].cmd > MDMA_CMD_FILL_GUEST)
			fail("parks a descriptor of no command", i);
		if (q[i].len > MDMA_DMA_MAX_LEN || q[i].progress >= q[i].len)
			fail("parks a descriptor past its end", i);
		if ((iova + q[i].progress) % PAGE_SIZE)
			fail("parks a descriptor off a page boundary", i);
	}
}

int fuzz_one_input(const u8 *data, size_t size)
{
	struct mdma_saved_config c, again;
	struct mdma_desc queue[MDMA_DMA_QUEUE_DEPTH];
	u8 config[MDMA_CONFIG_SIZE], *b = (u8 *)&c;
	struct mdma_regs r;
	unsigned int n, i;
	bool intx;

	if (!dev_wmask[0])
		setup();
	if (!size)
		return 0;
	if (data[0] & 1) {
		memset(&c, 0, SECTION);
		memcpy(&c, data + 1, size - 1 < SECTION ? size - 1 : SECTION);
	} else {
		c = base;
		for (i = 1; i + 2 < size; i += 3)
			b[(data[i] | data[i + 1] << 8) % SECTION] = data[i + 2];
	}
	if (mdma_saved_check(&c, &dev))
		return 0;

	memset(&r, 0xa5, sizeof(r));
	memset(queue, 0xa5, sizeof(queue));
	mdma_saved_decode(&c, &r, &intx, config, queue, &n);
	check_state(&r, config, queue, n);
	mdma_saved_encode(&again, &r, intx, config, queue, 0, n);
	c.regs[1] &= ~cpu_to_le32(MDMA_STATUS_BUSY);
	for (i = 0; i < SECTION; i++)
		if (((u8 *)&again)[i] != b[i])
			fail("does not encode back to itself at byte", i);
	return 0;
}
