#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_lab.sh - smtpguard on a real relay: network namespaces, a private
# Postfix, swaks as "the internet" and as a trusted partner (scripts/lab.sh).
# Asserts what Postfix delivered, the alerts smtpguard raised, its counters,
# live policy changes, a clean unload, and that `smtpguard replay` over the
# captured traffic says what the live run said.
#
#   tests/lab/test_lab.sh               run the checks (root; ~30 s)
#   tests/lab/test_lab.sh --record DIR  record fresh captures for tests/data/lab
#
# Without a built ./smtpguard the lab and Postfix checks still run and every
# smtpguard check prints SKIP with the reason.

set -uo pipefail # not -e: a failed check must not stop the others

T_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$T_HERE/../.." && pwd)
# shellcheck source=tests/lab/lib.sh
. "$T_HERE/lib.sh"

# The sessions, one a line: NAME NS FAMILY MAIL_FROM EHLO EXPECT LOCAL_PORT RCPT
# EXPECT is the "where" of the one alert the session must raise, or "-" for
# none. Fixed client ports tie every alert, live or replayed, to its session.
# Every message carries the same foreign header From:, so only the envelope
# and the EHLO name differ between sessions.
FORGED_SESSIONS=(
	"partner_trusted_v4          partner 4 relay@corp.example      gw.corp.example  -         41001 bob@corp.example"
	"foreign_sender              out     4 alice@example.net       mail.example.net -         41002 bob@corp.example"
	"forged_mail_from_v4         out     4 ceo@corp.example        mail.evil.test   mail_from 41003 bob@corp.example"
	"forged_helo                 out     4 alice@example.net       mx.corp.example  helo      41004 bob@corp.example"
	"corp_mail_before_policy_add out     4 x@corp-mail.example     mail.evil.test   -         41005 bob@corp-mail.example"
	"partner_trusted_v6          partner 6 relay@corp.example      gw.corp.example  -         41006 bob@corp.example"
	"forged_mail_from_v6         out     6 payroll@hr.corp.example mail.evil.test   mail_from 41007 bob@corp.example"
)
# After `policy add internal-domain corp-mail.example`, on a new session.
POLICY_SESSIONS=(
	"policy_add_new_domain       out     4 x@corp-mail.example     mail.evil.test   mail_from 41008 bob@corp-mail.example"
)

T_SENT=0          # messages Postfix accepted
SG_ON=0           # smtpguard loaded: its checks run
SG_WHY="smtpguard not built"
T_LIVE=           # alert lines of the current capture, as smtpguard printed them
T_EXPECT=         # expected alert rows of the current capture

# ---------------------------------------------------------------- sessions

# run_session SPEC - send one message as SPEC says, then drain smtpguard's
# events and check the alerts it raised for it.
run_session()
{
	local name nsk fam from helo expect lport rcpt ns src v6='' ev rows n token
	read -r name nsk fam from helo expect lport rcpt <<<"$1"
	case $nsk in
	out) ns=$LAB_OUT_NS src=$LAB_OUT_IP4 ;;
	partner) ns=$LAB_PARTNER_NS src=$LAB_PARTNER_IP4 ;;
	esac
	if [ "$fam" = 6 ]; then
		[ "$nsk" = out ] && src=$LAB_OUT_IP6 || src=$LAB_PARTNER_IP6
		v6=-6
		if ! lab_swaks_has_ipv6; then
			t_skip "$name" "swaks has no IPv6: needs IO::Socket::INET6 (libio-socket-inet6-perl)"
			return
		fi
	fi
	[ "$expect" = helo ] && token=$helo || token=$from
	if ! lab_send "$ns" $v6 --local-port "$lport" --from "$from" --to "$rcpt" --helo "$helo" \
		--header "Subject: smtpguard lab: $name" --header "From: Lab <lab@example.net>" \
		2>/dev/null; then
		t_fail "$name" "swaks failed: $(tail -n 2 "$LAB_LAST_SEND" | tr '\n' ' ')"
		return
	fi
	T_SENT=$((T_SENT + 1))
	[ "$expect" = - ] ||
		printf 'spoofed_internal_domain\t%s\t%s\t%s\t%s\n' "$expect" "$src" "$lport" "$token" >>"$T_EXPECT"
	if [ "${T_RECORD:-0}" = 1 ]; then
		t_pass "sent_$name"
		return
	fi
	[ "$SG_ON" = 1 ] || { t_skip "$name" "$SG_WHY"; return; }

	# The alert is in the ring buffer before the relay's reply leaves (XDP
	# sees the command first), so draining now is exact: no sleep, no race.
	ev=$T_DIR/events.$name
	if ! LAB_SG_TIMEOUT=15 lab_sg events >"$ev" 2>"$ev.err"; then
		t_fail "$name" "smtpguard events failed: $(head -n 1 "$ev.err")"
		return
	fi
	rows=$(t_alert_rows "$ev")
	n=$(grep -c . <<<"$rows")
	grep -h '"event_type" *: *"alert"' "$ev" >>"$T_LIVE"
	if [ "$expect" = - ]; then
		if [ "$n" -eq 0 ]; then t_pass "$name"; else t_fail "$name" "unexpected alert: $rows"; fi
		return
	fi
	local reason where sip value
	IFS=$'\t' read -r reason where sip _ value <<<"$rows"
	if [ "$n" -ne 1 ]; then
		t_fail "$name" "$n alert lines, expected 1: $(tr '\n' '|' <<<"$rows")"
	elif [ "$reason" != spoofed_internal_domain ] || [ "$where" != "$expect" ] ||
		[ "$sip" != "$src" ] || [[ $value != *"$token"* ]]; then
		t_fail "$name" "got reason=$reason where=$where src_ip=$sip value=$value, expected spoofed_internal_domain $expect $src $token"
	else
		t_pass "$name"
	fi
}

