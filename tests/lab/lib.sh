# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - check reporting and smtpguard probes for tests/lab/*.sh.
#
# One line per check: "PASS: lab: NAME", "FAIL: lab: NAME: DETAIL",
# "SKIP: lab: NAME: REASON"; t_exit ends the run non-zero if anything failed.
# JSON is read with the system python3 (Debian's, which has json and
# python3-jsonschema) rather than whatever python3 comes first in PATH.

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_PY=/usr/bin/python3
[ -x "$T_PY" ] || T_PY=python3

t_pass() { echo "PASS: lab: $1"; T_PASSED=$((T_PASSED + 1)); }
# details stay on the check's one line: newlines and tabs become " | " and " "
t_oneline() { local s=${1//$'\t'/ }; s=${s%$'\n'}; printf '%s' "${s//$'\n'/ | }"; }
t_fail() { echo "FAIL: lab: $1: $(t_oneline "$2")"; T_FAILED=$((T_FAILED + 1)); }
t_skip() { echo "SKIP: lab: $1: $(t_oneline "$2")"; T_SKIPPED=$((T_SKIPPED + 1)); }

# t_check NAME DETAIL CMD... - PASS if CMD succeeds, else FAIL with DETAIL.
t_check()
{
	local name=$1 detail=$2
	shift 2
	if "$@"; then t_pass "$name"; else t_fail "$name" "$detail"; fi
}

t_exit()
{
	echo "lab: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped" >&2
	[ "$T_FAILED" -eq 0 ]
}

# t_lab_up SUITE - what every lab suite starts with: skip the whole suite
# (and exit) on a machine that cannot run the lab, else source
# scripts/lab.sh, give smtpguard a pin dir of its own (unloaded and removed
# by lab_down, also on failure) and bring the lab up (a failed start fails
# the suite and exits). LAB_TLS=1 in the environment: the lab with TLS.
t_lab_up()
{
	local reason
	if ! reason=$(bash -c '. scripts/lab.sh; lab_check_env' 2>&1); then
		t_skip "$1" "$reason"
		t_exit
		exit
	fi
	# shellcheck source=scripts/lab.sh
	. scripts/lab.sh
	LAB_PIN_DIR=/sys/fs/bpf/smtpguard-$1-$$-$RANDOM
	# shellcheck disable=SC2016 # expanded by lab_down
	lab_on_down 'lab_sg unload "$LAB_IFACE" >/dev/null 2>&1; rm -rf "$LAB_PIN_DIR"'
	lab_up || { t_fail lab_up "the lab did not come up"; t_exit; exit; }
}

# t_alert_rows FILE - one tab-separated row per alert event in FILE:
# reason, where, src_ip, src_port, value (lists joined with ","). A line that
# is not JSON becomes a row "INVALID <line>", so no garbage passes unseen.
t_alert_rows()
{
	"$T_PY" - "$1" <<-'EOF'
	import json, sys
	for line in open(sys.argv[1], errors="replace"):
	    line = line.strip()
	    if not line:
	        continue
	    try:
	        ev = json.loads(line)
	    except ValueError:
	        print("INVALID\t" + line[:120])
	        continue
	    if not isinstance(ev, dict) or ev.get("event_type") != "alert":
	        continue
	    md = (ev.get("alert") or {}).get("metadata") or {}
	    def j(k):
	        v = md.get(k, [])
	        return ",".join(map(str, v)) if isinstance(v, list) else str(v)
	    print("\t".join([j("reason"), j("where"), str(ev.get("src_ip")),
	                     str(ev.get("src_port")), j("value")]))
	EOF
}

# t_stat_value NAME DUMP_JSON - the per-CPU sum of counter NAME (alerts, ...)
# in a `bpftool -j map dump` of sg_stats. Reads every layout the map may
# have: one entry whose value is struct sg_stats with a u64 field per counter
# (printed by name with BTF, as raw bytes without), or an array indexed by
# enum sg_stat. Counter order comes from include/smtpguard.h: the SG_STATS(X)
# list, or else enum sg_stat. (The kernel refuses BTF for an array map whose
# key is an enum; libbpf then creates the map without BTF.)
t_stat_value()
{
	"$T_PY" - "$LAB_REPO/include/smtpguard.h" "$1" "$2" <<-'EOF'
	import json, re, sys
	hdr, name, dump = sys.argv[1], sys.argv[2].lower(), sys.argv[3]
	text = re.sub(r"/\*.*?\*/|//[^\n]*", "", open(hdr).read(), flags=re.S)
	m = re.search(r"#define\s+SG_STATS\(X\)((?:[^\n]*\\\n)*[^\n]*)", text)
	if m:
	    names = re.findall(r"X\((\w+)\)", m.group(1))
	else:
	    m = re.search(r"enum\s+sg_stat\s*\{(.*?)\}", text, re.S)
	    names = [e.split("=")[0].strip() for e in m.group(1).split(",") if e.strip()]
	names = [re.sub(r"^SG_STAT_", "", n).lower() for n in names]
	idx = names.index(name)
	def num(v):
	    if isinstance(v, list):
	        return int.from_bytes(bytes(int(b, 16) for b in v), "little")
	    return int(v)
	total, found = 0, False
	for e in json.load(open(dump)):
	    f = e.get("formatted") or e
	    key = f["key"] if "formatted" in e else num(e["key"])
	    vals = [v["value"] for v in f["values"]] if "values" in f else [f["value"]]
	    for v in vals:
	        if isinstance(v, dict):              # struct sg_stats, with BTF
	            if name in v:
	                total, found = total + int(v[name]), True
	        elif isinstance(v, list) and len(v) > 8:  # struct sg_stats, raw
	            total, found = total + num(v[idx * 8:idx * 8 + 8]), True
	        elif key in (idx, name, "SG_STAT_" + name, "SG_STAT_" + name.upper()):
	            total, found = total + num(v), True
	if not found:
	    sys.exit("no counter %s in %s" % (name, dump))
	print(total)
	EOF
}

# t_sg_prog_ids - ids of every loaded program named like ours, one a line.
t_sg_prog_ids()
{
	bpftool -j prog show 2>/dev/null | "$T_PY" -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name") in ("sg_xdp_ingress", "sg_tc_egress"):
        print(p["id"])'
}

# t_relay_bpftool ARGS... - bpftool in the relay's network namespace.
t_relay_bpftool() { nsenter --net="/run/netns/$LAB_RELAY_NS" -- bpftool "$@"; }

# t_xdp_prog_id - id of the XDP program attached to sg0, or nothing.
t_xdp_prog_id()
{
	ip -n "$LAB_RELAY_NS" -j link show "$LAB_IFACE" 2>/dev/null | "$T_PY" -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp") or {}
p = x.get("prog") or {}
if p.get("id"):
    print(p["id"])'
}

# t_stats_dump OUT - bpftool's JSON dump of this lab's sg_stats into OUT: the
# pinned map if there is one, else the map of that name the attached XDP
# program uses (never "name sg_stats": a parallel lab has one too).
t_stats_dump()
{
	local out=$1 pinned id m
	pinned=$(find "$LAB_PIN_DIR" -name sg_stats 2>/dev/null | head -n 1)
	if [ -n "$pinned" ]; then
		bpftool -j map dump pinned "$pinned" >"$out" 2>/dev/null
		return
	fi
	id=$(t_xdp_prog_id)
	[ -n "$id" ] || return 1
	for m in $(bpftool -j prog show id "$id" | "$T_PY" -c \
		'import json,sys; print(*json.load(sys.stdin).get("map_ids", []))'); do
		if bpftool -j map show id "$m" | grep -q '"name":"sg_stats"'; then
			bpftool -j map dump id "$m" >"$out" 2>/dev/null
			return
		fi
	done
	return 1
}

# t_eve_validate NAME FILE... - tests/tools/eve_validate.py on the alert
# files that hold lines: exit 0 valid, 1 invalid, 2 schema or jsonschema
# missing (a SKIP).
t_eve_validate()
{
	local name=$1 tool=$LAB_REPO/tests/tools/eve_validate.py f out rc files=()
	shift
	if [ ! -f "$tool" ]; then
		t_skip "$name" "tests/tools/eve_validate.py not present"
		return
	fi
	for f in "$@"; do [ -s "$f" ] && files+=("$f"); done
	if [ ${#files[@]} -eq 0 ]; then
		t_skip "$name" "no alert lines to validate"
		return
	fi
	rc=0
	out=$("$T_PY" "$tool" "${files[@]}" 2>&1) || rc=$?
	case $rc in
	0) t_pass "$name" ;;
	2) t_skip "$name" "$(head -n 1 <<<"$out")" ;;
	*) t_fail "$name" "eve_validate.py exit $rc: $(head -n 3 <<<"$out")" ;;
	esac
}

# t_rows_cover EXPECTED ACTUAL - the rows of ACTUAL (t_alert_rows output) are
# those of EXPECTED: the same multiset of reason, where, src_ip and src_port,
# and each actual value contains the expected one (the wire may add <>).
# Prints what differs on failure.
t_rows_cover()
{
	"$T_PY" - "$1" "$2" <<-'EOF2'
	import sys
	def rows(p):
	    return sorted(l.rstrip("\n").split("\t") for l in open(p) if l.strip())
	exp, act = rows(sys.argv[1]), rows(sys.argv[2])
	key = lambda r: r[:4]
	bad = [r for r in act if r[0] == "INVALID"]
	ok = not bad and [key(r) for r in exp] == [key(r) for r in act] and \
	    all(len(a) > 4 and e[4] in a[4] for e, a in zip(exp, act))
	if not ok:
	    print("expected %s; got %s" % ([" ".join(r) for r in exp], [" ".join(r) for r in act]))
	sys.exit(0 if ok else 1)
	EOF2
}
