// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp.c - the real XDP and TC programs on the running kernel through
 * BPF_PROG_TEST_RUN, on packets built here: every MAIL FROM form, EHLO, every
 * split of a command, IPv6, VLANs, trusted sources, non-SMTP traffic, the
 * message phase, server replies and hostile packets.
 */
#include "unit/check.h"
#include "bpf/harness.h"

static const char *config_text = "port 25\n"
				 "port 587\n"
				 "internal-domain corp.example\n"
				 "trusted-net 203.0.113.0/24\n"
				 "trusted-net 2001:db8:203::/64\n";

#define OUTSIDE "198.51.100.7"
#define RELAY "192.0.2.25"
#define PARTNER "203.0.113.5"

static __u16 next_port = 20000;

/* A fresh session from src: SYN, then the given client text in one segment. */
static void session(struct harness *h, struct sess *s, const char *src, const char *text)
{
	h->nev = 0;
	sess_init(s, h, src, strchr(src, ':') ? "2001:db8:25::25" : RELAY, next_port++);
	sess_syn(s);
	if (text)
		sess_send_str(s, text);
}

static void ev_value(const struct sg_event *ev, char *out, size_t len)
{
	size_t n = ev->value_len < SG_TOKEN_MAX ? ev->value_len : SG_TOKEN_MAX;

	snprintf(out, len, "%.*s", (int)n, ev->value);
}

static int count_where(struct harness *h, int where)
{
	int n = 0;

	for (int i = 0; i < h->nev; i++)
		n += h->ev[i].where == where;
	return n;
}

struct form {
	const char *line;
	const char *value;   /* expected value, NULL = no alert */
	const char *match;
};

