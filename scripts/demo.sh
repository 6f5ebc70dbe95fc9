#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - what `make demo` runs: a relay with smtpguard on its interface,
# mail from a trusted partner and from "the internet", some of it forged, and
# what smtpguard said about it. Everything lives in throwaway namespaces and
# is removed on exit, on failure and on Ctrl-C. Needs root and a built
# ./smtpguard; takes about 15 seconds.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lab.sh
. scripts/lab.sh

DEMO_FAILED=0

say() { printf '\n== %s\n' "$*"; }
failed() { echo "demo: FAILED: $*" >&2; DEMO_FAILED=1; }

# The sessions: NUM NS FAMILY MAIL_FROM EHLO EXPECT LOCAL_PORT WHAT
# EXPECT is where the alert must be ("-": none). A fixed client port per
# session ties each alert to the message that caused it.
SESSIONS=(
	"1 partner 4 relay@corp.example      gw.partner.example -         40001 partner relay sends as corp.example (trusted: no alert)"
	"2 out     4 alice@example.net       mail.example.net   -         40002 outside sender, own domain (no alert)"
	"3 out     4 ceo@corp.example        mail.evil.test     mail_from 40003 outside forges MAIL FROM ceo@corp.example"
	"4 out     4 alice@example.net       mx.corp.example    helo      40004 outside forges EHLO mx.corp.example"
	"5 out     6 payroll@hr.corp.example mail.evil.test     mail_from 40005 outside over IPv6 forges payroll@hr.corp.example"
)

preflight()
{
	local why
	if ! why=$(lab_check_env 2>&1); then
		echo "demo: $why" >&2
		exit 1
	fi
	if ! lab_have_smtpguard; then
		echo "demo: $SMTPGUARD not built: run make" >&2
		exit 1
	fi
}

load_smtpguard()
{
	say "smtpguard load $LAB_IFACE --config $LAB_SG_CONF"
	sed 's/^/    /' "$LAB_SG_CONF"
	if ! lab_sg load "$LAB_IFACE" --config "$LAB_SG_CONF"; then
		failed "smtpguard load"
		exit 1
	fi
	# one reader of the ring buffer for the whole demo
	lab_sg_bg "$LAB_DIR/events.jsonl" events --follow
	DEMO_EVENTS_PID=$LAB_BG_PID
	sleep 0.3
	kill -0 "$DEMO_EVENTS_PID" 2>/dev/null ||
		{ failed "smtpguard events --follow exited: $(head -n 1 "$LAB_DIR/events.jsonl.err")"; exit 1; }
}

# send SPEC - one session; prints a line and counts what was sent.
send()
{
	local num nsk fam from helo expect port what ns v6=''
	read -r num nsk fam from helo expect port what <<<"$1"
	[ "$nsk" = out ] && ns=$LAB_OUT_NS || ns=$LAB_PARTNER_NS
	if [ "$fam" = 6 ]; then
		v6=-6
		if ! lab_swaks_has_ipv6; then
			printf '  (%s) skipped: swaks has no IPv6 (install libio-socket-inet6-perl)\n' "$num"
			return
		fi
	fi
	printf '  (%s) %-62s ' "$num" "$what"
	if lab_send "$ns" $v6 --local-port "$port" --from "$from" --to bob@corp.example \
		--helo "$helo" --header "Subject: smtpguard demo ($num)" 2>/dev/null; then
		echo "-> $(grep -o '250 2.0.0 Ok: queued.*' "$LAB_LAST_SEND" | head -n 1)"
		DEMO_SENT=$((DEMO_SENT + 1))
		DEMO_EXPECT+=("$port $expect $num")
	else
		echo "-> FAILED"
		failed "session ($num): $(tail -n 1 "$LAB_LAST_SEND")"
	fi
}

