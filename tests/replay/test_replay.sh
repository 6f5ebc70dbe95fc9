#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_replay.sh - the committed lab captures through `smtpguard replay`:
# the alerts equal what the live lab raised (tests/data/lab/*.expected.tsv),
# carry the capture's own timestamps, validate as eve, and stay the same when
# the capture is re-encoded in every link type admins' captures come in
# (Linux cooked SLL/SLL2, BSD loopback null/loop, raw IP).
set -u
cd "$(dirname "$0")/../.."

pass() { echo "PASS: replay: $*"; }
fail() { echo "FAIL: replay: $*"; }
skip() { echo "SKIP: replay: $*"; }

SG=./smtpguard
CONV=.output/tests/tools/pcapconv
VALIDATE=tests/tools/eve_validate.py
if [ "$(id -u)" -ne 0 ]; then
	skip "all: needs root (BPF_PROG_TEST_RUN loads the programs)"
	exit 0
fi
if [ ! -x "$SG" ] || [ ! -x "$CONV" ]; then
	skip "all: smtpguard or pcapconv not built (make test-bins)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# reason where src_ip src_port value, one alert a line, sorted
alerts_tsv() {
	/usr/bin/python3 -c '
import json, sys
rows = []
for line in sys.stdin:
    e = json.loads(line)
    m = e["alert"]["metadata"]
    rows.append("\t".join([m["reason"][0], m["where"][0], e["src_ip"], str(e["src_port"]),
                           m["value"][0]]))
if rows:
    print("\n".join(sorted(rows)))'
}

