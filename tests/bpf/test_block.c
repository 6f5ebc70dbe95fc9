// SPDX-License-Identifier: GPL-2.0
/*
 * test_block.c - what a source has done decides what it may do, on the real
 * programs through BPF_PROG_TEST_RUN, with policy time set by the test (the
 * clock replay uses): rate-limit over a sliding minute (alert, block, off,
 * recipients counted), quarantine after blocked sessions (SYNs dropped, the
 * entry carried over by policy apply, gone when its time is up or when the
 * admin deletes it), blocked-source expiry (an expired entry does not hide
 * a shorter one in force), the per-CPU memo of blocked sources (used for
 * the source and its /24 | /64, void at once when a block is taken away),
 * and fail-closed for sessions smtpguard cannot follow.
 */
#include <time.h>

#include "unit/check.h"
#include "bpf/harness.h"

#define OUTSIDE "198.51.100.7"
#define OUTSIDE6 "2001:db8:bad::7"
#define PARTNER "203.0.113.5"
#define RELAY "192.0.2.25"
#define RELAY6 "2001:db8:25::25"
#define SEC 1000000000ULL

static __u16 next_port = 30000;
static __u64 t0;

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SEC + (__u64)ts.tv_nsec;
}

static void session(struct harness *h, struct sess *s, const char *src)
{
	sess_init(s, h, src, strchr(src, ':') ? RELAY6 : RELAY, next_port++);
	sess_syn(s);
	sess_send_str(s, "EHLO mail.example.net\r\n");
	sess_reply(s, "220 relay ESMTP\r\n250 relay\r\n");
}

/* One message in the session; the verdict on the segment holding its end
 * of data (XDP_PASS with *rst set when it became a RST to the server). */
static int message(struct sess *s, const char *from, int *rst)
{
	__u8 out[PKT_MAX];
	__u32 outlen = 0;
	__u32 eod_seq;
	char cmd[256];
	int v;

	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\nRCPT TO:<b@corp.example>\r\n"
		 "RCPT TO:<c@corp.example>\r\nDATA\r\n", from);
	*rst = 0;
	v = sess_send_str(s, cmd);
	if (v != XDP_PASS)
		return v;
	sess_reply(s, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	eod_seq = s->seq;
	v = sess_send_out(s, "Subject: hi\r\n\r\nhello\r\n.\r\n", out, &outlen);
	*rst = v == XDP_PASS && h_is_rst(out, outlen, eod_seq);
	if (v == XDP_PASS && !*rst)
		sess_reply(s, "250 queued\r\n");
	return v;
}

static const struct sg_event *last_event(struct harness *h, int reason)
{
	for (int i = h->nev - 1; i >= 0; i--)
		if (h->ev[i].reason == reason)
			return &h->ev[i];
	return NULL;
}

