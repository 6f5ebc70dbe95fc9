# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lab.sh - a throwaway mail network in network namespaces, to `source`.
#
#   outside 198.51.100.7 2001:db8:bad::7 ─┐
#   partner 203.0.113.5  2001:db8:203::5 ─┼─ router ── sg0  relay 192.0.2.25 2001:db8:25::25
#                                          (forwards)        private Postfix, smtpguard on sg0
#
# lab_up builds it and starts Postfix; lab_down (also run by the EXIT/INT/TERM
# trap lab_up installs) removes every namespace, process, pin and file it made.
# Only TEST-NET and 2001:db8::/32 addresses are used, all inside namespaces
# whose names are random per run, so parallel labs never meet.
#
# Functions: lab_up, lab_down, lab_send, lab_mail_count, lab_wait_delivered,
# lab_queue_empty, lab_sg, lab_sg_bg, lab_bg_stop, lab_capture_start,
# lab_capture_stop, lab_on_down, lab_dump_logs, lab_wait_until.
# Knobs: SMTPGUARD (binary), LAB_KEEP=1 (keep LAB_DIR), LAB_VERBOSE=1,
# LAB_TLS=1 (before lab_up: Postfix offers STARTTLS with a throwaway
# self-signed certificate made in LAB_DIR; off by default, and the default
# lab is unchanged by it), LAB_QUEUES=N (before lab_up: N queues on each
# veth, default 1; more let one session reach XDP on several CPUs).

