#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: live-migrate a busy mdma instance in a throw-away guest.
#
# On the host: install the dependencies, build the modules for the guest's
# kernel and vfio-migrate, then boot a guest (tools/testing/vm/vm-run) that
# runs this script again with --in-guest. In the guest: load the modules,
# create two mdma-64m instances, show what a VMM sees of one, and migrate
# it live to the other while a workload keeps it busy.
#
# DEMO_KERNEL=6.1 boots Debian's 6.1 instead of 6.12. DEMO=qemu shows a
# real VMM instead: QEMU 7.2 live-migrates a VM with mdma devices
# (tools/testing/qemu/). Nothing is loaded into the machine's own kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kernel=${DEMO_KERNEL:-6.12}
cmd=$top/build/tools/vfio-migrate/vfio-migrate

banner()
{
	printf '\n==> %s\n' "$*"
}

in_guest()
{
	local rel a b rc m

	rel=$(uname -r)
	banner "Guest up: Linux $rel; loading vfio_iommu_type1, mdev, vfio_mig and mdma"
	# shellcheck source=SCRIPTDIR/../tools/testing/lib/guest-modules.sh
	. "$top/tools/testing/lib/guest-modules.sh"
	guest_load_modules
	echo "vfio_mig window_kb=$(cat /sys/module/vfio_mig/parameters/window_kb)"

	a=$(cat /proc/sys/kernel/random/uuid)
	b=$(cat /proc/sys/kernel/random/uuid)
	banner "Creating two mdma-64m instances (64 MiB of device memory each)"
	for m in "$a" "$b"; do
		echo "$m" >/sys/class/mdma/mdma/mdev_supported_types/mdma-64m/create
		echo "  $m"
	done

	banner "What a VMM sees of the source: vfio-migrate info $a"
	"$cmd" info "$a"

	banner "Live migration, source $a -> destination $b"
	echo "A VMM in miniature: 64 MiB of guest RAM, DMA and CPU writes keep the"
	echo "source busy while its device memory and dirty RAM are pre-copied;"
	echo "then stop-and-copy, verify both sides stopped, resume the destination."
	echo
	rc=0
	"$cmd" live --from "$a" --to "$b" --workload mixed || rc=$?

	for m in "$a" "$b"; do
		echo 1 >"/sys/bus/mdev/devices/$m/remove"
	done
	rmmod mdma
	rmmod vfio_mig
	echo
	if [ "$rc" -eq 0 ]; then
		echo "Demo done on Linux $rel: the instance migrated live and the destination's state and RAM matched the source's."
	else
		echo "Demo FAILED on Linux $rel: vfio-migrate live exited with $rc (see above)."
	fi
	return "$rc"
}

if [ "${1:-}" = --in-guest ]; then
	in_guest
	exit
fi

banner "Dependencies (scripts/install-deps.sh)"
"$top/scripts/install-deps.sh"

banner "Building vfio_mig.ko and mdma.ko for Linux $kernel"
make -s KVER="$kernel" MDMA_WORKLOAD=y modules

if [ "${DEMO:-}" = qemu ]; then
	banner "QEMU 7.2 live-migrates VMs with mdma devices in a Linux $kernel guest (tools/testing/qemu/run.sh)"
	exec "$top/tools/testing/qemu/run.sh" "$kernel"
fi

banner "Building libvfio, libmdma and vfio-migrate"
make -s -C "$top/tools" O="$top/build/tools" vfio-migrate

banner "Booting a Linux $kernel guest under QEMU (TCG; this takes a few seconds)"
if "$top/tools/testing/vm/vm-run" --kernel "$kernel" --timeout 900 -- \
	"$top/scripts/demo.sh" --in-guest; then
	banner "make demo: passed (guest Linux $kernel powered off; nothing was loaded on this machine)"
else
	rc=$?
	banner "make demo: FAILED with status $rc"
	exit "$rc"
fi
