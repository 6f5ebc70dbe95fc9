#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_cli.sh - the smtpguard command line as an operator meets it: --help,
# wrong arguments, a missing interface, a second load, bad config lines, an
# over-long domain, a non-root user, broken captures given to replay, policy
# changes on a loaded instance, JSON output, bpftool's view of the maps, and
# a clean unload. Every error must be one clear line on stderr and a non-zero
# exit, and a failed command must leave nothing applied.
#
# One line per check: "PASS: cli: NAME", "FAIL: cli: NAME: DETAIL",
# "SKIP: cli: NAME: REASON"; exit 1 if any check failed.
#
# Everything runs in network namespaces this script creates (random names),
# on a veth pair, with a private pin dir given by --pin-dir, so a smtpguard
# already loaded on the host is never touched. smtpguard is run through
# `nsenter --net` rather than `ip netns exec`, which remounts /sys and would
# hide the pins under /sys/fs/bpf. Addresses come from the TEST-NET ranges.

# SC2012: ls lists only the pin dir, whose names this tool chose
# SC2317: cleanup runs from a trap
# shellcheck disable=SC2012,SC2317

set -uo pipefail # not -e: a failed check must not stop the others

cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BIN=$REPO/smtpguard
# the distribution's python3: json is all it needs, and a pyenv shim in PATH
# may not be runnable inside a namespace or as nobody
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

PASSED=0
FAILED=0
SKIPPED=0
pass() { echo "PASS: cli: $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: cli: $1: $2"; FAILED=$((FAILED + 1)); }
skip() { echo "SKIP: cli: $1: $2"; SKIPPED=$((SKIPPED + 1)); }

finish()
{
	echo "cli: $PASSED passed, $FAILED failed, $SKIPPED skipped" >&2
	[ "$FAILED" -eq 0 ]
	exit $?
}

if [ ! -x "$BIN" ]; then
	skip all "$BIN is missing (run 'make smtpguard')"
	finish
fi

ID=$$-$RANDOM
T=$(mktemp -d /tmp/sgcli-XXXXXX) || exit 1
# nobody reads the configs and captures here and runs the copy of the binary
chmod 0755 "$T"
NS=
NS2=
PIN=/sys/fs/bpf/smtpguard-cli-$ID
# a second instance, to stand for "another XDP program" on an interface
PIN2=/sys/fs/bpf/smtpguard-cli-$ID-other
SRV_PID=

cleanup()
{
	local ifc pd

	trap - EXIT INT TERM
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	SRV_PID=
	for pd in "$PIN" "$PIN2"; do
		# unload first: deleting the namespace first would leave the pins behind
		if [ -n "$NS" ] && [ -e "/run/netns/$NS" ] && [ -d "$pd" ]; then
			for ifc in $(ls "$pd" 2>/dev/null | sed -n 's/^link_xdp_//p'); do
				timeout 10 nsenter --net="/run/netns/$NS" -- "$BIN" --pin-dir "$pd" \
					unload "$ifc" >/dev/null 2>&1
			done
		fi
		# only ever our own private pin dirs
		case $pd in
		/sys/fs/bpf/smtpguard-cli-*) [ -e "$pd" ] && rm -rf "$pd" ;;
		esac
	done
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -n "$NS2" ] && ip netns del "$NS2" 2>/dev/null
	NS='' NS2=''
	rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# ------------------------------------------------------------------ helpers

# run CMD... - stdout to $T/out, stderr to $T/err, exit status in RC. Every
# command is bounded, so a wedged one fails its check instead of the run.
RC=0
run()
{
	timeout --kill-after=5 20 "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
}
# sg ARGS... - smtpguard in the test namespace on the private pin dir
sg() { run nsenter --net="/run/netns/$NS" -- "$BIN" --pin-dir "$PIN" "$@"; }
# plain ARGS... - smtpguard where no namespace is needed
plain() { run "$BIN" --pin-dir "$PIN" "$@"; }

nlines() { grep -c '' "$1"; }
# what stderr said, on one line, for a FAIL detail
said() { tr '\n' '|' <"$T/err" | cut -c1-300; }
is_json() { "$PY" -c 'import json, sys; json.load(sys.stdin)' <"$1" 2>/dev/null; }

