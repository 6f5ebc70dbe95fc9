#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""rawsmtp.py - an SMTP client that writes its own TCP segments.

  rawsmtp.py --iface IF --src IP --dst IP [--sport N] [--dport 25]
             [--timeout 30] [--ack-wait 1] [--timestamps] [-v] SCRIPT.json

It runs in a network namespace on an AF_PACKET socket bound to IF. SRC must
be an address that no interface of that namespace has, and the next hop must
send the replies for SRC back to IF (in the lab: raw_up in tests/lab/raw.sh
puts a permanent neighbour entry on the router). The kernel then drops those
replies without a word (not its address, no forwarding), instead of
answering a connection it does not know with a RST, and this program reads
them from its socket. IPv4 or IPv6 (SRC and DST of the same family).

It connects (SYN with MSS 1460 and no other option: no window scaling, SACK
or timestamps unless --timestamps, so every sequence number is plain), ACKs
everything the server sends (again when the server retransmits) and runs
SCRIPT, a JSON list of steps. An offset counts stream bytes from 0, the byte
after the SYN.

--timestamps: TCP timestamps (RFC 7323). The SYN carries MSS 1460, NOP, NOP
and the timestamp option (Linux's layout without SACK): TSval 1000000 (one
more for each retransmitted SYN), TSecr 0. If the SYN-ACK carries a timestamp
option too (found in any layout of its options), every later segment carries
NOP NOP TS (12 more bytes of TCP header): data, ACKs, sync retransmissions,
FIN, RST. Its TSval is the counter's next, one more than the last TSval
sent; its TSecr the newest TSval the server sent. If the SYN-ACK has none,
no later segment has one, as TCP requires, and "tsval" keys do nothing.

  {"expect": "250"}  wait (10 s, or "timeout": S) for a final reply line
                     (code then a space) starting with "250" among the lines
                     after the one the last expect matched
  {"send": "TEXT", ...}  one segment carrying TEXT (encoded latin-1), with
     "at": N         its stream offset (default: where the highest data sent
                     so far ends)
     "csum": "good"  the right TCP checksum; "bad": that with one bit
                     flipped; "partial": the pseudo-header sum alone, what a
                     stack leaves for a checksum-offloading NIC to finish
     "urg": U        URG flag and urgent pointer U (Linux with the default
                     tcp_stdurg=0 takes the byte at offset at+U-1 as urgent)
     "flags": "PA"   TCP flags, letters of FSRPAUEC (default PA, with U when
                     urg is given); ACK carries the server's next byte
     "frag": [n,..]  send it as IP fragments carrying n bytes of IP payload
                     (TCP header included) each, the rest in a last one;
                     every fragment but the last a multiple of 8 bytes
                     (IPv6: Linux drops a first fragment without the whole
                     TCP header, RFC 8200 4.5; give it 24 bytes or more)
     "frag_reverse": true  those fragments last first
     "tsval": N      (needs --timestamps) the segment's TSval: N (0 to
                     2^32-1), or when N < 0 the last TSval sent plus N;
                     default: the counter's next. One older (in 32-bit
                     sequence space) than the last TSval sent is "old":
                     PAWS drops it (Linux: TcpExtPAWSEstab; it allows 1
                     less than the newest TSval it took, so go well
                     below, -100000 say). A newer one moves the counter
                     up to it. The segment counts as one sent either way
     "nowait": true  go on at once; by default wait up to --ack-wait s for
                     the server to ACK the segment or to send a duplicate ACK
                     (silence, as after a bad checksum, is not an error)
  {"sync": true}     make the server's view whole: until the server has
                     ACKed up to the highest offset sent, retransmit in order
                     from its ACK what it has not ACKed, taking for each
                     offset the first content sent there with a good
                     checksum and, with timestamps, no "tsval" older than
                     the last TSval sent (PAWS drops that segment as the
                     server drops a wrong checksum), as a sender's TCP
                     retransmits its own data (10 s, or "timeout": S).
                     That is what Linux keeps of data it has in order,
                     not always of data it holds out of order: there a
                     later segment that starts earlier, or at the same
                     offset and is longer, wins the overlap.
                     A sync that fills a hole resends the whole rest in
                     order, so its content is what the server reads.
  {"sleep": S}       S seconds, answering the server meanwhile
  {"close": true}    sync, QUIT unless the data sent ends with it, wait for
                     221, FIN, wait for the server's FIN and ACK it

