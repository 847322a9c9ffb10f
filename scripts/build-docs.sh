#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Render Documentation/ to HTML in build/docs; any Sphinx warning fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/docs
VFIO_MIG_KSRC=$("$top/scripts/kernel-src.sh" 6.12)
export VFIO_MIG_KSRC
rm -rf "$out"
sphinx-build -W --keep-going -q -b html -d "$out/.doctrees" \
	"$top/Documentation" "$out"
echo "documentation written to $out/index.html"
