#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a debug guest: run COMMAND, then copy the gcov data of the
# modules in KMOD_DIR (built with make COVERAGE=y) out to the run's
# results, /run/vm-run/gcov/. scripts/coverage.sh starts it.
#
#   KMOD_DIR=build/kmod/<release>-gcov gcov-in-guest.sh COMMAND [ARGS...]
#
# The kernel keeps the data of unloaded modules (gcov_persist), so the
# command may rmmod them. Exit status: the command's, or 1 if nothing
# was collected.
set -u
: "${KMOD_DIR:?KMOD_DIR: the modules built with COVERAGE=y}"
"$@"
rc=$?
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
src=/sys/kernel/debug/gcov$(realpath "$KMOD_DIR")
dst=/run/vm-run/gcov
n=0
# No process substitution: a guest has no /dev/fd.
list=$(cd "$src" 2>/dev/null && find . -name '*.gcda')
for f in $list; do
	mkdir -p "$dst/$(dirname "$f")"
	cat "$src/$f" >"$dst/$f" && n=$((n + 1))
done
echo "# gcov: $n data files copied from $src"
[ "$n" -gt 0 ] || rc=1
exit "$rc"
