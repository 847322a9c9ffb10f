#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vfio-migrate with both migration protocols, in a test guest (it loads
# modules): info shows v1 and v2, and PRE_COPY exactly from Linux 6.2;
# save/load round trips with v1, v2 and across them; a damaged stream the
# kernel refuses with EBADMSG; live migrations of a busy instance with v1
# and v2; the v1-vs-v2 bench table; the modules unload. Prints TAP and a
# "# Totals:" line.
#
#   tools/testing/vm/vm-run --kernel 6.12 -- tools/vfio-migrate/test-protocols.sh
#
# Environment: KMOD_DIR (default build/kmod/$(uname -r)), VFIO_MIGRATE
# (default build/tools/vfio-migrate/vfio-migrate).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../testing/lib/guest-tap.sh
. "$top/tools/testing/lib/guest-tap.sh"
cmd=${VFIO_MIGRATE:-$top/build/tools/vfio-migrate/vfio-migrate}

# digest FILE WHEN: "mem_crc32 X regs_crc32 Y queue_crc32 Z intx_masked N"
# of a save or load output.
digest()
{
	sed -n "s/^digest $2: \(mem_crc32 [0-9a-f]* regs_crc32 [0-9a-f]* queue_crc32 [0-9a-f]* intx_masked [0-9]*\).*/\1/p" "$1"
}

tap_start
if ! { a=$(create mdma-16m) && b=$(create mdma-16m); }; then
	tap_bail "cannot create mdma instances"
	exit 1
fi
# PRE_COPY is in the uapi from Linux 6.2: what the kernel must offer.
IFS=.- read -r major minor _ <<<"$(uname -r)"
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 2 ]; }; then
	want_precopy=1
else
	want_precopy=0
fi

# info_problem FILE: what is wrong in vfio-migrate info's output FILE for
# this kernel; nothing when all is right.
info_problem()
{
	local o=$1 precopy=0

	if ! grep -q '^migration region: index' "$o"; then
		echo "no v1 migration region"
	elif ! grep -Eq '^  flags: +0x[0-9a-f]+ stop-copy' "$o"; then
		echo "no v2 flags with stop-copy"
	elif ! grep -q '^  device_state:   2 running' "$o"; then
		echo "v2 device_state is not 2 running"
	else
		grep -q ' pre-copy' "$o" && precopy=1
		if [ $precopy = 1 ] && [ $want_precopy = 0 ]; then
			echo "PRE_COPY offered on $(uname -r)"
		elif [ $precopy = 0 ] && [ $want_precopy = 1 ]; then
			echo "no PRE_COPY on $(uname -r)"
		elif [ $precopy = 1 ]; then
			grep -Eq '^  MIG_DATA_SIZE:  .*\(([1-9][0-9]*) bytes' "$o" ||
				echo "PRE_COPY offered but no MIG_DATA_SIZE"
		else
			grep -q 'MIG_DATA_SIZE:  not offered' "$o" ||
				echo "neither PRE_COPY nor a missing MIG_DATA_SIZE"
		fi
	fi
}

# info: both protocols, with what this kernel offers.
name="info shows protocol v1 (region) and v2 (flags, state, MIG_DATA_SIZE)"
if ! run info "$cmd" info "$a"; then
	not_ok "$name" "info failed"
elif why=$(info_problem "$work/info.out") && [ -n "$why" ]; then
	not_ok "$name" "$why"
else
	ok "$name"
fi

# save/load with each protocol, and across them: the digest after load
# must be the one the source had while stopped, and device memory, read
# back through BAR2, must hold the pattern this script asked the save to
# write (the tool computes it in user space: no driver digest involved).
for sp in v1 v2; do
	run "save-$sp" "$cmd" save "$a" "$work/$sp.sav" --protocol "$sp" \
		--pattern "0x${sp#v}5eed" || true