for pcap in tests/data/lab/*.pcap; do
	name=$(basename "$pcap" .pcap)
	conf=tests/data/lab/$name.conf
	want=tests/data/lab/$name.expected.tsv
	[ -f "$conf" ] && [ -f "$want" ] || { fail "$name: no .conf or .expected.tsv"; continue; }
	sort "$want" >"$tmp/want"
	if ! "$SG" replay --config "$conf" "$pcap" >"$tmp/$name.jsonl" 2>"$tmp/$name.err"; then
		fail "$name: replay exited non-zero: $(head -n 1 "$tmp/$name.err")"
		continue
	fi
	alerts_tsv <"$tmp/$name.jsonl" >"$tmp/got"
	if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		pass "$name: the alerts of the live session ($(wc -l <"$tmp/want"))"
	else
		fail "$name: alerts differ: $(tr '\n' ' ' <"$tmp/diff" | cut -c1-300)"
	fi
	grep -q '^replay: .* packets, .* alerts' "$tmp/$name.err" &&
		pass "$name: summary on stderr" || fail "$name: no summary on stderr"

	# each alert's timestamp is the capture time of one of that session's packets
	ok=1
	while IFS=$'\t' read -r ts port; do
		tcpdump -nn -tt -r "$pcap" "tcp port $port" 2>/dev/null | awk '{print $1}' >"$tmp/times"
		want_ts=$(/usr/bin/python3 -c '
import sys, datetime
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%f+0000")
t = t.replace(tzinfo=datetime.timezone.utc)
print("%.6f" % t.timestamp())' "$ts")
		grep -qx "$want_ts" "$tmp/times" || { ok=0; echo "# $ts ($want_ts) not a packet time of port $port"; }
	done < <(/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l); print(e["timestamp"] + "\t" + str(e["src_port"]))' "$tmp/$name.jsonl")
	[ "$ok" = 1 ] && pass "$name: alerts carry the capture's timestamps" ||
		fail "$name: an alert timestamp is not a capture time"

	if [ -x "$VALIDATE" ]; then
		"$VALIDATE" "$tmp/$name.jsonl" >"$tmp/val" 2>&1
		case $? in
		0) pass "$name: every line validates against the eve schema" ;;
		2) skip "$name: eve schema check: $(head -n 1 "$tmp/val")" ;;
		*) fail "$name: eve schema: $(head -n 3 "$tmp/val" | tr '\n' ' ')" ;;
		esac
	fi

	for lt in sll sll2 null loop raw; do
		if ! "$CONV" "$pcap" "$tmp/$name.$lt.pcap" "$lt" 2>"$tmp/conv.err"; then
			fail "$name as $lt: pcapconv: $(head -n 1 "$tmp/conv.err")"
			continue
		fi
		"$SG" replay --config "$conf" "$tmp/$name.$lt.pcap" 2>/dev/null | alerts_tsv >"$tmp/got.$lt"
		if diff -q "$tmp/want" "$tmp/got.$lt" >/dev/null; then
			pass "$name re-encoded as $lt: the same alerts"
		else
			fail "$name re-encoded as $lt: alerts differ"
		fi
	done
done

# a policy change between captures: the same session alerts only under it
# (the run itself must succeed and read packets: an empty result from a
# replay that failed would otherwise look like "no alert")
"$SG" replay --config tests/data/lab/lab-forged.conf tests/data/lab/lab-policy-add.pcap \
	>"$tmp/none.jsonl" 2>"$tmp/none.err"
rc=$?
alerts_tsv <"$tmp/none.jsonl" >"$tmp/none"
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/none" ] && grep -q '^replay: [1-9][0-9]* packets, 0 alerts' "$tmp/none.err"; then
	pass "corp-mail.example session under the base policy: no alert"
else
	fail "corp-mail.example session under the base policy: rc $rc, $(wc -l <"$tmp/none") alerts, $(head -n 1 "$tmp/none.err")"
fi

# two captures in one run print both files' alerts; under this policy the
# first capture's corp-mail.example session (41005) alerts too
"$SG" replay --config tests/data/lab/lab-policy-add.conf tests/data/lab/lab-forged.pcap \
	tests/data/lab/lab-policy-add.pcap 2>/dev/null | alerts_tsv >"$tmp/both"
[ "$(wc -l <"$tmp/both")" -eq 5 ] && grep -q "41005" "$tmp/both" && grep -q "41008" "$tmp/both" &&
	pass "two captures in one run under the wider policy: 5 alerts" ||
	fail "two captures in one run: $(wc -l <"$tmp/both") alerts, expected 5"

# an offload-sized frame (as captured on a sending host) cannot be run
# faithfully: counted, said, and the exit status is not 0
tests/tools/mkpcap.py "$tmp/big.pcap" '[{"src": "198.51.100.7", "dst": "192.0.2.25",
	"sport": 40000, "dport": 25,
	"segments": ["MAIL FROM:<ceo@corp.example>\r\n'"$(printf 'x%.0s' $(seq 1 5000))"'"]}]'
"$SG" replay --config tests/data/lab/lab-forged.conf "$tmp/big.pcap" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "1 frames were not run" "$tmp/err" &&
	grep -q "^smtpguard: replay: 1 packets could not be run" "$tmp/err"; then
	pass "an offload-sized frame: not run, said so, exit status $rc"
else
	fail "an offload-sized frame: rc $rc, stderr: $(tr '\n' ' ' <"$tmp/err" | cut -c1-200)"
fi

# a relay's capture holds its outbound deliveries too (the relay as client of
# another server's port 25): --server-net keeps replay to the sessions that
# live XDP ingress reads as client segments
tests/tools/mkpcap.py "$tmp/out.pcap" '[{"src": "192.0.2.25", "dst": "198.51.100.9",
	"sport": 40100, "dport": 25, "segments": ["EHLO relay.corp.example\r\n",
	"MAIL FROM:<alice@corp.example>\r\n"]},
	{"src": "198.51.100.7", "dst": "192.0.2.25", "sport": 40101, "dport": 25,
	"segments": ["EHLO x.test\r\nMAIL FROM:<ceo@corp.example>\r\n"]}]'
all=$("$SG" replay --config tests/data/lab/lab-forged.conf "$tmp/out.pcap" 2>/dev/null | alerts_tsv | wc -l)
only=$("$SG" replay --config tests/data/lab/lab-forged.conf --server-net 192.0.2.25/32 "$tmp/out.pcap" \
	2>/dev/null | alerts_tsv)
if [ "$all" = 3 ] && [ "$(echo "$only" | wc -l)" = 1 ] && grep -q 40101 <<<"$only"; then
	pass "--server-net: the relay's own outbound session is not read as inbound"
else
	fail "--server-net: $all alerts without, [$only] with"
fi

# bad input: one line on stderr, non-zero exit
printf 'not a capture\n' >"$tmp/text.pcap"
head -c 700 tests/data/lab/lab-forged.pcap >"$tmp/cut.pcap"
for f in "$tmp/text.pcap" "$tmp/cut.pcap" "$tmp/missing.pcap"; do
	"$SG" replay --config tests/data/lab/lab-forged.conf "$f" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "^smtpguard: .*$(basename "$f")" "$tmp/err"; then
		pass "replay of $(basename "$f"): clear error ($(grep '^smtpguard:' "$tmp/err" | head -n 1))"
	else
		fail "replay of $(basename "$f"): rc $rc, stderr: $(head -n 2 "$tmp/err" | tr '\n' ' ')"
	fi
done
exit 0
