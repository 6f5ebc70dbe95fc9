#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_replay_stream.sh - TCP stream evasions in crafted captures
# (tests/tools/mkpcap.py) through `smtpguard replay`: what the programs read
# must be what the server's TCP hands to its SMTP daemon. Segments out of
# order, one-byte segments, overlaps with other bytes, wrong and never
# filled-in checksums, IP fragments (IPv4 and IPv6), urgent data, STARTTLS,
# a session picked up mid-stream, a sequence-number wrap-around and a whole
# session with its handshake, replies and FINs: for each, the exact alerts
# and the counter that tells what happened, under `action stream_anomaly
# alert` (the default) and, where it changes things, `block`.
set -u
cd "$(dirname "$0")/../.." || exit 1

pass() { echo "PASS: replay-stream: $*"; }
fail() { echo "FAIL: replay-stream: $*"; }
skip() { echo "SKIP: replay-stream: $*"; }

SG=./smtpguard
MKPCAP=tests/tools/mkpcap.py
if [ "$(id -u)" -ne 0 ]; then
	skip "all: needs root (BPF_PROG_TEST_RUN loads the programs)"
	exit 0
fi
if [ ! -x "$SG" ]; then
	skip "all: smtpguard not built (make test-bins)"
	exit 0
fi
if [ ! -x /usr/bin/python3 ]; then
	skip "all: no /usr/bin/python3 (mkpcap.py writes the captures)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'port 25\ninternal-domain corp.example\n' >"$tmp/alert.conf"
printf 'port 25\ninternal-domain corp.example\naction stream_anomaly block\n' >"$tmp/block.conf"

# Text as it goes inside a JSON string of a spec (\r\n is decoded there).
# The forged line alerts (spoofed_internal_domain in mail_from); the benign
# one has the same length (30 bytes), so that one can be sent over the other.
# EHLO is 13 bytes: the MAIL FROM line after it starts at stream offset 13.
FORGED='MAIL FROM:<ceo@corp.example>\r\n'
BENIGN='MAIL FROM:<xyz@outside.test>\r\n'
EHLO='"EHLO x.test\r\n"'
# alert keys, as alerts() prints them
SA=stream_anomaly:stream
MF=spoofed_internal_domain:mail_from

# sess SPORT SEGMENTS [KEYS]: one session spec, from 198.51.100.7 (outside)
# to 192.0.2.25:25; SEGMENTS and KEYS are JSON text ("isn": 5, ...)
sess() {
	printf '{"src": "198.51.100.7", "dst": "192.0.2.25", "sport": %s, "dport": 25, %s"segments": [%s]}' \
		"$1" "${3:+$3, }" "$2"
}
# one SPORT SEGMENTS [KEYS]: a capture spec of that one session
one() { printf '[%s]' "$(sess "$@")"; }

# run NAME CONF SPEC [REPLAY OPTIONS]: writes NAME.pcap from SPEC and
# replays it under CONF (alert or block): NAME.jsonl the alerts, NAME.err
# the summary. Non-zero if either step failed.
run() {
	local name=$1 conf=$2 spec=$3
	shift 3
	"$MKPCAP" "$tmp/$name.pcap" "$spec" >"$tmp/$name.err" 2>&1 || return 1
	timeout 30 "$SG" replay --config "$tmp/$conf.conf" "$@" "$tmp/$name.pcap" \
		>"$tmp/$name.jsonl" 2>"$tmp/$name.err"
}

# alerts NAME [v]: the run's alerts counted by reason:where (with the value
# in [] if v; "(blocked)" when the alert's action was blocked), sorted, e.g.
# "spoofed_internal_domain:mail_from=1 stream_anomaly:stream=1"; "none"
alerts() {
	/usr/bin/python3 -c '
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    m = e["alert"]["metadata"]
    k = m["reason"][0] + ":" + m["where"][0]
    if len(sys.argv) > 2:
        k += "[" + m["value"][0] + "]"
    if e["alert"]["action"] == "blocked":
        k += "(blocked)"
    c[k] += 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())) or "none")' "$tmp/$1.jsonl" ${2:+"$2"} 2>&1
}

