#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Out-of-band migration, in a test guest (it loads modules): an
# mdma-16m-oob instance offers no in-band migration; vfio-mig-agent and
# its plugin migrate it live, verified like the local backend (debugfs
# digest of device memory and registers, guest RAM); the agent killed in
# pre-copy fails the migration cleanly and the source keeps working;
# broken plugins are refused; bad and unauthenticated JSON-RPC requests
# get their errors while the agent serves on; two migrations run through
# one agent at once. Also measures save throughput and live downtime of
# the local backend (mdma-16m) against the plugin backend (mdma-16m-oob).
# Prints TAP and a "# Totals:" line.
#
#   tools/testing/vm/vm-run --kernel 6.12 -- tools/vfio-mig-agent/test-oob.sh
#
# Environment: KMOD_DIR (default build/kmod/$(uname -r)).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=SCRIPTDIR/../testing/lib/guest-tap.sh
. "$top/tools/testing/lib/guest-tap.sh"
bin=$top/build/tools/vfio-mig-agent
cmd=$top/build/tools/vfio-migrate/vfio-migrate
agent=$bin/vfio-mig-agent
plugin=$bin/plugin/libvfio-lm-mdma.so
rpc=$bin/tests/rpc_client
sock=$work/agent.sock
tok=$work/token
port=7011
apid=

# Start the agent on $sock and 127.0.0.1:$port; wait until it listens.
start_agent()
{
	local i
	"$agent" --unix "$sock" --tcp "$port" --token-file "$tok" \
		>"$work/agent.out" 2>&1 &
	apid=$!
	for i in $(seq 50); do
		grep -q 'listening on' "$work/agent.out" && return 0
		sleep 0.1
	done
	cat "$work/agent.out"
	return 1
}

stop_agent()
{
	[ -n "$apid" ] || return 0
	kill "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
	apid=
}

# The plugin backend options, through the UNIX socket or TCP.
popt_unix=(--backend plugin --plugin-path "$plugin"
	   --plugin-arg "unix:$sock,token=$tok")
popt_tcp=(--backend plugin --plugin-path "$plugin"
	  --plugin-arg "tcp:127.0.0.1:$port,token=$tok")

# A value out of a live summary: "downtime" gives ms.
downtime()
{
	sed -n 's/^  downtime: *\([0-9.]*\) ms.*/\1/p' "$1"
}

tap_start
if ! { a=$(create mdma-16m-oob) && b=$(create mdma-16m-oob) &&
	c=$(create mdma-16m-oob) && d=$(create mdma-16m-oob) &&
	l1=$(create mdma-16m) && l2=$(create mdma-16m); }; then
	tap_bail "cannot create mdma instances"
	exit 1
fi
umask 077
head -c 32 /dev/urandom | base64 >"$tok"

# The token file must be the agent's alone.
name="agent refuses a token file others may read"
chmod 644 "$tok"
if "$agent" --unix "$sock" --token-file "$tok" >"$work/perm.out" 2>&1; then
	not_ok "$name" "it started"
elif grep -q 'refusing to start: token file .* mode 0644' "$work/perm.out"; then
	ok "$name"
else
	not_ok "$name" "$(head -n 1 "$work/perm.out")"
fi
chmod 600 "$tok"
start_agent || { tap_bail "the agent does not start"; exit 1; }

# An OOB-only device looks unmigratable to a VMM.
name="mdma-16m-oob: no migration region, v2 feature ENOTTY"
if run info-oob "$cmd" info "$a" "${popt_unix[@]}" &&
   grep -q '^protocol v2: *not offered (.*Inappropriate ioctl' "$work/info-oob.out" &&
   ! grep -q 'migration' <(grep '^  region' "$work/info-oob.out") &&
   grep -q '^  device_state:   0x1 running' "$work/info-oob.out"; then
	ok "$name"
else
	not_ok "$name" "info does not show it"
fi
name="local backend on mdma-16m-oob: not migratable in band"
if run live-local-oob "$cmd" live --from "$a" --to "$b" --quiet; then
	not_ok "$name" "live succeeded"
elif grep -q 'not migratable in band' "$work/live-local-oob.out"; then
	ok "$name"
