#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_replay_mime.sh - MIME messages as mail clients build them
# (tests/lab/mkmime.py: Python's email package) and hand-made forms, in
# captures cut into segments of 1448, 37 and 5 bytes, through `smtpguard
# replay`: the same bad_redirect_host alerts whatever the cut, nothing for
# lookalikes, nothing for a link inside an attachment, no header_from alert
# for an attached message's From:, and skipped bytes counted.
set -u
cd "$(dirname "$0")/../.."

pass() { echo "PASS: replay-mime: $*"; }
fail() { echo "FAIL: replay-mime: $*"; }
skip() { echo "SKIP: replay-mime: $*"; }

SG=./smtpguard
if [ "$(id -u)" -ne 0 ]; then
	skip "all: needs root (BPF_PROG_TEST_RUN loads the programs)"
	exit 0
fi
if [ ! -x "$SG" ]; then
	skip "all: smtpguard not built (make test-bins)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'port 25\ninternal-domain corp.example\nbad-host redir.badcdn.test\n' >"$tmp/mime.conf"

# hand-made forms, one file each: what the issue names beyond the clients'
printf '%s\r\n' "From: a@outside.test" "Content-Type: multipart/mixed; boundary=outer" "" \
	"--outer" "Content-Type: multipart/alternative;" " boundary=\"inner x\"" "" \
	"--inner x" "Content-Type: text/plain; charset=us-ascii" \
	"Content-Transfer-Encoding: quoted-printable" "" "go https://redir.bad=" "cdn.test/ now" \
	"--inner x--" "--outer" "Content-Type: image/png" "Content-Transfer-Encoding: base64" "" \
	"aHR0cHM6Ly9yZWRpci5iYWRjZG4udGVzdC8K" "--outer--" >"$tmp/nested-qp.eml"
printf '%s\r\n' "From: a@outside.test" "Content-Type: text/html" \
	"Content-Transfer-Encoding: base64" "" \
	"PGEgaHJlZj0iaHR0cHM6Ly9nb29kLnRlc3Qv" "P3VybD1odHRwcyUzQSUyRiUyRnJlZGlyLmJhZGNkbi50ZXN0JTJGcCI+" \
	"eDwvYT4K" >"$tmp/b64-nested-url.eml" # <a href="https://good.test/?url=https%3A%2F%2Fredir...%2Fp">x</a>
printf '%s\r\n' "From: a@outside.test" "Content-Type: text/plain" "" \
	"From: ceo@corp.example in the body" "https://redir.badcdn.test.good.test/ notredir.badcdn.test" \
	>"$tmp/negatives.eml"

# kind  bad_redirect_host alerts expected
cases="qp-html 1
b64-html 1
pdf-first 1
lookalike 0
forwarded 1
nested-qp 1
b64-nested-url 1
negatives 0"

while read -r kind want; do
	eml=$tmp/$kind.eml
	[ -f "$eml" ] || tests/lab/mkmime.py "$kind" "$eml" || { fail "$kind: mkmime.py failed"; continue; }
	ok=1 counts=
	for split in 1448 37 5; do
		tests/tools/mkpcap.py "$tmp/$kind.$split.pcap" --message "$eml" --split "$split"
		"$SG" replay --config "$tmp/mime.conf" "$tmp/$kind.$split.pcap" >"$tmp/out.jsonl" 2>"$tmp/err" ||
			{ ok=0; counts="$counts replay failed: $(head -n 1 "$tmp/err")"; continue; }
		got=$(grep -c '"bad_redirect_host"' "$tmp/out.jsonl")
		hf=$(grep -c '"header_from"' "$tmp/out.jsonl")
		counts="$counts $split:$got"
		[ "$got" = "$want" ] && [ "$hf" = 0 ] || ok=0
		grep -q 'messages  *1$' "$tmp/err" || { ok=0; counts="$counts (message not ended)"; }
	done
	[ "$ok" = 1 ] && pass "$kind: $want bad_redirect_host alert(s) in every cut, no header_from" ||
		fail "$kind: expected $want, got$counts"
done <<<"$cases"

# the PDF's bytes were skipped and counted, not read
skipped=$(awk '$1 == "mime_bytes_skipped" { print $2 }' < <("$SG" replay --config "$tmp/mime.conf" \
	"$tmp/pdf-first.1448.pcap" 2>&1 >/dev/null))
[ "${skipped:-0}" -gt 1000 ] && pass "pdf-first: the attachment's $skipped bytes counted as skipped" ||
	fail "pdf-first: mime_bytes_skipped is '${skipped:-}'"
exit 0