static void test_mail_from_forms(struct harness *h)
{
	static const struct form forms[] = {
		{ "MAIL FROM:<ceo@corp.example>\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM: <ceo@corp.example>\r\n", "ceo@corp.example", "corp.example" },
		{ "mail from:<CEO@Corp.EXAMPLE>\r\n", "CEO@Corp.EXAMPLE", "corp.example" },
		{ "Mail From:<ceo@corp.example> SIZE=1234 BODY=8BITMIME SMTPUTF8\r\n",
		  "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<@a.test,@b.test:user@corp.example>\r\n",
		  "@a.test,@b.test:user@corp.example", "corp.example" },
		{ "MAIL FROM:<\"a@b\"@corp.example>\r\n", "\"a@b\"@corp.example", "corp.example" },
		{ "MAIL FROM:<\"x@corp.example\"@evil.test>\r\n", NULL, NULL },
		{ "MAIL FROM:<\"a\\\"@corp.example\"@evil.test>\r\n", NULL, NULL },
		{ "MAIL FROM:<a\\@corp.example@evil.test>\r\n", NULL, NULL },
		{ "MAIL FROM:<>\r\n", NULL, NULL },
		{ "MAIL FROM:<> SIZE=100\r\n", NULL, NULL },
		{ "MAIL FROM:ceo@corp.example\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:ceo@corp.example SIZE=10\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@hr.corp.example>\r\n", "ceo@hr.corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@a.b.c.d.e.f.g.h.i.hr.corp.example>\r\n",
		  "ceo@a.b.c.d.e.f.g.h.i.hr.corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@corp.example.>\r\n", "ceo@corp.example.", "corp.example" },
		{ "MAIL FROM:<ceo@notcorp.example>\r\n", NULL, NULL },
		{ "MAIL FROM:<ceo@corp.example.evil.test>\r\n", NULL, NULL },
		{ "MAIL FROM:<ceo@corp.examplex>\r\n", NULL, NULL },
		{ "MAIL FROM:<ceo@[192.0.2.1]>\r\n", NULL, NULL },
		{ "MAIL FROM:<corp.example@evil.test>\r\n", NULL, NULL },
		{ "MAIL FROM:<a@b@corp.example>\r\n", "a@b@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@corp.example>\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@corp.example(comment)>\r\n", "ceo@corp.example(comment)",
		  "corp.example" },
		{ "MAIL FROM:<ceo@corp.example(((a)b)@evil.test)>\r\n",
		  "ceo@corp.example(((a)b)@evil.test)", "corp.example" },
		{ "MAIL FROM:<ceo@evil.test(x@corp.example)>\r\n", NULL, NULL },
		{ "MAIL FROM:<ceo(x@evil.test)@corp.example>\r\n", "ceo(x@evil.test)@corp.example",
		  "corp.example" },
		{ "MAIL FROM:<ceo@corp(x\\)y).example>\r\n", "ceo@corp(x\\)y).example", "corp.example" },
		{ "RCPT TO:<x@corp.example>\r\n", NULL, NULL },
		{ "XMAIL FROM:<ceo@corp.example>\r\n", NULL, NULL },
		{ "MAIL TO:<ceo@corp.example>\r\n", NULL, NULL },
		{ " MAIL FROM:<ceo@corp.example>\r\n", NULL, NULL },
		{ "MAIL FROM:<\"ceo@corp.example\">\r\n", "\"ceo@corp.example\"", "corp.example" },
		{ "MAIL FROM:<ceo\\@corp.example>\r\n", "ceo\\@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo @corp.example>\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@corp. example>\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo@corp\\.example>\r\n", "ceo@corp\\.example", "corp.example" },
		{ "MAIL FROM:<ceo@\"corp.example\">\r\n", "ceo@\"corp.example\"", "corp.example" },
		{ "MAIL FROM:<\"ceo\"@\"corp\".example>\r\n", "\"ceo\"@\"corp\".example",
		  "corp.example" },
		{ "MAIL FROM:<ceo@corp.example,>\r\n", "ceo@corp.example,", "corp.example" },
		{ "MAIL FROM:<ceo@corp.example;>\r\n", "ceo@corp.example;", "corp.example" },
		{ "MAIL FROM:<ceo@corp.example(>\r\n", "ceo@corp.example(>", "corp.example" },
		{ "MAIL FROM:ceo@corp.example\vSIZE=1\r\n", "ceo@corp.example", "corp.example" },
		{ "MAIL FROM:<ceo>\r\n", NULL, NULL },
		{ "EHLO corp.example\r\n", "corp.example", "corp.example" },
		{ "EHLO corp.example\v\r\n", "corp.example", "corp.example" },
		{ "HELO mx.corp.example\r\n", "mx.corp.example", "corp.example" },
		{ "ehlo MX.Corp.Example.\r\n", "MX.Corp.Example.", "corp.example" },
		{ "EHLO mail.outside.test\r\n", NULL, NULL },
		{ "EHLO [192.0.2.1]\r\n", NULL, NULL },
		{ "EHLO notcorp.example\r\n", NULL, NULL },
	};
	char name[256], got[SG_TOKEN_MAX + 1];
	struct sess s;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct form *f = &forms[i];

		session(h, &s, OUTSIDE, f->line);
		snprintf(name, sizeof(name), "form %.*s: %s", (int)strcspn(f->line, "\r\n"),
			 f->line, f->value ? "alerts" : "no alert");
		if (!f->value) {
			CHECK_EQ_INT(h->nev, 0, name);
			continue;
		}
		if (!CHECK_EQ_INT(h->nev, 1, name))
			continue;
		ev_value(&h->ev[0], got, sizeof(got));
		snprintf(name, sizeof(name), "form %.*s: value", (int)strcspn(f->line, "\r\n"),
			 f->line);
		CHECK_EQ_STR(got, f->value, name);
		snprintf(name, sizeof(name), "form %.*s: match and where",
			 (int)strcspn(f->line, "\r\n"), f->line);
		CHECK(!strcmp(h->ev[0].match, f->match) &&
		      h->ev[0].where == (f->line[0] == 'M' || f->line[0] == 'm' ?
						 SG_WHERE_MAIL_FROM : SG_WHERE_HELO) &&
		      h->ev[0].reason == SG_REASON_SPOOFED_INTERNAL_DOMAIN &&
		      h->ev[0].action == SG_ACTION_ALERT, name);
	}
}

/* Postfix reads a command line up to a NUL byte */
static void test_nul(struct harness *h)
{
	static const char mail[] = "MAIL FROM:ceo@corp.example\0junk\r\n";
	static const char ehlo[] = "EHLO corp.example\0x\r\n";
	static const char evil[] = "MAIL FROM:<ceo@evil.test\0@corp.example>\r\n";
	struct sess s;

	session(h, &s, OUTSIDE, NULL);
	sess_send(&s, mail, sizeof(mail) - 1);
	CHECK_EQ_INT(h->nev, 1, "MAIL FROM:ceo@corp.example NUL junk: alert (the NUL ends it)");
	session(h, &s, OUTSIDE, NULL);
	sess_send(&s, ehlo, sizeof(ehlo) - 1);
	CHECK_EQ_INT(h->nev, 1, "EHLO corp.example NUL x: alert");
	session(h, &s, OUTSIDE, NULL);
	sess_send(&s, evil, sizeof(evil) - 1);
	CHECK_EQ_INT(h->nev, 0, "MAIL FROM:<ceo@evil.test NUL @corp.example>: no alert");
}

