#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_stream_lab.sh - TCP evasions against the lab's real Postfix, from a
# sender that writes its own segments (tests/tools/rawsmtp.py): segments in
# reverse order, one byte at a time, a wrong checksum in front of the real
# segment, overlaps with other bytes, IP fragments, urgent data. For every
# session, what Postfix delivered (the envelope sender in the mailbox) and
# what smtpguard said must agree: a forged sender that reached Postfix was
# alerted (as mail_from, or as the stream_anomaly that says the bytes could
# not be followed); a mail_from alert means Postfix got that sender. Then in
# block mode for stream_anomaly: out-of-order segments are dropped, the
# sender's in-order retransmission is read, a conflicting overlap cuts the
# session off. Last, a SYN flood of 1,000,000 distinct half-open sessions
# while a session is being inspected.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh

t_lab_up stream_lab
# shellcheck source=tests/lab/raw.sh
. tests/lab/raw.sh
raw_up || { t_fail raw_up "no raw sender"; t_exit; exit; }
lab_sg load "$LAB_IFACE" --config "$LAB_SG_CONF" >/dev/null ||
	{ t_fail load "smtpguard load failed"; t_exit; exit; }

# script SPORT-TAG MAILFROM-STEPS-JSON: a whole session, the MAIL FROM
# written by the case's steps, the message marked with X-Case: TAG
script()
{
	"$T_PY" - "$1" "$2" <<-'EOF'
	import json, sys
	tag, steps = sys.argv[1], json.loads(sys.argv[2])
	s = [{"expect": "220"}, {"send": "EHLO raw.outside.test\r\n"}, {"expect": "250"}]
	s += steps + [{"sync": True}, {"expect": "250"},
	              {"send": "RCPT TO:<bob@corp.example>\r\n"}, {"expect": "250"},
	              {"send": "DATA\r\n"}, {"expect": "354"},
	              {"send": "X-Case: %s\r\nSubject: raw\r\n\r\nhello\r\n.\r\n" % tag},
	              {"expect": "250"}, {"close": True}]
	print(json.dumps(s))
	EOF
}

# what Postfix delivered for case TAG: its envelope sender, or "none"
delivered_from()
{
	local f
	f=$(grep -l "^X-Case: $1\$" "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/* 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo none; return; }
	sed -n 's/^Return-Path: <\(.*\)>.*/\1/p' "$f" | head -n 1
}

FORGED='MAIL FROM:<ceo@corp.example>\r\n'
BENIGN='MAIL FROM:<xyz@outside.test>\r\n' # as long as FORGED: 30 bytes
sport=43000

# run_case NAME WANT-POSTFIX WANT-ALERTS STEPS - one raw session from its
# own port; WANT-POSTFIX: forged|benign|none, WANT-ALERTS: the where list
# of its alerts (sorted, comma-joined; "" for none)
run_case()
{
	local name=$1 want_pf=$2 want_al=$3 steps=$4 port=$((sport++)) got_pf got_al out
	script "$port" "$steps" >"$LAB_DIR/case.$port.json"
	# shellcheck disable=SC2086 # RAW_EXTRA: options for rawsmtp.py, split on purpose
	out=$(raw_smtp --sport "$port" ${RAW_EXTRA:-} "$LAB_DIR/case.$port.json" 2>"$LAB_DIR/case.$port.err")
	echo "$out" >"$LAB_DIR/case.$port.out"
	if [ "$want_pf" != none ]; then
		lab_wait_until 10 bash -c "grep -qs '^X-Case: $port\$' '$LAB_MAILDIR'/new/* '$LAB_MAILDIR'/cur/*"
	else
		sleep 1
	fi
	got_pf=$(delivered_from "$port")
	case $got_pf in
	ceo@corp.example) got_pf=forged ;;
	*@outside.test) got_pf=benign ;;
	esac
	lab_sg events >"$LAB_DIR/ev.$port.jsonl"
	got_al=$(t_alert_rows "$LAB_DIR/ev.$port.jsonl" | awk -F'\t' -v p="$port" '$4 == p {print $2}' |
		sort | paste -sd, -)
	if [ "$got_pf" = "$want_pf" ] && [ "$got_al" = "$want_al" ]; then
		t_pass "$name: Postfix got the $want_pf sender, smtpguard said [${want_al:-nothing}]"
	else
		t_fail "$name" "Postfix: $got_pf (want $want_pf); alerts: [$got_al] (want [$want_al]); sender: $(head -c 300 "$LAB_DIR/case.$port.err")"
	fi
	# the agreement the lab exists for: a forged sender Postfix took is never silent
	if [ "$got_pf" = forged ] && [ -z "$got_al" ]; then
		t_fail "$name: agreement" "Postfix took the forged sender and smtpguard said nothing"
	fi
}

