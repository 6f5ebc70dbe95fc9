# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# raw.sh - hand-made TCP toward the lab's Postfix; `source` it after
# scripts/lab.sh and use it after lab_up.
#
# rawsmtp.py (tests/tools) writes its own segments in the outside namespace
# from an address no interface there has (RAW_IP4, RAW_IP6, in the outside
# prefixes). raw_up gives the router a permanent neighbour entry saying that
# address is at the outside namespace's eth0, so the relay's replies come
# back there; the outside kernel drops them silently (not its address, no
# forwarding) instead of resetting a connection it does not know, and
# rawsmtp.py reads them from its packet socket.
#
# synflood.py sends from the router namespace straight out of r-relay: one
# hop and no forwarding per SYN, and no reverse-path check on frames a packet
# socket sends. raw_flood_up blackholes the flood's sources on the router, so
# the relay's SYN-ACKs die there instead of making the router resolve them.
# A veth runs the receiver's stack on the sender's CPU, so one sender
# process is one CPU: 1,000,000 SYNs took about 1.9 s from the router (2.2 s
# from the outside namespace) and 0.95 s with --procs 2 on a 2-CPU machine.
#
#   raw_up [IP4 [IP6]]    neighbour entries (default 198.51.100.77 and
#                         2001:db8:bad::77); lab_down undoes them
#   raw_smtp [-6] [rawsmtp.py options] SCRIPT.json
#                         one session from RAW_IP4 (RAW_IP6 with -6) to the
#                         relay; rawsmtp.py's JSON on stdout, its status
#   raw_flood_up [CIDR]   blackhole route on the router for the flood's
#                         sources (default RAW_FLOOD_NET, 198.51.100.128/25)
#   raw_flood COUNT [synflood.py options]
#                         COUNT SYNs to the relay's port 25 (raw_flood_up first
#                         if not done); synflood.py's JSON on stdout
#   raw_down, raw_flood_down   undo now (idempotent)
# Knobs: RAW_TIMEOUT (s, default 60) bounds each tool run from outside.

RAW_TOOLS=${RAW_TOOLS:-$LAB_REPO/tests/tools}
RAW_PY=/usr/bin/python3
[ -x "$RAW_PY" ] || RAW_PY=python3
RAW_IFACE=eth0       # the outside namespace's link to the router
RAW_ROUTER_IF=r-out  # the router's end of it
RAW_IP4=
RAW_IP6=
RAW_FLOOD_NET=${RAW_FLOOD_NET:-198.51.100.128/25}
RAW_FLOOD_ROUTE=
RAW__DOWN_REGISTERED=0
RAW__FLOOD_DOWN_REGISTERED=0

raw__log() { echo "raw: $*" >&2; }

# raw__mac NS IF - IF's link address in NS.
raw__mac()
{
	ip -n "$1" -o link show dev "$2" 2>/dev/null |
		sed -n 's/.* link\/ether \([0-9a-f:]\{17\}\) .*/\1/p'
}

