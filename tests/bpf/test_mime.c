// SPDX-License-Identifier: GPL-2.0
/*
 * test_mime.c - messages read as a mail client shows them, through the real
 * programs: multipart structure (quoted and bare boundaries, nesting, a
 * boundary line cut by a segment end, lookalike boundary lines), each part's
 * transfer encoding (quoted-printable soft breaks and escapes, base64 of any
 * line length, a quantum cut anywhere), parts that are skipped and counted,
 * attached messages, BDAT, and the end of data inside an encoded part.
 */
#include "unit/check.h"
#include "bpf/harness.h"

static const char *config_text = "port 25\n"
				 "internal-domain corp.example\n"
				 "bad-host bad.test\n"
				 "bad-host redir.badcdn.test\n";
#define OUTSIDE "198.51.100.9"
#define RELAY "192.0.2.25"

static __u16 next_port = 31000;

/* a session in DATA: the next bytes sent are the message */
static void in_data(struct harness *h, struct sess *s)
{
	sess_in_data(s, h, OUTSIDE, RELAY, next_port++);
}

static int bad_hosts(struct harness *h)
{
	return h_alerts(h, SG_REASON_BAD_REDIRECT_HOST, SG_WHERE_BODY);
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 of in, lines of linelen characters (0: one line), CRLF ends */
static size_t b64enc(char *out, const char *in, size_t n, int linelen)
{
	size_t o = 0, col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		q[0] = b64chars[v >> 18];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		for (int k = 0; k < 4; k++) {
			out[o++] = q[k];
			if (linelen && ++col == (size_t)linelen) {
				out[o++] = '\r';
				out[o++] = '\n';
				col = 0;
			}
		}
	}
	if (!linelen || col) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o] = 0;
	return o;
}

/* sends msg whole, then cut into two segments at every offset; returns how
 * many runs did not raise exactly want bad-host alerts */
static int every_split(struct harness *h, const char *msg, int want, const char *name)
{
	size_t len = strlen(msg);
	int bad = 0;
	struct sess s;

	for (size_t cut = 0; cut < len; cut++) {
		in_data(h, &s);
		if (cut)
			sess_send(&s, msg, cut);
		sess_send(&s, msg + cut, len - cut);
		if (bad_hosts(h) != want) {
			if (bad < 5)
				printf("# %s: cut at %zu: %d alerts, want %d\n", name, cut, bad_hosts(h),
				       want);
			bad++;
		}
	}
	return bad;
}

static void send_msg(struct harness *h, struct sess *s, const char *msg)
{
	in_data(h, s);
	sess_send_str(s, msg);
}

#define MP_HEAD "From: a@outside.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"

static void test_qp(struct harness *h)
{
	static const struct {
		const char *body, *name;
		int want;
	} cases[] = {
		{ "see https://bad.te=\r\nst/x now\r\n", "soft break inside the host", 1 },
		{ "<a href=3D\"https://bad=2Etest/\">x</a>\r\n", "=2E in the host", 1 },
		{ "<a href=3D\"https://bad=2etest/\">x</a>\r\n", "lowercase hex", 1 },
		{ "go htt=\r\nps://bad.test/\r\n", "soft break in the scheme", 1 },
		{ "go https://bad.test=  \r\n/x\r\n", "soft break after blanks", 1 },
		{ "r https://good.test/?url=3Dhttps%3A%2F%2Fbad.test%2Fp\r\n", "nested =3D url", 1 },
		{ "r https://good.test/?u=3Dhttps%3A%2F%2Fb=\r\nad.test%2Fp\r\n", "nested, soft break", 1 },
		{ "x https://bad.test.good.test/ https://notbad.test/\r\n", "lookalikes", 0 },
		{ "x https://good.test/=3D=3D and =G1 =\r\n\r\n", "escapes that are not", 0 },
		{ "x =68ttps://=62ad.test/\r\n", "every letter escaped", 1 },
		{ "<a href=3D\"https://bad.\r\ntest/\">x</a>\r\n", "a line end in a quoted link's host", 1 },
		{ "<a href=3D'https://bad.te\nst/'>x</a>\r\n", "a bare LF in a quoted link's host", 1 },
		{ "see https://bad.\r\ntest/ x\r\n", "a line end ends an unquoted link", 0 },
	};
	char msg[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sess s;

		snprintf(msg, sizeof(msg),
			 MP_HEAD "Content-Type: text/html; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s.\r\n", cases[i].body);
		send_msg(h, &s, msg);
		CHECK_EQ_INT(bad_hosts(h), cases[i].want, cases[i].name);
	}
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: text/html\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n"
		 "<p>Hello =E2=80=94 <a href=3D\"https://redir.badcdn.test/r?x=3D1\">log in</a=\r\n"
		 "> or https://bad.te=\r\nst/ or https://good.test/</p>\r\n.\r\n");
	CHECK_EQ_INT(every_split(h, msg, 2, "qp"), 0, "QP: two bad links, every split");
}

