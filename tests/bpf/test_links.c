// SPDX-License-Identifier: GPL-2.0
/*
 * test_links.c - links in message bodies against sg_bad_hosts, through the
 * real programs: scheme and host forms, userinfo, ports, HTML attributes,
 * redirect parameters (percent-encoded, raw, bare), lookalikes, every split
 * of a link across segments.
 */
#include "unit/check.h"
#include "bpf/harness.h"

static const char *config_text = "port 25\n"
				 "internal-domain corp.example\n"
				 "bad-host redir.badcdn.test\n"
				 "bad-host bad.test\n"
				 "bad-host 192.0.2.66\n";
#define OUTSIDE "198.51.100.7"
#define RELAY "192.0.2.25"

static __u16 next_port = 23000;

static void in_body(struct harness *h, struct sess *s)
{
	sess_in_data(s, h, OUTSIDE, RELAY, next_port++);
	sess_send_str(s, "From: a@outside.test\r\nSubject: links\r\n\r\n");
}

static int bad_host_alerts(struct harness *h)
{
	return h_alerts(h, SG_REASON_BAD_REDIRECT_HOST, -1);
}

struct form {
	const char *body;
	int alerts;
	const char *match;
};

static void test_forms(struct harness *h)
{
	static const struct form forms[] = {
		{ "see https://bad.test/x now", 1, "bad.test" },
		{ "HTTP://BAD.TEST", 1, "bad.test" },
		{ "http://a.b.bad.test:8080/p", 1, "bad.test" },
		{ "https://user:pw@bad.test/", 1, "bad.test" },
		{ "https://good.test@bad.test/", 1, "bad.test" },
		{ "https://bad.test./", 1, "bad.test" },
		{ "https://redir.badcdn.test/r/abc", 1, "redir.badcdn.test" },
		{ "<a href=\"https://bad.test/login\">x</a>", 1, "bad.test" },
		{ "<a href='https://bad.test'>x</a>", 1, "bad.test" },
		{ "<a href=https://bad.test>x</a>", 1, "bad.test" },
		{ "(https://bad.test)", 1, "bad.test" },
		/* a control byte before the scheme is no letter (browsers strip it) */
		{ "<a href=\"\x10https://bad.test/\">x</a>", 1, "bad.test" },
		{ "xhttps://bad.test/ 9http://bad.test/", 0, NULL },
		/* 192.0.2.66 as one number in a bare parameter: dotless values are
		 * matched when a bad host has a one-label spelling */
		{ "https://r.good.test/go?ip=3221226050&x=1", 1, "192.0.2.66" },
		{ "https://bad%2Etest/", 1, "bad.test" },
		{ "https://good.test/r?url=https%3A%2F%2Fbad.test%2Fp&x=1", 1, "bad.test" },
		{ "https://good.test/r?q=http%3a%2f%2fBAD.test", 1, "bad.test" },
		{ "https://good.test/r?u=https://bad.test/p", 1, "bad.test" },
		{ "https://good.test/r?url=https%3A%2F%2Fbad%2Etest", 1, "bad.test" },
		{ "https://good.test/r?domain=bad.test", 1, "bad.test" },
		{ "https://good.test/r?a=1&domain=bad.test&b=2", 1, "bad.test" },
		{ "https://good.test/r?a=1&amp;u=https%3A%2F%2Fbad.test", 1, "bad.test" },
		{ "https:\\\\bad.test/", 1, "bad.test" },
		{ "https:/\\bad.test/", 1, "bad.test" },
		{ "https:///bad.test/", 1, "bad.test" },
		{ "<a href=\"https:bad.test\">x</a>", 1, "bad.test" },
		{ "https://good.test%2F@bad.test/", 1, "bad.test" },
		{ "https://good.test/r?url=https://x:y@bad.test/", 1, "bad.test" },
		{ "https://good.test/r?url=https%3A%2F%2Fx%3Ay%40bad.test", 1, "bad.test" },
		{ "https://good.test/r?url=//bad.test/", 1, "bad.test" },
		{ "https://good.test/r?url=https:%2F%2Fbad.test", 1, "bad.test" },
		{ "https://good.test/r?url=https%3A//bad.test", 1, "bad.test" },
		{ "https://good.test/r?url=https:\\\\bad.test", 1, "bad.test" },
		{ "https://good.test/r?url=https%3A%5C%5Cbad.test", 1, "bad.test" },
		{ "<a href=\"https://bad&#46;test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad&#x2e;test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad&#X2E;test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad&#046;test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad&period;test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://good.test&#64;bad.test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://good.test&commat;bad.test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad.test&#47;@good.test/\">x</a>", 1, "bad.test" },
		{ "<a href=\"https://bad&#45;x.test/\">x</a>", 0, NULL },
		{ "<a href=\"https://bad&amp;test/\">x</a>", 0, NULL },
		{ "http://192.0.2.66/x", 1, "192.0.2.66" },
		{ "http://3221226050/x", 1, "192.0.2.66" },
		{ "http://0xC0000242/x", 1, "192.0.2.66" },
		{ "http://0xc0.0x0.0x2.0x42/x", 1, "192.0.2.66" },
		{ "http://0300.00.02.0102/x", 1, "192.0.2.66" },
		{ "http://192.0.578/x", 1, "192.0.2.66" },
		{ "http://192.578/x", 1, "192.0.2.66" },
		{ "http://192.0.2.67/x", 0, NULL },
		{ "http://3221226051/x", 0, NULL },
		{ "<a href=\"https://ba\td.te\tst/\">x</a>", 1, "bad.test" },
		{ "<a href='https://good.test\t@bad.test/'>x</a>", 1, "bad.test" },
		{ "see https://bad.test\tthere", 1, "bad.test" },
		{ "see https://bad\t.test", 0, NULL },
		{ "https://bad.test%2F@good.test/", 0, NULL },
		{ "https://bad.test%3A80@good.test/", 0, NULL },
		{ "https://bad.test@good.test/", 0, NULL },
		{ "https://bad.test.good.test/", 0, NULL },
		{ "https://notbad.test/", 0, NULL },
		{ "https://good.test/bad.test", 0, NULL },
		{ "https://good.test/#bad.test", 0, NULL },
		{ "xhttps://bad.test/", 0, NULL },
		{ "ftp://bad.test/", 0, NULL },
		{ "visit bad.test today", 0, NULL },
		{ "https://good.test/r?url=https%3A%2F%2Fgood.test%2Fbad.test", 0, NULL },
		{ "https://good.test/r?domain=notbad.test", 0, NULL },
		{ "https://good.test/r?q=httpbad.test", 0, NULL },
		{ "time: 10:30, ratio 3:1", 0, NULL },
	};
	char name[300], msg[1024];
	struct sess s;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		in_body(h, &s);
		snprintf(msg, sizeof(msg), "%s\r\n.\r\n", forms[i].body);
		sess_send_str(&s, msg);
		snprintf(name, sizeof(name), "link [%s]: %d alert(s)", forms[i].body, forms[i].alerts);
		if (!CHECK_EQ_INT(bad_host_alerts(h), forms[i].alerts, name) || !forms[i].alerts)
			continue;
		CHECK(h->ev[0].where == SG_WHERE_BODY && !strcmp(h->ev[0].match, forms[i].match) &&
		      h->ev[0].value_len > 8 && !strncasecmp(h->ev[0].value, "http", 4),
		      "... where body, the policy entry, the link as value");
	}
}

