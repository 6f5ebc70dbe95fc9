#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""burst.py - many SMTP sessions at once, one message each, as a busy (or
hijacked) server sends them.

  burst.py --server IP --count N [--parallel P] [--timeout S] [--from ADDR]
           [--to ADDR] [--tag TEXT] [--connect-only]

Session i (0..N-1) sends EHLO, MAIL FROM, RCPT TO, DATA and a message whose
headers carry "X-Burst: TAG-i", and QUIT. A session blocked on the way (its
segments dropped, the client never told) ends at its timeout (S seconds per
reply, default 3). --connect-only: each session only connects and reads the
greeting (a quarantined source's SYNs are dropped: the connect times out).

Prints one JSON object: {"sent": N, "accepted": [i, ...], "failed": {i:
"why"}, "seconds": elapsed}.
"""
import argparse, concurrent.futures, json, socket, time


def reply(f):
    """the code of the next (possibly multi-line) reply"""
    while True:
        line = f.readline()
        if not line:
            raise OSError("connection closed")
        if line[3:4] != b"-":
            return line[:3].decode("latin-1")


def session(a, i):
    fam = socket.AF_INET6 if ":" in a.server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect((a.server, 25))
        f = s.makefile("rb")
        if reply(f) != "220":
            return "no greeting"
        if a.connect_only:
            return None
        steps = [(b"EHLO burst.example.net\r\n", "250"),
                 (b"MAIL FROM:<%s>\r\n" % a.sender.encode(), "250"),
                 (b"RCPT TO:<%s>\r\n" % a.rcpt.encode(), "250"),
                 (b"DATA\r\n", "354"),
                 (b"From: <%s>\r\nTo: <%s>\r\nSubject: burst %d\r\nX-Burst: %s-%d\r\n\r\n"
                  b"message %d of a burst\r\n.\r\n" % (a.sender.encode(), a.rcpt.encode(), i,
                                                       a.tag.encode(), i, i), "250")]
        for data, want in steps:
            s.sendall(data)
            code = reply(f)
            if code != want:
                return "%s answered to %r" % (code, data[:10])
        s.sendall(b"QUIT\r\n")
        return None
    except (OSError, socket.timeout) as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description="many one-message SMTP sessions at once")
    ap.add_argument("--server", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--parallel", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--from", dest="sender", default="burst@partner.example")
    ap.add_argument("--to", dest="rcpt", default="bob@corp.example")
    ap.add_argument("--tag", default="burst")
    ap.add_argument("--connect-only", action="store_true")
    a = ap.parse_args()
    t = time.monotonic()
    accepted, failed = [], {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.parallel) as ex:
        futs = {ex.submit(session, a, i): i for i in range(a.count)}
        for fu in concurrent.futures.as_completed(futs):
            why = fu.result()
            if why is None:
                accepted.append(futs[fu])
            else:
                failed[futs[fu]] = why
    print(json.dumps({"sent": a.count, "accepted": sorted(accepted), "failed": failed,
                      "seconds": round(time.monotonic() - t, 3)}))


if __name__ == "__main__":
    main()