# capture_sessions NAME SESSION... - run sessions while recording sg0 into
# $T_CAP/NAME.pcap; live alerts go to $T_DIR/NAME.live, expected rows to
# $T_CAP/NAME.expected.tsv.
capture_sessions()
{
	local name=$1 s
	shift
	T_LIVE=$T_DIR/$name.live
	T_EXPECT=$T_CAP/$name.expected.tsv
	: >"$T_LIVE"
	: >"$T_EXPECT"
	if ! lab_capture_start "$T_CAP/$name.pcap" 2>"$T_DIR/capture.err"; then
		t_fail "capture_$name" "tcpdump: $(tr '\n' ' ' <"$T_DIR/capture.err")"
	fi
	for s in "$@"; do run_session "$s"; done
	if [ -n "$LAB_CAPTURE_PID" ]; then
		t_check "capture_$name" "no packets in $name.pcap" lab_capture_stop
	fi
}

# ---------------------------------------------------------------- smtpguard

# Ids of the programs this lab attached: the XDP program on sg0, what sg0's
# tc hook holds, and what the links and programs pinned in LAB_PIN_DIR hold.
# (A diff of `bpftool prog show` before and after would catch parallel labs.)
our_prog_ids()
{
	local f
	t_xdp_prog_id
	t_relay_bpftool -j net show dev "$LAB_IFACE" 2>/dev/null | "$T_PY" -c '
import json, sys
for sec in json.load(sys.stdin):
    for a in sec.get("tc", []):
        print(a.get("id", ""))'
	for f in "$LAB_PIN_DIR"/*; do
		[ -e "$f" ] || continue
		bpftool -j link show pinned "$f" 2>/dev/null | "$T_PY" -c '
import json, sys
print(json.load(sys.stdin).get("prog_id", ""))' 2>/dev/null
		bpftool -j prog show pinned "$f" 2>/dev/null | "$T_PY" -c '
import json, sys
print(json.load(sys.stdin).get("id", ""))' 2>/dev/null
	done
}

sg_load()
{
	if ! lab_have_smtpguard; then
		t_skip load "smtpguard not built"
		return
	fi
	if ! lab_sg load "$LAB_IFACE" --config "$LAB_SG_CONF" >"$T_DIR/load.out" 2>&1; then
		t_fail load "smtpguard load: $(tail -n 2 "$T_DIR/load.out" | tr '\n' ' ')"
		SG_WHY="smtpguard load failed"
		return
	fi
	T_OUR_PROGS=$(our_prog_ids | grep -E '^[0-9]+$' | sort -un | tr '\n' ' ')
	T_XDP_ID=$(t_xdp_prog_id)
	if [ -z "$T_XDP_ID" ]; then
		t_fail load "load succeeded but no XDP program is attached to $LAB_IFACE"
		SG_WHY="smtpguard load attached nothing"
		return
	fi
	t_pass load
	SG_ON=1
	# start from an empty ring buffer
	LAB_SG_TIMEOUT=15 lab_sg events >/dev/null 2>&1
}

check_cli()
{
	local c
	for c in status stats flows; do
		if [ "$SG_ON" != 1 ]; then t_skip "cli_$c" "$SG_WHY"; continue; fi
		if LAB_SG_TIMEOUT=15 lab_sg $c >"$T_DIR/$c.out" 2>&1; then
			t_pass "cli_$c"
		else
			t_fail "cli_$c" "exit $?: $(head -n 1 "$T_DIR/$c.out")"
		fi
	done
}

check_stats()
{
	local v want
	[ "$SG_ON" = 1 ] || { t_skip stats_alerts "$SG_WHY"; return; }
	want=$(cat "$T_DIR"/*.live 2>/dev/null | grep -c .)
	if ! t_stats_dump "$T_DIR/sg_stats.json"; then
		t_fail stats_alerts "cannot dump sg_stats (not pinned in $LAB_PIN_DIR, not used by the XDP program)"
		return
	fi
	if ! v=$(t_stat_value alerts "$T_DIR/sg_stats.json" 2>"$T_DIR/stat.err"); then
		t_fail stats_alerts "no alerts counter in the dump: $(head -n 1 "$T_DIR/stat.err")"
	elif [ "$v" -gt 0 ] && [ "$v" -eq "$want" ]; then
		t_pass stats_alerts
	else
		t_fail stats_alerts "sg_stats alerts = $v, $want alert lines were printed"
	fi
	# every session smtpguard saw: one message and one recipient each, each
	# queued by Postfix (the TC program read its 250), and each session's
	# entry freed when both sides closed: sg_flows is empty (bpftool)
	local m r acc freed
	m=$(t_stat_value messages "$T_DIR/sg_stats.json" 2>/dev/null)
	r=$(t_stat_value recipients "$T_DIR/sg_stats.json" 2>/dev/null)
	acc=$(t_stat_value messages_accepted "$T_DIR/sg_stats.json" 2>/dev/null)
	freed=$(t_stat_value flows_freed "$T_DIR/sg_stats.json" 2>/dev/null)
	if nsenter --net="/run/netns/$LAB_RELAY_NS" -- bpftool -j map dump pinned "$LAB_PIN_DIR/sg_flows" \
		>"$T_DIR/flows.json" 2>/dev/null && /usr/bin/python3 - "$T_DIR/flows.json" "$m" "$r" "$acc" "$freed" <<'PY'
import json, sys
flows = json.load(open(sys.argv[1]))
m, r, acc, freed = map(int, sys.argv[2:6])
sys.exit(0 if m == r == acc > 0 and freed >= m and flows == [] else 1)
PY
	then
		t_pass flows_counters_bpftool
	else
		t_fail flows_counters_bpftool "messages $m, recipients $r, accepted $acc, freed $freed; sg_flows: $(head -c 300 "$T_DIR/flows.json")"
	fi
}

# A new internal domain takes effect for the next session, with the same
# XDP program attached (no reload).
check_policy_add()
{
	if [ "$SG_ON" = 1 ]; then
		if ! LAB_SG_TIMEOUT=15 lab_sg policy add internal-domain corp-mail.example \
			>"$T_DIR/policy.out" 2>&1; then
			t_fail policy_add "policy add: $(head -n 1 "$T_DIR/policy.out")"
		fi
	fi
	capture_sessions lab-policy-add "${POLICY_SESSIONS[@]}"
	if [ "$SG_ON" != 1 ]; then
		t_skip policy_add_no_reload "$SG_WHY"
	elif [ "$(t_xdp_prog_id)" = "$T_XDP_ID" ]; then
		t_pass policy_add_no_reload
	else
		t_fail policy_add_no_reload "XDP program on $LAB_IFACE changed: $T_XDP_ID -> $(t_xdp_prog_id)"
	fi
}

check_delivery()
{
	local n
	if lab_wait_delivered "$T_SENT" 20 2>"$T_DIR/deliver.err"; then
		t_pass "all_delivered"
	else
		n=$(lab_mail_count)
		t_fail all_delivered "$n of $T_SENT messages in the Maildir; $(grep -E 'status=|reject|warning' "$LAB_MAILLOG" | tail -n 2 | tr '\n' ' ')"
	fi
	t_check queue_empty "messages left in the queue" lab_wait_until 10 lab_queue_empty
}

# replay_matches NAME PCAP CONF EXPECTED_ROWS_FILE EXACT - smtpguard replay
# prints the alerts EXPECTED describes (EXACT=1: row for row, values too).
replay_matches()
{
	local name=$1 pcap=$2 conf=$3 want=$4 exact=$5 out=$T_DIR/$1.replay rc=0 d
	timeout -k 2 60 "$SMTPGUARD" replay --config "$conf" "$pcap" >"$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		t_fail "$name" "replay exit $rc: $(head -n 2 "$out.err" | tr '\n' ' ')"
		return
	fi
	t_alert_rows "$out" | sort >"$out.rows"
	if [ "$exact" = 1 ]; then
		if d=$(diff "$want" "$out.rows"); then
			t_pass "$name"
		else
			t_fail "$name" "live and replay differ: $(tr '\n' ' ' <<<"$d")"
		fi
	elif d=$(t_rows_cover "$want" "$out.rows"); then
		t_pass "$name"
	else
		t_fail "$name" "$d"
	fi
}

check_replay()
{
	local c
	for c in lab-forged lab-policy-add; do
		if [ "$SG_ON" != 1 ]; then t_skip "replay_$c" "$SG_WHY"; continue; fi
		[ -s "$T_CAP/$c.pcap" ] || { t_fail "replay_$c" "no capture"; continue; }
		t_alert_rows "$T_DIR/$c.live" | sort >"$T_DIR/$c.live.rows"
		replay_matches "replay_$c" "$T_CAP/$c.pcap" "$T_CAP/$c.conf" "$T_DIR/$c.live.rows" 1
	done
}

# The captures committed under tests/data/lab, against the alerts their
# sessions were written to raise.
check_replay_committed()
{
	local data=$LAB_REPO/tests/data/lab p b n=0
	for p in "$data"/*.pcap; do
		[ -e "$p" ] || continue
		b=${p%.pcap}
		n=$((n + 1))
		if ! lab_have_smtpguard; then
			t_skip "replay_committed_${b##*/}" "smtpguard not built"
		elif [ ! -f "$b.conf" ] || [ ! -f "$b.expected.tsv" ]; then
			t_fail "replay_committed_${b##*/}" "$b.conf or $b.expected.tsv missing"
		else
			sort "$b.expected.tsv" >"$T_DIR/${b##*/}.want"
			replay_matches "replay_committed_${b##*/}" "$p" "$b.conf" "$T_DIR/${b##*/}.want" 0
		fi
	done
	[ "$n" -gt 0 ] || t_skip replay_committed "no captures in tests/data/lab (record: $0 --record tests/data/lab)"
}

