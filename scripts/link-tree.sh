#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mirror the kernel parts of the source tree $1 into $2 as symbolic links,
# so Kbuild can build one copy per kernel release side by side.
set -euo pipefail
src=$1
dst=$2
mkdir -p "$dst"
cd "$src"
find Kbuild drivers samples include -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) |
while read -r f; do
	mkdir -p "$dst/$(dirname "$f")"
	ln -sfn "$src/$f" "$dst/$f"
done
# Drop links whose source is gone.
find "$dst" -xtype l -delete