static void test_base64(struct harness *h)
{
	const char *html = "<html><body><p>Your invoice: <a href=\"https://good.test/view\">view</a>"
			   " and <a href='https://redir.badcdn.test/r/abc'>pay</a>. Or https://"
			   "good.test/?url=https%3A%2F%2Fbad.test%2F</p></body></html>\r\n";
	const int lens[] = { 76, 60, 4, 0 };
	char enc[4096], msg[8192];
	struct sess s;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char name[64];

		b64enc(enc, html, strlen(html), lens[i]);
		snprintf(msg, sizeof(msg),
			 MP_HEAD "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
			 "%s.\r\n", enc);
		send_msg(h, &s, msg);
		snprintf(name, sizeof(name), "base64, lines of %d: two bad links", lens[i]);
		CHECK_EQ_INT(bad_hosts(h), 2, name);
	}
	/* white space inside, and a link in the last quantum with padding */
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: text/plain\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
		 "aHR0c HM6Ly9i\tYWQudGVzdA==\r\n.\r\n"); /* "https://bad.test" */
	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 1, "base64: blanks inside, host in the padded quantum");
	b64enc(enc, html, strlen(html), 76);
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n%s.\r\n",
		 enc);
	CHECK_EQ_INT(every_split(h, msg, 2, "base64"), 0, "base64: every split, quanta cut anywhere");
	/* lookalikes */
	const char *look = "https://bad.test.good.test/ https://notbad.test/ bad.test\r\n";
	b64enc(enc, look, strlen(look), 76);
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%s.\r\n",
		 enc);
	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 0, "base64: lookalikes raise nothing");
}