ids_gone() # IDS... - none of these program ids is still loaded
{
	local now id
	now=" $(t_sg_prog_ids | tr '\n' ' ') "
	for id in "$@"; do [[ $now == *" $id "* ]] && return 1; done
	return 0
}

check_unload()
{
	local c net left
	if [ "$SG_ON" != 1 ]; then
		for c in unload unload_pins unload_xdp unload_bpftool_net unload_progs; do
			t_skip "$c" "$SG_WHY"
		done
		return
	fi
	if LAB_SG_TIMEOUT=30 lab_sg unload "$LAB_IFACE" >"$T_DIR/unload.out" 2>&1; then
		t_pass unload
	else
		t_fail unload "exit $?: $(head -n 1 "$T_DIR/unload.out")"
	fi
	left=$(ls -A "$LAB_PIN_DIR" 2>/dev/null | tr '\n' ' ')
	if [ -z "$left" ]; then t_pass unload_pins; else t_fail unload_pins "left in $LAB_PIN_DIR: $left"; fi
	if ip -n "$LAB_RELAY_NS" link show "$LAB_IFACE" | grep -qw xdp; then
		t_fail unload_xdp "$(ip -n "$LAB_RELAY_NS" link show "$LAB_IFACE" | grep prog/)"
	else
		t_pass unload_xdp
	fi
	# bpftool 7.1 (Debian 12) is older than tcx and does not list it in "net show";
	# the link list and the program ids below cover them.
	net=$(t_relay_bpftool -j net show 2>&1; bpftool -j link show 2>/dev/null)
	left=
	for c in $T_OUR_PROGS; do
		grep -Eq "\"(id|prog_id)\":${c}[,}]" <<<"$net" && left="$left $c"
	done
	if grep -q '"devname":"'"$LAB_IFACE"'"' <<<"$net" || grep -Eq 'sg_xdp_ingress|sg_tc_egress' <<<"$net" ||
		[ -n "$left" ]; then
		t_fail unload_bpftool_net "still attached in the relay namespace:$left $(t_relay_bpftool net show 2>&1 | tr '\n' ' ')"
	else
		t_pass unload_bpftool_net
	fi
	# shellcheck disable=SC2086
	if lab_wait_until 5 ids_gone $T_OUR_PROGS; then
		t_pass unload_progs
	else
		t_fail unload_progs "programs still loaded: $(t_sg_prog_ids | tr '\n' ' ') (ours: $T_OUR_PROGS)"
	fi
}