static void test_many_links(struct harness *h)
{
	char body[8192] = "";
	struct sess s;
	struct sg_stats a, b;

	for (int i = 0; i < 50; i++) {
		char l[160];

		snprintf(l, sizeof(l), "<a href=\"https://www%d.good.test/p?utm_source=x&id=%d\">"
			 "link %d</a>\r\n", i, i, i);
		strcat(body, l);
	}
	in_body(h, &s);
	h_stats(h, &a);
	sess_send_str(&s, body);
	sess_send_str(&s, "and https://redir.badcdn.test/go\r\n.\r\n");
	h_stats(h, &b);
	CHECK_EQ_INT(bad_host_alerts(h), 1, "fifty good links and one bad: one alert");
	CHECK_EQ_INT(b.urls - a.urls, 51, "fifty-one links seen");
}

/* a link cut into two segments at every offset */
static void test_every_split(struct harness *h)
{
	const char *m = "go to <a href=\"https://good.test/r?url=https%3A%2F%2Fredir.badcdn.test"
			"%2Fx\">here</a> or https://user@bad.test:443/p\r\n.\r\n";
	size_t len = strlen(m);
	int bad = 0;
	struct sess s;

	for (size_t cut = 1; cut < len; cut++) {
		in_body(h, &s);
		sess_send(&s, m, cut);
		sess_send(&s, m + cut, len - cut);
		if (bad_host_alerts(h) != 2) {
			printf("# cut at %zu: %d alerts\n", cut, bad_host_alerts(h));
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "two bad links cut at every offset: two alerts each time");
}

/* a 2 MB message: a base64 attachment first, the bad link in the last text
 * part, all in MTU-sized segments */
static void test_big_message(struct harness *h)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char msg[2200000];
	size_t o = 0, total;
	struct sess s;
	struct sg_flow f;

	o += sprintf(msg + o, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n"
			      "\r\n--b1\r\nContent-Type: application/pdf\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\n");
	srand(3);
	while (o < 2000000) {
		for (int i = 0; i < 76; i++)
			msg[o++] = b64[rand() % 64];
		msg[o++] = '\r';
		msg[o++] = '\n';
	}
	o += sprintf(msg + o, "--b1\r\nContent-Type: text/plain\r\n\r\nPlease review: "
			      "https://redir.badcdn.test/doc\r\n--b1--\r\n.\r\n");
	total = o;
	in_body(h, &s);
	for (size_t off = 0; off < total; off += 1448)
		sess_send(&s, msg + off, total - off < 1448 ? total - off : 1448);
	CHECK_EQ_INT(bad_host_alerts(h), 1, "2 MB message, attachment first: the link in the last part");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "2 MB message: ended, one message");
}