static void test_verb_whitespace(struct harness *h)
{
	struct sess s;

	session(h, &s, OUTSIDE, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA \r\n");
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n\r\n.\r\n");
	CHECK_EQ_INT(h->nev, 0, "\"DATA \" enters the message as Postfix does");
	session(h, &s, OUTSIDE, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\r\n");
	sess_send_str(&s, "EHLO corp.example\r\n\r\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
	CHECK(h->nev == 1 && h->ev[0].where == SG_WHERE_MAIL_FROM,
	      "\"DATA\\r\\r\\n\" enters the message; the command after its end alerts");
}

/* The same MAIL FROM line cut into two segments at every offset. */
static void test_every_split(struct harness *h)
{
	const char *line = "MAIL FROM:<ceo@hr.corp.example> SIZE=1234\r\n";
	size_t len = strlen(line);
	int bad = 0;
	struct sess s;
	char got[SG_TOKEN_MAX + 1];

	for (size_t cut = 1; cut < len; cut++) {
		session(h, &s, OUTSIDE, "EHLO mail.outside.test\r\n");
		sess_send(&s, line, cut);
		sess_send(&s, line + cut, len - cut);
		if (h->nev != 1) {
			printf("# split at %zu: %d events\n", cut, h->nev);
			bad++;
			continue;
		}
		ev_value(&h->ev[0], got, sizeof(got));
		if (strcmp(got, "ceo@hr.corp.example")) {
			printf("# split at %zu: value %s\n", cut, got);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "MAIL FROM cut into two segments at every offset: one alert each");

	/* one byte per segment */
	session(h, &s, OUTSIDE, NULL);
	for (size_t i = 0; i < len; i++)
		sess_send(&s, line + i, 1);
	CHECK_EQ_INT(h->nev, 1, "MAIL FROM one byte per segment: one alert");
}

static void test_pipelining_and_transactions(struct harness *h)
{
	struct sess s;
	struct sg_flow f;
	char got[SG_TOKEN_MAX + 1] = "";

	session(h, &s, OUTSIDE,
		"EHLO mail.outside.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@corp.example>\r\n"
		"RSET\r\nMAIL FROM:<c@corp.example>\r\nRCPT TO:<d@corp.example>\r\n"
		"RCPT TO:<e@corp.example>\r\n");
	if (CHECK_EQ_INT(h->nev, 1, "pipelined commands: one alert"))
		ev_value(&h->ev[0], got, sizeof(got));
	CHECK_EQ_STR(got, "c@corp.example", "pipelined commands: the alert names the right line");
	CHECK(sess_flow(&s, &f) == 0 && f.commands == 7 && f.recipients == 3 && f.alerts == 1,
	      "pipelined commands: flow counts commands, recipients, alerts");
	CHECK(f.helo_len == 17 && !memcmp(f.helo, "mail.outside.test", 17),
	      "the flow keeps the EHLO name");

	/* the EHLO name goes into later alerts */
	CHECK(h->nev == 1 && h->ev[0].helo_len == 17 &&
	      !memcmp(h->ev[0].helo, "mail.outside.test", 17), "the alert carries the EHLO name");
}

static void test_message_phase(struct harness *h)
{
	struct sess s;
	struct sg_flow f;

	session(h, &s, OUTSIDE, "EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@corp.example>\r\n"
				"DATA\r\n");
	sess_reply(&s, "250 ok\r\n250 ok\r\n354 go ahead\r\n");
	sess_send_str(&s, "From: someone\r\n\r\nMAIL FROM:<ceo@corp.example>\r\n"
			  "..MAIL FROM:<ceo@corp.example>\r\n.x\r\nEHLO corp.example\r\n");
	CHECK_EQ_INT(h->nev, 0, "DATA: command-like lines in the message raise nothing");
	{
		struct sg_stats a, b;

		h_stats(h, &a);
		sess_send_str(&s, "x\n.\nMAIL FROM:<ceo@corp.example>\r\n");
		CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 0,
			     "DATA: LF.LF does not end the message");
		sess_send_str(&s, "x\r\n.\nMAIL FROM:<ceo@corp.example>\r\n");
		CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 0,
			     "DATA: CRLF.LF does not end the message");
		sess_send_str(&s, "x\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
		CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 0,
			     "DATA: LF.CRLF does not end the message");
		h_stats(h, &b);
		CHECK_EQ_INT(b.bare_lf_dot - a.bare_lf_dot, 3, "DATA: each bare-LF dot line counted");
		CHECK(count_where(h, SG_WHERE_STREAM) == 1 &&
		      h->ev[0].reason == SG_REASON_STREAM_ANOMALY,
		      "DATA: bare-LF dots raise one stream_anomaly alert for the flow");
		h->nev = 0;
	}
	sess_send_str(&s, "\r\n.\r");
	sess_send_str(&s, "\nMAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "DATA: CRLF.CRLF split over segments ends it; the next MAIL FROM alerts");
	sess_flow(&s, &f);
	CHECK(f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "DATA: message counted, back in commands");

	/* BDAT: exactly n bytes of content, whatever they say */
	session(h, &s, OUTSIDE, "EHLO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
				"BDAT 32\r\nMAIL FROM:<ceo@corp.example>\r\nXYBDAT 0 LAST\r\n");
	CHECK_EQ_INT(h->nev, 0, "BDAT: chunk content is not taken for commands");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "BDAT 0 LAST ends the message");
	session(h, &s, OUTSIDE, "MAIL FROM:<a@x.test>\r\nBDAT 40 LAST\r\nMAIL FROM:<ce");
	sess_send_str(&s, "o@corp.example>\r\n1234567890");
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "BDAT chunk across segments, then commands again");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1, "BDAT LAST counted one message");
}