# expect_error NAME ERE [WHAT] - the last command failed with exactly one line
# on stderr, matching ERE (WHAT names what the line should say, for FAIL)
expect_error()
{
	local name=$1 re=$2 what=${3:-$2} n

	n=$(nlines "$T/err")
	if [ "$RC" -eq 0 ]; then
		fail "$name" "exit 0, expected non-zero (stderr: $(said))"
	elif [ "$RC" -ge 124 ]; then
		fail "$name" "timed out or killed (status $RC)"
	elif [ "$n" -ne 1 ]; then
		fail "$name" "$n lines on stderr, expected one: $(said)"
	elif ! grep -Eq -- "$re" "$T/err"; then
		fail "$name" "the line does not say $what: $(said)"
	else
		pass "$name"
	fi
}

pins() { ls -A "$PIN" 2>/dev/null | tr '\n' ' '; }
pins_empty() { [ ! -e "$PIN" ] || [ -z "$(ls -A "$PIN" 2>/dev/null)" ]; }
xdp_on() { ip -n "$NS" link show dev "$1" 2>/dev/null | grep -q xdp; }
ere_quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# ------------------------------------------------- help and wrong arguments
# (no root needed: these fail before anything touches the kernel)

CMDS="load unload status policy stats flows events replay check-config"
# and whatever the command table holds that the contract does not name yet
# shellcheck disable=SC2013 # command names are single words
for c in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", do_.*/\1/p' user/main.c); do
	case " $CMDS " in *" $c "*) ;; *) CMDS="$CMDS $c" ;; esac
done

for c in $CMDS; do
	run "$BIN" "$c" --help
	if [ "$RC" -ne 0 ]; then
		fail "help: $c --help" "exit $RC (stderr: $(said))"
	elif ! grep -Eq "^usage: .*smtpguard.* $c( |\$)" "$T/out"; then
		fail "help: $c --help" "no usage line naming '$c': $(head -c 200 "$T/out")"
	elif [ -s "$T/err" ]; then
		fail "help: $c --help" "wrote to stderr: $(said)"
	else
		pass "help: $c --help"
	fi
done

run "$BIN" --help
missing=
for c in $CMDS; do
	grep -Eq "^  $c( |\$)" "$T/out" || missing="$missing $c"
done
if [ "$RC" -ne 0 ]; then
	fail "help: smtpguard --help" "exit $RC"
elif [ -n "$missing" ]; then
	fail "help: smtpguard --help" "does not list:$missing"
else
	pass "help: smtpguard --help lists every subcommand"
fi

run "$BIN" frobnicate
expect_error "unknown subcommand" "^smtpguard: .*frobnicate" "the unknown name"
[ -s "$T/out" ] && fail "unknown subcommand: stdout" "printed to stdout: $(head -c 200 "$T/out")"

# missing_arg NAME ARGS... - fails with one error line, the usage after it
missing_arg()
{
	local name=$1

	shift
	plain "$@"
	# the lines before the usage reminder are the error: one, ours
	sed '/^usage: /,$d' "$T/err" >"$T/errline"
	if [ "$RC" -eq 0 ] || [ "$RC" -ge 124 ]; then
		fail "missing argument: $name" "exit $RC"
	elif [ "$(nlines "$T/errline")" -ne 1 ] || ! grep -q '^smtpguard: ' "$T/errline"; then
		fail "missing argument: $name" "expected one 'smtpguard: ...' error line: $(said)"
	elif [ -s "$T/out" ]; then
		fail "missing argument: $name" "printed to stdout: $(head -c 200 "$T/out")"
	else
		pass "missing argument: $name"
	fi
}
missing_arg "load without an interface" load
missing_arg "unload without an interface" unload
missing_arg "policy without a subcommand" policy
missing_arg "policy add internal-domain without a value" policy add internal-domain
missing_arg "policy add without a kind" policy add
missing_arg "replay without --config" replay "$T/none.pcap"
missing_arg "replay without a capture" replay --config "$T/none.conf"
missing_arg "check-config without a file" check-config
missing_arg "flows --top without a number" flows --top x
missing_arg "flows --top without its value" flows --top
missing_arg "replay --config without its FILE" replay --config
missing_arg "load with an unknown option" load sgv0 --bogus

# ------------------------------------------------------------ test inputs

# A good config, a different good one, and bad ones whose bad line is not the
# first, so a line count that skips comments or blank lines shows.
cat >"$T/good.conf" <<'EOF'
# smtpguard.conf for the CLI test
port 25
internal-domain corp.example
trusted-net 203.0.113.0/24
EOF
cat >"$T/other.conf" <<'EOF'
port 25
port 587
internal-domain corp.example
internal-domain corp2.example
EOF
cat >"$T/bad.conf" <<'EOF'
# a wrong line further down: nothing of this file may be applied
port 2525
internal-domain evil-takeover.example

