#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The QEMU migration lanes, from the host:
#
#   tools/testing/qemu/run.sh [--qemu10] [KERNEL] [SCENARIO...]
#
# boots a guest of KERNEL (6.1 by default) with tools/testing/vm/vm-run and
# runs qemu_migrate.py there, which prints TAP and a "# Totals:" line. The
# modules come from build/kmod/<release>/ (make KVER=... MDMA_WORKLOAD=y
# modules: the scenarios use mdma's test workload).
#
# By default the client is the system's QEMU 7.2 (protocol v1). --qemu10
# runs the same scenarios with QEMU 10 (protocol v2) from bookworm-backports,
# unpacked into the cache by scripts/qemu10.sh (make deps).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$top/tools/testing/lib/tap.sh"
client=()
if [ "${1:-}" = --qemu10 ]; then
	shift
	err=$(mktemp)
	if ! bin=$("$top/scripts/qemu10.sh" 2>"$err") ||
	   ! dir=$("$top/scripts/qemu10.sh" --dir 2>>"$err"); then
		tap_skip_all "QEMU 10 unavailable: $(tail -n 1 "$err")"
		rm -f "$err"
		exit 0
	fi
	rm -f "$err"
	client=(env "QEMU=$bin" QEMU_PROTOCOL=v2
		"QEMU_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios")
fi
kernel=${1:-6.1}
[ $# -eq 0 ] || shift
exec "$here/../vm/vm-run" --kernel "$kernel" --mem 2048 --timeout 300 -- \
	"${client[@]}" "$here/qemu_migrate.py" "$@"