# ctr NAME COUNTER: a counter of the summary's "replay: counters:" (0 if absent)
ctr() {
	awk -v n="$2" '/^replay: counters:/ { on = 1; next }
		on && $1 == n { v = $2 } END { print v + 0 }' "$tmp/$1.err"
}

# drops NAME: the XDP drop verdicts of the run
drops() {
	sed -n 's/^replay: xdp verdicts: .*drop \([0-9]*\),.*/\1/p' "$tmp/$1.err" | grep . || echo "?"
}

# state NAME: what a run gave, for a FAIL line
state() {
	local c s=
	if ! grep -q '^replay: counters:' "$tmp/$1.err"; then
		echo "run failed: $(head -n 2 "$tmp/$1.err" | tr '\n' ' ')"
		return
	fi
	for c in seq_gaps ooo_dropped retransmits stream_conflicts csum_bad csum_offloaded \
		ip_fragment urgent_data tls_started flows_midstream blocked_packets blocked_rsts messages_accepted \
		handshakes flows_freed; do
		[ "$(ctr "$1" "$c")" = 0 ] || s="$s $c=$(ctr "$1" "$c")"
	done
	echo "alerts [$(alerts "$1" v)], xdp drop $(drops "$1"), counters:${s:- none}"
}

# 1. Out of order. The MAIL FROM line in 3 segments, last first (after
# EHLO in order): an IDS that reads segments as they come sees garbage, one
# that buffers and reorders may differ from the server. smtpguard keeps no
# buffer: a gap is a stream_anomaly, the parser resynchronises at the next
# line and the reordered line is not read (no mail_from alert). Under block
# the out-of-order segments are dropped: the sender retransmits them in
# order, and then the line the server gets is the line read.
OOO='{"data": "example>\r\n", "at": 33}, {"data": "<ceo@corp.", "at": 23},
	{"data": "MAIL FROM:", "at": 13}'
if run ooo alert "$(one 40001 "$EHLO, $OOO")" &&
	[ "$(alerts ooo)" = "$SA=1" ] && [ "$(ctr ooo seq_gaps)" -ge 1 ]; then
	pass "MAIL FROM in 3 segments, reverse order: 1 stream_anomaly, no mail_from, seq_gaps $(ctr ooo seq_gaps)"
else
	fail "MAIL FROM in 3 segments, reverse order: expected 1 stream_anomaly, 0 mail_from, seq_gaps >= 1; got $(state ooo)"
fi
if run ooo-block block "$(one 40001 "$EHLO, $OOO")" &&
	[ "$(alerts ooo-block)" = none ] && [ "$(drops ooo-block)" = 2 ] &&
	[ "$(ctr ooo-block ooo_dropped)" = 2 ]; then
	pass "reverse order under block: no alert, the 2 out-of-order segments dropped (ooo_dropped 2)"
else
	fail "reverse order under block: expected no alert, xdp drop 2, ooo_dropped 2; got $(state ooo-block)"
fi
RETX='{"data": "<ceo@corp.", "at": 23}, {"data": "example>\r\n", "at": 33}'
if run ooo-retx block "$(one 40001 "$EHLO, $OOO, $RETX")" &&
	[ "$(alerts ooo-retx)" = "$MF=1" ] && [ "$(ctr ooo-retx ooo_dropped)" = 2 ]; then
	pass "reverse order under block, then the dropped segments retransmitted in order: the mail_from alert, no stream_anomaly"
else
	fail "reverse order under block, then retransmitted in order: expected 1 mail_from, 0 stream_anomaly, ooo_dropped 2; got $(state ooo-retx)"
fi