static void test_structure(struct harness *h)
{
	struct sg_stats a, b;
	struct sg_flow f;
	char enc[2048], msg[8192];
	struct sess s;

	/* nested: mixed > alternative > (plain QP, html base64), then a pdf */
	const char *html = "<a href=\"https://bad.test/login\">Sign in</a>\r\n";
	b64enc(enc, html, strlen(html), 76);
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: multipart/mixed;\r\n\tboundary=\"==outer 1==\"\r\n\r\n"
		 "This is a multi-part message in MIME format.\r\n"
		 "--==outer 1==\r\nContent-Type: multipart/alternative; boundary=inner_2\r\n\r\n"
		 "--inner_2\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n\r\nSign in at the link.=\r\n\r\n"
		 "--inner_2\r\ncontent-type: TEXT/HTML\r\ncontent-transfer-encoding: base64\r\n\r\n%s"
		 "--inner_2--\r\n\r\n--==outer 1==\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKaHR0cHM6Ly9iYWQudGVzdC8K\r\n"
		 "https://bad.test/in-the-pdf\r\n--==outer 1==--\r\nepilogue https://bad.test/\r\n.\r\n",
		 enc);
	h_stats(h, &a);
	send_msg(h, &s, msg);
	h_stats(h, &b);
	CHECK_EQ_INT(bad_hosts(h), 1, "nested multipart: the html part's link, not the pdf's");
	CHECK_EQ_INT(b.mime_parts - a.mime_parts, 4, "nested multipart: four parts");
	CHECK_EQ_INT(b.mime_parts_skipped - a.mime_parts_skipped, 1, "the pdf is skipped");
	CHECK(b.mime_bytes_skipped - a.mime_bytes_skipped > 60, "skipped bytes are counted");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "nested multipart: the message ended");
	CHECK_EQ_INT(every_split(h, msg, 1, "nested"), 0, "nested multipart, every split");

	/* a line that only starts like the boundary does not end the part */
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
		 "Content-Type: application/zip\r\n\r\nUEsDB\r\n--b1x\r\n\r\nhttps://bad.test/\r\n"
		 "--b1 \r\nContent-Type: text/plain\r\n\r\nhttps://redir.badcdn.test/\r\n--b1--\r\n.\r\n");
	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 1, "--b1x is no boundary; --b1 with a blank after is");

	/* no boundary parameter: read as text, counted */
	h_stats(h, &a);
	send_msg(h, &s, MP_HEAD "Content-Type: multipart/mixed\r\n\r\nhttps://bad.test/\r\n.\r\n");
	h_stats(h, &b);
	CHECK_EQ_INT(bad_hosts(h), 1, "multipart without boundary: read as text");
	CHECK_EQ_INT(b.mime_errors - a.mime_errors, 1, "multipart without boundary: counted");

	/* an image part is skipped; a link in its bytes is not read */
	send_msg(h, &s, MP_HEAD "Content-Type: multipart/related; boundary=\"r\"\r\n\r\n--r\r\n"
			       "Content-Type: image/png\r\n\r\nhttps://bad.test/ in a png\r\n--r--\r\n.\r\n");
	CHECK_EQ_INT(bad_hosts(h), 0, "an image part is not read");

	/* an attached message: its From: is not this message's; its links count */
	send_msg(h, &s, "From: a@outside.test\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
			"--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--m\r\n"
			"Content-Type: message/rfc822\r\n\r\nFrom: ceo@corp.example\r\nSubject: fwd\r\n"
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
			"https://bad=2Etest/\r\n--m--\r\n.\r\n");
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_HEADER_FROM), 0,
		     "an attached message's From: raises nothing");
	CHECK_EQ_INT(bad_hosts(h), 1, "an attached message's QP body is read");

	/* a part's headers say From: too: nothing */
	send_msg(h, &s, "From: a@outside.test\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
			"--m\r\nFrom: ceo@corp.example\r\n\r\nhi\r\n--m--\r\n.\r\n");
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1), 0,
		     "a From: among a part's headers raises nothing");
}

/* HTML sent as it is (7bit): a browser drops CR and LF inside a quoted
 * link, so a host cut by a line end there is still one host */
static void test_html_as_sent(struct harness *h)
{
	char msg[2048];
	struct sess s;

	send_msg(h, &s, MP_HEAD "Content-Type: text/html\r\n\r\n<a href=\"https://bad.\r\ntest/x\">"
			       "pay</a>\r\n.\r\n");
	CHECK_EQ_INT(bad_hosts(h), 1, "7bit HTML: a line end inside a quoted link's host");
	send_msg(h, &s, MP_HEAD "Content-Type: text/plain\r\n\r\n\"https://bad.\r\ntest/x\"\r\n.\r\n");
	CHECK_EQ_INT(bad_hosts(h), 0, "plain text: a line end ends the link");
	send_msg(h, &s, MP_HEAD "Content-Type: text/html\r\n\r\n<p>a=b and https://good.test/</p>\r\n"
			       "..<a href='https://redir.badcdn.test/'>x</a>\r\n.\r\n");
	CHECK_EQ_INT(bad_hosts(h), 1, "7bit HTML: '=' is content, a dot-stuffed line is read");
	snprintf(msg, sizeof(msg),
		 MP_HEAD "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\n"
		 "Content-Type: text/plain\r\n\r\nhttps://good.test/\r\n--a\r\n"
		 "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
		 "<a\r\n href=\"https://bad.te\r\nst/\">x</a> <a href=https://redir.badcdn.test>y</a>\r\n"
		 "--a--\r\n.\r\n");
	CHECK_EQ_INT(every_split(h, msg, 2, "html"), 0, "8bit HTML part: two bad links, every split");
}

/* A link parameter's value without a dot is matched only when some bad host
 * has one label: the policy says so in sg_config (bad_one_label), also when
 * such a host is added at run time. */
