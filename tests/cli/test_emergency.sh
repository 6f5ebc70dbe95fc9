#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_emergency.sh - an emergency policy change reaches the very next
# packets without a reload and without losing a session: the CLI's
# `policy add blocked-source`, `policy add bad-host` and a `policy apply`
# that switches an action to block, each run as its own process against
# pinned programs while packets go through the pinned XDP program
# (tests/tools/emergency.c; `make bench` runs it with more rounds and
# reports the times). Checked: every change took effect and every session
# opened before it was still tracked and read under the new policy. Times
# are printed, never judged.
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=.output/tests/tools/emergency
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: emergency: all: needs root (BPF programs, bpffs)"
	exit 0
fi
if [ ! -x "$tool" ] || [ ! -x ./smtpguard ]; then
	echo "FAIL: emergency: build: $tool or ./smtpguard missing (make test-bins)"
	exit 1
fi
out=$(timeout -k 5 120 "$tool" --smtpguard ./smtpguard --rounds 3 2>&1)
rc=$?
echo "$out" | sed 's/^/emergency: /' >&2
for change in blocked-source bad-host "action block"; do
	line=$(grep -F "  $change " <<<"$out")
	if [ "$rc" -ne 124 ] && grep -q "(3 rounds, 0 failed, 0 sessions lost)" <<<"$line"; then
		echo "PASS: emergency: $change: took effect for the next packets, no session lost"
	else
		echo "FAIL: emergency: $change: ${line:-no result (exit $rc)}"
	fi
done
[ "$rc" -eq 0 ]
