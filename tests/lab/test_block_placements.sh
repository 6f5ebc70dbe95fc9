#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_block_placements.sh - block mode against the lab's real Postfix,
# however the bytes fall. smtpguard runs on the relay with
# `action spoofed_internal_domain block` and `action bad_redirect_host block`
# (bad-host redir.badcdn.test); tests/tools/rawsmtp.py writes every segment
# by hand, and tests/lab/block_placements.py lists the placements: the
# offending token (a forged MAIL FROM or From: header, a link to the bad
# host) and the end of data in one segment, in different segments, the end
# of data itself split, pipelined commands, the whole transaction in one
# segment, BDAT chunks, a forged message after a legitimate one in the same
# session, IPv6. For each blocked session: no message with its X-Case in the
# Maildir and Postfix's queue empty once Postfix has ended the session, one
# RST to the server (blocked_rsts +1), an alert with alert.action "blocked"
# for that session's port. The same placements with a legitimate message
# (the controls) are delivered, with no RST and no alert, so blocking
# everything cannot pass; and with a policy that only alerts, a few of the
# bad sessions are delivered (alert.action "allowed"), so the checks that
# find a blocked message missing do find one that is there. Last, a
# legitimate session from swaks is delivered.
#
# Group 8 holds the placements smtpguard cannot read as they come: a forged
# From: in tiny BDAT chunks or a bad link after many MIME parts, all in one
# segment (past the tail-call budget: messages_unread), and the token
# completed in a segment sent ahead of a gap (out of order). A policy with a
# block rule and no `action stream_anomaly` line blocks stream anomalies too
# (smtpguard.conf(5)), so these are blocked as well: the first two as
# stream_anomaly, the third as header_from once the sender's TCP sends the
# dropped segment again in order.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh

t_lab_up block_placements
# shellcheck source=tests/lab/raw.sh
. tests/lab/raw.sh
raw_up || { t_fail raw_up "no raw sender"; t_exit; exit; }

# the lab's policy, its actions replaced by the two block rules
CONF=$LAB_DIR/block.conf
{
	sed '/^action /d' "$LAB_SG_CONF"
	echo "bad-host redir.badcdn.test"
	echo "action spoofed_internal_domain block"
	echo "action bad_redirect_host block"
} >"$CONF"
lab_sg load "$LAB_IFACE" --config "$CONF" >/dev/null ||
	{ t_fail load "smtpguard load failed"; t_exit; exit; }

CASES=$LAB_DIR/cases
mkdir -p "$CASES"
export RAW_TIMEOUT=20

# Postfix's smtpd sessions ended so far (it logs one disconnect a session,
# also after a RST)
pf_disconnects() { grep -ac 'postfix/smtpd\[[0-9]*\]: disconnect from' "$LAB_MAILLOG" 2>/dev/null; }
pf_ended_since() { [ "$(pf_disconnects)" -gt "$1" ]; }

