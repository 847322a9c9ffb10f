#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the vfio_mig and mdma modules in a guest of the 6.12 debug kernel
# (KASAN, lockdep, UBSAN, kmemleak, KCOV), with tools/testing/fuzz/.
#
#   scripts/fuzz.sh [--time S] [--race S] [--threads N] [--seed N] [--fresh]
#                   [--iommufd]
#   scripts/fuzz.sh --replay FILE [--iommufd]
#
# --time      seconds of fuzzing on one thread (default 3600)
# --race      seconds more in the race mode, N threads at once (default
#             a sixth of --time; 0 leaves it out)
# --threads   threads of the race mode (default 4), or of a replay (1)
# --seed      libFuzzer's seed (default 1)
# --fresh     start from the seed programs only, not from the corpus kept
#             in build/fuzz/corpus by earlier runs (make check does this)
# --iommufd   open the instance through iommufd instead of a type1
#             container (a replay needs the same choice as its run)
# --replay    run one saved input (a crash-* file) once and print it; the
#             file is copied to build/fuzz/replay/ first
#
# The guest's files are kept in build/check/fuzz-guest/ (fuzz/ holds the
# logs, the corpus and any crash-* or timeout-* input); the corpus is then
# kept in build/fuzz/corpus for the next run. Exit status: the guest's.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

time=3600
race=
threads=
seed=1
fresh=0
iommufd=0
replay=
usage()
{
	sed -n '5,26s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
	case $1 in
	--time) time=${2:?--time needs seconds}; shift 2 ;;
	--race) race=${2:?--race needs seconds}; shift 2 ;;
	--threads) threads=${2:?--threads needs a number}; shift 2 ;;
	--seed) seed=${2:?--seed needs a number}; shift 2 ;;
	--fresh) fresh=1; shift ;;
	--iommufd) iommufd=1; shift ;;
	--replay) replay=${2:?--replay needs a file}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
for v in "$time" "${race:-0}" "${threads:-4}" "$seed"; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "fuzz.sh: '$v' is not a number" >&2; exit 2; }
done
race=${race:-$((time / 6))}
timeout=$((time + race + 900))
if [ -n "$replay" ]; then
	if [ ! -f "$replay" ]; then
		echo "fuzz.sh: $replay: no such file" >&2
		exit 2
	fi
	# The guest's files are replaced when it boots: keep the input apart.
	mkdir -p "$top/build/fuzz/replay"
	cp "$replay" "$top/build/fuzz/replay/" 2>/dev/null || true
	replay=$(realpath "$top/build/fuzz/replay/$(basename "$replay")")
	timeout=900
fi
cd "$top"

make -s tools >/dev/null
keep=$top/build/check/fuzz-guest
corpus=$top/build/fuzz/corpus
env=(VFIO_MIG_TESTS="$top/build/tools/testing/fuzz" FUZZ_TIME="$time"
     FUZZ_RACE_TIME="$race" FUZZ_RACE_THREADS="${threads:-4}" FUZZ_SEED="$seed")
[ -z "$replay" ] || env+=(FUZZ_REPLAY="$replay" FUZZ_REPLAY_THREADS="${threads:-1}")
[ "$fresh" = 1 ] || env+=(FUZZ_CORPUS="$corpus")
[ "$iommufd" = 0 ] || env+=(FUZZ_IOMMUFD=1)

# Boot, module loading and the kmemleak scans take a few minutes.
rc=0
KEEP=$keep TIMEOUT=$timeout scripts/debug-kernel/run.sh 6.12 \
	env "${env[@]}" tools/testing/selftests/vfio_mig/run_in_guest.sh fuzz ||
	rc=$?
if [ -z "$replay" ] && [ -d "$keep/fuzz/corpus" ]; then
	mkdir -p "$corpus"
	cp -rn "$keep/fuzz/corpus/." "$corpus/"
	echo "# corpus kept in $corpus: $(find "$corpus" -type f | wc -l) inputs"
fi
exit "$rc"
