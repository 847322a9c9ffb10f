// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: interrupts.
 *
 * An interrupt is asserted when an IRQ_STATUS bit is set while enabled in
 * IRQ_MASK, or when IRQ_MASK enables a bit that is already set. It is
 * delivered as MSI if the MSI capability is enabled (signalling the MSI
 * eventfd if one is set), otherwise as INTx unless PCI_COMMAND has INTx
 * disabled. INTx is level-triggered and automasked: signalling it masks
 * it, and VFIO_IRQ_SET_ACTION_UNMASK unmasks it and signals again if the
 * condition still holds. Clearing IRQ_STATUS does not unmask.
 *
 * VFIO_DEVICE_SET_IRQS: vfio_set_irqs_validate_and_prepare() lets a count
 * of 0 through with any data type, and then copies no data. Only
 * TRIGGER with DATA_NONE gives count 0 a meaning (tear the trigger down);
 * count 0 with DATA_BOOL or DATA_EVENTFD, and MASK or UNMASK with count 0,
 * fail with -EINVAL and change nothing.
 */
#include <linux/eventfd.h>
#include <linux/vfio.h>

#include "mdma.h"
#include "mdma_compat.h"

static bool mdma_irq_pending(struct mdma_state *s)
{
	return s->regs.irq_status & s->regs.irq_mask;
}

static void mdma_irq_assert(struct mdma_state *s)
{
	/* A stopped device raises nothing; it stays pending in IRQ_STATUS. */
	if (s->run_level != VFIO_MIG_RUNNING)
		return;
	if (mdma_pci_msi_enabled(s)) {
		if (s->msi_trigger)
			mdma_eventfd_signal(s->msi_trigger);
		return;
	}
	if (mdma_pci_intx_disabled(s) || !s->intx_trigger || s->intx_masked)
		return;
	s->intx_masked = true;
	mdma_eventfd_signal(s->intx_trigger);
}

/* Set IRQ_STATUS bits and interrupt if any of them is enabled. */
void mdma_irq_raise(struct mdma_state *s, u32 bits)
{
	lockdep_assert_held(&s->lock);
	s->regs.irq_status |= bits;
	if (bits & s->regs.irq_mask)
		mdma_irq_assert(s);
}

/* IRQ_MASK changed: interrupt for bits it enabled that are set. */
void mdma_irq_update(struct mdma_state *s)
{
	lockdep_assert_held(&s->lock);
	if (mdma_irq_pending(s))
		mdma_irq_assert(s);
}

static void mdma_irq_put(struct eventfd_ctx **trigger)
{
	if (*trigger) {
		eventfd_ctx_put(*trigger);
		*trigger = NULL;
	}
}

void mdma_irq_release(struct mdma_state *s)
{
	mutex_lock(&s->lock);
	mdma_irq_put(&s->intx_trigger);
	mdma_irq_put(&s->msi_trigger);
	s->intx_masked = false;
	mutex_unlock(&s->lock);
}

int mdma_irq_info(struct vfio_irq_info *info)
{
	switch (info->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		info->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			      VFIO_IRQ_INFO_AUTOMASKED;
		info->count = 1;
		return 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		info->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		info->count = 1;
		return 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		info->flags = 0;
		info->count = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Install, replace or (fd -1) remove the eventfd of one trigger. */
static int mdma_irq_set_eventfd(struct mdma_state *s,
				struct eventfd_ctx **trigger, s32 fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}

	mutex_lock(&s->lock);
	mdma_irq_put(trigger);
	*trigger = ctx;
	if (trigger == &s->intx_trigger)
		s->intx_masked = false;
	mutex_unlock(&s->lock);
	return 0;
}

/* DATA_NONE, or DATA_BOOL with the bool set, means "do it". */
static bool mdma_irq_data_true(struct vfio_irq_set *hdr, void *data)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (type == VFIO_IRQ_SET_DATA_NONE)
		return true;
	return type == VFIO_IRQ_SET_DATA_BOOL && *(u8 *)data;
}

static int mdma_irq_trigger(struct mdma_state *s, struct vfio_irq_set *hdr,
			    struct eventfd_ctx **trigger, void *data)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		return mdma_irq_set_eventfd(s, trigger, *(s32 *)data);

	/* count 0 with DATA_NONE: tear the trigger down. */
	if (!hdr->count)
		return mdma_irq_set_eventfd(s, trigger, -1);

	/* A test interrupt, for loop-back checks. */
	if (mdma_irq_data_true(hdr, data)) {
		mutex_lock(&s->lock);
		if (*trigger)
			mdma_eventfd_signal(*trigger);
		mutex_unlock(&s->lock);
	}
	return 0;
}

static int mdma_irq_intx_mask(struct mdma_state *s, struct vfio_irq_set *hdr,
			      void *data, bool mask)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	/* Unmask through an eventfd (irqfd resampling) is not offered. */
	if (type == VFIO_IRQ_SET_DATA_EVENTFD || !hdr->count)
		return -EINVAL;
	if (!mdma_irq_data_true(hdr, data))
		return 0;

	mutex_lock(&s->lock);
	if (mask) {
		s->intx_masked = true;
	} else {
		s->intx_masked = false;
		if (mdma_irq_pending(s) && !mdma_pci_msi_enabled(s))
			mdma_irq_assert(s);
	}
	mutex_unlock(&s->lock);
	return 0;
}

int mdma_set_irqs(struct mdma_state *s, struct vfio_irq_set *hdr, void *data)
{
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	/* No data was copied: nothing to read a bool or an fd from. */
	if (type != VFIO_IRQ_SET_DATA_NONE && (!hdr->count || !data))
		return -EINVAL;

	switch (hdr->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
			return mdma_irq_intx_mask(s, hdr, data, true);
		case VFIO_IRQ_SET_ACTION_UNMASK:
			return mdma_irq_intx_mask(s, hdr, data, false);
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			return mdma_irq_trigger(s, hdr, &s->intx_trigger, data);
		}
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return mdma_irq_trigger(s, hdr, &s->msi_trigger, data);
		break;
	}
	return -EINVAL;
}