# in_mailbox TAG - a delivered message carries X-Case: TAG
in_mailbox() { grep -qs "^X-Case: $1\$" "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/*; }
all_in_mailbox()
{
	local t
	for t in "$@"; do in_mailbox "$t" || return 1; done
}
none_in_mailbox()
{
	local t
	for t in "$@"; do ! in_mailbox "$t" || return 1; done
}

# blocked_rsts now (from a fresh dump of sg_stats; the one before is kept)
rsts_now()
{
	[ -f "$LAB_DIR/stats.json" ] && mv "$LAB_DIR/stats.json" "$LAB_DIR/stats.prev.json"
	t_stats_dump "$LAB_DIR/stats.json" && t_stat_value blocked_rsts "$LAB_DIR/stats.json"
}

# what the last session moved, for a failure's detail
stat_deltas()
{
	local c out=
	for c in blocked_packets alerts messages_unread seq_gaps ooo_dropped stream_conflicts; do
		out+="$c +$(($(t_stat_value "$c" "$LAB_DIR/stats.json") - $(t_stat_value "$c" "$LAB_DIR/stats.prev.json"))) "
	done
	echo "$out"
}

# session_alerts EVENTS PORT - "action reason where" for each alert of the
# session from client port PORT ("INVALID" for a line that is not JSON)
session_alerts()
{
	"$T_PY" - "$1" "$2" <<-'EOF'
	import json, sys
	for line in open(sys.argv[1], errors="replace"):
	    if not line.strip():
	        continue
	    try:
	        ev = json.loads(line)
	    except ValueError:
	        print("INVALID " + line.strip()[:80])
	        continue
	    if ev.get("event_type") != "alert" or ev.get("src_port") != int(sys.argv[2]):
	        continue
	    a = ev.get("alert") or {}
	    md = a.get("metadata") or {}
	    print(a.get("action"), ",".join(md.get("reason", [])), ",".join(md.get("where", [])))
	EOF
}

# queued_replies OUT - how many "250 ... queued as" replies rawsmtp.py got
queued_replies()
{
	"$T_PY" -c 'import json, sys
try:
    r = json.load(open(sys.argv[1])).get("replies", [])
except ValueError:
    r = []
print(sum(1 for l in r if l.startswith("250") and "queued as" in l))' "$1"
}

# the flow's entry for client port PORT, for a failure's detail
flow_of()
{
	lab_sg flows --json 2>/dev/null | "$T_PY" -c 'import json, sys
port = int(sys.argv[1])
def walk(x):
    if isinstance(x, dict):
        if port in (x.get("src_port"), x.get("sport")):
            yield x
        for v in x.values():
            yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)
try:
    print(json.dumps(next(walk(json.load(sys.stdin)), "no flow"))[:400])
except ValueError:
    print("flows: not JSON")' "$1"
}

EVENTS=$LAB_DIR/events.jsonl
: >"$EVENTS"
BLOCKED_TAGS=()
rsts=$(rsts_now) || { t_fail stats "cannot read sg_stats"; t_exit; exit; }
start=$SECONDS

