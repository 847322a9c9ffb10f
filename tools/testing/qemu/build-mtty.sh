#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build upstream's mtty sample for a Debian kernel and print the path of
# mtty.ko:
#
#   tools/testing/qemu/build-mtty.sh KERNEL
#
# KERNEL is 6.1, 6.12 or a release (scripts/kernel-release.sh). Debian
# does not ship mtty (SAMPLE_VFIO_MDEV_MTTY is off), so it is built from
# the linux-source tarball's samples/vfio-mdev/mtty.c against the kernel's
# headers, in $CACHE/mtty/<release>/: a copy in the cache, never in the
# project tree. Rebuilt only when the source changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
cache=${CACHE:-$HOME/.cache/vfio-mig}

case ${1:-} in
-h|--help) sed -n '3,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
'') echo "build-mtty.sh: which kernel? (try --help)" >&2; exit 2 ;;
esac
rel=$("$top/scripts/kernel-release.sh" "$1")
major=$(echo "$rel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
src=$("$top/scripts/kernel-src.sh" "$major")
mtty=$cache/mtty/$rel
mkdir -p "$mtty"
if ! cmp -s "$src/samples/vfio-mdev/mtty.c" "$mtty/mtty.c"; then
	cp "$src/samples/vfio-mdev/mtty.c" "$mtty/mtty.c"
fi
echo 'obj-m := mtty.o' >"$mtty/Kbuild"
make -s -C "/lib/modules/$rel/build" M="$mtty" modules >&2
echo "$mtty/mtty.ko"
