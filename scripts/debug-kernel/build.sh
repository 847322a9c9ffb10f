#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug kernel the test lane boots: Debian's
# linux-source-6.12 configured as allnoconfig + debug.config, in a cache
# keyed by the fragment and the source tarball, so a machine pays for the
# build only the first time. Prints the build directory, which holds
# vmlinux, the kernel release in kernel.release and the installed modules
# under modules/lib/modules/<release>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${CACHE:-$HOME/.cache/vfio-mig}
frag=$here/debug.config
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=${JOBS:-$(nproc)}

[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing; run 'make deps'" >&2; exit 1; }
key=$( (sha256sum "$frag" | cut -c1-64; stat -c '%s %Y' "$tarball") |
	sha256sum | cut -c1-16)
out=$cache/debug-kernel/$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

src=$("$top/scripts/kernel-src.sh" 6.12)
echo "debug-kernel: building in $out (first time on this machine)" >&2
t0=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" allnoconfig >&2
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m \
	-O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" LOCALVERSION=-mig-debug olddefconfig >&2

# Every option of the fragment must have survived olddefconfig.
grep '^CONFIG_' "$frag" | while IFS= read -r line; do
	opt=${line%%=*}
	val=${line#*=}
	got=$(grep -E "^$opt=" "$out/.config" || true)
	if [ "$val" = n ]; then
		[ -z "$got" ] && continue
	elif [ "$got" = "$line" ]; then
		continue
	fi
	echo "debug-kernel: $line did not stick (got '${got:-unset}')" >&2
	exit 1
done

make -C "$src" O="$out" LOCALVERSION=-mig-debug -j"$jobs" vmlinux modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; exit 1; }
make -s -C "$src" O="$out" LOCALVERSION=-mig-debug kernelrelease >"$out/kernel.release"
make -s -C "$src" O="$out" LOCALVERSION=-mig-debug INSTALL_MOD_PATH="$out/modules" \
	INSTALL_MOD_STRIP=1 modules_install >&2
t1=$(date +%s)
echo "$((t1 - t0))" >"$out/build-seconds"
touch "$out/.done"
echo "debug-kernel: built in $((t1 - t0)) s" >&2
echo "$out"