static void test_one_label(struct harness *h)
{
	struct sg_config c;
	struct sess s;
	__u32 zero = 0;
	const char *msg = MP_HEAD "Content-Type: text/html\r\nContent-Transfer-Encoding: "
			  "quoted-printable\r\n\r\n<a href=3D\"https://r.good.test/?to=3Dbadbox&id=3D1\">"
			  "x</a>\r\n.\r\n";

	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 0, "?to=badbox with no such bad host: nothing");
	CHECK(bpf_map_lookup_elem(h->m.config, &zero, &c) == 0 && c.bad_one_label == 0,
	      "no one-label bad host: bad_one_label is 0");
	CHECK_EQ_INT(h_apply(h, "port 25\nbad-host bad.test\nbad-host badbox\n"), 0,
		     "a policy with a one-label bad host applies");
	CHECK(bpf_map_lookup_elem(h->m.config, &zero, &c) == 0 && c.bad_one_label == 1,
	      "a one-label bad host: bad_one_label is 1");
	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 1, "?to=badbox with bad-host badbox: one alert");
	/* the emergency path: `policy add bad-host badbox` */
	h_apply(h, config_text);
	{
		char err[256];

		CHECK_EQ_INT(sg_policy_add_maps(&h->m, "bad-host", "badbox", err, sizeof(err)), 0,
			     "policy add bad-host badbox");
	}
	CHECK(bpf_map_lookup_elem(h->m.config, &zero, &c) == 0 && c.bad_one_label == 1,
	      "policy add of a one-label bad host sets bad_one_label");
	send_msg(h, &s, msg);
	CHECK_EQ_INT(bad_hosts(h), 1, "?to=badbox after policy add: one alert");
	h_apply(h, config_text);
}

/* fifty good links and one bad in a base64 part and a QP part */
static void test_fifty(struct harness *h)
{
	static char html[8192], enc[12288], msg[16384];
	struct sg_stats a, b;
	size_t o = 0;
	struct sess s;

	for (int i = 0; i < 50; i++)
		o += snprintf(html + o, sizeof(html) - o,
			      "<a href=\"https://www%d.good%d.test/p?id=%d&u=https%%3A%%2F%%2Fok%d.test\">%d</a>\r\n",
			      i, i % 7, i, i, i);
	o += snprintf(html + o, sizeof(html) - o, "<a href=\"https://redir.badcdn.test/x\">pay</a>\r\n");
	b64enc(enc, html, o, 76);
	snprintf(msg, sizeof(msg), MP_HEAD "Content-Type: text/html\r\nContent-Transfer-Encoding: base64"
		 "\r\n\r\n%s.\r\n", enc);
	h_stats(h, &a);
	in_data(h, &s);
	for (size_t off = 0, len = strlen(msg); off < len; off += 1448)
		sess_send(&s, msg + off, len - off < 1448 ? len - off : 1448);
	h_stats(h, &b);
	CHECK_EQ_INT(bad_hosts(h), 1, "base64: fifty good links and one bad: one alert");
	CHECK_EQ_INT(b.urls - a.urls, 51, "base64: fifty-one links seen");
	/* the same HTML as QP: every '=' escaped, soft breaks at 76 */
	{
		size_t q = 0, col = 0;

		q += snprintf(msg, sizeof(msg), MP_HEAD "Content-Type: text/html\r\n"
			      "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		for (size_t i = 0; i < o; i++) {
			if (html[i] == '\r' || html[i] == '\n') {
				msg[q++] = html[i];
				col = 0;
				continue;
			}
			if (col > 72) {
				q += sprintf(msg + q, "=\r\n");
				col = 0;
			}
			if (html[i] == '=') {
				q += sprintf(msg + q, "=3D");
				col += 3;
			} else {
				msg[q++] = html[i];
				col++;
			}
		}
		q += sprintf(msg + q, ".\r\n");
		h_stats(h, &a);
		in_data(h, &s);
		for (size_t off = 0; off < q; off += 1448)
			sess_send(&s, msg + off, q - off < 1448 ? q - off : 1448);
		h_stats(h, &b);
		CHECK_EQ_INT(bad_hosts(h), 1, "QP: fifty good links and one bad: one alert");
		CHECK_EQ_INT(b.urls - a.urls, 51, "QP: fifty-one links seen");
	}
}