static void test_replies(struct harness *h)
{
	struct sess s;
	struct sg_flow f;

	/* DATA refused (no valid recipients): the next lines are commands */
	session(h, &s, OUTSIDE, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
	sess_reply(&s, "250 ok\r\n550 no such user\r\n554 5.5.1 Error: no valid recipients\r\n");
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "DATA refused by the server: parsing goes on in commands");

	/* STARTTLS accepted: ciphertext is not parsed */
	session(h, &s, OUTSIDE, "EHLO x.test\r\nSTARTTLS\r\n");
	sess_reply(&s, "250-x.test\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n");
	sess_send_str(&s, "\x16\x03\x01MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 0, "STARTTLS accepted: the encrypted session is not parsed");
	CHECK(sess_flow(&s, &f) == 0 && f.phase == SG_PHASE_TLS && f.srv_packets == 1,
	      "STARTTLS accepted: flow in tls, server packets counted");

	/* STARTTLS refused: parsing goes on */
	session(h, &s, OUTSIDE, "EHLO x.test\r\nSTARTTLS\r\n");
	sess_reply(&s, "454 4.7.0 TLS not available\r\n");
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "STARTTLS refused with 454: parsing goes on");
}

/* review findings: what the server refuses, bogus RST/FIN/SYN, IPv6 atomic
 * fragments, a flood of forged lines */