static void test_rate_block(struct harness *h)
{
	const struct sg_event *ev;
	struct sg_source src;
	struct sess s;
	int rst, i, passed = 0;

	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\ntrusted-net 203.0.113.0/24\n"
				"rate-limit 3/min\naction rate_exceeded block\n"), 0,
		     "rate block: policy");
	h_clock(h, t0);
	h->nev = 0;
	/* a trusted source is limited too: the hijacked-server case */
	session(h, &s, PARTNER);
	for (i = 0; i < 3; i++)
		passed += message(&s, "ceo@corp.example", &rst) == XDP_PASS && !rst;
	CHECK_EQ_INT(passed, 3, "rate block: the first 3 messages of a minute pass");
	CHECK_EQ_INT(h->nev, 0, "rate block: no alert for them");
	h_clock(h, t0 + 10 * SEC);
	CHECK(message(&s, "ceo@corp.example", &rst) == XDP_PASS && rst,
	      "rate block: the 4th message's end of data becomes a RST to the server");
	ev = last_event(h, SG_REASON_RATE_EXCEEDED);
	CHECK(ev && ev->action == SG_ACTION_BLOCK && ev->count == 4 && ev->limit == 3 &&
	      ev->where == SG_WHERE_NONE, "rate block: alert blocked, 4 messages, limit 3");
	CHECK_EQ_INT(sess_send_str(&s, "QUIT\r\n"), XDP_DROP,
		     "rate block: the rest of that session is dropped");
	session(h, &s, PARTNER);
	CHECK(message(&s, "x@partner.example", &rst) == XDP_PASS && rst,
	      "rate block: a new session in the same minute is blocked at its message's end");
	CHECK(!h_source(h, PARTNER, &src) && src.win_messages == 3 && src.rate_exceeded == 2 &&
	      src.messages == 5 && src.win_recipients == 10,
	      "rate block: sg_sources: 3 in the minute (blocked ones not), 2 over, 5 seen, "
	      "10 recipients in the minute");
	CHECK_EQ_INT(H_STAT(h, rate_exceeded), 2, "rate block: counter rate_exceeded");

	/* a minute later the sliding minute still holds most of the last one:
	 * 1 s into the new minute, 3 x 59/60 of it counts (2), so one more
	 * passes and the next does not */
	h_clock(h, t0 + 61 * SEC);
	session(h, &s, PARTNER);
	CHECK(message(&s, "x@partner.example", &rst) == XDP_PASS && !rst,
	      "rate block: sliding minute: 1 + 2.95 of the last minute passes");
	CHECK(message(&s, "x@partner.example", &rst) == XDP_PASS && rst,
	      "rate block: sliding minute: 2 + 2.95 is over 3: blocked");
	/* after two quiet minutes the count starts afresh */
	h_clock(h, t0 + 300 * SEC);
	session(h, &s, PARTNER);
	passed = 0;
	for (i = 0; i < 3; i++)
		passed += message(&s, "x@partner.example", &rst) == XDP_PASS && !rst;
	CHECK_EQ_INT(passed, 3, "rate block: after a quiet spell, 3 pass again");
	/* another source has its own minute */
	session(h, &s, OUTSIDE);
	CHECK(message(&s, "x@outside.test", &rst) == XDP_PASS && !rst,
	      "rate block: another source is not limited by this one's count");
}

static void test_rate_alert(struct harness *h)
{
	const struct sg_event *ev;
	struct sess s;
	int rst, i, passed = 0;

	CHECK_EQ_INT(h_apply(h, "rate-limit 2/min\n"), 0, "rate alert: policy");
	h_clock(h, t0 + 1000 * SEC);
	h->nev = 0;
	session(h, &s, "198.51.100.20");
	for (i = 0; i < 4; i++)
		passed += message(&s, "x@outside.test", &rst) == XDP_PASS && !rst;
	CHECK_EQ_INT(passed, 4, "rate alert: every message passes");
	ev = last_event(h, SG_REASON_RATE_EXCEEDED);
	CHECK(h_alerts(h, SG_REASON_RATE_EXCEEDED, -1) == 2 && ev &&
	      ev->action == SG_ACTION_ALERT && ev->count == 4 && ev->limit == 2,
	      "rate alert: the 3rd and 4th are said (allowed), the last as 4 of 2");

	CHECK_EQ_INT(h_apply(h, "rate-limit 2/min\naction rate_exceeded off\n"), 0,
		     "rate off: policy");
	h->nev = 0;
	session(h, &s, "198.51.100.21");
	for (i = 0; i < 4; i++)
		message(&s, "x@outside.test", &rst);
	CHECK_EQ_INT(h->nev, 0, "rate off: no alert");
	CHECK_EQ_INT(h_apply(h, "action rate_exceeded block\n"), 0, "no rate-limit: policy");
	session(h, &s, "198.51.100.22");
	passed = 0;
	for (i = 0; i < 5; i++)
		passed += message(&s, "x@outside.test", &rst) == XDP_PASS && !rst;
	CHECK(passed == 5 && h->nev == 0, "no rate-limit: nothing limited");
}

/* a session from src whose forged sender is blocked; 1 if the segment
 * with it became a RST to the server */
