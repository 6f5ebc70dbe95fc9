// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - `make bench`: ns per packet through BPF_PROG_TEST_RUN for the
 * cases the issue names, against an empty XDP program on the same machine in
 * the same rounds. Reports min / median / max of ROUNDS rounds, each of
 * REPEAT repetitions; the cases run interleaved within a round so ratios
 * inside a round are fair. Reports figures, asserts nothing.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <linux/bpf.h>
#include "bpf/harness.h"

#define ROUNDS 5
#define REPEAT 100000

struct bcase {
	const char *name;
	__u8 frame[PKT_MAX];
	int len;
	int prog;          /* fd */
	int payload;       /* bytes of TCP payload, for GB/s */
	__u32 ns[ROUNDS];
};

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* quoted-printable as mail clients write it: '=' escaped, lines of at most
 * 76 with soft breaks; exactly len bytes out */
static void qp_encode(char *out, const char *in, size_t len)
{
	size_t o = 0, col = 0;

	for (; o < len; in++) {
		char t[4];
		int k = 0;

		if (*in == '\r' || *in == '\n') {
			t[k++] = *in;
			if (*in == '\n')
				col = 0;
		} else if (*in == '=') {
			memcpy(t, "=3D", 3);
			k = 3;
		} else {
			t[k++] = *in;
		}
		if (*in != '\r' && *in != '\n' && col + k > 75) {
			for (const char *sb = "=\r\n"; *sb && o < len; sb++)
				out[o++] = *sb;
			col = 0;
		}
		for (int i = 0; i < k && o < len; i++)
			out[o++] = t[i];
		col += k;
	}
	out[len] = 0;
}

/* base64 in lines of 76; exactly len bytes out */
static void b64_encode(char *out, const char *in, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, col = 0;

	for (; o < len; in += 3) {
		unsigned v = (unsigned char)in[0] << 16 | (unsigned char)in[1] << 8 |
			     (unsigned char)in[2];

		for (int k = 0; k < 4 && o < len; k++) {
			out[o++] = a[(v >> (18 - 6 * k)) & 63];
			if (++col == 76) {
				if (o < len)
					out[o++] = '\r';
				if (o < len)
					out[o++] = '\n';
				col = 0;
			}
		}
	}
	out[len] = 0;
}

static int empty_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "sg_bench_empty", "GPL", insns, 2, NULL);
}

/* A session on its own port, brought to the state the case measures. */
static void prepare(struct harness *h, struct bcase *c, const char *name, __u16 sport,
		    const char *setup, const char *payload, int plen)
{
	struct sess s;

	sess_init(&s, h, "198.51.100.7", "192.0.2.25", sport);
	sess_syn(&s);
	if (setup)
		sess_send_str(&s, setup);
	s.ps.seq = s.seq;
	c->name = name;
	c->len = pkt_build(c->frame, &s.ps, payload, plen);
	c->prog = h->xdp_fd;
	c->payload = plen;
}

static void verifier_figures(int fd, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	printf("%-16s %6u xlated insns, %6u JITed bytes, %7u verified insns\n", name,
	       info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns);
}

/* The link cases again with count bad hosts in the policy: the name
 * prefilter should keep them flat. */
