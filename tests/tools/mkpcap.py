#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""mkpcap.py - small Ethernet/IPv4/IPv6/TCP captures for replay tests.

mkpcap.py OUT.pcap SPEC: SPEC is a JSON list of sessions
  {"src": ADDR, "dst": ADDR, "sport": N, "dport": 25,
   "segments": [SEGMENT, ...],
   "isn": 1000, "srv_isn": 5000, "handshake": "syn", "csum": "good", "ttl": 64}
src is the client, dst the server. Addresses with a ':' give IPv6 frames,
else IPv4. The keys after "segments" are optional (their defaults shown):
  "isn", "srv_isn": the client's and the server's initial sequence numbers.
  "handshake": "syn": only the client's SYN. The server's first byte is
      srv_isn itself and every ack field holds 1, as the old captures had.
    "full": SYN, SYN-ACK, ACK. "none": no SYN at all, a session picked up
      mid-stream. In these two both sides' first bytes are at ISN+1, ACK
      segments carry the peer's next in-order sequence number and others 0.
  "csum": the TCP checksum of all the session's frames (SYN included)
      unless a segment says otherwise: "good"; "bad" (a wrong value, not the
      partial one); "zero" (0x0000); "partial" (what CHECKSUM_PARTIAL leaves
      on the sending host: the folded one's-complement sum of the pseudo
      header only, not complemented). IPv4 header checksums are always right.
  "ttl": the IPv4 TTL / IPv6 hop limit of the session's frames.
  "time": S: the session's first frame is S seconds into the capture (if
      the frames before it end earlier; sessions are written in order).
A SEGMENT is one of:
  "text": client bytes at the client's cursor, flags PA.
  {"server": "text"}: server bytes at the server's cursor, flags PA (the 354
      that starts a message, say). {"server": "", "flags": "A"}: a bare ACK.
  {"data": "text"}: client bytes, with any of these keys:
    "at": N: stream offset (0 is the byte after the ISN); absent: the cursor.
        The cursor becomes max(cursor, N + bytes (+1 for a FIN)), so overlaps,
        gaps and reordering can be written. The peer's acks follow the
        highest byte received in order.
    "flags": TCP flag letters among F S R P A U ("PA" unless given). A FIN
        takes one sequence number, a RST none.
    "urg": U: the urgent pointer (and the U flag).
    "csum": as the session's "csum", for this segment.
    "ttl": T: TTL / hop limit for this segment.
    "frag": [n1, n2, ...]: the IP payload (TCP header + data) in IP
        fragments of n1, n2... bytes (multiples of 8), the last one taking
        whatever is left. IPv4: MF flag and offsets, one IP ID per
        fragmented packet (1, 2, ... in the file; 0 for unfragmented ones).
        IPv6: a fragment header with that identification, offsets, M flag.
        A "frag" that cuts nothing gives one whole fragment (IPv6: an atomic
        fragment, with the header).
    "frag_order": "reverse": the fragments are written last first.
  {"rst": true, "at": N}: a RST (flags RA) at offset N (or the cursor).
  {"fin": true}: a FIN (flags FA) at the cursor.
