#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_block_legit.sh - zero false blocks: 1,000 legitimate messages of mixed
# sizes and forms go through the lab's relay with smtpguard in block mode for
# everything, and every one is delivered byte-identical, with no block and no
# alert, and smtpguard read them.
#
# tests/tools/mixmail.py sends them (8 client processes at once: the outside
# and the trusted partner namespace, each over IPv4 and IPv6), drawn from a
# seed: PIPELINING, CHUNKING (BDAT chunks cut at awkward places, BDAT 0
# LAST), STARTTLS (the lab's Postfix with LAB_TLS=1), attachments from 100 B
# to 2 MB, quoted-printable and base64 text and HTML with ordinary links,
# dot lines, 998-byte lines, 8bit bodies, 1 to 10 messages a session,
# several recipients; the outside never claims corp.example, the partner
# (a trusted-net) does. Then:
#   - the relay accepted every message (250 after its end of data);
#   - the Maildir holds each once per recipient, byte-identical after the
#     three headers Postfix prepends (mixmail.py verify: Return-Path,
#     X-Original-To + Delivered-To, Received, each with the values of the
#     session; the rest is the message with CRLF as LF), and nothing else;
#     the queue is empty;
#   - smtpguard blocked nothing (blocked_rsts, blocked_packets, blocked_syns,
#     no event with action "blocked") and alerted on nothing (alerts, no
#     event), lost no event;
#   - smtpguard read them: its messages, messages_accepted, bdat_chunks and
#     recipients counters match the messages sent in clear (what follows a
#     STARTTLS is ciphertext: counted, not parsed), tls_started and
#     starttls match the TLS sessions, flows_new the sessions.
# The network of the lab reorders segments (veths across CPUs); in block mode
# smtpguard drops what comes out of order (ooo_dropped, and paws_dropped: a
# segment overtaken by one sent later that the server took, whose TCP
# timestamp is then older) and the sender's TCP sends it again in order.
# That is not a block: it is printed, and ooo_dropped is checked to equal
# seq_gaps (no gap was read past).
# Last, the smallest forms of what the mix was found to block (mixmail.py
# edge), each a session and a check of its own.
#
# Knobs: SG_LEGIT_SEED (default 1), SG_LEGIT_COUNT (default 1000, a multiple
# of 8), LAB_KEEP=1 keeps LAB_DIR (manifests, sent messages, events, Maildir).
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lab/lib.sh
. tests/lab/lib.sh

if [ ! -x ./smtpguard ]; then
	t_skip block_legit "smtpguard not built (make)"
	t_exit
	exit
fi
LAB_TLS=1 t_lab_up block_legit

MM=$LAB_REPO/tests/tools/mixmail.py
SEED=${SG_LEGIT_SEED:-1}
COUNT=${SG_LEGIT_COUNT:-1000}
PER=$((COUNT / 8))
T=$LAB_DIR/legit
mkdir -p "$T"

# everything in block mode; the lab's bad host is declared so that links are
# matched against something (the mix links to lookalikes of it, never to it)
{
	grep -v '^action' "$LAB_SG_CONF"
	echo "bad-host redir.badcdn.test"
	echo "action spoofed_internal_domain block"
	echo "action bad_redirect_host block"
	echo "action stream_anomaly block"
} >"$T/block.conf"
if ! lab_sg load "$LAB_IFACE" --config "$T/block.conf" >"$T/load.out" 2>&1; then
	t_fail load "smtpguard load: $(tail -n 2 "$T/load.out")"
	t_exit
	exit
fi
lab_sg policy show --json >"$T/policy.json" 2>&1
t_check "policy: block for spoofed_internal_domain, bad_redirect_host and stream_anomaly" \
	"$(head -c 300 "$T/policy.json")" "$T_PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))["actions"]
sys.exit(0 if all(a.get(k) == "block" for k in
                  ("spoofed_internal_domain", "bad_redirect_host", "stream_anomaly")) else 1)' "$T/policy.json"
LAB_SG_TIMEOUT=15 lab_sg events >/dev/null 2>&1 # an empty ring to start from
lab_sg stats --json >"$T/stats0.json" || t_fail stats "smtpguard stats --json failed"