else
	not_ok "$name" "no clear message"
fi

# Broken plugins are refused and the device is reported unmigratable.
for bad in missing bad-version no-ops; do
	case $bad in
	missing) so=$work/nonexistent.so; want='cannot be loaded' ;;
	bad-version) so=$bin/tests/bad-version.so; want='ABI version 42' ;;
	no-ops) so=$bin/tests/no-ops.so; want='lacks the symbol vfio_lm_get_plugin_ops' ;;
	esac
	name="plugin refused: $bad"
	if run "plugin-$bad" "$cmd" live --from "$a" --to "$b" --quiet \
		--backend plugin --plugin-path "$so" \
		--plugin-arg "unix:$sock,token=$tok"; then
		not_ok "$name" "live succeeded"
	elif grep -q "$want" "$work/plugin-$bad.out" &&
	     grep -q 'is not migratable' "$work/plugin-$bad.out"; then
		ok "$name"
	else
		not_ok "$name" "no clear message"
	fi
done

# Bad requests: each gets its error, and a good request right after works.
good='{"jsonrpc":"2.0","id":99,"method":"open","params":{"token":"@TOKEN@","device":"'$a'"}}'
while IFS='|' read -r what want req; do
	name="JSON-RPC $what: $want, then a good request works"
	printf '%s\n%s\n' "$req" "$good" >"$work/req"
	if ! "$rpc" "unix:$sock" "$tok" <"$work/req" >"$work/rsp" 2>&1; then
		not_ok "$name" "$(tr '\n' ' ' <"$work/rsp")"
	elif [ "$(sed -n 1p "$work/rsp")" != "$want" ]; then
		not_ok "$name" "got $(sed -n 1p "$work/rsp")"
	elif ! sed -n 2p "$work/rsp" | grep -q '^result {"handle":1}'; then
		not_ok "$name" "then: $(sed -n 2p "$work/rsp")"
	else
		ok "$name"
	fi
