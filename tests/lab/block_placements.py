#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""block_placements.py - the raw sessions of test_block_placements.sh.

  block_placements.py DIR FIRST_PORT [main|alert|unread|unread-sa]

Writes DIR/PORT.json, a tests/tools/rawsmtp.py script, for every case, one
session from client port PORT each, and prints the manifest on stdout, one
session a line, tab-separated:

  port  family (4|6)  verdict (block|pass|alert)  reason  where
  delivered tags (comma-joined, "-" for none)  blocked tags (same)  name

A case is a placement of the bytes (which segment holds the offending token,
which the end of data) written once with a `bad` switch: bad=True puts in a
forged internal sender (ceo@corp.example, in MAIL FROM or the From: header)
or a link to the bad host redir.badcdn.test, bad=False a legitimate one
(alice@outside.test, www.example.net) in the same place. The bad sessions
must be blocked; the legitimate ones (the controls) delivered. With "alert"
it lists a few bad sessions only, scripted to be answered (verdict alert):
under a policy that only alerts they must be delivered, which shows the
checks that find a blocked message missing would see it there. "unread-sa"
lists group 8, the placements smtpguard does not read as they come (past
the tail-call budget of one segment, ahead of a gap), verdict block, with
the alert they raise when stream_anomaly blocks (as it does by default
once a rule blocks); "unread" the same with the reason of their token.