# ---------------------------------------------------------------- send
# source namespace, server, client address, --source, id prefix
SENDERS=(
	"$LAB_OUT_NS $LAB_RELAY_IP4 $LAB_OUT_IP4 outside o4"
	"$LAB_OUT_NS $LAB_RELAY_IP6 $LAB_OUT_IP6 outside o6"
	"$LAB_PARTNER_NS $LAB_RELAY_IP4 $LAB_PARTNER_IP4 partner p4"
	"$LAB_PARTNER_NS $LAB_RELAY_IP6 $LAB_PARTNER_IP6 partner p6"
)
pids=() names=()
k=0
start=$(date +%s)
for spec in "${SENDERS[@]}"; do
	read -r ns srv cli src pre <<<"$spec"
	for half in a b; do
		k=$((k + 1))
		# a blocked session costs its client --timeout s; --deadline stops
		# starting sessions well before the outer timeout kills the client
		ip netns exec "$ns" timeout -k 5 200 "$T_PY" "$MM" send --server "$srv" --source "$src" \
			--client-addr "$cli" --count "$PER" --seed $((SEED * 100 + k)) --id-prefix "$pre$half" \
			--manifest "$T/m.$pre$half.jsonl" --save-dir "$T/sent" --timeout 10 --deadline 120 \
			--done-file "$T/done.$pre$half" --hold-until "$T/release" --hold-max 40 \
			>"$T/send.$pre$half.json" 2>"$T/send.$pre$half.err" &
		pids+=($!) names+=("$pre$half")
	done
done
# Each client keeps its sessions open after QUIT until all are done, so that
# smtpguard's entry of every session can be read (flowcheck below).
all_sent()
{
	local n p
	for n in "${names[@]}"; do
		[ -e "$T/done.$n" ] && continue
		# or it ended without saying so
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done
	done
}
lab_wait_until 200 all_sent
send_secs=$(($(date +%s) - start))
lab_sg flows --json >"$T/flows.held.json" 2>"$T/flows.held.err"
touch "$T/release"
send_fail=
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || send_fail="$send_fail ${names[$i]}(exit $?)"
done
echo "lab: 8 clients sent in ${send_secs} s: $(cat "$T"/send.*.json 2>/dev/null | tr '\n' ' ')" >&2

"$T_PY" "$MM" stats "$T"/m.*.jsonl >"$T/mix.json" 2>"$T/mix.err"
mix() { "$T_PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$T/mix.json" "$1" 2>/dev/null || echo 0; }
echo "lab: the mix: $(cat "$T/mix.json")" >&2
t_check "$COUNT messages in the manifests" "$(mix messages) ($(head -c 300 "$T/mix.err"))" \
	test "$(mix messages)" -eq "$COUNT"

# every form the issue asks for is in the mix (a regression of the generator
# must not pass as a proof)
missing_forms=
for f in mode_data mode_data-pipe mode_bdat mode_bdat-pipe pipelined_after_previous_end \
	bdat_multi_chunk bdat_0_last bdat_train_followers tls_sessions plain_sessions \
	sessions_with_2_to_10_messages multi_rcpt with_attachments with_big_attachments \
	under_300B over_1MB with_qp_parts with_b64_text_parts with_links with_near_link \
	with_dot_lines with_lone_dot with_line_998 with_eightbit with_utf8_headers \
	with_form_forwarded with_related with_text_attachments with_quoted_internal_from \
	with_internal_from_trusted null_sender with_refused_rcpt lower_case_verbs space_after_colon \
	dsn_parameters helo_address_literal with_epilogue source_outside_v4 source_outside_v6 \
	source_partner_v4 source_partner_v6; do
	[ "$(mix "$f")" -gt 0 ] || missing_forms="$missing_forms $f"
done
t_check "the mix has every form (pipelining, BDAT, STARTTLS, attachments, QP/base64, dots, long lines, 8bit, v4/v6, outside/partner)" \
	"none of:$missing_forms" test -z "$missing_forms"

