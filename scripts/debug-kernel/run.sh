#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug lane: run the kselftests (or COMMAND) in a guest of a debug
# kernel, with KASAN, lockdep, kmemleak, UBSAN and fault injection.
#
#   scripts/debug-kernel/run.sh [6.1|6.12] [COMMAND [ARGS...]]
#
# VERSION picks the debug kernel's base, Debian's linux-source-6.1 or
# linux-source-6.12 (default 6.12). Builds the kernel (once, see build.sh)
# and the modules against it, then boots it with tools/testing/vm/vm-run.
# The default command is the whole suite,
# tools/testing/selftests/vfio_mig/run_in_guest.sh, which ends with a
# kmemleak scan. The guest's files (output, dmesg, console.log) are kept
# in build/check/debug-<version>-guest/ (or KEEP). Exit status: vm-run's.
#
# Environment: TIMEOUT (seconds for the whole guest run, default 2400),
# MEM (guest MiB, default 2048: KASAN's shadow takes an eighth),
# STRESS_SECONDS (passed to the stress test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"

ver=6.12
case ${1:-} in
6.1 | 6.12)
	ver=$1
	shift
	;;
esac
kdir=$("$here/build.sh" "$ver")
rel=$(cat "$kdir/kernel.release")
make -s -C "$top" KVER="debug-$ver" MDMA_WORKLOAD=y modules >/dev/null
[ -f "$top/build/tools/testing/selftests/vfio_mig/fail_nth" ] ||
	make -s -C "$top" tools >/dev/null

if [ $# -eq 0 ]; then
	set -- tools/testing/selftests/vfio_mig/run_in_guest.sh
fi
keep=${KEEP:-$top/build/check/debug-$ver-guest}
rm -rf "$keep"
echo "# debug kernel $rel ($ver) from $kdir"
# The suite judges kmemleak's report itself (run_in_guest.sh) and fail_nth
# makes the kernel report failed allocations. Under TCG with KASAN a busy
# host can starve a vCPU past RCU's default 21 s stall timeout. The ACPI
# interpreter runs so slowly there that evaluating the PCI routing table
# (_PRT) hits its 30 s loop limit once per PCI device, a minute of every
# boot; pci=noacpi skips it (virtio uses MSI-X, mdma has no real INTx).
VM_RUN_KMEMLEAK=judged VM_RUN_FAULT_INJECTION=1 exec tools/testing/vm/vm-run \
	--kernel "$kdir/$(cat "$kdir/boot-image")" --modules-dir "$kdir/modules/lib/modules/$rel" \
	--append "rcupdate.rcu_cpu_stall_timeout=120 pci=noacpi" \
	--timeout "${TIMEOUT:-2400}" --mem "${MEM:-2048}" --keep "$keep" -- \
	env STRESS_SECONDS="${STRESS_SECONDS:-20}" "$@"
