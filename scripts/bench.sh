#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the figures of the data paths and of QEMU's migrations, as
# tables, CSV and plots in build/bench/ (Documentation/dev-tools/bench.rst
# shows how to read them). A measurement, never a test: it fails only
# when a guest or a build does, not on any figure.
#
#   scripts/bench.sh [--quick] [--no-qemu] [--no-plots]
#
# 1. Throughput: in a guest of each Debian kernel (6.1, 6.12), and once
#    more with QEMU's -cpu max,erms=off (the kernel's string copies
#    without ERMS), tools/vfio-migrate/bench-windows.sh: a whole save and
#    load of mdma-16m and mdma-64m per path (v1 mapped, v1 trapped, v2
#    data fd) and window size (256, 1024, 4096 KiB) against memcpy, and
#    the cost of one 8-byte pread() of the trapped window against one of
#    /dev/zero. -> throughput.csv, throughput-*.txt
# 2. QEMU: in a 6.12 guest, tools/testing/qemu/qemu_bench.py with QEMU 7.2
#    (protocol v1) and QEMU 10 (protocol v2) at downtime-limit 30 ms: no
#    device, mtty (QEMU 10), mdma-16m and mdma-64m idle and at three
#    dirty rates. -> qemu.csv, qemu-*.txt
# 3. Plots (python3-matplotlib): throughput.png, small-access.png,
#    qemu-downtime.png, qemu-total.png.
#
# --quick: one window (1024 KiB), one run per figure, and two dirty rates,
# for a first look in a few minutes. --no-qemu, --no-plots: skip a part.
# It installs what it needs (scripts/install-deps.sh --bench); the
# modules and tools are built here.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
out=${BENCH_OUT:-$top/build/bench}
windows=256,1024,4096
reps=3
mem_hz=0,50,200,800
qemu=1
plots=1

while [ $# -gt 0 ]; do
	case $1 in
	--quick) windows=1024; reps=1; mem_hz=0,200; shift ;;
	--no-qemu) qemu=0; shift ;;
	--no-plots) plots=0; shift ;;
	-h|--help) sed -n '3,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done

fail() { echo "bench.sh: $*" >&2; exit 1; }

"$top/scripts/install-deps.sh" --bench
for k in 6.1 6.12; do
	make -s -C "$top" KVER="$k" MDMA_WORKLOAD=y modules >/dev/null ||
		fail "building the modules for $k failed (make KVER=$k MDMA_WORKLOAD=y modules)"
done
make -s -C "$top" tools >/dev/null || fail "building the tools failed (make tools)"

mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.txt "$out"/*.png
guest=$(mktemp -d)
trap 'rm -rf "$guest"' EXIT

# run_guest NAME VM-RUN-ARGS... -- COMMAND...: its output to NAME.txt,
# the CSV it wrote to $VM_RUN_RESULTS appended to ours.
run_guest()
{
	local name=$1 csv=$2 rc=0

	shift 2
	rm -rf "${guest:?}"/*
	echo "bench.sh: $name ..."
	"$top/tools/testing/vm/vm-run" --keep "$guest" "$@" >"$out/$name.txt" 2>&1 || rc=$?
	if [ -f "$guest/$csv" ]; then
		if [ -s "$out/$csv" ]; then
			tail -n +2 "$guest/$csv" >>"$out/$csv"
		else
			cp "$guest/$csv" "$out/$csv"
		fi
	fi
	[ "$rc" -eq 0 ] || fail "$name: the guest run failed (exit $rc); see $out/$name.txt"
	grep -v '^vm-run:' "$out/$name.txt" || true
}

for k in 6.1 6.12; do
	for cpu in max max,erms=off; do
		label="$k with ERMS"
		[ "$cpu" = max ] || label="$k without ERMS"
		run_guest "throughput-$k-${cpu//,/-}" throughput.csv \
			--kernel "$k" --cpu "$cpu" --mem 1024 --timeout 1800 -- \
			sh -c 'exec "$0" --windows "$1" --reps "$2" --csv "$VM_RUN_RESULTS/throughput.csv" --label "$3"' \
			"$top/tools/vfio-migrate/bench-windows.sh" "$windows" "$reps" "$label"
	done
done

if [ "$qemu" -eq 1 ]; then
	bin=$("$top/scripts/qemu10.sh")
	dir=$("$top/scripts/qemu10.sh" --dir)
	mtty=$("$top/tools/testing/qemu/build-mtty.sh" 6.12)
	benv=(env "BENCH_REPS=$reps" "BENCH_MEM_HZ=$mem_hz" BENCH_DOWNTIME_MS=30)
	run_guest qemu-7.2 qemu.csv --kernel 6.12 --mem 2048 --timeout 3000 -- \
		"${benv[@]}" python3 "$top/tools/testing/qemu/qemu_bench.py"
	run_guest qemu-10 qemu.csv --kernel 6.12 --mem 2048 --timeout 3000 -- \
		"${benv[@]}" "QEMU=$bin" QEMU_PROTOCOL=v2 "MTTY_KO=$mtty" \
		"QEMU_ARGS=-L $dir/usr/share/qemu -L $dir/usr/share/seabios" \
		python3 "$top/tools/testing/qemu/qemu_bench.py"
fi

if [ "$plots" -eq 1 ]; then
	/usr/bin/python3 "$here/bench-plot.py" "$out"
fi
echo "bench.sh: figures in $out"