# ---------------------------------------------------------------- delivery
lab_sg events >"$T/events.jsonl" 2>"$T/events.err"
cp "$T/flows.held.json" "$T/flows.json"
accepted=$(mix status_accepted)
want_files=$(mix accepted_recipients)
not_acc=$((COUNT - accepted))
explain() { "$T_PY" "$MM" explain --events "$T/events.jsonl" --flows "$T/flows.json" "$T"/m.*.jsonl 2>&1; }
if [ "$not_acc" -eq 0 ] && [ -z "$send_fail" ]; then
	t_pass "the relay accepted all $COUNT messages (250 after each end of data)"
else
	t_fail "the relay accepted all $COUNT messages" \
		"$not_acc not accepted; clients:${send_fail:- ok}; $(cat "$T"/send.*.err | grep -v '^$' | head -n 5); $(explain | head -n 40)"
fi

# the files of the accepted messages, one per recipient: all of them, at
# most 60 s (Postfix delivers about 100 a second here)
# shellcheck disable=SC2016 # $1 and $2 of that bash
lab_wait_until 60 bash -c '[ "$(find "$1/new" "$1/cur" -type f | wc -l)" -ge "$2" ]' _ \
	"$LAB_MAILDIR" "$want_files"
lab_wait_until 30 lab_queue_empty
sleep 1 # anything delivered twice would show now
vrc=0
"$T_PY" "$MM" verify --maildir "$LAB_MAILDIR" --save-dir "$T/sent" --summary "$T/verify.json" \
	"$T"/m.*.jsonl >"$T/verify.out" 2>&1 || vrc=$?
