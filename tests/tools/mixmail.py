#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""mixmail.py - legitimate mail of many forms over real SMTP, deterministic
from a seed, and a strict check of what the relay delivered.

  mixmail.py send --server ADDR --source outside|partner --count N --seed S
                  --id-prefix P --manifest FILE [--save-dir DIR] [--port 25]
                  [--tls-share 0.2] [--timeout 20] [--deadline SECONDS]
                  [--done-file FILE --hold-until FILE [--hold-max 60]]
  mixmail.py verify --maildir DIR [--save-dir DIR] [--relay-name NAME]
                  [--summary FILE] MANIFEST...
  mixmail.py edge --case NAME --server ADDR --id-prefix P --manifest FILE
                  [--save-dir DIR] [--timeout 10]
                  one fixed session, the smallest form of a problem found:
                  epilogue-8, bdat-train-6 (see --help)
  mixmail.py stats MANIFEST...         the mix sent, as JSON
  mixmail.py flowcheck --flows FILE MANIFEST...
                  every session that went through against smtpguard's flow
                  entry (flows --json while held open with --hold-until):
                  messages, messages_accepted, recipients counted as sent,
                  no alert, no flag
  mixmail.py explain [--events FILE] [--flows FILE] MANIFEST...
                  each alert event and each failed session, with the
                  session and the message that was in flight

send: N messages in sessions of 1 to 10 messages (mostly 2 to 10) to ADDR
(IPv4 or IPv6: the family of the session is the family of ADDR), written on
plain sockets (smtplib can neither pipeline nor speak BDAT) and Python's ssl
module. Per session, drawn from the seed: STARTTLS (then EHLO again, the
mail over TLS; the certificate is not verified, a test relay's self-signed
one), and per message one transfer form:

  data       MAIL, each RCPT, DATA, the message: one command, one reply
  data-pipe  MAIL, RCPT..., DATA in one write (RFC 2920), replies read after;
             the message's end may carry the next message's MAIL/RCPT/DATA,
             or QUIT, in the same write
  bdat       MAIL, RCPT..., then BDAT chunks (RFC 3030), a reply each
  bdat-pipe  MAIL, RCPT... and every BDAT chunk in one group; up to three
             whole BDAT messages may follow one another in one group

BDAT chunks end at awkward places: between the CR and LF of a line end,
right before or after a line that starts with a dot (a lone "." too), inside
the header block, a URL, a MIME boundary line; the last chunk is "BDAT n
LAST" or an empty "BDAT 0 LAST". Every write is split at random and awkward
places as well (TCP_NODELAY: a write is a segment), inside "CRLF.CRLF" too.
DATA is dot-stuffed, BDAT is not.

Some sessions write their verbs in lower case or put a space after "FROM:";
some messages carry DSN parameters (RET, ENVID, NOTIFY, ORCPT), a
recipient the relay refuses (454, the rest go through), the null sender;
RSET and NOOP between messages.