done <<EOF
malformed JSON|error -32700|{"jsonrpc":"2.0","id":1,"method":
not an object|error -32600|[{"jsonrpc":"2.0","id":1,"method":"open"}]
no jsonrpc member|error -32600|{"id":1,"method":"open","params":{"token":"@TOKEN@"}}
oversized message|error -32600|!big 2000000
no token|error -32001|{"jsonrpc":"2.0","id":1,"method":"open","params":{"device":"$a"}}
wrong token|error -32001|{"jsonrpc":"2.0","id":1,"method":"open","params":{"token":"0123456789abcdef0123","device":"$a"}}
unknown method|error -32601|{"jsonrpc":"2.0","id":1,"method":"reboot","params":{"token":"@TOKEN@"}}
unknown device|error -32002|{"jsonrpc":"2.0","id":1,"method":"open","params":{"token":"@TOKEN@","device":"00000000-0000-0000-0000-000000000000"}}
bad device name|error -32602|{"jsonrpc":"2.0","id":1,"method":"open","params":{"token":"@TOKEN@","device":"../x"}}
unknown handle|error -32003|{"jsonrpc":"2.0","id":1,"method":"get_state","params":{"token":"@TOKEN@","handle":7}}
bad state type|error -32602|{"jsonrpc":"2.0","id":1,"method":"set_state","params":{"token":"@TOKEN@","handle":"one","state":1}}
EOF

# The methods, in order, on one connection (TCP): a stop-and-copy save
# of a device a VMM holds open (the channel drives no closed device).
name="JSON-RPC methods over TCP: open, info, set_state, get_state, save, close"
"$bin/tests/hold_device" "$a" >"$work/hold.out" 2>&1 &
hold=$!
for i in $(seq 100); do
	grep -q '^open' "$work/hold.out" && break
	sleep 0.1
done
cat >"$work/req" <<EOF
{"jsonrpc":"2.0","id":1,"method":"open","params":{"token":"@TOKEN@","device":"$a"}}
{"jsonrpc":"2.0","id":2,"method":"info","params":{"token":"@TOKEN@","handle":1}}
{"jsonrpc":"2.0","id":3,"method":"set_state","params":{"token":"@TOKEN@","handle":1,"state":7}}
{"jsonrpc":"2.0","id":4,"method":"set_state","params":{"token":"@TOKEN@","handle":1,"state":2}}
{"jsonrpc":"2.0","id":5,"method":"get_state","params":{"token":"@TOKEN@","handle":1}}
{"jsonrpc":"2.0","id":6,"method":"save","params":{"token":"@TOKEN@","handle":1,"max":16}}
{"jsonrpc":"2.0","id":7,"method":"set_state","params":{"token":"@TOKEN@","handle":1,"state":1}}
{"jsonrpc":"2.0","id":8,"method":"close","params":{"token":"@TOKEN@","handle":1}}
EOF
if "$rpc" "tcp:127.0.0.1:$port" "$tok" <"$work/req" >"$work/rsp" 2>&1; then
	sed 's/^/# /' "$work/rsp"
	if sed -n 2p "$work/rsp" | grep -q '"device_type":"mdma-16m-oob","in_band":false' &&
	   [ "$(sed -n 3p "$work/rsp")" = "error -32000" ] &&
	   [ "$(sed -n 5p "$work/rsp")" = 'result {"state":2}' ] &&
	   sed -n 6p "$work/rsp" | grep -Eq '^result \{"data":"[A-Za-z0-9+/=]{24}","eof":false\}' &&
	   [ "$(sed -n 8p "$work/rsp")" = "result true" ]; then
		ok "$name"
	else
		not_ok "$name" "unexpected replies"
	fi
else
	not_ok "$name" "$(tr '\n' ' ' <"$work/rsp")"
fi
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null

# The same save once the VMM closed the device: refused.
name="JSON-RPC set_state on a device nobody has open: refused"
cat >"$work/req" <<EOF
{"jsonrpc":"2.0","id":1,"method":"open","params":{"token":"@TOKEN@","device":"$a"}}
{"jsonrpc":"2.0","id":2,"method":"set_state","params":{"token":"@TOKEN@","handle":1,"state":2}}
{"jsonrpc":"2.0","id":3,"method":"get_state","params":{"token":"@TOKEN@","handle":1}}
{"jsonrpc":"2.0","id":4,"method":"close","params":{"token":"@TOKEN@","handle":1}}
EOF
if "$rpc" "tcp:127.0.0.1:$port" "$tok" <"$work/req" >"$work/rsp" 2>&1 &&
   sed -n 2p "$work/rsp" | grep -q '^error -32000' &&
   [ "$(sed -n 3p "$work/rsp")" = 'result {"state":1}' ]; then
	ok "$name"
else
	not_ok "$name" "$(tr '\n' ' ' <"$work/rsp")"
fi

# live_passes NAME LOG ARG...: the test NAME passes if vfio-migrate live
# with ARG... (output kept in LOG) verifies the migration.
live_passes()
{
	local name=$1 log=$2
	shift 2
	if run "$log" "$cmd" live "$@" &&
	   grep -q 'result: *PASS' "$work/$log.out"; then
		ok "$name"
	else
		not_ok "$name" "no PASS"
	fi
}

# Live through plugin and agent, verified as with the local backend.
live_passes "live migration of mdma-16m-oob through the plugin (UNIX socket)" \
	live-plugin --from "$a" --to "$b" --workload mixed --ram-mb 32 \
	"${popt_unix[@]}"

# The agent dies in pre-copy: the migration fails, the source works.
name="agent killed in pre-copy: migration fails, source runs and works"
"$cmd" live --from "$a" --to "$b" --workload mem --ram-mb 32 \
	--max-rounds 1000 "${popt_unix[@]}" >"$work/kill.out" 2>&1 &
lpid=$!
for i in $(seq 300); do
	grep -q '^round 2:' "$work/kill.out" && break
	sleep 0.1
done
kill -9 "$apid"
wait "$apid" 2>/dev/null
apid=
wait "$lpid"
rc=$?
sed 's/^/# /' "$work/kill.out"
if [ "$rc" -eq 0 ]; then
	not_ok "$name" "the migration succeeded"
elif ! grep -q '^round 2:' "$work/kill.out"; then
	not_ok "$name" "pre-copy did not reach round 2"
elif grep -q 'pre-copy: plugin' "$work/kill.out" &&
     grep -q 'the source runs and works' "$work/kill.out"; then
	ok "$name"
else
	not_ok "$name" "no clean failure with a working source"
fi
name="agent restarted: the next migration succeeds"
if start_agent; then
	live_passes "$name" live-again --from "$a" --to "$b" --ram-mb 32 \
		"${popt_tcp[@]}"
else
	not_ok "$name" "the agent did not start"
fi

# Two migrations through one agent at once (one over UNIX, one over TCP).
name="two live migrations through one agent at once"
"$cmd" live --from "$a" --to "$b" --ram-mb 32 --max-rounds 4 \
	"${popt_unix[@]}" >"$work/two-1.out" 2>&1 &
p1=$!
"$cmd" live --from "$c" --to "$d" --ram-mb 32 --max-rounds 4 \
	"${popt_tcp[@]}" >"$work/two-2.out" 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
sed 's/^/# 1: /' "$work/two-1.out"
sed 's/^/# 2: /' "$work/two-2.out"
if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] &&
   grep -q 'result: *PASS' "$work/two-1.out" &&
   grep -q 'result: *PASS' "$work/two-2.out"; then
	ok "$name"