# raw__add IP - the router's neighbour entry for IP, after checking that the
# router routes IP to the outside namespace and that nothing there owns it.
raw__add()
{
	local ip=$1 mac dev
	dev=$(ip -n "$LAB_ROUTER_NS" -o route get "$ip" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
	if [ "$dev" != "$RAW_ROUTER_IF" ]; then
		raw__log "the router routes $ip to '${dev:-nowhere}', not $RAW_ROUTER_IF: not an outside address"
		return 1
	fi
	if [ -n "$(ip -n "$LAB_OUT_NS" -o addr show to "$ip" 2>/dev/null)" ]; then
		raw__log "$ip is assigned in $LAB_OUT_NS: its kernel would reset the raw sessions"
		return 1
	fi
	mac=$(raw__mac "$LAB_OUT_NS" "$RAW_IFACE")
	[ -n "$mac" ] || { raw__log "no link address for $RAW_IFACE in $LAB_OUT_NS"; return 1; }
	ip -n "$LAB_ROUTER_NS" neigh replace "$ip" lladdr "$mac" dev "$RAW_ROUTER_IF" nud permanent ||
		{ raw__log "cannot add the neighbour entry for $ip on the router"; return 1; }
}

raw_up()
{
	local ip4=${1:-198.51.100.77} ip6=${2:-2001:db8:bad::77}
	if ! lab_ns_exists "$LAB_ROUTER_NS" || ! lab_ns_exists "$LAB_OUT_NS"; then
		raw__log "no lab: call lab_up first"
		return 1
	fi
	if [ "$RAW__DOWN_REGISTERED" = 0 ]; then
		lab_on_down raw_down
		RAW__DOWN_REGISTERED=1
	fi
	# The outside namespace is a host. Forwarding there would send the
	# replies for RAW_IP4 back out (and ICMP to the relay) instead of
	# dropping them; lab.sh leaves IPv4 forwarding as the host has it.
	lab_nsx "$LAB_OUT_NS" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 ||
		{ raw__log "cannot switch forwarding off in $LAB_OUT_NS"; return 1; }
	raw__add "$ip4" || return 1
	RAW_IP4=$ip4
	if [ -n "$ip6" ] && [ "$ip6" != - ]; then
		raw__add "$ip6" || return 1
		RAW_IP6=$ip6
	fi
	export RAW_IP4 RAW_IP6
}

raw_down()
{
	local ip
	for ip in "$RAW_IP4" "$RAW_IP6"; do
		[ -n "$ip" ] && lab_ns_exists "$LAB_ROUTER_NS" &&
			ip -n "$LAB_ROUTER_NS" neigh del "$ip" dev "$RAW_ROUTER_IF" 2>/dev/null
	done
	RAW_IP4=
	RAW_IP6=
	return 0
}

raw_smtp()
{
	local src=$RAW_IP4 dst=$LAB_RELAY_IP4
	if [ "${1:-}" = -6 ]; then
		src=$RAW_IP6 dst=$LAB_RELAY_IP6
		shift
	fi
	[ -n "$src" ] || { raw__log "raw_smtp: no source address for that family: call raw_up first"; return 1; }
	lab_nsx "$LAB_OUT_NS" timeout --foreground -k 2 "${RAW_TIMEOUT:-60}" \
		"$RAW_PY" "$RAW_TOOLS/rawsmtp.py" --iface "$RAW_IFACE" --src "$src" --dst "$dst" "$@"
}

raw_flood_up()
{
	local net=${1:-$RAW_FLOOD_NET}
	lab_ns_exists "$LAB_ROUTER_NS" || { raw__log "no lab: call lab_up first"; return 1; }
	if [ "$RAW__FLOOD_DOWN_REGISTERED" = 0 ]; then
		lab_on_down raw_flood_down
		RAW__FLOOD_DOWN_REGISTERED=1
	fi
	# a blackhole drops silently; "unreachable" would answer every SYN-ACK
	# with ICMP (rate-limited, but still work for the relay)
	ip -n "$LAB_ROUTER_NS" route replace blackhole "$net" ||
		{ raw__log "cannot add a blackhole route for $net on the router"; return 1; }
	RAW_FLOOD_NET=$net
	RAW_FLOOD_ROUTE=$net
}

raw_flood_down()
{
	[ -n "$RAW_FLOOD_ROUTE" ] && lab_ns_exists "$LAB_ROUTER_NS" &&
		ip -n "$LAB_ROUTER_NS" route del blackhole "$RAW_FLOOD_ROUTE" 2>/dev/null
	RAW_FLOOD_ROUTE=
	return 0
}

raw_flood()
{
	local count=$1
	shift
	[ -n "$RAW_FLOOD_ROUTE" ] || raw_flood_up "$RAW_FLOOD_NET" || return 1
	lab_nsx "$LAB_ROUTER_NS" timeout --foreground -k 2 "${RAW_TIMEOUT:-60}" \
		"$RAW_PY" "$RAW_TOOLS/synflood.py" --iface r-relay --dst "$LAB_RELAY_IP4" \
		--src-net "$RAW_FLOOD_NET" "$@" "$count"
}