static int forged_in(struct sess *s)
{
	__u8 out[PKT_MAX];
	__u32 outlen = 0, seq = s->seq;

	if (sess_send_out(s, "MAIL FROM:<ceo@corp.example>\r\n", out, &outlen) != XDP_PASS)
		return 0;
	/* h_is_rst reads IPv4 frames; an IPv6 one is a RST if its payload is gone */
	if (s->ps.v6)
		return outlen == 14 + 40 + 20 && (out[14 + 40 + 13] & 0x04);
	return h_is_rst(out, outlen, seq);
}

static int forged(struct harness *h, const char *src)
{
	struct sess s;

	session(h, &s, src);
	return forged_in(&s);
}

static int syn_verdict(struct harness *h, const char *src)
{
	struct sess s;

	sess_init(&s, h, src, strchr(src, ':') ? RELAY6 : RELAY, next_port++);
	return sess_syn(&s);
}

static size_t quarantined(struct harness *h, char *text, size_t len)
{
	struct sg_quarantined *q;
	size_t n;

	if (sg_quarantine_read(&h->m, &q, &n))
		return (size_t)-1;
	if (n && text)
		snprintf(text, len, "%s", q[0].text);
	free(q);
	return n;
}

static void test_quarantine(struct harness *h)
{
	static const char *conf = "internal-domain corp.example\n"
				  "action spoofed_internal_domain block\n"
				  "quarantine 2/10m for 1h\n";
	const struct sg_event *ev;
	struct sg_policy pol;
	char text[64] = "";
	__u64 t = t0 + 5000 * SEC;

	CHECK_EQ_INT(h_apply(h, conf), 0, "quarantine: policy");
	h_clock(h, t);
	h->nev = 0;
	CHECK(forged(h, OUTSIDE), "quarantine: a forged sender is blocked");
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE), XDP_PASS, "quarantine: after 1 block, SYNs pass");
	h_clock(h, t + 11 * 60 * SEC);
	CHECK(forged(h, OUTSIDE), "quarantine: a second block, 11 minutes later");
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE), XDP_PASS,
		     "quarantine: 2 blocks not within 10 minutes: SYNs still pass");
	h_clock(h, t + 12 * 60 * SEC);
	CHECK(forged(h, OUTSIDE), "quarantine: a third block, 1 minute after the second");
	ev = last_event(h, SG_REASON_SOURCE_QUARANTINED);
	CHECK(ev && ev->action == SG_ACTION_BLOCK && ev->count == 2 && ev->limit == 3600,
	      "quarantine: event: source_quarantined, blocked, 2 sessions, 3600 s");
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE), XDP_DROP, "quarantine: its SYNs are dropped");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.8"), XDP_PASS,
		     "quarantine: another address's SYNs pass");
	CHECK(quarantined(h, text, sizeof(text)) == 1 && !strcmp(text, "198.51.100.7/32"),
	      "quarantine: status lists 198.51.100.7/32");
	CHECK_EQ_INT(H_STAT(h, quarantines), 1, "quarantine: counter quarantines");
	/* an emergency policy apply keeps it; the policy itself does not hold it */
	CHECK_EQ_INT(h_apply(h, conf), 0, "quarantine: policy applied again");
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE), XDP_DROP, "quarantine: kept across policy apply");
	sg_policy_read_maps(&h->m, &pol);
	CHECK(pol.n_blocked_sources == 0 && pol.quarantine_blocks == 2 &&
	      pol.quarantine_within_s == 600 && pol.quarantine_for_s == 3600,
	      "quarantine: policy show: no blocked-source entry, quarantine 2/600s for 3600s");
	sg_policy_free(&pol);
	/* its time is up: SYNs pass and the entry is gone */
	h_clock(h, t + (12 * 60 + 3601) * SEC);
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE), XDP_PASS, "quarantine: over after an hour");
	CHECK_EQ_INT(quarantined(h, NULL, 0), 0, "quarantine: none left");

	/* the admin lets it go early; IPv6 sources are quarantined as /128 */
	CHECK(forged(h, OUTSIDE6) && forged(h, OUTSIDE6), "quarantine: IPv6: 2 blocks");
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE6), XDP_DROP, "quarantine: IPv6: SYNs dropped");
	CHECK(quarantined(h, text, sizeof(text)) == 1 && !strcmp(text, "2001:db8:bad::7/128"),
	      "quarantine: IPv6: status lists the /128");
	{
		char err[256];
		struct sg_config c;
		__u32 zero = 0;

		CHECK_EQ_INT(sg_policy_del_maps(&h->m, "blocked-source", "2001:db8:bad::7/128", err,
						sizeof(err)), 0,
			     "quarantine: policy del blocked-source releases it");
		bpf_map_lookup_elem(h->m.config, &zero, &c);
		CHECK_EQ_INT(c.blocked_sources, 0, "quarantine: the policy's count is untouched");
	}
	CHECK_EQ_INT(syn_verdict(h, OUTSIDE6), XDP_PASS, "quarantine: released: SYNs pass");
	/* the admin blocks an address whose sessions were open already: their
	 * blocks leave its entry the policy's, not a quarantine that ends */
	{
		struct sess a, b;
		char err[256];

		session(h, &a, "198.51.100.11");
		session(h, &b, "198.51.100.11");
		CHECK_EQ_INT(sg_policy_add_maps(&h->m, "blocked-source", "198.51.100.11/32", err,
						sizeof(err)), 0,
			     "quarantine: policy add blocked-source of a source with open sessions");
		CHECK(forged_in(&a) && forged_in(&b),
		      "quarantine: its open sessions blocked twice (a quarantine's count)");
		CHECK_EQ_INT(quarantined(h, NULL, 0), 0,
			     "quarantine: none made over the policy's own entry");
		h_clock(h, t + 5 * 3600 * SEC);
		CHECK_EQ_INT(syn_verdict(h, "198.51.100.11"), XDP_DROP,
			     "quarantine: the policy's block outlasts the quarantine's hour");
		CHECK_EQ_INT(sg_policy_del_maps(&h->m, "blocked-source", "198.51.100.11/32", err,
						sizeof(err)), 0,
			     "quarantine: the policy's entry is still there to delete");
	}
	/* without the directive, blocks quarantine nobody */
	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\n"
				"action spoofed_internal_domain block\n"), 0,
		     "no quarantine: policy");
	CHECK(forged(h, "198.51.100.9") && forged(h, "198.51.100.9") && forged(h, "198.51.100.9"),
	      "no quarantine: 3 blocks");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.9"), XDP_PASS, "no quarantine: SYNs pass");
}