else
	not_ok "$name" "exit $r1 and $r2"
fi

# Save and load through the plugin; the digest survives, and device
# memory read back holds the pattern asked of the save, computed in user
# space (no driver digest involved).
name="save and load through the plugin: digest equal, memory the pattern"
if run save-plugin "$cmd" save "$c" "$work/oob.sav" --pattern 0x77 \
	"${popt_unix[@]}" &&
   run load-plugin "$cmd" load "$d" "$work/oob.sav" "${popt_tcp[@]}" \
	--expect-pattern 0x77 &&
   grep -q '^pattern check: device memory .* hold the pattern of 0x77' \
	"$work/load-plugin.out"; then
	want=$(sed -n 's/^digest while stopped: \(mem_crc32 [0-9a-f]* regs_crc32 [0-9a-f]* queue_crc32 [0-9a-f]* intx_masked [0-9]*\).*/\1/p' "$work/save-plugin.out")
	got=$(sed -n 's/^digest after load: \(mem_crc32 [0-9a-f]* regs_crc32 [0-9a-f]* queue_crc32 [0-9a-f]* intx_masked [0-9]*\).*/\1/p' "$work/load-plugin.out")
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "$name"
	else
		not_ok "$name" "digest '$want' vs '$got'"
	fi
else
	not_ok "$name" "save or load failed, or memory is not the pattern"
fi

# Local (mdma-16m) against plugin (mdma-16m-oob): same sizes, same work.
name="measure: save throughput and live downtime, local vs plugin"
mok=1
for i in 1 2; do
	run "m-save-local-$i" "$cmd" save "$l1" "$work/m.sav" --pattern 0x55 || mok=0
		run "m-save-plugin-$i" "$cmd" save "$c" "$work/m.sav" --pattern 0x55 \
		"${popt_unix[@]}" || mok=0
	run "m-live-local-$i" "$cmd" live --from "$l1" --to "$l2" --ram-mb 32 \
		--workload dma --quiet || mok=0
		run "m-live-plugin-$i" "$cmd" live --from "$c" --to "$d" --ram-mb 32 \
		--workload dma --quiet "${popt_unix[@]}" || mok=0
done
for be in local plugin; do
	tp=$(sed -n 's/^saved .* (\([0-9.]*\) MiB\/s.*/\1/p' "$work"/m-save-"$be"-*.out | tr '\n' ' ')
	dt=$(for f in "$work"/m-live-"$be"-*.out; do downtime "$f"; done | tr '\n' ' ')
	echo "# measure $(uname -r) $be: save MiB/s: $tp; live downtime ms: $dt"
done
if [ "$mok" -eq 1 ]; then
	ok "$name"
else
	not_ok "$name" "a run failed"
fi

stop_agent
tap_unload "$a" "$b" "$c" "$d" "$l1" "$l2"
rm -rf "$work"

tap_end
