// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate info: what a VMM sees of an instance's migration support.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-migrate.h"

static void info_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate info UUID [--backend local|plugin --plugin-path SO\n"
		"                              --plugin-arg ARG]\n"
		"\n"
		"Open the mdma instance UUID as a VMM would and show its regions; for\n"
		"protocol v1 the migration region with its capabilities (type, sparse\n"
		"mmap data window, NDMA), device_state and pending_bytes; for protocol\n"
		"v2 the VFIO_DEVICE_FEATURE_MIGRATION flags, the v2 device_state and\n"
		"VFIO_DEVICE_FEATURE_MIG_DATA_SIZE; the container's dirty tracking and\n"
		"the instance's debugfs digest.\n"
		"\n"
		"With --backend plugin: the plugin, and the v1 device_state and\n"
		"pending_bytes as the plugin reports them.\n"
		"\n"
		VM_BACKEND_USAGE
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

static void show_v2(struct vm_dev *d)
{
	uint64_t flags, len;
	uint32_t state;
	char fl[64], sz[32];
	int ret;

	ret = vfio_mig_v2_flags(&d->m.dev, &flags);
	if (ret) {
		printf("protocol v2:      not offered (%s)\n", vfio_errmsg());
		return;
	}
	printf("protocol v2:      VFIO_DEVICE_FEATURE migration\n");
	printf("  flags:          0x%llx %s\n", (unsigned long long)flags,
	       vm_v2_flags_str(fl, sizeof(fl), flags));
	if (vfio_mig_v2_get_state(&d->m.dev, &state))
		printf("  device_state:   %s\n", vfio_errmsg());
	else
		printf("  device_state:   %u %s\n", state,
		       vfio_mig_v2_state_name(state));
	ret = vfio_mig_v2_stop_copy_size(&d->m.dev, &len);
	if (ret == -ENOTTY)
		printf("  MIG_DATA_SIZE:  not offered (a kernel before 6.2)\n");
	else if (ret)
		printf("  MIG_DATA_SIZE:  %s\n", vfio_errmsg());
	else
		printf("  MIG_DATA_SIZE:  %s (%llu bytes estimated for stop-copy)\n",
		       vm_bytes(sz, sizeof(sz), len), (unsigned long long)len);
}

/* UUID and the backend options; -1 for help, 1 on a usage error. */
static int info_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, VM_OPT_BACKEND },
		{ "plugin-path", required_argument, NULL, VM_OPT_PLUGIN_PATH },
		{ "plugin-arg", required_argument, NULL, VM_OPT_PLUGIN_ARG },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		ret = vm_other_option(c, optarg, info_usage);
		if (ret)
			return ret;
	}
	if (argc - optind != 1) {
		info_usage(stderr);
		return 1;
	}
	return vm_backend_check(VM_PROTO_V1, false, false);
}

/* info with --backend plugin: the device as the plugin shows it. */
static int info_plugin(const char *uuid)
{
	struct mdma_digest dg;
	struct vm_dev d;
	uint32_t state, v1 = 0;
	uint64_t pending;
	int ret;

	if (vm_dev_open_backend(&d, uuid, false, VM_PROTO_PLUGIN, NULL))
		return 1;
	printf("device:           %s (%s), IOMMU group %d\n", d.m.uuid,
	       d.type, d.m.dev.group_id);
	show_regions(&d);
	printf("backend:          plugin %s (ABI version %d)\n",
	       vm_backend.path, d.chan.plugin.version);
	printf("plugin argument:  %s\n", vm_backend.arg);
	ret = vfio_mig_chan_get_state(&d.chan, &state);
	ret = ret ?: vfio_mig_chan_pending(&d.chan, &pending);
	if (ret) {
		vm_explain("ask the plugin", ret);
		vm_dev_close(&d);
		return 1;
	}
	/* The plugin speaks the v1 states: show them as it does. */
	if (vfio_mig_chan_v1_state(state, &v1))
		v1 = VFIO_DEVICE_STATE_V1_SAVING | VFIO_DEVICE_STATE_V1_RESUMING;
	printf("  device_state:   0x%x %s\n", v1, vfio_mig_v1_state_name(v1));
	printf("  pending_bytes:  %llu\n", (unsigned long long)pending);
	show_v2(&d);
	if (!mdma_digest_read(d.m.uuid, &dg))
		vm_info("digest:           mem_crc32 %08x regs_crc32 %08x ctrl 0x%x dma_completed %u dma_queued %u\n",
			dg.mem_crc32, dg.regs_crc32, dg.ctrl, dg.dma_completed,
			dg.dma_queued);
	vm_dev_close(&d);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	struct mdma_digest dg;
	struct vfio_mig_v1 *mig;
	struct vm_dev d;
	uint64_t pending;
	uint32_t state;
	char sz[32];
	long kb;
	int ret;

	ret = info_parse(argc, argv);
	if (ret)
		return ret < 0 ? 0 : 2;
	if (vm_backend.plugin)
		return info_plugin(argv[optind]);
	if (vm_dev_open_backend(&d, argv[optind], false, VM_PROTO_V1, NULL))
		return 1;
	mig = &d.chan.v1.mig;

	printf("device:           %s (%s), IOMMU group %d\n", d.m.uuid,
	       d.type, d.m.dev.group_id);
	printf("flags:            0x%x%s%s, %u irq indexes\n",
	       d.m.dev.info.flags,
	       d.m.dev.info.flags & VFIO_DEVICE_FLAGS_PCI ? " pci" : "",
	       d.m.dev.info.flags & VFIO_DEVICE_FLAGS_RESET ? " reset" : "",
	       d.m.dev.info.num_irqs);
	show_regions(&d);

	printf("protocol v1:      the migration region\n");
	printf("migration region: index %u, %s at device offset 0x%llx\n",
	       mig->region.index, vm_bytes(sz, sizeof(sz), mig->region.size),
	       (unsigned long long)mig->region.offset);
	if (mig->data_size)
		printf("  data window:    %s at region offset 0x%llx (sparse mmap)%s\n",
		       vm_bytes(sz, sizeof(sz), mig->data_size),
		       (unsigned long long)mig->data_offset,
		       mig->window ? ", mapped" : "");
	else
		printf("  data window:    no sparse mmap area (trapped only)\n");
	kb = vm_window_kb();
	if (kb > 0)
		printf("  window_kb:      %ld (vfio_mig module parameter)\n", kb);
	printf("  NDMA:           %s\n", mig->ndma ?
	       "offered (VFIO_REGION_INFO_CAP_MIGRATION_NDMA)" : "not offered");

	ret = vfio_mig_v1_get_state(mig, &state);
	ret = ret ?: vfio_mig_v1_pending(mig, &pending);
	if (ret) {
		vm_explain("read the migration header", ret);
		vm_dev_close(&d);
		return 1;
	}
	printf("  device_state:   0x%x %s%s\n", state,
	       vfio_mig_v1_state_name(state),
	       state & VFIO_DEVICE_STATE_V1_NDMA ? " +ndma" : "");
	printf("  pending_bytes:  %llu\n", (unsigned long long)pending);
	show_v2(&d);
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