static void test_blocked_expiry(struct harness *h)
{
	__u64 now = mono_ns();

	CHECK_EQ_INT(h_apply(h, "blocked-source 198.51.100.30/32 for 10m\n"
				"blocked-source 198.51.100.31/32\n"), 0, "blocked-source: policy");
	h_clock(h, now);
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.30"), XDP_DROP, "blocked-source for 10m: dropped");
	h_clock(h, now + 599 * SEC);
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.30"), XDP_DROP,
		     "blocked-source for 10m: still dropped after 9:59");
	h_clock(h, now + 601 * SEC);
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.30"), XDP_PASS,
		     "blocked-source for 10m: passes after 10:01");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.31"), XDP_DROP,
		     "blocked-source without a time: still dropped");
}

/* Takes a blocked-source entry out of the trie behind the policy's back
 * (cfg->blocked_epoch does not move): a SYN still dropped after it was
 * dropped by the memo (bpf/blocked.h). */
static int trie_delete(struct harness *h, const char *cidr)
{
	struct sg_lpm_key k = { 0 };
	struct sg_config c;
	__u32 zero = 0, mapped, config_prefix;
	char err[128];

	if (sg_prefix_parse(cidr, &k.addr, &mapped, &config_prefix, err, sizeof(err)) ||
	    bpf_map_lookup_elem(h->m.config, &zero, &c))
		return -1;
	k.prefixlen = 32 + mapped;
	k.gen = c.generation;
	return bpf_map_delete_elem(h->m.blocked_src, &k) ? -errno : 0;
}

struct syn_case {
	const char *src;
	int verdict;
	const char *what;
};

