// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate: migrate an mdma instance through the VFIO migration
 * region (protocol v1) or VFIO_DEVICE_FEATURE and its data fd (protocol
 * v2), as a VMM does, and report what happened.
 */
#include <stdio.h>
#include <string.h>

#include "vfio-migrate.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} cmds[] = {
	{ "info", cmd_info, "show an instance's regions and migration state" },
	{ "save", cmd_save, "stop-and-copy an instance's state into a file" },
	{ "load", cmd_load, "resume an instance from a saved-state file" },
	{ "live", cmd_live, "live-migrate a running instance and its RAM" },
	{ "bench", cmd_bench, "measure save throughput: v1 window and v2 data fd" },
};

static void main_usage(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"usage: vfio-migrate COMMAND [ARGS...]\n"
		"\n"
		"Migrate mdma instances (mediated devices of mdma.ko) with the VFIO\n"
		"migration protocols vfio_mig.ko serves: v1, the migration region\n"
		"(QEMU <= 7.2), and v2, VFIO_DEVICE_FEATURE with a data fd (QEMU >= 8;\n"
		"--protocol v2).\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < VM_ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-6s  %s\n", cmds[i].name, cmds[i].what);
	fprintf(f,
		"\n"
		"\"vfio-migrate COMMAND --help\" describes a command. Every command\n"
		"needs root, /dev/vfio/vfio (modprobe vfio_iommu_type1) and the\n"
		"vfio_mig and mdma modules.\n");
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	if (vm_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return 0;
	}
	for (i = 0; i < VM_ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	vm_err("unknown command \"%s\"; try vfio-migrate --help", argv[1]);
	return 2;
}