# 2. One-byte segments: a matcher that looks at one segment at a time never
# sees "MAIL FROM:"; the parser's state must carry over every segment.
BYTES=$(/usr/bin/python3 -c 'import json; print(", ".join(json.dumps(c) for c in "MAIL FROM:<ceo@corp.example>\r\n"))')
if run bytes alert "$(one 40002 "$EHLO, $BYTES")" && [ "$(alerts bytes)" = "$MF=1" ]; then
	pass "a forged MAIL FROM in 30 one-byte segments: 1 mail_from alert, no stream_anomaly"
else
	fail "a forged MAIL FROM in one-byte segments: expected 1 mail_from, nothing else; got $(state bytes)"
fi

# 3. Overlaps with other bytes: which copy the server keeps (Linux: the
# first) is not what a naive IDS reads (often the last). Order A: benign
# first, the forged line over it: the server got the benign one, so no
# mail_from, but the conflict is an anomaly. Order B: forged first (read and
# alerted), benign over it: both alerts. Under block, the conflicting
# segment becomes a RST to the server and the rest of the flow is dropped.
if run overlap-a alert "$(one 40003 "$EHLO, {\"data\": \"$BENIGN\", \"at\": 13}, {\"data\": \"$FORGED\", \"at\": 13}")" &&
	[ "$(alerts overlap-a)" = "$SA=1" ] && [ "$(ctr overlap-a stream_conflicts)" = 1 ]; then
	pass "overlap, benign then forged at the same offset: 1 stream_anomaly, no mail_from, stream_conflicts 1"
else
	fail "overlap, benign then forged: expected 1 stream_anomaly, 0 mail_from, stream_conflicts 1; got $(state overlap-a)"
fi
if run overlap-b alert "$(one 40003 "$EHLO, {\"data\": \"$FORGED\", \"at\": 13}, {\"data\": \"$BENIGN\", \"at\": 13}")" &&
	[ "$(alerts overlap-b)" = "$MF=1 $SA=1" ] && [ "$(ctr overlap-b stream_conflicts)" = 1 ]; then
	pass "overlap, forged then benign at the same offset: 1 mail_from and 1 stream_anomaly"
else
	fail "overlap, forged then benign: expected 1 mail_from + 1 stream_anomaly, stream_conflicts 1; got $(state overlap-b)"
fi
if run overlap-block block "$(one 40003 "$EHLO, {\"data\": \"$BENIGN\", \"at\": 13}, {\"data\": \"$FORGED\", \"at\": 13}, \"QUIT\\r\\n\"")" &&
	[ "$(alerts overlap-block)" = "$SA(blocked)=1" ] && [ "$(drops overlap-block)" = 1 ] &&
	[ "$(ctr overlap-block stream_conflicts)" = 1 ] && [ "$(ctr overlap-block blocked_rsts)" = 1 ] &&
	grep -q '^replay: block: 1 segments rewritten into a RST to the server, 1 client segments dropped after a block' "$tmp/overlap-block.err"; then
	pass "overlap, benign then forged, under block: the stream_anomaly alert is blocked, the conflicting segment becomes a RST to the server, the later QUIT is dropped"
else
	fail "overlap under block: expected 1 blocked stream_anomaly, blocked_rsts 1, xdp drop 1, stream_conflicts 1; got $(state overlap-block)"
fi

# 4. Wrong checksums: the server's kernel drops such a segment, so reading
# it would let an attacker show the IDS a line the server never gets (or
# hide one behind it). A bad-checksum forged line, then the real benign one
# at the same offset: nothing read of the first, no alert, and no conflict
# (the stream did not advance). Reversed: the forged good one alerts.
if run csum-forged alert "$(one 40004 "$EHLO, {\"data\": \"$FORGED\", \"at\": 13, \"csum\": \"bad\"}, {\"data\": \"$BENIGN\", \"at\": 13}")" &&
	[ "$(alerts csum-forged)" = none ] && [ "$(ctr csum-forged csum_bad)" = 1 ]; then
	pass "a bad-checksum forged line before the real benign one: no alert, csum_bad 1"
