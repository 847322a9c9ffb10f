# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP output and mdma setup for the shell tests that run in a vm-run guest
# (they load modules). Source it after setting $top, the top of the tree:
# it refuses, with exit status 2, to go on outside a vm-run guest, brings
# the TAP functions of tap.sh (ok, not_ok, skip, result, tap_end, ...) and
# sets $kmod (KMOD_DIR, default build/kmod/$(uname -r)), $types and $work
# (a fresh temporary directory).

if [ -z "${VM_RUN_RESULTS:-}" ] && [ "${VFIO_MIG_IN_GUEST:-}" != 1 ]; then
	echo "${0##*/}: not in a vm-run guest; refusing to load modules" >&2
	echo "(run it through tools/testing/vm/vm-run)" >&2
	exit 2
fi

# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

kmod=${KMOD_DIR:-$top/build/kmod/$(uname -r)}
types=/sys/class/mdma/mdma/mdev_supported_types
work=$(mktemp -d)

# run NAME CMD...: run it, keep its output in $work/NAME.out and show it.
run()
{
	local name=$1 rc
	shift
	"$@" >"$work/$name.out" 2>&1
	rc=$?
	sed 's/^/# /' "$work/$name.out"
	return $rc
}

# create TYPE: create an mdma instance of TYPE and print its UUID.
create()
{
	local u
	u=$(cat /proc/sys/kernel/random/uuid)
	echo "$u" >"$types/$1/create" || return 1
	echo "$u"
}

# Start the TAP output and load vfio_mig and mdma (bails out and exits if
# they fail). tap_end (tap.sh) ends it with the plan and the totals.
tap_start()
{
	tap_header
	if ! { modprobe vfio_iommu_type1 && modprobe mdev &&
	       insmod "$kmod/drivers/vfio/mig/vfio_mig.ko" &&
	       insmod "$kmod/samples/vfio-mdev/mdma.ko"; }; then
		tap_bail "modules could not be loaded"
		exit 1
	fi
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	echo "# kernel $(uname -r)"
}
