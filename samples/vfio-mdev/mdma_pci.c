// SPDX-License-Identifier: GPL-2.0
/*
 * mdma: emulated PCI configuration space.
 *
 * The 256 bytes are kept as a little-endian byte array together with a
 * mask of the bits software may write; every write merges the new value
 * through that mask, so read-only fields ignore writes and the BAR sizing
 * protocol (write all-ones, read back the size mask) falls out of the BAR
 * masks. Reads and writes of any length inside the 256 bytes are served
 * byte by byte, as a PCI host bridge splits them into config cycles; no
 * register here has side effects that depend on the access width.
 */
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "mdma.h"

static void cfg_set8(u8 *cfg, unsigned int off, u8 val)
{
	cfg[off] = val;
}

static void cfg_set16(u8 *cfg, unsigned int off, u16 val)
{
	cfg[off] = val & 0xff;
	cfg[off + 1] = val >> 8;
}

static void cfg_set32(u8 *cfg, unsigned int off, u32 val)
{
	cfg_set16(cfg, off, val & 0xffff);
	cfg_set16(cfg, off + 2, val >> 16);
}

static u16 cfg_get16(const u8 *cfg, unsigned int off)
{
	return cfg[off] | (cfg[off + 1] << 8);
}

/* The writable bits; they never change for an instance. */
void mdma_pci_init(struct mdma_state *s)
{
	u8 *wm = s->config_wmask;
	u64 bar2_mask = ~(s->mem_size - 1);

	memset(wm, 0, MDMA_CONFIG_SIZE);
	cfg_set16(wm, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_INTX_DISABLE);
	cfg_set32(wm, PCI_BASE_ADDRESS_0, ~(MDMA_BAR0_SIZE - 1) &
		  (u32)PCI_BASE_ADDRESS_MEM_MASK);
	cfg_set32(wm, PCI_BASE_ADDRESS_2, lower_32_bits(bar2_mask) &
		  (u32)PCI_BASE_ADDRESS_MEM_MASK);
	cfg_set32(wm, PCI_BASE_ADDRESS_3, upper_32_bits(bar2_mask));
	cfg_set8(wm, PCI_INTERRUPT_LINE, 0xff);

	cfg_set16(wm, MDMA_PCI_MSI_CAP_OFFSET + PCI_MSI_FLAGS,
		  PCI_MSI_FLAGS_ENABLE);
	cfg_set32(wm, MDMA_PCI_MSI_CAP_OFFSET + PCI_MSI_ADDRESS_LO,
		  0xfffffffc);
	cfg_set32(wm, MDMA_PCI_MSI_CAP_OFFSET + PCI_MSI_ADDRESS_HI,
		  0xffffffff);
	cfg_set16(wm, MDMA_PCI_MSI_CAP_OFFSET + PCI_MSI_DATA_64, 0xffff);
}

/* Power-on values. */
void mdma_pci_reset(struct mdma_state *s)
{
	u8 *cfg = s->config;
	const unsigned int msi = MDMA_PCI_MSI_CAP_OFFSET;

	memset(cfg, 0, MDMA_CONFIG_SIZE);
	cfg_set16(cfg, PCI_VENDOR_ID, MDMA_PCI_VENDOR_ID);
	cfg_set16(cfg, PCI_DEVICE_ID, MDMA_PCI_DEVICE_ID);
	cfg_set16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg_set8(cfg, PCI_REVISION_ID, MDMA_PCI_REVISION);
	cfg_set8(cfg, PCI_CLASS_PROG, MDMA_PCI_CLASS & 0xff);
	cfg_set16(cfg, PCI_CLASS_DEVICE, MDMA_PCI_CLASS >> 8);
	cfg_set8(cfg, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);
	cfg_set32(cfg, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_MEMORY |
		  PCI_BASE_ADDRESS_MEM_TYPE_32);
	cfg_set32(cfg, PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_SPACE_MEMORY |
		  PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	cfg_set16(cfg, PCI_SUBSYSTEM_VENDOR_ID, MDMA_PCI_SUBSYS_VENDOR_ID);
	cfg_set16(cfg, PCI_SUBSYSTEM_ID, MDMA_PCI_SUBSYS_ID);
	cfg_set8(cfg, PCI_CAPABILITY_LIST, msi);
	cfg_set8(cfg, PCI_INTERRUPT_PIN, 1);	/* INTA# */

	cfg_set8(cfg, msi + PCI_CAP_LIST_ID, PCI_CAP_ID_MSI);
	cfg_set8(cfg, msi + PCI_CAP_LIST_NEXT, 0);
	/* One vector, 64-bit address, no per-vector masking. */
	cfg_set16(cfg, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);
}

static int mdma_pci_check(u32 off, u32 count)
{
	if (!count || off >= MDMA_CONFIG_SIZE ||
	    count > MDMA_CONFIG_SIZE - off)
		return -EINVAL;
	return 0;
}

int mdma_pci_read(struct mdma_state *s, u32 off, u8 *buf, u32 count)
{
	int ret = mdma_pci_check(off, count);

	if (ret)
		return ret;
	lockdep_assert_held(&s->lock);
	memcpy(buf, s->config + off, count);
	return 0;
}

int mdma_pci_write(struct mdma_state *s, u32 off, const u8 *buf, u32 count)
{
	int ret = mdma_pci_check(off, count);
	u32 i;

	if (ret)
		return ret;
	lockdep_assert_held(&s->lock);
	for (i = 0; i < count; i++) {
		u8 wm = s->config_wmask[off + i];

		s->config[off + i] = (s->config[off + i] & ~wm) | (buf[i] & wm);
	}
	return 0;
}

bool mdma_pci_msi_enabled(struct mdma_state *s)
{
	return cfg_get16(s->config, MDMA_PCI_MSI_CAP_OFFSET + PCI_MSI_FLAGS) &
	       PCI_MSI_FLAGS_ENABLE;
}

bool mdma_pci_intx_disabled(struct mdma_state *s)
{
	return cfg_get16(s->config, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
}