A server segment takes the same keys as a client one ("server" holding its
bytes, "at" counting from the server's first byte). Text is encoded as
latin-1, so "\\u0016\\u0003\\u0001" gives the bytes 16 03 01. A segment may be
longer than an MTU. Each frame (each fragment) is one second after the last.

mkpcap.py OUT.pcap --message FILE [--split N]: one session that sends the
message in FILE (a ready RFC 5322 message, CRLF line ends, dot-stuffing
applied here) after EHLO, MAIL, RCPT and DATA, the server's 354 before it,
in client segments of N bytes (1448 unless given).
"""
import ipaddress, itertools, json, struct, sys

FLAGS = {c: 1 << i for i, c in enumerate("FSRPAU")}
ip_ids = itertools.count(1)

def die(msg):
    sys.exit("mkpcap.py: " + msg)

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frames(src, dst, sport, dport, seq, ack, flags, payload, seg, how, ttl):
    """The Ethernet frames of one TCP segment (more than one if fragmented)."""
    sa, da = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if len(sa) != len(da):
        die(f"{src} and {dst} are not of one family")
    if "urg" in seg and "U" not in flags:
        flags += "U"
    if set(flags) - set(FLAGS):
        die(f"flags {flags!r}: only F S R P A U")
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4,
                      sum(FLAGS[c] for c in set(flags)), 65535, 0, seg.get("urg", 0)) + payload
    if len(sa) == 4:
        pseudo = sa + da + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        pseudo = sa + da + struct.pack("!I3xB", len(tcp), 6)
    good, partial = csum(pseudo + tcp), ~csum(pseudo) & 0xffff
    bad = good ^ 0x5a5a if good ^ 0x5a5a != partial else good ^ 0xa5a5
    how = seg.get("csum", how)
    if how not in ("good", "bad", "zero", "partial"):
        die(f"csum {how!r}: good, bad, zero or partial")
    value = {"good": good, "bad": bad, "zero": 0, "partial": partial}[how]
    tcp = tcp[:16] + struct.pack("!H", value) + tcp[18:]

    offs = [0]                          # where each fragment starts
    for n in seg.get("frag", []):
        if offs[-1] + n >= len(tcp):
            break
        if n <= 0 or n % 8:
            die(f"frag {n}: fragments before the last must be multiples of 8 bytes")
        offs.append(offs[-1] + n)
    ip_id = next(ip_ids) if "frag" in seg else 0
    out = []
    for off, end in zip(offs, offs[1:] + [len(tcp)]):
        more, ttl = end < len(tcp), seg.get("ttl", ttl)
        if len(sa) == 4:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + end - off, ip_id,
                             more << 13 | off >> 3, ttl, 6, 0, sa, da)
            ip = b"\x08\x00" + ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        else:
            ext = struct.pack("!BBHI", 6, 0, off | more, ip_id) if "frag" in seg else b""
            ip = b"\x86\xdd" + struct.pack("!IHBB16s16s", 6 << 28, len(ext) + end - off,
                                           44 if ext else 6, ttl, sa, da) + ext
        out.append(b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + ip + tcp[off:end])
    return out[::-1] if seg.get("frag_order") == "reverse" else out

def session(s):
    """The frames of one session of the spec, in order."""
    hs, how, ttl = s.get("handshake", "syn"), s.get("csum", "good"), s.get("ttl", 64)
    if hs not in ("syn", "full", "none"):
        die(f"handshake {hs!r}: syn, full or none")
    isn, srv_isn = s.get("isn", 1000), s.get("srv_isn", 5000)
    # each side: the sequence number of stream offset 0, the offset after its
    # highest byte sent (cursor), the end of what it sent in order (nxt)
    side = {"client": {"base": isn + 1, "cursor": 0, "nxt": 0, "sent": [],
                       "ends": (s["src"], s["dst"], s["sport"], s["dport"])},
            "server": {"base": srv_isn + (hs != "syn"), "cursor": 0, "nxt": 0, "sent": [],
                       "ends": (s["dst"], s["src"], s["dport"], s["sport"])}}
    out = []

    def send(who, seq, flags, data=b"", seg={}):
        peer = side["server" if who == "client" else "client"]
        ack = 1 if hs == "syn" else peer["base"] + peer["nxt"] if "A" in flags else 0
        out.extend(frames(*side[who]["ends"], seq, ack, flags, data, seg, how, ttl))

    if hs != "none":
        send("client", isn, "S")
    if hs == "full":
        send("server", srv_isn, "SA")
        send("client", isn + 1, "A")
    for seg in s["segments"]:
        if isinstance(seg, str):
            seg = {"data": seg}
        who = "server" if "server" in seg else "client"
        me = side[who]
        data = (seg["server"] if who == "server" else seg.get("data", "")).encode("latin-1")
        flags = seg.get("flags", "RA" if seg.get("rst") else "FA" if seg.get("fin") else "PA")
        at = seg.get("at", me["cursor"])
        end = at + len(data) + ("F" in flags)
        me["cursor"] = max(me["cursor"], end)
        me["sent"].append((at, end))
        send(who, me["base"] + at, flags, data, seg)
        while any(a <= me["nxt"] < e for a, e in me["sent"]):
            me["nxt"] = max(e for a, e in me["sent"] if a <= me["nxt"] < e)
    return out

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
            # "time": S: the session's first frame at S seconds into the capture
            t = max(t, 1700000000 + s.get("time", 0) - 1)
            for p in session(s):
                t += 1
                f.write(struct.pack("<IIII", t, 0, len(p), len(p)) + p)

main()
