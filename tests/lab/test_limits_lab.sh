#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_limits_lab.sh - what a source has done decides what it may do, with
# the lab's real Postfix:
# - rate-limit: the trusted partner (a hijacked Exchange, say) sends 300
#   messages in well under a minute against `rate-limit 200/min` with
#   `action rate_exceeded block`: exactly 200 are delivered, the other 100
#   are cut off before Postfix has their end of data (not in the mailbox,
#   not queued), each is a rate_exceeded alert with alert.action "blocked",
#   and bpftool shows the source's minute in sg_sources;
# - quarantine 3/10m for 1h: after three forged sessions from the outside are
#   blocked, its connections are refused (SYNs dropped), status and an event
#   say so, `policy apply` keeps it, and `policy del blocked-source` lifts it;
# - fail-closed: a session open before smtpguard was loaded passes with
#   fail-closed no (fail open, picked up mid-stream) and is cut off with
#   fail-closed yes, while new sessions are delivered.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh

t_lab_up limits_lab
BURST="$T_PY $LAB_REPO/tests/tools/burst.py"

# mailbox: messages carrying header line $1
in_mailbox() { grep -ls "^$1" "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/* 2>/dev/null | wc -l; }
queue_settled() { lab_queue_empty; }

conf=$LAB_DIR/limits.conf
{
	grep -v '^action' "$LAB_SG_CONF"
	echo "action spoofed_internal_domain block"
	echo "rate-limit 200/min"
	echo "action rate_exceeded block"
} >"$LAB_DIR/rate.conf"
# quarantine counts every blocked session, rate-limited ones too: the
# partner would be quarantined after its third, so it is set after the burst
{ cat "$LAB_DIR/rate.conf"; echo "quarantine 3/10m for 1h"; } >"$conf"
lab_sg load "$LAB_IFACE" --config "$LAB_DIR/rate.conf" >/dev/null ||
	{ t_fail load "smtpguard load failed"; t_exit; exit; }

# ---- rate-limit: 300 messages from the trusted partner in under a minute
t_stats_dump "$LAB_DIR/r0.json"
lab_nsx "$LAB_PARTNER_NS" timeout -k 2 55 $BURST --server "$LAB_RELAY_IP4" --count 300 \
	--parallel 12 --timeout 2 --tag rate >"$LAB_DIR/burst.json" 2>"$LAB_DIR/burst.err"
t_stats_dump "$LAB_DIR/r1.json"
read -r accepted failed secs < <("$T_PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(len(d["accepted"]), len(d["failed"]), d["seconds"])' "$LAB_DIR/burst.json" 2>/dev/null)
echo "lab: rate burst: ${accepted:-?} accepted, ${failed:-?} failed in ${secs:-?} s" >&2
t_check "rate-limit: the burst of 300 took under a minute" "$(cat "$LAB_DIR/burst.err")" \
	"$T_PY" -c 'import sys; sys.exit(not float(sys.argv[1]) < 60)' "${secs:-99}"
t_check "rate-limit: the partner saw 250 for exactly 200 of 300 messages" \
	"accepted $accepted, failed $failed" test "${accepted:-0}" -eq 200 -a "${failed:-0}" -eq 100
lab_wait_until 20 queue_settled
lab_wait_delivered 200 30 >/dev/null 2>&1
n=$(in_mailbox "X-Burst: rate-")
t_check "rate-limit: exactly 200 are in the mailbox, the queue is empty" \
	"mailbox $n, queue empty: $(lab_queue_empty && echo yes || echo no)" \
	bash -c "[ $n -eq 200 ] && $(declare -f lab_queue_empty); LAB_DIR='$LAB_DIR' lab_queue_empty"
over=$(( $(t_stat_value rate_exceeded "$LAB_DIR/r1.json") - $(t_stat_value rate_exceeded "$LAB_DIR/r0.json") ))
rsts=$(( $(t_stat_value blocked_rsts "$LAB_DIR/r1.json") - $(t_stat_value blocked_rsts "$LAB_DIR/r0.json") ))
t_check "rate-limit: 100 messages over the limit, each cut off with a RST to Postfix" \
	"rate_exceeded +$over, blocked_rsts +$rsts" test "$over" -eq 100 -a "$rsts" -eq 100
LAB_SG_TIMEOUT=15 lab_sg events >"$LAB_DIR/rate.events" 2>/dev/null
rows=$(t_alert_rows "$LAB_DIR/rate.events" | awk -F'\t' '$1 == "rate_exceeded" && $3 == "203.0.113.5"' | wc -l)
blocked=$(grep -c '"reason":\["rate_exceeded"\]' "$LAB_DIR/rate.events")
t_check "rate-limit: 100 rate_exceeded alerts for the partner, all with action blocked" \
	"rows $rows; $(grep -m1 rate_exceeded "$LAB_DIR/rate.events")" \
	bash -c "[ $rows -eq 100 ] && [ $blocked -eq 100 ] &&
		 [ \$(grep '\"rate_exceeded\"' '$LAB_DIR/rate.events' | grep -c '\"action\":\"blocked\"') -eq 100 ] &&
		 grep -q 'messages in the last minute, limit 200/min' '$LAB_DIR/rate.events'"
# the operator's view: bpftool on the pinned sg_sources
t_relay_bpftool -j map dump pinned "$LAB_PIN_DIR/sg_sources" >"$LAB_DIR/sources.json" 2>&1
win=$("$T_PY" - "$LAB_DIR/sources.json" <<-'EOF'
	import json, sys
	for e in json.load(open(sys.argv[1])):
	    v = e.get("formatted", e).get("value")
	    if isinstance(v, dict) and v.get("rate_exceeded"):
	        print(v.get("win_messages"), v.get("rate_exceeded"))
	EOF
)
t_check "rate-limit: bpftool shows the partner's minute in sg_sources: 200 in it, 100 over" \
	"$win" test "$win" = "200 100"

# ---- quarantine: three blocked forged sessions, then the source is refused
lab_sg policy apply "$conf" >/dev/null || t_fail quarantine "policy apply failed"
t_stats_dump "$LAB_DIR/q0.json"
for i in 1 2 3; do
	lab_nsx "$LAB_OUT_NS" timeout -k 2 20 $BURST --server "$LAB_RELAY_IP4" --count 1 \
		--timeout 2 --from ceo@corp.example --tag "forged$i" >>"$LAB_DIR/forged.json" 2>&1
done
t_stats_dump "$LAB_DIR/q1.json"
q=$(( $(t_stat_value quarantines "$LAB_DIR/q1.json") - $(t_stat_value quarantines "$LAB_DIR/q0.json") ))
t_check "quarantine: three blocked sessions quarantine the outside source" "quarantines +$q" \
	test "$q" -eq 1
t_check "quarantine: none of the forged messages reached the mailbox" \
	"$(in_mailbox "X-Burst: forged")" test "$(in_mailbox "X-Burst: forged")" -eq 0
lab_nsx "$LAB_OUT_NS" timeout -k 2 20 $BURST --server "$LAB_RELAY_IP4" --count 1 --timeout 3 \
	--from a@example.net --tag refused >"$LAB_DIR/refused.json" 2>&1
t_stats_dump "$LAB_DIR/q2.json"
syns=$(( $(t_stat_value blocked_syns "$LAB_DIR/q2.json") - $(t_stat_value blocked_syns "$LAB_DIR/q1.json") ))
t_check "quarantine: a legitimate message from it now gets no connection (its SYNs dropped)" \
	"$(cat "$LAB_DIR/refused.json"); blocked_syns +$syns" \
	bash -c "grep -q '\"accepted\": \[\]' '$LAB_DIR/refused.json' && [ $syns -ge 1 ]"
lab_sg status >"$LAB_DIR/status.txt" 2>&1
lab_sg status --json >"$LAB_DIR/status.json" 2>&1
t_check "quarantine: status says so, in text and JSON" "$(grep -i quarantin "$LAB_DIR/status.txt")" \
	bash -c "grep -q 'quarantined 198.51.100.7/32 for' '$LAB_DIR/status.txt' &&
		 $T_PY -c 'import json,sys; d=json.load(open(sys.argv[1]))[\"quarantine\"]
sys.exit(not (d[\"blocked_sessions\"] == 3 and d[\"quarantined\"][0][\"source\"] == \"198.51.100.7/32\"
and 3500 < d[\"quarantined\"][0][\"expires_in_s\"] <= 3600))' '$LAB_DIR/status.json'"
LAB_SG_TIMEOUT=15 lab_sg events >"$LAB_DIR/q.events" 2>/dev/null
t_check "quarantine: an event says the source was quarantined (blocked, 3 sessions, 3600 s)" \
	"$(grep -c source_quarantined "$LAB_DIR/q.events") events" \
	bash -c "grep source_quarantined '$LAB_DIR/q.events' | grep '\"src_ip\":\"198.51.100.7\"' |
		 grep '\"action\":\"blocked\"' | grep -q '3 blocked sessions: connections refused for 3600 s'"
lab_sg policy apply "$conf" >/dev/null 2>&1
lab_nsx "$LAB_OUT_NS" timeout -k 2 20 $BURST --server "$LAB_RELAY_IP4" --count 1 --timeout 3 \
	--connect-only >"$LAB_DIR/refused2.json" 2>&1
t_check "quarantine: kept across a policy apply" "$(cat "$LAB_DIR/refused2.json")" \
	grep -q '"accepted": \[\]' "$LAB_DIR/refused2.json"
lab_sg policy del blocked-source 198.51.100.7/32 >/dev/null 2>"$LAB_DIR/del.err"
before=$(lab_mail_count)
lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example --header "X-Case: released" \
	>/dev/null 2>&1
t_check "quarantine: policy del blocked-source lifts it: the next message is delivered" \
	"$(cat "$LAB_DIR/del.err"); mailbox $before -> $(lab_mail_count)" \
	lab_wait_delivered $((before + 1)) 20

# ---- fail-closed: a session that began before smtpguard was loaded
# old_session TAG: connects and says EHLO now, sends its message once
# $LAB_DIR/go exists (30 s at most); its JSON result on stdout
old_session()
{
	lab_nsx "$LAB_OUT_NS" timeout -k 2 60 "$T_PY" - "$LAB_RELAY_IP4" "$LAB_DIR/go" "$1" <<-'EOF'
	import json, os, socket, sys, time
	relay, go, tag = sys.argv[1:4]
	s = socket.create_connection((relay, 25), timeout=5)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline()
	        if not l:
	            raise OSError("closed")
	        if l[3:4] != b"-":
	            return l[:3].decode()
	out = {"greeting": reply()}
	s.sendall(b"EHLO old.example.net\r\n")
	out["ehlo"] = reply()
	for _ in range(300):
	    if os.path.exists(go):
	        break
	    time.sleep(0.1)
	s.settimeout(4)
	try:
	    for line, want in ((b"MAIL FROM:<a@example.net>\r\n", "250"),
	                       (b"RCPT TO:<bob@corp.example>\r\n", "250"), (b"DATA\r\n", "354"),
	                       (b"X-Case: %s\r\nSubject: old\r\n\r\nhi\r\n.\r\n" % tag.encode(), "250")):
	        s.sendall(line)
	        out[line[:4].decode()] = reply()
	    out["delivered"] = True
	except (OSError, socket.timeout) as e:
	    out["delivered"] = False
	    out["error"] = str(e)
	print(json.dumps(out))
	EOF
}

# fail_case yes|no: the old session while smtpguard loads with fail-closed $1
fail_case()
{
	local mode=$1 out=$LAB_DIR/old-$1.json
	lab_sg unload "$LAB_IFACE" >/dev/null 2>&1
	rm -f "$LAB_DIR/go"
	{ grep -v '^action\|^quarantine\|^rate' "$LAB_SG_CONF"; echo "fail-closed $mode"; } \
		>"$LAB_DIR/fail-$mode.conf"
	old_session "old-$mode" >"$out" 2>&1 &
	local pid=$!
	sleep 1
	lab_sg load "$LAB_IFACE" --config "$LAB_DIR/fail-$mode.conf" >/dev/null 2>&1 ||
		t_fail "fail-closed $mode: load" "smtpguard load failed"
	t_stats_dump "$LAB_DIR/f0-$mode.json"
	touch "$LAB_DIR/go"
	wait "$pid"
	t_stats_dump "$LAB_DIR/f1-$mode.json"
}

fail_case no
t_check "fail-closed no: a session open before loading goes on and is delivered" \
	"$(cat "$LAB_DIR/old-no.json")" \
	bash -c "grep -q '\"delivered\": true' '$LAB_DIR/old-no.json' &&
		 grep -qs '^X-Case: old-no' '$LAB_MAILDIR'/new/* '$LAB_MAILDIR'/cur/*"
fail_case yes
drops=$(( $(t_stat_value fail_closed_drops "$LAB_DIR/f1-yes.json") - $(t_stat_value fail_closed_drops "$LAB_DIR/f0-yes.json") ))
t_check "fail-closed yes: that session is cut off: its segments dropped, nothing delivered" \
	"$(cat "$LAB_DIR/old-yes.json"); fail_closed_drops +$drops" \
	bash -c "grep -q '\"delivered\": false' '$LAB_DIR/old-yes.json' && [ $drops -ge 1 ] &&
		 ! grep -qs '^X-Case: old-yes' '$LAB_MAILDIR'/new/* '$LAB_MAILDIR'/cur/*"
before=$(lab_mail_count)
lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example --header "X-Case: new-fc" \
	>/dev/null 2>&1
t_check "fail-closed yes: a new session is followed and delivered" \
	"mailbox $before -> $(lab_mail_count)" lab_wait_delivered $((before + 1)) 20
t_exit
