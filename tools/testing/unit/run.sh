#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the host-native unit tests under ASan/UBSan, then fuzz the
# stream decoder for FUZZ_SECONDS (default 60) from a generated corpus and
# mdma's CONFIG section loader for FUZZ_MDMA_SECONDS (default 30).
# Each test binary prints its own TAP; the two fuzzers are one more TAP
# stream, a test each.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$top/tools/testing/lib/tap.sh"
out=${O:-$top/build/unit}
fuzz_seconds=${FUZZ_SECONDS:-60}
fuzz_mdma_seconds=${FUZZ_MDMA_SECONDS:-30}

make -s -C "$here" O="$out"
status=0
for t in "$out"/*_test; do
	"$t" || status=1
done

# fuzz NAME SECONDS CORPUS: run one libFuzzer target, print its TAP result.
fuzz()
{
	local name=$1 seconds=$2 corpus=$3

	echo "# fuzzing with $name for $seconds s"
	if "$out/$name" -max_total_time="$seconds" -timeout=10 \
			-max_len=32768 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$out/$name-" "$corpus" \
			>"$out/$name.log" 2>&1; then
		{ grep -E 'stat::number_of_executed_units|cov:' "$out/$name.log" ||
			true; } | tail -n 2 | sed 's/^/# /'
		ok "$name"
	else
		tail -n 40 "$out/$name.log" | sed 's/^/# /'
		not_ok "$name" "see $out/$name.log and the crash input there"
		status=1
	fi
}

mkdir -p "$out/corpus" "$out/corpus-mdma-config"
"$out/mkcorpus" "$out/corpus"
tap_header
tap_plan 2
fuzz fuzz_stream "$fuzz_seconds" "$out/corpus"
fuzz fuzz_mdma_config "$fuzz_mdma_seconds" "$out/corpus-mdma-config"
tap_totals
exit $status