static void test_evasions(struct harness *h)
{
	struct sess s;
	struct sg_stats a, b;
	struct sg_flow f;
	__u8 fr[PKT_MAX];
	struct pkt_spec ps;
	int n;

	/* commands pipelined after STARTTLS, which the server refuses */
	session(h, &s, OUTSIDE, "EHLO x.test\r\nSTARTTLS\r\nMAIL FROM:<ceo@corp.example>\r\n");
	sess_reply(&s, "250 ok\r\n502 5.5.1 Error: command not implemented\r\n");
	CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 1,
		     "MAIL FROM pipelined after STARTTLS is read (TLS starts at the 220)");

	/* DATA refused after the client sent more: anomaly */
	session(h, &s, OUTSIDE, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
				"MAIL FROM:<ceo@corp.example>\r\n");
	h_stats(h, &a);
	sess_reply(&s, "250 ok\r\n550 no\r\n554 5.5.1 Error: no valid recipients\r\n");
	/* taken up with the client's next segment */
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	h_stats(h, &b);
	CHECK(b.refused_after_pipelining - a.refused_after_pipelining == 1 &&
	      count_where(h, SG_WHERE_STREAM) == 1,
	      "DATA refused after pipelined bytes: counted, one stream_anomaly alert");
	CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 1, "... and later commands are read");

	/* an out-of-sequence RST or FIN does not end the inspection */
	session(h, &s, OUTSIDE, "EHLO x.test\r\n");
	ps = s.ps;
	ps.seq = s.seq + 100000;
	ps.flags = 0x04;
	n = pkt_build(fr, &ps, "", 0);
	h_xdp(h, fr, n);
	ps.flags = 0x11;
	n = pkt_build(fr, &ps, "", 0);
	h_xdp(h, fr, n);
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 1,
		     "a RST and a FIN out of sequence are ignored; the next MAIL FROM alerts");

	/* a SYN on a flow that carries data does not reset it or its block */
	h_apply(h, "internal-domain corp.example\naction spoofed_internal_domain block\n");
	session(h, &s, OUTSIDE, NULL);
	CHECK_EQ_INT(sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n"), XDP_PASS,
		     "block: forged MAIL FROM turned into a RST to the server");
	ps = s.ps;
	ps.seq = 77;
	ps.flags = 0x02;
	n = pkt_build(fr, &ps, "", 0);
	h_xdp(h, fr, n);
	s.seq -= 30;
	CHECK_EQ_INT(sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n"), XDP_DROP,
		     "block: after a stray SYN the retransmission is still dropped");
	h_apply(h, config_text);

	/* IPv6 atomic fragment (offset 0, no more fragments): a whole packet */
	{
		__u8 g[PKT_MAX];
		const char *line = "MAIL FROM:<ceo@corp.example>\r\n";
		int off = 14 + 40;

		h->nev = 0;
		sess_init(&s, h, "2001:db8:bad::9", "2001:db8:25::25", next_port++);
		sess_syn(&s);
		ps = s.ps;
		ps.seq = s.seq;
		n = pkt_build(fr, &ps, line, strlen(line));
		/* insert an 8-byte fragment header after the IPv6 header */
		memcpy(g, fr, off);
		memset(g + off, 0, 8);
		g[off] = 6;
		memcpy(g + off + 8, fr + off, n - off);
		g[14 + 6] = 44;
		{
			int pl = (g[14 + 4] << 8 | g[14 + 5]) + 8;

			g[14 + 4] = pl >> 8;
			g[14 + 5] = pl & 0xff;
		}
		h_xdp(h, g, n + 8);
		CHECK_EQ_INT(count_where(h, SG_WHERE_MAIL_FROM), 1,
			     "IPv6 atomic fragment: parsed as a whole packet");
	}

	/* IPv4 fragments of a watched session: passed, counted, said once */
	{
		__u8 g[PKT_MAX];
		const char *line = "MAIL FROM:<ceo@corp.example>\r\n";
		struct sg_stats a, b;

		session(h, &s, OUTSIDE, "EHLO x.test\r\n");
		ps = s.ps;
		ps.seq = s.seq;
		n = pkt_build(g, &ps, line, strlen(line));
		g[14 + 6] |= 0x20; /* more fragments */
		h_stats(h, &a);
		CHECK_EQ_INT(h_xdp(h, g, n), XDP_PASS, "a first IPv4 fragment passes");
		h_xdp(h, g, n);
		h_stats(h, &b);
		CHECK(b.ip_fragment - a.ip_fragment == 2 && count_where(h, SG_WHERE_STREAM) == 1,
		      "fragments of a watched session: counted, one stream_anomaly alert");
	}

	/* a flood of forged lines: alerts capped per flow, the rest counted */
	{
		char flood[2048] = "";

		for (int i = 0; i < 60; i++)
			strcat(flood, "EHLO corp.example\r\n");
		session(h, &s, OUTSIDE, NULL);
		h_stats(h, &a);
		sess_send_str(&s, flood);
		h_stats(h, &b);
		CHECK(h->nev == 16 && b.alerts_suppressed - a.alerts_suppressed == 44 &&
		      b.alert_helo - a.alert_helo == 60,
		      "60 forged EHLO lines: 16 events, 44 suppressed, all 60 counted");
		CHECK(sess_flow(&s, &f) == 0 && f.alerts == 16, "the flow counts the events raised");
	}
}