/* a skipped part of lines of every length from 0 to 40 (line starts fall
 * everywhere in the word test), dot-stuffed and dash lines among them, cut
 * at every offset: its boundary and the link after it are always found */
static void test_skip_lines(struct harness *h)
{
	static char msg[4096];
	size_t o = 0;

	o += sprintf(msg + o, MP_HEAD "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
			      "Content-Type: application/octet-stream\r\n\r\n");
	for (int l = 0; l <= 40; l++) {
		if (l == 7)
			o += sprintf(msg + o, "..stuffed https://bad.test/\r\n-- not a boundary\r\n");
		for (int i = 0; i < l; i++)
			msg[o++] = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"[i % 35];
		o += sprintf(msg + o, l % 5 == 4 ? "\n" : "\r\n");
	}
	o += sprintf(msg + o, "--b\r\nContent-Type: text/plain\r\n\r\nhttps://redir.badcdn.test/\r\n"
			      "--b--\r\n.\r\n");
	CHECK_EQ_INT(every_split(h, msg, 1, "skip lines"), 0,
		     "a skipped part of lines 0-40 long, every split: the link after it, once");
}

/* the end of data right after a skipped line (an epilogue, a preamble, a
 * part not read) of every length 1-40: a line whose CR is the last byte of
 * an 8-byte word was read as ending in a bare LF, and the end of data after
 * it as a bare-LF dot line (a stream anomaly: under block, a false block) */
static void test_skip_end(struct harness *h)
{
	static const char *where[] = {
		MP_HEAD "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
		"Content-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",  /* epilogue */
		MP_HEAD "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
		"Content-Type: application/pdf\r\n\r\n",             /* a part, unclosed */
		MP_HEAD "Content-Type: multipart/mixed; boundary=b\r\n\r\n", /* preamble */
	};
	int bad = 0;

	for (int w = 0; w < 3; w++) {
		for (int l = 1; l <= 40; l++) {
			char msg[512];
			struct sg_flow f;
			struct sess s;
			int o = snprintf(msg, sizeof(msg), "%s", where[w]);

			for (int i = 0; i < l; i++)
				msg[o++] = "Bye all, see you"[i % 16];
			snprintf(msg + o, sizeof(msg) - o, "\r\n.\r\n");
			in_data(h, &s);
			h->nev = 0;
			sess_send_str(&s, msg);
			if (sess_flow(&s, &f) || f.messages != 1 || h->nev) {
				if (!bad++)
					printf("# skip end: place %d, last line of %d bytes: %u messages, "
					       "%d events\n", w, l, f.messages, h->nev);
			}
		}
	}
	CHECK_EQ_INT(bad, 0, "the end of data after a skipped line of every length 1-40, "
			     "in an epilogue, an unclosed part and a preamble: no anomaly");
}

/* the end of data inside encoded parts: the message ends there, and the
 * session's next message is read from its headers */
static void test_end_of_data(struct harness *h)
{
	struct sg_flow f;
	struct sess s;

	in_data(h, &s);
	sess_send_str(&s, MP_HEAD "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
			  "aGVsbG8K\r\n.\r\nMAIL FROM:<x@outside.test>\r\nRCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_reply(&s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	sess_send_str(&s, "From: ceo@corp.example\r\n\r\nhttps://bad.test/\r\n.\r\n");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 2, "base64 part, end of data: two messages");
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_HEADER_FROM), 1,
		     "the next message's From: is read");
	CHECK_EQ_INT(bad_hosts(h), 1, "the next message's body is read as text");

	/* the end of data right after a QP soft break, split before the dot */
	in_data(h, &s);
	sess_send_str(&s, MP_HEAD "Content-Transfer-Encoding: quoted-printable\r\n\r\nx https://bad.test=\r\n");
	sess_send_str(&s, ".\r\n");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "QP: end of data after a soft break");
	CHECK_EQ_INT(bad_hosts(h), 1, "QP: the host open at the end of data is matched");

	/* dot-stuffed lines inside a QP part are content, a bare-LF dot is not the end */
	in_data(h, &s);
	sess_send_str(&s, MP_HEAD "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
			  "..hidden\r\n.\nhttps://bad.test/\r\n.\r\n");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1, "QP: one message over dot lines");
	CHECK_EQ_INT(bad_hosts(h), 1, "QP: the link after a bare-LF dot line is read");
}

