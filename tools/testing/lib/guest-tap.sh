# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP output and mdma setup for the shell tests that run in a vm-run guest
# (they load modules). Source it after setting $top, the top of the tree:
# it refuses, with exit status 2, to go on outside a vm-run guest, brings
# the TAP functions of tap.sh (ok, not_ok, skip, result, tap_end, ...) and
# guest_load_modules of guest-modules.sh, and sets $kmod (KMOD_DIR, default
# build/kmod/$(uname -r)), $types and $work (a fresh temporary directory).

# shellcheck source=SCRIPTDIR/guest-modules.sh
. "$(dirname "${BASH_SOURCE[0]}")/guest-modules.sh"
guest_only
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# shellcheck disable=SC2034 # for the scripts that source this
kmod=$guest_kmod
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

# tap_unload UUID...: remove the instances, then report as one test that
# mdma and vfio_mig unload (a reference left behind keeps one in use).
tap_unload()
{
	local u name="rmmod mdma and vfio_mig (no reference left behind)"

	for u in "$@"; do
		echo 1 >"/sys/bus/mdev/devices/$u/remove"
	done
	if rmmod mdma && rmmod vfio_mig; then
		ok "$name"
	else
		not_ok "$name" "a module is still in use"
	fi
}

# Start the TAP output and load vfio_mig and mdma (bails out and exits if
# they fail). tap_end (tap.sh) ends it with the plan and the totals.
tap_start()
{
	tap_header
	if ! guest_load_modules; then
		tap_bail "modules could not be loaded"
		exit 1
	fi
	echo "# kernel $(uname -r)"
}
