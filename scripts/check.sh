#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: dependencies, static checks, documentation, host
# unit tests and the kselftests in guests of every supported kernel.
# Ends with one line "N passed, N failed[, N skipped]" that counts tests:
# a build or static check counts only when it fails (one failure), a lane
# whose build failed does not run (one failure), and each lane is held to
# the skips and the passes tools/testing/lane-expectations lists.
#
# KERNELS="6.1 6.12 debug-6.1 debug-6.12" picks the guest kernels (that
# is the default). debug-6.1 and debug-6.12 are the debug lanes: the
# kselftests on kernels built from Debian's 6.1 and 6.12 sources with
# KASAN, lockdep, kmemleak, UBSAN and fault injection (scripts/debug-kernel/;
# "debug" is debug-6.12). The first build of each takes about 15 minutes,
# later runs use the cache. A log per step is kept in build/check/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KERNELS=${KERNELS:-"6.1 6.12 debug-6.1 debug-6.12"}
plain=()
debug=()
for k in $KERNELS; do
	case $k in
	debug) debug+=(6.12) ;;
	debug-*) debug+=("${k#debug-}") ;;
	*) plain+=("$k") ;;
	esac
done
logdir=$top/build/check
mkdir -p "$logdir"
passed=0
failed=0
skipped=0
failures=()
t_start=$(date +%s)

# logged NAME COMMAND...: print NAME and run the command with its output
# in $logdir/NAME.log; sets the caller's log, rc and secs (its duration).
logged()
{
	local t0
	log=$logdir/$1.log
	printf '%-40s ' "$1"
	shift
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
}

# step NAME COMMAND...: a build or a static check. It is not a test, so
# it is not counted when it passes; when it fails, it counts as one
# failure. Returns the command's exit status.
step()
{
	local name=$1 log rc secs
	logged "$@"
	if [ "$rc" -eq 0 ]; then
		echo "ok ($secs s)"
		return 0
	fi
	echo "FAILED ($secs s), last lines of $log:"
	tail -n 40 "$log" | sed 's/^/    /'
	failed=$((failed + 1))
	failures+=("$name")
	return "$rc"
}

# not_run NAME WHY: a lane that cannot run because what it needs did not
# build; one failure.
not_run()
{
	printf '%-40s NOT RUN: %s\n' "$1" "$2"
	failed=$((failed + 1))
	failures+=("$1")
}

