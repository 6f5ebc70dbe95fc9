#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""mkpcap.py - small Ethernet/IPv4/TCP captures for replay tests.

mkpcap.py OUT.pcap SPEC: SPEC is a JSON list of sessions
  {"src": "a.b.c.d", "dst": "a.b.c.d", "sport": N, "dport": 25,
   "segments": ["client text", ...]}
Each session gets a SYN and its client segments in order, with sequence
numbers and checksums right; a segment may be longer than an MTU. A segment
given as {"server": "text"} is a reply from the server to the client (the
354 that starts a message, say).

mkpcap.py OUT.pcap --message FILE [--split N]: one session that sends the
message in FILE (a ready RFC 5322 message, CRLF line ends, dot-stuffing
applied here) after EHLO, MAIL, RCPT and DATA, the server's 354 before it,
in client segments of N bytes (1448 unless given).
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

def message_spec(path, split):
    with open(path, "rb") as f:
        text = f.read().decode("latin-1").replace("\r\n", "\n").replace("\n", "\r\n")
    if not text.endswith("\r\n"):
        text += "\r\n"
    # dot-stuffing, as an SMTP client sends it
    text = "".join("." + l if l.startswith(".") else l for l in text.splitlines(True))
    data = text + ".\r\n"
    segs = ["EHLO mail.outside.test\r\nMAIL FROM:<a@outside.test>\r\n"
            "RCPT TO:<bob@corp.example>\r\nDATA\r\n",
            {"server": "250 ok\r\n250 ok\r\n354 go ahead\r\n"}]
    segs += [data[i:i + split] for i in range(0, len(data), split)]
    segs.append("QUIT\r\n")
    return [{"src": "198.51.100.7", "dst": "192.0.2.25", "sport": 40200, "dport": 25,
             "segments": segs}]

def main():
    out = sys.argv[1]
    if sys.argv[2] == "--message":
        split = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--split" else 1448
        spec = message_spec(sys.argv[3], split)
    else:
        spec = json.loads(sys.argv[2])
    t = 1700000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for s in spec:
            seq = 1000
            pkts = [frame(s["src"], s["dst"], s["sport"], s["dport"], seq, 0x02, b"")]
            seq += 1
            sseq = 5000
            for seg in s["segments"]:
                if isinstance(seg, dict):
                    data = seg["server"].encode("latin-1")
                    pkts.append(frame(s["dst"], s["src"], s["dport"], s["sport"], sseq, 0x18, data))
                    sseq += len(data)
                    continue
                data = seg.encode("latin-1")
                pkts.append(frame(s["src"], s["dst"], s["sport"], s["dport"], seq, 0x18, data))
                seq += len(data)
            for p in pkts:
                t += 1
                f.write(struct.pack("<IIII", t, 0, len(p), len(p)) + p)

main()
