#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""synflood.py - many TCP SYNs to one port, each from its own (address, port).

  synflood.py --iface IF --dst IP4 [--dport 25] [--src-net CIDR]
              [--max-seconds S] [--procs N] COUNT

Sends COUNT SYNs out of IF on an AF_PACKET socket to DST:DPORT (to the next
hop's link address, as rawsmtp.py finds it), with no two sharing a source
(address, port): addresses are the hosts of --src-net (default
198.51.100.128/25), ports 1024 and up. Stops at COUNT or after --max-seconds
(default 60), whichever comes first, and prints one JSON object:
{"sent": N, "seconds": T, "rate": N/T, "iface": IF, "procs": P}.

The replies (SYN-ACKs, syncookies once the listener's queue is full) go to
--src-net: route that somewhere harmless, e.g. a blackhole route on the
router (tests/lab/raw.sh: raw_flood_up), so nobody resolves a link address
per SYN-ACK.

Speed: one frame per source address is built whole once; per SYN only the
source port and the sequence number change, and the sequence number is
chosen so that port + sequence number, and so the TCP checksum, stay the
same (the IP ID plays that part for the address in the IP checksum). A SYN
then costs one struct.pack_into and one send. --procs forks senders on
other CPUs (default: 1; on a veth the receiver's whole stack runs on the
sender's CPU, so each process is one CPU of work).
"""
import argparse
import errno
import ipaddress
import json
import os
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawsmtp import (ETH_P_IP, SYN, Failure, fold, ip4_checksum, next_hop_mac,  # noqa: E402
                     packet_socket, pseudo_sum, sum16)

FIRST_PORT = 1024
MSS_OPTION = struct.pack("!BBH", 2, 4, 1460)


def frames(eth, hosts, dst, dport):
    """One SYN frame per source host, checksums right, ready for patching.

    Ones'-complement sums are taken modulo 0xffff: with the IP ID set to
    0xffff - (low word of the address) the IP header sums to the same for
    every host, and with sequence number (0xffff - low word) << 16 |
    (0xffff - port) the TCP checksum is the same for every host and port."""
    out = []
    for h in hosts:
        lo = int(h) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 24, 0xFFFF - lo, 0x4000, 64, 6, 0,
                         h.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", ip4_checksum(ip)) + ip[12:]
        seq = (0xFFFF - lo) << 16 | (0xFFFF - FIRST_PORT)
        tcp = struct.pack("!HHIIBBHHH", FIRST_PORT, dport, seq, 0, 6 << 4, SYN, 65535, 0, 0) + MSS_OPTION
        c = ~fold(pseudo_sum(h.packed, dst.packed, len(tcp)) + sum16(tcp)) & 0xFFFF
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        out.append((bytearray(eth + ip + tcp), 0xFFFF - lo))
    return out


def send_rows(sock, hosts, dport, first_row, last_row, count, deadline):
    """Send ports FIRST_PORT+first_row .. +last_row-1 from every host (the
    last row cut to make COUNT in all); return how many were sent and the
    error that stopped it, if one did."""
    patch = struct.Struct("!HHHH").pack_into  # sport, dport, seq hi, seq lo at byte 34
    send = sock.send
    sent = 0
    for row in range(first_row, last_row):
        port = FIRST_PORT + row
        lo = 0xFFFF - port
        batch = hosts if count - sent >= len(hosts) else hosts[:count - sent]
        for i, (buf, hi) in enumerate(batch):
            patch(buf, 34, port, dport, hi, lo)
            while True:
                try:
                    send(buf)
                    break
                except OSError as e:
                    # a veth whose peer runs XDP queues 256 frames, then
                    # says ENOBUFS: wait for the receiver, bounded
                    if e.errno != errno.ENOBUFS or time.monotonic() > deadline:
                        return sent + i, e
                    time.sleep(0.0005)
        sent += len(batch)
        if sent >= count or time.monotonic() > deadline:
            break
    return sent, None


def main():
    ap = argparse.ArgumentParser(description="many SYNs from distinct (address, port) pairs")
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst", required=True, help="IPv4 address to flood")
    ap.add_argument("--dport", type=int, default=25)
    ap.add_argument("--src-net", default="198.51.100.128/25",
                    help="source addresses (its hosts); its replies must go nowhere harmful")
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--procs", type=int, default=1, help="sender processes (default 1)")
    ap.add_argument("count", type=int)
    a = ap.parse_args()

    try:
        dst = ipaddress.IPv4Address(a.dst)
        net = ipaddress.IPv4Network(a.src_net)
        hosts = list(net.hosts())
        if dst in net:
            raise Failure("--dst %s is inside --src-net %s" % (dst, net))
        capacity = len(hosts) * (65536 - FIRST_PORT)
        if not 0 < a.count <= capacity:
            raise Failure("COUNT must be 1..%d (%d hosts x %d ports)" % (capacity, len(hosts), 65536 - FIRST_PORT))
        if not 1 <= a.procs <= 64:
            raise Failure("--procs: 1..64")
        sock = packet_socket(a.iface, receive=False)
        eth = next_hop_mac(a.iface, str(dst)) + sock.getsockname()[4] + struct.pack("!H", ETH_P_IP)
        template = frames(eth, hosts, dst, a.dport)
    except (Failure, ValueError) as e:
        print("synflood: %s" % e, file=sys.stderr)
        return 1

    rows = -(-a.count // len(hosts))
    shares = []  # (first row, last row, count) per process, whole rows each
    per = -(-rows // a.procs)
    left = a.count
    for first in range(0, rows, per):
        last = min(rows, first + per)
        n = min(left, (last - first) * len(hosts))
        shares.append((first, last, n))
        left -= n

    start = time.monotonic()
    deadline = start + a.max_seconds
    children = []
    for first, last, n in shares[1:]:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                done, err = send_rows(packet_socket(a.iface, receive=False), template, a.dport,
                                      first, last, n, deadline)
            except Failure as e:
                done, err = 0, e
            if err:
                print("synflood: sender %d: %s" % (os.getpid(), err), file=sys.stderr)
            os.write(w, str(done).encode())
            os._exit(1 if err else 0)
        os.close(w)
        children.append((pid, r))

    first, last, n = shares[0]
    total, err = send_rows(sock, template, a.dport, first, last, n, deadline)
    rc = 0
    if err:
        print("synflood: %s" % err, file=sys.stderr)
        rc = 1
    for pid, r in children:
        # each child stops at the same deadline; a stuck one is not waited for forever
        t_end = deadline + 5
        while True:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid:
                break
            if time.monotonic() > t_end:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                status = 1
                break
            time.sleep(0.01)
        with os.fdopen(r) as f:
            got = f.read().strip()
        total += int(got or 0)
        if status:
            rc = 1
    secs = time.monotonic() - start
    print(json.dumps({"sent": total, "seconds": round(secs, 3), "rate": round(total / secs) if secs else 0,
                      "iface": a.iface, "procs": len(shares)}))
    print("synflood: %d SYNs in %.2f s: %.0f/s" % (total, secs, total / secs if secs else 0), file=sys.stderr)
    if total < a.count and rc == 0:
        print("synflood: stopped at --max-seconds %g before COUNT" % a.max_seconds, file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
