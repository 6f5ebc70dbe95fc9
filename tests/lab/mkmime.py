#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkmime.py KIND FILE - writes a MIME message as mail clients build them
(Python's email package: the same quoted-printable and base64 encoders, line
lengths and boundaries), for the lab to send through Postfix.

KIND:
  qp-html      multipart/alternative: text/plain and text/html, both
               quoted-printable (utf-8); the bad link in the HTML is long
               enough that the encoder's soft line break falls inside it
  b64-html     the same, both parts base64
  pdf-first    multipart/mixed: a PDF (base64, with a bad link in its
               bytes: not read) first, then the text/html part
               (quoted-printable) with the bad link
  lookalike    quoted-printable HTML with lookalike hosts only
  forwarded    multipart/mixed with an attached message/rfc822 whose own
               From: is internal (not this message's) and whose body links
               to the bad host
"""
import sys
from email import policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

BAD = "redir.badcdn.test"


def text_part(subtype, body, cte):
    part = EmailMessage()
    part.set_content(body, subtype=subtype, charset="utf-8",
                     cte="quoted-printable" if cte == "qp" else "base64")
    return part


def html(host, pad):
    # pad shifts the link along its line so the QP encoder breaks inside it
    return ("<html><body><p>Dear customer \u2014 your invoice is ready.</p>\n"
            "<p>" + "x" * pad + " <a href=\"https://" + host + "/r/inv?id=8842&amp;lang=en\">"
            "View invoice</a> or visit <a href=\"https://www.good.test/\">our site</a>.</p>\n"
            "</body></html>\n")


def alternative(cte, host):
    alt = MIMEMultipart("alternative")
    alt.attach(text_part("plain", "Your invoice is ready. Open the HTML version.\n", cte))
    alt.attach(text_part("html", html(host, 40), cte))
    return alt


def headers(msg, frm="billing@outside.test"):
    msg["From"] = frm
    msg["To"] = "bob@corp.example"
    msg["Subject"] = "Invoice"
    return msg


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "qp-html":
        msg = headers(alternative("qp", BAD))
    elif kind == "b64-html":
        msg = headers(alternative("b64", BAD))
    elif kind == "lookalike":
        msg = headers(alternative("qp", BAD + ".good.test"))
    elif kind == "pdf-first":
        msg = headers(MIMEMultipart("mixed"))
        pdf = MIMEApplication(b"%PDF-1.4\n" + ("https://" + BAD + "/in-the-pdf\n").encode() * 40,
                              "pdf", Name="invoice.pdf")
        msg.attach(pdf)
        msg.attach(text_part("html", html(BAD, 10), "qp"))
    elif kind == "forwarded":
        inner = headers(MIMEText("see https://" + BAD + "/fwd\n"), frm="ceo@corp.example")
        msg = headers(MIMEMultipart("mixed"))
        msg.attach(MIMEText("forwarding this\n"))
        msg.attach(MIMEMessage(inner))
    else:
        sys.exit("mkmime.py: unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(msg.as_bytes(policy=policy.SMTP))


if __name__ == "__main__":
    main()