else
	fail "a bad-checksum forged line before the real benign one: expected no alert, csum_bad 1; got $(state csum-forged)"
fi
if run csum-benign alert "$(one 40004 "$EHLO, {\"data\": \"$BENIGN\", \"at\": 13, \"csum\": \"bad\"}, {\"data\": \"$FORGED\", \"at\": 13}")" &&
	[ "$(alerts csum-benign)" = "$MF=1" ] && [ "$(ctr csum-benign csum_bad)" = 1 ]; then
	pass "a bad-checksum benign line before the real forged one: 1 mail_from alert, no stream_anomaly"
else
	fail "a bad-checksum benign line before the real forged one: expected 1 mail_from, nothing else, csum_bad 1; got $(state csum-benign)"
fi

# 5. IP fragments: not reassembled here, so a session that fragments its
# segments could hide its commands. The first fragment (which carries the
# ports) makes it a stream_anomaly, once per flow; the bytes are not read.
# Two IPv4 sessions: fragments in order (twice: still one alert), and last
# fragment first. Then IPv6 (fragment header). Under block the first
# fragment is dropped like a segment out of order (the packet never becomes
# whole, no alert): the sender's TCP sends the bytes again, unfragmented
# (after a PMTU change, say), and those are read.
FRAG="{\"data\": \"$FORGED\", \"frag\": [16]}"
if run frag4 alert "[$(sess 40005 "$EHLO, $FRAG, $FRAG"),
	$(sess 40006 "$EHLO, {\"data\": \"$FORGED\", \"frag\": [16], \"frag_order\": \"reverse\"}")]" &&
	[ "$(alerts frag4)" = "$SA=2" ] && [ "$(ctr frag4 ip_fragment)" = 3 ] &&
	[ "$(grep -c '"src_port":40005,' "$tmp/frag4.jsonl")" = 1 ] &&
	[ "$(grep -c '"src_port":40006,' "$tmp/frag4.jsonl")" = 1 ]; then
	pass "IPv4 fragments (in order, reversed): 1 stream_anomaly per session, ip_fragment 3, no mail_from"
else
	fail "IPv4 fragments: expected 1 stream_anomaly in each of 2 sessions, 0 mail_from, ip_fragment 3; got $(state frag4)"
fi
if run frag6 alert "[{\"src\": \"2001:db8:bad::7\", \"dst\": \"2001:db8:25::25\", \"sport\": 40007,
	\"dport\": 25, \"segments\": [$EHLO, {\"data\": \"$FORGED\", \"frag\": [24]}]}]" &&
	[ "$(alerts frag6)" = "$SA=1" ] && [ "$(ctr frag6 ip_fragment)" = 1 ]; then
	pass "IPv6 fragments: 1 stream_anomaly, ip_fragment 1, no mail_from"
else
	fail "IPv6 fragments: expected 1 stream_anomaly, 0 mail_from, ip_fragment 1; got $(state frag6)"
fi
if run frag-block block "$(one 40005 "$EHLO, $FRAG, {\"data\": \"$FORGED\", \"at\": 13}")" &&
	[ "$(alerts frag-block)" = "$MF=1" ] && [ "$(drops frag-block)" = 1 ] &&
	[ "$(ctr frag-block ip_fragment)" = 1 ] && [ "$(ctr frag-block ooo_dropped)" = 1 ]; then
	pass "IPv4 fragments under block: the first fragment dropped (ooo_dropped 1, no stream_anomaly), the whole segment sent again read (1 mail_from)"
else
	fail "IPv4 fragments under block, then the segment whole: expected 1 mail_from, nothing else, xdp drop 1, ip_fragment 1, ooo_dropped 1; got $(state frag-block)"
fi