# an invoice whose HTML part (base64, as swaks builds it) links to a
# redirect host that the admin has just declared bad, with one command
send_phish()
{
	local port=40006 num=6
	say "smtpguard policy add bad-host redir.badcdn.test   (an emergency change: no reload)"
	lab_sg policy add bad-host redir.badcdn.test || failed "policy add bad-host"
	printf '  (%s) %-62s ' "$num" "outside sends an HTML invoice linking to the bad host"
	if lab_send "$LAB_OUT_NS" --local-port "$port" --from billing@example.net \
		--to bob@corp.example --helo mail.example.net --header "Subject: smtpguard demo ($num)" \
		--attach-type text/html \
		--attach-body '<p>Your invoice: <a href="https://redir.badcdn.test/inv?id=8842">view</a></p>' \
		2>/dev/null; then
		echo "-> $(grep -o '250 2.0.0 Ok: queued.*' "$LAB_LAST_SEND" | head -n 1)"
		DEMO_SENT=$((DEMO_SENT + 1))
		DEMO_EXPECT+=("$port body $num")
	else
		echo "-> FAILED"
		failed "session ($num): $(tail -n 1 "$LAB_LAST_SEND")"
	fi
}

alert_count() { grep -c '"event_type":"alert"' "$LAB_DIR/events.jsonl" 2>/dev/null || true; }
alerts_at_least() { [ "$(alert_count)" -ge "$1" ]; }

# Every forged session raised an alert at the right place, no other did.
check_alerts()
{
	local e port expect num got
	for e in "${DEMO_EXPECT[@]}"; do
		read -r port expect num <<<"$e"
		got=$(/usr/bin/python3 -c '
import json, sys
port = int(sys.argv[2])
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    if ev.get("event_type") == "alert" and ev.get("src_port") == port:
        print(*ev["alert"]["metadata"]["where"])' "$LAB_DIR/events.jsonl" "$port" | tr '\n' ' ')
		if [ "$expect" = - ] && [ -n "$got" ]; then
			failed "session ($num) should raise no alert, raised: $got"
		elif [ "$expect" != - ] && [[ " $got" != *" $expect "* ]]; then
			failed "session ($num) should raise a $expect alert, raised: ${got:-none}"
		fi
	done
}

main()
{
	local want=0 e
	preflight
	say "lab: relay $LAB_RELAY_IP4 [$LAB_RELAY_IP6] on $LAB_IFACE, outside $LAB_OUT_IP4 [$LAB_OUT_IP6], partner $LAB_PARTNER_IP4"
	lab_up || { failed "lab_up"; exit 1; }
	echo "    namespaces $LAB_ID-{relay,router,out,partner}; Postfix listens on port 25"
	load_smtpguard

	say "sending mail with swaks"
	DEMO_SENT=0
	DEMO_EXPECT=()
	for e in "${SESSIONS[@]}"; do send "$e"; done
	send_phish
	for e in "${DEMO_EXPECT[@]}"; do [[ $e == *" - "* ]] || want=$((want + 1)); done

	lab_wait_delivered "$DEMO_SENT" 20 || failed "delivery"
	lab_wait_until 5 alerts_at_least "$want" || true
	lab_bg_stop "$DEMO_EVENTS_PID"

	say "alerts (eve JSON lines)"
	cat "$LAB_DIR/events.jsonl"
	[ -s "$LAB_DIR/events.jsonl.err" ] && sed 's/^/    stderr: /' "$LAB_DIR/events.jsonl.err"
	check_alerts

	say "smtpguard stats"
	lab_sg stats || failed "smtpguard stats"
	# every session has ended: its flow entry was freed (FIN both ways),
	# and Postfix's 250 for each message was read by the TC program
	say "smtpguard status"
	lab_sg status || failed "smtpguard status"
	accepted=$(lab_sg stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["messages_accepted"])' 2>/dev/null)
	[ "${accepted:-0}" = "$DEMO_SENT" ] ||
		failed "messages_accepted is ${accepted:-?}, $DEMO_SENT were queued by Postfix"

	say "delivered: $(lab_mail_count) of $DEMO_SENT messages"
	if [ "$DEMO_FAILED" = 0 ]; then
		echo "demo: ok: $(alert_count) alerts for $want forged sessions, nothing else flagged, all mail delivered"
	fi
	lab_sg unload "$LAB_IFACE" >/dev/null 2>&1 || failed "smtpguard unload"
	[ "$DEMO_FAILED" = 0 ]
}

main "$@"