static void test_sources_and_families(struct harness *h)
{
	struct sess s;
	struct sg_stats st0, st1;
	char ip[64];

	h_stats(h, &st0);
	session(h, &s, PARTNER, "EHLO mx.corp.example\r\nMAIL FROM:<relay@corp.example>\r\n");
	h_stats(h, &st1);
	CHECK_EQ_INT(h->nev, 0, "trusted source: no alert");
	CHECK_EQ_INT(st1.trusted_suppressed - st0.trusted_suppressed, 2,
		     "trusted source: both hits counted as trusted_suppressed");

	session(h, &s, "2001:db8:bad::7", "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "IPv6: alert");
	if (h->nev == 1) {
		inet_ntop(AF_INET6, h->ev[0].saddr.a, ip, sizeof(ip));
		CHECK_EQ_STR(ip, "2001:db8:bad::7", "IPv6: source address in the event");
	}
	session(h, &s, "2001:db8:203::9", "MAIL FROM:<ceo@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 0, "IPv6 trusted source: no alert");

	/* VLAN tags, IPv4 options, IPv6 extension headers, a second watched port */
	struct {
		const char *name;
		int vlans, ip_opts, v6_ext;
		__u16 port;
		const char *src;
	} v[] = {
		{ "802.1Q: alert", 1, 0, 0, 25, OUTSIDE },
		{ "802.1ad + 802.1Q: alert", 2, 0, 0, 25, OUTSIDE },
		{ "IPv4 options: alert", 0, 8, 0, 25, OUTSIDE },
		{ "IPv6 extension headers: alert", 0, 0, 1, 25, "2001:db8:bad::8" },
		{ "second watched port 587: alert", 0, 0, 0, 587, OUTSIDE },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		h->nev = 0;
		sess_init(&s, h, v[i].src, strchr(v[i].src, ':') ? "2001:db8:25::25" : RELAY,
			  next_port++);
		s.ps.vlans = v[i].vlans;
		s.ps.ip_opts = v[i].ip_opts;
		s.ps.v6_ext = v[i].v6_ext;
		s.ps.dport = v[i].port;
		sess_syn(&s);
		sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
		CHECK(h->nev == 1 && h->ev[0].where == SG_WHERE_MAIL_FROM, v[i].name);
	}
}

static void test_fast_path(struct harness *h)
{
	struct sg_stats st0, st1;
	struct pkt_spec ps = { .src = OUTSIDE, .dst = RELAY, .sport = 5353, .dport = 25, .udp = 1 };
	const char *mail = "MAIL FROM:<ceo@corp.example>\r\n";
	__u8 f[PKT_MAX];
	long flows0, flows1;
	int n, rv;
	struct sg_flow_key k, nk;

	flows0 = 0;
	for (int have = 0; !bpf_map_get_next_key(h->m.flows, have ? &k : NULL, &nk); have = 1)
		k = nk, flows0++;
	h->nev = 0;
	h_stats(h, &st0);
	n = pkt_build(f, &ps, mail, strlen(mail));
	rv = h_xdp(h, f, n);
	CHECK(rv == XDP_PASS && h->nev == 0, "UDP to port 25: passed, no alert");
	ps.udp = 0;
	ps.dport = 443;
	ps.flags = 0x18;
	n = pkt_build(f, &ps, mail, strlen(mail));
	rv = h_xdp(h, f, n);
	CHECK(rv == XDP_PASS && h->nev == 0, "TCP to port 443: passed, no alert");
	h_stats(h, &st1);
	CHECK_EQ_INT(st1.fast_pass - st0.fast_pass, 2, "non-watched traffic counted as fast_pass");
	flows1 = 0;
	for (int have = 0; !bpf_map_get_next_key(h->m.flows, have ? &k : NULL, &nk); have = 1)
		k = nk, flows1++;
	CHECK_EQ_INT(flows1, flows0, "non-watched traffic creates no flow");
	/* ARP */
	memset(f, 0, 60);
	f[12] = 0x08;
	f[13] = 0x06;
	rv = h_xdp(h, f, 60);
	h_stats(h, &st0);
	CHECK(rv == XDP_PASS && st0.non_ip == st1.non_ip + 1, "ARP: passed, counted non_ip");
}

static void test_hostile(struct harness *h)
{
	struct pkt_spec ps = { .src = OUTSIDE, .dst = RELAY, .sport = 6000, .dport = 25 };
	const char *mail = "MAIL FROM:<ceo@corp.example>\r\n";
	struct sg_stats st0, st1;
	__u8 f[PKT_MAX], g[PKT_MAX];
	int n, rv, ok = 1;

	h_stats(h, &st0);
	n = pkt_build(f, &ps, mail, strlen(mail));
	/* every truncation of a valid frame */
	for (int len = 1; len < n; len++) {
		memcpy(g, f, len);
		rv = h_xdp(h, g, len < 14 ? 14 : len);
		if (rv != XDP_PASS)
			ok = 0;
	}
	CHECK(ok, "every truncation of a segment: passed");
	/* IPv4 header length below 20, TCP data offset past the packet */
	memcpy(g, f, n);
	g[14] = 0x43;
	CHECK_EQ_INT(h_xdp(h, g, n), XDP_PASS, "IPv4 ihl 3: passed");
	memcpy(g, f, n);
	g[14 + 20 + 12] = 0xf0;
	CHECK_EQ_INT(h_xdp(h, g, n), XDP_PASS, "TCP data offset past the packet: passed");
	memcpy(g, f, n);
	g[14 + 2] = 0xff;
	CHECK_EQ_INT(h_xdp(h, g, n), XDP_PASS, "IPv4 total length past the frame: passed");
	h_stats(h, &st1);
	CHECK(st1.malformed > st0.malformed + 3, "malformed packets are counted");

	/* random bytes after valid headers, and random frames: never anything but PASS */
	srand(42);
	ok = 1;
	h->nev = 0;
	for (int i = 0; i < 3000; i++) {
		int len = 14 + rand() % 1500, plen = rand() % 1400;

		if (i % 2) {
			for (int j = 0; j < len; j++)
				g[j] = rand();
			g[12] = 0x08;
			g[13] = 0x00;
			g[14] = 0x45;
			g[23] = 6;
		} else {
			char pay[1400];

			for (int j = 0; j < plen; j++)
				pay[j] = "MAIL FROM:<@.\">\r\n \\[]aB9"[rand() % 25];
			ps.sport = 7000 + i % 50;
			ps.seq = rand();
			len = pkt_build(g, &ps, pay, plen);
		}
		rv = h_xdp(h, g, len);
		if (rv != XDP_PASS) {
			printf("# hostile frame %d (len %d): xdp verdict %d\n", i, len, rv);
			ok = 0;
		}
		rv = h_tc(h, g, len);
		/* test_run refuses an skb too short for its headers: not a verdict */
		if (rv != 0 && !(rv == -EINVAL && len < 60)) {
			printf("# hostile frame %d (len %d): tc verdict %d\n", i, len, rv);
			ok = 0;
		}
	}
	CHECK(ok, "3000 hostile frames through XDP and TC: all passed");
}

static void test_stream_basics(struct harness *h)
{
	struct sess s;
	struct sg_flow f;
	struct sg_stats st0, st1;
	const char *line = "MAIL FROM:<ceo@corp.example>\r\n";

	/* a retransmission of parsed bytes is not parsed again */
	session(h, &s, OUTSIDE, line);
	h_stats(h, &st0);
	s.seq -= strlen(line);
	sess_send_str(&s, line);
	h_stats(h, &st1);
	CHECK_EQ_INT(h->nev, 1, "a retransmitted MAIL FROM alerts once");
	CHECK_EQ_INT(st1.retransmits - st0.retransmits, 1, "the retransmission is counted");

	/* picked up mid-stream (when the server sends on it): wait for the
	 * next line */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	sess_reply(&s, "250 2.1.0 Ok\r\n");
	sess_send_str(&s, "om:<ceo@corp.example>\r\nMAIL FROM:<x@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "mid-stream pickup: the cut line is skipped, the next one alerts");
	CHECK(sess_flow(&s, &f) == 0 && (f.flags & SG_FLOW_MIDSTREAM), "mid-stream flow flagged");

	/* an over-long address: truncated and counted, never out of bounds */
	char big[600];
	session(h, &s, OUTSIDE, NULL);
	h_stats(h, &st0);
	strcpy(big, "MAIL FROM:<");
	memset(big + 11, 'a', 400);
	strcpy(big + 411, "@corp.example>\r\n");
	sess_send_str(&s, big);
	h_stats(h, &st1);
	CHECK(h->nev == 1 && h->ev[0].truncated && h->ev[0].value_len == SG_TOKEN_MAX,
	      "over-long address: alert with a truncated value");
	CHECK_EQ_INT(st1.token_truncated - st0.token_truncated, 1, "truncation counted");

	/* RST ends the flow */
	session(h, &s, OUTSIDE, "EHLO x.test\r\n");
	{
		__u8 fr[PKT_MAX];
		struct pkt_spec ps = s.ps;
		int n;

		ps.seq = s.seq;
		ps.flags = 0x04;
		n = pkt_build(fr, &ps, "", 0);
		h_xdp(h, fr, n);
	}
	CHECK(sess_flow(&s, &f) != 0, "a RST at the stream position ends the flow: its entry is freed");
}

static void test_policy_changes(struct harness *h)
{
	struct sess s;
	char err[256];

	session(h, &s, OUTSIDE, "MAIL FROM:<x@corp-mail.example>\r\n");
	CHECK_EQ_INT(h->nev, 0, "policy: corp-mail.example not internal yet");
	CHECK_EQ_INT(sg_policy_add_maps(&h->m, "internal-domain", "corp-mail.example", err,
					sizeof(err)), 0, "policy add internal-domain");
	session(h, &s, OUTSIDE, "MAIL FROM:<x@corp-mail.example>\r\n");
	CHECK_EQ_INT(h->nev, 1, "policy add takes effect for the next session");
	CHECK_EQ_INT(sg_policy_del_maps(&h->m, "internal-domain", "corp-mail.example", err,
					sizeof(err)), 0, "policy del internal-domain");
	session(h, &s, OUTSIDE, "MAIL FROM:<x@corp-mail.example>\r\n");
	CHECK_EQ_INT(h->nev, 0, "policy del takes effect");
	/* apply: atomic swap; old generation gone */
	CHECK_EQ_INT(h_apply(h, "internal-domain other.example\naction spoofed_internal_domain off\n"),
		     0, "policy apply");
	session(h, &s, OUTSIDE, "MAIL FROM:<x@other.example>\r\nMAIL FROM:<x@corp.example>\r\n");
	CHECK_EQ_INT(h->nev, 0, "action off: no alert");
	CHECK_EQ_INT(h_apply(h, "internal-domain other.example\n"), 0, "policy apply again");
	session(h, &s, OUTSIDE, "MAIL FROM:<x@other.example>\r\nMAIL FROM:<x@corp.example>\r\n");
	CHECK(h->nev == 1 && !strcmp(h->ev[0].match, "other.example"),
	      "apply replaced the domains: only the new one alerts");
	/* block: the offending segment and the rest of the flow are dropped */
	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\n"
				"action spoofed_internal_domain block\n"), 0, "policy apply block");
	session(h, &s, OUTSIDE, NULL);
	CHECK_EQ_INT(sess_send_str(&s, "EHLO x.test\r\n"), XDP_PASS, "block: clean segment passes");
	{
		__u8 out[PKT_MAX];
		__u32 outlen = 0, seq = s.seq;

		CHECK(sess_send_out(&s, "MAIL FROM:<ceo@corp.example>\r\n", out, &outlen) ==
		      XDP_PASS && h_is_rst(out, outlen, seq),
		      "block: the segment with the forged sender becomes a RST to the server, "
		      "at its sequence, checksums right");
	}
	CHECK_EQ_INT(sess_send_str(&s, "RCPT TO:<a@corp.example>\r\n"), XDP_DROP,
		     "block: later segments of the flow are dropped");
	CHECK(h->nev == 1 && h->ev[0].action == SG_ACTION_BLOCK, "block: event says blocked");
	/* blocked source: SYN dropped, no flow */
	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\nblocked-source 198.51.100.0/24\n"),
		     0, "policy apply blocked-source");
	session(h, &s, OUTSIDE, NULL);
	{
		struct sg_flow f;

		sess_init(&s, h, OUTSIDE, RELAY, next_port++);
		CHECK_EQ_INT(sess_syn(&s), XDP_DROP, "blocked source: SYN dropped");
		CHECK(sess_flow(&s, &f) == -ENOENT, "blocked source: no flow created");
	}
	h_apply(h, config_text);
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("bpf tests", "need root (CAP_BPF) to load the programs");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, config_text), 0, "programs load and the policy applies"))
		return check_done();
	test_mail_from_forms(&h);
	test_every_split(&h);
	test_nul(&h);
	test_verb_whitespace(&h);
	test_pipelining_and_transactions(&h);
	test_message_phase(&h);
	test_replies(&h);
	test_evasions(&h);
	test_sources_and_families(&h);
	test_fast_path(&h);
	test_stream_basics(&h);
	test_hostile(&h);
	test_policy_changes(&h);
	h_close(&h);
	return check_done();
}