# 6. STARTTLS: once the server said 220, the rest is TLS records: reading
# them as commands would raise alerts on ciphertext that happens to hold a
# line. Refused (454), the session goes on in clear text and is still read
# (a client must not turn parsing off by only asking for TLS). The server's
# replies answer each command in order: EHLO's 250s, then STARTTLS's.
TLS='"\u0016\u0003\u0001\u0000\u0030\u0001\u0000\u0000\u002c\r\n'$FORGED'",
	"\u0017\u0003\u0003\u0000\u0020'$FORGED'"'
if run tls alert "$(one 40010 "$EHLO, {\"server\": \"250-x\\r\\n250 STARTTLS\\r\\n\"}, \"STARTTLS\\r\\n\",
	{\"server\": \"220 2.0.0 Ready to start TLS\\r\\n\"}, $TLS")" &&
	[ "$(alerts tls)" = none ] && [ "$(ctr tls tls_started)" = 1 ]; then
	pass "STARTTLS accepted (220), then TLS records holding a forged MAIL FROM line: no alert, tls_started 1"
else
	fail "STARTTLS accepted then TLS records: expected no alert, tls_started 1; got $(state tls)"
fi
if run tls-refused alert "$(one 40011 "$EHLO, {\"server\": \"250-x\\r\\n250 STARTTLS\\r\\n\"}, \"STARTTLS\\r\\n\",
	{\"server\": \"454 4.7.0 TLS not available\\r\\n\"}, \"$FORGED\"")" &&
	[ "$(alerts tls-refused)" = "$MF=1" ] && [ "$(ctr tls-refused tls_started)" = 0 ]; then
	pass "STARTTLS refused (454), then a forged MAIL FROM: 1 mail_from alert"
else
	fail "STARTTLS refused then a forged MAIL FROM: expected 1 mail_from, tls_started 0; got $(state tls-refused)"
fi

# 7. Mid-stream pickup (no SYN seen: a session older than the programs, or
# its SYN evicted): the first segment begins inside a line, which must not
# be read as a command; the next whole line is.
# (picked up when the server sends on the session: a reply to a command sent
# before the capture began)
if run midstream alert "$(one 40012 '{"server": "250 2.1.0 Ok\r\n"}, "om:<ceo@corp.example>\r\nMAIL FROM:<x@corp.example>\r\n"' '"handshake": "none"')" &&
	[ "$(alerts midstream v)" = "${MF}[x@corp.example]=1" ] && [ "$(ctr midstream flows_midstream)" = 1 ]; then
	pass "picked up mid-stream: the partial line skipped, the next MAIL FROM alerts (x@corp.example), flows_midstream 1"
else
	fail "picked up mid-stream: expected exactly 1 mail_from alert for x@corp.example, flows_midstream 1; got $(state midstream)"
fi

# 8. A capture taken on the sending host: with checksum offload every TCP
# checksum is left unfilled (the pseudo-header sum). Under replay's default
# (auto) these are read and counted, and the summary says so; under yes
# they are wrong (nothing read, the forged line missed); under no nothing
# is checked.
OFFLOAD=$(one 40013 "$EHLO, \"$FORGED\"" '"csum": "partial"')
if run offload alert "$OFFLOAD" && [ "$(alerts offload)" = "$MF=1" ] &&
	[ "$(ctr offload csum_offloaded)" -gt 0 ] &&
	grep -q '^replay: checksums (checksum-validation auto): .* [1-9][0-9]* never filled in .*: read$' "$tmp/offload.err"; then
	pass "an offloaded capture, checksum-validation auto: read (1 mail_from, csum_offloaded $(ctr offload csum_offloaded), said in the summary)"
else
	fail "an offloaded capture, auto: expected 1 mail_from, csum_offloaded > 0, the checksums line saying read; got $(state offload); $(grep '^replay: checksums' "$tmp/offload.err")"
fi
if run offload-yes alert "$OFFLOAD" --checksum-validation yes &&
	[ "$(alerts offload-yes)" = none ] && [ "$(ctr offload-yes csum_bad)" -gt 0 ]; then
	pass "an offloaded capture, checksum-validation yes: not read (no alert, csum_bad $(ctr offload-yes csum_bad))"
else
	fail "an offloaded capture, yes: expected no alert, csum_bad > 0; got $(state offload-yes)"
fi
if run offload-no alert "$OFFLOAD" --checksum-validation no && [ "$(alerts offload-no)" = "$MF=1" ]; then
	pass "an offloaded capture, checksum-validation no: 1 mail_from alert"
else
	fail "an offloaded capture, no: expected 1 mail_from; got $(state offload-no)"
fi

# 9. Urgent data: the server's TCP takes the urgent byte out of the stream
# (Linux's default), so the server reads ceo@corp.example where the bytes
# say ceo@corp.exampleX. The byte is at offset 27; the urgent pointer
# points just past it.
if run urgent alert "$(one 40014 "$EHLO, {\"data\": \"MAIL FROM:<ceo@corp.exampleX>\\r\\n\", \"urg\": 28}")" &&
	[ "$(alerts urgent)" = "$SA=1" ] && [ "$(ctr urgent urgent_data)" = 1 ]; then
	pass "urgent data inside a MAIL FROM line: 1 stream_anomaly, urgent_data 1"
else
	fail "urgent data: expected 1 stream_anomaly, nothing else, urgent_data 1; got $(state urgent)"
fi

# 10. Sequence numbers wrap around: ISN 4294967290, so stream offset 5 is
# sequence number 0; the segment "L FR" spans the wrap and is sent again
# (same bytes: a plain retransmission, no conflict). Compared without
# modular arithmetic, the segments after the wrap would be "old" and the
# line lost.
if run wrap alert "$(one 40015 '"MAI", "L FR", "OM:<ceo@corp.example>\r\n", {"data": "L FR", "at": 3}, "QUIT\r\n"' \
	'"isn": 4294967290')" &&
	[ "$(alerts wrap)" = "$MF=1" ] && [ "$(ctr wrap stream_conflicts)" = 0 ] && [ "$(ctr wrap seq_gaps)" = 0 ]; then
	pass "a forged MAIL FROM across the sequence-number wrap: 1 mail_from, no stream_anomaly"
else
	fail "across the sequence-number wrap: expected 1 mail_from, nothing else, no gap or conflict; got $(state wrap)"
fi

# 11. A whole session as a server's capture has it: SYN, SYN-ACK, ACK, the
# greeting, every command answered, a message queued, QUIT, FINs both ways:
# the message is counted as accepted, the handshake seen, and the flow's
# entry freed at the end (no stale state for a port reused later).
FULL='{"server": "220 mx.corp.example ESMTP\r\n"}, "EHLO x.test\r\n",
	{"server": "250-mx.corp.example\r\n250 8BITMIME\r\n"}, "MAIL FROM:<a@outside.test>\r\n",
	{"server": "250 2.1.0 Ok\r\n"}, "RCPT TO:<bob@corp.example>\r\n", {"server": "250 2.1.5 Ok\r\n"},
	"DATA\r\n", {"server": "354 End data with <CR><LF>.<CR><LF>\r\n"},
	"From: a@outside.test\r\nTo: bob@corp.example\r\nSubject: hi\r\n\r\nhello\r\n.\r\n",
	{"server": "250 2.0.0 Ok: queued as 1234\r\n"}, "QUIT\r\n", {"server": "221 2.0.0 Bye\r\n"},
	{"fin": true}, {"server": "", "flags": "FA"}'
if run full alert "$(one 40016 "$FULL" '"handshake": "full"')" && [ "$(alerts full)" = none ] &&
	[ "$(ctr full messages_accepted)" = 1 ] && [ "$(ctr full handshakes)" = 1 ] &&
	[ "$(ctr full flows_freed)" = 1 ]; then
	pass "a full session (handshake, greeting, replies, FINs): no alert, messages_accepted 1, handshakes 1, flows_freed 1"
else
	fail "a full session: expected no alert, messages_accepted 1, handshakes 1, flows_freed 1; got $(state full)"
fi
exit 0
