#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 10 (protocol v2 client) from bookworm-backports, unpacked into the
# cache instead of replacing the system's QEMU 7.2:
#
#   scripts/qemu10.sh          fetch and unpack if needed, print the binary
#   scripts/qemu10.sh --dir    ... print the unpack directory instead
#
# A private apt configuration under $CACHE/qemu10/apt (its own sources
# list, lists, state and archive cache) names the suite with the mirror URI
# and keyring of the machine's own Debian source. qemu-system-x86,
# qemu-system-common, qemu-system-data and seabios are downloaded with
# "apt-get download" and unpacked with "dpkg-deb -x" into $CACHE/qemu10/root.
# Run it as:
#
#   $bin -L $dir/usr/share/qemu -L $dir/usr/share/seabios ...
#
# Idempotent: once unpacked (a stamp names the package versions) it does no
# network access. It needs no root; nothing of the system is changed.
set -euo pipefail

cache=${CACHE:-$HOME/.cache/vfio-mig}/qemu10
suite=${QEMU10_SUITE:-bookworm-backports}
pkgs=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
root=$cache/root
bin=$root/usr/bin/qemu-system-x86_64
stamp=$root/.unpacked

print_result()
{
	if [ "${1:-}" = --dir ]; then
		echo "$root"
	else
		echo "$bin"
	fi
}

# The binary must run with bookworm's libraries: ask it its version.
check_bin()
{
	local v
	if ! v=$("$bin" --version 2>&1 | head -n 1); then
		echo "qemu10: $bin does not run on this system:" >&2
		"$bin" --version >&2 || true
		return 1
	fi
	case $v in
	*"version 1"[0-9]*) ;;
	*)
		echo "qemu10: unexpected version: $v" >&2
		return 1
		;;
	esac
}

if [ -f "$stamp" ] && [ -x "$bin" ]; then
	check_bin
	print_result "$@"
	exit 0
fi

# The machine's Debian source: "URI KEYRING" of the first entry whose
# suite is the release itself (not -security or -updates).
debian_source()
{
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush() {
				if (uri != "" && main) { print uri, key; done = 1; exit }
				uri = ""; key = ""; main = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "signed-by:" { key = $2 }
			tolower($1) == "suites:" {
				for (i = 2; i <= NF; i++)
					if ($i == "bookworm") main = 1
			}
			END { if (!done) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n -E 's/^deb[ \t]+(\[([^]]*)\][ \t]+)?([^ \t]+)[ \t]+bookworm[ \t].*/\3 \2/p' "$f" |
			sed -E 's/ .*signed-by=([^ ]+).*/ \1/; s/ [^/][^ ]*$/ /'
	done
}

read -r uri keyring < <(debian_source | head -n 1) || true
if [ -z "${uri:-}" ]; then
	echo "qemu10: no Debian bookworm source in /etc/apt/sources.list*" >&2
	exit 1
fi
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc/preferences.d" \
	"$apt/etc/sources.list.d" "$apt/debs"
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$suite" \
	>"$apt/etc/sources.list"
: >"$apt/status"

aptopts=(
	-o "Dir::Etc::SourceList=$apt/etc/sources.list"
	-o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$apt/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
	-o "Dir::State=$apt"
	-o "Dir::State::Lists=$apt/lists"
	-o "Dir::State::status=$apt/status"
	-o "Dir::Cache=$apt"
	-o "Dir::Cache::Archives=$apt/archives"
	-o "APT::Sandbox::User=$(id -un)"
	-o "Debug::NoLocking=1"
	-q
)

echo "qemu10: apt-get update ($uri $suite)" >&2
apt-get "${aptopts[@]}" update >&2

cd "$apt/debs"
rm -f ./*.deb
echo "qemu10: apt-get download ${pkgs[*]}" >&2
apt-get "${aptopts[@]}" download "${pkgs[@]}" >&2

rm -rf "$root.new"
mkdir -p "$root.new"
for p in "${pkgs[@]}"; do
	deb=$(ls "$p"_*.deb)
	dpkg-deb -x "$deb" "$root.new"
	echo "$deb"
done >"$root.new/.unpacked"
rm -rf "$root"
mv "$root.new" "$root"
check_bin
echo "qemu10: $("$bin" --version | head -n 1) in $root" >&2
print_result "$@"