/* More part switches in one segment than tail calls allow: the rest of the
 * message is read for its end only, and the commands after it are read. */
static void test_tail_budget(struct harness *h)
{
	static char seg[3000];
	struct sg_stats a, b;
	struct sg_flow f;
	size_t o = 0;
	struct sess s;

	o += sprintf(seg + o, MP_HEAD "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < 24; i++)
		o += sprintf(seg + o, "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx%d\r\n", i);
	o += sprintf(seg + o, "--b--\r\n.\r\nMAIL FROM:<ceo@corp.example>\r\n");
	h_stats(h, &a);
	in_data(h, &s);
	sess_send(&s, seg, o);
	h_stats(h, &b);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM), 1,
		     "24 QP parts in one segment: the MAIL FROM after the message is read");
	CHECK(b.messages_unread > a.messages_unread, "past the tail calls: counted as messages_unread");
	CHECK(sess_flow(&s, &f) == 0 && f.messages == 1 && f.phase == SG_PHASE_COMMAND,
	      "24 QP parts in one segment: the message ended");
}

/* a base64 part in BDAT chunks cut inside quanta */
static void test_bdat(struct harness *h)
{
	const char *text = "please pay at https://redir.badcdn.test/x today\r\n";
	char enc[512], body[1024], seg[2048];
	size_t n, a, b;
	struct sess s;

	b64enc(enc, text, strlen(text), 20);
	n = snprintf(body, sizeof(body), MP_HEAD "Content-Type: text/plain\r\n"
			    "Content-Transfer-Encoding: base64\r\n\r\n%s", enc);
	a = n - strlen(enc) + 7;
	b = a + 22;
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	sess_syn(&s);
	snprintf(seg, sizeof(seg), "MAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\n"
		 "BDAT %zu\r\n%.*sBDAT %zu\r\n%.*sBDAT %zu LAST\r\n%s", a, (int)a, body, b - a,
		 (int)(b - a), body + a, n - b, body + b);
	sess_send_str(&s, seg);
	CHECK_EQ_INT(bad_hosts(h), 1, "base64 in BDAT chunks cut inside quanta");
}

/* 2 MB: the attachment first, the bad link in the last (QP) text part */
static void test_big(struct harness *h)
{
	static char msg[2200000];
	struct sg_stats a, b;
	size_t o = 0;
	struct sess s;

	o += sprintf(msg + o, MP_HEAD "Content-Type: multipart/mixed; boundary=\"----=_Part_1\"\r\n\r\n"
			      "------=_Part_1\r\nContent-Type: application/octet-stream\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\n");
	srand(7);
	while (o < 2000000) {
		for (int i = 0; i < 76; i++)
			msg[o++] = b64chars[rand() % 64];
		msg[o++] = '\r';
		msg[o++] = '\n';
	}
	o += sprintf(msg + o, "------=_Part_1\r\nContent-Type: text/html; charset=utf-8\r\n"
			      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
			      "<a href=3D\"https://redir.bad=\r\ncdn.test/doc\">review</a>\r\n"
			      "------=_Part_1--\r\n.\r\n");
	h_stats(h, &a);
	in_data(h, &s);
	for (size_t off = 0; off < o; off += 1448)
		sess_send(&s, msg + off, o - off < 1448 ? o - off : 1448);
	h_stats(h, &b);
	CHECK_EQ_INT(bad_hosts(h), 1, "2 MB, attachment first: the link in the last QP part");
	CHECK(b.mime_bytes_skipped - a.mime_bytes_skipped > 1990000, "2 MB: the attachment's bytes counted as skipped");
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("mime tests", "need root (CAP_BPF) to load the programs");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, config_text), 0, "programs load and the policy applies"))
		return check_done();
	test_qp(&h);
	test_base64(&h);
	test_structure(&h);
	test_html_as_sent(&h);
	test_one_label(&h);
	test_fifty(&h);
	test_skip_lines(&h);
	test_end_of_data(&h);
	test_skip_end(&h);
	test_bdat(&h);
	test_tail_budget(&h);
	test_big(&h);
	h_close(&h);
	return check_done();
}
