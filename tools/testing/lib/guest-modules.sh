# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Loading vfio_mig and mdma in a test guest: every test, bench and demo
# that needs them loads them here. Source it and call guest_load_modules,
# or, from a program that is no shell script, run it:
#
#   bash tools/testing/lib/guest-modules.sh load [VFIO_MIG_PARAM...]
#
# The modules come from $KMOD_DIR, by default build/kmod/$(uname -r) of
# this tree ($guest_kmod). Nothing is loaded outside a vm-run guest
# (VM_RUN_RESULTS set) unless VFIO_MIG_IN_GUEST=1 says the machine is a
# disposable one.

guest_kmod=${KMOD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." &&
	pwd)/build/kmod/$(uname -r)}

# in_guest: true in a vm-run guest or on a machine declared disposable.
in_guest()
{
	[ -n "${VM_RUN_RESULTS:-}" ] || [ "${VFIO_MIG_IN_GUEST:-}" = 1 ]
}

# guest_only: exit with status 2, and say why, unless in_guest.
guest_only()
{
	in_guest && return 0
	echo "${0##*/}: not in a vm-run guest; refusing to load modules" >&2
	echo "(run it through tools/testing/vm/vm-run, or set VFIO_MIG_IN_GUEST=1" >&2
	echo "on a disposable machine)" >&2
	exit 2
}

# guest_load_modules [PARAM...]: modprobe vfio_iommu_type1 and mdev,
# insmod vfio_mig.ko with the module parameters PARAM (window_kb=N) and
# mdma.ko, each unless it is loaded already (vfio_mig with PARAMs must not
# be: they could not take effect), and mount debugfs if it is not. Says
# what failed in a "# " line, a TAP comment, and returns 1 (2 outside a
# guest, where it does nothing).
guest_load_modules()
{
	local mig_ko=$guest_kmod/drivers/vfio/mig/vfio_mig.ko
	local mdma_ko=$guest_kmod/samples/vfio-mdev/mdma.ko m

	if ! in_guest; then
		echo "# not in a vm-run guest: no module loaded"
		return 2
	fi
	for m in vfio_iommu_type1 mdev; do
		modprobe "$m" || { echo "# modprobe $m failed"; return 1; }
	done
	if grep -q '^vfio_mig ' /proc/modules; then
		if [ $# -ne 0 ]; then
			echo "# vfio_mig is loaded already, not with $*"
			return 1
		fi
	else
		[ -f "$mig_ko" ] || { echo "# $mig_ko not built (make KVER=... modules)"; return 1; }
		insmod "$mig_ko" "$@" || { echo "# insmod $mig_ko${*:+ $*} failed"; return 1; }
	fi
	if ! grep -q '^mdma ' /proc/modules; then
		[ -f "$mdma_ko" ] || { echo "# $mdma_ko not built (make KVER=... modules)"; return 1; }
		insmod "$mdma_ko" || { echo "# insmod $mdma_ko failed"; return 1; }
	fi
	mountpoint -q /sys/kernel/debug ||
		mount -t debugfs debugfs /sys/kernel/debug ||
		{ echo "# cannot mount debugfs"; return 1; }
	[ -d /sys/class/mdma/mdma ] || { echo "# no /sys/class/mdma/mdma"; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	load)
		shift
		guest_load_modules "$@"
		exit
		;;
	*)
		echo "usage: bash ${BASH_SOURCE[0]} load [VFIO_MIG_PARAM...]" >&2
		exit 2
		;;
	esac
fi
