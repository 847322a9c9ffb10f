#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compare data window sizes: run "vfio-migrate bench" once per vfio_mig
# window_kb, reloading vfio_mig and mdma in between, and print one table.
# window_kb is fixed while vfio_mig is loaded, hence the reloads.
#
# Run it INSIDE a test guest, never on a machine whose modules matter:
#
#   tools/testing/vm/vm-run --kernel 6.12 -- tools/vfio-migrate/bench-windows.sh
#
# Options:
#   --windows LIST   window_kb values (default 256,1024,4096)
#   --types LIST     mdma types (default mdma-16m,mdma-64m)
#   --reps N         runs per measurement (default 3)
#   --csv FILE       also append the figures to FILE (vfio-migrate bench --csv)
#   --label TEXT     the CSV's setup column (vfio-migrate bench --label)
#
# Environment: KMOD_DIR (the modules, default build/kmod/$(uname -r)),
# VFIO_MIGRATE (the command, default build/tools/vfio-migrate/vfio-migrate).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../testing/lib/guest-modules.sh
. "$top/tools/testing/lib/guest-modules.sh"
rel=$(uname -r)
kmod=$guest_kmod
cmd=${VFIO_MIGRATE:-$top/build/tools/vfio-migrate/vfio-migrate}
windows=256,1024,4096
types=mdma-16m,mdma-64m
reps=3
extra=()

usage()
{
	sed -n '3,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--windows) windows=${2:?--windows needs a list}; shift 2 ;;
	--types) types=${2:?--types needs a list}; shift 2 ;;
	--reps) reps=${2:?--reps needs a number}; shift 2 ;;
	--csv) extra+=(--csv "${2:?--csv needs a file}"); shift 2 ;;
	--label) extra+=(--label "${2:?--label needs a text}"); shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench-windows.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done

guest_only
for f in "$kmod/drivers/vfio/mig/vfio_mig.ko" "$kmod/samples/vfio-mdev/mdma.ko" "$cmd"; do
	[ -e "$f" ] || { echo "bench-windows.sh: $f not built (make KVER=... modules; make tools)" >&2; exit 1; }
done
for d in /sys/bus/mdev/devices/*; do
	[ -e "$d" ] || continue
	echo "bench-windows.sh: mdev instances exist; remove them first (the modules are reloaded)" >&2
	exit 1
done

unload()
{
	if grep -q '^mdma ' /proc/modules; then rmmod mdma || return 1; fi
	if grep -q '^vfio_mig ' /proc/modules; then rmmod vfio_mig || return 1; fi
	return 0
}

rc=0
first=1
echo "# kernel $rel"
for kb in ${windows//,/ }; do
	unload || { echo "bench-windows.sh: cannot unload the modules" >&2; exit 1; }
	if ! guest_load_modules "window_kb=$kb"; then
		echo "bench-windows.sh: loading vfio_mig window_kb=$kb and mdma failed" >&2
		rc=1
		continue
	fi
	if [ "$first" -eq 1 ]; then
		"$cmd" bench --types "$types" --windows "$kb" --reps "$reps" \
			"${extra[@]}" || rc=1
		first=0
	else
		"$cmd" bench --types "$types" --windows "$kb" --reps "$reps" \
			--no-header "${extra[@]}" || rc=1
	fi
done
unload
exit $rc
