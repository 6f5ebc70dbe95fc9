#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_postfix_forms.sh - "address handling follows what Postfix does with the
# same bytes", checked against Postfix itself: each MAIL FROM form is sent raw
# to the lab's Postfix with smtpguard on the relay; for every message Postfix
# delivers, smtpguard must have alerted exactly when the envelope sender
# Postfix recorded (Return-Path) is in an internal domain.
set -uo pipefail
T_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$T_HERE/../.."
SMTPGUARD=${SMTPGUARD:-$PWD/smtpguard}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: lab-forms: all: needs root (namespaces, Postfix, BPF)"
	exit 0
fi
if ! command -v postfix >/dev/null || [ ! -x "$SMTPGUARD" ]; then
	echo "SKIP: lab-forms: all: postfix or ./smtpguard missing"
	exit 0
fi
# shellcheck source=scripts/lab.sh
. scripts/lab.sh
LAB_PIN_DIR=/sys/fs/bpf/smtpguard-forms-$$-$RANDOM
lab_on_down 'lab_sg unload "$LAB_IFACE" >/dev/null 2>&1; rm -rf "$LAB_PIN_DIR"'
lab_up || { echo "FAIL: lab-forms: the lab did not come up"; exit 1; }

forms=$LAB_DIR/forms.tsv
# N<TAB>the line exactly as the client sends it
cat >"$forms" <<'FORMS'
1	MAIL FROM:<ceo@corp.example>
2	MAIL FROM: <ceo@corp.example>
3	mail from:<CEO@CORP.EXAMPLE>
4	MAIL FROM:<ceo@corp.example> SIZE=100 BODY=8BITMIME
5	MAIL FROM:<@a.test,@b.test:user@corp.example>
6	MAIL FROM:<"a@b"@corp.example>
7	MAIL FROM:<"x@corp.example"@evil.test>
8	MAIL FROM:<a\@corp.example@evil.test>
9	MAIL FROM:ceo@corp.example
10	MAIL FROM:<ceo@hr.corp.example.>
11	MAIL FROM:<ceo@notcorp.example>
12	MAIL FROM:<ceo@corp.example.evil.test>
13	MAIL FROM:<a@b@corp.example>
14	MAIL FROM:<>
15	MAIL FROM:<ceo(comment)@corp.example>
16	MAIL FROM:<ceo@corp.example(comment)>
17	MAIL FROM:<ceo@corp.example >
18	MAIL FROM:<ceo@[192.0.2.1]>
19	MAIL FROM:<ceo@corp.example
20	MAIL FROM:"ceo"@corp.example
21	MAIL FROM:<ceo@CORP.example>
22	MAIL FROM:<"ceo"@corp.example>
23	MAIL FROM:<ceo@corp..example>
24	MAIL FROM:<ceo@evil.test,@corp.example>
25	MAIL FROM:<ceo@corp.example(((a)b)@evil.test)>
26	MAIL FROM:<ceo@evil.test(x@corp.example)>
27	MAIL FROM:<ceo(x@evil.test)@corp.example>
28	MAIL FROM:<ceo@corp(x\)y).example>
29	MAIL FROM:<ceo@corp.example>(trailing)
30	MAIL FROM:<ceo@corp.example> (x) SIZE=10
31	MAIL FROM:<"ceo@corp.example">
32	MAIL FROM:<ceo\@corp.example>
33	MAIL FROM:<ceo @corp.example>
34	MAIL FROM:<ceo@corp. example>
35	MAIL FROM:<ceo@corp\.example>
36	MAIL FROM:<ceo@corp.exampl\e>
37	MAIL FROM:<ceo@"corp.example">
38	MAIL FROM:<ceo@corp."example">
39	MAIL FROM:<"ceo"@"corp".example>
40	MAIL FROM:<ceo@corp.example,>
41	MAIL FROM:<ceo@corp.example;>
42	MAIL FROM:<ceo@corp.example(>
43	MAIL FROM:ceo@corp.example<NUL>junk
44	MAIL FROM:ceo@corp.example<VT>
45	MAIL FROM:ceo@corp.example<FF>
46	MAIL FROM:<ceo@corp.example><NUL>
47	MAIL FROM:<"x@corp.example"@evil.test><NUL>
FORMS

lab_sg load "$LAB_IFACE" --config "$LAB_SG_CONF" >/dev/null ||
	{ echo "FAIL: lab-forms: smtpguard load"; exit 1; }
nf=$(wc -l <"$forms")
lab_nsx "$LAB_OUT_NS" timeout 120 tests/lab/smtp_forms.py send "$LAB_RELAY_IP4" "$forms" \
	"$LAB_DIR/sent.tsv" || { echo "FAIL: lab-forms: the SMTP client failed"; exit 1; }
queued=$(awk '$4 == 1' "$LAB_DIR/sent.tsv" | wc -l)
lab_wait_delivered "$queued" 30 || echo "FAIL: lab-forms: $queued queued, not all delivered"
lab_sg events >"$LAB_DIR/alerts.jsonl"
echo "# $nf forms sent, $queued accepted by Postfix"
tests/lab/smtp_forms.py verdict "$LAB_MAILDIR" "$LAB_DIR/sent.tsv" "$LAB_DIR/alerts.jsonl" "$forms"

# SMTP smuggling: LF.LF inside DATA, then a forged transaction. The relay's
# Postfix (smtpd_forbid_bare_newline = normalize) keeps it in one message;
# smtpguard must agree: no MAIL FROM alert, the bare-LF dot counted.
before=$(lab_sg stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bare_lf_dot"])')
code=$(lab_nsx "$LAB_OUT_NS" timeout 30 tests/lab/smtp_forms.py smuggle "$LAB_RELAY_IP4" 42100)
lab_wait_delivered $((queued + 1)) 30 >/dev/null 2>&1
after=$(lab_sg stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bare_lf_dot"])')
lab_sg events >"$LAB_DIR/alerts2.jsonl"
one=$(grep -l '^X-Form: 100' "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/* 2>/dev/null | wc -l)
own=$(grep -l '^X-Form: 101' "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/* 2>/dev/null |
	xargs -r grep -L '^X-Form: 100' | wc -l)
if [ "$code" = 250 ] && [ "$one" = 1 ] && [ "$own" = 0 ]; then
	echo "PASS: lab-forms: smuggling attempt: Postfix delivered one message with the smuggled lines inside"
else
	echo "FAIL: lab-forms: smuggling attempt: reply $code, X-Form 100 in $one, a separate X-Form 101 in $own"
fi
if grep '"src_port":42100' "$LAB_DIR/alerts2.jsonl" | grep -q '"where":\["mail_from"\]'; then
	echo "FAIL: lab-forms: smuggling attempt: smtpguard took the smuggled MAIL FROM for a command"
else
	echo "PASS: lab-forms: smuggling attempt: smtpguard, like Postfix, read the smuggled lines as message"
fi
grep '"src_port":42100' "$LAB_DIR/alerts2.jsonl" | grep -q '"reason":\["stream_anomaly"\]' &&
	echo "PASS: lab-forms: smuggling attempt: one stream_anomaly alert says so" ||
	echo "FAIL: lab-forms: smuggling attempt: no stream_anomaly alert"
[ "$after" -gt "$before" ] && echo "PASS: lab-forms: smuggling attempt: bare-LF dot counted ($before -> $after)" ||
	echo "FAIL: lab-forms: smuggling attempt: bare_lf_dot stayed $after"
# the From: header, sent by swaks through the real Postfix: the message is
# delivered (alert mode) and smtpguard alerts for the internal one only
hdr_case() {
	local port=$1 want=$2 hdr=$3 ns=${4:-$LAB_OUT_NS}
	local before got
	before=$(lab_mail_count)
	lab_send "$ns" --from a@example.net --to bob@corp.example --local-port "$port" \
		--header "$hdr" --body "hello" >/dev/null 2>&1
	lab_wait_delivered $((before + 1)) 20 >/dev/null 2>&1 &&
		echo "PASS: lab-forms: header [$hdr] from port $port: delivered" ||
		echo "FAIL: lab-forms: header [$hdr] from port $port: not delivered"
	lab_sg events >"$LAB_DIR/hdr.$port.jsonl"
	cat "$LAB_DIR/hdr.$port.jsonl" >>"$LAB_DIR/all-alerts.jsonl"
	got=$(grep -c "\"src_port\":$port,.*\"where\":\[\"header_from\"\]" "$LAB_DIR/hdr.$port.jsonl")
	[ "$got" = "$want" ] &&
		echo "PASS: lab-forms: header [$hdr]: $want header_from alert(s)" ||
		echo "FAIL: lab-forms: header [$hdr]: $got header_from alerts, expected $want"
}
hdr_case 42201 1 'From: "Chief Exec" <ceo@corp.example>'
hdr_case 42202 1 'From: =?utf-8?q?Chief_Exec?= <payroll@hr.corp.example>'
hdr_case 42203 0 'From: "ceo@corp.example" <x@example.net>'
hdr_case 42204 0 'From: Partner Relay <relay@corp.example>' "$LAB_PARTNER_NS"
# links in bodies sent by swaks through the real Postfix, in text/html as
# sent and in MIME parts (swaks's own MIME: a base64 HTML body part, an
# attachment; messages as mail clients build them, tests/lab/mkmime.py:
# quoted-printable and base64 HTML, a PDF first, an attached message). Each
# is delivered (alert mode) and alerts exactly for the readable bad links.
stat_of() { lab_sg stats --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
body_case() {
	local port=$1 want=$2 what=$3 before got
	shift 3
	before=$(lab_mail_count)
	lab_send "$LAB_OUT_NS" --from a@example.net --to bob@corp.example --local-port "$port" \
		"$@" >/dev/null 2>&1
	lab_wait_delivered $((before + 1)) 20 >/dev/null 2>&1 &&
		echo "PASS: lab-forms: $what: delivered" ||
		echo "FAIL: lab-forms: $what: not delivered"
	lab_sg events >"$LAB_DIR/body.$port.jsonl"
	cat "$LAB_DIR/body.$port.jsonl" >>"$LAB_DIR/all-alerts.jsonl"
	got=$(grep -c "\"src_port\":$port,.*bad_redirect_host" "$LAB_DIR/body.$port.jsonl")
	[ "$got" = "$want" ] && echo "PASS: lab-forms: $what: $want bad_redirect_host alert(s)" ||
		echo "FAIL: lab-forms: $what: $got bad_redirect_host alerts, expected $want"
	if grep -q "\"src_port\":$port,.*header_from" "$LAB_DIR/body.$port.jsonl"; then
		echo "FAIL: lab-forms: $what: a header_from alert"
	else
		echo "PASS: lab-forms: $what: no header_from alert"
	fi
}
link_case() {
	body_case "$1" "$2" "links [$3]" --header 'Content-Type: text/html' --body "$3"
}
lab_sg policy add bad-host redir.badcdn.test >/dev/null
link_case 42401 1 '<a href="https://good.test/r?url=https%3A%2F%2Fredir.badcdn.test%2Fx">pay</a>'
link_case 42402 1 'see http://user@redir.badcdn.test:8080/login and https://fine.test/'
link_case 42403 0 '<a href="https://redir.badcdn.test.good.test/">x</a> https://notredir.badcdn.test/'
printf 'PDF-1.4 https://redir.badcdn.test/in-an-attachment\n' >"$LAB_DIR/attachment.bin"
skipped_before=$(stat_of mime_parts_skipped)
body_case 42601 1 "MIME swaks --attach-body text/html (base64)" --attach-type text/html \
	--attach-body '<p>Pay now: <a href="https://redir.badcdn.test/pay">invoice</a></p>'
body_case 42602 0 "MIME swaks --attach (a link inside the attachment)" --body "see the attachment" \
	--attach "$LAB_DIR/attachment.bin"
skipped_after=$(stat_of mime_parts_skipped)
[ "$skipped_after" -gt "$skipped_before" ] &&
	echo "PASS: lab-forms: MIME: the attachment was skipped and counted ($skipped_before -> $skipped_after)" ||
	echo "FAIL: lab-forms: MIME: mime_parts_skipped stayed $skipped_after"
port=42603
for kind in qp-html:1 b64-html:1 pdf-first:1 lookalike:0 forwarded:1; do
	tests/lab/mkmime.py "${kind%:*}" "$LAB_DIR/${kind%:*}.eml"
	body_case $port "${kind#*:}" "MIME ${kind%:*} (as a mail client builds it)" --data "$LAB_DIR/${kind%:*}.eml"
	port=$((port + 1))
done

# CHUNKING: the From: header cut between two BDAT chunks
before=$(lab_mail_count)
code=$(lab_nsx "$LAB_OUT_NS" timeout 30 tests/lab/smtp_forms.py bdat "$LAB_RELAY_IP4" 42300)
lab_wait_delivered $((before + 1)) 20 >/dev/null 2>&1
lab_sg events >"$LAB_DIR/bdat.jsonl"
if [ "$code" = 250 ] && grep -rlq '^X-Form: 200' "$LAB_MAILDIR"; then
	echo "PASS: lab-forms: BDAT message with a From: cut between chunks: delivered"
else
	echo "FAIL: lab-forms: BDAT message: reply $code, not delivered"
fi
grep '"src_port":42300' "$LAB_DIR/bdat.jsonl" | grep -q '"where":\["header_from"\]' &&
	echo "PASS: lab-forms: BDAT message: the From: across chunks alerts" ||
	echo "FAIL: lab-forms: BDAT message: no header_from alert"
cat "$LAB_DIR/alerts.jsonl" "$LAB_DIR/alerts2.jsonl" "$LAB_DIR/bdat.jsonl" >>"$LAB_DIR/all-alerts.jsonl"

# block mode (drop-only in this version): the forged message never reaches
# Postfix's queue; the next legitimate session is delivered as usual
grep -v '^action spoofed_internal_domain' "$LAB_SG_CONF" >"$LAB_DIR/block.conf"
echo "action spoofed_internal_domain block" >>"$LAB_DIR/block.conf"
lab_sg policy apply "$LAB_DIR/block.conf" >/dev/null ||
	echo "FAIL: lab-forms: block: policy apply of the block config"
before=$(lab_mail_count)
lab_send "$LAB_OUT_NS" --from ceo@corp.example --to bob@corp.example \
	--local-port 42500 --timeout 4 --body "forged" >/dev/null 2>&1
sleep 2
lab_sg events >"$LAB_DIR/block.jsonl"
cat "$LAB_DIR/block.jsonl" >>"$LAB_DIR/all-alerts.jsonl"
grep '"src_port":42500' "$LAB_DIR/block.jsonl" | grep -q '"action":"blocked"' &&
	echo "PASS: lab-forms: block: the forged MAIL FROM raises an alert with action blocked" ||
	echo "FAIL: lab-forms: block: no blocked alert for the forged session"
if [ "$(lab_mail_count)" = "$before" ] && lab_queue_empty; then
	echo "PASS: lab-forms: block: the forged message is neither delivered nor queued"
else
	echo "FAIL: lab-forms: block: the forged message reached Postfix ($(lab_mail_count) vs $before)"
fi
lab_send "$LAB_OUT_NS" --from alice@example.net --to bob@corp.example --local-port 42501 \
	--body "legit" >/dev/null 2>&1
lab_wait_delivered $((before + 1)) 20 >/dev/null 2>&1 &&
	echo "PASS: lab-forms: block: a legitimate session after it is delivered" ||
	echo "FAIL: lab-forms: block: the legitimate message was not delivered"
lab_sg policy apply "$LAB_SG_CONF" >/dev/null
out=$(tests/tools/eve_validate.py "$LAB_DIR/all-alerts.jsonl" 2>&1)
case $? in
0) echo "PASS: lab-forms: all $(wc -l <"$LAB_DIR/all-alerts.jsonl") alert lines validate against the eve schema" ;;
2) echo "SKIP: lab-forms: eve schema: $out" ;;
*) echo "FAIL: lab-forms: eve schema: $(echo "$out" | head -n 3 | tr '\n' ' ')" ;;
esac
exit 0
