#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_tc_legacy.sh - before Linux 6.6 there are no tcx links; smtpguard then
# attaches its TC egress program as a clsact filter (handle 0x5347) and
# unload removes it. SG_TC_LEGACY=1 takes that path on any kernel.
set -u
cd "$(dirname "$0")/../.."
pass() { echo "PASS: tc-legacy: $*"; }
fail() { echo "FAIL: tc-legacy: $*"; }
if [ "$(id -u)" -ne 0 ] || [ ! -x ./smtpguard ]; then
	echo "SKIP: tc-legacy: all: needs root and ./smtpguard"
	exit 0
fi
ns=sgtc-$$-$RANDOM
pin=/sys/fs/bpf/smtpguard-tc-$$-$RANDOM
sg() { nsenter --net="/run/netns/$ns" -- ./smtpguard --pin-dir "$pin" "$@"; }
cleanup() { sg unload tcv0 >/dev/null 2>&1; rm -rf "$pin"; ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT INT TERM
ip netns add "$ns" && ip -n "$ns" link add tcv0 type veth peer name tcv1 &&
	ip -n "$ns" link set tcv0 up && ip -n "$ns" link set tcv1 up ||
	{ fail "namespace setup"; exit 1; }
SG_TC_LEGACY=1 sg load tcv0 >/dev/null 2>&1 && pass "load without tcx" || fail "load without tcx"
ip netns exec "$ns" tc filter show dev tcv0 egress | grep -q "handle 0x5347 sg_tc_egress" &&
	pass "clsact egress filter sg_tc_egress attached" || fail "no clsact egress filter"
[ ! -e "$pin/link_tc_tcv0" ] && pass "no tcx link pinned" || fail "a tc link is pinned"
sg status | grep -q "tcv0 .*clsact filter" && pass "status names the clsact filter" ||
	fail "status: $(sg status | grep tcv0)"
sg unload tcv0 >/dev/null && pass "unload" || fail "unload"
[ -z "$(ip netns exec "$ns" tc filter show dev tcv0 egress)" ] &&
	pass "unload removed the filter" || fail "a filter is left after unload"
[ ! -e "$pin" ] && pass "unload removed every pin" || fail "pins left: $(ls "$pin")"
exit 0
