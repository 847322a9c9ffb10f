#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The anchor comparison: QEMU 10 (protocol v2) migrating upstream's mtty
# sample and mdma in a 6.12 guest, with the figures QEMU reports
# (query-migrate: total time, downtime, device bytes). A measurement, not
# a test: it prints what happened, success or not.
#
#   tools/testing/qemu/mtty-bench.sh [--iommufd] [KERNEL] [REPS]
#
# mtty is not shipped by Debian; build-mtty.sh builds it from the
# linux-source tarball into the cache. mdma comes from build/kmod/<release>/
# (make KVER=6.12 MDMA_WORKLOAD=y modules: the busy case uses its test
# workload); QEMU 10 from scripts/qemu10.sh. KERNEL debug-6.12 is the 6.12
# debug kernel, which builds mtty itself and has DMA logging and iommufd;
# --iommufd attaches the devices through iommufd there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
iommufd=0
if [ "${1:-}" = --iommufd ]; then
	iommufd=1
	shift
fi
kernel=${1:-6.12}
reps=${2:-3}

bin=$("$top/scripts/qemu10.sh")
dir=$("$top/scripts/qemu10.sh" --dir)
env=(env "QEMU=$bin" QEMU_PROTOCOL=v2 "QEMU_IOMMUFD=$iommufd"
     "QEMU_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios"
     "BENCH_REPS=$reps")
case $kernel in
debug-*)
	kdir=$("$top/scripts/debug-kernel/build.sh" "${kernel#debug-}")
	rel=$(cat "$kdir/kernel.release")
	ko=$kdir/modules/lib/modules/$rel/kernel/samples/vfio-mdev/mtty.ko
	KEEP=${KEEP:-$top/build/check/mtty-bench-guest} TIMEOUT=1200 \
		exec "$top/scripts/debug-kernel/run.sh" "${kernel#debug-}" \
		"${env[@]}" "MTTY_KO=$ko" python3 "$here/mtty_bench.py"
	;;
esac

rel=$("$top/scripts/kernel-release.sh" "$kernel")
ko=$("$here/build-mtty.sh" "$rel")

exec "$top/tools/testing/vm/vm-run" --kernel "$rel" --mem 2048 --timeout 600 -- \
	"${env[@]}" "MTTY_KO=$ko" python3 "$here/mtty_bench.py"
