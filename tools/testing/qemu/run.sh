#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU migration lanes, from the host:
#
#   tools/testing/qemu/run.sh [--qemu10 [--auto] [--iommufd] | --upgrade]
#                             [KERNEL] [SCENARIO...]
#
# boots a guest of KERNEL (6.1 by default; debug-6.12 for the 6.12 debug
# kernel) with tools/testing/vm/vm-run and runs qemu_migrate.py there,
# which prints TAP and a "# Totals:" line. The modules come from
# build/kmod/<release>/ (make KVER=... MDMA_WORKLOAD=y modules: the
# scenarios use mdma's test workload; scripts/debug-kernel/run.sh builds
# them for a debug kernel).
#
# By default the client is the system's QEMU 7.2 (protocol v1). --qemu10
# runs the same scenarios with QEMU 10 (protocol v2) from bookworm-backports,
# unpacked into the cache by scripts/qemu10.sh (make deps). With --auto the
# devices get no migration option (QEMU's default, enable-migration=auto,
# which needs device DMA logging for an mdev) and each migration must have
# used it; --iommufd attaches them through iommufd instead of a type1
# container. --upgrade keeps QEMU 7.2 as the client and adds the scenario
# "upgrade": a VM migrated from QEMU 7.2 into QEMU 10.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$top/tools/testing/lib/tap.sh"
# qemu10: set bin and dir to QEMU 10's binary and tree, or skip the lane.
qemu10()
{
	local err

	err=$(mktemp)
	if ! bin=$("$top/scripts/qemu10.sh" 2>"$err") ||
	   ! dir=$("$top/scripts/qemu10.sh" --dir 2>>"$err"); then
		tap_skip_all "QEMU 10 unavailable: $(tail -n 1 "$err")"
		rm -f "$err"
		exit 0
	fi
	rm -f "$err"
}

client=()
if [ "${1:-}" = --upgrade ]; then
	shift
	qemu10
	client=(env "QEMU_UPGRADE=$bin"
		"QEMU_UPGRADE_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios")
elif [ "${1:-}" = --qemu10 ]; then
	shift
	qemu10
	client=(env "QEMU=$bin" QEMU_PROTOCOL=v2
		"QEMU_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios")
	while [ $# -gt 0 ]; do
		case $1 in
		--auto) client+=(QEMU_MIGRATION=auto QEMU_DIRTY_TRACKER=device) ;;
		--iommufd) client+=(QEMU_IOMMUFD=1) ;;
		*) break ;;
		esac
		shift
	done
fi
kernel=${1:-6.1}
[ $# -eq 0 ] || shift
case $kernel in
debug-*)
	KEEP=${KEEP:-$top/build/check/qemu-$kernel-guest} TIMEOUT=${TIMEOUT:-1500} \
		exec "$top/scripts/debug-kernel/run.sh" "${kernel#debug-}" \
		"${client[@]}" "$here/qemu_migrate.py" "$@"
	;;
esac
exec "$here/../vm/vm-run" --kernel "$kernel" --mem 2048 --timeout 300 -- \
	"${client[@]}" "$here/qemu_migrate.py" "$@"
