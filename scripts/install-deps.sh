#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that building and testing vfio-mig needs.
# Idempotent: packages already present are left alone, and apt is only
# asked when something is missing. QEMU 10 (the protocol v2 client) comes
# from bookworm-backports, unpacked into the cache by scripts/qemu10.sh.
# --bench adds what make bench needs besides (its plotting library).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PKGS=(
	make gcc-12 libc6-dev flex bison bc libelf-dev libssl-dev dwarves
	kmod cpio xz-utils zstd
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-source-6.1 linux-source-6.12
	qemu-system-x86 busybox-static sparse
	python3-sphinx
	clang libclang-rt-14-dev
	lcov
	uuid-runtime
	libjson-c-dev
)
case ${1:-} in
--bench) PKGS+=(python3-matplotlib) ;;
'') ;;
*) echo "install-deps: unknown argument $1 (--bench, or nothing)" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	qemu10=$("$here/qemu10.sh")
	echo "install-deps: QEMU 10: $qemu10"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or install them by hand) and retry" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The guests boot the kernels directly; the initrds Debian writes are unused.
mkdir -p /etc/initramfs-tools/conf.d
apt-get install -y -q --no-install-recommends "${missing[@]}"
qemu10=$("$here/qemu10.sh")
echo "install-deps: QEMU 10: $qemu10"
