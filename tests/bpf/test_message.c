// SPDX-License-Identifier: GPL-2.0
/*
 * test_message.c - the message program (sg_xdp_msg) through the real
 * command program's hand-over: From: headers in every form, only the
 * message's own header block, every split of a header, the way back to
 * commands after the end of data, and many messages in one segment.
 */
#include "unit/check.h"
#include "bpf/harness.h"

static const char *config_text = "port 25\n"
				 "internal-domain corp.example\n"
				 "trusted-net 203.0.113.0/24\n";
#define OUTSIDE "198.51.100.7"
#define RELAY "192.0.2.25"

static __u16 next_port = 21000;

/* a session in the message: DATA accepted, nothing of the message sent yet */
static void in_message(struct harness *h, struct sess *s, const char *src)
{
	h->nev = 0;
	sess_init(s, h, src, RELAY, next_port++);
	sess_syn(s);
	sess_send_str(s, "EHLO mail.outside.test\r\nMAIL FROM:<a@outside.test>\r\n"
			 "RCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_reply(s, "250 ok\r\n250 ok\r\n354 go ahead\r\n");
}

static int header_from_alerts(struct harness *h)
{
	int n = 0;

	for (int i = 0; i < h->nev; i++)
		n += h->ev[i].where == SG_WHERE_HEADER_FROM;
	return n;
}

struct form {
	const char *headers; /* the header block, up to and without the empty line */
	int alert;
};

static void test_from_forms(struct harness *h)
{
	static const struct form forms[] = {
		{ "From: ceo@corp.example", 1 },
		{ "From: CEO <ceo@corp.example>", 1 },
		{ "From: \"Chief Exec\" <ceo@corp.example>", 1 },
		{ "FROM: ceo@Corp.Example", 1 },
		{ "from:ceo@corp.example", 1 },
		{ "From : ceo@corp.example", 1 },
		{ "From: =?utf-8?q?Chief_Exec?= <ceo@corp.example>", 1 },
		{ "From: =?utf-8?b?Q2hpZWYgRXhlYw==?=\r\n <ceo@corp.example>", 1 },
		{ "From: \"Chief\r\n\tExec\" <ceo@hr.corp.example>", 1 },
		{ "From: ceo@corp.example (Chief Exec)", 1 },
		{ "From: (Chief Exec) ceo@corp.example", 1 },
		{ "From: <ceo(x)@corp.example(y)>", 1 },
		{ "From: a@outside.test, ceo@corp.example", 1 },
		{ "From: A <a@outside.test>, B <ceo@corp.example>", 1 },
		{ "Subject: hi\r\nFrom: ceo@corp.example\r\nTo: b@corp.example", 1 },
		{ "Subject: hi\r\n.From: ceo@corp.example", 1 }, /* dot-stuffed */
		{ "From: ceo@corp.example.", 1 },
		{ "From: ceo@corp.example <x@outside.test>", 1 }, /* the shown name claims it */
		{ "From: CEO <ceo@outside.test>", 0 },
		{ "From: \"ceo@corp.example\" <x@outside.test>", 0 },
		{ "From: <x@outside.test> (ceo@corp.example)", 0 },
		{ "From: x@notcorp.example", 0 },
		{ "From: x@corp.example.evil.test", 0 },
		{ "From: <\"x@corp.example\"@evil.test>", 0 },
		{ "Reply-To: ceo@corp.example", 0 },
		{ "X-From: ceo@corp.example", 0 },
		{ "Resent-From: ceo@corp.example", 0 },
		{ "Subject: a\r\n From: ceo@corp.example", 0 }, /* a folded Subject line */
		{ "Subject: hi\r\n..From: ceo@corp.example", 0 }, /* ".From:" after unstuffing */
		{ "Subject: hi\r\nnot a header\r\nFrom: ceo@corp.example", 0 }, /* body from there */
		{ "From\v: ceo@corp.example", 0 },
		{ "From: ceo @ corp.example", 1 },
		{ "From: ceo@ corp . example", 1 },
		{ "From: ceo@corp.example (x), y@outside.test", 1 },
		{ "From: x@outside.test\r\nSubject: ceo@corp.example", 0 },
	};
	char name[300], msg[1024];
	struct sess s;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		in_message(h, &s, OUTSIDE);
		snprintf(msg, sizeof(msg), "%s\r\n\r\nbody\r\n.\r\n", forms[i].headers);
		sess_send_str(&s, msg);
		snprintf(name, sizeof(name), "From form [%s]: %s", forms[i].headers,
			 forms[i].alert ? "one header_from alert" : "no alert");
		for (char *p = name; *p; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
		CHECK_EQ_INT(h->nev, forms[i].alert, name);
		if (forms[i].alert && h->nev == 1)
			CHECK(h->ev[0].where == SG_WHERE_HEADER_FROM &&
			      !strcmp(h->ev[0].match, "corp.example") &&
			      h->ev[0].reason == SG_REASON_SPOOFED_INTERNAL_DOMAIN,
			      "... where header_from, match corp.example");
	}
}

static void test_body_and_trust(struct harness *h)
{
	struct sess s;
	struct sg_stats a, b;
	char v[SG_TOKEN_MAX + 1];

	in_message(h, &s, OUTSIDE);
	sess_send_str(&s, "From: x@outside.test\r\n\r\nFrom: ceo@corp.example\r\n"
			  "\r\nFrom: ceo@corp.example\r\n.\r\n");
	CHECK_EQ_INT(h->nev, 0, "a From: line in the body raises nothing");

	in_message(h, &s, "203.0.113.5");
	sess_send_str(&s, "From: ceo@corp.example\r\n\r\nhi\r\n.\r\n");
	CHECK_EQ_INT(h->nev, 0, "an internal From: from a trusted source raises nothing");

	in_message(h, &s, OUTSIDE);
	h_stats(h, &a);
	sess_send_str(&s, "From: x@outside.test\r\nFrom: y@outside.test\r\n\r\nhi\r\n.\r\n");
	h_stats(h, &b);
	CHECK_EQ_INT(b.header_from_multiple - a.header_from_multiple, 1,
		     "two From: headers: an anomaly, counted");

	in_message(h, &s, OUTSIDE);
	sess_send_str(&s, "From: \"Chief Exec\" <ceo@corp.example>\r\n\r\n.\r\n");
	if (CHECK_EQ_INT(h->nev, 1, "the event of a From: alert")) {
		snprintf(v, sizeof(v), "%.*s", h->ev[0].value_len, h->ev[0].value);
		CHECK_EQ_STR(v, "\"Chief Exec\" <ceo@corp.example>",
			     "the event's value is the From: header as sent");
	}
}

/* one header block cut into two segments at every offset */
static void test_every_split(struct harness *h)
{
	const char *m = "Subject: x\r\nFrom: \"Chief\r\n Exec\" <ceo@hr.corp.example>\r\n"
			"To: b@corp.example\r\n\r\nbody\r\n.\r\n";
	size_t len = strlen(m);
	int bad = 0;
	struct sess s;
	struct sg_flow f;

	for (size_t cut = 1; cut < len; cut++) {
		in_message(h, &s, OUTSIDE);
		sess_send(&s, m, cut);
		sess_send(&s, m + cut, len - cut);
		if (header_from_alerts(h) != 1 || sess_flow(&s, &f) || f.phase != SG_PHASE_COMMAND ||
		    f.messages != 1) {
			printf("# cut at %zu: %d alerts, phase %u, messages %u\n", cut, h->nev, f.phase,
			       f.messages);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "a header block cut at every offset: one alert, message ended");
}

static void test_back_to_commands(struct harness *h)
{
	struct sess s;
	struct sg_stats a, b;
	char seg[8192] = "";
	int mail_from = 0;

	/* the end of data and the next transaction in one segment */
	in_message(h, &s, OUTSIDE);
	sess_send_str(&s, "From: x@outside.test\r\n\r\nhi\r\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
	CHECK(h->nev == 1 && h->ev[0].where == SG_WHERE_MAIL_FROM,
	      "after the end of data the same segment's MAIL FROM is read as a command");

	/* more messages in one segment than tail calls allow: commands still read */
	in_message(h, &s, OUTSIDE);
	strcat(seg, "From: ceo@corp.example\r\n\r\n.\r\n");
	for (int i = 0; i < 24; i++)
		strcat(seg, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@c.test>\r\nDATA\r\n"
			    "From: ceo@corp.example\r\n\r\n.\r\n");
	strcat(seg, "MAIL FROM:<ceo@corp.example>\r\n");
	h_stats(h, &a);
	sess_send_str(&s, seg);
	h_stats(h, &b);
	for (int i = 0; i < h->nev; i++)
		mail_from += h->ev[i].where == SG_WHERE_MAIL_FROM;
	CHECK_EQ_INT(mail_from, 1, "25 messages in one segment: the MAIL FROM after them alerts");
	CHECK(header_from_alerts(h) >= 10, "25 messages in one segment: the first ones' From: read");
	CHECK_EQ_INT(b.messages - a.messages, 25, "25 messages in one segment: all counted");
	CHECK_EQ_INT(b.tail_call_failed - a.tail_call_failed, 0, "no tail call failed");
}

/* a new session, at its first command */
static void fresh(struct harness *h, struct sess *s)
{
	h->nev = 0;
	sess_init(s, h, OUTSIDE, RELAY, next_port++);
	sess_syn(s);
}

/* BDAT chunks are read by the message machine too, exactly n bytes each */
static void bdat(char *out, size_t len, const char *chunk, int last)
{
	snprintf(out, len, "BDAT %zu%s\r\n%s", strlen(chunk), last ? " LAST" : "", chunk);
}

static void test_bdat(struct harness *h)
{
	char seg[1024], a[256], b[256];
	struct sess s;
	struct sg_flow f;

	fresh(h, &s);
	bdat(a, sizeof(a), "From: CEO <ceo@corp.example>\r\nSubject: x\r\n\r\nbody\r\n", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\n%s", a);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 1, "BDAT LAST: the chunk's From: header alerts");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "BDAT LAST: one message, back in commands");

	/* a From: cut across two chunks in two segments; a dot line in the body
	 * is just a line (BDAT has no end-of-data line) */
	fresh(h, &s);
	bdat(a, sizeof(a), "Subject: x\r\nFrom: ceo@co", 0);
	bdat(b, sizeof(b), "rp.example\r\n\r\nbody\r\n.\r\nFrom: ceo@corp.example\r\n", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\n%s", a);
	sess_send_str(&s, seg);
	snprintf(seg, sizeof(seg), "%sMAIL FROM:<ceo@corp.example>\r\n", b);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 1,
		     "BDAT: a From: cut across chunks alerts once; the body's From: does not");
	CHECK_EQ_INT(h->nev, 2, "BDAT: ... and the MAIL FROM after the last chunk alerts");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1, "BDAT: one message counted");

	/* BDAT has no dot-stuffing: ".From:" is a header named ".From" */
	fresh(h, &s);
	bdat(a, sizeof(a), "Subject: x\r\n.From: ceo@corp.example\r\n\r\nhi\r\n", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n%s", a);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 0, "BDAT: \".From:\" is not a From: header");

	/* a MAIL FROM between chunks is refused: the message goes on */
	fresh(h, &s);
	bdat(a, sizeof(a), "Subject: x\r\n\r\nbody ", 0);
	bdat(b, sizeof(b), "From: ceo@corp.example\r\n", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n%s"
		 "MAIL FROM:<x@outside.test>\r\n%s", a, b);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 0,
		     "BDAT: a nested MAIL FROM does not restart the message's headers");

	/* a headers-only last chunk that ends right after From: */
	fresh(h, &s);
	bdat(a, sizeof(a), "Subject: s\r\nFrom: ceo@corp.example", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n%s", a);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 1, "BDAT: a From: at the very end of the last chunk alerts");

	/* RSET between chunks: the next message starts with its headers */
	fresh(h, &s);
	bdat(a, sizeof(a), "Subject: x\r\n\r\nbo", 0);
	bdat(b, sizeof(b), "From: ceo@corp.example\r\n\r\n", 1);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n%sRSET\r\n"
		 "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n%s", a, b);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(header_from_alerts(h), 1, "BDAT after RSET: a new message, its From: read");
}

/* Random message content over the bytes that matter to the end of data
 * (CR, LF, '.', and others), cut at random: after it and a final CRLF.CRLF,
 * the next MAIL FROM is read as a command - once - however the content
 * fell (an earlier CRLF.CRLF just ends the message sooner). */
static void test_eod_fuzz(struct harness *h)
{
	static const char alphabet[] = "\r\n.\r\n.\r\n x:";
	char msg[256];
	int bad = 0;
	struct sess s;

	srand(7);
	for (int iter = 0; iter < 20000; iter++) {
		int len = rand() % 24, n = 0, mail_from = 0;
		size_t total, c1, c2;

		/* half of them start in a header line, to stay in the header block */
		if (iter % 2)
			n = snprintf(msg, sizeof(msg), "Subject: x");
		for (len += n; n < len; n++)
			msg[n] = alphabet[rand() % (sizeof(alphabet) - 1)];
		n += snprintf(msg + n, sizeof(msg) - n, "\r\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
		total = n;
		c1 = rand() % total;
		c2 = c1 + rand() % (total - c1);
		in_message(h, &s, OUTSIDE);
		if (c1)
			sess_send(&s, msg, c1);
		if (c2 > c1)
			sess_send(&s, msg + c1, c2 - c1);
		sess_send(&s, msg + c2, total - c2);
		for (int i = 0; i < h->nev; i++)
			mail_from += h->ev[i].where == SG_WHERE_MAIL_FROM;
		if (mail_from != 1) {
			if (bad < 5) {
				printf("# fuzz %d: %d MAIL FROM alerts for [", iter, mail_from);
				for (size_t i = 0; i < total; i++)
					printf(msg[i] == '\r' ? "\\r" : msg[i] == '\n' ? "\\n" : "%c", msg[i]);
				printf("] cut %zu/%zu\n", c1, c2);
			}
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "20000 random messages and cuts: the end of data found as Postfix finds it");
}

/* Any bytes at all in a message: nothing wedges; after the end of data the
 * next command is read (the content may hold a CRLF.CRLF of its own - then
 * the rest are commands - but no verb a random byte string would spell). */
static void test_random_bytes(struct harness *h)
{
	static char msg[512];
	int bad = 0;
	struct sess s;

	srand(11);
	for (int iter = 0; iter < 2000; iter++) {
		int len = rand() % 300, n, mail_from = 0;
		size_t c1;

		for (n = 0; n < len; n++)
			msg[n] = rand() % 5 ? rand() & 0xff : "\r\n.<>@:/%=\"()"[rand() % 14];
		n += snprintf(msg + n, sizeof(msg) - n, "\r\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
		c1 = rand() % n;
		in_message(h, &s, OUTSIDE);
		if (c1)
			sess_send(&s, msg, c1);
		sess_send(&s, msg + c1, n - c1);
		for (int i = 0; i < h->nev; i++)
			mail_from += h->ev[i].where == SG_WHERE_MAIL_FROM;
		bad += mail_from != 1;
	}
	CHECK_EQ_INT(bad, 0, "2000 messages of random bytes: the command after each is read");
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("message tests", "need root (CAP_BPF) to load the programs");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, config_text), 0, "programs load and the policy applies"))
		return check_done();
	test_from_forms(&h);
	test_body_and_trust(&h);
	test_every_split(&h);
	test_back_to_commands(&h);
	test_bdat(&h);
	test_eod_fuzz(&h);
	test_random_bytes(&h);
	h_close(&h);
	return check_done();
}
