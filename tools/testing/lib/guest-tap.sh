# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP output and mdma setup for the shell tests that run in a vm-run guest
# (they load modules). Source it after setting $top, the top of the tree:
# it sets $kmod (KMOD_DIR, default build/kmod/$(uname -r)), $types and
# $work (a fresh temporary directory), and refuses, with exit status 2,
# to go on outside a vm-run guest.

kmod=${KMOD_DIR:-$top/build/kmod/$(uname -r)}
types=/sys/class/mdma/mdma/mdev_supported_types
work=$(mktemp -d)
n=0
pass=0
fail=0

if [ -z "${VM_RUN_RESULTS:-}" ] && [ "${VFIO_MIG_IN_GUEST:-}" != 1 ]; then
	echo "${0##*/}: not in a vm-run guest; refusing to load modules" >&2
	exit 2
fi

ok()
{
	n=$((n + 1))
	pass=$((pass + 1))
	echo "ok $n $1"
}

not_ok()
{
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n $1 # $2"
}

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

# Start the TAP output and load vfio_mig and mdma (exits if they fail).
tap_start()
{
	echo "TAP version 13"
	modprobe vfio_iommu_type1 && modprobe mdev || exit 1
	insmod "$kmod/drivers/vfio/mig/vfio_mig.ko" || exit 1
	insmod "$kmod/samples/vfio-mdev/mdma.ko" || exit 1
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	echo "# kernel $(uname -r)"
}

# End the TAP output with the plan and the totals; fails if a test did.
tap_end()
{
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" -eq 0 ]
}