LAB_REPO=${LAB_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SMTPGUARD=${SMTPGUARD:-$LAB_REPO/smtpguard}

# Names are fixed at source time so that lab_down can find everything even if
# lab_up died half way. $$ and $RANDOM keep parallel runs apart; nothing is
# taken from the environment, so a lab started inside another gets its own.
LAB_ID=sg-$$-$RANDOM
LAB_RELAY_NS=$LAB_ID-relay
LAB_ROUTER_NS=$LAB_ID-router
LAB_OUT_NS=$LAB_ID-out
LAB_PARTNER_NS=$LAB_ID-partner
LAB_IFACE=sg0
LAB_RELAY_IP4=192.0.2.25
LAB_RELAY_IP6=2001:db8:25::25
LAB_OUT_IP4=198.51.100.7
LAB_OUT_IP6=2001:db8:bad::7
LAB_PARTNER_IP4=203.0.113.5
LAB_PARTNER_IP6=2001:db8:203::5
LAB_PIN_DIR=/sys/fs/bpf/smtpguard-lab-${LAB_ID#sg-}
LAB_DIR=
LAB_MAILDIR=
LAB_SG_CONF=
LAB_MAILLOG=
LAB_POSTFIX_CONF=
export LAB_ID LAB_RELAY_NS LAB_ROUTER_NS LAB_OUT_NS LAB_PARTNER_NS LAB_IFACE \
	LAB_RELAY_IP4 LAB_RELAY_IP6 LAB_OUT_IP4 LAB_OUT_IP6 LAB_PARTNER_IP4 \
	LAB_PARTNER_IP6 LAB_PIN_DIR SMTPGUARD

LAB_BG_PIDS=()     # background processes lab_down stops (tcpdump, events --follow)
LAB_ON_DOWN=()     # caller's cleanup commands, run first by lab_down
LAB_CAPTURE_PID=
LAB_CAPTURE_FILE=

lab_log() { echo "lab: $*" >&2; }
lab_vlog() { [ "${LAB_VERBOSE:-0}" = 1 ] && echo "lab: $*" >&2; return 0; }

# lab_wait_until SECONDS CMD... - poll CMD every 0.1 s; never waits forever.
lab_wait_until()
{
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	"$@"
}

lab_ns_exists() { [ -e "/run/netns/$1" ]; }

# lab_nsx NS CMD... - CMD in namespace NS (network, and a private /sys mount).
lab_nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Check what lab_up needs; print one reason and fail if something is missing.
lab_check_env()
{
	local c
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root" >&2
		return 1
	fi
	for c in ip ss postfix postconf swaks tcpdump nsenter timeout; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c not installed (run scripts/install-deps.sh)" >&2; return 1; }
	done
	if [ "${LAB_TLS:-0}" = 1 ] && ! command -v openssl >/dev/null 2>&1; then
		echo "openssl not installed (LAB_TLS=1; run scripts/install-deps.sh)" >&2
		return 1
	fi
}

# ---------------------------------------------------------------- network

lab_ns_add()
{
	ip netns add "$1" || return 1
	# DAD would hold the v6 addresses "tentative" for ~1 s and make the first
	# connect fail; set before any interface exists so veths inherit it.
	lab_nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || return 1
	ip -n "$1" link set lo up
}

# lab_link NS IF ADDR4 ADDR6 PEER_IF GW4 GW6 ROUTER_ADDR4 ROUTER_ADDR6:
# a veth from NS to the router, addresses on both ends, default routes in NS.
lab_link()
{
	local ns=$1 ifc=$2 a4=$3 a6=$4 rif=$5 g4=$6 g6=$7 r4=$8 r6=$9
	# LAB_QUEUES queues each way (default 1, as a NIC's receive-side
	# scaling gives each session one queue). A veth with a queue per CPU
	# takes the sending CPU's, so one session's segments (its writer on
	# one CPU, its retransmission timer on another) reach XDP on two CPUs
	# at once: what the session guard (bpf/guard.h) is for
	local q=${LAB_QUEUES:-1}
	ip -n "$ns" link add "$ifc" numtxqueues "$q" numrxqueues "$q" type veth peer name "$rif" \
		numtxqueues "$q" numrxqueues "$q" netns "$LAB_ROUTER_NS" || return 1
	ip -n "$ns" addr add "$a4" dev "$ifc" &&
		ip -n "$ns" addr add "$a6" dev "$ifc" nodad &&
		ip -n "$LAB_ROUTER_NS" addr add "$r4" dev "$rif" &&
		ip -n "$LAB_ROUTER_NS" addr add "$r6" dev "$rif" nodad &&
		ip -n "$ns" link set "$ifc" up &&
		ip -n "$LAB_ROUTER_NS" link set "$rif" up &&
		ip -n "$ns" route add default via "$g4" &&
		ip -n "$ns" -6 route add default via "$g6"
}

lab_net_up()
{
	local ns
	for ns in "$LAB_RELAY_NS" "$LAB_ROUTER_NS" "$LAB_OUT_NS" "$LAB_PARTNER_NS"; do
		lab_ns_add "$ns" || { lab_log "cannot create namespace $ns"; return 1; }
	done
	lab_nsx "$LAB_ROUTER_NS" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	if ! lab_link "$LAB_RELAY_NS" "$LAB_IFACE" "$LAB_RELAY_IP4/24" "$LAB_RELAY_IP6/64" r-relay \
		192.0.2.1 2001:db8:25::1 192.0.2.1/24 2001:db8:25::1/64 ||
		! lab_link "$LAB_OUT_NS" eth0 "$LAB_OUT_IP4/24" "$LAB_OUT_IP6/48" r-out \
			198.51.100.1 2001:db8:bad::1 198.51.100.1/24 2001:db8:bad::1/48 ||
		! lab_link "$LAB_PARTNER_NS" eth0 "$LAB_PARTNER_IP4/24" "$LAB_PARTNER_IP6/64" r-partner \
			203.0.113.1 2001:db8:203::1 203.0.113.1/24 2001:db8:203::1/64; then
		lab_log "cannot wire the namespaces"
		return 1
	fi
	# Without ethtool the senders' TSO cannot be switched off, and tcpdump on
	# sg0 then records 64 KB GSO frames while an XDP program there sees
	# MTU-sized ones. Capping GSO at one segment makes both see the same.
	local pair ifc
	for pair in "$LAB_OUT_NS eth0" "$LAB_PARTNER_NS eth0" "$LAB_ROUTER_NS r-relay" \
		"$LAB_RELAY_NS $LAB_IFACE"; do
		read -r ns ifc <<<"$pair"
		ip -n "$ns" link set dev "$ifc" gso_max_size 1500 gso_max_segs 1 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- postfix

# A private instance: own config, queue and data dirs under LAB_DIR, no
# chroot (the chroot would need copies of /etc files), no DNS anywhere, mail
# for the test domains into one Maildir, a log file because there is no
# /dev/log here and Postfix errors are otherwise invisible.
lab_postfix_config()
{
	local pf=$LAB_DIR/postfix
	mkdir -p "$pf/etc" "$pf/spool" "$pf/data" "$LAB_MAILDIR"/{new,cur,tmp} || return 1
	chown postfix: "$pf/data" || return 1
	# virtual(8) delivers as this uid; it must be >= virtual_minimum_uid (100)
	chown -R 65534:65534 "$LAB_MAILDIR" || return 1
	LAB_POSTFIX_CONF=$pf/etc
	LAB_MAILLOG=$pf/maillog
	cat >"$pf/etc/main.cf" <<-EOF
	# smtpguard lab relay ($LAB_ID), written by scripts/lab.sh
	compatibility_level = 3.6
	queue_directory = $pf/spool
	data_directory = $pf/data
	maillog_file = $LAB_MAILLOG
	maillog_file_prefixes = $pf
	myhostname = relay.corp.example
	mydomain = corp.example
	myorigin = \$myhostname
	mydestination =
	inet_interfaces = $LAB_RELAY_IP4, [$LAB_RELAY_IP6]
	inet_protocols = all
	mynetworks = 127.0.0.0/8, [::1]/128, 203.0.113.0/24, [2001:db8:203::]/64
	virtual_mailbox_domains = corp.example, corp-mail.example
	virtual_mailbox_base = $LAB_DIR
	virtual_mailbox_maps = static:mail/
	virtual_uid_maps = static:65534
	virtual_gid_maps = static:65534
	alias_maps =
	alias_database =
	local_recipient_maps =
	relay_domains =
	local_transport = error:5.1.1 the lab has no local mailboxes
	default_transport = error:5.4.4 the lab delivers nowhere else
	relay_transport = error:5.4.4 the lab delivers nowhere else
	smtp_dns_support_level = disabled
	smtpd_peername_lookup = no
	# the SMTP smuggling fix smtpguard follows: only CRLF.CRLF ends DATA
	# (Debian 12's Postfix 3.7.11 ships "no", which ends it on LF.LF too)
	smtpd_forbid_bare_newline = normalize
	smtpd_forbid_bare_newline_exclusions =
	smtpd_banner = \$myhostname ESMTP smtpguard lab
	smtpd_error_sleep_time = 0s
	in_flow_delay = 0s
	queue_run_delay = 1s
	minimal_backoff_time = 1s
	maximal_backoff_time = 2s
	biff = no
	append_dot_mydomain = no
	EOF
	# Only the services this lab uses, none chrooted.
	cat >"$pf/etc/master.cf" <<-'EOF'
	smtp      inet  n       -       n       -       -       smtpd
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	if [ "${LAB_TLS:-0}" = 1 ]; then
		lab_postfix_tls "$pf" || { lab_log "cannot make the lab's TLS certificate"; return 1; }
	fi
}

# LAB_TLS=1: STARTTLS offered (security level "may": never required), with
# a self-signed P-256 key and certificate for relay.corp.example made now in
# LAB_DIR/postfix/tls and gone with it. Test only: clients cannot verify it.
# tlsmgr seeds smtpd's PRNG (without it smtpd warns on every TLS session).
lab_postfix_tls()
{
	local pf=$1 tls=$1/tls
	mkdir -p "$tls" || return 1
	timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tls/key.pem" -out "$tls/cert.pem" -days 2 -subj /CN=relay.corp.example \
		-addext subjectAltName=DNS:relay.corp.example >"$tls/openssl.log" 2>&1 ||
		{ cat "$tls/openssl.log" >&2; return 1; }
	chmod 0600 "$tls/key.pem"
	cat >>"$pf/etc/main.cf" <<-EOF
	# LAB_TLS=1: STARTTLS with a throwaway self-signed certificate
	smtpd_tls_cert_file = $tls/cert.pem
	smtpd_tls_key_file = $tls/key.pem
	smtpd_tls_security_level = may
	smtpd_tls_loglevel = 1
	smtpd_tls_session_cache_database =
	EOF
	echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr" >>"$pf/etc/master.cf"
}

lab_postfix_listening()
{
	local l
	l=$(ip netns exec "$LAB_RELAY_NS" ss -Hltn 2>/dev/null) || return 1
	grep -qF "$LAB_RELAY_IP4:25 " <<<"$l" && grep -qF "[$LAB_RELAY_IP6]:25 " <<<"$l"
}

lab_postfix_start()
{
	lab_postfix_config || { lab_log "cannot write the Postfix config"; return 1; }
	if ! lab_nsx "$LAB_RELAY_NS" timeout 30 postfix -c "$LAB_POSTFIX_CONF" start \
		>"$LAB_DIR/postfix/start.log" 2>&1; then
		lab_log "postfix start failed:"
		cat "$LAB_DIR/postfix/start.log" >&2
		# Postfix logs nowhere else: no maillog means it could not even log
		[ -s "$LAB_MAILLOG" ] || lab_log "no $LAB_MAILLOG: is maillog_file under maillog_file_prefixes?"
		lab_dump_logs
		return 1
	fi
	if ! lab_wait_until 15 lab_postfix_listening; then
		lab_log "Postfix does not listen on $LAB_RELAY_IP4:25 and [$LAB_RELAY_IP6]:25"
		lab_dump_logs
		return 1
	fi
}

lab_postfix_master_pid()
{
	local f=$LAB_DIR/postfix/spool/pid/master.pid pid
	[ -n "$LAB_DIR" ] && [ -r "$f" ] || return 1
	pid=$(tr -dc '0-9' <"$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

lab_postfix_stop()
{
	local pid
	pid=$(lab_postfix_master_pid) || return 0
	# Postfix commands must run in the relay's namespace: outside it they
	# find inet_interfaces not local and exit 1 without a word.
	if lab_ns_exists "$LAB_RELAY_NS"; then
		lab_nsx "$LAB_RELAY_NS" timeout 20 postfix -c "$LAB_POSTFIX_CONF" stop >/dev/null 2>&1 ||
			kill -TERM "$pid" 2>/dev/null || true
	else
		kill -TERM "$pid" 2>/dev/null || true
	fi
	# "postfix stop" only signals the master; wait for it, then insist.
	lab_wait_until 10 eval '! kill -0 '"$pid"' 2>/dev/null' || kill -KILL "$pid" 2>/dev/null
	return 0
}

lab_dump_logs()
{
	[ -n "$LAB_MAILLOG" ] && [ -r "$LAB_MAILLOG" ] || return 0
	echo "lab: ---- last lines of $LAB_MAILLOG ----" >&2
	tail -n 25 "$LAB_MAILLOG" >&2
}

# ---------------------------------------------------------------- up / down

lab_write_sg_conf()
{
	LAB_SG_CONF=$LAB_DIR/smtpguard.conf
	cat >"$LAB_SG_CONF" <<-'EOF'
	port 25
	internal-domain corp.example
	trusted-net 203.0.113.0/24
	trusted-net 2001:db8:203::/64
	action spoofed_internal_domain alert
	EOF
}

lab_install_trap()
{
	trap 'lab_down' EXIT
	trap 'lab_down; trap - EXIT; exit 130' INT
	trap 'lab_down; trap - EXIT; exit 143' TERM
}

lab_up()
{
	local why
	why=$(lab_check_env 2>&1) || { lab_log "$why"; return 1; }
	[ "${LAB_NO_TRAP:-0}" = 1 ] || lab_install_trap
	# The bpf filesystem is not mounted at boot on these machines.
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		{ lab_log "cannot mount the bpf filesystem"; return 1; }
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/smtpguard-lab.XXXXXX") || return 1
	# mktemp gives 0700; the postfix user must traverse it.
	chmod 0755 "$LAB_DIR"
	LAB_MAILDIR=$LAB_DIR/mail
	export LAB_DIR LAB_MAILDIR
	lab_write_sg_conf
	export LAB_SG_CONF
	lab_vlog "namespaces $LAB_ID-{relay,router,out,partner}, dir $LAB_DIR"
	lab_net_up || return 1
	lab_postfix_start || return 1
	export LAB_MAILLOG LAB_POSTFIX_CONF
	lab_vlog "relay up: Postfix on $LAB_RELAY_IP4 and [$LAB_RELAY_IP6] port 25"
}

# lab_on_down CMD - run CMD (eval'd) at the start of lab_down.
lab_on_down() { LAB_ON_DOWN+=("$1"); }

lab__ns_idle() { [ -z "$(ip netns pids "$1" 2>/dev/null)" ]; }

# Kill what still runs inside a namespace we made (only our Postfix children,
# tcpdump or smtpguard can be there), so deleting it really frees it.
lab_ns_kill()
{
	local ns=$1 pids
	lab__ns_idle "$ns" && return 0
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	lab_wait_until 3 lab__ns_idle "$ns" && return 0
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	if [ -n "${pids// /}" ]; then kill -KILL $pids 2>/dev/null || true; fi
	return 0
}

# Idempotent: safe to call from the trap, twice, or after a half-made lab_up.
lab_down()
{
	local rc=$? c ns p errexit=0
	# teardown goes on past any failure; the caller's -e comes back after
	[[ $- == *e* ]] && errexit=1
	set +e
	for c in "${LAB_ON_DOWN[@]}"; do eval "$c" >/dev/null 2>&1; done
	LAB_ON_DOWN=()
	lab_capture_stop >/dev/null 2>&1
	for p in "${LAB_BG_PIDS[@]}"; do lab_bg_stop "$p"; done
	LAB_BG_PIDS=()
	if lab_ns_exists "$LAB_RELAY_NS" && [ -x "$SMTPGUARD" ]; then
		timeout 20 nsenter --net="/run/netns/$LAB_RELAY_NS" -- \
			"$SMTPGUARD" --pin-dir "$LAB_PIN_DIR" unload "$LAB_IFACE" >/dev/null 2>&1
	fi
	[ -e "$LAB_PIN_DIR" ] && rm -rf "$LAB_PIN_DIR"
	[ -n "$LAB_POSTFIX_CONF" ] && lab_postfix_stop
	for ns in "$LAB_PARTNER_NS" "$LAB_OUT_NS" "$LAB_RELAY_NS" "$LAB_ROUTER_NS"; do
		lab_ns_exists "$ns" || continue
		lab_ns_kill "$ns"
		# deleting one end of each veth deletes the pair
		for c in sg0 eth0; do ip -n "$ns" link del "$c" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			lab_log "kept $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	[ "$errexit" = 1 ] && set -e
	return $rc
}

# ---------------------------------------------------------------- mail

# lab_send NS [swaks args...] - one SMTP session from NS to the relay, over
# IPv6 if the args hold -6. Bounded; returns swaks' status (124: timed out).
# The transcript goes to $LAB_DIR/swaks.log (and LAB_LAST_SEND for this one).
lab_send()
{
	local ns=$1 server=$LAB_RELAY_IP4 a rc
	shift
	for a in "$@"; do
		case $a in
		-6 | --ipv6) server=$LAB_RELAY_IP6 ;;
		-s | --server) server= ;;
		esac
	done
	LAB_LAST_SEND=$LAB_DIR/send.last
	# stdin from /dev/null: swaks prompts for missing arguments otherwise
	rc=0
	lab_nsx "$ns" timeout --foreground -k 2 30 swaks ${server:+--server "$server"} --port 25 \
		--timeout 10 "$@" </dev/null >"$LAB_LAST_SEND" 2>&1 || rc=$?
	{
		echo "=== swaks from $ns: $* (exit $rc)"
		cat "$LAB_LAST_SEND"
	} >>"$LAB_DIR/swaks.log"
	if [ "$rc" -ne 0 ]; then
		lab_log "swaks from $ns failed (exit $rc):"
		tail -n 8 "$LAB_LAST_SEND" >&2
	fi
	return $rc
}

lab_mail_count()
{
	find "$LAB_MAILDIR/new" "$LAB_MAILDIR/cur" -type f 2>/dev/null | wc -l
}

lab__count_at_least() { [ "$(lab_mail_count)" -ge "$1" ]; }

# lab_wait_delivered N TIMEOUT - until N messages are in the Maildir.
lab_wait_delivered()
{
	lab_wait_until "${2:-20}" lab__count_at_least "$1" && return 0
	lab_log "$(lab_mail_count) of $1 messages delivered after ${2:-20} s"
	lab_dump_logs
	return 1
}

# lab_queue_empty - true if the relay's queue holds no message.
lab_queue_empty()
{
	local q=$LAB_DIR/postfix/spool n
	n=$(find "$q/maildrop" "$q/incoming" "$q/active" "$q/deferred" "$q/hold" \
		-type f 2>/dev/null | wc -l)
	[ "$n" -eq 0 ]
}

# ---------------------------------------------------------------- smtpguard

# lab_sg ARGS... - the smtpguard CLI in the relay's network namespace with this
# lab's pin dir. nsenter, not "ip netns exec": the latter gives the command a
# private mount namespace with /sys remounted, so pins under /sys/fs/bpf made
# there would vanish with it.
# Bounded by LAB_SG_TIMEOUT seconds (default 60); 124 means it timed out.
# --foreground keeps it in our process group, so Ctrl-C reaches it at once.
lab_sg()
{
	timeout --foreground -k 2 "${LAB_SG_TIMEOUT:-60}" \
		nsenter --net="/run/netns/$LAB_RELAY_NS" -- "$SMTPGUARD" --pin-dir "$LAB_PIN_DIR" "$@"
}

lab_have_smtpguard() { [ -x "$SMTPGUARD" ]; }

# lab_sg_bg OUT ARGS... - lab_sg in the background, stdout to OUT, stderr to
# OUT.err; sets LAB_BG_PID and lab_down stops it.
lab_sg_bg()
{
	local out=$1
	shift
	# a simple command with & is exec'd by the forked shell and nsenter execs
	# smtpguard, so $! is smtpguard's own pid
	nsenter --net="/run/netns/$LAB_RELAY_NS" -- "$SMTPGUARD" --pin-dir "$LAB_PIN_DIR" "$@" \
		>"$out" 2>"$out.err" </dev/null &
	LAB_BG_PID=$!
	LAB_BG_PIDS+=("$LAB_BG_PID")
}

# lab_bg_stop PID - SIGINT (lets it flush), then TERM, then KILL; bounded.
lab_bg_stop()
{
	local pid=$1 sig
	for sig in INT TERM KILL; do
		kill -0 "$pid" 2>/dev/null || break
		kill -"$sig" "$pid" 2>/dev/null || true
		lab_wait_until 3 eval '! kill -0 '"$pid"' 2>/dev/null' && break
	done
	# reap it if it is our child; its status is of no interest
	wait "$pid" 2>/dev/null || true
	return 0
}

# ---------------------------------------------------------------- capture

lab__capture_listening() { grep -q 'listening on' "$LAB_CAPTURE_FILE.log" 2>/dev/null; }

# lab_capture_start FILE - record port 25 on sg0 (both directions, whole frames).
lab_capture_start()
{
	LAB_CAPTURE_FILE=$1
	# -Z root: Debian's tcpdump would switch to user tcpdump before opening
	# FILE, which may sit in a root-only directory. --immediate-mode: with
	# TPACKET_V3 libpcap holds packets until a block retires (up to 1 s) and a
	# SIGINT before then loses them; -U alone does not help.
	ip netns exec "$LAB_RELAY_NS" tcpdump -i "$LAB_IFACE" --immediate-mode -U -s 0 -Z root -n \
		-w "$LAB_CAPTURE_FILE" 'tcp port 25' >"$LAB_CAPTURE_FILE.log" 2>&1 </dev/null &
	LAB_CAPTURE_PID=$!
	if ! lab_wait_until 10 lab__capture_listening; then
		lab_log "tcpdump did not start:"
		cat "$LAB_CAPTURE_FILE.log" >&2
		lab_bg_stop "$LAB_CAPTURE_PID"
		LAB_CAPTURE_PID=
		return 1
	fi
}

# lab_capture_stop - stop the capture started last; FILE stays.
lab_capture_stop()
{
	[ -n "$LAB_CAPTURE_PID" ] || return 0
	# the last ACKs of a closed session trail swaks' exit by a moment
	sleep 0.3
	lab_bg_stop "$LAB_CAPTURE_PID"
	LAB_CAPTURE_PID=
	rm -f "$LAB_CAPTURE_FILE.log"
	# more than the 24-byte pcap file header: at least one packet
	[ "$(stat -c %s "$LAB_CAPTURE_FILE" 2>/dev/null || echo 0)" -gt 24 ]
}

# swaks speaks IPv6 only with IO::Socket::INET6 (Debian: libio-socket-inet6-perl).
lab_swaks_has_ipv6() { perl -MIO::Socket::INET6 -e 1 >/dev/null 2>&1; }
