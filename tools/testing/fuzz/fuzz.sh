#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fuzzer's run inside a debug guest, started by run_in_guest.sh as the
# test "fuzz" (VFIO_MIG_TESTS=build/tools/testing/fuzz) with the modules
# loaded; scripts/fuzz.sh and make check start it that way.
#
# Compiles the seed programs (tools/testing/fuzz/seeds/*.txt, or
# FUZZ_SEEDS/*.txt), then runs
# fuzz_mdma for FUZZ_TIME seconds on one thread (0: each input once) and
# FUZZ_RACE_TIME seconds in the race mode (FUZZ_THREADS threads at once),
# from seed FUZZ_SEED. The corpus
# grows in FUZZ_OUT/corpus (from a copy of FUZZ_CORPUS if given); crashes
# land in FUZZ_OUT. FUZZ_REPLAY=FILE runs that one input instead.
# Fails on a kernel report, a hang, or no kernel coverage at all.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/fuzz_mdma
# The Makefile writes the seeds' directory in when it installs the script.
seeds=${FUZZ_SEEDS:-@SEEDS@}
out=${FUZZ_OUT:-/run/vm-run/fuzz}
time=${FUZZ_TIME:-150}
race=${FUZZ_RACE_TIME:-60}
threads=${FUZZ_THREADS:-4}
seed=${FUZZ_SEED:-1}

if [ -n "${FUZZ_REPLAY:-}" ]; then
	exec "$bin" --replay "$FUZZ_REPLAY"
fi
mkdir -p "$out/corpus" "$out/seeds" || exit 1
for s in "$seeds"/*.txt; do
	"$bin" --compile "$s" "$out/seeds/$(basename "$s" .txt)" || exit 1
done
if [ -n "${FUZZ_CORPUS:-}" ] && [ -d "$FUZZ_CORPUS" ]; then
	cp -rn "$FUZZ_CORPUS/." "$out/corpus/"
fi
echo "fuzz: $(ls "$out/seeds" | wc -l) seeds, $(ls "$out/corpus" | wc -l) inputs in the corpus"

# run LOG [libFuzzer options]: one libFuzzer run; its last lines go to
# the output, all of it to LOG.
run()
{
	local log=$1 rc
	shift
	"$bin" -seed="$seed" -timeout=60 -max_len=1024 -rss_limit_mb=0 \
		-print_final_stats=1 -artifact_prefix="$out/" "$@" \
		"$out/corpus" "$out/seeds" >"$log" 2>&1
	rc=$?
	grep -E '^fuzz:|^#[0-9]+[[:space:]]+DONE|^stat::|ALARM|==ERROR|crash-|timeout-' "$log"
	return "$rc"
}

rc=0
if [ "$time" -eq 0 ]; then
	echo "fuzz: running the corpus once"
	run "$out/fuzz.log" -runs=0 || rc=1
else
	echo "fuzz: $time s on one thread, seed $seed"
	run "$out/fuzz.log" -max_total_time="$time" || rc=1
fi
if [ "$rc" -eq 0 ] && [ "$race" -gt 0 ]; then
	echo "fuzz: $race s on $threads threads at once, seed $seed"
	FUZZ_THREADS=$threads run "$out/race.log" -max_total_time="$race" || rc=1
fi

pcs=$(sed -n 's/.* \([0-9]*\) distinct kernel PCs reached/\1/p' "$out"/*.log | sort -n | tail -n 1)
echo "fuzz: corpus $(ls "$out/corpus" | wc -l) inputs; at most ${pcs:-0} distinct kernel PCs"
if [ "${pcs:-0}" -eq 0 ]; then
	echo "fuzz: no kernel coverage: is this a kernel with KCOV and modules built with it?"
	rc=1
fi
for f in "$out"/crash-* "$out"/timeout-*; do
	[ -f "$f" ] || continue
	echo "fuzz: saved input $f:"
	"$bin" --print "$f" | sed 's/^/    /'
	echo "fuzz: replay with: scripts/fuzz.sh --replay build/check/fuzz-guest/fuzz/$(basename "$f")"
done
echo "# Totals: pass:$((rc == 0)) fail:$((rc != 0)) xfail:0 xpass:0 skip:0 error:0"
exit "$rc"
