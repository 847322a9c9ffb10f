#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and run the host-native unit tests under ASan/UBSan, then fuzz the
# stream decoder for FUZZ_SECONDS (default 60) from a generated corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${O:-$top/build/unit}
fuzz_seconds=${FUZZ_SECONDS:-60}

make -s -C "$here" O="$out"
status=0
for t in "$out"/*_test; do
	"$t" || status=1
done

corpus=$out/corpus
mkdir -p "$corpus"
"$out/mkcorpus" "$corpus"
echo "# fuzzing the stream decoder for $fuzz_seconds s"
if "$out/fuzz_stream" -max_total_time="$fuzz_seconds" -timeout=10 \
		-max_len=32768 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/" "$corpus" >"$out/fuzz.log" 2>&1; then
	grep -E 'stat::number_of_executed_units|cov:' "$out/fuzz.log" | tail -n 2
	echo "ok fuzz_stream"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	tail -n 40 "$out/fuzz.log"
	echo "not ok fuzz_stream: see $out/fuzz.log and the crash input there"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	status=1
fi
exit $status
