#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Line and branch coverage of drivers/vfio/mig/ and samples/vfio-mdev/
# reached by the suite, measured with gcov in guests of the 6.12 debug
# kernel (CONFIG_GCOV_KERNEL; only our two modules are profiled).
#
#   scripts/coverage.sh [LANE...]     (make coverage)
#
# LANE is one of: kselftests vfio-migrate oob fuzz-seeds qemu-v1 qemu-v2
# (all of them by default), or fuzz-corpus: each input of the corpus
# that earlier fuzzing runs kept in build/fuzz/corpus, run once. Each lane
# boots its own guest with the modules built by make COVERAGE=y
# KVER=debug-6.12 and copies their gcov data out; lcov then adds the
# lanes up. Writes build/coverage/: <lane>.info and
# <lane>.log per lane, coverage.info for all, html/index.html (genhtml),
# and prints a table of each file's line and branch coverage. A lane that
# fails still counts what it reached, and makes the exit status 1.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=$top/build/coverage
all=(kselftests vfio-migrate oob fuzz-seeds qemu-v1 qemu-v2)
case ${1:-} in
-h | --help)
	sed -n '3,19s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
lanes=("$@")
[ ${#lanes[@]} -ne 0 ] || lanes=("${all[@]}")
for l in "${lanes[@]}"; do
	[[ " ${all[*]} fuzz-corpus " == *" $l "* ]] ||
		{ echo "coverage: no lane '$l' (lanes: ${all[*]} fuzz-corpus)" >&2; exit 2; }
done
corpus=$top/build/fuzz/corpus
if [[ " ${lanes[*]} " == *" fuzz-corpus "* ]] && [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
	echo "coverage: $corpus is empty: fuzz first (make fuzz FUZZ_TIME=...)" >&2
	exit 2
fi

scripts/install-deps.sh >/dev/null || exit 1
make -s tools >/dev/null || { echo "coverage: make tools failed" >&2; exit 1; }
kdir=$(scripts/debug-kernel/build.sh 6.12) || exit 1
rel=$(cat "$kdir/kernel.release")
make -s KVER=debug-6.12 MDMA_WORKLOAD=y COVERAGE=y modules >/dev/null ||
	{ echo "coverage: the modules did not build with COVERAGE=y" >&2; exit 1; }
kout=$top/build/kmod/$rel-gcov
rm -rf "$out"
mkdir -p "$out"
lcov_opts=(--quiet --rc lcov_branch_coverage=1)

# lane NAME SECONDS COMMAND...: run COMMAND in a debug guest of its own,
# then turn the gcov data it left into NAME.info.
status=0
lane()
{
	local name=$1 secs=$2 keep=$out/guest-$1 rc=0
	shift 2
	printf '%-14s ' "$name"
	KEEP=$keep TIMEOUT=$secs scripts/debug-kernel/run.sh 6.12 env KMOD_DIR="$kout" \
		tools/testing/coverage/gcov-in-guest.sh "$@" >"$out/$name.log" 2>&1 || rc=$?
	find "$kout" -name '*.gcda' -delete
	if [ -d "$keep/gcov" ]; then
		(cd "$keep/gcov" && find . -name '*.gcda' -exec cp --parents {} "$kout/" \;)
		lcov "${lcov_opts[@]}" --capture --directory "$kout" \
			--output-file "$out/$name.raw" >>"$out/$name.log" 2>&1 &&
		lcov "${lcov_opts[@]}" --extract "$out/$name.raw" \
			'*/drivers/vfio/mig/*' '*/samples/vfio-mdev/*' \
			--output-file "$out/$name.info" >>"$out/$name.log" 2>&1
		rm -f "$out/$name.raw"
	fi
	if [ "$rc" -ne 0 ] || [ ! -s "$out/$name.info" ]; then
		echo "FAILED (exit $rc; $out/$name.log)"
		status=1
	else
		echo "ok"
	fi
}

qemu10=()
for l in "${lanes[@]}"; do
	case $l in
	kselftests) lane "$l" 3600 tools/testing/selftests/vfio_mig/run_in_guest.sh ;;
	vfio-migrate) lane "$l" 1200 tools/vfio-migrate/test-protocols.sh ;;
	oob) lane "$l" 1200 tools/vfio-mig-agent/test-oob.sh ;;
	fuzz-seeds)
		lane "$l" 1200 env VFIO_MIG_TESTS="$top/build/tools/testing/fuzz" \
			FUZZ_TIME=0 FUZZ_RACE_TIME=0 \
			tools/testing/selftests/vfio_mig/run_in_guest.sh fuzz
		;;
	fuzz-corpus)
		lane "$l" 3600 env VFIO_MIG_TESTS="$top/build/tools/testing/fuzz" \
			FUZZ_TIME=0 FUZZ_RACE_TIME=0 FUZZ_CORPUS="$corpus" \
			tools/testing/selftests/vfio_mig/run_in_guest.sh fuzz
		;;
	qemu-v1) lane "$l" 1800 tools/testing/qemu/qemu_migrate.py ;;
	qemu-v2)
		if bin=$(scripts/qemu10.sh 2>/dev/null) && dir=$(scripts/qemu10.sh --dir 2>/dev/null); then
			qemu10=(env "QEMU=$bin" QEMU_PROTOCOL=v2
				"QEMU_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios")
			lane "$l" 1800 "${qemu10[@]}" tools/testing/qemu/qemu_migrate.py
		else
			echo "qemu-v2        FAILED (QEMU 10 unavailable: make deps)"
			status=1
		fi
		;;
	esac
done

infos=()
for f in "$out"/*.info; do
	[ -s "$f" ] && infos+=(--add-tracefile "$f")
done
if [ ${#infos[@]} -eq 0 ]; then
	echo "coverage: no lane produced data" >&2
	exit 1
fi
lcov "${lcov_opts[@]}" "${infos[@]}" --output-file "$out/coverage.info" ||
	exit 1
genhtml --quiet --branch-coverage --legend --title "vfio-mig" \
	--output-directory "$out/html" "$out/coverage.info" >"$out/genhtml.log" 2>&1 ||
	{ echo "coverage: genhtml failed, see $out/genhtml.log" >&2; status=1; }

# The table: lines and branches hit per file, from the tracefile itself.
awk -v kout="$kout/" -v top="$top/" '
	/^SF:/ {
		f = substr($0, 4)
		if (index(f, kout) == 1) f = substr(f, length(kout) + 1)
		if (index(f, top) == 1) f = substr(f, length(top) + 1)
	}
	/^LH:/ { lh = substr($0, 4) } /^LF:/ { lf = substr($0, 4) }
	/^BRH:/ { bh = substr($0, 5) } /^BRF:/ { bf = substr($0, 5) }
	/^end_of_record/ {
		printf "%-40s %5d/%-5d %6.1f%%   %5d/%-5d %6.1f%%\n", f, lh, lf,
			lf ? 100 * lh / lf : 0, bh, bf, bf ? 100 * bh / bf : 0
		tlh += lh; tlf += lf; tbh += bh; tbf += bf; bh = bf = 0
	}
	END {
		printf "%-40s %5d/%-5d %6.1f%%   %5d/%-5d %6.1f%%\n", "total",
			tlh, tlf, tlf ? 100 * tlh / tlf : 0, tbh, tbf,
			tbf ? 100 * tbh / tbf : 0
	}' "$out/coverage.info" | sort -k1,1 |
	{ printf '%-40s %-11s %7s   %-11s %7s\n' file lines '' branches ''; cat; } |
	tee "$out/table.txt"
echo "coverage: report in $out/html/index.html"
exit "$status"
