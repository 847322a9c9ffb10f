#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzzer's run inside a debug guest, started by run_in_guest.sh as the
# test "fuzz" (VFIO_MIG_TESTS=build/tools/testing/fuzz) with the modules
# loaded; scripts/fuzz.sh and make check start it that way.
#
# Compiles the seed programs (tools/testing/fuzz/seeds/*.txt, or
# FUZZ_SEEDS/*.txt), then runs fuzz_mdma for FUZZ_TIME seconds on one
# thread (0: each input once) and FUZZ_RACE_TIME seconds in the race mode
# (FUZZ_RACE_THREADS threads at once, default 4), from seed FUZZ_SEED.
# The corpus grows in FUZZ_OUT/corpus (from a copy of FUZZ_CORPUS if
# given); saved inputs land in FUZZ_OUT, those of the race mode named
# race-*. FUZZ_REPLAY=FILE runs that one input instead, on
# FUZZ_REPLAY_THREADS threads (default 1). Fails on a kernel report, a
# hang, or no kernel coverage at all.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/fuzz_mdma
# The Makefile writes the seeds' directory in when it installs the script.
seeds=${FUZZ_SEEDS:-@SEEDS@}
out=${FUZZ_OUT:-/run/vm-run/fuzz}
time=${FUZZ_TIME:-150}
race=${FUZZ_RACE_TIME:-60}
threads=${FUZZ_RACE_THREADS:-4}
seed=${FUZZ_SEED:-1}
unset FUZZ_THREADS

if [ -n "${FUZZ_REPLAY:-}" ]; then
	FUZZ_THREADS=${FUZZ_REPLAY_THREADS:-1} exec "$bin" --replay "$FUZZ_REPLAY"
fi
mkdir -p "$out/corpus" "$out/seeds" || exit 1
for s in "$seeds"/*.txt; do
	"$bin" --compile "$s" "$out/seeds/$(basename "$s" .txt)" || exit 1
done
if [ -n "${FUZZ_CORPUS:-}" ] && [ -d "$FUZZ_CORPUS" ]; then
	cp -rn "$FUZZ_CORPUS/." "$out/corpus/"
fi
echo "fuzz: $(ls "$out/seeds" | wc -l) seeds, $(ls "$out/corpus" | wc -l) inputs in the corpus"

# run LOG PREFIX [libFuzzer options]: one libFuzzer run saving inputs as
# PREFIX*; its last lines go to the output, all of it to LOG.
run()
{
	local log=$1 prefix=$2 rc
	shift 2
	"$bin" -seed="$seed" -timeout=60 -max_len=1024 -rss_limit_mb=0 \
		-print_final_stats=1 -artifact_prefix="$prefix" "$@" \
		"$out/corpus" "$out/seeds" >"$log" 2>&1
	rc=$?
	grep -E '^fuzz:|^#[0-9]+[[:space:]]+DONE|^stat::|ALARM|==ERROR|crash-|timeout-' "$log"
	return "$rc"
}

rc=0
if [ "$time" -eq 0 ]; then
	echo "fuzz: running the corpus once"
	FUZZ_THREADS=1 run "$out/fuzz.log" "$out/" -runs=0 || rc=1
else
	echo "fuzz: $time s on one thread, seed $seed"
	FUZZ_THREADS=1 run "$out/fuzz.log" "$out/" -max_total_time="$time" || rc=1
fi
if [ "$rc" -eq 0 ] && [ "$race" -gt 0 ]; then
	echo "fuzz: $race s on $threads threads at once, seed $seed"
	FUZZ_THREADS=$threads run "$out/race.log" "$out/race-" \
		-max_total_time="$race" || rc=1
fi

echo "fuzz: corpus $(ls "$out/corpus" | wc -l) inputs"
# A crash ends the process before it counts; the count matters otherwise.
if [ "$rc" -eq 0 ] && ! grep -qE '[1-9][0-9]* distinct kernel PCs' "$out"/*.log; then
	echo "fuzz: no kernel coverage: is this a kernel with KCOV and modules built with it?"
	rc=1
fi
for f in "$out"/crash-* "$out"/timeout-* "$out"/race-crash-* "$out"/race-timeout-*; do
	[ -f "$f" ] || continue
	echo "fuzz: saved input $f:"
	"$bin" --print "$f" | sed 's/^/    /'
	case $(basename "$f") in
	race-*) more=" --threads $threads" ;;
	*) more= ;;
	esac
	echo "fuzz: replay with: scripts/fuzz.sh$more --replay build/check/fuzz-guest/fuzz/$(basename "$f")"
done
echo "# Totals: pass:$((rc == 0)) fail:$((rc != 0)) xfail:0 xpass:0 skip:0 error:0"
exit "$rc"
