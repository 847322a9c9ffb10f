# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# TAP output for the shell tests, in the form kselftest prints it, which
# scripts/check.sh reads: "ok N NAME", "ok N NAME # SKIP WHY" (a skip, not
# a pass), "not ok N NAME # WHY", the plan "1..N" (first, or last when the
# number is not known in advance), "1..0 # SKIP WHY" for a run that
# skipped as a whole, and the "# Totals: pass:P fail:F ... skip:S" line
# check.sh sums. Source it; it loads nothing and runs anywhere (the guest
# tests source it through guest-tap.sh).
#
# A test name must not contain " # ": TAP reads what follows as a
# directive or a reason.

tap_n=0
tap_pass=0
tap_fail=0
tap_skip=0
tap_planned=

# The exit statuses kselftest gives a test (tools/testing/selftests/
# kselftest.h): what result() reads.
TAP_PASS=0
TAP_SKIP=4

# tap_header: the first line of a TAP stream.
tap_header()
{
	echo "TAP version 13"
}

# tap_plan N: announce N tests before the first of them.
tap_plan()
{
	tap_planned=$1
	echo "1..$1"
}

# ok NAME: the next test passed.
ok()
{
	tap_n=$((tap_n + 1))
	tap_pass=$((tap_pass + 1))
	echo "ok $tap_n $1"
}

# not_ok NAME [WHY]: the next test failed, for reason WHY.
not_ok()
{
	tap_n=$((tap_n + 1))
	tap_fail=$((tap_fail + 1))
	echo "not ok $tap_n $1${2:+ # $2}"
}

# skip NAME [WHY]: the next test could not run here; neither a pass nor a
# failure. scripts/check.sh fails a lane whose skip
# tools/testing/lane-expectations does not list (by NAME).
skip()
{
	tap_n=$((tap_n + 1))
	tap_skip=$((tap_skip + 1))
	echo "ok $tap_n $1 # SKIP${2:+ $2}"
}

# result STATUS NAME [WHY]: the next test, by a kselftest exit status:
# $TAP_PASS passed, $TAP_SKIP skipped, anything else failed.
result()
{
	case $1 in
	"$TAP_PASS") ok "$2" ;;
	"$TAP_SKIP") skip "$2" "${3:-}" ;;
	*) not_ok "$2" "${3:-}" ;;
	esac
}

# tap_totals: the "# Totals:" line of the tests reported so far.
tap_totals()
{
	echo "# Totals: pass:$tap_pass fail:$tap_fail xfail:0 xpass:0 skip:$tap_skip error:0"
}

# tap_end: the plan, unless tap_plan gave it, and the totals. Fails if a
# test failed.
tap_end()
{
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	tap_totals
	[ "$tap_fail" -eq 0 ]
}

# tap_skip_all WHY: a whole TAP stream that skipped, with its totals.
tap_skip_all()
{
	tap_header
	echo "1..0 # SKIP $1"
	tap_skip=$((tap_skip + 1))
	tap_totals
}

# tap_bail WHY: give up: nothing that follows can be trusted.
tap_bail()
{
	echo "Bail out! $1"
}
