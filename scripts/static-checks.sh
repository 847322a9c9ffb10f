#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks that gate the tree:
#   static-checks.sh kbuild KVER   W=1 and sparse (C=2) build, no warnings;
#                                  exits 3 when the modules built with
#                                  warnings, 1 when they did not build.
#                                  Builds mdma without and then with its
#                                  test workload (MDMA_WORKLOAD=y), and
#                                  leaves the latter, which the guest
#                                  lanes load, in build/kmod/<release>/
#   static-checks.sh checkpatch    checkpatch.pl --strict on every C file
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

kbuild()
{
	local kver=$1 rel out log
	rel=$("$top/scripts/kernel-release.sh" "$kver")
	[ -n "$rel" ] || { echo "no kernel matches $kver; run 'make deps'"; return 1; }
	out=$top/build/kmod/$rel
	log=$(mktemp)
	mkdir -p "$top/build/kmod"
	# Builds of one tree wait for each other (see the Makefile).
	exec 9>"$top/build/kmod/$rel.lock"
	flock 9
	"$top/scripts/link-tree.sh" "$top" "$out"
	# C=2 runs sparse on every file, so start clean to check them all.
	make -s -C "/lib/modules/$rel/build" M="$out" clean >/dev/null
	# The default build, then the one the tests use: the flag changes
	# and the mdma objects are built again.
	for wl in n y; do
		if ! make -C "/lib/modules/$rel/build" M="$out" VFIO_MIG_TOP="$top" \
				MDMA_WORKLOAD=$wl W=1 C=2 modules >>"$log" 2>&1; then
			cat "$log"
			echo "kbuild $rel: build failed (MDMA_WORKLOAD=$wl)"
			rm -f "$log"
			return 1
		fi
	done
	if grep -E 'warning:|error:' "$log"; then
		echo "kbuild $rel: W=1/sparse warnings above"
		rm -f "$log"
		return 3
	fi
	rm -f "$log"
	echo "kbuild $rel: clean under W=1 and sparse, with and without MDMA_WORKLOAD"
}

checkpatch()
{
	local src cp files bad=0 f ignore
	src=$("$top/scripts/kernel-src.sh" 6.12)
	cp=$src/scripts/checkpatch.pl
	cd "$top"
	mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h')
	for f in "${files[@]}"; do
		ignore=()
		# A macro that adds kselftest fixture variants expands to
		# several declarations and names its fixture in each, which
		# checkpatch reads as statements and side effects.
		case $f in
		tools/testing/selftests/*)
			ignore=(--ignore MULTISTATEMENT_MACRO_USE_DO_WHILE,MACRO_ARG_REUSE)
			;;
		esac
		if ! "$cp" --strict --no-tree --quiet --no-summary "${ignore[@]}" -f "$f"; then
			bad=$((bad + 1))
		fi
	done
	if [ "$bad" -ne 0 ]; then
		echo "checkpatch: $bad of ${#files[@]} files have findings"
		return 1
	fi
	echo "checkpatch: ${#files[@]} files clean (--strict)"
}

case "${1:-}" in
kbuild) kbuild "${2:?usage: static-checks.sh kbuild KVER}" ;;
checkpatch) checkpatch ;;
*) echo "usage: static-checks.sh kbuild KVER | checkpatch" >&2; exit 2 ;;
esac
