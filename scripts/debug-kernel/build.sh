#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a debug kernel the test lane boots:
#
#   scripts/debug-kernel/build.sh [6.1|6.12]     (default 6.12)
#
# Debian's linux-source-<version> configured as allnoconfig + debug.config
# + debug-<version>.config, in a cache keyed by the version, the fragments
# and the source tarball, so a machine pays for each build only the first
# time. Prints the build directory, which holds vmlinux, the kernel release
# in kernel.release, the image to boot in boot-image (a path relative to
# the directory) and the installed modules under
# modules/lib/modules/<release>. The releases end in -mig-debug (6.12) and
# -mig-debug61 (6.1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${CACHE:-$HOME/.cache/vfio-mig}
ver=${1:-6.12}
jobs=${JOBS:-$(nproc)}

# 6.12 boots its vmlinux through PVH. 6.1's PVH entry runs instrumented
# code before KASAN has its shadow (6.12 builds arch/x86/platform/pvh/
# without KASAN, 6.1 does not) and faults at once, so 6.1 boots its
# bzImage the usual way, which costs a few seconds of decompression.
case $ver in
6.1) localversion=-mig-debug61 boot=arch/x86/boot/bzImage ;;
6.12) localversion=-mig-debug boot=vmlinux ;;
*)
	echo "usage: build.sh [6.1|6.12]" >&2
	exit 2
	;;
esac
frags=("$here/debug.config" "$here/debug-$ver.config")
tarball=/usr/src/linux-source-$ver.tar.xz

[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing; run 'make deps'" >&2; exit 1; }
key=$( (echo "$ver $localversion $boot"; sha256sum "${frags[@]}" | cut -c1-64
	stat -c '%s %Y' "$tarball") | sha256sum | cut -c1-16)
out=$cache/debug-kernel/$ver-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
# One build per kernel at a time: a second caller waits and uses it.
mkdir -p "$cache/debug-kernel"
exec 9>"$out.lock"
flock 9
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

src=$("$top/scripts/kernel-src.sh" "$ver")
echo "debug-kernel: building $ver in $out (first time on this machine)" >&2
t0=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
# The fragments as one, the version's part last; an option set twice keeps
# its last value, which is the one to check.
awk '/^CONFIG_/ { opt = $0; sub(/=.*/, "", opt); val[opt] = $0
		if (!(opt in seen)) { seen[opt] = 1; order[++n] = opt } }
	END { for (i = 1; i <= n; i++) print val[order[i]] }' \
	"${frags[@]}" >"$out/debug.config"
make -s -C "$src" O="$out" allnoconfig >&2
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m \
	-O "$out" "$out/.config" "$out/debug.config" >/dev/null
make -s -C "$src" O="$out" LOCALVERSION="$localversion" olddefconfig >&2

# Every option of the fragments must have survived olddefconfig.
while IFS= read -r line; do
	opt=${line%%=*}
	val=${line#*=}
	got=$(grep -E "^$opt=" "$out/.config" || true)
	if [ "$val" = n ]; then
		[ -z "$got" ] && continue
	elif [ "$got" = "$line" ]; then
		continue
	fi
	echo "debug-kernel: $line did not stick on $ver (got '${got:-unset}')" >&2
	exit 1
done <"$out/debug.config"

make -C "$src" O="$out" LOCALVERSION="$localversion" -j"$jobs" vmlinux "${boot##*/}" \
	modules >"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log" >&2; exit 1; }
echo "$boot" >"$out/boot-image"
make -s -C "$src" O="$out" LOCALVERSION="$localversion" kernelrelease >"$out/kernel.release"
make -s -C "$src" O="$out" LOCALVERSION="$localversion" INSTALL_MOD_PATH="$out/modules" \
	INSTALL_MOD_STRIP=1 modules_install >&2
t1=$(date +%s)
echo "$((t1 - t0))" >"$out/build-seconds"
touch "$out/.done"
echo "debug-kernel: $ver built in $((t1 - t0)) s" >&2
echo "$out"