Prints one JSON object on stdout: {"replies": [the server's lines],
"acked": stream bytes the server acknowledged, "ok": true|false,
"error": "..." when not ok, and with --timestamps "timestamps": whether
the SYN-ACK agreed to them}. Exit 0: ok; 2: an expect failed (the transcript
goes to stderr); 1: anything else (no route, no SYN-ACK, RST, bad script,
--timeout). A session that did not close is reset, so Postfix does not wait
for it. -v prints the transcript as it happens.

synflood.py imports its packet helpers from here.
"""
import argparse
import ipaddress
import json
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4  # sll_pkttype of our own frames, which the socket sees too

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
FLAG_LETTERS = {"F": FIN, "S": SYN, "R": RST, "P": PSH, "A": ACK, "U": URG, "E": ECE, "C": CWR}

MSS = 1460
WINDOW = 65535      # no window scaling: the largest window there is
SYNC_CHUNK = 1400   # retransmissions stay below the MSS whatever the path adds
M32 = 0xFFFFFFFF
TS_START = 1000000  # the SYN's TSval with --timestamps


class Failure(Exception):
    """A reason to stop; code is the exit status."""

    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


# ---------------------------------------------------------------- checksums

def sum16(data):
    """The unfolded sum of DATA's 16-bit big-endian words (odd length padded)."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip4_checksum(header):
    return ~fold(sum16(header)) & 0xFFFF


def pseudo_sum(src, dst, length, proto=6):
    """The TCP pseudo-header's sum, for 4- or 16-byte addresses."""
    if len(src) == 4:
        return sum16(src + dst + struct.pack("!BBH", 0, proto, length))
    return sum16(src + dst + struct.pack("!I3xB", length, proto))


# ---------------------------------------------------------------- link layer

def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def run_ip(args):
    """`ip -j ARGS` in this namespace, parsed."""
    try:
        p = subprocess.run(["ip", "-j"] + args, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Failure("ip %s: %s" % (" ".join(args), e))
    if p.returncode != 0:
        raise Failure("ip %s: %s" % (" ".join(args), p.stderr.strip()))
    return json.loads(p.stdout or "[]")


def next_hop_mac(iface, dst, seconds=3.0):
    """The link address that frames to DST leave IFACE for: its gateway's, or
    DST's own on a link. Asks the kernel to resolve it if it has not yet."""
    routes = run_ip(["route", "get", dst])
    if not routes:
        raise Failure("no route to %s" % dst)
    if routes[0].get("dev") != iface:
        raise Failure("the route to %s leaves by %s, not %s" % (dst, routes[0].get("dev"), iface))
    hop = routes[0].get("gateway", dst)
    family = socket.AF_INET6 if ":" in hop else socket.AF_INET
    end = time.monotonic() + seconds
    next_probe = 0.0
    while True:
        for n in run_ip(["neigh", "show", "to", hop, "dev", iface]):
            state = n.get("state", [])
            if n.get("lladdr") and "FAILED" not in state and "INCOMPLETE" not in state:
                return mac_bytes(n["lladdr"])
        now = time.monotonic()
        if now > end:
            raise Failure("cannot resolve the link address of %s on %s" % (hop, iface))
        if now >= next_probe:
            # any datagram to the next hop makes the kernel resolve it (9: discard)
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                try:
                    s.sendto(b"", (hop, 9))
                except OSError:
                    pass
            next_probe = now + 1.0
        time.sleep(0.05)


def packet_socket(iface, receive=True):
    """An AF_PACKET socket on IFACE; with receive=False it is given no frames
    at all (protocol 0), which spares a sender the copy of every frame."""
    proto = ETH_P_ALL if receive else 0
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        s.bind((iface, proto))
    except OSError as e:
        raise Failure("packet socket on %s: %s" % (iface, e))
    return s


# ---------------------------------------------------------------- the session

def rel(x, base):
    """X - BASE in sequence space, as a signed offset."""
    return ((x - base + 0x80000000) & M32) - 0x80000000


def parse_flags(text):
    bits = 0
    for c in text.upper():
        if c not in FLAG_LETTERS:
            raise Failure("flags %r: %r is none of %s" % (text, c, "".join(FLAG_LETTERS)))
        bits |= FLAG_LETTERS[c]
    return bits


def flag_text(bits):
    return "".join(c for c, b in FLAG_LETTERS.items() if bits & b) or "-"


def ts_option(tsval, tsecr):
    """NOP NOP and the timestamp option, as Linux lays them out."""
    return struct.pack("!BBBBII", 1, 1, 8, 10, tsval & M32, tsecr & M32)


def find_tsval(opts):
    """The TSval of the timestamp option among the TCP options OPTS, in any
    layout, or None (no such option, or options that do not parse)."""
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:       # end of the option list
            return None
        if kind == 1:       # NOP
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2 or i + opts[i + 1] > len(opts):
            return None
        if kind == 8 and opts[i + 1] == 10:
            return struct.unpack_from("!I", opts, i + 2)[0]
        i += opts[i + 1]
    return None


class Session:
    def __init__(self, a):
        try:
            self.src = ipaddress.ip_address(a.src)
            self.dst = ipaddress.ip_address(a.dst)
        except ValueError as e:
            raise Failure(str(e))
        if self.src.version != self.dst.version:
            raise Failure("--src and --dst are not of the same family")
        self.v6 = self.src.version == 6
        self.sb, self.db = self.src.packed, self.dst.packed
        self.sport = a.sport or random.randint(32768, 60999)
        self.dport = a.dport
        self.verbose = a.verbose
        self.ack_wait = a.ack_wait
        self.t0 = time.monotonic()
        self.deadline = self.t0 + a.timeout
        self.sock = packet_socket(a.iface)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        src_mac = self.sock.getsockname()[4]
        dst_mac = next_hop_mac(a.iface, a.dst)
        self.eth = dst_mac + src_mac + struct.pack("!H", ETH_P_IPV6 if self.v6 else ETH_P_IP)
        self.isn = random.getrandbits(32)
        self.ip_id = random.getrandbits(16)
        self.frag_id = random.getrandbits(32)
        self.irs = None          # the server's initial sequence number
        self.rcv = 0             # server stream bytes received in order (its FIN counts 1)
        self.rx_partial = b""
        self.lines = []          # the server's complete lines
        self.expect_from = 0     # first line the next expect looks at
        self.acked = 0           # our stream bytes the server ACKed (our FIN counts 1)
        self.hwm = 0             # where the highest data sent so far ends
        self.good = bytearray()  # per offset, the first byte sent there with a good checksum
        self.have = bytearray()  # 1 where good holds such a byte
        self.server_fin = False
        self.reset = False
        self.dup_acks = 0        # segments from the server with no data, counted
        self.transcript = []
        self.established = False
        self.closed = False
        self.ts_want = a.timestamps  # offer timestamps in the SYN
        self.ts_on = False       # the SYN-ACK agreed: every later segment has them
        self.ts_last = (TS_START - 1) & M32  # the counter: the last TSval sent
        self.ts_recent = 0       # the newest TSval the server sent (TSecr)

    # -- log

    def log(self, who, text):
        line = "%7.3f %s %s" % (time.monotonic() - self.t0, who, text)
        self.transcript.append(line)
        if self.verbose:
            print(line, file=sys.stderr, flush=True)

    # -- output

    def ip_frames(self, seg, frag=None, reverse=False):
        """Ethernet frames carrying the TCP segment SEG: one, or its fragments."""
        if not frag:
            return [self.eth + self.ip_header(seg, 0, len(seg), False) + seg]
        if not isinstance(frag, list) or not all(isinstance(n, int) and n > 0 for n in frag):
            raise Failure("frag must be a list of positive byte counts, not %r" % (frag,))
        pieces, pos = [], 0
        for n in frag:
            if pos + n > len(seg):
                raise Failure("frag %r: more than the %d bytes of the IP payload" % (frag, len(seg)))
            pieces.append((pos, n))
            pos += n
        if pos < len(seg):
            pieces.append((pos, len(seg) - pos))
        if any(n % 8 for _, n in pieces[:-1]):
            raise Failure("frag %r: every fragment but the last must be a multiple of 8 bytes" % (frag,))
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        self.frag_id = (self.frag_id + 1) & M32
        frames = [self.eth + self.ip_header(seg, off, n, i < len(pieces) - 1) + seg[off:off + n]
                  for i, (off, n) in enumerate(pieces)]
        return frames[::-1] if reverse else frames

    def ip_header(self, seg, off, n, more):
        """The IP header (and IPv6 fragment header) for N bytes of SEG at OFF;
        unfragmented when the piece is the whole segment and no more follow."""
        whole = off == 0 and n == len(seg) and not more
        if self.v6:
            if whole:
                return struct.pack("!IHBB16s16s", 0x60000000, n, 6, 64, self.sb, self.db)
            fh = struct.pack("!BBHI", 6, 0, off | (1 if more else 0), self.frag_id)
            return struct.pack("!IHBB16s16s", 0x60000000, n + 8, 44, 64, self.sb, self.db) + fh
        if whole:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            fragf = 0x4000  # DF, as a stack with path MTU discovery sends
        else:
            fragf = (off >> 3) | (0x2000 if more else 0)
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + n, self.ip_id, fragf, 64, 6, 0, self.sb, self.db)
        return h[:10] + struct.pack("!H", ip4_checksum(h)) + h[12:]

    def next_tsval(self, forced=None):
        """The TSval for the next segment sent, FORCED or the counter's next;
        the counter counts the segment and stays at or past FORCED."""
        nxt = (self.ts_last + 1) & M32
        if forced is None:
            self.ts_last = nxt
            return nxt
        forced &= M32
        self.ts_last = forced if rel(forced, nxt) > 0 else nxt
        return forced

    def tcp_segment(self, off, flags, payload=b"", urg=0, csum="good", options=b"", tsval=None):
        """A TCP segment at stream offset OFF (-1: the SYN); once timestamps
        are on, with NOP NOP TS after OPTIONS (TSval: TSVAL, or the counter's)."""
        if self.ts_on:
            options += ts_option(self.next_tsval(tsval), self.ts_recent)
        ack = (self.irs + 1 + self.rcv) & M32 if flags & ACK and self.irs is not None else 0
        hdr = struct.pack("!HHIIBBHHH", self.sport, self.dport, (self.isn + 1 + off) & M32, ack,
                          (20 + len(options)) // 4 << 4, flags, WINDOW, 0, urg) + options
        seg = hdr + payload
        ps = pseudo_sum(self.sb, self.db, len(seg))
        if csum == "partial":
            c = fold(ps)
        else:
            c = ~fold(ps + sum16(seg)) & 0xFFFF
            if csum == "bad":
                c ^= 0x0100  # never a ones'-complement equivalent of the right sum
            elif csum != "good":
                raise Failure("csum %r: good, bad or partial" % (csum,))
        return seg[:16] + struct.pack("!H", c) + seg[18:]

    def tx(self, frames):
        for f in frames:
            try:
                self.sock.send(f)
            except OSError as e:
                raise Failure("sending a %d-byte frame: %s" % (len(f), e))

    def send_ack(self):
        # seq at the server's own ACK point: acceptable in any state
        self.tx(self.ip_frames(self.tcp_segment(self.acked, ACK)))

    def send_rst(self):
        # a RST is accepted only at exactly the server's next expected byte
        self.tx(self.ip_frames(self.tcp_segment(self.acked, RST | ACK)))
        self.log("C", "RST at %d" % self.acked)

    # -- input

    def poll(self, seconds):
        """Handle what arrives within SECONDS (and whatever is queued)."""
        ready, _, _ = select.select([self.sock], [], [], max(0.0, seconds))
        # bounded, so a busy link (the socket sees all its frames) cannot
        # keep us here past a deadline
        for _ in range(1000 if ready else 0):
            try:
                frame, addr = self.sock.recvfrom(65535, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if addr[2] != PACKET_OUTGOING:
                self.handle(frame)

    def handle(self, frame):
        if len(frame) < 14:
            return
        etype = struct.unpack_from("!H", frame, 12)[0]
        if etype == ETH_P_IP and not self.v6 and len(frame) >= 34:
            vihl, _, total, _, fragf, _, proto, _, s, d = struct.unpack_from("!BBHHHBBH4s4s", frame, 14)
            # the server's segments are small and never fragmented
            if proto != 6 or s != self.db or d != self.sb or fragf & 0x3FFF:
                return
            seg = frame[14 + (vihl & 15) * 4:14 + total]
        elif etype == ETH_P_IPV6 and self.v6 and len(frame) >= 54:
            plen, nh, _, s, d = struct.unpack_from("!HBB16s16s", frame, 18)
            if nh != 6 or s != self.db or d != self.sb:
                return
            seg = frame[54:54 + plen]
        else:
            return
        if len(seg) < 20:
            return
        sport, dport, seq, ack, offx, flags = struct.unpack_from("!HHIIBB", seg)
        doff = (offx >> 4) * 4
        if sport != self.dport or dport != self.sport or not 20 <= doff <= len(seg):
            return
        self.segment(seq, ack, flags, seg[doff:], find_tsval(seg[20:doff]))

    def segment(self, seq, ack, flags, data, tsval=None):
        if flags & RST:
            if not self.reset:
                self.log("S", "RST")
            self.reset = True
            return
        if self.irs is None:
            if flags & (SYN | ACK) == SYN | ACK and ack == (self.isn + 1) & M32:
                self.irs = seq
                if self.ts_want and tsval is not None:
                    self.ts_on = True
                    self.ts_recent = tsval
                self.log("S", "SYN-ACK" + (" TSval %d" % tsval if self.ts_on else
                                           ", no timestamps" if self.ts_want else ""))
            return
        if self.ts_on and tsval is not None and rel(tsval, self.ts_recent) > 0:
            self.ts_recent = tsval
        if flags & SYN:
            # our ACK of its SYN-ACK was lost: it sends the SYN-ACK again
            self.send_ack()
            return
        if flags & ACK:
            a = rel(ack, self.isn + 1)
            if a > self.acked:
                self.acked = a
        if not data and not flags & FIN:
            self.dup_acks += 1
            return
        off = rel(seq, self.irs + 1)
        end = off + len(data)
        if off <= self.rcv < end:
            self.take(data[self.rcv - off:])
        if flags & FIN and end == self.rcv and not self.server_fin:
            self.server_fin = True
            self.rcv += 1
            self.log("S", "FIN")
        # every data segment gets an ACK, a retransmission or a segment
        # beyond a gap too: the server learns what we have
        self.send_ack()

    def take(self, data):
        self.rcv += len(data)
        buf = self.rx_partial + data
        *done, self.rx_partial = buf.split(b"\n")
        for line in done:
            text = line.rstrip(b"\r").decode("latin-1")
            self.lines.append(text)
            self.log("S", text)

    def wait_for(self, cond, seconds):
        """Answer the server until COND() holds (True) or SECONDS pass (False)."""
        end = min(time.monotonic() + seconds, self.deadline)
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                if time.monotonic() >= self.deadline:
                    raise Failure("--timeout: the session ran out of time")
                return False
            self.poll(left)
        return True

    # -- steps

    def connect(self):
        syn = None
        for wait in (1, 2, 4):
            if syn is None or self.ts_want:  # a retransmitted SYN has a new TSval
                options = struct.pack("!BBH", 2, 4, MSS)
                if self.ts_want:
                    options += ts_option(self.next_tsval(), 0)
                syn = self.ip_frames(self.tcp_segment(-1, SYN, options=options))
            self.tx(syn)
            self.log("C", "SYN %s:%d > %s:%d%s" % (self.src, self.sport, self.dst, self.dport,
                                                  " TSval %d" % self.ts_last if self.ts_want else ""))
            if self.wait_for(lambda: self.irs is not None or self.reset, wait):
                break
        if self.reset:
            raise Failure("%s port %d refused the connection (RST)" % (self.dst, self.dport))
        if self.irs is None:
            raise Failure("no SYN-ACK from %s port %d in 7 s: does the next hop send the "
                          "replies for %s to this interface (raw_up)?" % (self.dst, self.dport, self.src))
        self.send_ack()
        self.established = True

    def expect(self, code, seconds):
        found = []

        def match():
            for i in range(self.expect_from, len(self.lines)):
                line = self.lines[i]
                if (len(line) >= 3 and line[:3].isdigit() and (len(line) == 3 or line[3] == " ")
                        and line.startswith(code)):
                    found.append(i)
                    return True
            return self.reset or self.server_fin

        self.wait_for(match, seconds)
        if not found:
            why = "the server reset the connection" if self.reset else \
                "the server closed the connection" if self.server_fin else "none in %g s" % seconds
            seen = self.lines[self.expect_from:]
            raise Failure("expected a %s reply: %s; the server said since: %s"
                          % (code, why, json.dumps(seen) if seen else "nothing"), code=2)
        self.expect_from = found[0] + 1

    def send(self, st):
        try:
            data = st["send"].encode("latin-1")
        except (AttributeError, UnicodeEncodeError) as e:
            raise Failure("send %r: not latin-1 text (%s)" % (st["send"], e))
        at = st.get("at", self.hwm)
        urg = st.get("urg", 0)
        if not isinstance(at, int) or at < 0:
            raise Failure("at %r: an offset >= 0" % (at,))
        if not isinstance(urg, int) or not 0 <= urg <= 0xFFFF:
            raise Failure("urg %r: 0..65535" % (urg,))
        csum = st.get("csum", "good")
        flags = parse_flags(st.get("flags", "PAU" if urg else "PA"))
        tsval, old = None, False
        if self.ts_on and "tsval" in st:
            tsval = st["tsval"] if st["tsval"] >= 0 else self.ts_last + st["tsval"]
            tsval &= M32
            old = rel(tsval, self.ts_last) < 0  # what PAWS drops
        frames = self.ip_frames(self.tcp_segment(at, flags, data, urg, csum, tsval=tsval),
                                st.get("frag"), st.get("frag_reverse", False))
        dups = self.dup_acks
        self.tx(frames)
        need = at + len(data) - len(self.good)
        if need > 0:
            self.good.extend(bytes(need))
            self.have.extend(bytes(need))
        if csum == "good" and not old:
            for i, b in enumerate(data):
                if not self.have[at + i]:
                    self.good[at + i] = b
                    self.have[at + i] = 1
        self.hwm = max(self.hwm, at + len(data))
        extra = "".join([" csum=" + csum if csum != "good" else "",
                         " tsval=%d%s" % (tsval, " (old)" if old else "") if tsval is not None else "",
                         " urg=%d" % urg if urg else "",
                         " frag=%s%s" % (st["frag"], " reversed" if st.get("frag_reverse") else "")
                         if st.get("frag") else ""])
        self.log("C", "%s at %d len %d%s: %r" % (flag_text(flags), at, len(data), extra,
                                                 data.decode("latin-1")))
        if not st.get("nowait"):
            end = at + len(data)
            self.wait_for(lambda: self.acked >= end or self.dup_acks > dups or self.reset,
                          self.ack_wait)

    def sync(self, seconds):
        target = self.hwm
        holes = [o for o in range(self.acked, target) if not self.have[o]]
        if holes:
            raise Failure("sync: nothing was sent with a good checksum (and no old tsval) at offset %d "
                          "(%d such bytes up to %d)" % (holes[0], len(holes), target))
        end = min(time.monotonic() + seconds, self.deadline)
        rounds = 0
        while self.acked < target:
            if self.reset:
                raise Failure("sync: the server reset the connection")
            left = end - time.monotonic()
            if left <= 0:
                raise Failure("sync: the server ACKed %d of %d bytes in %g s" % (self.acked, target, seconds))
            if rounds:
                # the first wait is for ACKs already on their way
                off = self.acked
                while off < target:
                    n = min(SYNC_CHUNK, target - off)
                    self.tx(self.ip_frames(self.tcp_segment(off, PSH | ACK, bytes(self.good[off:off + n]))))
                    self.log("C", "PA at %d len %d (sync): %r"
                             % (off, n, bytes(self.good[off:off + n]).decode("latin-1")))
                    off += n
            rounds += 1
            self.wait_for(lambda: self.acked >= target or self.reset, min(0.3 if rounds == 1 else 0.5, left))

    def close(self):
        self.sync(10)
        if not bytes(self.good[:self.hwm]).upper().endswith(b"QUIT\r\n"):
            self.send({"send": "QUIT\r\n"})
            self.sync(10)
        self.expect("221", 10)
        fin_at = self.hwm
        for _ in range(5):
            self.tx(self.ip_frames(self.tcp_segment(fin_at, FIN | ACK)))
            self.log("C", "FIN at %d" % fin_at)
            if self.wait_for(lambda: (self.acked > fin_at and self.server_fin) or self.reset, 1):
                break
        if self.reset:
            raise Failure("close: the server reset the connection")
        if not (self.acked > fin_at and self.server_fin):
            raise Failure("close: no FIN exchange with the server in 5 s")
        self.closed = True

    def run(self, steps):
        self.connect()
        for st in steps:
            if self.reset:
                raise Failure("step %s: the server reset the connection" % json.dumps(st))
            if "expect" in st:
                self.expect(str(st["expect"]), st.get("timeout", 10))
            elif "send" in st:
                self.send(st)
            elif "sync" in st:
                self.sync(st.get("timeout", 10))
            elif "sleep" in st:
                self.wait_for(lambda: False, float(st["sleep"]))
            else:
                self.close()

    def result(self, error=None):
        r = {"replies": self.lines, "acked": min(self.acked, self.hwm), "ok": error is None}
        if error is not None:
            r["error"] = error
        if self.ts_want:
            r["timestamps"] = self.ts_on
        return r


STEP_KEYS = {"expect": {"timeout"},
             "send": {"at", "csum", "urg", "frag", "frag_reverse", "flags", "nowait", "tsval"},
             "sync": {"timeout"}, "sleep": set(), "close": set()}


def check_steps(steps, timestamps=False):
    """Refuse a malformed script before the first packet, not half way."""
    if not isinstance(steps, list):
        raise Failure("the script is not a JSON list of steps")
    for i, st in enumerate(steps):
        kinds = [k for k in STEP_KEYS if isinstance(st, dict) and k in st]
        if len(kinds) != 1:
            raise Failure("step %d %s: needs exactly one of %s" % (i, json.dumps(st), ", ".join(STEP_KEYS)))
        extra = set(st) - STEP_KEYS[kinds[0]] - {kinds[0]}
        if extra:
            raise Failure("step %d %s: unknown key %r" % (i, json.dumps(st), sorted(extra)[0]))
        if "send" in st and not isinstance(st["send"], str):
            raise Failure("step %d: send takes a string" % i)
        if st.get("csum", "good") not in ("good", "bad", "partial"):
            raise Failure("step %d: csum is good, bad or partial" % i)
        if "sleep" in st and not isinstance(st["sleep"], (int, float)):
            raise Failure("step %d: sleep takes seconds" % i)
        if "tsval" in st:
            tv = st["tsval"]
            if not isinstance(tv, int) or isinstance(tv, bool) or not -M32 <= tv <= M32:
                raise Failure("step %d: tsval takes an integer, -(2^32-1) to 2^32-1" % i)
            if not timestamps:
                raise Failure("step %d: tsval without --timestamps" % i)


def main():
    ap = argparse.ArgumentParser(description="SMTP over hand-made TCP segments (see the source's docstring)")
    ap.add_argument("--iface", required=True, help="interface to send and read on")
    ap.add_argument("--src", required=True, help="source address, on no interface of this namespace")
    ap.add_argument("--dst", required=True, help="the server's address")
    ap.add_argument("--sport", type=int, default=0, help="source port (default: random)")
    ap.add_argument("--dport", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=30, help="for the whole session, s (30)")
    ap.add_argument("--ack-wait", type=float, default=1.0,
                    help="how long a send waits for the server's ACK, s (1)")
    ap.add_argument("--timestamps", action="store_true",
                    help="offer TCP timestamps in the SYN; if the server agrees, on every segment")
    ap.add_argument("-v", "--verbose", action="store_true", help="transcript to stderr as it happens")
    ap.add_argument("script", help="JSON list of steps ('-': stdin)")
    a = ap.parse_args()

    try:
        if a.script == "-":
            steps = json.load(sys.stdin)
        else:
            with open(a.script) as f:
                steps = json.load(f)
        check_steps(steps, a.timestamps)
    except (OSError, ValueError, Failure) as e:
        print("rawsmtp: %s: %s" % (a.script, e), file=sys.stderr)
        print(json.dumps({"replies": [], "acked": 0, "ok": False, "error": "script: %s" % e}))
        return 1

    # a backstop for anything the deadlines miss (a blocked send, say)
    def on_signal(signum, _frame):
        raise Failure("--timeout: still running after %g s" % a.timeout if signum == signal.SIGALRM
                      else "terminated by signal %d" % signum)
    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(int(a.timeout) + 5)

    sess, err, code = None, None, 0
    try:
        sess = Session(a)
        sess.run(steps)
    except Failure as e:
        code, err = e.code, str(e)
        print("rawsmtp: %s" % e, file=sys.stderr)
        if sess is not None and not sess.verbose:
            print("rawsmtp: transcript:\n" + "\n".join(sess.transcript), file=sys.stderr)
    except KeyboardInterrupt:
        code, err = 130, "interrupted"
    except Exception as e:  # a bug here: still one JSON object, and the reset below
        code, err = 1, "internal error: %r" % e
        traceback.print_exc()
    finally:
        signal.alarm(0)
    out = sess.result(err) if sess else {"replies": [], "acked": 0, "ok": False, "error": err}
    # a session left open would hold a Postfix smtpd for its 300 s timeout
    if sess is not None and sess.established and not sess.closed and not sess.reset:
        try:
            sess.send_rst()
        except Failure:
            pass
    print(json.dumps(out))
    return code


if __name__ == "__main__":
    sys.exit(main())
