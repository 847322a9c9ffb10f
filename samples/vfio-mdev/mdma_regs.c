// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: the BAR0 register file (see include/uapi/linux/mdma.h).
 *
 * The caller checks width and alignment (4 bytes, naturally aligned) and
 * holds s->lock, except for mdma_soft_reset() which takes the locks
 * itself.
 */
#include <linux/kcov.h>
#include <linux/string.h>

#include "mdma.h"

void mdma_regs_reset(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);
	memset(&s->regs, 0, sizeof(s->regs));
}

u32 mdma_regs_read(struct mdma_state *s, u32 off)
{
	struct mdma_regs *r = &s->regs;

	lockdep_assert_held(&s->lock);
	switch (off) {
	case MDMA_REG_ID:
		return MDMA_ID;
	case MDMA_REG_VERSION:
		return MDMA_VERSION;
	case MDMA_REG_CTRL:
		return r->ctrl;
	case MDMA_REG_STATUS:
		return r->status;
	case MDMA_REG_IRQ_STATUS:
		return r->irq_status;
	case MDMA_REG_IRQ_MASK:
		return r->irq_mask;
	case MDMA_REG_MEM_SIZE_LO:
		return lower_32_bits(s->mem_size);
	case MDMA_REG_MEM_SIZE_HI:
		return upper_32_bits(s->mem_size);
	case MDMA_REG_DMA_SRC_LO:
		return r->dma_src_lo;
	case MDMA_REG_DMA_SRC_HI:
		return r->dma_src_hi;
	case MDMA_REG_DMA_DST_LO:
		return r->dma_dst_lo;
	case MDMA_REG_DMA_DST_HI:
		return r->dma_dst_hi;
	case MDMA_REG_DMA_LEN:
		return r->dma_len;
	case MDMA_REG_DMA_CMD:
		return r->dma_cmd;
	case MDMA_REG_DMA_PATTERN:
		return r->dma_pattern;
	case MDMA_REG_DMA_COMPLETED:
		return r->dma_completed;
	case MDMA_REG_DMA_ERROR:
		return r->dma_error;
	case MDMA_REG_DMA_QUEUED:
		return s->queue_count;
	case MDMA_REG_SCRATCH:
		return r->scratch;
	default:	/* DOORBELL is write-only; the rest is unassigned */
		return 0;
	}
}

static void mdma_doorbell(struct mdma_state *s)
{
	struct mdma_regs *r = &s->regs;
	struct mdma_desc *d;

	/* A running descriptor keeps its slot: it may be parked back. */
	if (s->queue_count + s->running >= MDMA_DMA_QUEUE_DEPTH) {
		r->dma_error = MDMA_ERR_QUEUE_FULL;
		r->status |= MDMA_STATUS_ERROR;
		mdma_irq_raise(s, MDMA_IRQ_ERROR);
		return;
	}

	d = &s->queue[(s->queue_head + s->queue_count) % MDMA_DMA_QUEUE_DEPTH];
	d->src = (u64)r->dma_src_hi << 32 | r->dma_src_lo;
	d->dst = (u64)r->dma_dst_hi << 32 | r->dma_dst_lo;
	d->len = r->dma_len;
	d->cmd = r->dma_cmd;
	d->pattern = r->dma_pattern;
	d->progress = 0;
	d->aborted = false;
	s->queue_count++;
	WRITE_ONCE(s->kcov_handle, kcov_common_handle());
	mdma_dma_kick(s);
}

void mdma_regs_write(struct mdma_state *s, u32 off, u32 val)
{
	struct mdma_regs *r = &s->regs;

	lockdep_assert_held(&s->lock);
	switch (off) {
	case MDMA_REG_CTRL:
		/* RESET is handled by the caller, see mdma_soft_reset(). */
		r->ctrl = val & MDMA_CTRL_ENABLE;
		if (r->ctrl & MDMA_CTRL_ENABLE)
			r->status |= MDMA_STATUS_ENABLED;
		else
			r->status &= ~MDMA_STATUS_ENABLED;
		mdma_dma_kick(s);
		break;
	case MDMA_REG_IRQ_STATUS:
		r->irq_status &= ~(val & MDMA_IRQ_ALL);
		break;
	case MDMA_REG_IRQ_MASK:
		r->irq_mask = val & MDMA_IRQ_ALL;
		mdma_irq_update(s);
		break;
	case MDMA_REG_DMA_SRC_LO:
		r->dma_src_lo = val;
		break;
	case MDMA_REG_DMA_SRC_HI:
		r->dma_src_hi = val;
		break;
	case MDMA_REG_DMA_DST_LO:
		r->dma_dst_lo = val;
		break;
	case MDMA_REG_DMA_DST_HI:
		r->dma_dst_hi = val;
		break;
	case MDMA_REG_DMA_LEN:
		r->dma_len = val;
		break;
	case MDMA_REG_DMA_CMD:
		r->dma_cmd = val;
		break;
	case MDMA_REG_DMA_PATTERN:
		r->dma_pattern = val;
		break;
	case MDMA_REG_DOORBELL:
		mdma_doorbell(s);
		break;
	case MDMA_REG_SCRATCH:
		r->scratch = val;
		break;
	default:	/* read-only or unassigned */
		break;
	}
}

/*
 * CTRL.RESET: a soft reset. All registers return to their power-on values
 * (ENABLE, IRQ_MASK and SCRATCH included), the queue is emptied and a
 * running descriptor is abandoned without an interrupt. Device memory,
 * the config space and the interrupt eventfds are kept. When this returns
 * 0 the aborted work has no DMA in flight; -EINTR if the caller was
 * killed while a chunk of it waited for user space.
 */
int mdma_soft_reset(struct mdma_state *s)
{
	mdma_workload_reset(s);
	mutex_lock(&s->lock);
	mdma_dma_abort_locked(s);
	mdma_regs_reset(s);
	mutex_unlock(&s->lock);
	return mdma_dma_wait_idle_killable(s);
}
