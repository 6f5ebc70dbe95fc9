#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_replay_block.sh - a block policy tried on a capture with `smtpguard
# replay`, on the capture's own clock: four one-message sessions from one
# source against `rate-limit 3/min` with `action rate_exceeded block`.
# Ten seconds apart, the fourth is over the limit: one rate_exceeded alert
# with alert.action "blocked", and the summary says one segment became a
# RST. Thirty seconds apart, the sliding minute never holds more than 3:
# nothing is blocked (on the replay machine's clock, which runs through the
# whole capture in milliseconds, the fourth would be).
set -u
cd "$(dirname "$0")/../.." || exit 1

pass() { echo "PASS: replay-block: $*"; }
fail() { echo "FAIL: replay-block: $*"; }
skip() { echo "SKIP: replay-block: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	skip "all: needs root (BPF_PROG_TEST_RUN loads the programs)"
	exit 0
fi
if [ ! -x ./smtpguard ] || [ ! -x /usr/bin/python3 ]; then
	skip "all: smtpguard not built or no /usr/bin/python3"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'port 25\nrate-limit 3/min\naction rate_exceeded block\n' >"$tmp/rate.conf"

# spec GAP: four sessions from 198.51.100.7, GAP seconds apart, one message each
spec() {
	local i out="[" sep=""
	for i in 0 1 2 3; do
		out+="$sep"'{"src": "198.51.100.7", "dst": "192.0.2.25", "sport": '$((41000 + i))', "dport": 25, "time": '$((i * $1))', "segments": ["EHLO a.test\r\n", {"server": "220 relay\r\n250 relay\r\n"}, "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\n", {"server": "250 ok\r\n250 ok\r\n354 go\r\n"}, "Subject: '$i'\r\n\r\nhello\r\n.\r\n", {"server": "250 queued\r\n"}, "QUIT\r\n"]}'
		sep=", "
	done
	echo "$out]"
}

for gap in 10 30; do
	/usr/bin/python3 tests/tools/mkpcap.py "$tmp/g$gap.pcap" "$(spec $gap)" ||
		{ fail "gap $gap: mkpcap failed"; continue; }
	./smtpguard replay --config "$tmp/rate.conf" "$tmp/g$gap.pcap" >"$tmp/g$gap.jsonl" 2>"$tmp/g$gap.err"
done
n=$(grep -c '"reason":\["rate_exceeded"\]' "$tmp/g10.jsonl")
if [ "$n" -eq 1 ] && grep -q '"action":"blocked"' "$tmp/g10.jsonl" &&
	grep -q '"src_port":41003' "$tmp/g10.jsonl" &&
	grep -q '"value":\["4 messages in the last minute, limit 3/min"\]' "$tmp/g10.jsonl"; then
	pass "10 s apart: the 4th message is over 3/min: one alert, blocked"
else
	fail "10 s apart: $n rate_exceeded alerts: $(cat "$tmp/g10.jsonl" "$tmp/g10.err")"
fi
if grep -q 'replay: block: 1 segments rewritten into a RST to the server' "$tmp/g10.err"; then
	pass "10 s apart: the summary says one segment became a RST"
else
	fail "10 s apart: summary: $(grep 'replay:' "$tmp/g10.err")"
fi
if [ ! -s "$tmp/g30.jsonl" ] && ! grep -q 'rewritten into a RST' "$tmp/g30.err"; then
	pass "30 s apart: the capture's clock: the sliding minute holds at most 3, nothing blocked"
else
	fail "30 s apart: $(cat "$tmp/g30.jsonl" "$tmp/g30.err")"
fi
