// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate info: what a VMM sees of an instance's migration support.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-migrate.h"

static void info_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate info UUID\n"
		"\n"
		"Open the mdma instance UUID as a VMM would and show its regions,\n"
		"the migration region with its capabilities (type, sparse mmap data\n"
		"window, NDMA), device_state, pending_bytes, the container's dirty\n"
		"tracking and the instance's debugfs digest.\n"
		"\n"
		"Opening an mdma instance resets it, so device_state is \"running\".\n");
}

static const char *pci_region_name(unsigned int i)
{
	static const char * const names[] = {
		"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM",
		"config", "VGA",
	};

	return i < VM_ARRAY_SIZE(names) ? names[i] : "device specific";
}

static void show_regions(struct vm_dev *d)
{
	const struct vfio_region_info_cap_type *ct;
	const struct vfio_info_cap_header *hdr;
	struct vfio_region_info *ri;
	unsigned int i;
	char sz[32];

	printf("regions (%u):\n", d->m.dev.info.num_regions);
	for (i = 0; i < d->m.dev.info.num_regions; i++) {
		if (vfio_region_info(&d->m.dev, i, &ri)) {
			printf("  %2u  %-15s  (no info: %s)\n", i,
			       pci_region_name(i), vfio_errmsg());
			continue;
		}
		if (!ri->size) {
			printf("  %2u  %-15s  none\n", i, pci_region_name(i));
			free(ri);
			continue;
		}
		printf("  %2u  %-15s  %10s  %s%s%s", i, pci_region_name(i),
		       vm_bytes(sz, sizeof(sz), ri->size),
		       ri->flags & VFIO_REGION_INFO_FLAG_READ ? "r" : "-",
		       ri->flags & VFIO_REGION_INFO_FLAG_WRITE ? "w" : "-",
		       ri->flags & VFIO_REGION_INFO_FLAG_MMAP ? "m" : "-");
		hdr = vfio_region_cap_find(ri, VFIO_REGION_INFO_CAP_TYPE);
		if (hdr) {
			ct = (const void *)hdr;
			printf("  type %u/%u%s", ct->type, ct->subtype,
			       ct->type == VFIO_REGION_TYPE_MIGRATION &&
			       ct->subtype == VFIO_REGION_SUBTYPE_MIGRATION ?
			       " (migration)" : "");
		}
		printf("\n");
		free(ri);
	}
}

static void show_dirty_tracking(struct vm_dev *d)
{
	const struct vfio_iommu_type1_info_cap_migration *cm;
	const struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info *ii;

	if (vfio_iommu_info(&d->m.container, &ii)) {
		printf("container:        %s\n", vfio_errmsg());
		return;
	}
	hdr = NULL;
	if (ii->flags & VFIO_IOMMU_INFO_CAPS)
		hdr = vfio_info_cap_find(ii, ii->argsz, ii->cap_offset,
					 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (hdr) {
		cm = (const void *)hdr;
		printf("dirty tracking:   type1, page sizes 0x%llx, max bitmap %llu bytes\n",
		       (unsigned long long)cm->pgsize_bitmap,
		       (unsigned long long)cm->max_dirty_bitmap_size);
	} else {
		printf("dirty tracking:   not offered by the container\n");
	}
	free(ii);
}

int cmd_info(int argc, char **argv)
{
	struct mdma_digest dg;
	struct vm_dev d;
	uint64_t pending;
	uint32_t state;
	char sz[32];
	long kb;
	int ret;

	if (argc == 2 && vm_is_help(argv[1])) {
		info_usage(stdout);
		return 0;
	}
	if (argc != 2) {
		info_usage(stderr);
		return 2;
	}
	if (vm_dev_open(&d, argv[1], false))
		return 1;

	printf("device:           %s (%s), IOMMU group %d\n", d.m.uuid,
	       d.type, d.m.dev.group_id);
	printf("flags:            0x%x%s%s, %u irq indexes\n",
	       d.m.dev.info.flags,
	       d.m.dev.info.flags & VFIO_DEVICE_FLAGS_PCI ? " pci" : "",
	       d.m.dev.info.flags & VFIO_DEVICE_FLAGS_RESET ? " reset" : "",
	       d.m.dev.info.num_irqs);
	show_regions(&d);

	printf("migration region: index %u, %s at device offset 0x%llx\n",
	       d.mig.region.index, vm_bytes(sz, sizeof(sz), d.mig.region.size),
	       (unsigned long long)d.mig.region.offset);
	if (d.mig.data_size)
		printf("  data window:    %s at region offset 0x%llx (sparse mmap)%s\n",
		       vm_bytes(sz, sizeof(sz), d.mig.data_size),
		       (unsigned long long)d.mig.data_offset,
		       d.mig.window ? ", mapped" : "");
	else
		printf("  data window:    no sparse mmap area (trapped only)\n");
	kb = vm_window_kb();
	if (kb > 0)
		printf("  window_kb:      %ld (vfio_mig module parameter)\n", kb);
	printf("  NDMA:           %s\n", d.mig.ndma ?
	       "offered (VFIO_REGION_INFO_CAP_MIGRATION_NDMA)" : "not offered");

	ret = vfio_mig_v1_get_state(&d.mig, &state);
	ret = ret ?: vfio_mig_v1_pending(&d.mig, &pending);
	if (ret) {
		vm_explain("read the migration header", ret);
		vm_dev_close(&d);
		return 1;
	}
	printf("  device_state:   0x%x %s%s\n", state,
	       vfio_mig_v1_state_name(state),
	       state & VFIO_DEVICE_STATE_V1_NDMA ? " +ndma" : "");
	printf("  pending_bytes:  %llu\n", (unsigned long long)pending);
	show_dirty_tracking(&d);

	if (!mdma_digest_read(d.m.uuid, &dg))
		vm_info("digest:           mem_crc32 %08x regs_crc32 %08x ctrl 0x%x dma_completed %u dma_queued %u\n",
			dg.mem_crc32, dg.regs_crc32, dg.ctrl, dg.dma_completed,
			dg.dma_queued);
	else
		printf("digest:           %s\n", vfio_errmsg());
	vm_dev_close(&d);
	return 0;
}