static void syn_cases(struct harness *h, const struct syn_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(syn_verdict(h, c[i].src), c[i].verdict, c[i].what);
}

static void test_blocked_memo(struct harness *h)
{
	static const struct syn_case first[] = {
		{ "10.1.2.3", XDP_DROP, "memo: a SYN from a blocked /16: dropped" },
		{ "198.51.100.50", XDP_DROP, "memo: from a blocked /32: dropped" },
		{ "203.0.113.7", XDP_DROP, "memo: from a blocked /25: dropped" },
		{ "2001:db8:b0:1::5", XDP_DROP, "memo: from a blocked IPv6 /48: dropped" },
		{ "198.51.100.60", XDP_DROP, "memo: 198.51.100.60 dropped" },
	};
	/* with the entries gone from the trie, what is still dropped was
	 * remembered: the source, or its /24 | /64 when one entry covers it */
	static const struct syn_case remembered[] = {
		{ "10.1.2.3", XDP_DROP, "memo: the same source again: dropped by the memo" },
		{ "10.1.2.99", XDP_DROP, "memo: another source of that /24: dropped by the memo" },
		{ "10.1.3.1", XDP_PASS, "memo: a source of another /24 asks the trie: passes" },
		{ "198.51.100.50", XDP_DROP, "memo: the /32's source: dropped by the memo" },
		{ "198.51.100.51", XDP_PASS, "memo: a /32 says nothing of its /24: its neighbour passes" },
		{ "203.0.113.7", XDP_DROP, "memo: the /25's source: dropped by the memo" },
		{ "203.0.113.200", XDP_PASS,
		  "memo: a /25 does not cover its /24: another source of it passes" },
		{ "2001:db8:b0:1::77", XDP_DROP,
		  "memo: IPv6: another source of that /64: dropped by the memo" },
		{ "2001:db8:b0:2::1", XDP_PASS, "memo: IPv6: a source of another /64 passes" },
	};
	char err[256];

	CHECK_EQ_INT(h_apply(h, "blocked-source 10.1.0.0/16\n"
				"blocked-source 198.51.100.50/32\n"
				"blocked-source 198.51.100.60/32\n"
				"blocked-source 203.0.113.0/25\n"
				"blocked-source 2001:db8:b0::/48\n"), 0, "memo: policy");
	syn_cases(h, first, sizeof(first) / sizeof(first[0]));
	CHECK(!trie_delete(h, "10.1.0.0/16") && !trie_delete(h, "198.51.100.50/32") &&
	      !trie_delete(h, "203.0.113.0/25") && !trie_delete(h, "2001:db8:b0::/48"),
	      "memo: four entries taken out of the trie behind the policy's back");
	syn_cases(h, remembered, sizeof(remembered) / sizeof(remembered[0]));
	/* the admin takes a block away: every memo is void at once */
	CHECK_EQ_INT(sg_policy_del_maps(&h->m, "blocked-source", "198.51.100.60/32", err,
					sizeof(err)), 0, "memo: policy del blocked-source 198.51.100.60/32");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.60"), XDP_PASS,
		     "memo: policy del: the next SYN of the source passes");
	CHECK_EQ_INT(syn_verdict(h, "10.1.2.3"), XDP_PASS,
		     "memo: policy del voids the other memos too (the trie decides again)");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.50"), XDP_PASS,
		     "memo: policy del voids the /32's memo too");
	/* a policy apply is a new generation: the same */
	CHECK_EQ_INT(h_apply(h, "blocked-source 198.51.100.70/32\n"), 0, "memo: policy applied");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.70"), XDP_DROP, "memo: 198.51.100.70 dropped");
	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\n"), 0,
		     "memo: a policy without it applied");
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.70"), XDP_PASS,
		     "memo: after policy apply without it, its SYN passes");
}

/* An entry whose time is up must not hide a shorter one still in force:
 * the trie answers with the longest match only. */
