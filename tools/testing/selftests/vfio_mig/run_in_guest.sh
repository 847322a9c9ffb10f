#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the vfio_mig kselftests inside a test guest and print TAP.
#
#   tools/testing/vm/vm-run --kernel 6.1 -- \
#       tools/testing/selftests/vfio_mig/run_in_guest.sh [TEST...]
#
# Loads vfio_iommu_type1, mdev and, from build/kmod/$(uname -r)/, vfio_mig.ko
# and mdma.ko, runs each test binary (all of them by default), then unloads
# mdma and vfio_mig: those rmmods must succeed, which shows no test left a
# reference behind. Exits non-zero if a step or a test failed.
#
# On a kernel with kmemleak (the debug kernels of scripts/debug-kernel/),
# a kmemleak scan follows the tests, before the rmmods while the modules'
# symbols still resolve: a leak whose backtrace runs through vfio_mig or
# mdma, or through code freed since (init functions, printed as a bare
# address), fails the run; others are listed as notes. A second scan follows
# the rmmods and catches what the modules' exit paths left behind: there
# a frame that no longer resolves to a symbol was in an unloaded module,
# that is in vfio_mig or mdma, and fails the run. Elsewhere both steps are
# skipped.
#
# It loads kernel modules, so it refuses to run outside a vm-run guest
# unless VFIO_MIG_IN_GUEST=1 says the machine is a disposable one.
#
# Environment: KMOD_DIR (where the modules are, default
# build/kmod/$(uname -r)), VFIO_MIG_TESTS (directory of the test binaries,
# default build/tools/testing/selftests/vfio_mig).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../../.." && pwd)
# The refusal outside a guest, the TAP functions, guest_load_modules.
# shellcheck source=SCRIPTDIR/../../lib/guest-tap.sh
. "$top/tools/testing/lib/guest-tap.sh"
rel=$(uname -r)
bindir=${VFIO_MIG_TESTS:-$top/build/tools/testing/selftests/vfio_mig}
if [ $# -eq 0 ]; then
	set -- mdma_regions mdma_dma mdma_lifecycle mdma_hardening stress fail_nth \
		mig_v1_region mig_v1_state mig_v1_save mig_v1_stream \
		mig_v2_state mig_v2_save mig_v2_stream mig_save mig_channels \
		mdma_workload mdma_dma_log
fi

# Failures that are no test of their own (an instance left behind).
failed=0

# The steps: loading, each test binary, kmemleak, two rmmods, kmemleak.
tap_header
tap_plan $(($# + 5))

echo "# kernel $rel, module $kmod/samples/vfio-mdev/mdma.ko"
if guest_load_modules; then
	ok "load modules"
else
	not_ok "load modules"
	tap_bail "modules could not be loaded"
	exit 1
fi

for t in "$@"; do
	if [ ! -x "$bindir/$t" ]; then
		echo "# $bindir/$t not built (make tools)"
		not_ok "selftests: vfio_mig: $t" "not built"
		continue
	fi
	echo "# selftests: vfio_mig: $t"
	start=$(date +%s)
	# Marks in the kernel log: vm-run forgives the reports of injected
	# allocation failures between those of fail_nth only.
	echo "vfio_mig selftest: begin $t" >/dev/kmsg
	(cd "$bindir" && "./$t") 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "vfio_mig selftest: end $t" >/dev/kmsg
	echo "# $t: exit $rc after $(($(date +%s) - start)) s"
	result "$rc" "selftests: vfio_mig: $t"
done

# Instances a failed test may have left behind would hold the module.
for d in /sys/bus/mdev/devices/*; do
	[ -e "$d/remove" ] || continue
	case $(readlink -f "$d/mdev_type") in
	*/mdma-*)
		echo "# instance $(basename "$d") left behind; removing it"
		echo 1 >"$d/remove"
		failed=$((failed + 1))
		;;
	esac
done

# kmemleak_scan NAME OURS WHOSE: two kmemleak scans (it reports an object
# once two scans found it unreferenced and it is older than 5 s); a
# suspect whose backtrace matches the awk regex OURS fails step NAME as
# WHOSE, the others are listed as notes. What it reported is then cleared,
# so the next scan reports only what is new.
kmemleak_scan()
{
	local name=$1 re=$2 whose=$3 km=/sys/kernel/debug/kmemleak report ours

	if [ ! -e "$km" ]; then
		skip "$name" "kernel without kmemleak"
		return
	fi
	sleep 5
	if ! { echo scan >"$km" && echo scan >"$km"; }; then
		not_ok "$name" "scan failed"
		return
	fi
	report=$(cat "$km")
	# One block per object, each starting with "unreferenced object".
	ours=$(awk -v re="$re" '
		function flush() { if (b ~ re) printf "%s", b; b = "" }
		/^unreferenced object/ { flush() }
		{ b = b $0 "\n" }
		END { flush() }' <<<"$report")
	echo "# $name: $(grep -c '^unreferenced object' <<<"$report") suspects in all"
	if [ -n "$ours" ]; then
		printf '%s\n' "$ours" | sed 's/^/# /'
		not_ok "$name" "$whose"
		return
	fi
	[ -z "$report" ] ||
		grep -Ev '^  hex dump|^    [0-9a-f][0-9a-f] ' <<<"$report" |
			head -n 60 | sed 's/^/#   /'
	echo clear >"$km"
	ok "$name"
}

# A frame in vfio_mig or mdma, and a frame that is a bare address: it is
# "    0xffffffffc0123456" on 6.12, "    [<...>] 0xffffffffc0123456" on
# 6.1 (awk regexes, their escapes read by awk -v).
ours_re='\\[(vfio_mig|mdma)\\]'
bare_re='\n *(\\[<[0-9a-f]+>\\] *)?0x[0-9a-f]+\n'

# Before the rmmods, while the modules' symbols resolve. A frame printed
# as a bare address is in code freed since (a module's init functions),
# which no symbol can attribute: it counts as ours too.
kmemleak_scan kmemleak "$ours_re|$bare_re" \
	"leaks from vfio_mig or mdma, or from code no longer there"

for m in mdma vfio_mig; do
	if rmmod "$m"; then
		ok "rmmod $m"
	else
		not_ok "rmmod $m" "module still in use"
	fi
done

# After them: kmemleak prints a frame whose module is gone as a bare
# address, and vfio_mig and mdma are the only modules unloaded here.
kmemleak_scan "kmemleak after unload" "$bare_re" \
	"left behind by an unloaded module"

# No "# Totals:" line: scripts/check.sh counts the tests by the totals
# of the test binaries, nested above; these steps' would count them twice.
rm -rf "$work"
# shellcheck disable=SC2154 # tap.sh's, through guest-tap.sh
failed=$((failed + tap_fail))
echo "# $failed failed"
[ "$failed" -eq 0 ]