action spoofed_internal_domain drop
EOF
BAD_LINE=5
# 200 characters, in labels short enough that only the length is wrong
LONG=$(printf 'a%.0s' $(seq 48)).$(printf 'b%.0s' $(seq 47)).$(printf 'c%.0s' $(seq 47)).$(printf 'd%.0s' $(seq 47)).example
printf '# an over-long domain\nport 25\ninternal-domain %s\n' "$LONG" >"$T/long.conf"
LONG_LINE=3
echo "this is not a capture" >"$T/text.pcap"
chmod 0644 "$T"/*.conf "$T"/*.pcap

# A capture of one SMTP session from TEST-NET-2 to TEST-NET-1 whose MAIL FROM
# claims corp.example: written by hand, so the test needs no capture tool.
"$PY" - "$T/good.pcap" <<'EOF'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp

cli, srv, cseq, sseq = "198.51.100.7", "192.0.2.25", 1000, 5000
frames = [frame(cli, srv, 40001, 25, cseq, 0, 0x02),
          frame(srv, cli, 25, 40001, sseq, cseq + 1, 0x12),
          frame(cli, srv, 40001, 25, cseq + 1, sseq + 1, 0x10)]
seq = cseq + 1
for line in (b"EHLO mail.evil.test\r\n", b"MAIL FROM:<ceo@corp.example>\r\n"):
    frames.append(frame(cli, srv, 40001, 25, seq, sseq + 1, 0x18, line))
    seq += len(line)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        # 2023-11-14T22:13:20Z, one packet a second
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)
EOF
# the same capture cut 20 bytes into its last packet's 84
size=$(stat -c %s "$T/good.pcap" 2>/dev/null || echo 0)
head -c $((size - 20)) "$T/good.pcap" >"$T/trunc.pcap"
chmod 0644 "$T"/*.pcap

# ------------------------------------------------- config errors, no root

# config_error NAME FILE LINE - the last command's error is "FILE:LINE: ..."
# on one line (after the "smtpguard: " every CLI error starts with)
config_error()
{
	local name=$1 file=$2 line=$3

	expect_error "$name" "^(smtpguard: )?$(ere_quote "$file"):$line: [^ ]" "$file:$line: ..."
}

plain check-config "$T/bad.conf"
config_error "check-config: wrong line reported as FILE:LINE" "$T/bad.conf" "$BAD_LINE"
plain check-config "$T/long.conf"
config_error "check-config: over-long domain reported as FILE:LINE" "$T/long.conf" "$LONG_LINE"
plain check-config "$T/good.conf"
if [ "$RC" -eq 0 ] && grep -q ': ok' "$T/out"; then
	pass "check-config: a good file is ok"
else
	fail "check-config: a good file is ok" "exit $RC: $(said)"
fi
printf 'internal-domain corp.example\naction spoofed_internal_domain block\nrate-limit 200/min\nquarantine 5/10m for 1h\nfail-closed yes\n' >"$T/block.conf"
plain check-config "$T/block.conf"
if [ "$RC" -eq 0 ] && grep -q '; block: spoofed_internal_domain, stream_anomaly; rate-limit 200/min; quarantine 5/600s for 3600s; fail-closed$' "$T/out"; then
	pass "check-config: says what blocks, the rate limit, the quarantine, fail-closed"
else
	fail "check-config: says what blocks" "exit $RC: $(cat "$T/out") $(said)"
fi
printf 'action bad_redirect_host block\naction stream_anomaly alert\n' >"$T/weak.conf"
plain check-config "$T/weak.conf"
if [ "$RC" -eq 0 ] && grep -q 'warning: .*a rule blocks but action stream_anomaly is alert' "$T/err"; then
	pass "check-config: warns that a block rule with stream_anomaly alert leaves a way around"
else
	fail "check-config: warns about stream_anomaly alert beside a block rule" "exit $RC: $(said)"
fi

# ------------------------------------------------------------------ root

if [ "$(id -u)" -ne 0 ]; then
	for c in "load on a missing interface" "second load" "config errors while loaded" \
		 "policy round trip" "JSON output" "bpftool" "non-root user" "replay" "unload"; do
		skip "$c" "needs root (BPF, namespaces, switching to nobody)"
	done
	finish
fi
for tool in ip nsenter; do
	if ! command -v "$tool" >/dev/null; then
		skip "root checks" "$tool is missing"
		finish
	fi
done

NS=sgcli-$ID-a
NS2=sgcli-$ID-b
if ! ip netns add "$NS" || ! ip netns add "$NS2" ||
   ! ip -n "$NS" link add sgv0 type veth peer name sgv1 netns "$NS2" ||
   ! ip -n "$NS" addr add 192.0.2.1/24 dev sgv0 ||
   ! ip -n "$NS2" addr add 192.0.2.2/24 dev sgv1 ||
   ! ip -n "$NS" link set sgv0 up || ! ip -n "$NS2" link set sgv1 up ||
   ! ip -n "$NS" link add sgv2 type veth peer name sgv3 ||
   ! ip -n "$NS" link set sgv2 up || ! ip -n "$NS" link set sgv3 up ||
   ! ip -n "$NS" link set lo up; then
	skip "root checks" "cannot create the namespaces and veth pair"
	finish
fi

# --------------------------------------------------- loads that must fail

sg load sgnosuch0
expect_error "load on a missing interface" "^smtpguard: .*sgnosuch0" "the interface's name"
if pins_empty; then
	pass "load on a missing interface: nothing pinned"
else
	fail "load on a missing interface: nothing pinned" "$PIN holds: $(pins)"
fi

# sgv2 is taken by another XDP program (a second smtpguard, pinned apart)
run nsenter --net="/run/netns/$NS" -- "$BIN" --pin-dir "$PIN2" load sgv2
if [ "$RC" -ne 0 ]; then
	fail "setup: another XDP program on sgv2" "exit $RC: $(said)"
fi
sg load sgv2
expect_error "first load on an interface with another XDP program" "^smtpguard: .*sgv2" \
	"the interface's name"
if pins_empty; then
	pass "first load on an interface with another XDP program: nothing pinned"
else
	fail "first load on an interface with another XDP program: nothing pinned" \
	     "$PIN holds: $(pins)"
	# what is left wedges every later load on this pin dir: clear it so
	# the checks below still measure what they are about
	rm -rf "$PIN"
fi

sg load sgv0 --config "$T/bad.conf"
config_error "load --config: wrong line reported as FILE:LINE" "$T/bad.conf" "$BAD_LINE"
if pins_empty && ! xdp_on sgv0; then
	pass "load --config with a wrong line: nothing attached or pinned"
else
	fail "load --config with a wrong line: nothing attached or pinned" \
	     "pins: $(pins); xdp on sgv0: $(xdp_on sgv0 && echo yes || echo no)"
fi

sg load sgv0 --config "$T/long.conf"
config_error "load --config: over-long domain reported as FILE:LINE" "$T/long.conf" "$LONG_LINE"
if pins_empty && ! xdp_on sgv0; then
	pass "load --config with an over-long domain: nothing attached or pinned"
else
	fail "load --config with an over-long domain: nothing attached or pinned" \
	     "pins: $(pins)"
fi

# -------------------------------------------------------------- the load

sg load sgv0 --config "$T/good.conf"
if [ "$RC" -ne 0 ]; then
	fail "load" "exit $RC: $(said)"
	echo "cli: smtpguard did not load; the checks that need it cannot run" >&2
	finish
fi
sg status --json
if [ "$RC" -eq 0 ] && xdp_on sgv0 && "$PY" -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(not any(i["interface"] == "sgv0" and i["xdp_link_id"] and i["tc_link_id"]
                 for i in s["interfaces"]))' <"$T/out" 2>/dev/null; then
	pass "load: attached and shown by status"
else
	fail "load: attached and shown by status" "exit $RC: $(head -c 300 "$T/out") $(said)"
fi
cp "$T/out" "$T/status-before"

# policy_json FILE - the policy in force, as policy show --json prints it
policy_json() { sg policy show --json; cp "$T/out" "$1"; }
policy_json "$T/policy-loaded"

# a second load, with a config that would change the policy if it applied
sg load sgv0 --config "$T/other.conf"
expect_error "second load on the same interface" "^smtpguard: .*sgv0.*already" \
	"that sgv0 is already loaded"
sg status --json
if "$PY" - "$T/status-before" "$T/out" <<'EOF' 2>/dev/null; then
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(a["interfaces"] != b["interfaces"] or a["policy_generation"] != b["policy_generation"])
EOF
	pass "second load: the first is still attached, same links and policy generation"
else
	fail "second load: the first is still attached, same links and policy generation" \
	     "before: $(head -c 200 "$T/status-before") after: $(head -c 200 "$T/out")"
fi
policy_json "$T/policy-now"
if cmp -s "$T/policy-loaded" "$T/policy-now"; then
	pass "second load: its --config was not applied"
else
	fail "second load: its --config was not applied" "policy now: $(head -c 300 "$T/policy-now")"
fi

# A load on a second interface that cannot attach there must not touch the
# instance already running on the first: not even its policy.
sg load sgv2 --config "$T/other.conf"
expect_error "load on a second interface with another XDP program" "^smtpguard: .*sgv2" \
	"the interface's name"
policy_json "$T/policy-now"
if cmp -s "$T/policy-loaded" "$T/policy-now"; then
	pass "failed load on a second interface: its --config was not applied"
else
	fail "failed load on a second interface: its --config was not applied" \
	     "the load failed but its policy is in force on sgv0: $(head -c 300 "$T/policy-now")"
	# put the policy back for the checks below
	sg policy apply "$T/good.conf"
fi
run nsenter --net="/run/netns/$NS" -- "$BIN" --pin-dir "$PIN2" unload sgv2

# ---------------------------------- traffic: the first load still works

# A relay on 192.0.2.1:25 in NS and a client in NS2 whose MAIL FROM claims
# corp.example: the XDP program on sgv0 sees the client's side.
cat >"$T/server.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", 25))
s.listen(1)
s.settimeout(15)
c, _ = s.accept()
c.settimeout(5)
c.sendall(b"220 sgcli.test ESMTP\r\n")
buf = b""
while True:
    d = c.recv(4096)
    if not d:
        break
    buf += d
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if line.upper().startswith(b"QUIT"):
            c.sendall(b"221 bye\r\n")
            sys.exit(0)
        c.sendall(b"250 ok\r\n")
EOF
cat >"$T/client.py" <<'EOF'
import socket, sys, time
for _ in range(50):
    try:
        c = socket.create_connection(("192.0.2.1", 25), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("cannot connect to 192.0.2.1:25")
f = c.makefile("rb")
def expect(code):
    line = f.readline()
    if not line.startswith(code):
        sys.exit("expected %r, got %r" % (code, line))
expect(b"220")
for cmd in (b"EHLO mail.evil.test", b"MAIL FROM:<ceo@corp.example>"):
    c.sendall(cmd + b"\r\n")
    expect(b"250")
# the session stays open while the test reads `flows` (bounded)
open(sys.argv[1] + ".ready", "w").close()
for _ in range(100):
    try:
        open(sys.argv[1] + ".done").close()
        break
    except OSError:
        time.sleep(0.1)
c.sendall(b"QUIT\r\n")
expect(b"221")
EOF
nsenter --net="/run/netns/$NS" -- "$PY" "$T/server.py" >/dev/null 2>&1 &
SRV_PID=$!
(run nsenter --net="/run/netns/$NS2" -- "$PY" "$T/client.py" "$T/session"
 echo "$RC" >"$T/client.rc"; cp "$T/err" "$T/client.err") &
CLI_PID=$!
for _ in $(seq 100); do [ -e "$T/session.ready" ] && break; sleep 0.1; done
# a live session is listed by flows; once it ends, its entry is freed
sg flows --json
cp "$T/out" "$T/flows.live"
touch "$T/session.done"
wait "$CLI_PID"
client_rc=$(cat "$T/client.rc" 2>/dev/null || echo 1)
client_err=$(tr '\n' '|' <"$T/client.err" 2>/dev/null)
wait "$SRV_PID" 2>/dev/null
SRV_PID=
if [ "$client_rc" -ne 0 ]; then
	fail "traffic: SMTP session through sgv0" "client failed ($client_rc): $client_err"
else
	pass "traffic: SMTP session through sgv0"
	sg stats --json
	if [ "$RC" -eq 0 ] && "$PY" -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(not (s["watched_packets"] > 0 and s["alert_mail_from"] >= 1))' <"$T/out" 2>/dev/null; then
		pass "traffic: stats count the session and its MAIL FROM alert"
	else
		fail "traffic: stats count the session and its MAIL FROM alert" \
		     "exit $RC: $(head -c 300 "$T/out") $(said)"
	fi
	sg events
	if [ "$RC" -eq 0 ] && "$PY" -c '
import json, sys
hits = 0
for line in sys.stdin:
    e = json.loads(line)
    a = e.get("alert", {})
    hits += (e["event_type"] == "alert" and e["src_ip"] == "192.0.2.2"
             and a["signature_id"] == 9100001 and a["action"] == "allowed"
             and a["metadata"]["match"] == ["corp.example"])
sys.exit(hits != 1)' <"$T/out" 2>/dev/null; then
		pass "traffic: events prints the alert as an eve JSON line"
	else
		fail "traffic: events prints the alert as an eve JSON line" \
		     "exit $RC: $(head -c 400 "$T/out") $(said)"
	fi
fi

# ------------------------------------------------------------- JSON output

sg stats --json
if [ "$RC" -eq 0 ] && is_json "$T/out"; then
	pass "json: stats --json parses"
else
	fail "json: stats --json parses" "exit $RC: $(head -c 200 "$T/out") $(said)"
fi
sg flows --json
if [ "$RC" -eq 0 ] && is_json "$T/out"; then
	pass "json: flows --json parses"
	if [ "$client_rc" -eq 0 ]; then
		if "$PY" -c '
import json, sys
sys.exit(not any(f["src_ip"] == "192.0.2.2" and f["dest_port"] == 25 and f["commands"] >= 2
                 for f in json.load(sys.stdin)))' <"$T/flows.live" 2>/dev/null; then
			pass "json: flows --json lists the live session"
		else
			fail "json: flows --json lists the live session" "$(head -c 400 "$T/flows.live")"
		fi
		if "$PY" -c '
import json, sys
sys.exit(any(f["src_ip"] == "192.0.2.2" and f["dest_port"] == 25
             for f in json.load(sys.stdin)))' <"$T/out" 2>/dev/null; then
			pass "json: the ended session (FIN both ways) is gone from flows"
		else
			fail "json: the ended session (FIN both ways) is gone from flows" \
			     "$(head -c 400 "$T/out")"
		fi
	fi
else
	fail "json: flows --json parses" "exit $RC: $(head -c 200 "$T/out") $(said)"
fi
sg status --json
if [ "$RC" -eq 0 ] && is_json "$T/out"; then
	pass "json: status --json parses"
else
	fail "json: status --json parses" "exit $RC: $(head -c 200 "$T/out") $(said)"
fi

if command -v bpftool >/dev/null; then
	run bpftool map dump pinned "$PIN/sg_stats"
	if [ "$RC" -eq 0 ] && grep -q '"watched_packets"' "$T/out"; then
		pass "bpftool: sg_stats dumps with named fields"
	else
		fail "bpftool: sg_stats dumps with named fields" "exit $RC: $(head -c 200 "$T/out") $(said)"
	fi
	run bpftool map dump pinned "$PIN/sg_config"
	if [ "$RC" -eq 0 ] && grep -q '"generation"' "$T/out"; then
		pass "bpftool: sg_config dumps with named fields"
	else
		fail "bpftool: sg_config dumps with named fields" "exit $RC: $(head -c 200 "$T/out") $(said)"
	fi
else
	skip "bpftool: map dumps" "bpftool is missing"
fi

# ------------------------------------------- config errors while loaded

# policy apply of a good file first, so "nothing applied" below is measured
# against a policy that apply demonstrably can change
sg policy apply "$T/other.conf"
policy_json "$T/policy-other"
if [ "$RC" -eq 0 ] && grep -q '"corp2.example"' "$T/policy-other" &&
   grep -q '587' "$T/policy-other"; then
	pass "policy apply: a good file is in force"
else
	fail "policy apply: a good file is in force" "policy now: $(head -c 300 "$T/policy-other")"
fi
sg status --json
gen_before=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["policy_generation"])' \
	     <"$T/out" 2>/dev/null)

# unchanged NAME - the policy in force is still other.conf's, same generation
unchanged()
{
	local gen

	policy_json "$T/policy-now"
	sg status --json
	gen=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["policy_generation"])' \
	      <"$T/out" 2>/dev/null)
	if cmp -s "$T/policy-other" "$T/policy-now" && [ "$gen" = "$gen_before" ]; then
		pass "$1"
	else
		fail "$1" "generation $gen_before -> $gen; policy now: $(head -c 300 "$T/policy-now")"
	fi
}

sg policy apply "$T/bad.conf"
config_error "policy apply: wrong line reported as FILE:LINE" "$T/bad.conf" "$BAD_LINE"
unchanged "policy apply with a wrong line: nothing applied"

sg policy apply "$T/long.conf"
config_error "policy apply: over-long domain reported as FILE:LINE" "$T/long.conf" "$LONG_LINE"
unchanged "policy apply with an over-long domain: nothing applied"

sg policy add internal-domain "$LONG"
expect_error "policy add: over-long domain" "^smtpguard: .*(long|characters)" \
	"that the domain is too long"
unchanged "policy add of an over-long domain: nothing applied"

# ------------------------------------------------------ policy round trip

sg policy add internal-domain incident.example
add_rc=$RC
policy_json "$T/p"
if [ "$add_rc" -eq 0 ] && grep -q '"incident.example"' "$T/p"; then
	pass "policy add internal-domain: in force"
else
	fail "policy add internal-domain: in force" "exit $add_rc; policy: $(head -c 300 "$T/p")"
fi
# the same name as written differently: normalised to the same entry
sg policy add internal-domain Incident.Example.
expect_error "policy add of a duplicate says already" "^smtpguard: .*already" "already"

sg policy add blocked-source 192.0.2.66/32 for 10m
add_rc=$RC
sg policy show
if [ "$add_rc" -eq 0 ] && grep -Eq '^blocked-source 192\.0\.2\.66/32 for [0-9]+s$' "$T/out"; then
	pass "policy add blocked-source 192.0.2.66/32 for 10m: in force with its duration"
else
	fail "policy add blocked-source 192.0.2.66/32 for 10m: in force with its duration" \
	     "exit $add_rc; policy show: $(tr '\n' '|' <"$T/out" | cut -c1-300)"
fi
secs=$(sed -n 's/^blocked-source 192\.0\.2\.66\/32 for \([0-9]*\)s$/\1/p' "$T/out")
if [ -n "$secs" ] && [ "$secs" -gt 590 ] && [ "$secs" -le 600 ]; then
	pass "policy show: blocked-source time left is about 10m"
else
	fail "policy show: blocked-source time left is about 10m" "shows '${secs}s'"
fi

sg policy show --json
if [ "$RC" -eq 0 ] && "$PY" -c '
import json, sys
p = json.load(sys.stdin)
b = [e for e in p["blocked_sources"] if e["prefix"] == "192.0.2.66/32"]
sys.exit(not ("incident.example" in p["internal_domains"]
              and b and 500 < b[0].get("expires_in_s", 0) <= 600))' <"$T/out" 2>/dev/null; then
	pass "policy show --json parses and holds the additions (with the block's time left)"
else
	fail "policy show --json parses and holds the additions" "exit $RC: $(head -c 300 "$T/out")"
fi

sg policy del internal-domain incident.example
del_rc=$RC
sg policy del blocked-source 192.0.2.66/32
del_rc2=$RC
policy_json "$T/p"
if [ "$del_rc" -eq 0 ] && [ "$del_rc2" -eq 0 ] && cmp -s "$T/p" "$T/policy-other"; then
	pass "policy del: back to the applied policy"
else
	fail "policy del: back to the applied policy" \
	     "exit $del_rc/$del_rc2; policy: $(head -c 300 "$T/p")"
fi
sg policy del internal-domain incident.example
expect_error "policy del of a missing entry says not in the policy" \
	"^smtpguard: .*not in the policy" "'not in the policy'"
sg policy del blocked-source 198.51.100.99/32
expect_error "policy del of a missing prefix says not in the policy" \
	"^smtpguard: .*not in the policy" "'not in the policy'"

# A timed block that has run out is no block: the kernel ignores it, so an
# operator must be able to block the source again, and show must not list it
# as a block without end.
sg policy add blocked-source 192.0.2.77/32 for 1s
sleep 1.2
sg policy show
if grep -Eq '^blocked-source 192\.0\.2\.77/32$' "$T/out"; then
	fail "policy show: an expired timed block is not shown as permanent" \
	     "shows 'blocked-source 192.0.2.77/32' with no duration after it expired"
else
	pass "policy show: an expired timed block is not shown as permanent"
fi
sg policy add blocked-source 192.0.2.77/32 for 10m
if [ "$RC" -eq 0 ]; then
	pass "policy add: a source whose block expired can be blocked again"
else
	fail "policy add: a source whose block expired can be blocked again" \
	     "exit $RC: $(said) (the expired entry is not enforced, so nothing blocks it)"
fi
sg policy del blocked-source 192.0.2.77/32

# -------------------------------------------------------------- non-root

# A copy of the binary nobody can run wherever the checkout is
install -m 0755 "$BIN" "$T/smtpguard"
if ! command -v setpriv >/dev/null; then
	skip "non-root user" "setpriv is missing"
else
	nobody() { run nsenter --net="/run/netns/$NS" -- setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$T/smtpguard" --pin-dir "$PIN" "$@"; }
	for args in "load sgv0" "unload sgv0" "status" "stats" "flows" "policy show" \
		    "policy add internal-domain x.example" "policy apply $T/good.conf" "events" \
		    "replay --config $T/good.conf $T/good.pcap"; do
		# shellcheck disable=SC2086 # args are words
		nobody $args
		expect_error "non-root: ${args%% /*}" "^smtpguard: .*root" "that root is needed"
	done
	nobody check-config "$T/good.conf"
	if [ "$RC" -eq 0 ] && grep -q ': ok' "$T/out"; then
		pass "non-root: check-config works without root"
	elif [ "$RC" -ne 0 ] && [ "$(nlines "$T/err")" -eq 1 ] && grep -q root "$T/err"; then
		pass "non-root: check-config refuses, saying root is needed"
	else
		fail "non-root: check-config" "exit $RC: $(said)"
	fi
	# and nothing a non-root user ran took the instance down
	if xdp_on sgv0 && [ -e "$PIN/link_xdp_sgv0" ]; then
		pass "non-root: the instance is still loaded"
	else
		fail "non-root: the instance is still loaded" "sgv0 lost its XDP program or pin"
	fi
fi

# ----------------------------------------------------------------- replay

plain replay --config "$T/good.conf" "$T/good.pcap"
if [ "$RC" -eq 0 ] && grep -q '^replay: 5 packets' "$T/err"; then
	pass "replay: a valid capture replays with a summary on stderr"
else
	fail "replay: a valid capture replays with a summary on stderr" "exit $RC: $(said)"
fi
if "$PY" -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
sys.exit(not (len(ev) == 1 and ev[0]["alert"]["signature_id"] == 9100001
              and ev[0]["timestamp"].startswith("2023-11-14T22:13:24")))' <"$T/out" 2>/dev/null; then
	pass "replay: the alert on stdout, with the capture's timestamp"
else
	fail "replay: the alert on stdout, with the capture's timestamp" "$(head -c 400 "$T/out")"
fi
plain replay --config "$T/good.conf" "$T/text.pcap"
expect_error "replay: a non-pcap file" "^smtpguard: .*text\.pcap" "the file's name"
plain replay --config "$T/good.conf" "$T/trunc.pcap"
expect_error "replay: a truncated capture" "^smtpguard: .*trunc\.pcap.*trunc" "truncated"
plain replay --config "$T/good.conf" "$T/missing.pcap"
expect_error "replay: a missing file" "^smtpguard: .*missing\.pcap" "the file's name"
plain replay --config "$T/bad.conf" "$T/good.pcap"
config_error "replay: wrong config line reported as FILE:LINE" "$T/bad.conf" "$BAD_LINE"

# ----------------------------------------------------------------- unload

sg unload sgnosuch0
expect_error "unload of a not-loaded interface (another is loaded)" "^smtpguard: .*sgnosuch0" \
	"the interface's name"
if xdp_on sgv0 && [ -e "$PIN/link_xdp_sgv0" ]; then
	pass "unload of another interface left sgv0 loaded"
else
	fail "unload of another interface left sgv0 loaded" "sgv0 lost its XDP program or pin"
fi

sg unload sgv0
if [ "$RC" -eq 0 ]; then
	pass "unload"
else
	fail "unload" "exit $RC: $(said)"
fi
if [ ! -e "$PIN" ]; then
	pass "unload: no pin dir left"
else
	fail "unload: no pin dir left" "$PIN holds: $(pins)"
fi
if ! xdp_on sgv0; then
	pass "unload: no XDP on sgv0"
else
	fail "unload: no XDP on sgv0" "$(ip -n "$NS" link show dev sgv0 | tr '\n' ' ')"
fi
if command -v bpftool >/dev/null; then
	run nsenter --net="/run/netns/$NS" -- bpftool net show dev sgv0
	if [ "$RC" -eq 0 ] && ! grep -q sg_ "$T/out"; then
		pass "unload: no TC egress program on sgv0"
	else
		fail "unload: no TC egress program on sgv0" "$(tr '\n' ' ' <"$T/out")"
	fi
fi
sg unload sgv0
expect_error "unload of a not-loaded interface (nothing loaded)" "^smtpguard: .*sgv0" \
	"the interface's name"

finish
