#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""mkpcap.py - small Ethernet/IPv4/TCP captures for replay tests.

mkpcap.py OUT.pcap SPEC: SPEC is a JSON list of sessions
  {"src": "a.b.c.d", "dst": "a.b.c.d", "sport": N, "dport": 25,
   "segments": ["client text", ...]}
Each session gets a SYN and its client segments in order, with sequence
numbers and checksums right; a segment may be longer than an MTU.
"""
import json, struct, sys

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(src, dst, sport, dport, seq, flags, payload):
    sa, da = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = sa + da + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, sa, da)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp

def main():
    out, spec = sys.argv[1], json.loads(sys.argv[2])
    t = 1700000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for s in spec:
            seq = 1000
            pkts = [frame(s["src"], s["dst"], s["sport"], s["dport"], seq, 0x02, b"")]
            seq += 1
            for seg in s["segments"]:
                data = seg.encode("latin-1")
                pkts.append(frame(s["src"], s["dst"], s["sport"], s["dport"], seq, 0x18, data))
                seq += len(data)
            for p in pkts:
                t += 1
                f.write(struct.pack("<IIII", t, 0, len(p), len(p)) + p)

main()
