#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the newest installed kernel release that starts with $1 followed by
# a non-digit, so that "6.1" names 6.1.0-56-amd64 and not 6.12.x.
want=${1:?usage: kernel-release.sh PREFIX}
for d in /lib/modules/*/; do
	rel=$(basename "$d")
	case "$rel" in
	"$want") echo "$rel"; exit 0 ;;
	"$want"[!0-9]*) [ -e "$d/build" ] && echo "$rel" ;;
	esac
done | sort -V | tail -n 1