done
for sp in v1 v2; do
	for lp in v1 v2; do
		name="save with $sp, load with $lp: digest equal, memory the pattern"
		want=$(digest "$work/save-$sp.out" "while stopped")
		if [ -z "$want" ]; then
			not_ok "$name" "save with $sp failed"
			continue
		fi
		if ! run "load-$sp-$lp" "$cmd" load "$b" "$work/$sp.sav" \
			--protocol "$lp" --expect-pattern "0x${sp#v}5eed"; then
			if grep -q 'check the loaded state against the expected pattern' \
				"$work/load-$sp-$lp.out"; then
				not_ok "$name" "loaded memory is not the saved pattern"
			else
				not_ok "$name" "load failed"
			fi
			continue
		fi
		got=$(digest "$work/load-$sp-$lp.out" "after load")
		if ! grep -q '^pattern check: device memory .* hold the pattern of 0x' \
			"$work/load-$sp-$lp.out"; then
			not_ok "$name" "no pattern check in the load's output"
		elif [ "$got" = "$want" ]; then
			ok "$name"
		else
			not_ok "$name" "saved $want, loaded $got"
		fi
	done
done

# The comparison can fail: the two saves used different patterns.
name="saves with different patterns have different digests"
if [ "$(digest "$work/save-v1.out" "while stopped")" != \
     "$(digest "$work/save-v2.out" "while stopped")" ]; then
	ok "$name"
else
	not_ok "$name" "the digest does not see device memory"
fi

# A damaged stream is refused through the data fd too.
name="v2 load refuses a damaged stream"
if [ -s "$work/v2.sav" ]; then
	cp "$work/v2.sav" "$work/bad.sav"
	printf '\xff\xff\xff\xff' | dd of="$work/bad.sav" bs=1 seek=4096 conv=notrunc status=none
	if run load-bad "$cmd" load "$b" "$work/bad.sav" --protocol v2; then
		not_ok "$name" "accepted"
	elif grep -q 'the device refused the saved state: write .* to the data fd .*: Bad message' \
			"$work/load-bad.out"; then
		ok "$name"
	else
		not_ok "$name" "not refused by the kernel with EBADMSG"
	fi
else
	not_ok "$name" "no v2 save to damage"
fi

# Live migrations of a busy instance.
for p in v1 v2; do
	name="live --protocol $p --workload mixed: digests and RAM equal"
	if run "live-$p" "$cmd" live --from "$a" --to "$b" --protocol "$p" \
		--workload mixed --ram-mb 32; then
		o=$work/live-$p.out
		if ! grep -q 'result:            PASS' "$o"; then
			not_ok "$name" "exit 0 without PASS"
		elif [ "$p" = v2 ] && [ $want_precopy = 1 ] &&
		     ! grep -q 'MIG_DATA_SIZE:     [0-9.]* [KMG]*i*B estimated' "$o"; then
			not_ok "$name" "no MIG_DATA_SIZE estimate on a PRE_COPY kernel"
		elif [ "$p" = v2 ] && [ $want_precopy = 0 ] &&
		     ! grep -q 'RAM only: the device has no PRE_COPY' "$o"; then
			not_ok "$name" "device pre-copied without PRE_COPY"
		else
			ok "$name"
		fi
	else
		not_ok "$name" "exit status $?"
	fi
done

# The bench: a v1-vs-v2 table of saves and loads, v1 and v2 moving the
# same bytes, and the small access of the trapped window.
name="bench: save and load, v1 mmapped, v1 trapped and v2 data fd"
if run bench "$cmd" bench --types mdma-16m,mdma-64m --reps 3 \
	--csv "$work/bench.csv"; then
	if ! awk '/^[0-9]+ KiB/ && NF == 13 && ($6 == "save" || $6 == "load") {
			for (i = 7; i <= 12; i++) if ($i !~ /^[0-9.]+$/) next
			f[$6]++
		}
		END { exit !(f["save"] == 2 && f["load"] == 2) }' "$work/bench.out"; then
		not_ok "$name" "not a save and a load row with six figures for each type"
	elif ! grep -q 'one 8-byte pread(): trapped window [0-9]* ns, /dev/zero [0-9]* ns' "$work/bench.out"; then
		not_ok "$name" "no small-access figure"
	elif [ "$(grep -c ',load v2 data fd,[0-9.]*,MiB/s,' "$work/bench.csv")" -ne 2 ]; then
		not_ok "$name" "the CSV lacks the v2 load figures"
	else
		ok "$name"
	fi
else
	not_ok "$name" "bench failed"
fi

tap_unload "$a" "$b"
rm -rf "$work"
tap_end