/* a link cut between two BDAT chunks, and %XX cut there too */
static void test_bdat_split(struct harness *h)
{
	struct sess s;
	const char *a = "Subject: x\r\n\r\nsee http", *b = "s://bad.test/x and https://bad%2";
	const char *c = "Etest/\r\n";
	char seg[512];

	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	sess_syn(&s);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@c.test>\r\n"
		 "BDAT %zu\r\n%sBDAT %zu\r\n%sBDAT %zu LAST\r\n%s", strlen(a), a, strlen(b), b,
		 strlen(c), c);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(bad_host_alerts(h), 2, "links cut between BDAT chunks: both seen");
}

static void test_headers_not_body(struct harness *h)
{
	struct sess s2;

	/* a line that is no header (DEL in its name) starts the body: its link counts */
	h->nev = 0;
	sess_init(&s2, h, OUTSIDE, RELAY, next_port++);
	sess_syn(&s2);
	sess_send_str(&s2, "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_send_str(&s2, "Subject: x\r\nSee\x7fit: https://bad.test/u\r\n\r\n.\r\n");
	CHECK_EQ_INT(bad_host_alerts(h), 1, "a non-header line with DEL is body: its link alerts");
	h->nev = 0;
	sess_init(&s2, h, OUTSIDE, RELAY, next_port++);
	sess_syn(&s2);
	sess_send_str(&s2, "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_send_str(&s2, "From: a@outside.test\r\nsee https://bad.test/ now\r\n.\r\n");
	CHECK_EQ_INT(bad_host_alerts(h), 1, "no blank line: the first non-header line is body");

	struct sess s;

	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	sess_syn(&s);
	sess_send_str(&s, "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_send_str(&s, "List-Unsubscribe: <https://bad.test/u>\r\n\r\nhello\r\n.\r\n"
			  "MAIL FROM:<a@outside.test>\r\n");
	CHECK_EQ_INT(bad_host_alerts(h), 0, "a link in a header is not a body link");
}

/* an IPv4 bad host added and removed at run time: its other spellings go
 * and come with it */
static void test_ipv4_add_del(struct harness *h)
{
	struct sess s;
	char err[256];

	CHECK_EQ_INT(sg_policy_add_maps(&h->m, "bad-host", "198.51.100.99", err, sizeof(err)), 0,
		     "policy add bad-host 198.51.100.99");
	in_body(h, &s);
	sess_send_str(&s, "http://3325256803/x\r\n.\r\n");
	CHECK_EQ_INT(bad_host_alerts(h), 1, "the added IPv4 bad host matches as one number");
	CHECK_EQ_INT(sg_policy_del_maps(&h->m, "bad-host", "198.51.100.99", err, sizeof(err)), 0,
		     "policy del bad-host 198.51.100.99");
	in_body(h, &s);
	sess_send_str(&s, "http://3325256803/x http://0xc6.0x33.0x64.0x63/\r\n.\r\n");
	CHECK_EQ_INT(bad_host_alerts(h), 0, "after del its other spellings are gone too");
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("link tests", "need root (CAP_BPF) to load the programs");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, config_text), 0, "programs load and the policy applies"))
		return check_done();
	test_forms(&h);
	test_many_links(&h);
	test_every_split(&h);
	test_headers_not_body(&h);
	test_bdat_split(&h);
	test_big_message(&h);
	test_ipv4_add_del(&h);
	h_close(&h);
	return check_done();
}