Every message carries "X-Case: TAG", TAG being bp<port> (bp<port>a and
bp<port>b for the two messages of a session). A blocked session is never
told (its segments after the block are dropped): its script sends on
without waiting (nowait, sleep) and ends with a short expect for the 250 it
will not get, so rawsmtp.py says "ok": false quickly. A control waits for
every reply and closes with QUIT.
"""
import base64
import json
import sys

EHLO = [{"expect": "220"}, {"send": "EHLO raw.outside.test\r\n"}, {"expect": "250"}]
RCPT = "RCPT TO:<bob@corp.example>\r\n"
MAIL = {True: "MAIL FROM:<ceo@corp.example>\r\n", False: "MAIL FROM:<alice@outside.test>\r\n"}
GOOD_MAIL = MAIL[False]
# the From: header with a display name and angle brackets, and the bare
# address form (its end is only known at the next line's first byte: a
# folded continuation could go on with the domain)
FROM = {True: "From: CEO <ceo@corp.example>\r\n", False: "From: Alice <alice@outside.test>\r\n"}
BARE = {True: "From: ceo@corp.example\r\n", False: "From: alice@outside.test\r\n"}
URL = {True: "http://redir.badcdn.test/login", False: "http://www.example.net/login"}
LINK_REASON = ("bad_redirect_host", "body")
HDR_REASON = ("spoofed_internal_domain", "header_from")
ENV_REASON = ("spoofed_internal_domain", "mail_from")
MISS = 0.8  # how long a blocked session waits for the reply that never comes


def head(tag, frm):
    return "X-Case: %s\r\n%sSubject: block placements\r\n\r\n" % (tag, frm)


def b64_head(tag):
    return ("X-Case: %s\r\n%sSubject: block placements\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" % (tag, FROM[False]))


def seg(text, **kw):
    return dict({"send": text, "nowait": True}, **kw)


def data_session(tag, bad, segments, mail=None):
    """EHLO, MAIL, RCPT, DATA and 354 waited for, then SEGMENTS (strings, or
    steps such as a sleep), then the 250 for the end of data."""
    s = list(EHLO) + [{"send": mail or GOOD_MAIL}, {"expect": "250"}, {"send": RCPT},
                      {"expect": "250"}, {"send": "DATA\r\n"}, {"expect": "354"}]
    s += [seg(x) if isinstance(x, str) else x for x in segments]
    return s + tail(bad)


BLOCKING = True  # False: the policy only alerts, every session is answered


def waits(bad):
    """Whether the session gets its replies: a legitimate one, or any under
    a policy that only alerts."""
    return not bad or not BLOCKING


def tail(bad):
    if not waits(bad):
        return [{"expect": "250", "timeout": MISS}]
    return [{"expect": "250"}, {"close": True}]


def bdat(chunk, last=True):
    return "BDAT %d%s\r\n%s" % (len(chunk.encode("latin-1")), " LAST" if last else "", chunk)


CASES = []


def case(name, reason, control=True, families=(4,), group="main", sa_reason=None):
    """Register BUILD(tag, bad) -> steps as a blocked case (and its legitimate
    control unless control=False) for each address family, in GROUP; with
    SA_REASON, the alert it must raise when stream_anomaly is blocked too."""
    def reg(build):
        for fam in families:
            for bad in (True, False) if control else (True,):
                CASES.append({"name": name, "reason": reason, "bad": bad, "fam": fam,
                              "build": build, "group": group, "sa_reason": sa_reason or reason})
        return build
    return reg


# 1. the offending token and the end of data in the same segment
@case("1a forged From: and the end of data in one segment", HDR_REASON, families=(4, 6))
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello\r\n.\r\n"])


@case("1b bad link and the end of data in one segment", LINK_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[False]) + "see " + URL[bad] + " now\r\n.\r\n"])


@case("1c forged From: split, its second half with the end of data", HDR_REASON)
def _(tag, bad):
    h = head(tag, FROM[bad]) + "hello\r\n.\r\n"
    cut = h.index(">\r\n") - 3
    return data_session(tag, bad, [h[:cut], h[cut:]])


@case("1d bad link as the last line, with the end of data", LINK_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[False]) + "see ", URL[bad] + "\r\n.\r\n"])


@case("1e bare From: as the last header line, no body, with the end of data", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, ["X-Case: %s\r\nSubject: block placements\r\n%s.\r\n"
                                   % (tag, BARE[bad])])


@case("1f bad link at the end of a 1400-byte segment that ends the data", LINK_REASON)
def _(tag, bad):
    h = head(tag, FROM[False])
    filler = "lorem ipsum dolor sit amet " * 60
    text = h + filler[:1400 - len(h) - len(URL[bad]) - 11] + "\r\nsee " + URL[bad] + "\r\n.\r\n"
    return data_session(tag, bad, [text])


@case("1g base64 text whose decoded end is the bad host, with the end of data", LINK_REASON)
def _(tag, bad):
    body = base64.b64encode(("see " + URL[bad].rsplit("/", 1)[0]).encode()).decode()
    return data_session(tag, bad, [b64_head(tag) + body + "\r\n.\r\n"])


# 2. the token in one segment, the end of data in a later one
@case("2a forged From: in one segment, the end of data in the next", HDR_REASON, control=False)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello\r\n", ".\r\n"])


@case("2b bad link, more body, then the end of data: three segments", LINK_REASON, control=False)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[False]) + "see " + URL[bad] + "\r\n",
                                   "more text\r\n", ".\r\n"])


@case("2c forged From: split in its domain, the end of data later", HDR_REASON)
def _(tag, bad):
    h = head(tag, FROM[bad]) + "hello\r\n"
    cut = h.index(".example>" if bad else ".test>") + 1
    return data_session(tag, bad, [h[:cut], h[cut:], ".\r\n"])


@case("2d forged From:, a 1 s pause, then the end of data", HDR_REASON, control=False)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello\r\n", {"sleep": 1}, ".\r\n"])


@case("2e quoted-printable soft line break inside the bad host, split there", LINK_REASON)
def _(tag, bad):
    h = "X-Case: %s\r\n%sSubject: block placements\r\nMIME-Version: 1.0\r\n" \
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" \
        % (tag, FROM[False])
    url = URL[bad]
    cut = url.index(".") + 3
    return data_session(tag, bad, [h + "see " + url[:cut] + "=\r\n", url[cut:] + "\r\n", ".\r\n"])


# 3. the end of data split across segments, the token earlier
@case("3a end of data split as CRLF. | CRLF", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello", "\r\n.", "\r\n"])


@case("3b end of data split as CR | LF.CRLF", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello\r", "\n.\r\n"])


@case("3c end of data split as CRLF.CR | LF", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello", "\r\n.\r", "\n"])


@case("3d end of data one byte a segment", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[bad]) + "hello", "\r", "\n", ".", "\r", "\n"])


@case("3e bad link ended by the first half of a split end of data", LINK_REASON)
def _(tag, bad):
    return data_session(tag, bad, [head(tag, FROM[False]) + "see " + URL[bad], "\r\n.", "\r\n"])


@case("3f bare From: last header, ended by the dot of a split end of data", HDR_REASON)
def _(tag, bad):
    return data_session(tag, bad, ["X-Case: %s\r\nSubject: block placements\r\n%s" % (tag, BARE[bad]),
                                   ".", "\r\n"])


# 4. pipelining (Postfix advertises PIPELINING)
def pipelined(tag, bad, wait, envelope_bad, msg):
    mail = MAIL[bad and envelope_bad]
    s = list(EHLO) + [seg(mail + RCPT + "DATA\r\n")] + ([{"sleep": 1}] if wait else [])
    s += [seg(msg)]
    if waits(bad):  # the replies, read after the fact (they come in order)
        s += [{"expect": "250"}, {"expect": "250"}, {"expect": "354"}]
    return s + tail(bad)


@case("4a forged MAIL FROM, RCPT, DATA in one segment; 1 s; the message", ENV_REASON)
def _(tag, bad):
    return pipelined(tag, bad, True, True, head(tag, FROM[False]) + "hello\r\n.\r\n")


@case("4b forged MAIL FROM, RCPT, DATA in one segment, the message at once", ENV_REASON)
def _(tag, bad):
    return pipelined(tag, bad, False, True, head(tag, FROM[False]) + "hello\r\n.\r\n")


def one_segment(tag, bad, mail, msg):
    return list(EHLO) + [seg(mail + RCPT + "DATA\r\n" + msg)] + (
        [{"expect": "250"}, {"expect": "250"}, {"expect": "354"}] if waits(bad) else []) + tail(bad)


@case("4c forged MAIL FROM: the whole transaction and the end of data in one segment", ENV_REASON)
def _(tag, bad):
    return one_segment(tag, bad, MAIL[bad], head(tag, FROM[False]) + "hello\r\n.\r\n")


@case("4d forged From: header: the whole transaction in one segment", HDR_REASON, control=False,
      families=(4, 6))
def _(tag, bad):
    return one_segment(tag, bad, GOOD_MAIL, head(tag, FROM[bad]) + "hello\r\n.\r\n")


@case("4e bad link: the whole transaction in one segment", LINK_REASON, control=False)
def _(tag, bad):
    return one_segment(tag, bad, GOOD_MAIL, head(tag, FROM[False]) + "see " + URL[bad] + "\r\n.\r\n")


# 5. BDAT (Postfix advertises CHUNKING)
def bdat_session(tag, bad, segments):
    s = list(EHLO) + [{"send": GOOD_MAIL}, {"expect": "250"}, {"send": RCPT}, {"expect": "250"}]
    for x in segments:
        if x == "250":
            s.append({"expect": "250"} if waits(bad) else {"sleep": 0.3})
        else:
            s.append(seg(x))
    return s + tail(bad)


@case("5a forged From: in a BDAT LAST chunk, command and chunk in one segment", HDR_REASON)
def _(tag, bad):
    return bdat_session(tag, bad, [bdat(head(tag, FROM[bad]) + "hello\r\n")])


@case("5b bad link in a non-last BDAT chunk, then a last chunk", LINK_REASON)
def _(tag, bad):
    return bdat_session(tag, bad, [bdat(head(tag, FROM[False]) + "see " + URL[bad] + "\r\n", last=False),
                                   "250", bdat("bye\r\n")])


@case("5c BDAT LAST alone, then its chunk in two segments split in the From: domain", HDR_REASON)
def _(tag, bad):
    chunk = head(tag, FROM[bad]) + "hello\r\n"
    cmd = bdat(chunk)[:-len(chunk)]
    cut = chunk.index(".example>" if bad else ".test>") + 1
    return bdat_session(tag, bad, [cmd, chunk[:cut], chunk[cut:]])


@case("5d BDAT LAST chunk that ends inside a bare From: header (no CRLF)", HDR_REASON)
def _(tag, bad):
    return bdat_session(tag, bad, [bdat("X-Case: %s\r\nSubject: block placements\r\n%s"
                                        % (tag, BARE[bad][:-2]))])


@case("5e BDAT LAST chunk that ends in the bad host (no CRLF)", LINK_REASON)
def _(tag, bad):
    return bdat_session(tag, bad, [bdat(head(tag, FROM[False]) + "see " + URL[bad].rsplit("/", 1)[0])])


@case("5f bad host split across a BDAT chunk and the LAST chunk", LINK_REASON)
def _(tag, bad):
    text = head(tag, FROM[False]) + "see " + URL[bad] + "\r\n"
    cut = text.index("://") + 9
    return bdat_session(tag, bad, [bdat(text[:cut], last=False), "250", bdat(text[cut:])])


@case("5g forged From: split across a BDAT chunk and the LAST chunk", HDR_REASON)
def _(tag, bad):
    text = head(tag, FROM[bad]) + "hello\r\n"
    cut = text.index(".example>" if bad else ".test>") + 1
    return bdat_session(tag, bad, [bdat(text[:cut], last=False), "250", bdat(text[cut:])])


# 6. a legitimate message, then a forged one in the same session
def two_messages(tag, bad, second):
    s = list(EHLO) + [{"send": GOOD_MAIL}, {"expect": "250"}, {"send": RCPT}, {"expect": "250"},
                      {"send": "DATA\r\n"}, {"expect": "354"},
                      seg(head(tag + "a", FROM[False]) + "first\r\n.\r\n"), {"expect": "250"}]
    return s + second + tail(bad)


@case("6a legit message, then a forged From: in the same session", HDR_REASON)
def _(tag, bad):
    return two_messages(tag, bad, [{"send": GOOD_MAIL}, {"expect": "250"}, {"send": RCPT},
                                   {"expect": "250"}, {"send": "DATA\r\n"}, {"expect": "354"},
                                   seg(head(tag + "b", FROM[bad]) + "second\r\n.\r\n")])


@case("6b legit message, then a forged MAIL FROM in the same session", ENV_REASON, control=False)
def _(tag, bad):
    return two_messages(tag, bad, [seg(MAIL[bad]), seg(RCPT), seg("DATA\r\n"),
                                   seg(head(tag + "b", FROM[False]) + "second\r\n.\r\n")])


@case("6c legit message, then a bad link in a BDAT LAST chunk in the same session", LINK_REASON,
      control=False)
def _(tag, bad):
    return two_messages(tag, bad, [{"send": GOOD_MAIL}, {"expect": "250"}, {"send": RCPT},
                                   {"expect": "250"},
                                   seg(bdat(head(tag + "b", FROM[False]) + URL[bad] + "\r\n"))])


# 8. placements smtpguard does not read in order, or not at all: the link
# or forged name is past the tail-call budget of one segment, or in a segment
# sent ahead of a gap. The message must not be delivered however the bytes
# fall; with `action stream_anomaly block` too, the budget's anomaly is
# blocked itself, and an out-of-order segment is dropped so that the
# sender's retransmission is read in order
SA_REASON = ("stream_anomaly", "stream")


@case("8a forged From: in 2-byte BDAT chunks, all in one segment", HDR_REASON, control=False,
      group="unread", sa_reason=SA_REASON)
def _(tag, bad):
    text = head(tag, FROM[bad]) + "hello\r\n"
    chunks = [text[i:i + 2] for i in range(0, len(text), 2)]
    one = "".join(bdat(c, last=i == len(chunks) - 1) for i, c in enumerate(chunks))
    s = list(EHLO) + [{"send": GOOD_MAIL}, {"expect": "250"}, {"send": RCPT}, {"expect": "250"},
                      seg(one)]
    if waits(bad):
        s += [{"expect": "250"}] * (len(chunks) - 1)
    return s + tail(bad)


@case("8b bad link after 18 quoted-printable parts, all in one segment", LINK_REASON, control=False,
      group="unread", sa_reason=SA_REASON)
def _(tag, bad):
    part = "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n"
    text = ("X-Case: %s\r\n%sSubject: block placements\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n" % (tag, FROM[False]) + part * 18 +
            "--b\r\nContent-Type: text/plain\r\n\r\nsee " + URL[bad] + "\r\n--b--\r\n.\r\n")
    return data_session(tag, bad, [text])


@case("8c forged From: completed in a segment sent ahead of the gap before it", HDR_REASON,
      control=False, group="unread")
def _(tag, bad):
    text = head(tag, FROM[bad]) + "hello\r\n.\r\n"
    cut = text.index(".example>" if bad else ".test>") + 1
    s = data_session(tag, bad, [])
    at = sum(len(x["send"]) for x in s if "send" in x)
    # the sender's TCP sends the gap's bytes again until they are ACKed
    return s[:-len(tail(bad))] + [seg(text[cut:], at=at + cut), seg(text[:cut], at=at),
                                  {"sync": True, "timeout": 1.5}] + tail(bad)


# under a policy that only alerts, these bad sessions must be delivered (and
# alerted, "allowed"): the checks that find a blocked message missing would
# find it there
ALERT_ONLY = ("1a ", "1b ", "4c ", "5a ")


def main():
    """GROUP: main (cases 1 to 7 and their controls), alert (a few bad
    sessions under a policy that only alerts), unread, unread-sa (group 8,
    under the block policy, and with stream_anomaly blocked too)."""
    global BLOCKING
    out, port = sys.argv[1], int(sys.argv[2])
    group = sys.argv[3] if len(sys.argv) > 3 else "main"
    BLOCKING = group != "alert"
    for c in CASES:
        name, (reason, where), bad, fam = c["name"], c["reason"], c["bad"], c["fam"]
        if group == "alert":
            if not (c["group"] == "main" and bad and fam == 4 and name.startswith(ALERT_ONLY)):
                continue
        elif c["group"] != group.replace("-sa", ""):
            continue
        if group == "unread-sa":
            reason, where = c["sa_reason"]
        tag = "bp%d" % port
        steps = c["build"](tag, bad)
        with open("%s/%d.json" % (out, port), "w") as f:
            json.dump(steps, f)
        if name.startswith("6"):
            dtags, btags = (tag + "a", tag + "b") if bad else (tag + "a," + tag + "b", "-")
        else:
            dtags, btags = ("-", tag) if bad else (tag, "-")
        label = name + ("" if bad else " (legitimate control)") + (" over IPv6" if fam == 6 else "")
        if group == "alert":
            verdict, dtags, btags, label = "alert", tag, "-", name + " (policy: alert only)"
        else:
            verdict = "block" if bad else "pass"
            if group == "unread-sa":
                label += " (stream_anomaly blocked too)"
        print("\t".join([str(port), str(fam), verdict, reason, where, dtags, btags, label]))
        port += 1


if __name__ == "__main__":
    main()