# expectations NAME LOG PASSED: hold a lane to tools/testing/lane-expectations.
# Prints one line per problem (a skip it does not list, fewer passes than
# it asks for) and, last, the number of problems.
expectations()
{
	awk -F ' *[|] *' -v lane="$1" -v passed="$3" '
		function glob(g) {
			gsub(/[][\\.^$+?(){}]/, "\\\\&", g)
			gsub(/\*/, ".*", g)
			return "^" g "$"
		}
		FNR == NR {
			if ($0 ~ /^[ \t]*(#|$)/)
				next
			if ($1 == "skip" && lane ~ glob($2))
				want[++n] = glob($3)
			else if ($1 == "pass" && lane ~ glob($2))
				need = $3 + 0
			next
		}
		/^# selftests: vfio_mig: / {
			bin = $0
			sub(/^# selftests: vfio_mig: /, "", bin)
		}
		/^(# )*ok [0-9]+ .* # SKIP/ || /^(# )*1\.\.0 # SKIP/ {
			t = $0
			nested = t ~ /^# /
			sub(/^(# )*/, "", t)
			if (t ~ /^1\.\.0/) {
				test = "(the whole lane)"
			} else {
				sub(/^ok [0-9]+ /, "", t)
				test = t
				sub(/ # SKIP.*/, "", test)
				if (nested && bin != "")
					test = bin "/" test
			}
			why = $0
			sub(/.* # SKIP */, "", why)
			for (i = 1; i <= n; i++)
				if (test ~ want[i])
					next
			printf "    unexpected skip: %s: %s\n", test, why
			bad++
		}
		END {
			if (passed < need) {
				printf "    %d passed, fewer than the %d expected\n", passed, need
				bad++
			}
			print bad + 0
		}' "$top/tools/testing/lane-expectations" "$2"
}

# tap_step NAME COMMAND...: a command that prints kselftest harness
# totals; each test counts on its own. A command that fails although no
# test failed (a build error, a kernel splat in a guest, a hang) counts as
# one failure more, and so does each skip the lane's expectations do not
# list and a shortfall of passes (tools/testing/lane-expectations).
tap_step()
{
	local name=$1 log rc secs p f s problems extra
	logged "$@"
	read -r p f s < <(awk '
		/# Totals: pass:/ {
			for (i = 1; i <= NF && $i != "Totals:"; i++)
				;
			for (i++; i <= NF; i++) {
				split($i, kv, ":")
				if (kv[1] == "pass" || kv[1] == "xfail") p += kv[2]
				else if (kv[1] == "skip") s += kv[2]
				else f += kv[2]
			}
		}
		END { print p + 0, f + 0, s + 0 }' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	problems=$(expectations "$name" "$log" "$p")
	extra=${problems##*$'\n'}
	[ "$problems" = "$extra" ] && problems= || problems=${problems%$'\n'*}
	f=$((f + extra))
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -eq 0 ]; then
		echo "$p passed, $s skipped as expected ($secs s)"
		return 0
	fi
	echo "$p passed, $f FAILED, $s skipped ($secs s; exit $rc)"
	[ -z "$problems" ] || echo "$problems"
	grep -E '^not ok' "$log" | sed 's/^/    /'
	echo "    last lines of $log:"
	tail -n 30 "$log" | sed 's/^/    /'
	failures+=("$name")
	return 1
}

step deps scripts/install-deps.sh || true
step kernel-source-6.1 scripts/kernel-src.sh 6.1 || true
step kernel-source-6.12 scripts/kernel-src.sh 6.12 || true
step checkpatch scripts/static-checks.sh checkpatch || true
# A lane runs only if what it needs built: the tools, and the modules of
# its kernel (built with warnings is built: kbuild exits 3 then). kbuild
# leaves them built with MDMA_WORKLOAD=y: the lanes use mdma's workload.
declare -A built
for k in "${plain[@]}"; do
	step "kbuild-w1-sparse-$k" scripts/static-checks.sh kbuild "$k"
	rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] && built[$k]=1
done
tools_built=0
step tools make -C tools O="$top/build/tools" && tools_built=1
step docs scripts/build-docs.sh || true
tap_step unit-tests tools/testing/unit/run.sh || true

# lane NAME KERNEL COMMAND...: a guest lane of KERNEL, if it can run.
lane()
{
	local name=$1 k=$2
	shift 2
	if [ "$tools_built" != 1 ]; then
		not_run "$name" "the tools did not build"
	elif [ -z "${built[$k]:-}" ]; then
		not_run "$name" "the modules for $k did not build"
	else
		tap_step "$name" "$@" || true
	fi
}

for k in "${plain[@]}"; do
	# The limit only catches a hung guest; the suite takes 3-5 minutes.
	lane "guest-$k" "$k" tools/testing/vm/vm-run --kernel "$k" \
		--timeout 1800 -- \
		tools/testing/selftests/vfio_mig/run_in_guest.sh
done

# vfio-migrate with protocol v1 and v2: save/load, live, bench.
for k in "${plain[@]}"; do
	lane "vfio-migrate-$k" "$k" tools/testing/vm/vm-run --kernel "$k" -- \
		tools/vfio-migrate/test-protocols.sh
done

# Out-of-band migration: mdma-16m-oob through vfio-mig-agent and its plugin.
for k in "${plain[@]}"; do
	lane "oob-$k" "$k" tools/testing/vm/vm-run --kernel "$k" -- \
		tools/vfio-mig-agent/test-oob.sh
done

# QEMU 7.2, the real protocol v1 client, live-migrates VMs with mdma.
for k in "${plain[@]}"; do
	lane "qemu-v1-$k" "$k" tools/testing/qemu/run.sh "$k"
done

# A busy VM moves from QEMU 7.2 (v1) into QEMU 10 (v2), pc-q35-7.2 on both
# sides: the way running VMs leave the old QEMU.
for k in "${plain[@]}"; do
	lane "qemu-upgrade-$k" "$k" tools/testing/qemu/run.sh --upgrade "$k" \
		upgrade
done

# QEMU 10, the real protocol v2 client (PRE_COPY needs 6.2+: 6.12 only).
if [[ " ${plain[*]} " == *" 6.12 "* ]]; then
	lane qemu-v2-6.12 6.12 tools/testing/qemu/run.sh --qemu10 6.12
fi

# The debug lanes, last: each kernel is built once per machine (cached).
for v in "${debug[@]}"; do
	if [ "$tools_built" != 1 ]; then
		not_run "guest-debug-$v" "the tools did not build"
	elif step "debug-kernel-$v" scripts/debug-kernel/build.sh "$v" &&
	   step "kbuild-debug-$v" make -C "$top" KVER="debug-$v" \
		MDMA_WORKLOAD=y modules; then
		# On 6.1 the tests whose kernel paths differ from 6.12's (the
		# device, its DMA and life cycle, the channels, saving); the
		# protocol tables run the same vfio_mig code debug-6.12 checks.
		if [ "$v" = 6.1 ]; then
			set -- tools/testing/selftests/vfio_mig/run_in_guest.sh \
				mdma_dma mdma_lifecycle mdma_hardening stress \
				fail_nth mig_v1_save mig_v2_save mig_save mig_channels \
				mdma_workload mdma_dma_log
		else
			set --
		fi
		tap_step "guest-debug-$v" scripts/debug-kernel/run.sh "$v" "$@" ||
			true
		awk '/# fail-nth .*points exercised/ { sub(/.*: /, ""); n += $1 }
			END { if (n) print "    fail-nth: " n " allocation failure points exercised" }' \
			"$logdir/guest-debug-$v.log"
	fi
done

# QEMU 10 with its defaults (enable-migration=auto) on the 6.12 debug
# kernel, the one with device DMA logging and iommufd: over the type1
# container and over iommufd, each migration tracked by DMA logging.
if [[ " ${debug[*]} " == *" 6.12 "* ]]; then
	for be in container iommufd; do
		args=(--qemu10 --auto)
		[ "$be" = container ] || args+=(--iommufd)
		if [ "$tools_built" != 1 ]; then
			not_run "qemu-v2-auto-$be-debug-6.12" "the tools did not build"
		else
			tap_step "qemu-v2-auto-$be-debug-6.12" \
				tools/testing/qemu/run.sh "${args[@]}" debug-6.12 ||
				true
		fi
	done
fi

# The kernel fuzzer, bounded: 150 s on one thread and 60 s in the race
# mode from the checked-in seed programs, in a guest of the 6.12 debug
# kernel (which has KCOV); any kernel report fails it.
if [[ " ${debug[*]} " == *" 6.12 "* ]]; then
	if [ "$tools_built" != 1 ]; then
		not_run fuzz-debug-6.12 "the tools did not build"
	else
		tap_step fuzz-debug-6.12 scripts/fuzz.sh --fresh --time 150 \
			--race 60 || true
		grep -E '^# (fuzz: (corpus|[0-9]+ programs)|stat::(number_of_executed_units|average_exec_per_sec))' \
			"$logdir/fuzz-debug-6.12.log" | sed 's/^# /    /'
	fi
fi

t_end=$(date +%s)
echo
echo "make check took $((t_end - t_start)) s; logs in $logdir"
if [ ${#failures[@]} -ne 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
