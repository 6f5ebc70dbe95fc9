#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""smtp_forms.py - raw SMTP sessions for test_postfix_forms.sh.

send RELAY FORMS_FILE OUT_TSV: for each line "N<TAB>MAIL FROM line" of
FORMS_FILE, one session from client port 42000+N: EHLO, the line exactly as
written, RCPT, DATA with an X-Form: N header, QUIT. Writes
"N<TAB>port<TAB>reply code to MAIL FROM<TAB>queued(0/1)" lines.

verdict MAILDIR OUT_TSV ALERTS_JSONL: for each accepted form, the envelope
sender Postfix delivered (Return-Path) and whether smtpguard alerted for that
session; prints PASS/FAIL lines: smtpguard must alert exactly when Postfix
took an internal domain (corp.example or a subdomain) as the sender's domain.
"""
import email, json, os, socket, sys

class Client:
    """One SMTP connection from a fixed client port; reply() returns the
    code of the next (possibly multi-line) reply."""
    def __init__(self, relay, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("0.0.0.0", port))
        self.s.settimeout(10)
        self.s.connect((relay, 25))
        self.f = self.s.makefile("rb")

    def reply(self):
        while True:
            l = self.f.readline()
            if not l:
                return "000"
            if l[3:4] != b"-":
                return l[:3].decode()

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def close(self):
        self.cmd(b"QUIT")
        self.s.close()

def session(relay, n, line):
    c = Client(relay, 42000 + n)
    c.reply()
    c.cmd(b"EHLO client.example.net")
    mail = c.cmd(line)
    queued = 0
    if mail.startswith("2") and c.cmd(b"RCPT TO:<bob@corp.example>").startswith("2"):
        if c.cmd(b"DATA").startswith("3"):
            body = b"X-Form: %d\r\nFrom: <lab@example.net>\r\nSubject: form %d\r\n\r\nbody\r\n." % (n, n)
            queued = int(c.cmd(body).startswith("2"))
    c.close()
    return mail, queued

def envelope(c):
    c.reply()
    for line in (b"EHLO client.example.net", b"MAIL FROM:<a@example.net>", b"RCPT TO:<bob@corp.example>"):
        c.cmd(line)

def smuggle(relay, port):
    """One message whose body holds LF.LF and then a forged transaction:
    Postfix with the smuggling fix keeps it all in one message."""
    c = Client(relay, port)
    envelope(c)
    c.cmd(b"DATA")
    c.send(b"X-Form: 100\r\n\r\nline\n.\nMAIL FROM:<ceo@corp.example>\r\n"
           b"RCPT TO:<bob@corp.example>\r\nDATA\r\nX-Form: 101\r\n\r\nsmuggled\r\n.\r\n")
    code = c.reply()
    c.close()
    print(code)

def bdat(relay, port):
    """A message in two BDAT chunks, its From: header cut between them."""
    c = Client(relay, port)
    envelope(c)
    one = b"X-Form: 200\r\nFrom: \"Chief\" <ceo@co"
    two = b"rp.example>\r\nSubject: chunked\r\n\r\nhello\r\n"
    c.send(b"BDAT %d\r\n" % len(one) + one)
    c.reply()
    c.send(b"BDAT %d LAST\r\n" % len(two) + two)
    code = c.reply()
    c.close()
    print(code)

def unmark(line):
    """forms spell the bytes a here-document cannot hold"""
    return line.replace(b"<NUL>", b"\0").replace(b"<VT>", b"\x0b").replace(b"<FF>", b"\x0c")

def bdat(relay, port):
    """A message in two BDAT chunks, its From: header cut between them."""
    s = socket.create_connection((relay, 25), timeout=10, source_address=("0.0.0.0", port))
    f = s.makefile("rb")
    def reply():
        while True:
            l = f.readline()
            if not l or l[3:4] != b"-":
                return l[:3].decode()
    reply()
    for c in (b"EHLO client.example.net", b"MAIL FROM:<a@example.net>", b"RCPT TO:<bob@corp.example>"):
        s.sendall(c + b"\r\n")
        reply()
    one = b"X-Form: 200\r\nFrom: \"Chief\" <ceo@co"
    two = b"rp.example>\r\nSubject: chunked\r\n\r\nhello\r\n"
    s.sendall(b"BDAT %d\r\n" % len(one) + one)
    reply()
    s.sendall(b"BDAT %d LAST\r\n" % len(two) + two)
    code = reply()
    s.sendall(b"QUIT\r\n")
    s.close()
    print(code)

def internal(domain):
    d = domain.lower().rstrip(".")
    return d == "corp.example" or d.endswith(".corp.example")

def main():
    if sys.argv[1] == "bdat":
        bdat(sys.argv[2], int(sys.argv[3]))
        return 0
    if sys.argv[1] == "smuggle":
        smuggle(sys.argv[2], int(sys.argv[3]))
        return 0
    if sys.argv[1] == "send":
        relay, forms, out = sys.argv[2:5]
        with open(forms, "rb") as fi, open(out, "w") as fo:
            for raw in fi:
                n, line = raw.rstrip(b"\n").split(b"\t", 1)
                code, queued = session(relay, int(n), unmark(line))
                fo.write("%s\t%d\t%s\t%d\n" % (n.decode(), 42000 + int(n), code, queued))
        return 0
    maildir, tsv, alerts = sys.argv[2:5]
    senders = {}
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(maildir, sub)):
            with open(os.path.join(maildir, sub, name), "rb") as fm:
                m = email.message_from_binary_file(fm)
            if m["X-Form"]:
                senders[int(m["X-Form"])] = (m["Return-Path"] or "").strip()
    alerted = set()
    for l in open(alerts):
        e = json.loads(l)
        if e["alert"]["metadata"]["where"] == ["mail_from"]:
            alerted.add(e["src_port"])
    forms = {int(l.split(b"\t", 1)[0]): l.split(b"\t", 1)[1].rstrip(b"\n")
             for l in open(sys.argv[5], "rb")}
    failed = 0
    for l in open(tsv):
        n, port, code, queued = l.split()
        n, port = int(n), int(port)
        text = forms[n].decode("latin-1")
        if queued != "1":
            # Postfix refused it: smtpguard may alert (an attempt), never must
            print("PASS: lab-forms: %s: Postfix refused it (%s); smtpguard %s" %
                  (text, code, "alerted" if port in alerted else "did not alert"))
            continue
        rp = senders.get(n)
        if rp is None:
            print("FAIL: lab-forms: %s: accepted but not delivered" % text)
            failed += 1
            continue
        addr = rp.strip("<>")
        domain = addr.rsplit("@", 1)[1] if "@" in addr else ""
        want = internal(domain)
        got = port in alerted
        verdict = "PASS" if want == got else "FAIL"
        failed += verdict == "FAIL"
        print("%s: lab-forms: %s: Postfix's sender %s is %sinternal, smtpguard %s" %
              (verdict, text, rp, "" if want else "not ", "alerted" if got else "did not alert"))
    return 1 if failed else 0

sys.exit(main())
