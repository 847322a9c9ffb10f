#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make sure Debian's linux-source-<ver> tarball is unpacked in the cache and
# print the directory. The project uses its tools in place from there
# (scripts/checkpatch.pl, the kselftest harness); nothing is copied into the
# source tree.
set -euo pipefail
ver=${1:?usage: kernel-src.sh 6.1|6.12}
cache=${CACHE:-$HOME/.cache/vfio-mig}
dir=$cache/src/linux-source-$ver
tarball=/usr/src/linux-source-$ver.tar.xz

if [ ! -f "$dir/.unpacked" ]; then
	if [ ! -f "$tarball" ]; then
		echo "kernel-src: $tarball is missing; run 'make deps'" >&2
		exit 1
	fi
	echo "kernel-src: unpacking $tarball (once)" >&2
	mkdir -p "$cache/src"
	rm -rf "$dir"
	tar -C "$cache/src" -xf "$tarball"
	touch "$dir/.unpacked"
fi
echo "$dir"