check_teardown()
{
	local master dir=$LAB_DIR
	master=$(lab_postfix_master_pid)
	lab_down
	if ip netns list | grep -q "^$LAB_ID-"; then
		t_fail teardown "namespaces left: $(ip netns list | grep "^$LAB_ID-" | tr '\n' ' ')"
	elif [ -e "$dir" ] || [ -e "$LAB_PIN_DIR" ]; then
		t_fail teardown "left behind: $(ls -d "$dir" "$LAB_PIN_DIR" 2>/dev/null | tr '\n' ' ')"
	elif [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
		t_fail teardown "Postfix master $master still runs"
	else
		t_pass teardown
	fi
}

# ---------------------------------------------------------------- modes

preflight()
{
	local why
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (network namespaces, XDP)"
		exit 0
	fi
	# shellcheck source=scripts/lab.sh
	. "$LAB_REPO/scripts/lab.sh"
	if ! why=$(lab_check_env 2>&1); then
		t_skip all "$why"
		exit 0
	fi
}

lab_start()
{
	if ! lab_up 2>"$T_UPLOG"; then
		t_fail lab_up "$(tail -n 5 "$T_UPLOG")"
		rm -f "$T_UPLOG"
		t_exit
		exit 1
	fi
	t_pass lab_up
	T_DIR=$LAB_DIR/test
	mkdir -p "$T_DIR"
}

# The lab alone, before smtpguard: Postfix takes mail from outside and the
# partner and puts it in the Maildir.
check_baseline()
{
	if lab_send "$LAB_OUT_NS" --from alice@example.net --to bob@corp.example \
		--helo mail.example.net --header "Subject: smtpguard lab: baseline" 2>/dev/null &&
		lab_wait_delivered 1 20 2>"$T_DIR/deliver.err"; then
		T_SENT=$((T_SENT + 1))
		t_pass postfix_delivers
	else
		t_fail postfix_delivers "$(tail -n 3 "$LAB_LAST_SEND" "$T_DIR/deliver.err" 2>/dev/null | tr '\n' ' ')"
	fi
}

write_capture_confs()
{
	cp "$LAB_SG_CONF" "$T_CAP/lab-forged.conf"
	{
		cat "$LAB_SG_CONF"
		echo "internal-domain corp-mail.example"
	} >"$T_CAP/lab-policy-add.conf"
}

record()
{
	local dir=$1
	mkdir -p "$dir" || exit 1
	dir=$(cd "$dir" && pwd)
	T_UPLOG=$(mktemp)
	lab_start
	rm -f "$T_UPLOG"
	if ! lab_swaks_has_ipv6; then
		t_fail record "swaks has no IPv6 (libio-socket-inet6-perl): the captures would lack the IPv6 sessions"
		t_exit
		exit 1
	fi
	T_CAP=$dir
	T_RECORD=1
	write_capture_confs
	capture_sessions lab-forged "${FORGED_SESSIONS[@]}"
	capture_sessions lab-policy-add "${POLICY_SESSIONS[@]}"
	check_delivery
	echo "lab: recorded $(ls "$dir"/lab-*.pcap | tr '\n' ' ')" >&2
	t_exit
}

main()
{
	preflight
	if [ "${1:-}" = --record ]; then
		[ -n "${2:-}" ] || { echo "usage: $0 [--record DIR]" >&2; exit 2; }
		record "$2"
		exit
	fi
	T_UPLOG=$(mktemp)
	lab_start
	rm -f "$T_UPLOG"
	T_CAP=$T_DIR/captures
	mkdir -p "$T_CAP"
	write_capture_confs
	check_baseline
	sg_load
	capture_sessions lab-forged "${FORGED_SESSIONS[@]}"
	check_cli
	check_policy_add
	check_stats
	check_delivery
	check_replay
	check_replay_committed
	# every alert line, live and replayed
	if [ "$SG_ON" = 1 ]; then
		t_eve_validate eve_valid "$T_DIR"/*.live "$T_DIR"/*.replay
	else
		t_skip eve_valid "$SG_WHY"
	fi
	check_unload
	check_teardown
	t_exit
}

main "$@"