vsum=$(head -n 1 "$T/verify.out")
echo "lab: verify: $vsum" >&2
vget() { "$T_PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], -1))' "$T/verify.json" "$1" 2>/dev/null || echo -1; }
t_check "every accepted message is in the Maildir once per recipient ($(vget files) files of $want_files)" \
	"$(grep -A 12 -E 'missing|more than once|unexpected|unrecognised' "$T/verify.out" | head -n 14)" \
	test "$(vget missing)" -eq 0 -a "$(vget duplicates)" -eq 0 -a "$(vget unexpected)" -eq 0 \
	-a "$(vget files)" -eq "$want_files"
t_check "every delivered copy is byte-identical to what was sent ($(vget identical) messages)" \
	"$(grep -A 12 'different' "$T/verify.out" | head -n 14)" test "$(vget different)" -eq 0
t_check "mixmail verify: all well" "exit $vrc: $(tail -n +2 "$T/verify.out" | head -n 10)" test "$vrc" -eq 0
t_check "the relay's queue is empty" \
	"$(find "$LAB_DIR/postfix/spool"/{incoming,active,deferred,hold,maildrop} -type f 2>/dev/null | wc -l) queue files; $(grep -E 'status=(deferred|bounced)' "$LAB_MAILLOG" | tail -n 2)" \
	lab_queue_empty

# ---------------------------------------------------------------- smtpguard
lab_sg stats --json >"$T/stats1.json" || t_fail stats "smtpguard stats --json failed"
# d NAME - how much counter NAME went up during the run
d()
{
	"$T_PY" -c 'import json,sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(b[sys.argv[3]] - a[sys.argv[3]])' "$T/stats0.json" "$T/stats1.json" "$1" 2>/dev/null || echo "?"
}
blocked_events=$(grep -c '"action":"blocked"' "$T/events.jsonl")
alert_events=$(grep -c '"event_type":"alert"' "$T/events.jsonl")
blocks="blocked_rsts +$(d blocked_rsts), blocked_packets +$(d blocked_packets), blocked_syns +$(d blocked_syns), blocked events $blocked_events"
echo "lab: smtpguard: $blocks; alerts +$(d alerts); ooo_dropped +$(d ooo_dropped), seq_gaps +$(d seq_gaps), paws_dropped +$(d paws_dropped), flow_busy +$(d flow_busy)" >&2
t_check "zero blocks ($blocks)" "$(explain | head -n 40)" \
	test "$(d blocked_rsts)" = 0 -a "$(d blocked_packets)" = 0 -a "$(d blocked_syns)" = 0 \
	-a "$blocked_events" -eq 0
# The one alert an honest sender may draw: a retransmission of bytes the
# server has not acknowledged yet and that reach back past the 32 bytes
# smtpguard keeps to compare (the lab's veths reorder, block mode drops the
# segments out of order, and the sender's TCP then sends again from where
# it stands). It is said ("allowed", severity 3) and never blocks: bytes
# that could be swapped unseen are worth saying. Every other alert is a
# false one.
unverified=$(grep -c 'too long to compare' "$T/events.jsonl")
others=$((alert_events - unverified))
echo "lab: smtpguard: $unverified notices of unverified retransmissions (allowed)" >&2
t_check "zero alerts but the notices of unverified retransmissions ($others others; alerts +$(d alerts), $alert_events events, alerts_suppressed +$(d alerts_suppressed))" \
	"$(explain | head -n 40)" \
	test "$others" -eq 0 -a "$(d alerts)" = "$alert_events" -a "$(d alerts_suppressed)" = 0
fc=$("$T_PY" "$MM" flowcheck --flows "$T/flows.held.json" --notices "$T/events.jsonl" \
	"$T"/m.[op]*.jsonl 2>&1)
t_check "per session, smtpguard's flow entry counted what was sent ($(head -n 1 <<<"$fc"))" \
	"$(tail -n +2 <<<"$fc" | head -n 10)" grep -q '"mismatches": 0' <<<"$fc"
t_check "no event lost, events read" "events_lost +$(d events_lost); $(head -c 200 "$T/events.err")" \
	test "$(d events_lost)" = 0 -a ! -s "$T/events.err"
# out-of-order segments are dropped under block, never read past
t_check "out-of-order segments were dropped, not read past (ooo_dropped +$(d ooo_dropped) = seq_gaps +$(d seq_gaps))" \
	"ooo_dropped +$(d ooo_dropped), seq_gaps +$(d seq_gaps)" test "$(d ooo_dropped)" = "$(d seq_gaps)"

# smtpguard read them: what went in clear, it counted exactly
plain=$(mix plain_accepted)
t_check "smtpguard read every message sent in clear: messages +$(d messages), messages_accepted +$(d messages_accepted), sent $plain" \
	"messages +$(d messages), messages_accepted +$(d messages_accepted), messages_refused +$(d messages_refused); $plain sent in clear and accepted, $(mix tls_messages) over TLS" \
	test "$(d messages)" = "$plain" -a "$(d messages_accepted)" = "$plain" -a "$plain" -gt 0
# A session cut off (a false block: failed above) leaves its commands
# partly read and its flow open, so these exact counts are then unknown
cut=$(mix status_failed)
exact_check()
{
	if [ "$cut" -gt 0 ]; then
		t_skip "$1" "$cut messages in sessions cut off (see above): the exact count is not known"
	else
		t_check "$@"
	fi
}
exact_check "smtpguard counted every BDAT chunk sent in clear (bdat_chunks +$(d bdat_chunks))" \
	"bdat_chunks +$(d bdat_chunks), sent $(mix plain_accepted_bdat_commands)" \
	test "$(d bdat_chunks)" = "$(mix plain_accepted_bdat_commands)"
exact_check "smtpguard counted every RCPT sent in clear (recipients +$(d recipients), refused +$(d recipients_refused))" \
	"recipients +$(d recipients), sent $(mix plain_accepted_rcpt_commands); recipients_refused +$(d recipients_refused), sent $(mix plain_accepted_rcpts_refused)" \
	test "$(d recipients)" = "$(mix plain_accepted_rcpt_commands)" -a "$(d recipients_refused)" = "$(mix plain_accepted_rcpts_refused)"
t_check "smtpguard saw every STARTTLS session (tls_started +$(d tls_started), starttls +$(d starttls))" \
	"tls_started +$(d tls_started), starttls +$(d starttls), TLS sessions $(mix tls_sessions)" \
	test "$(d tls_started)" = "$(mix tls_sessions)" -a "$(d starttls)" = "$(mix tls_sessions)" -a "$(mix tls_sessions)" -gt 0
t_check "smtpguard saw every session start (flows_new +$(d flows_new))" \
	"flows_new +$(d flows_new), sessions $(mix sessions)" test "$(d flows_new)" = "$(mix sessions)"
exact_check "smtpguard saw every session end (flows_freed +$(d flows_freed))" \
	"flows_freed +$(d flows_freed), sessions $(mix sessions); still open: $(head -c 300 "$T/flows.json")" \
	test "$(d flows_freed)" = "$(mix sessions)"
t_check "smtpguard read the bodies: MIME parts, QP, base64, links, the partner's corp.example as trusted" \
	"mime_parts +$(d mime_parts), qp_bytes +$(d qp_bytes), base64_bytes +$(d base64_bytes), urls +$(d urls), hosts_checked +$(d hosts_checked), trusted_suppressed +$(d trusted_suppressed)" \
	test "$(d mime_parts)" -gt 0 -a "$(d qp_bytes)" -gt 0 -a "$(d base64_bytes)" -gt 0 \
	-a "$(d urls)" -gt 0 -a "$(d hosts_checked)" -gt 0 -a "$(d trusted_suppressed)" -gt 0

echo "lab: $COUNT messages ($(mix sessions) sessions, $(($(mix bytes) / 1000000)) MB) sent in ${send_secs} s" >&2

# ---------------------------------------------------------------- edge cases
# The smallest forms of what the mix found blocked (mixmail.py edge), one
# session each from the outside over IPv4, each its own check: what a
# failure here means is plain from its name.
EDGES=(
	"epilogue-8|a multipart message sent with DATA whose epilogue ends with a line of 8 bytes"
	"bdat-train-6|six whole BDAT messages and QUIT pipelined in one write (RFC 2920/3030)"
)
edge_ids=()
for e in "${EDGES[@]}"; do
	c=${e%%|*} what=${e#*|}
	LAB_SG_TIMEOUT=15 lab_sg events >/dev/null 2>&1
	ip netns exec "$LAB_OUT_NS" timeout -k 5 60 "$T_PY" "$MM" edge --case "$c" --server "$LAB_RELAY_IP4" \
		--id-prefix "edge-$c" --manifest "$T/m.edge-$c.jsonl" --save-dir "$T/sent" --timeout 5 \
		--trace "$T/edge-$c.trace" >"$T/edge-$c.out" 2>"$T/edge-$c.err"
	lab_sg events >"$T/edge-$c.events" 2>&1
	lab_sg flows --json >"$T/edge-$c.flows" 2>/dev/null
	failed=$("$T_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$T/edge-$c.out" 2>/dev/null || echo "?")
	# alerts but the notice of an unverified retransmission (see above)
	nev=$(grep '"event_type":"alert"' "$T/edge-$c.events" | grep -vc 'too long to compare')
	t_check "edge case $c: $what: accepted, no block, no alert" \
		"$failed messages not accepted, $nev alerts: $("$T_PY" "$MM" explain --events "$T/edge-$c.events" --flows "$T/edge-$c.flows" "$T/m.edge-$c.jsonl" 2>&1 | head -n 8)" \
		test "$failed" = 0 -a "$nev" -eq 0
	edge_ids+=("$T/m.edge-$c.jsonl")
done
# what the edge sessions delivered: every copy exact too, nothing else there
edge_acc=$(cat "${edge_ids[@]}" | grep -c '"status": "accepted"')
want_all=$((want_files + edge_acc))
# shellcheck disable=SC2016 # $1 and $2 of that bash
lab_wait_until 30 bash -c '[ "$(find "$1/new" "$1/cur" -type f | wc -l)" -ge "$2" ]' _ "$LAB_MAILDIR" "$want_all"
lab_wait_until 30 lab_queue_empty
sleep 1
"$T_PY" "$MM" verify --maildir "$LAB_MAILDIR" --save-dir "$T/sent" --summary "$T/verify2.json" \
	"$T"/m.*.jsonl >"$T/verify2.out" 2>&1
t_check "after the edge cases: what was accepted is delivered byte-identical, nothing else" \
	"$(head -n 1 "$T/verify2.out"); $(awk '/^mixmail verify: /{p = ($0 !~ /not accepted/)} p' "$T/verify2.out" | head -n 10)" "$T_PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))
sys.exit(0 if v["missing"] == v["duplicates"] == v["unexpected"] == v["different"] == 0 and
         v["files"] == v["expected_files"] else 1)' "$T/verify2.json"
t_exit