The messages: plain 7bit text, 8bit UTF-8 text (BODY=8BITMIME), raw UTF-8
in headers (SMTPUTF8), multipart/alternative with quoted-printable or base64
text and HTML parts, multipart/mixed and /related with base64 attachments of
random bytes (about 100 B to 2 MB, a few big) and text attachments (CSV,
calendar), epilogues, forwarded messages (message/rfc822 with its own nested
multiparts; the attached message's own From: may be internal), replies that
quote the internal sender's "From:" line in the body (Outlook style), lines
that start with dots (a lone "." too), lines of up to 998 bytes, several
recipients, links to ordinary hosts (redirect parameters to good hosts,
lookalikes of the lab's bad host redir.badcdn.test, never it). From the
outside source the message's From: header and MAIL FROM are never in
corp.example or a subdomain (lookalikes such as corp.example.net and
notcorp.example are used; To:, Cc:, References: and bodies do name
corp.example); the trusted partner source may use corp.example, as it is
allowed to.

Every message has a unique Message-ID and an "X-Mix-Id: ID" header.

For each message one JSON line goes to the manifest (written as soon as the
relay answered its end): id, status "accepted" (the relay's 2xx after the
end of data, with its queue id) or "failed" and why, the envelope, the
recipients the relay took, the session's EHLO name, client address and TLS,
the form and features, and sha256 and length of the exact message bytes
(before dot-stuffing). --save-dir keeps those bytes as DIR/ID.eml for
verify's diffs. Exit 0 only if every message was accepted.

verify: every accepted message must be in the Maildir exactly once per
recipient the relay took, and nothing else may be there. Postfix's virtual(8)
writes a Maildir file as exactly three prepended headers (Return-Path with
the envelope sender, Delivered-To with the recipient, the smtpd Received
header naming the EHLO name, the client address, ESMTP/ESMTPS and the queue
id) and then the message as received with CRLF turned into LF. Each file is
checked to be exactly that, with the manifest's values; the rest must be
byte-identical. Diagnostics on failure: missing, duplicate or unexpected
ids, and the first difference of each differing message. Exit 0 if all is
well; a JSON summary goes to --summary.
"""
import argparse
import base64
import datetime
import email.utils
import hashlib
import json
import os
import quopri
import random
import re
import socket
import ssl
import sys
import time

# ---------------------------------------------------------------- words

WORDS = ("the quarterly report invoice meeting schedule budget project team update please "
         "review attached document figures travel customer order shipment delivery contract "
         "renewal agenda minutes notes draft final version approval request thanks regards "
         "tomorrow monday friday office network server backup storage license account "
         "payment receipt balance summary proposal offer discount support ticket issue "
         "resolved pending action item deadline calendar invitation conference room").split()
UTF8_WORDS = ["Grüße", "naïve", "café", "Straße", "façade", "smörgåsbord", "déjà", "Ærø",
              "日本語", "中文", "Ελληνικά", "русский", "€100", "über", "niño", "crème brûlée"]
GOOD_LINKS = [
    "https://www.example.org/x?url=https%3A%2F%2Fgood.example.net%2F",
    "https://www.example.org/news/2026/11/quarterly.html",
    "http://docs.example.com/path/to/page.html#section-2",
    "https://track.example.net/c?u=https%3A%2F%2Fwww.example.org%2Fnews&id=8842",
    "https://links.example.com/r?target=https%3A%2F%2Fshop.example.net%2Fcart%3Fitem%3D7",
    "https://login.example.net/oauth?redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&state=x1",
    "https://www.example.com/search?q=corp.example+annual+report",
    "https://cdn.example.net/img/logo.png",
    "http://example.org/?domain=good.example.net",
    "https://safe.example.net/?url=https://www.example.org/ok",
    "https://intranet.corp.example/wiki/Quarterly",
    "https://webmail.corp.example/owa/?ae=Item&id=42",
]
# lookalikes of the lab's bad host (redir.badcdn.test): none is it or under it
NEAR_LINKS = [
    "https://redir.badcdn.test.example.org/x",
    "https://notredir.badcdn.test/y",
    "https://badcdn.test/parent-is-fine",
    "https://www.example.org/?url=https%3A%2F%2Fbadcdn.test%2F",
    "https://redir-badcdn.example.net/z",
    "https://www.example.org/r?u=https%3A%2F%2Fredir.badcdn.testing.example%2F",
]
OUT_DOMAINS = ["example.net", "example.com", "example.org", "mail.example.net",
               "news.example.com", "notcorp.example", "corp.example.net",
               "corp-example.org", "corpexample.net", "lists.example.org"]
OUT_HELOS = ["mail.example.net", "mx1.example.com", "smtp-out.corp.example.net",
             "outbound.example.org", "mta7.lists.example.org"]
PARTNER_HELOS = ["gw.corp.example", "mx.partner.example", "relay2.corp.example"]
CORP_USERS = ["bob", "alice", "carol", "dave", "erin", "frank", "grace", "hr", "it-support",
              "sales"]
RCPT_DOMAINS = ["corp.example"] * 5 + ["corp-mail.example"]
FIRST = ["Alice", "Bob", "Chen", "Dana", "Émile", "Fatima", "Giorgos", "Hiro", "Ines", "Jürgen"]
LAST = ["Smith", "Example", "Müller", "O'Brien", "Nakamura", "Rossi", "Dubois", "Kowalski"]

CRLF = b"\r\n"
MAXLINE = 998
CURRENT = None  # the Mix being built, for helpers that are not handed it
HELD = []       # connections kept open after QUIT (--hold-until)


class Mix:
    """one message being built: its lines and the features it has"""

    def __init__(self, rng):
        self.rng = rng
        self.feat = {}

    def flag(self, name, n=1):
        self.feat[name] = self.feat.get(name, 0) + n


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def para_lines(rng, m, nlines, width=72, utf8=False, links=False):
    """text lines (str, no line ends) of ordinary prose"""
    out = []
    for _ in range(nlines):
        w = []
        ln = 0
        target = rng.randint(20, width)
        while ln < target:
            if utf8 and rng.random() < 0.15:
                t = rng.choice(UTF8_WORDS)
            else:
                t = rng.choice(WORDS)
            w.append(t)
            ln += len(t) + 1
        out.append(" ".join(w))
    if links:
        for _ in range(rng.randint(1, 3)):
            lk = rng.choice(NEAR_LINKS if rng.random() < 0.3 else GOOD_LINKS)
            if lk in NEAR_LINKS:
                m.flag("near_link")
            m.flag("links")
            out.insert(rng.randint(0, len(out)), "See " + lk + " for details.")
    return out


def dot_lines(rng, m, lines):
    """lines that start with dots, as people and programs write them"""
    for _ in range(rng.randint(1, 4)):
        s = rng.choice([".", "..", "...", ".hidden file", ". indented after a dot",
                        ".\t.", ".signature", "..double dot start", ".From: nobody"])
        lines.insert(rng.randint(0, len(lines)), s)
        m.flag("dot_lines")
        if s == ".":
            m.flag("lone_dot")
    return lines


def long_lines(rng, m, lines):
    for _ in range(rng.randint(1, 3)):
        n = MAXLINE if rng.random() < 0.5 else rng.randint(200, MAXLINE)
        s = ""
        while len(s) < n:
            s += rng.choice(WORDS) + " "
        s = s[:n - 1] + "x"
        lines.insert(rng.randint(0, len(lines)), s)
        m.flag("long_lines")
        if n == MAXLINE:
            m.flag("line_998")
    return lines


def lines_bytes(lines):
    return b"".join(l.encode("utf-8") + CRLF for l in lines)


def qp_encode(text):
    b = quopri.encodestring(text.encode("utf-8"), quotetabs=False)
    out = b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not out.endswith(CRLF):
        out += b"=" + CRLF  # a soft break: the part ends on a line end
    return out


def b64_encode(data, width=76):
    e = base64.b64encode(data)
    return b"".join(e[i:i + width] + CRLF for i in range(0, len(e), width))


def html_doc(rng, m, utf8):
    paras = []
    for _ in range(rng.randint(1, 6)):
        paras.append("<p>" + " ".join(para_lines(rng, m, rng.randint(1, 4), utf8=utf8)) + "</p>")
    for _ in range(rng.randint(1, 4)):
        lk = rng.choice(NEAR_LINKS if rng.random() < 0.25 else GOOD_LINKS)
        m.flag("links")
        if lk in NEAR_LINKS:
            m.flag("near_link")
        q = rng.choice(['"', "'", '"'])
        paras.insert(rng.randint(0, len(paras)),
                     '<p><a href=%s%s%s>%s</a></p>' % (q, lk.replace("&", "&amp;"), q,
                                                        words(rng, 3)))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
            "<body style=\"font-family: Arial, sans-serif\">\n%s\n</body></html>\n"
            % (words(rng, 3), "\n".join(paras)))


def text_part(rng, m, subtype, forced_cte=None):
    """a text/plain or text/html part: (headers bytes, body bytes)"""
    utf8 = rng.random() < 0.4
    if subtype == "html":
        text = html_doc(rng, m, utf8)
    else:
        lines = para_lines(rng, m, rng.randint(2, 30), utf8=utf8, links=rng.random() < 0.6)
        text = "\n".join(lines) + "\n"
    cte = forced_cte or rng.choice(["quoted-printable", "base64", "7bit", "8bit"])
    if cte == "7bit" and utf8:
        cte = "8bit"
    if cte == "quoted-printable":
        body = qp_encode(text)
        m.flag("qp_parts")
    elif cte == "base64":
        body = b64_encode(text.encode("utf-8"))
        m.flag("b64_text_parts")
    else:
        body = text.replace("\n", "\r\n").encode("utf-8")
        if cte == "8bit":
            m.flag("eightbit")
    cs = "utf-8" if utf8 or cte == "8bit" else rng.choice(["us-ascii", "utf-8"])
    hdr = ("Content-Type: text/%s; charset=%s\r\nContent-Transfer-Encoding: %s\r\n"
           % (subtype, cs if rng.random() < 0.5 else '"%s"' % cs, cte))
    return hdr.encode(), body


def att_size(rng, m):
    r = rng.random()
    if r < 0.02:
        m.flag("big_attachments")
        return rng.randint(1000000, 2000000)
    if r < 0.10:
        return rng.randint(150000, 700000)
    if r < 0.40:
        return rng.randint(8000, 150000)
    return rng.randint(100, 8000)


def attachment(rng, m):
    kind = rng.random()
    name = "%s-%d" % (rng.choice(WORDS), rng.randint(1, 9999))
    if kind < 0.12:
        # a CSV: text, read by smtpguard as text
        rows = ["id,name,amount,url"] + [
            "%d,%s,%d.%02d,%s" % (i, rng.choice(WORDS), rng.randint(1, 9999), rng.randint(0, 99),
                                  rng.choice(GOOD_LINKS)) for i in range(rng.randint(2, 200))]
        m.flag("text_attachments")
        body = ("\r\n".join(rows) + "\r\n").encode()
        if rng.random() < 0.5:
            return (('Content-Type: text/csv; name="%s.csv"\r\nContent-Disposition: attachment; '
                     'filename="%s.csv"\r\nContent-Transfer-Encoding: base64\r\n') % (name, name)
                    ).encode(), b64_encode(body)
        return (('Content-Type: text/csv; name="%s.csv"\r\nContent-Disposition: attachment; '
                 'filename="%s.csv"\r\nContent-Transfer-Encoding: 7bit\r\n') % (name, name)
                ).encode(), body
    if kind < 0.20:
        org = rng.choice(CORP_USERS) + "@corp.example"
        ics = ["BEGIN:VCALENDAR", "PRODID:-//Example//Calendar 1.0//EN", "VERSION:2.0",
               "METHOD:REQUEST", "BEGIN:VEVENT", "UID:%x@example.net" % rng.getrandbits(64),
               "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z",
               "SUMMARY:" + words(rng, 4), "ORGANIZER;CN=Bob:mailto:" + org,
               "ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:x@example.net",
               "LOCATION:https://meet.example.org/j/123456789", "END:VEVENT", "END:VCALENDAR"]
        m.flag("text_attachments")
        return (b'Content-Type: text/calendar; charset="utf-8"; method=REQUEST\r\n'
                b"Content-Transfer-Encoding: 7bit\r\n", ("\r\n".join(ics) + "\r\n").encode())
    size = att_size(rng, m)
    m.flag("attachments")
    m.flag("attachment_bytes", size)
    ctype, ext = rng.choice([("application/octet-stream", "bin"), ("application/pdf", "pdf"),
                             ("image/png", "png"), ("application/zip", "zip"),
                             ("image/jpeg", "jpg"),
                             ("application/vnd.openxmlformats-officedocument."
                              "spreadsheetml.sheet", "xlsx")])
    data = rng.randbytes(size)
    width = rng.choice([76, 76, 76, 72, 64])
    disp = rng.choice(["attachment", "attachment", "inline"])
    hdr = ('Content-Type: %s; name="%s.%s"\r\nContent-Disposition: %s; filename="%s.%s"\r\n'
           'Content-Transfer-Encoding: base64\r\n') % (ctype, name, ext, disp, name, ext)
    return hdr.encode(), b64_encode(data, width)


def boundary(rng):
    return rng.choice(["==mix_%016x==" % rng.getrandbits(64),
                       "----=_Part_%d_%d.%d" % (rng.randint(1, 99999), rng.randint(1, 999999),
                                                rng.randint(10**12, 10**13)),
                       "b1_%032x" % rng.getrandbits(128),
                       "000000000000%012x" % rng.getrandbits(48),
                       "Apple-Mail=_%08X-%04X" % (rng.getrandbits(32), rng.getrandbits(16))])


def multipart(rng, subtype, parts):
    """parts: list of (headers, body); returns (headers, body)"""
    b = boundary(rng)
    # unquoted only when it is an RFC 2045 token (no "=" and other tspecials)
    quoted = rng.random() < 0.7 or re.search(r'[()<>@,;:\\"/\[\]?=]', b) is not None
    hdr = ("Content-Type: multipart/%s;\r\n\tboundary=%s\r\n"
           % (subtype, '"%s"' % b if quoted else b)).encode()
    body = b""
    if rng.random() < 0.3:
        body += b"This is a multi-part message in MIME format." + CRLF + CRLF
    for h, p in parts:
        body += b"--" + b.encode() + CRLF + h + CRLF + p
        if not p.endswith(CRLF):
            body += CRLF
    body += b"--" + b.encode() + b"--" + CRLF
    if rng.random() < 0.2:
        # an epilogue (mail clients do not show it): lines of any length
        m_ep = rng.choice(["", "This is the epilogue.", "End of MIME message",
                           "-- \r\nSent through lists.example.org", words(rng, rng.randint(1, 6)),
                           "x" * rng.randint(1, 40)])
        body += CRLF + m_ep.encode() + CRLF
        if CURRENT:
            CURRENT.flag("epilogue")
    return hdr, body


def alternative(rng, m):
    cte = rng.choice(["quoted-printable", "base64", None])
    return multipart(rng, "alternative",
                     [text_part(rng, m, "plain", cte), text_part(rng, m, "html", cte)])


def quoted_reply_lines(rng, m, corp_sender):
    """an Outlook-style reply: the internal sender's header block quoted in the body"""
    m.flag("quoted_internal_from")
    return para_lines(rng, m, rng.randint(1, 5)) + [
        "", "-----Original Message-----",
        "From: %s %s <%s>" % (rng.choice(FIRST), rng.choice(LAST), corp_sender),
        "Sent: Monday, November 23, 2026 9:14 AM",
        "To: %s <%s@%s>" % (rng.choice(FIRST), rng.choice(["sales", "info"]), rng.choice(OUT_DOMAINS)),
        "Subject: " + words(rng, 4), ""] + ["> " + l for l in para_lines(rng, m, rng.randint(1, 6))]


def make_body(rng, m, source):
    """the MIME structure after the top-level headers: (content headers, body)"""
    r = rng.random()
    corp_sender = "%s@corp.example" % rng.choice(CORP_USERS)
    if r < 0.10:
        # tiny, no MIME at all
        m.flag("form_tiny")
        return b"", lines_bytes([words(rng, rng.randint(1, 8))])
    if r < 0.30:
        m.flag("form_plain")
        utf8 = rng.random() < 0.3
        if rng.random() < 0.35:
            lines = quoted_reply_lines(rng, m, corp_sender)
        else:
            lines = para_lines(rng, m, rng.randint(3, 80), utf8=utf8, links=rng.random() < 0.5)
        if rng.random() < 0.5:
            dot_lines(rng, m, lines)
        if rng.random() < 0.3:
            long_lines(rng, m, lines)
        if utf8:
            m.flag("eightbit")
            return (b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Transfer-Encoding: 8bit\r\n", lines_bytes(lines))
        if rng.random() < 0.5:
            return b"", lines_bytes(lines)
        return (b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                b"Content-Transfer-Encoding: 7bit\r\n", lines_bytes(lines))
    if r < 0.50:
        m.flag("form_alternative")
        h, b = alternative(rng, m)
        return b"MIME-Version: 1.0\r\n" + h, b
    if r < 0.90:
        m.flag("form_mixed")
        first = alternative(rng, m) if rng.random() < 0.5 else text_part(rng, m, "plain")
        parts = [first] + [attachment(rng, m) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.15:
            # multipart/related: HTML and an inline image inside the mixed
            m.flag("related")
            img_h = b'Content-Type: image/png\r\nContent-ID: <img1@example.net>\r\nContent-Transfer-Encoding: base64\r\n'
            parts[0] = multipart(rng, "related", [text_part(rng, m, "html"),
                                                  (img_h, b64_encode(rng.randbytes(rng.randint(200, 20000))))])
        h, b = multipart(rng, "mixed", parts)
        return b"MIME-Version: 1.0\r\n" + h, b
    # a forwarded message: message/rfc822 with its own nested multiparts;
    # the attached message's own From: may be internal (it is not this one's)
    m.flag("form_forwarded")
    inner_from = corp_sender if rng.random() < 0.6 else "x@" + rng.choice(OUT_DOMAINS)
    if inner_from.endswith("@corp.example"):
        m.flag("attached_internal_from")
    ih, ib = multipart(rng, "mixed", [alternative(rng, m), attachment(rng, m)])
    inner = (("From: %s\r\nTo: someone@%s\r\nSubject: %s\r\nDate: Sun, 22 Nov 2026 17:01:02 +0000\r\n"
              "Message-ID: <inner.%x@corp.example>\r\nMIME-Version: 1.0\r\n")
             % (inner_from, rng.choice(OUT_DOMAINS), words(rng, 4), rng.getrandbits(48))).encode() + ih + CRLF + ib
    lines = para_lines(rng, m, rng.randint(1, 6))
    if rng.random() < 0.5:
        dot_lines(rng, m, lines)
    h, b = multipart(rng, "mixed", [(b"Content-Type: text/plain; charset=us-ascii\r\n", lines_bytes(lines)),
                                    (b"Content-Type: message/rfc822\r\n", inner)])
    return b"MIME-Version: 1.0\r\n" + h, b


def display_from(rng, addr):
    name = "%s %s" % (rng.choice(FIRST), rng.choice(LAST))
    r = rng.random()
    if r < 0.15:
        return addr
    if r < 0.25:
        return "<%s>" % addr
    if r < 0.45:
        return '"%s, %s" <%s>' % (rng.choice(LAST), rng.choice(FIRST), addr)
    if r < 0.55:
        return "=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <%s>" % addr
    if r < 0.62:
        return "%s (%s)" % (addr, name)
    if r < 0.67:
        return "%s <%s>,\r\n %s <x@%s>" % (name, addr, rng.choice(FIRST), rng.choice(OUT_DOMAINS))
    return "%s <%s>" % (name.replace("'", ""), addr)


def make_message(rng, mid, source, env_from, rcpts, when):
    global CURRENT
    m = CURRENT = Mix(rng)
    if source == "partner" and rng.random() < 0.6:
        hdr_from = "%s@%s" % (rng.choice(CORP_USERS), rng.choice(["corp.example", "hr.corp.example"]))
        m.flag("internal_from_trusted")
    else:
        hdr_from = "%s.%s@%s" % (rng.choice(FIRST).lower(), rng.choice(["x", "y", "z"]),
                                 rng.choice(OUT_DOMAINS))
        hdr_from = hdr_from.encode("ascii", "ignore").decode()
    hdrs = []
    if source == "partner" and rng.random() < 0.5:
        hdrs.append("Received: from workstation.corp.example (ws12.corp.example [10.1.2.3])\r\n"
                    "\tby gw.corp.example (Exchange) with ESMTPSA id %x;\r\n\t%s"
                    % (rng.getrandbits(40), email.utils.format_datetime(when)))
    hdrs.append("From: " + display_from(rng, hdr_from))
    to = rcpts[:] if rng.random() < 0.8 else ["undisclosed-recipients:;"]
    hdrs.append("To: " + ", ".join(to))
    if rng.random() < 0.2:
        hdrs.append("Cc: %s <%s@corp.example>" % (rng.choice(FIRST), rng.choice(CORP_USERS)))
    subj = words(rng, rng.randint(2, 9))
    if rng.random() < 0.2:
        subj += " (re: corp.example portal)"
    if rng.random() < 0.15:
        subj = "=?utf-8?b?%s?=" % base64.b64encode(("Grüße: " + subj[:30]).encode()).decode()
    if rng.random() < 0.15:
        subj = subj + "\r\n " + words(rng, 6)  # folded
    hdrs.append("Subject: " + subj)
    hdrs.append("Date: " + email.utils.format_datetime(when))
    hdrs.append("Message-ID: <%s.%x@%s>" % (mid, rng.getrandbits(32), hdr_from.split("@")[1]))
    if rng.random() < 0.3:
        hdrs.append("In-Reply-To: <CA+%x@mail.corp.example>" % rng.getrandbits(64))
        hdrs.append("References: <%x@corp.example>\r\n <CA+%x@mail.corp.example>"
                    % (rng.getrandbits(48), rng.getrandbits(64)))
    if rng.random() < 0.2:
        hdrs.append("List-Unsubscribe: <https://lists.example.org/unsub?u=%x>" % rng.getrandbits(40))
    hdrs.append("X-Mix-Id: " + mid)
    ch, body = make_body(rng, m, source)
    head = "".join(h + "\r\n" for h in hdrs)
    if not head.isascii():
        m.flag("utf8_headers")  # sent with MAIL FROM's SMTPUTF8 (RFC 6531)
    msg = head.encode() + ch + CRLF + body
    if not msg.endswith(CRLF):
        msg += CRLF
    m.flag("bytes", len(msg))
    return msg, m.feat, hdr_from


# ---------------------------------------------------------------- SMTP


class SmtpError(Exception):
    pass


class Conn:
    def __init__(self, server, port, timeout, trace=None):
        self.trace = trace
        fam = socket.AF_INET6 if ":" in server else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect((server, port))
        self.local = self.sock.getsockname()
        self.buf = b""
        self.writes = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def readline(self):
        while b"\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise SmtpError("connection closed by the server")
            self.buf += d
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        if self.trace:
            self.trace.write("S: %r\n" % line)
        return line

    def reply(self):
        text = b""
        while True:
            line = self.readline()
            if len(line) < 4 or not line[:3].isdigit():
                raise SmtpError("bad reply line %r" % line[:80])
            text += line
            if line[3:4] != b"-":
                return int(line[:3]), text.decode("utf-8", "replace").strip()

    def write(self, data, cuts=(), pause=()):
        """data in pieces cut at the offsets CUTS; a short pause before the
        pieces starting at PAUSE so that they go as segments of their own"""
        last = 0
        for c in sorted(set(c for c in cuts if 0 < c < len(data))):
            if self.trace:
                self.trace.write("C: %r\n" % data[last:c])
            self.sock.sendall(data[last:c])
            self.writes += 1
            if c in pause:
                time.sleep(0.002)
            last = c
        if self.trace:
            self.trace.write("C: %r\n" % data[last:])
        self.sock.sendall(data[last:])
        self.writes += 1

    def starttls(self, rng):
        if self.buf:
            raise SmtpError("bytes after the STARTTLS reply")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the lab's throwaway self-signed certificate
        if rng.random() < 0.3:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.sock = ctx.wrap_socket(self.sock, server_hostname="relay.corp.example")
        return self.sock.version()


class Group:
    """bytes to write in one go (a pipelined group, or one command) and the
    replies they draw, in order: (codes accepted, message id or None, what)"""

    def __init__(self):
        self.data = bytearray()
        self.awkward = []
        self.expect = []

    def add(self, b, expect=None, awkward=()):
        base = len(self.data)
        self.awkward += [base + a for a in awkward]
        self.data += b
        if expect:
            self.expect.append(expect)


def awkward_points(msg):
    """offsets in MSG where a cut is awkward for a stream parser"""
    pts = []
    for mo in re.finditer(rb"\r\n", msg):
        pts.append(mo.start() + 1)  # between CR and LF
    for mo in re.finditer(rb"\r\n\.", msg):
        pts.append(mo.start() + 2)  # right before a dot line
        e = msg.find(b"\r\n", mo.start() + 2)
        if e >= 0:
            pts += [mo.start() + 3, e + 2]  # after its dot, right after the line
    for pat in (rb"\r\n\r\n", rb"From:", rb"https?://", rb"\r\n--", rb"X-Mix-Id:", rb"=\r\n",
                rb"boundary="):
        for mo in re.finditer(pat, msg):
            pts += [mo.start() + 1, mo.start() + len(mo.group()) // 2, mo.end()]
            if len(pts) > 4000:
                break
    return sorted(set(p for p in pts if 0 < p < len(msg)))


def pick_cuts(rng, n, pts, total):
    cuts = []
    if pts:
        cuts += rng.sample(pts, min(len(pts), n))
    cuts += [rng.randint(1, max(1, total - 1)) for _ in range(rng.randint(0, 2))]
    return sorted(set(c for c in cuts if 0 < c < total))


def dot_stuff(msg):
    return re.sub(rb"(?m)^\.", b"..", msg)


class Session:
    def __init__(self, args, rng, sid, msgs, manifest, save_dir):
        self.args, self.rng, self.sid = args, rng, sid
        self.msgs = msgs  # list of dicts (plan + bytes)
        self.manifest, self.save_dir = manifest, save_dir
        self.done = set()

    def record(self, m, status, reason="", qid=""):
        if m["id"] in self.done:
            return
        self.done.add(m["id"])
        rec = {k: v for k, v in m.items() if k != "bytes"}
        rec.update(status=status, reason=reason, qid=qid)
        self.manifest.write(json.dumps(rec, sort_keys=True) + "\n")
        self.manifest.flush()
        if status != "accepted":
            print("mixmail: %s not accepted: %s" % (m["id"], reason), file=sys.stderr)

    def flush(self, conn, g):
        """write group G, read its replies; return [(reply code, text)]"""
        rng = self.rng
        cuts = pick_cuts(rng, rng.randint(0, 4), g.awkward, len(g.data))
        pause = set(rng.sample(cuts, min(len(cuts), 2)))
        conn.write(bytes(g.data), cuts, pause)
        out = []
        for codes, mid, what in g.expect:
            code, text = conn.reply()
            out.append((code, text))
            if code not in codes:
                raise SmtpError("%s: %s (wanted %s) for %s" % (what, text, codes, mid))
            if what == "end":
                m = self.by_id[mid]
                q = re.search(r"queued as (\S+)", text)
                self.record(m, "accepted", qid=q.group(1) if q else "")
        return out

    def v(self, verb):
        """a verb as this session writes it (some clients write lower case)"""
        return verb.lower() if self.msgs[0].get("lower_verbs") else verb

    def envelope(self, g, m):
        params = ""
        if m["features"].get("eightbit") or m["features"].get("utf8_headers"):
            params += " BODY=8BITMIME"
        elif self.rng.random() < 0.2:
            params += " BODY=7BIT"
        if self.rng.random() < 0.4:
            params += " SIZE=%d" % len(m["bytes"])
        if m["features"].get("utf8_headers"):
            params += " SMTPUTF8"
        rparams = lambda r: ""
        if m.get("dsn"):
            # DSN (RFC 3461) as Exchange writes it; never NOTIFY=SUCCESS (a
            # delivery report would go out and stay in the lab's queue)
            params += " RET=HDRS ENVID=%s" % m["id"]
            rparams = lambda r: " NOTIFY=%s ORCPT=rfc822;%s" % (m["dsn"], r)
        sp = " " if self.msgs[0].get("space_after_colon") else ""
        g.add(("%s:%s<%s>%s\r\n" % (self.v("MAIL FROM"), sp, m["env_from"], params)).encode(),
              ({250}, m["id"], "MAIL"))
        for r in m["rcpts"]:
            g.add(("%s:%s<%s>%s\r\n" % (self.v("RCPT TO"), sp, r, rparams(r))).encode(),
                  ({250}, m["id"], "RCPT"))
        for r in m["rcpts_refused"]:
            g.add(("%s:%s<%s>\r\n" % (self.v("RCPT TO"), sp, r)).encode(),
                  ({454, 554}, m["id"], "RCPT refused"))

    def data_body(self, g, m):
        s = dot_stuff(m["bytes"])
        tail = len(s)
        pts = awkward_points(s)
        g.add(s + b".\r\n", ({250}, m["id"], "end"),
              awkward=[p for p in pts] + [tail - 1, tail, tail + 1, tail + 2])

    def bdat_chunks(self, g, m):
        msg, rng = m["bytes"], self.rng
        pts = awkward_points(msg)
        n = rng.choice([0, 1, 1, 2, 3, 4, 6])
        cuts = sorted(set(rng.sample(pts, min(n, len(pts)))))
        if rng.random() < 0.3 and len(msg) > 100:
            cuts = sorted(set(cuts + [rng.randint(1, len(msg) - 1)]))
        if "fixed_cuts" in m:
            cuts = m["fixed_cuts"]
        bounds = [0] + cuts + [len(msg)]
        chunks = [msg[a:b] for a, b in zip(bounds, bounds[1:])]
        zero_last = rng.random() < 0.25 and "fixed_cuts" not in m
        m["chunks"] = [len(c) for c in chunks] + ([0] if zero_last else [])
        for i, c in enumerate(chunks):
            last = i == len(chunks) - 1 and not zero_last
            cmd = ("%s %d%s\r\n" % (self.v("BDAT"), len(c), self.v(" LAST") if last else "")).encode()
            g.add(cmd + c, ({250}, m["id"], "end" if last else "BDAT"),
                  awkward=[2, len(cmd) - 1, len(cmd)] + [p - bounds[i] + len(cmd) for p in pts
                                                          if bounds[i] < p < bounds[i + 1]][:20])
        if zero_last:
            g.add(("%s 0 %s\r\n" % (self.v("BDAT"), self.v("LAST"))).encode(), ({250}, m["id"], "end"),
                  awkward=[5])

    def run(self):
        a, rng = self.args, self.rng
        self.by_id = {m["id"]: m for m in self.msgs}
        conn = None
        try:
            conn = Conn(a.server, a.port, a.timeout, a.trace)
            for m in self.msgs:
                m["client_ip"], m["client_port"] = conn.local[0], conn.local[1]
            code, text = conn.reply()
            if code != 220:
                raise SmtpError("banner: " + text)
            helo = self.msgs[0]["helo"]
            g = Group()
            g.add(("%s %s\r\n" % (self.v("EHLO"), helo)).encode(), ({250}, None, "EHLO"))
            ehlo = self.flush(conn, g)[0][1]
            if self.msgs[0]["tls"]:
                if "STARTTLS" not in ehlo:
                    raise SmtpError("no STARTTLS offered (LAB_TLS=1?)")
                g = Group()
                g.add(("%s\r\n" % self.v("STARTTLS")).encode(), ({220}, None, "STARTTLS"))
                self.flush(conn, g)
                ver = conn.starttls(rng)
                for m in self.msgs:
                    m["tls_version"] = ver
                g = Group()
                g.add(("%s %s\r\n" % (self.v("EHLO"), helo)).encode(), ({250}, None, "EHLO after STARTTLS"))
                ehlo = self.flush(conn, g)[0][1]
            for ext in ("PIPELINING", "CHUNKING", "8BITMIME"):
                if ext not in ehlo:
                    raise SmtpError("the server does not offer " + ext)
            g = Group()
            for i, m in enumerate(self.msgs):
                mode = m["mode"]
                if i > 0 and m["rset_before"]:
                    g.add(("%s\r\n" % self.v("RSET")).encode(), ({250}, None, "RSET"))
                    g = self.maybe_flush(conn, g, mode not in ("data-pipe", "bdat-pipe"))
                if i > 0 and m["noop_before"]:
                    g.add(("%s\r\n" % self.v("NOOP")).encode(), ({250}, None, "NOOP"))
                    g = self.maybe_flush(conn, g, True)
                if mode in ("data", "bdat"):
                    if g.data:
                        g = self.maybe_flush(conn, g, True)
                    # one command at a time
                    g1 = Group()
                    self.envelope(g1, m)
                    for item in self.split_group(g1):
                        self.flush(conn, item)
                    if mode == "data":
                        g1 = Group()
                        g1.add(("%s\r\n" % self.v("DATA")).encode(), ({354}, m["id"], "DATA"))
                        self.flush(conn, g1)
                        g1 = Group()
                        self.data_body(g1, m)
                        self.flush(conn, g1)
                    else:
                        g1 = Group()
                        self.bdat_chunks(g1, m)
                        for item in self.split_group(g1):
                            self.flush(conn, item)
                    continue
                # pipelined: the envelope joins what is pending (the end of
                # the previous message, RSET) in one write
                if g.data:
                    m["chained"] = True
                self.envelope(g, m)
                if mode == "data-pipe":
                    g.add(("%s\r\n" % self.v("DATA")).encode(), ({354}, m["id"], "DATA"))
                    self.flush(conn, g)
                    g = Group()
                    self.data_body(g, m)
                    nxt = self.msgs[i + 1] if i + 1 < len(self.msgs) else None
                    if not (nxt and nxt["mode"] == "data-pipe" and not nxt["noop_before"]
                            and rng.random() < 0.6):
                        g = self.maybe_flush(conn, g, nxt is not None or rng.random() < 0.5)
                else:
                    self.bdat_chunks(g, m)
                    nxt = self.msgs[i + 1] if i + 1 < len(self.msgs) else None
                    if not (nxt and nxt["mode"] == "bdat-pipe" and not nxt["noop_before"]
                            and m["train"] < m.get("train_max", 3) - 1
                            and (m.get("train_max") or rng.random() < 0.5)):
                        g = self.maybe_flush(conn, g, nxt is not None or rng.random() < 0.5)
                    elif nxt:
                        nxt["train"] = m["train"] + 1
            g.add(("%s\r\n" % self.v("QUIT")).encode(), ({221}, None, "QUIT"))
            self.flush(conn, g)
        except (OSError, SmtpError, ssl.SSLError) as e:
            why = "%s: %s" % (type(e).__name__, e)
            for m in self.msgs:
                self.record(m, "failed", why)
        finally:
            if conn and getattr(self.args, "hold_until", None):
                HELD.append(conn)  # closed at the end: the inspector's flow stays to be read
            elif conn:
                conn.close()
        for m in self.msgs:
            self.record(m, "failed", "never answered")

    def maybe_flush(self, conn, g, now):
        if now and g.data:
            self.flush(conn, g)
            return Group()
        return g

    def split_group(self, g):
        """one Group per expected reply (for the one-at-a-time forms)"""
        # the commands are added one reply each; cut the bytes at the ends
        # recorded by re-adding them: simplest is to parse the lines back
        out, data, pos = [], bytes(g.data), 0
        for exp in g.expect:
            if exp[2] in ("MAIL", "RCPT", "RCPT refused"):
                e = data.index(b"\r\n", pos) + 2
            else:
                # BDAT n [LAST]\r\n + n bytes
                e0 = data.index(b"\r\n", pos) + 2
                n = int(data[pos:e0].split()[1])
                e = e0 + n
            item = Group()
            item.add(data[pos:e], exp, awkward=[p - pos for p in g.awkward if pos < p < e])
            out.append(item)
            pos = e
        return out


def internal(domain):
    d = domain.lower().rstrip(".")
    return d == "corp.example" or d.endswith(".corp.example")


def outside_claims_internal(msg, env, helo):
    """what the outside source must never say (smtpguard blocks it, rightly):
    an internal domain as MAIL FROM, EHLO name or in the From: header"""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    m = re.search(r"(?im)^from:(.*(?:\r\n[ \t].*)*)", head)
    doms = re.findall(r"@([A-Za-z0-9.-]+)", m.group(1)) if m else []
    return [d for d in doms + [env.rpartition("@")[2], helo.strip("[]")] if d and internal(d)]


def plan(args):
    """the messages and sessions, all drawn from the seed"""
    rng = random.Random(args.seed)
    base = datetime.datetime(2026, 11, 23, 8, 0, 0, tzinfo=datetime.timezone.utc)
    sessions, n, sid = [], 0, 0
    while n < args.count:
        k = rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10])
        k = min(k, args.count - n)
        tls = rng.random() < args.tls_share
        if args.source == "outside":
            helo = rng.choice(OUT_HELOS)
            if rng.random() < 0.05:
                helo = "[%s]" % args.client_addr if ":" not in args.client_addr \
                    else "[IPv6:%s]" % args.client_addr
        else:
            helo = rng.choice(PARTNER_HELOS)
        lower = rng.random() < 0.08
        space = rng.random() < 0.05
        msgs = []
        for _ in range(k):
            mid = "%s-%04d" % (args.id_prefix, n)
            n += 1
            if args.source == "outside":
                r = rng.random()
                env = "" if r < 0.04 else (
                    "bounces+%x@mail.example.net" % rng.getrandbits(32) if r < 0.3 else
                    "%s@%s" % (rng.choice(["alice", "billing", "noreply", "j.doe"]), rng.choice(OUT_DOMAINS)))
            else:
                env = rng.choice(["relay@corp.example", "svc@hr.corp.example", "gw@partner.example",
                                  "ceo@corp.example"])
            nr = rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
            rcpts = []
            while len(rcpts) < nr:
                r = "%s@%s" % (rng.choice(CORP_USERS), rng.choice(RCPT_DOMAINS))
                if r not in rcpts:
                    rcpts.append(r)
            refused = []
            if args.source == "outside" and rng.random() < 0.03:
                refused = ["someone@elsewhere.example"]
            when = base + datetime.timedelta(seconds=n * 7 + args.seed % 1000)
            mrng = random.Random("%d/%s" % (args.seed, mid))
            msg, feat, hdr_from = make_message(mrng, mid, args.source, env, rcpts, when)
            if args.source == "outside" and outside_claims_internal(msg, env, helo):
                sys.exit("mixmail: bug: %s from the outside claims %s" % (
                    mid, outside_claims_internal(msg, env, helo)))
            mode = rng.choice(["data", "data-pipe", "data-pipe", "bdat", "bdat-pipe", "bdat-pipe"])
            msgs.append({
                "id": mid, "session": "%s/s%03d" % (args.id_prefix, sid), "source": args.source,
                "family": 6 if ":" in args.server else 4, "helo": helo, "tls": tls,
                "env_from": env, "header_from": hdr_from, "rcpts": rcpts, "rcpts_refused": refused,
                "mode": mode, "chained": False, "train": 0, "chunks": [],
                "rset_before": rng.random() < 0.1, "noop_before": rng.random() < 0.05,
                "lower_verbs": lower, "space_after_colon": space,
                "dsn": rng.choice(["FAILURE,DELAY", "FAILURE", "NEVER"]) if rng.random() < 0.12 else "",
                "features": feat, "sha256": hashlib.sha256(msg).hexdigest(), "len": len(msg),
                "bytes": msg})
        sessions.append(msgs)
        sid += 1
    return sessions


EDGE_CASES = {
    "epilogue-8": "DATA, a multipart/mixed message whose epilogue (after the closing "
                  "boundary) ends with a line of 8 bytes",
    "bdat-train-6": "six whole messages (MAIL, RCPT, BDAT n LAST each) and QUIT pipelined in "
                    "one write (RFC 2920, RFC 3030)",
}


def edge_plan(args):
    """one session of fixed messages: the smallest form of a problem seen"""
    when = datetime.datetime(2026, 11, 23, 9, 0, 0, tzinfo=datetime.timezone.utc)
    msgs = []

    def add(mid, body_headers, body, mode, **kw):
        msg = ("From: Alice Example <alice@example.net>\r\nTo: bob@corp.example\r\n"
               "Subject: edge case %s\r\nDate: %s\r\nMessage-ID: <%s@example.net>\r\n"
               "X-Mix-Id: %s\r\n" % (args.case, email.utils.format_datetime(when), mid, mid)
               ).encode() + body_headers + CRLF + body
        m = {"id": mid, "session": "%s/s000" % args.id_prefix, "source": "outside",
             "family": 6 if ":" in args.server else 4, "helo": "mail.example.net", "tls": False,
             "env_from": "alice@example.net", "header_from": "alice@example.net",
             "rcpts": ["bob@corp.example"], "rcpts_refused": [], "mode": mode, "chained": False,
             "train": 0, "chunks": [], "rset_before": False, "noop_before": False, "dsn": "",
             "features": {"edge_" + args.case: 1, "bytes": len(msg)},
             "sha256": hashlib.sha256(msg).hexdigest(), "len": len(msg), "bytes": msg}
        m.update(kw)
        msgs.append(m)
    if args.case == "epilogue-8":
        add("%s-0000" % args.id_prefix,
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n',
            b"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\nBye all.\r\n", "data-pipe")
    elif args.case == "bdat-train-6":
        for i in range(6):
            add("%s-%04d" % (args.id_prefix, i), b"", b"message %d of a train\r\n" % i, "bdat-pipe",
                fixed_cuts=[], train_max=6)
    return [msgs]


def cmd_send(args):
    if args.client_addr is None:
        args.client_addr = "2001:db8::1" if ":" in args.server else "192.0.2.1"
    sessions = edge_plan(args) if args.cmd == "edge" else plan(args)
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)
        for s in sessions:
            for m in s:
                with open(os.path.join(args.save_dir, m["id"] + ".eml"), "wb") as f:
                    f.write(m["bytes"])
    t0 = time.monotonic()
    bad = 0
    with open(args.manifest, "w") as mf:
        for sid, msgs in enumerate(sessions):
            if args.only_sessions and sid not in args.only_sessions:
                continue
            # each session's own generator: one session can be sent alone, the same
            rng = random.Random("%d/session/%d" % (args.seed, sid))
            if args.deadline and time.monotonic() - t0 > args.deadline:
                s = Session(args, rng, sid, msgs, mf, args.save_dir)
                for m in msgs:
                    s.record(m, "failed", "deadline: not sent")
                continue
            s = Session(args, rng, sid, msgs, mf, args.save_dir)
            s.run()
    if getattr(args, "hold_until", None):
        # every session's end is answered (221) but our side is still open, so
        # an inspector keeps each flow's counters; close when told (or at most
        # --hold-max seconds later)
        if args.done_file:
            open(args.done_file, "w").close()
        end = time.monotonic() + args.hold_max
        while not os.path.exists(args.hold_until) and time.monotonic() < end:
            time.sleep(0.1)
        for c in HELD:
            c.close()
    n = 0
    with open(args.manifest) as mf:
        for line in mf:
            n += 1
            if json.loads(line)["status"] != "accepted":
                bad += 1
    print(json.dumps({"prefix": args.id_prefix, "messages": n, "sessions": len(sessions),
                      "failed": bad, "seconds": round(time.monotonic() - t0, 1)}))
    return 1 if bad else 0


# ---------------------------------------------------------------- verify

def load_manifests(paths):
    recs = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    recs[r["id"]] = r
    return recs


def first_difference(want, got):
    i = 0
    n = min(len(want), len(got))
    while i < n and want[i] == got[i]:
        i += 1
    line = want.count(b"\n", 0, i) + 1
    ws = want.rfind(b"\n", 0, i) + 1
    we, ge = want.find(b"\n", i), got.find(b"\n", i)
    return ("at byte %d (line %d): sent %r, delivered %r (lengths %d, %d)"
            % (i, line, want[ws:we if we >= 0 else None][:200], got[ws:ge if ge >= 0 else None][:200],
               len(want), len(got)))


def cmd_verify(args):
    recs = load_manifests(args.manifest)
    relay = args.relay_name
    seen = {}       # id -> list of delivered recipients
    files = 0
    bad_files = []
    differ = []
    # what virtual(8) and smtpd prepend, exactly (Postfix 3.7): the Received
    # header names the recipient only when the message had one
    hdr_rx = re.compile(
        rb"Return-Path: <(?P<rp>[^>\n]*)>\n"
        rb"X-Original-To: (?P<ot>[^\n]+)\n"
        rb"Delivered-To: (?P<dt>[^\n]+)\n"
        rb"Received: from (?P<helo>\S+) \(unknown \[(?P<ip>[^\]\n]+)\]\)\n"
        rb"\tby " + re.escape(relay.encode()) + rb" \(Postfix\) with (?P<proto>[A-Z0-9]+) id (?P<qid>[0-9A-Za-z]+)"
        rb"(?:\n\tfor <(?P<for>[^>\n]+)>; |;\n\t)"
        rb"(?P<date>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [ 0-9]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \([A-Z]+\))\n")
    for sub in ("new", "cur"):
        d = os.path.join(args.maildir, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            files += 1
            data = open(os.path.join(d, name), "rb").read()
            mo = hdr_rx.match(data)
            if not mo:
                bad_files.append("%s/%s: does not start with Postfix's three headers: %r"
                                 % (sub, name, data[:300]))
                continue
            rest = data[mo.end():]
            hb = rest.split(b"\n\n", 1)[0]
            idm = re.search(rb"(?m)^X-Mix-Id: (\S+)$", hb)
            if not idm:
                bad_files.append("%s/%s: no X-Mix-Id header: %r" % (sub, name, rest[:200]))
                continue
            mid = idm.group(1).decode()
            r = recs.get(mid)
            if r is None:
                bad_files.append("%s/%s: id %s is in no manifest" % (sub, name, mid))
                continue
            seen.setdefault(mid, []).append(mo.group("dt").decode())
            probs = []
            if mo.group("ot") != mo.group("dt"):
                probs.append("X-Original-To %s, Delivered-To %s" % (mo.group("ot").decode(), mo.group("dt").decode()))
            if mo.group("rp").decode() != r["env_from"]:
                probs.append("Return-Path <%s>, sent MAIL FROM <%s>" % (mo.group("rp").decode(), r["env_from"]))
            if mo.group("helo").decode() != r["helo"]:
                probs.append("Received from %s, EHLO was %s" % (mo.group("helo").decode(), r["helo"]))
            ip = mo.group("ip").decode()
            if ip.startswith("IPv6:"):
                ip = ip[5:]
            if ip != r.get("client_ip"):
                probs.append("Received client [%s], sent from %s" % (ip, r.get("client_ip")))
            # RFC 6531 names: UTF8SMTP(S) for a SMTPUTF8 transaction
            want_proto = ("UTF8SMTP" if r["features"].get("utf8_headers") else "ESMTP") + \
                ("S" if r["tls"] else "")
            if mo.group("proto").decode() != want_proto:
                probs.append("Received with %s, want %s" % (mo.group("proto").decode(), want_proto))
            if r.get("qid") and mo.group("qid").decode() != r["qid"]:
                probs.append("queue id %s, the relay said %s" % (mo.group("qid").decode(), r["qid"]))
            nr = len(r["rcpts"])
            if (mo.group("for") is not None) != (nr == 1) or \
                    (nr == 1 and mo.group("for").decode() != r["rcpts"][0]):
                probs.append("Received 'for' clause %r with %d recipients" % (mo.group("for"), nr))
            want = None
            if args.save_dir and os.path.exists(os.path.join(args.save_dir, mid + ".eml")):
                want = open(os.path.join(args.save_dir, mid + ".eml"), "rb").read()
                if hashlib.sha256(want).hexdigest() != r["sha256"]:
                    probs.append("saved copy differs from the manifest's sha256")
                want = want.replace(b"\r\n", b"\n")
            got_sum = hashlib.sha256(rest.replace(b"\n", b"\r\n")).hexdigest()
            if got_sum != r["sha256"] or (want is not None and rest != want):
                probs.append("content differs: " + (first_difference(want, rest) if want is not None
                                                    else "sha256 %s, sent %s" % (got_sum, r["sha256"])))
            if probs:
                differ.append("%s (%s/%s, to %s): %s" % (mid, sub, name, mo.group("dt").decode(),
                                                          "; ".join(probs)))
    missing, dup, unexpected, not_acc = [], [], [], []
    for mid, r in sorted(recs.items()):
        got = seen.get(mid, [])
        if r["status"] != "accepted":
            not_acc.append("%s: %s" % (mid, r.get("reason")))
            if got:
                unexpected.append("%s: not accepted, yet delivered to %s" % (mid, got))
            continue
        want = sorted(r["rcpts"])
        if sorted(set(got)) != want:
            missing.append("%s: delivered to %s, sent to %s" % (mid, sorted(got), want))
        elif len(got) != len(set(got)):
            dup.append("%s: %s" % (mid, sorted(got)))
    accepted = sum(1 for r in recs.values() if r["status"] == "accepted")
    summary = {"messages": len(recs), "accepted": accepted, "files": files,
               "expected_files": sum(len(r["rcpts"]) for r in recs.values() if r["status"] == "accepted"),
               "identical": sum(1 for mid in seen) - len(set(d.split(" ", 1)[0] for d in differ)),
               "not_accepted": len(not_acc), "missing": len(missing), "duplicates": len(dup),
               "unexpected": len(unexpected) + len(bad_files), "different": len(differ)}
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f)
    print(json.dumps(summary))
    ok = True
    for title, lst in (("not accepted by the relay", not_acc), ("missing or wrong recipients", missing),
                       ("delivered more than once", dup), ("unexpected", unexpected),
                       ("unrecognised files", bad_files), ("different", differ)):
        if lst:
            ok = False
            print("mixmail verify: %d %s:" % (len(lst), title), file=sys.stderr)
            for x in lst[:args.show]:
                print("  " + x, file=sys.stderr)
            if len(lst) > args.show:
                print("  ... and %d more" % (len(lst) - args.show), file=sys.stderr)
    return 0 if ok else 1


def cmd_stats(args):
    recs = load_manifests(args.manifest)
    c = {}

    def inc(k, n=1):
        c[k] = c.get(k, 0) + n
    sessions = {}
    for r in recs.values():
        inc("messages")
        inc("status_" + r["status"])
        inc("mode_" + r["mode"])
        inc("source_%s_v%d" % (r["source"], r["family"]))
        if r["tls"]:
            inc("tls_messages")
        else:
            inc("plain_messages")
            inc("plain_rcpt_commands", len(r["rcpts"]) + len(r["rcpts_refused"]))
            inc("plain_rcpts_refused", len(r["rcpts_refused"]))
            if r["mode"].startswith("bdat"):
                inc("plain_bdat_commands", len(r["chunks"]))
            if r["status"] == "accepted":
                inc("plain_accepted")
                inc("plain_accepted_rcpt_commands", len(r["rcpts"]) + len(r["rcpts_refused"]))
                inc("plain_accepted_rcpts_refused", len(r["rcpts_refused"]))
                if r["mode"].startswith("bdat"):
                    inc("plain_accepted_bdat_commands", len(r["chunks"]))
        if r["chained"]:
            inc("pipelined_after_previous_end")
        if r["mode"].startswith("bdat"):
            inc("bdat_chunks", len(r["chunks"]))
            if r["chunks"] and r["chunks"][-1] == 0:
                inc("bdat_0_last")
            if len([x for x in r["chunks"] if x]) > 1:
                inc("bdat_multi_chunk")
            if r.get("train"):
                inc("bdat_train_followers")
        if r["env_from"] == "":
            inc("null_sender")
        if r["rcpts_refused"]:
            inc("with_refused_rcpt")
        if r["helo"].startswith("["):
            inc("helo_address_literal")
        if r.get("lower_verbs"):
            inc("lower_case_verbs")
        if r.get("space_after_colon"):
            inc("space_after_colon")
        if r.get("dsn"):
            inc("dsn_parameters")
        inc("recipients", len(r["rcpts"]))
        if r["status"] == "accepted":
            inc("accepted_recipients", len(r["rcpts"]))
        if len(r["rcpts"]) > 1:
            inc("multi_rcpt")
        inc("bytes", r["len"])
        if r["len"] > 1000000:
            inc("over_1MB")
        if r["len"] < 300:
            inc("under_300B")
        for k, v in r["features"].items():
            if k in ("bytes", "attachment_bytes"):
                continue
            inc("with_" + k)
        sessions.setdefault(r["session"], r)
    c["sessions"] = len(sessions)
    c["tls_sessions"] = sum(1 for r in sessions.values() if r["tls"])
    c["plain_sessions"] = c["sessions"] - c["tls_sessions"]
    per = {}
    for r in recs.values():
        per[r["session"]] = per.get(r["session"], 0) + 1
    c["sessions_with_2_to_10_messages"] = sum(1 for v in per.values() if 2 <= v <= 10)
    print(json.dumps(c, sort_keys=True))
    return 0


def cmd_explain(args):
    """each alert event, and each session with a message not accepted, with
    what was in flight: the session's first message the relay did not take"""
    recs = load_manifests(args.manifest)
    sess = {}
    for r in sorted(recs.values(), key=lambda r: r["id"]):
        sess.setdefault(r["session"], []).append(r)
    by_flow = {}
    for sid, rs in sess.items():
        if rs[0].get("client_port"):
            by_flow[(rs[0]["client_ip"], rs[0]["client_port"])] = sid
    flows = {}
    if args.flows and os.path.exists(args.flows):
        try:
            for f in json.load(open(args.flows)):
                flows[(f.get("src_ip"), f.get("src_port"))] = f
        except ValueError:
            pass
    events = {}
    if args.events and os.path.exists(args.events):
        for line in open(args.events, errors="replace"):
            try:
                e = json.loads(line)
            except ValueError:
                print("not JSON: " + line.strip()[:200])
                continue
            events.setdefault((e.get("src_ip"), e.get("src_port")), []).append(e)

    def in_flight(sid):
        rs = sess[sid]
        bad = [r for r in rs if r["status"] != "accepted"]
        r = bad[0] if bad else rs[-1]
        return "%s %s (%s, %d bytes, %d recipients%s%s)" % (
            "in flight:" if bad else "last message:", r["id"], r["mode"], r["len"], len(r["rcpts"]),
            ", chunks %s" % r["chunks"][:12] if r["chunks"] else "",
            ", " + ",".join(sorted(k for k in r["features"] if k not in ("bytes", "attachment_bytes"))))
    shown = set()
    for key, evs in sorted(events.items(), key=lambda kv: str(kv[0])):
        sid = by_flow.get(key)
        shown.add(sid)
        rs = sess.get(sid, [{}])
        print("flow %s port %s: session %s (%s, %s, EHLO %s, %d messages, %d not accepted)" % (
            key[0], key[1], sid, rs[0].get("source"), "TLS" if rs[0].get("tls") else "plain",
            rs[0].get("helo"), len(rs), sum(1 for r in rs if r.get("status") != "accepted")))
        if sid:
            print("  " + in_flight(sid))
        for e in evs:
            a = e.get("alert") or {}
            md = a.get("metadata") or {}
            print("  event: action=%s reason=%s where=%s value=%s" % (
                a.get("action"), md.get("reason"), md.get("where"), md.get("value")))
        f = flows.get(key)
        if f:
            print("  flow: phase=%s flags=%s packets=%s messages=%s accepted=%s" % (
                f.get("phase"), f.get("flags"), f.get("packets"), f.get("messages"),
                f.get("messages_accepted")))
    for sid, rs in sorted(sess.items()):
        if sid in shown or all(r["status"] == "accepted" for r in rs):
            continue
        r0 = rs[0]
        print("session %s (%s %s port %s, %s): no event; %s; reason: %s" % (
            sid, r0.get("source"), r0.get("client_ip"), r0.get("client_port"),
            "TLS" if r0.get("tls") else "plain", in_flight(sid),
            next(r["reason"] for r in rs if r["status"] != "accepted")))
    return 0


def cmd_flowcheck(args):
    """each session against smtpguard's flow entry for it (flows --json taken
    while the sessions were held open): what it counted is what was sent"""
    recs = load_manifests(args.manifest)
    sess = {}
    for r in sorted(recs.values(), key=lambda r: r["id"]):
        sess.setdefault(r["session"], []).append(r)
    flows = {}
    for f in json.load(open(args.flows)):
        flows[(f.get("src_ip"), f.get("src_port"))] = f
    # sessions whose one alert is the notice of an unverified (honest)
    # retransmission (--notices: the events of the run): allowed one alert
    noticed = set()
    if args.notices:
        for line in open(args.notices, errors="replace"):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            md = (ev.get("alert") or {}).get("metadata") or {}
            if any("too long to compare" in v for v in md.get("value", [])):
                noticed.add((ev.get("src_ip"), ev.get("src_port")))
    bad, checked = [], 0
    for sid, rs in sorted(sess.items()):
        r0 = rs[0]
        if not r0.get("client_port"):
            continue
        if any(r["status"] != "accepted" for r in rs):
            continue  # cut off: reported elsewhere
        f = flows.get((r0["client_ip"], r0["client_port"]))
        if f is None:
            bad.append("%s (port %s): no flow entry" % (sid, r0["client_port"]))
            continue
        checked += 1
        if r0["tls"]:
            want = {"messages": 0, "messages_accepted": 0, "recipients": 0, "alerts": 0}
            phases = ("tls", "closed")
        else:
            want = {"messages": len(rs), "messages_accepted": len(rs),
                    "recipients": sum(len(r["rcpts"]) + len(r["rcpts_refused"]) for r in rs),
                    "recipients_refused": sum(len(r["rcpts_refused"]) for r in rs),
                    "messages_refused": 0, "alerts": 0}
            phases = ("command", "closed")
        if (r0["client_ip"], r0["client_port"]) in noticed and f.get("alerts") == 1:
            want["alerts"] = 1
            if f.get("flags") == "alerted":
                f = dict(f, flags="-")
        diffs = ["%s %s (sent: %s)" % (k, f.get(k), v) for k, v in want.items() if f.get(k) != v]
        if f.get("flags") != "-":
            diffs.append("flags %s" % f.get("flags"))
        if f.get("phase") not in phases:
            diffs.append("phase %s" % f.get("phase"))
        if diffs:
            bad.append("%s (%s, port %s, %s): %s; modes %s" % (
                sid, r0["source"], r0["client_port"], "TLS" if r0["tls"] else "plain",
                ", ".join(diffs), ",".join(r["mode"] for r in rs)))
    print(json.dumps({"sessions_checked": checked, "mismatches": len(bad)}))
    for b in bad[:args.show]:
        print("  " + b, file=sys.stderr)
    if len(bad) > args.show:
        print("  ... and %d more" % (len(bad) - args.show), file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--server", required=True)
    s.add_argument("--port", type=int, default=25)
    s.add_argument("--source", choices=["outside", "partner"], required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--id-prefix", required=True)
    s.add_argument("--manifest", required=True)
    s.add_argument("--save-dir")
    s.add_argument("--tls-share", type=float, default=0.2)
    s.add_argument("--timeout", type=float, default=20)
    s.add_argument("--deadline", type=float, default=0)
    s.add_argument("--only-sessions", type=lambda v: [int(x) for x in v.split(",")],
                   help="send only these sessions (numbers, comma-separated): a failure found alone")
    s.add_argument("--trace", type=lambda p: open(p, "w", buffering=1),
                   help="write every write (C:) and reply line (S:) to this file")
    s.add_argument("--hold-until", metavar="FILE",
                   help="keep every connection open after QUIT until FILE exists (--hold-max)")
    s.add_argument("--hold-max", type=float, default=60)
    s.add_argument("--done-file", metavar="FILE", help="made when every session has been sent")
    s.add_argument("--client-addr", help="this host's address (for EHLO address literals)")
    e = sub.add_parser("edge", help="one fixed session: " + "; ".join(
        "%s: %s" % kv for kv in EDGE_CASES.items()))
    e.add_argument("--case", choices=sorted(EDGE_CASES), required=True)
    e.add_argument("--server", required=True)
    e.add_argument("--port", type=int, default=25)
    e.add_argument("--id-prefix", required=True)
    e.add_argument("--manifest", required=True)
    e.add_argument("--save-dir")
    e.add_argument("--timeout", type=float, default=10)
    e.add_argument("--trace", type=lambda p: open(p, "w", buffering=1))
    e.set_defaults(seed=0, deadline=0, only_sessions=None, client_addr="", source="outside",
                   count=0, tls_share=0)
    v = sub.add_parser("verify")
    v.add_argument("--maildir", required=True)
    v.add_argument("--save-dir")
    v.add_argument("--relay-name", default="relay.corp.example")
    v.add_argument("--summary")
    v.add_argument("--show", type=int, default=10)
    v.add_argument("manifest", nargs="+")
    st = sub.add_parser("stats")
    st.add_argument("manifest", nargs="+")
    x = sub.add_parser("explain")
    x.add_argument("--events", help="smtpguard events output (eve JSON lines)")
    x.add_argument("--flows", help="smtpguard flows --json output")
    x.add_argument("manifest", nargs="+")
    fc = sub.add_parser("flowcheck")
    fc.add_argument("--flows", required=True, help="smtpguard flows --json, sessions held open")
    fc.add_argument("--show", type=int, default=10)
    fc.add_argument("--notices", help="the run's events: a session whose one alert is an "
                    "unverified retransmission's notice may have it")
    fc.add_argument("manifest", nargs="+")
    args = ap.parse_args()
    if args.cmd == "flowcheck":
        sys.exit(cmd_flowcheck(args))
    if args.cmd == "explain":
        sys.exit(cmd_explain(args))
    if args.cmd in ("send", "edge"):
        sys.exit(cmd_send(args))
    if args.cmd == "verify":
        sys.exit(cmd_verify(args))
    sys.exit(cmd_stats(args))


if __name__ == "__main__":
    main()