static void policy_size(struct harness *h, struct bcase *cases, int n, int count)
{
	struct sg_policy pol;
	char err[256];
	__u32 ns[ROUNDS];
	size_t cap = 40u << 20, o;
	char *text = malloc(cap);

	if (!text)
		return;
	/* one config text: the parser's duplicate index keeps this linear */
	o = snprintf(text, cap, "internal-domain corp.example\n");
	for (int i = 0; i < count; i++)
		o += snprintf(text + o, cap - o, "bad-host h%d.bad%d.test\n", i, i % 9973);
	sg_policy_init(&pol);
	if (sg_config_parse_string(text, "bench.conf", &pol, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		free(text);
		return;
	}
	free(text);
	if (sg_policy_apply_maps(&h->m, &pol, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		sg_policy_free(&pol);
		return;
	}
	sg_policy_free(&pol);
	printf("with %d bad hosts (link cases; min / median / max ns, GB/s):\n", count);
	for (int i = 0; i < n; i++) {
		if (strncmp(cases[i].name, "body ", 5))
			continue;
		for (int r = -1; r < ROUNDS; r++) {
			__u32 d = 0;

			h_run(h, cases[i].prog, cases[i].frame, cases[i].len, REPEAT, &d);
			if (r >= 0)
				ns[r] = d;
		}
		qsort(ns, ROUNDS, sizeof(__u32), cmp_u32);
		printf("%-16s %7u %7u %7u %19.2f\n", cases[i].name, ns[0], ns[ROUNDS / 2],
		       ns[ROUNDS - 1], (double)cases[i].payload / ns[ROUNDS / 2]);
	}
	printf("\n");
}

static const char *bench_policy =
	"port 25\ninternal-domain corp.example\ntrusted-net 203.0.113.0/24\n"
	"bad-host h1.bad1.test\nbad-host h2.bad2.test\nbad-host h3.bad3.test\n"
	"bad-host h4.bad4.test\nbad-host h5.bad5.test\nbad-host h6.bad6.test\n"
	"bad-host h7.bad7.test\nbad-host h8.bad8.test\nbad-host h9.bad9.test\n"
	"bad-host h10.bad10.test\n";

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* the median of ROUNDS rounds of REPEAT runs of frame */
static __u32 median_ns(struct harness *h, int prog, const void *frame, int len)
{
	__u32 ns[ROUNDS];

	for (int r = -1; r < ROUNDS; r++) {
		__u32 d = 0;

		h_run(h, prog, frame, len, REPEAT, &d);
		h->nev = 0;
		if (r >= 0)
			ns[r] = d;
	}
	qsort(ns, ROUNDS, sizeof(__u32), cmp_u32);
	return ns[ROUNDS / 2];
}

/* Two packets timed in alternation, PAIR_ROUNDS rounds, so that a machine
 * whose speed drifts (a shared host) slows both alike: the medians of each
 * and the median of their difference within a round. */
#define PAIR_ROUNDS 11
static void paired_ns(struct harness *h, const void *f1, int l1, const void *f2, int l2,
		      __u32 *m1, __u32 *m2, int *mdiff)
{
	__u32 a[PAIR_ROUNDS], b[PAIR_ROUNDS];
	int d[PAIR_ROUNDS];

	for (int r = -1; r < PAIR_ROUNDS; r++) {
		__u32 x = 0, y = 0;

		h_run(h, h->xdp_fd, f1, l1, REPEAT, &x);
		h_run(h, h->xdp_fd, f2, l2, REPEAT, &y);
		h->nev = 0;
		if (r < 0)
			continue;
		a[r] = x;
		b[r] = y;
		d[r] = (int)y - (int)x;
	}
	qsort(a, PAIR_ROUNDS, sizeof(__u32), cmp_u32);
	qsort(b, PAIR_ROUNDS, sizeof(__u32), cmp_u32);
	qsort(d, PAIR_ROUNDS, sizeof(int), cmp_int);
	*m1 = a[PAIR_ROUNDS / 2];
	*m2 = b[PAIR_ROUNDS / 2];
	*mdiff = d[PAIR_ROUNDS / 2];
}

#define SEQ_PACKETS 4000

/* What the TCP stream under the parser costs:
 * - the checksum: the same packets with checksum-validation yes and no;
 * - following the sequence: a second load without the bench knob, each of
 *   SEQ_PACKETS body segments of one message run once, in order, against
 *   the knob's load (every packet parsed as new, nothing tracked); one run
 *   each, so both include the test-run timer's own cost alike;
 * - a retransmission (the bytes compared with the last ones parsed);
 * - the TC program on a reply packet. */
static void stream_costs(struct harness *h, struct bcase *cases, int n)
{
	static __u8 frames[SEQ_PACKETS][PKT_MAX];
	static int lens[SEQ_PACKETS];
	static __u32 ns[2][SEQ_PACKETS];
	static int diff[SEQ_PACKETS];
	struct sg_load_opts lo = { .ringbuf_bytes = 1 << 26 };
	struct sg_globals g = {};
	struct harness h2, *hs[2] = { h, &h2 };
	char conf[1024], data[1449];
	struct sess s[2];
	__u32 yes, no;

	printf("checksum (ns per packet, median; checksum-validation yes vs no):\n");
	for (int i = 0; i < n; i++) {
		if (strcmp(cases[i].name, "RCPT 40B") && strcmp(cases[i].name, "EHLO 24B") &&
		    strcmp(cases[i].name, "MAIL miss 45B") && strcmp(cases[i].name, "DATA body 1448B") &&
		    strcmp(cases[i].name, "body b64 HTML"))
			continue;
		snprintf(conf, sizeof(conf), "%schecksum-validation no\n", bench_policy);
		h_apply(h, conf);
		no = median_ns(h, cases[i].prog, cases[i].frame, cases[i].len);
		snprintf(conf, sizeof(conf), "%schecksum-validation yes\n", bench_policy);
		h_apply(h, conf);
		yes = median_ns(h, cases[i].prog, cases[i].frame, cases[i].len);
		printf("%-16s %7u %7u %+7d ns\n", cases[i].name, yes, no, (int)yes - (int)no);
	}
	h_apply(h, bench_policy);

	memset(&h2, 0, sizeof(h2));
	if (sg_skel_load_opts(&g, NULL, &lo, &h2.skel))
		return;
	sg_maps_from_skel(h2.skel, &h2.m);
	h2.xdp_fd = bpf_program__fd(h2.skel->progs.sg_xdp_ingress);
	h2.tc_fd = bpf_program__fd(h2.skel->progs.sg_tc_egress);
	h2.rb = ring_buffer__new(h2.m.events, h_on_event, &h2, NULL);
	if (!h2.rb || h_apply(&h2, bench_policy))
		return;
	for (int i = 0; i < 1448; i++)
		data[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : "abcdefgh ij"[i % 11];
	for (int k = 0; k < 2; k++) {
		/* the same port in both loads: the same frames are the same flow */
		sess_init(&s[k], hs[k], "198.51.100.7", "192.0.2.25", 31000);
		sess_syn(&s[k]);
		sess_send_str(&s[k], "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
	}
	for (int p = 0; p < SEQ_PACKETS; p++) {
		struct pkt_spec ps = s[1].ps;

		ps.seq = s[1].seq + p * 1448;
		lens[p] = pkt_build(frames[p], &ps, data, 1448);
	}
	/* the knob's load ignores sequence numbers: the same frames serve. Each
	 * packet runs once in both loads, in turn (which goes first alternates),
	 * and the paired differences are what is reported */
	for (int p = 0; p < SEQ_PACKETS; p++) {
		__u32 t0 = 0, t1 = 0;

		if (p & 1) {
			h_run(&h2, h2.xdp_fd, frames[p], lens[p], 1, &t1);
			h_run(h, h->xdp_fd, frames[p], lens[p], 1, &t0);
		} else {
			h_run(h, h->xdp_fd, frames[p], lens[p], 1, &t0);
			h_run(&h2, h2.xdp_fd, frames[p], lens[p], 1, &t1);
		}
		ns[0][p] = t0;
		ns[1][p] = t1;
		diff[p] = (int)t1 - (int)t0;
	}
	qsort(ns[0], SEQ_PACKETS, sizeof(__u32), cmp_u32);
	qsort(ns[1], SEQ_PACKETS, sizeof(__u32), cmp_u32);
	qsort(diff, SEQ_PACKETS, sizeof(int), cmp_int);
	printf("\nsequence tracking (%d body segments of 1448 B in order, one run each, median):\n"
	       "  untracked %u ns, tracked %u ns; paired difference %+d ns a segment "
	       "(quartiles %+d, %+d)\n", SEQ_PACKETS, ns[0][SEQ_PACKETS / 2], ns[1][SEQ_PACKETS / 2],
	       diff[SEQ_PACKETS / 2], diff[SEQ_PACKETS / 4], diff[3 * SEQ_PACKETS / 4]);
	printf("  a retransmitted 1448 B segment (skipped, compared): %u ns\n",
	       median_ns(&h2, h2.xdp_fd, frames[0], lens[0]));

	/* the server's side: a one-line reply and an EHLO reply, each
	 * answering an EHLO (the bench knob keeps it awaited) */
	sess_send_str(&s[0], "EHLO mail.outside.test\r\n");
	{
		const char *one = "250 2.1.5 Ok\r\n";
		const char *ehlo = "250-relay.corp.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
				   "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
				   "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";
		struct pkt_spec ps = s[0].ps;
		__u8 fr[PKT_MAX];
		int len;

		ps.src = s[0].ps.dst;
		ps.dst = s[0].ps.src;
		ps.sport = 25;
		ps.dport = s[0].ps.sport;
		ps.seq = 5000;
		len = pkt_build(fr, &ps, one, strlen(one));
		printf("\nTC egress per reply packet (median): one line (%zu B) %u ns", strlen(one),
		       median_ns(h, h->tc_fd, fr, len));
		len = pkt_build(fr, &ps, ehlo, strlen(ehlo));
		printf(", EHLO reply (%zu B, 11 lines) %u ns\n\n", strlen(ehlo),
		       median_ns(h, h->tc_fd, fr, len));
	}
	h_close(&h2);
}

#define BLOCK_FLOWS 2000

/* BLOCK_FLOWS new sessions whose forged MAIL FROM is blocked: each takes
 * the block path once, timed inside the program (the bench knob) */
static void block_sessions(struct harness *h, __u16 port0)
{
	const char *l = "MAIL FROM:<ceo@corp.example> SIZE=1234\r\n";

	for (int i = 0; i < BLOCK_FLOWS; i++) {
		struct sess s;

		sess_init(&s, h, "198.51.100.7", "192.0.2.25", port0 + i);
		sess_syn(&s);
		sess_send_str(&s, l);
		h->nev = 0;
	}
}

/* What block costs: the segment that becomes a RST, a later segment of a blocked session (dropped),
 * and a SYN from a blocked source (dropped before any state) against
 * SYNs that are tracked and the non-SMTP fast path. A load without the
 * bench knob: a block happens as in production. */
static void block_costs(const __u8 *fast, int fast_len)
{
	struct harness h2;
	struct sess s;
	__u8 fr[PKT_MAX];
	__u32 drop, syn_blocked, syn_first = 0, syn_other, syn_none, fastp;
	int syn_diff, first_diff = 0;
	char conf[4096];
	__u64 n, ns;
	int len;

	/* the block path timed inside the program (bench knob): it runs once
	 * a session, so repeating one packet cannot time it */
	const struct sg_load_opts lo = { .bench_timing = 1 };

	if (h_open_opts(&h2, "internal-domain corp.example\n", &lo))
		return;
	h_apply(&h2, "internal-domain corp.example\naction spoofed_internal_domain block\n");
	block_sessions(&h2, 43000);
	/* a session blocked already: its next segment */
	sess_init(&s, &h2, "198.51.100.7", "192.0.2.25", 46000);
	sess_syn(&s);
	sess_send_str(&s, "MAIL FROM:<ceo@corp.example>\r\n");
	len = sess_frame(&s, 0, "RCPT TO:<b@corp.example>\r\n", 26, fr);
	drop = median_ns(&h2, h2.xdp_fd, fr, len);
	/* SYNs: none blocked; 100 blocked prefixes, one of them this source */
	sess_init(&s, &h2, "198.51.100.66", "192.0.2.25", 46001);
	len = sess_frame(&s, 0x02, "", 0, fr);
	syn_none = median_ns(&h2, h2.xdp_fd, fr, len);
	{
		int o = snprintf(conf, sizeof(conf), "internal-domain corp.example\n");

		for (int i = 0; i < 100; i++)
			o += snprintf(conf + o, sizeof(conf) - o, "blocked-source 10.%d.0.0/16\n", i);
		snprintf(conf + o, sizeof(conf) - o, "blocked-source 198.51.100.66/32\n");
		h_apply(&h2, conf);
	}
	paired_ns(&h2, fast, fast_len, fr, len, &fastp, &syn_blocked, &syn_diff);
	{
		/* a source's first SYN: the trie (the same load, memo off) */
		const struct sg_load_opts lc = { .no_block_memo = 1 };
		struct harness h3;

		if (!h_open_opts(&h3, conf, &lc)) {
			__u32 fast3;

			paired_ns(&h3, fast, fast_len, fr, len, &fast3, &syn_first, &first_diff);
			h_close(&h3);
		}
	}
	sess_init(&s, &h2, "198.51.100.67", "192.0.2.25", 46002);
	len = sess_frame(&s, 0x02, "", 0, fr);
	syn_other = median_ns(&h2, h2.xdp_fd, fr, len);
	n = h2.skel->bss->sg_bench_block_n;
	ns = n ? h2.skel->bss->sg_bench_block_ns / n : 0;
	printf("block (ns per packet): the block path of the segment that becomes a RST to the "
	       "server (quarantine count, bpf_xdp_adjust_tail, IP length and both checksums), "
	       "timed inside the program over %llu sessions: %llu ns on average (two clock reads "
	       "included); a later segment of a blocked session (dropped, median) %u\n",
	       (unsigned long long)n, (unsigned long long)ns, drop);
	printf("SYNs: from a blocked source (dropped, 101 blocked prefixes): a flood's later SYNs "
	       "(memo) %u against the non-SMTP fast path (TCP:443) %u, timed in alternation (%d "
	       "rounds; median difference within a round %+d); a source's first SYN (trie) %u "
	       "(%+d); "
	       "tracked, another source %u; tracked, no blocked-source %u\n\n",
	       syn_blocked, fastp, PAIR_ROUNDS, syn_diff, syn_first, first_diff, syn_other,
	       syn_none);
	h_close(&h2);
}

int main(void)
{
	struct sg_load_opts lo = { .ignore_seq = 1, .ringbuf_bytes = 1 << 26 };
	struct sg_globals g = {};
	struct harness h;
	static struct bcase cases[24];
	int n = 0, empty;
	char data[1449], mail_hit[64], cmd40[64];
	/* payload lengths come from strlen: a stray NUL would leave the flow
	 * skipping to the next line and measure the wrong path */
	const char *ehlo = "EHLO mail.outside.test\r\n";
	const char *mail_miss = "MAIL FROM:<ceo@mail.outside.test> SIZE=1234\r\n";
	const char *body_setup = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
				 "Subject: x\r\n\r\n";
	cpu_set_t cpus;

	/* time what production runs: no guard counting (harness.h) */
	h_guard_check = 0;
	if (geteuid() != 0) {
		fprintf(stderr, "bench: needs root (CAP_BPF)\n");
		return 1;
	}
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	memset(&h, 0, sizeof(h));
	if (sg_skel_load_opts(&g, NULL, &lo, &h.skel))
		return 1;
	sg_maps_from_skel(h.skel, &h.m);
	h.xdp_fd = bpf_program__fd(h.skel->progs.sg_xdp_ingress);
	h.tc_fd = bpf_program__fd(h.skel->progs.sg_tc_egress);
	h.rb = ring_buffer__new(h.m.events, h_on_event, &h, NULL);
	/* ten bad hosts; the link cases run again with 10,000 and 1,000,000 */
	if (!h.rb || h_apply(&h, bench_policy))
		return 1;
	empty = empty_prog();
	if (empty < 0) {
		perror("bench: empty program");
		return 1;
	}

	/* the non-SMTP fast path */
	{
		struct pkt_spec ps = { .src = "198.51.100.7", .dst = "192.0.2.25", .sport = 5353,
				       .dport = 53, .udp = 1 };
		char pad[1460] = { 0 };

		cases[n].name = "empty XDP 64B";
		cases[n].len = pkt_build(cases[n].frame, &ps, pad, 64 - 42);
		cases[n].prog = empty;
		n++;
		cases[n] = cases[n - 1];
		cases[n].name = "UDP 64B";
		cases[n].prog = h.xdp_fd;
		n++;
		ps.udp = 0;
		ps.dport = 443;
		ps.flags = 0x18;
		cases[n].name = "TCP:443 1514B";
		cases[n].len = pkt_build(cases[n].frame, &ps, pad, 1460);
		cases[n].prog = h.xdp_fd;
		n++;
	}
	/* a 40-byte command segment that carries no name to match */
	snprintf(cmd40, sizeof(cmd40), "RCPT TO:<alice@corp.example> NOTIFY=NO\r\n");
	prepare(&h, &cases[n++], "RCPT 40B", 30001, "EHLO mail.outside.test\r\n", cmd40,
		strlen(cmd40));
	prepare(&h, &cases[n++], "EHLO 24B", 30002, NULL, ehlo, strlen(ehlo));
	snprintf(mail_hit, sizeof(mail_hit), "MAIL FROM:<ceo@corp.example> SIZE=1234\r\n");
	prepare(&h, &cases[n++], "MAIL miss 45B", 30003, NULL, mail_miss, strlen(mail_miss));
	prepare(&h, &cases[n++], "MAIL hit 40B", 30004, NULL, mail_hit, strlen(mail_hit));
	for (int i = 0; i < 1448; i++)
		data[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : "abcdefgh ij"[i % 11];
	prepare(&h, &cases[n++], "DATA body 1448B", 30005,
		"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", data, 1448);
	/* a header block as MTAs write them, with a From: to match; every
	 * repetition is parsed as a new message's headers (bench knob) */
	{
		static char hdr[1449];
		const char *lines[] = {
			"Received: from mail.outside.test (mail.outside.test [198.51.100.7])\r\n"
			"\tby relay.corp.example (Postfix) with ESMTP id 4F2A1C0123\r\n"
			"\tfor <bob@corp.example>; Mon, 23 Nov 2026 03:00:00 +0000 (UTC)\r\n",
			"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=outside.test;\r\n"
			"\ts=sel1; h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n",
			"Message-ID: <20261123030000.4F2A1C0123@mail.outside.test>\r\n",
			"Date: Mon, 23 Nov 2026 03:00:00 +0000\r\n",
			"From: \"Chief Executive\" <ceo@mail.outside.test>\r\n",
			"To: Bob <bob@corp.example>\r\n",
			"Subject: quarterly numbers\r\n",
			"MIME-Version: 1.0\r\n",
			"Content-Type: text/plain; charset=utf-8\r\n",
		};
		size_t o = 0;

		for (int r = 0; o < 1300; r = (r + 1) % 9)
			o += snprintf(hdr + o, sizeof(hdr) - o, "%s", lines[r]);
		prepare(&h, &cases[n++], "DATA headers", 30006,
			"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n", hdr, o);
	}

	/* links in a body: prose with about 3 links a KB, and URL-dense HTML
	 * with about 10 a KB, a quarter of them with a nested redirect */
	{
		static char text[1449], html[1449];
		size_t o = 0;
		int i = 0;

		while (o < 1400) {
			o += snprintf(text + o, sizeof(text) - o,
				      "The quarterly report is ready for review by the whole team, "
				      "see https://docs%d.example.test/reports/q%d for details.\r\n"
				      "Thanks for all the work on it this quarter, it shows.\r\n",
				      i, i);
			i++;
		}
		text[1448] = 0;
		prepare(&h, &cases[n++], "body text links", 30007, body_setup, text, 1448);
		for (o = 0, i = 0; o < 1400; i++)
			o += snprintf(html + o, sizeof(html) - o, i % 4 == 3 ?
				      "<a href=\"https://r.good.test/c?u=https%%3A%%2F%%2Fw%d.example.test"
				      "%%2Fp&id=%d\">offer %d</a><br>\r\n" :
				      "<a href=\"https://w%d.example.test/p/page?utm_source=news&id=%d\">"
				      "news %d</a><br>\r\n", i, i, i);
		html[1448] = 0;
		prepare(&h, &cases[n++], "body HTML links", 30008, body_setup, html, 1448);
		/* the same declared text/html: copied, then read by the link
		 * machine (line ends inside quoted links are dropped there) */
		{
			/* newsletter HTML: inline CSS, a ':' every few bytes */
			static char css[1449];
			size_t c = 0;

			for (int k = 0; c < 1400; k++)
				c += snprintf(css + c, sizeof(css) - c, k % 3 == 2 ?
					      "<td style=\"padding:0;margin:0\"><a href=\"https://w%d."
					      "example.test/p?id=%d\">item</a></td>\r\n" :
					      "<td style=\"font-size:14px;color:#333;line-height:1.4\">"
					      "text %d</td>\r\n", k, k);
			css[1448] = 0;
			prepare(&h, &cases[n++], "body HTML CSS", 30013, body_setup, css, 1448);
		}
		prepare(&h, &cases[n++], "body HTML part", 30012,
			"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
			"Content-Type: text/html\r\n\r\n", html, 1448);
	}

	/* MIME parts: URL-dense HTML (the same as above) sent quoted-printable
	 * and base64, and a base64 attachment that is skipped */
	{
		static char src[4096], qp[1449], b64[1449], att[1449];
		const char *qp_setup = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
				       "Content-Type: text/html; charset=utf-8\r\n"
				       "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
		const char *b64_setup = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
					"Content-Type: text/html; charset=utf-8\r\n"
					"Content-Transfer-Encoding: base64\r\n\r\n";
		const char *att_setup = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
					"Content-Type: application/pdf\r\n"
					"Content-Transfer-Encoding: base64\r\n\r\n";
		size_t o = 0;

		/* the "URL-dense": about ten links a KB of decoded
		 * HTML (the case above is denser, about twelve) */
		for (int i = 0; o < 3000; i++)
			o += snprintf(src + o, sizeof(src) - o, i % 4 == 3 ?
				      "<a href=\"https://r.good.test/c?u=https%%3A%%2F%%2Fw%d.example.test"
				      "%%2Fp&id=%d\">offer %d</a> for you<br>\r\n" :
				      "<a href=\"https://w%d.example.test/p/page?utm_source=news&id=%d\">"
				      "news %d</a> - read on<br>\r\n", i, i, i);
		qp_encode(qp, src, 1448);
		prepare(&h, &cases[n++], "body QP HTML", 30009, qp_setup, qp, 1448);
		b64_encode(b64, src, 1448);
		prepare(&h, &cases[n++], "body b64 HTML", 30010, b64_setup, b64, 1448);
		for (int i = 0; i < 3000; i++)
			src[i] = (char)(i * 2654435761u >> 13);
		b64_encode(att, src, 1448);
		prepare(&h, &cases[n++], "body b64 skipped", 30011, att_setup, att, 1448);
	}

	/* warm-up, then the rounds, interleaved */
	for (int r = -1; r < ROUNDS; r++) {
		for (int i = 0; i < n; i++) {
			__u32 d = 0;

			if (h_run(&h, cases[i].prog, cases[i].frame, cases[i].len, REPEAT, &d) < 0) {
				fprintf(stderr, "bench: %s: test run failed\n", cases[i].name);
				return 1;
			}
			h.nev = 0;
			if (r >= 0)
				cases[i].ns[r] = d;
		}
	}

	printf("smtpguard bench: BPF_PROG_TEST_RUN, repeat %d, %d rounds (+1 warm-up), CPU 1\n",
	       REPEAT, ROUNDS);
	printf("%-16s %7s %7s %7s %9s %8s\n", "case", "min", "median", "max", "vs empty", "GB/s");
	qsort(cases[0].ns, ROUNDS, sizeof(__u32), cmp_u32);
	for (int i = 0; i < n; i++) {
		__u32 *v = cases[i].ns;
		char gbs[16] = "";

		qsort(v, ROUNDS, sizeof(__u32), cmp_u32);
		if (cases[i].payload > 1000)
			snprintf(gbs, sizeof(gbs), "%.2f", (double)cases[i].payload / v[ROUNDS / 2]);
		printf("%-16s %7u %7u %7u %8.2fx %8s\n", cases[i].name, v[0], v[ROUNDS / 2],
		       v[ROUNDS - 1], (double)v[ROUNDS / 2] / cases[0].ns[ROUNDS / 2], gbs);
	}
	printf("(ns per packet; GB/s = payload bytes / median ns)\n\n");
	/* what one run of each case does, so a figure is never for the wrong path */
	printf("%-16s %8s %8s %8s %8s %8s %6s %6s\n", "per run", "commands", "alerts", "bytes", "decoded",
	       "skipped", "hosts", "links");
	for (int i = 0; i < n; i++) {
		struct sg_stats a, b;

		h_stats(&h, &a);
		h_run(&h, cases[i].prog, cases[i].frame, cases[i].len, 1, NULL);
		h_stats(&h, &b);
		printf("%-16s %8llu %8llu %8llu %8llu %8llu %6llu %6llu\n", cases[i].name,
		       (unsigned long long)(b.commands - a.commands),
		       (unsigned long long)(b.alerts - a.alerts),
		       (unsigned long long)(b.watched_bytes - a.watched_bytes),
		       (unsigned long long)(b.qp_bytes + b.base64_bytes - a.qp_bytes - a.base64_bytes),
		       (unsigned long long)(b.mime_bytes_skipped - a.mime_bytes_skipped),
		       (unsigned long long)(b.hosts_checked - a.hosts_checked),
		       (unsigned long long)(b.urls - a.urls));
	}
	printf("\n");
	stream_costs(&h, cases, n);
	block_costs(cases[2].frame, cases[2].len);
	policy_size(&h, cases, n, 10000);
	policy_size(&h, cases, n, 1000000);
	verifier_figures(h.xdp_fd, "sg_xdp_ingress");
	verifier_figures(bpf_program__fd(h.skel->progs.sg_xdp_msg), "sg_xdp_msg");
	verifier_figures(bpf_program__fd(h.skel->progs.sg_xdp_qp), "sg_xdp_qp");
	verifier_figures(bpf_program__fd(h.skel->progs.sg_xdp_b64), "sg_xdp_b64");
	verifier_figures(bpf_program__fd(h.skel->progs.sg_xdp_skip), "sg_xdp_skip");
	verifier_figures(bpf_program__fd(h.skel->progs.sg_xdp_html), "sg_xdp_html");
	verifier_figures(h.tc_fd, "sg_tc_egress");
	close(empty);
	h_close(&h);
	return 0;
}