# run_case MANIFEST-LINE - one raw session and its checks
run_case()
{
	local port fam verdict reason where dtags btags name v6="" d0 rc r1 al want q f delivered=no
	local -a dl bl
	IFS=$'\t' read -r port fam verdict reason where dtags btags name <<<"$1"
	[ "$fam" = 6 ] && v6=-6
	dl=() bl=()
	[ "$dtags" = - ] || IFS=, read -r -a dl <<<"$dtags"
	[ "$btags" = - ] || IFS=, read -r -a bl <<<"$btags"
	BLOCKED_TAGS+=("${bl[@]}")
	f=$CASES/$port
	d0=$(pf_disconnects)
	rc=0
	# shellcheck disable=SC2086 # v6: -6 or nothing
	raw_smtp $v6 --sport "$port" --timeout 15 "$f.json" >"$f.out" 2>"$f.err" || rc=$?
	# Postfix has ended the session: whatever it took is queued by now
	lab_wait_until 5 pf_ended_since "$d0" ||
		t_fail "$name: Postfix ended the session" "no new disconnect in $LAB_MAILLOG"
	[ ${#dl[@]} -eq 0 ] || lab_wait_until 10 all_in_mailbox "${dl[@]}"
	# a message Postfix took is in the queue or the Maildir: wait for the
	# queue to drain, then look at the Maildir
	lab_wait_until 5 lab_queue_empty
	r1=$(rsts_now)
	LAB_SG_TIMEOUT=15 lab_sg events >"$f.ev" 2>"$f.ev.err" ||
		t_fail "$name: events" "smtpguard events failed: $(head -n 1 "$f.ev.err")"
	cat "$f.ev" >>"$EVENTS"
	al=$(session_alerts "$f.ev" "$port" | sort | paste -sd ';' -)
	q=$(queued_replies "$f.out")
	# answered to the end, every message of the session queued and delivered
	[ "$rc" -eq 0 ] && all_in_mailbox "${dl[@]}" && [ "$q" -eq ${#dl[@]} ] && delivered=yes
	if [ "$verdict" = block ]; then
		if none_in_mailbox "${bl[@]}" && lab_queue_empty && [ "$q" -eq ${#dl[@]} ]; then
			t_pass "$name: blocked: not in the Maildir, queue empty"
		else
			t_fail "$name: blocked: not in the Maildir, queue empty" \
				"in the Maildir: $(in_mailbox "${bl[0]}" && echo yes || echo no); queue empty: $(lab_queue_empty && echo yes || echo no); queued replies: $q; rawsmtp rc $rc: $(tail -c 300 "$f.out"); flow: $(flow_of "$port")"
		fi
		if [ "${r1:-0}" -eq $((rsts + 1)) ]; then
			t_pass "$name: one RST to the server"
		else
			t_fail "$name: one RST to the server" \
				"blocked_rsts $rsts -> $r1, $(stat_deltas); flow: $(flow_of "$port")"
		fi
		want="blocked $reason $where"
		t_check "$name: alert.action blocked ($reason, $where)" "alerts of port $port: [$al]" \
			test "$al" = "$want"
	elif [ "$verdict" = alert ]; then
		t_check "$name: delivered" \
			"mailbox: $(lab_mail_count) messages; rawsmtp rc $rc: $(tail -c 300 "$f.err")" \
			test "$delivered" = yes
		t_check "$name: no RST, alert.action allowed ($reason, $where)" \
			"blocked_rsts $rsts -> $r1; alerts of port $port: [$al]" \
			test "${r1:-0}" -eq "$rsts" -a "$al" = "allowed $reason $where"
	else
		t_check "$name: delivered" \
			"mailbox: $(lab_mail_count) messages; rawsmtp rc $rc: $(tail -c 300 "$f.err")" \
			test "$delivered" = yes
		t_check "$name: no RST, no alert" "blocked_rsts $rsts -> $r1; alerts: [$al]" \
			test "${r1:-0}" -eq "$rsts" -a -z "$al"
	fi
	[ "$verdict" = block ] && [ ${#dl[@]} -gt 0 ] &&
		t_check "$name: the session's first message was delivered" \
			"mailbox: $(lab_mail_count) messages; queued replies: $q" all_in_mailbox "${dl[@]}"
	rsts=${r1:-$rsts}
}

# run_group GROUP FIRST_PORT - the sessions block_placements.py lists for GROUP
run_group()
{
	local group=$1 port=$2 line
	if ! "$T_PY" tests/lab/block_placements.py "$CASES" "$port" "$group" >"$CASES/$group.tsv"; then
		t_fail "cases ($group)" "block_placements.py failed"
		return
	fi
	while IFS= read -r line; do
		run_case "$line"
	done <"$CASES/$group.tsv"
	SESSIONS=$((SESSIONS + $(wc -l <"$CASES/$group.tsv")))
}
SESSIONS=0

# 1-7: the placements and their legitimate controls, under the block policy
run_group main 44000

# 8: placements smtpguard cannot read as they come (past the tail-call
# budget of one segment, or ahead of a gap): under the same policy, whose
# block rules make stream_anomaly block too, the message must not be
# delivered either
run_group unread-sa 45100

# The checks above cannot pass for want of looking: under a policy that only
# alerts, bad sessions placed as above are delivered and found in the
# Maildir, with alert.action "allowed" and no RST
{
	sed '/^action /d' "$CONF"
	echo "action spoofed_internal_domain alert"
	echo "action bad_redirect_host alert"
} >"$LAB_DIR/alert.conf"
if lab_sg policy apply "$LAB_DIR/alert.conf" >/dev/null; then
	run_group alert 45000
else
	t_fail "policy apply (alert only)" "smtpguard policy apply failed"
fi
lab_sg policy apply "$CONF" >/dev/null || t_fail "policy apply (block)" "smtpguard policy apply failed"

# (d) the relay still delivers a legitimate session, from swaks
before=$(lab_mail_count)
t_check "a legitimate session after the blocked ones is delivered" "swaks failed" \
	lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example \
	--header "X-Case: bp-after" --body after-block-placements
t_check "  ... and reaches the Maildir" "mailbox $before -> $(lab_mail_count)" \
	lab_wait_until 10 in_mailbox bp-after
# a blocked message delivered late would show now
late=()
for t in "${BLOCKED_TAGS[@]}"; do in_mailbox "$t" && late+=("$t"); done
t_check "no blocked message reached the Maildir by the end (${#BLOCKED_TAGS[@]} blocked)" \
	"delivered: ${late[*]}" test ${#late[@]} -eq 0
t_eve_validate "the alerts are valid eve JSON" "$EVENTS"
echo "lab: $SESSIONS raw sessions in $((SECONDS - start)) s" >&2
t_exit