static void test_blocked_shadow(struct harness *h)
{
	__u64 now = mono_ns();

	CHECK_EQ_INT(h_apply(h, "blocked-source 198.51.100.0/24\n"
				"blocked-source 198.51.100.40/32 for 10m\n"
				"blocked-source 203.0.113.0/24 for 20m\n"
				"blocked-source 203.0.113.0/25 for 10m\n"
				"blocked-source 203.0.113.7/32 for 5m\n"), 0, "shadow: policy");
	h_clock(h, now + 601 * SEC);
	CHECK_EQ_INT(syn_verdict(h, "198.51.100.40"), XDP_DROP,
		     "shadow: a /32 for 10m, after 10:01: still dropped by its blocked /24");
	h_clock(h, now + 11 * 60 * SEC);
	CHECK_EQ_INT(syn_verdict(h, "203.0.113.7"), XDP_DROP,
		     "shadow: /32 and /25 over, the /24 in force: dropped");
	h_clock(h, now + 21 * 60 * SEC);
	CHECK_EQ_INT(syn_verdict(h, "203.0.113.7"), XDP_PASS, "shadow: all three over: passes");
	CHECK_EQ_INT(syn_verdict(h, "203.0.113.200"), XDP_PASS,
		     "shadow: the /24 over: another of its sources passes");
}

static void test_fail_closed(struct harness *h)
{
	struct sg_policy pol;
	struct sess s;
	__u64 drops;
	int rst;

	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\n"), 0, "fail open: policy");
	/* a session whose SYN was not seen (began before loading) */
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	CHECK_EQ_INT(sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n"), XDP_PASS,
		     "fail open: data of a session not followed passes");
	CHECK_EQ_INT(h_apply(h, "internal-domain corp.example\nfail-closed yes\n"), 0,
		     "fail closed: policy");
	sg_policy_read_maps(&h->m, &pol);
	CHECK(pol.fail_closed && pol.actions[SG_REASON_STREAM_ANOMALY] == SG_ACTION_BLOCK,
	      "fail closed: in force, stream anomalies block");
	sg_policy_free(&pol);
	drops = H_STAT(h, fail_closed_drops);
	CHECK_EQ_INT(sess_send_str(&s, "RCPT TO:<b@corp.example>\r\n"), XDP_DROP,
		     "fail closed: data of a session not followed is dropped");
	CHECK_EQ_INT(sess_send(&s, "", 0), XDP_PASS, "fail closed: its bare ACKs pass");
	/* the server answers it: picked up mid-stream, and still not followed */
	sess_reply(&s, "250 ok\r\n");
	CHECK_EQ_INT(sess_send_str(&s, "DATA\r\n"), XDP_DROP,
		     "fail closed: a session picked up mid-stream is dropped");
	CHECK_EQ_INT(H_STAT(h, fail_closed_drops) - drops, 2, "fail closed: counter");
	/* a session followed from its SYN is not touched */
	session(h, &s, OUTSIDE);
	CHECK(message(&s, "a@outside.test", &rst) == XDP_PASS && !rst,
	      "fail closed: a followed session's message passes");
	/* a gap: the segment out of order is dropped (the sender sends again) */
	session(h, &s, OUTSIDE);
	s.seq += 10;
	CHECK_EQ_INT(sess_send_str(&s, "NOOP\r\n"), XDP_DROP,
		     "fail closed: a segment past a gap is dropped");
	s.seq -= 16;
	CHECK_EQ_INT(sess_send_str(&s, "NOOP\r\nNOOP\r\nRS"), XDP_PASS,
		     "fail closed: the bytes in order then pass");
}

int main(void)
{
	struct harness h;
	const struct sg_load_opts lo = { .replay_clock = 1 };

	if (geteuid() != 0) {
		SKIP("all", "needs root (BPF_PROG_TEST_RUN)");
		return check_done();
	}
	if (h_open_opts(&h, "", &lo)) {
		CHECK(0, "load the programs");
		return check_done();
	}
	t0 = mono_ns();
	test_rate_block(&h);
	test_rate_alert(&h);
	test_quarantine(&h);
	test_blocked_expiry(&h);
	test_blocked_memo(&h);
	test_blocked_shadow(&h);
	test_fail_closed(&h);
	h_close(&h);
	return check_done();
}