steps_rev="[{\"send\": \"${FORGED:20}\", \"at\": 43}, {\"send\": \"${FORGED:10:10}\", \"at\": 33},
	    {\"send\": \"${FORGED:0:10}\", \"at\": 23}]"
steps_bytes=$("$T_PY" -c 'import json,sys; l=sys.argv[1].encode().decode("unicode_escape")
print(json.dumps([{"send": c} for c in l]))' "$FORGED")

# the forged line last segment first: the server reassembles it; smtpguard
# cannot read it in order and says so
run_case "reverse order" forged stream "$steps_rev"
run_case "one-byte segments" forged mail_from "$steps_bytes"
# a wrong checksum: the server drops it, and so does smtpguard's parser
run_case "forged line with a wrong checksum before the real one" benign "" \
	"[{\"send\": \"$FORGED\", \"csum\": \"bad\"}, {\"send\": \"$BENIGN\", \"at\": 23}]"
run_case "benign line with a wrong checksum before the forged one" forged mail_from \
	"[{\"send\": \"$BENIGN\", \"csum\": \"bad\"}, {\"send\": \"$FORGED\", \"at\": 23}]"
# an in-order line, then other bytes over it: the server keeps the first
run_case "overlap with other bytes" benign stream \
	"[{\"send\": \"$BENIGN\"}, {\"send\": \"$FORGED\", \"at\": 23}]"
run_case "IP fragments" forged stream "[{\"send\": \"$FORGED\", \"frag\": [16]}]"
# an old TCP timestamp: the server drops the segment (PAWS), and so does
# smtpguard's parser, and says so (it follows Linux's timestamp closely, not
# exactly); the segment after it at that place is what both read
RAW_EXTRA=--timestamps run_case "PAWS: an old timestamp on the forged line" benign stream \
	"[{\"send\": \"$FORGED\", \"tsval\": -100000}, {\"send\": \"$BENIGN\", \"at\": 23}]"
RAW_EXTRA=--timestamps run_case "timestamps, all current" forged mail_from \
	"[{\"send\": \"$FORGED\"}]"
# the server takes the urgent byte out: it reads ceo@corp.example
run_case "urgent data" forged stream \
	"[{\"send\": \"MAIL FROM:<ceo@corp.exampleX>\\r\\n\", \"urg\": 28}]"

# block mode for stream anomalies: what the server reads is what was parsed
sed 's/^action .*//' "$LAB_SG_CONF" >"$LAB_DIR/block.conf"
echo "action stream_anomaly block" >>"$LAB_DIR/block.conf"
lab_sg policy apply "$LAB_DIR/block.conf" >/dev/null || t_fail block "policy apply failed"
before=$(t_stats_dump "$LAB_DIR/s0.json" && t_stat_value ooo_dropped "$LAB_DIR/s0.json")
run_case "block: reverse order, then the sender's retransmission" forged mail_from "$steps_rev"
run_case "block: IP fragments, then the sender's retransmission" forged mail_from \
	"[{\"send\": \"$FORGED\", \"frag\": [16]}]"
after=$(t_stats_dump "$LAB_DIR/s1.json" && t_stat_value ooo_dropped "$LAB_DIR/s1.json")
t_check "block: out-of-order segments were dropped ($before -> $after)" "ooo_dropped $before -> $after" \
	test "${after:-0}" -ge $((${before:-0} + 2))
run_case "block: overlap with other bytes cuts the session off" none stream \
	"[{\"send\": \"$BENIGN\"}, {\"send\": \"$FORGED\", \"at\": 23}]"
# an old TCP timestamp under block: dropped unread (the server would drop it,
# or never gets it), nothing said, the session goes on
before=$(t_stats_dump "$LAB_DIR/p0.json" && t_stat_value paws_dropped "$LAB_DIR/p0.json")
RAW_EXTRA=--timestamps run_case "block: PAWS: the forged line with an old timestamp is dropped, the session goes on" \
	benign "" "[{\"send\": \"$FORGED\", \"tsval\": -100000}, {\"send\": \"$BENIGN\", \"at\": 23}]"
after=$(t_stats_dump "$LAB_DIR/p1.json" && t_stat_value paws_dropped "$LAB_DIR/p1.json")
t_check "block: PAWS: counted in paws_dropped ($before -> $after)" "paws_dropped $before -> $after" \
	test "${after:-0}" -eq $((${before:-0} + 1))
lab_sg policy apply "$LAB_SG_CONF" >/dev/null

# a SYN flood of 1,000,000 distinct half-open sessions while a session is
# open: it must stay inspected (sg_syns churns, sg_flows does not)
"$T_PY" - "$LAB_DIR/live.json" <<-'EOF'
	import json, sys
	json.dump([{"expect": "220"}, {"send": "EHLO raw.outside.test\r\n"}, {"expect": "250"},
	           {"sleep": 8}, {"send": "MAIL FROM:<ceo@corp.example>\r\n"}, {"expect": "250"},
	           {"close": True}], open(sys.argv[1], "w"))
EOF
raw_smtp --sport 43900 "$LAB_DIR/live.json" >"$LAB_DIR/live.out" 2>&1 &
live_pid=$!
sleep 2
t_stats_dump "$LAB_DIR/f0.json"
raw_flood 1000000 --procs 2 --max-seconds 20 >"$LAB_DIR/flood.json" 2>"$LAB_DIR/flood.err"
wait "$live_pid"
live_rc=$?
t_stats_dump "$LAB_DIR/f1.json"
lab_sg events >"$LAB_DIR/flood-ev.jsonl"
read -r sent secs < <("$T_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["sent"], d["seconds"])' "$LAB_DIR/flood.json" 2>/dev/null)
syns=$(( $(t_stat_value syns_tracked "$LAB_DIR/f1.json") - $(t_stat_value syns_tracked "$LAB_DIR/f0.json") ))
newf=$(( $(t_stat_value flows_new "$LAB_DIR/f1.json") - $(t_stat_value flows_new "$LAB_DIR/f0.json") ))
echo "lab: SYN flood: ${sent:-?} SYNs sent in ${secs:-?} s; syns_tracked +$syns," \
	"flows_new +$newf" >&2
t_check "SYN flood: 1,000,000 SYNs went through the XDP program" \
	"sent $sent, syns_tracked +$syns; $(head -c 300 "$LAB_DIR/flood.err")" \
	test "${sent:-0}" -ge 1000000 -a "$syns" -ge 990000
t_check "SYN flood: no flow entry created by it" "flows_new +$newf" test "$newf" -le 2
t_check "SYN flood: the live session is still inspected (its MAIL FROM alerted)" \
	"rawsmtp rc $live_rc; $(tail -c 300 "$LAB_DIR/live.out")" \
	bash -c "[ $live_rc -eq 0 ] && grep -q '\"src_port\":43900,.*\"where\":\\[\"mail_from\"\\]' '$LAB_DIR/flood-ev.jsonl'"
t_check "SYN flood: the relay still delivers mail" "swaks failed after the flood" \
	lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example --body after-flood
# the evictions are counted: status says how many half-open sessions went
lab_sg status --json >"$LAB_DIR/status.json"
evicted=$("$T_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d.get("half_open_evicted", -1), d.get("half_open", -1))' "$LAB_DIR/status.json" 2>/dev/null)
echo "lab: SYN flood: status: half_open_evicted, half_open = $evicted" >&2
t_check "SYN flood: status counts the evicted half-open sessions" "status: $evicted" \
	test "${evicted%% *}" -ge $((1000000 - 65536 - 10))
# block: the segment with the forged MAIL FROM becomes a RST to the server,
# which aborts the session before any message is queued; the client is not
# told (its later segments are dropped: swaks times out); a legitimate
# session right after is delivered
sed 's/^action .*//' "$LAB_SG_CONF" >"$LAB_DIR/block2.conf"
echo "action spoofed_internal_domain block" >>"$LAB_DIR/block2.conf"
lab_sg policy apply "$LAB_DIR/block2.conf" >/dev/null || t_fail block_rst "policy apply failed"
t_stats_dump "$LAB_DIR/b0.json"
before=$(lab_mail_count)
lost0=$(grep -ac 'lost connection after EHLO' "$LAB_MAILLOG" 2>/dev/null)
lab_send "$LAB_OUT_NS" --local-port 43950 --from ceo@corp.example --to bob@corp.example \
	--header "X-Case: block-rst" --timeout 5 >/dev/null 2>&1
t_stats_dump "$LAB_DIR/b1.json"
rsts=$(( $(t_stat_value blocked_rsts "$LAB_DIR/b1.json") - $(t_stat_value blocked_rsts "$LAB_DIR/b0.json") ))
t_check "block: the forged MAIL FROM became one RST to the server" "blocked_rsts +$rsts" \
	test "$rsts" -eq 1
lost1=$(grep -ac 'lost connection after EHLO' "$LAB_MAILLOG" 2>/dev/null)
t_check "block: Postfix saw the session reset after EHLO (MAIL never reached it) and queued nothing" \
	"lost connection after EHLO: $lost0 -> $lost1; $(tail -n 3 "$LAB_MAILLOG" 2>/dev/null)" \
	bash -c "! grep -qs '^X-Case: block-rst' '$LAB_MAILDIR'/new/* '$LAB_MAILDIR'/cur/* &&
		 [ ${lost1:-0} -gt ${lost0:-0} ]"
lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example --body after-block >/dev/null 2>&1
t_check "block: a legitimate session after it is delivered" "mailbox $before -> $(lab_mail_count)" \
	lab_wait_delivered $((before + 1)) 20
lab_sg policy apply "$LAB_SG_CONF" >/dev/null
t_exit
