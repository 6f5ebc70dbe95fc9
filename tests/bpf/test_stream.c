// SPDX-License-Identifier: GPL-2.0
/*
 * test_stream.c - the TCP stream under the parser, through the real programs
 * (BPF_PROG_TEST_RUN): segments out of order, one byte at a time, overlapping
 * with other bytes, with wrong or unfilled checksums, urgent data, sequence
 * wrap-around, keepalives, the end of a session, SYN floods, and the server's
 * replies matched to the commands they answer.
 */
#include "unit/check.h"
#include "bpf/harness.h"

static const char *config_text = "port 25\n"
				 "internal-domain corp.example\n"
				 "trusted-net 203.0.113.0/24\n";
static const char *block_text = "port 25\n"
				"internal-domain corp.example\n"
				"action stream_anomaly block\n";

#define OUTSIDE "198.51.100.7"
#define RELAY "192.0.2.25"
#define FORGED "MAIL FROM:<ceo@corp.example>\r\n"

static __u16 next_port = 30000;

enum { CS_GOOD, CS_BAD, CS_UNFILLED };

/* A segment of the client (server 0) or the server (1) at sequence seq:
 * len bytes of data, the TCP flags given (0: PSH|ACK), a TCP timestamp
 * option (TSval tsval; none if tsval < 0) after pad NOPs and, if sack, a
 * SACK-permitted option, and a right, wrong or never filled in checksum.
 * An IPv4 frame whose payload begins with the options, then its data offset
 * set over them and the checksum made again. Runs the XDP or TC program. */
static int tcp_seg(struct sess *s, int server, __u32 seq, __u8 flags, const void *data,
		   size_t len, __s64 tsval, int pad, int sack, int cs)
{
	__u8 fr[PKT_MAX], buf[PKT_MAX];
	struct pkt_spec ps = server ? sess_srv_spec(s) : s->ps;
	int o = 0, n, l4 = 14 + 20, optlen;
	__u32 sum, ph;

	if (tsval >= 0) {
		for (int i = 0; i < pad; i++)
			buf[o++] = 1;
		if (sack) {
			buf[o++] = 4;
			buf[o++] = 2;
		}
		buf[o++] = 8;
		buf[o++] = 10;
		for (int i = 3; i >= 0; i--)
			buf[o++] = tsval >> (8 * i);
		for (int i = 0; i < 4; i++)
			buf[o++] = 0;
		while (o % 4)
			buf[o++] = 1;
	}
	optlen = o;
	memcpy(buf + o, data, len);
	if (!server)
		ps.ack = s->srv_seq;
	ps.seq = seq;
	ps.flags = flags;
	n = pkt_build(fr, &ps, buf, optlen + len);
	fr[l4 + 12] = (5 + optlen / 4) << 4;
	fr[l4 + 16] = fr[l4 + 17] = 0;
	ph = pkt_csum_add(6 + (n - l4), fr + 14 + 12, 8);
	sum = pkt_csum_fold(pkt_csum_add(ph, fr + l4, n - l4));
	if (cs == CS_BAD) {
		sum ^= 0x5a00;
	} else if (cs == CS_UNFILLED) {
		/* what checksum offload leaves: the pseudo-header sum, folded */
		sum = (__u16)~pkt_csum_fold(ph);
	}
	pkt_put16(fr + l4 + 16, sum);
	return server ? h_tc(s->h, fr, n) : h_xdp(s->h, fr, n);
}

static int seg(struct sess *s, __u32 seq, const char *data, size_t len, __u8 flags, int cs)
{
	return tcp_seg(s, 0, seq, flags, data, len, -1, 0, 0, cs);
}

static int opt_seg(struct sess *s, int server, __u32 seq, __u8 flags, const char *data,
		   __s64 tsval, int pad, int sack)
{
	return tcp_seg(s, server, seq, flags, data, strlen(data), tsval, pad, sack, CS_GOOD);
}

static int seg_str(struct sess *s, __u32 seq, const char *data)
{
	return seg(s, seq, data, strlen(data), 0, CS_GOOD);
}

/* a session after its SYN; the next byte is s->seq */
static void start(struct harness *h, struct sess *s)
{
	h->nev = 0;
	sess_init(s, h, OUTSIDE, RELAY, next_port++);
	sess_syn(s);
}

static struct sg_stats d0;
static __u64 delta(struct harness *h, size_t off)
{
	return h_stat(h, off) - *(__u64 *)((char *)&d0 + off);
}
#define MARK(h) h_stats(h, &d0)
#define DELTA(h, field) delta(h, offsetof(struct sg_stats, field))

static void test_order(struct harness *h)
{
	struct sess s;
	struct sg_flow f;
	__u32 b;
	size_t n = strlen(FORGED);

	/* in order, one byte a segment */
	start(h, &s);
	for (size_t i = 0; i < n; i++)
		seg(&s, s.seq + i, FORGED + i, 1, 0, CS_GOOD);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM), 1,
		     "MAIL FROM in one-byte segments: one alert");

	/* three segments, last first: never silent */
	start(h, &s);
	b = s.seq;
	MARK(h);
	seg(&s, b + 20, FORGED + 20, n - 20, 0, CS_GOOD);
	seg(&s, b + 10, FORGED + 10, 10, 0, CS_GOOD);
	seg(&s, b, FORGED, 10, 0, CS_GOOD);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM), 1,
		     "MAIL FROM in reverse order: one stream_anomaly alert");
	CHECK(DELTA(h, seq_gaps) == 1 && sess_flow(&s, &f) == 0 && (f.flags & SG_FLOW_GAP),
	      "... the gap counted, and the flow says it resynchronised");
	/* it resynchronised at the next line: the next command is read */
	s.seq = b + n;
	sess_send_str(&s, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM), 1,
		     "... and the next MAIL FROM after it is read");

	/* plain loss, many times: one alert a flow, every gap counted */
	start(h, &s);
	MARK(h);
	for (int i = 0; i < 20; i++) {
		seg_str(&s, s.seq + 100, "NOOP\r\n"); /* 100 bytes lost before it */
		s.seq += 106;
	}
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 1 && DELTA(h, seq_gaps) == 20,
	      "20 gaps in a flow: one stream_anomaly alert, 20 counted");

	/* block: out-of-order segments are dropped, the in-order ones read */
	h_apply(h, block_text);
	start(h, &s);
	b = s.seq;
	MARK(h);
	CHECK_EQ_INT(seg(&s, b + 20, FORGED + 20, n - 20, 0, CS_GOOD), XDP_DROP,
		     "block: a segment past the stream position is dropped");
	CHECK_EQ_INT(seg(&s, b + 10, FORGED + 10, 10, 0, CS_GOOD), XDP_DROP,
		     "block: ... and the next one too");
	CHECK_EQ_INT(seg(&s, b, FORGED, 10, 0, CS_GOOD), XDP_PASS,
		     "block: the segment at the stream position passes");
	/* the sender retransmits the dropped ones, now in order */
	seg(&s, b + 10, FORGED + 10, 10, 0, CS_GOOD);
	seg(&s, b + 20, FORGED + 20, n - 20, 0, CS_GOOD);
	CHECK(DELTA(h, ooo_dropped) == 2 && h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0 &&
	      h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1,
	      "block: retransmitted in order, the forged MAIL FROM is read (no anomaly)");
	h_apply(h, config_text);

	/* sequence numbers wrapping around inside a command */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	s.seq = 0xfffffff0;
	sess_syn(&s);
	sess_send_str(&s, "MAIL FROM:<ceo@");
	sess_send_str(&s, "corp.example>\r\n");
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0 && (__s32)s.seq > 0,
	      "a MAIL FROM across the sequence wrap-around: read, no anomaly");
}

static void test_overlaps(struct harness *h)
{
	const char *benign = "MAIL FROM:<x@outside.test>\r\n";
	const char *forged = "MAIL FROM:<x@corp.example>\r\n"; /* same length */
	struct sess s;
	struct sg_flow f;
	__u32 b;

	/* the benign copy first: parsed; the forged overlap is an anomaly */
	start(h, &s);
	b = s.seq;
	MARK(h);
	seg_str(&s, b, benign);
	seg_str(&s, b, forged);
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 0 &&
	      DELTA(h, stream_conflicts) == 1 && sess_flow(&s, &f) == 0 &&
	      (f.flags & SG_FLOW_CONFLICT),
	      "benign, then a forged overlap: stream_anomaly, the first copy is what was read");

	/* the forged copy first: it alerts; the benign overlap is an anomaly */
	start(h, &s);
	b = s.seq;
	seg_str(&s, b, forged);
	seg_str(&s, b, benign);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1,
	      "forged, then a benign overlap: the MAIL FROM alert and a stream_anomaly");

	/* a partial overlap whose old part differs, and whose new part is read */
	start(h, &s);
	b = s.seq;
	seg_str(&s, b, "EHLO a.test\r\n");
	seg_str(&s, b + 5, "b.test\r\nMAIL FROM:<ceo@corp.example>\r\n");
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1,
	      "an overlap differing in its old bytes: anomaly, and its new bytes are read");

	/* an honest retransmission, and a keepalive's garbage byte: nothing */
	start(h, &s);
	b = s.seq;
	MARK(h);
	seg_str(&s, b, "EHLO a.test\r\nNOOP\r\n");
	seg_str(&s, b, "EHLO a.test\r\nNOOP\r\n");
	seg_str(&s, b + 4, " a.test\r\nNOOP\r\nNOOP\r\n");
	seg(&s, b + 25 - 1, "\0", 1, 0x10, CS_GOOD); /* 1 byte before the position */
	CHECK(h->nev == 0 && DELTA(h, stream_conflicts) == 0 && DELTA(h, retransmits) == 3,
	      "same-byte retransmissions and a keepalive: counted, no anomaly");

	/* block: a conflicting overlap cuts the flow off */
	h_apply(h, block_text);
	start(h, &s);
	b = s.seq;
	seg_str(&s, b, benign);
	{
		__u8 fr[PKT_MAX], out[PKT_MAX];
		struct pkt_spec ps = s.ps;
		__u32 outlen = 0;
		int n;

		ps.seq = b;
		ps.ack = s.srv_seq;
		n = pkt_build(fr, &ps, forged, strlen(forged));
		CHECK(h_xdp_out(h, fr, n, out, &outlen) == XDP_PASS &&
		      h_is_rst(out, outlen, b + strlen(benign)) &&
		      seg_str(&s, b + 28, "QUIT\r\n") == XDP_DROP && h->nev == 1 &&
		      h->ev[0].action == SG_ACTION_BLOCK,
		      "block: a conflicting overlap aborts the server's side (a RST where its "
		      "stream ends), the rest of the flow is dropped");
	}
	h_apply(h, config_text);
}

static void test_checksums(struct harness *h)
{
	struct sess s;
	__u32 b;

	/* a wrong checksum first, the real segment after it at the same place */
	start(h, &s);
	b = s.seq;
	MARK(h);
	seg(&s, b, FORGED, strlen(FORGED), 0, CS_BAD);
	CHECK(h->nev == 0 && DELTA(h, csum_bad) == 1,
	      "a forged MAIL FROM with a wrong checksum: not read, counted");
	seg_str(&s, b, "MAIL FROM:<x@outside.test>\r\n");
	s.seq = b + 28;
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0,
	      "... the real segment at its place is read as new, no anomaly");

	/* the reverse: a real forged line, then a wrong-checksum "benign" copy */
	start(h, &s);
	b = s.seq;
	seg_str(&s, b, FORGED);
	seg(&s, b, "MAIL FROM:<x@outside.testX>\r\n", 29, 0, CS_BAD);
	CHECK(h->nev == 1 && h->ev[0].reason == SG_REASON_SPOOFED_INTERNAL_DOMAIN,
	      "a wrong-checksum overlap after the real line: ignored, as the server does");

	/* a RST with a wrong checksum does not end the flow */
	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\n");
	seg(&s, s.seq, "", 0, 0x04, CS_BAD);
	sess_send_str(&s, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1), 1,
		     "a RST with a wrong checksum is ignored: the next MAIL FROM alerts");

	/* long segments: every size takes a different way through the sum
	 * (whole 512-byte chunks, the last window, the copy); a byte changed
	 * anywhere after the checksum was made must be caught */
	{
		static const int sizes[] = { 1, 2, 3, 4, 45, 511, 512, 513, 514, 600, 1023, 1448, 1449, 1460, 1500 };
		__u8 fr[PKT_MAX];
		char body[1600];
		int ok = 1;

		start(h, &s);
		sess_send_str(&s, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			struct pkt_spec ps = s.ps;
			int n, len = sizes[k];

			for (int i = 0; i < len; i++)
				body[i] = "abcdefghij klmnop\r\n"[i % 20];
			ps.seq = s.seq;
			n = pkt_build(fr, &ps, body, len);
			for (int at = 0; at < 3 && ok; at++) {
				/* the window field, the middle and the last payload byte */
				int pos = at == 0 ? 34 + 14 : at == 1 ? 54 + (len - 1) / 2 : 54 + len - 1;

				MARK(h);
				fr[pos] ^= 0x01;
				h_xdp(h, fr, n);
				fr[pos] ^= 0x01;
				if (DELTA(h, csum_bad) != 1) {
					printf("# size %d, byte %d changed: not caught\n", len, pos);
					ok = 0;
				}
			}
			MARK(h);
			h_xdp(h, fr, n);
			s.seq += len;
			if (DELTA(h, csum_bad) != 0 || DELTA(h, watched_bytes) != (__u64)len) {
				printf("# size %d: a right checksum was not taken\n", len);
				ok = 0;
			}
		}
		CHECK(ok, "segments of 1 to 1500 bytes: right sums read, one changed byte caught");
	}

	/* never filled in (offload): not read on a physical link, nor here */
	start(h, &s);
	MARK(h);
	seg(&s, s.seq, FORGED, strlen(FORGED), 0, CS_UNFILLED);
	CHECK(h->nev == 0 && DELTA(h, csum_bad) == 1,
	      "checksum-validation auto: an unfilled checksum off a virtual link is not read");
	h_apply(h, "port 25\ninternal-domain corp.example\nchecksum-validation no\n");
	start(h, &s);
	MARK(h);
	seg(&s, s.seq, FORGED, strlen(FORGED), 0, CS_UNFILLED);
	CHECK(h->nev == 1 && DELTA(h, csum_bad) == 0,
	      "checksum-validation no: the same segment is read");
	h_apply(h, config_text);
}

/* segments the server's TCP discards whatever they carry: not read either */
static void test_discarded(struct harness *h)
{
	struct sess s;
	__u32 b;
	__u8 fr[PKT_MAX];
	struct pkt_spec ps;
	int n;

	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\n");
	sess_reply(&s, "250 relay.test\r\n");
	b = s.seq;
	MARK(h);
	seg(&s, b, FORGED, strlen(FORGED), 0x08, CS_GOOD);  /* PSH, no ACK */
	seg(&s, b, FORGED, strlen(FORGED), 0x12, CS_GOOD);  /* SYN|ACK with data */
	ps = s.ps;
	ps.seq = b;
	ps.ack = s.srv_seq + 1000; /* acknowledges server bytes never sent */
	ps.flags = 0x18;
	n = pkt_build(fr, &ps, FORGED, strlen(FORGED));
	h_xdp(h, fr, n);
	CHECK(h->nev == 0 && DELTA(h, tcp_discarded) == 3,
	      "no ACK flag, SYN on an open session, an ACK of unsent bytes: not read");
	seg_str(&s, b, "MAIL FROM:<xyz@outside.test>\r\n");
	s.seq = b + 30;
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0,
	      "... the segment the server takes at that place is read, no anomaly");
}

static int seg_ts(struct sess *s, __u32 seq, const char *data, __u32 tsval, int pad, int sack)
{
	return opt_seg(s, 0, seq, 0, data, tsval, pad, sack);
}

/* SYN, the server's SYN-ACK (through TC), the handshake's ACK; with
 * timestamps from ts on (none if 0). The next client byte is s->seq. */
static void handshake(struct harness *h, struct sess *s, __u32 ts)
{
	h->nev = 0;
	sess_init(s, h, OUTSIDE, RELAY, next_port++);
	opt_seg(s, 0, s->seq, 0x02, "", ts ? (__s64)ts : -1, 2, 0);
	s->seq++;
	opt_seg(s, 1, s->srv_seq, 0x12, "", ts ? 70000 : -1, 2, 0);
	s->srv_seq++;
	opt_seg(s, 0, s->seq, 0x10, "", ts ? (__s64)(__u32)(ts + 1) : -1, 2, 0);
}

/* A session with timestamps (SYN at syn_ts) whose EHLO (13 bytes, at
 * ehlo_ts) the server acknowledged, so that ts_recent is ehlo_ts; returns
 * the EHLO's sequence number. */
static __u32 ehlo_acked(struct harness *h, struct sess *s, __u32 syn_ts, __u32 ehlo_ts)
{
	__u32 b;

	handshake(h, s, syn_ts);
	sess_reply(s, "220 relay.test\r\n");
	b = s->seq;
	seg_ts(s, b, "EHLO a.test\r\n", ehlo_ts, 2, 0);
	s->seq = b + 13;
	sess_reply(s, "250 relay.test\r\n");
	return b;
}

/* PAWS: a segment whose timestamp is older than the one the server keeps
 * is dropped by Linux; read, it would hide the segment the server takes */
static void test_paws(struct harness *h)
{
	struct sess s;
	__u32 b;

	for (int layout = 0; layout < 3; layout++) {
		int pad = layout == 0 ? 2 : layout == 1 ? 0 : 5, sack = layout == 2;

		handshake(h, &s, 990);
		sess_reply(&s, "220 relay.test\r\n");
		b = s.seq;
		seg_ts(&s, b, "EHLO a.test\r\n", 1000, pad, sack);
		MARK(h);
		/* an old timestamp, the forged line: the server drops it */
		seg_ts(&s, b + 13, FORGED, 900, pad, sack);
		/* the segment it takes at that place */
		seg_ts(&s, b + 13, "MAIL FROM:<xyz@outside.test>\r\n", 1001, pad, sack);
		seg_ts(&s, b + 43, "NOOP\r\n", 1002, pad, sack);
		CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 0 &&
		      h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
		      DELTA(h, tcp_discarded) == 1,
		      layout == 0 ? "PAWS: an old timestamp (NOP NOP TS): not read, said" :
		      layout == 1 ? "PAWS: ... TS first, no NOPs" :
				    "PAWS: ... after five NOPs and SACK-permitted");
	}
	/* under stream_anomaly block: dropped unread, and nothing else. Its
	 * copy sent again with a current timestamp is read; the session is
	 * not cut off (a network that reorders makes such segments) */
	h_apply(h, block_text);
	b = ehlo_acked(h, &s, 990, 1000);
	MARK(h);
	CHECK_EQ_INT(seg_ts(&s, b + 13, FORGED, 900, 2, 0), XDP_DROP,
		     "PAWS, block: an old timestamp: dropped");
	{
		struct sg_flow f;

		CHECK(h->nev == 0 && DELTA(h, paws_dropped) == 1 && DELTA(h, tcp_discarded) == 1 &&
		      sess_flow(&s, &f) == 0 && !(f.flags & SG_FLOW_BLOCKED),
		      "PAWS, block: counted (paws_dropped), not said, the session not cut off");
	}
	CHECK_EQ_INT(seg_ts(&s, b + 13, FORGED, 1001, 2, 0), XDP_PASS,
		     "PAWS, block: sent again with a current timestamp: passes");
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0,
	      "PAWS, block: ... and read (the forged sender is found, no anomaly)");
	h_apply(h, config_text);
	/* timestamps that only grow: every segment read */
	b = ehlo_acked(h, &s, 0xffffffe0, 0xfffffff0);
	seg_ts(&s, b + 13, FORGED, 5, 2, 0);     /* the timestamp wraps: newer */
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1), 1,
		     "PAWS: a timestamp that wraps is newer: read");
	/* timestamps the SYNs did not agree on: Linux ignores them, so does this */
	handshake(h, &s, 0);
	b = s.seq;
	seg_ts(&s, b, "EHLO a.test\r\n", 1000, 2, 0);
	seg_ts(&s, b + 13, FORGED, 5, 2, 0);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0,
	      "PAWS: not applied when the SYNs did not both carry timestamps");
}

/* the SYN the server took is the one its SYN-ACK acknowledges; only an ACK
 * of that SYN-ACK completes the handshake; its greeting is awaited first */
static void test_handshake(struct harness *h)
{
	struct sess s;
	struct sg_flow f;
	__u8 fr[PKT_MAX];
	struct pkt_spec ps;
	__u32 isn;
	int n;

	/* a second SYN with another ISN and a wrong checksum, after the real one */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	isn = s.seq;
	opt_seg(&s, 0, isn, 0x02, "", -1, 0, 0);
	ps = s.ps;
	ps.seq = isn + 100000;
	ps.flags = 0x02;
	n = pkt_build(fr, &ps, "", 0);
	fr[14 + 20 + 16] ^= 0x5a;
	h_xdp(h, fr, n);
	s.seq = isn + 1;
	opt_seg(&s, 1, s.srv_seq, 0x12, "", -1, 0, 0);
	s.srv_seq++;
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 1 &&
	      sess_flow(&s, &f) == 0 && !(f.flags & SG_FLOW_MIDSTREAM),
	      "a second SYN with a wrong checksum does not move the stream's start");

	/* an ACK that does not answer the SYN-ACK starts nothing */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	opt_seg(&s, 0, s.seq, 0x02, "", -1, 0, 0);
	s.seq++;
	opt_seg(&s, 1, s.srv_seq, 0x12, "", -1, 0, 0);
	MARK(h);
	s.srv_seq += 5000; /* the wrong acknowledgment number */
	opt_seg(&s, 0, s.seq, 0x10, "", -1, 0, 0);
	CHECK(sess_flow(&s, &f) != 0 && DELTA(h, handshakes_refused) == 1,
	      "an ACK of something else than the SYN-ACK creates no flow");
	s.srv_seq -= 4999;
	opt_seg(&s, 0, s.seq, 0x10, "", -1, 0, 0);
	CHECK(sess_flow(&s, &f) == 0 && f.rq_tail - f.rq_head == 1,
	      "the ACK of the SYN-ACK creates it, awaiting the greeting");

	/* STARTTLS in the handshake's last segment: the greeting's 220 is not
	 * its answer */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	opt_seg(&s, 0, s.seq, 0x02, "", -1, 0, 0);
	s.seq++;
	opt_seg(&s, 1, s.srv_seq, 0x12, "", -1, 0, 0);
	s.srv_seq++;
	sess_send_str(&s, "EHLO a.test\r\nSTARTTLS\r\n");
	sess_reply(&s, "220 relay.test ESMTP\r\n250 relay.test\r\n502 5.5.1 no\r\n");
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 1 && sess_flow(&s, &f) == 0 &&
	      f.phase == SG_PHASE_COMMAND,
	      "STARTTLS with the handshake's ACK: the greeting is not its 220");
}

/* a retransmission the ring cannot compare, of bytes the server has not
 * acknowledged: the server may hold other bytes there (its TCP dropped the
 * first copy for a reason not seen here) */
static void test_unverified(struct harness *h)
{
	char decoy[128], line[128];
	struct sess s;
	__u32 b;

	snprintf(decoy, sizeof(decoy), "MAIL FROM:<xyz@outside.test>\r\nNOOP %s\r\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	handshake(h, &s, 0);
	sess_reply(&s, "220 relay.test\r\n");
	b = s.seq;
	seg_str(&s, b, "EHLO a.test\r\n");
	s.seq = b + 13;
	sess_reply(&s, "250 relay.test\r\n"); /* the server has the EHLO */
	MARK(h);
	seg_str(&s, b + 13, decoy);                    /* not acknowledged */
	seg_str(&s, b + 13, FORGED);                   /* other bytes, before the ring */
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      DELTA(h, retrans_unverified) == 1,
	      "a retransmission of unacknowledged bytes past the ring: a stream_anomaly");

	/* the same once the server has acknowledged them: an honest resend */
	handshake(h, &s, 0);
	sess_reply(&s, "220 relay.test\r\n");
	b = s.seq;
	seg_str(&s, b, "EHLO a.test\r\n");
	seg_str(&s, b + 13, decoy);
	s.seq = b + 13 + strlen(decoy);
	sess_reply(&s, "250 relay.test\r\n");
	MARK(h);
	snprintf(line, sizeof(line), "%s", decoy);
	seg_str(&s, b + 13, line);
	CHECK(h->nev == 0 && DELTA(h, retrans_unverified) == 0 && DELTA(h, retransmits) == 1,
	      "... of bytes the server acknowledged: counted, nothing said");
}

static void test_urgent_and_fragments(struct harness *h)
{
	struct sess s;

	start(h, &s);
	MARK(h);
	seg(&s, s.seq, "MAIL FROM:<ceo@corp.exampleX>\r\n", 31, 0x38, CS_GOOD);
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      DELTA(h, urgent_data) == 1,
	      "urgent data (the server takes a byte out): a stream_anomaly");
	h_apply(h, block_text);
	start(h, &s);
	CHECK(seg(&s, s.seq, "MAIL FROM:<ceo@corp.exampleX>\r\n", 31, 0x38, CS_GOOD) == XDP_PASS &&
	      seg(&s, s.seq + 31, "QUIT\r\n", 6, 0, CS_GOOD) == XDP_DROP,
	      "block: urgent data resets the server's side (a RST), the rest is dropped");
	h_apply(h, config_text);
}

static void test_lifetime(struct harness *h)
{
	struct sess s;
	struct sg_flow f;

	/* the handshake's ACK creates the flow; the greeting's reply is awaited */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	opt_seg(&s, 0, s.seq, 0x02, "", -1, 0, 0);
	CHECK(sess_flow(&s, &f) != 0, "a SYN alone creates no flow entry");
	s.seq++;
	opt_seg(&s, 1, s.srv_seq, 0x12, "", -1, 0, 0);
	s.srv_seq++;
	seg(&s, s.seq, "", 0, 0x10, CS_GOOD);
	CHECK(sess_flow(&s, &f) == 0 && !(f.flags & SG_FLOW_MIDSTREAM) && f.rq_tail - f.rq_head == 1,
	      "the handshake's ACK creates it, at the stream's start");
	sess_reply(&s, "220 relay.test ESMTP\r\n");
	sess_send_str(&s, "EHLO a.test\r\nMAIL FROM:<a@outside.test>\r\nRCPT TO:<b@x.test>\r\n"
			  "RCPT TO:<c@x.test>\r\nDATA\r\n");
	MARK(h);
	sess_reply(&s, "250-relay.test\r\n250 PIPELINING\r\n250 2.1.0 Ok\r\n550 5.1.1 no\r\n"
		       "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
	sess_send_str(&s, "Subject: x\r\n\r\nhi\r\n.\r\nMAIL FROM:<a@outside.test>\r\n"
			  "RCPT TO:<b@x.test>\r\nDATA\r\n");
	/* the 250 for the message, cut inside its code, and the rest */
	sess_reply(&s, "25");
	sess_reply(&s, "0 2.0.0 Ok: queued\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	sess_send_str(&s, "Subject: y\r\n\r\nhi\r\n.\r\n");
	sess_reply(&s, "554 5.7.1 rejected\r\n");
	CHECK(sess_flow(&s, &f) == 0 && f.msgs_accepted == 1 && f.msgs_refused == 1 &&
	      f.recipients - f.rcpt_refused == 2 && DELTA(h, recipients_refused) == 1 &&
	      DELTA(h, messages_accepted) == 1 && DELTA(h, messages_refused) == 1 &&
	      f.rq_tail == f.rq_head,
	      "pipelined replies matched: 1 message queued, 1 refused, 1 recipient refused");
	/* a retransmitted reply is not read twice */
	s.srv_seq -= 20;
	sess_reply(&s, "554 5.7.1 rejected\r\n");
	CHECK(sess_flow(&s, &f) == 0 && f.msgs_refused == 1,
	      "a retransmitted reply is not counted again");

	/* FIN from both sides frees the entry; a RST out of place does not */
	MARK(h);
	sess_send_str(&s, "QUIT\r\n");
	seg(&s, s.seq + 5000, "", 0, 0x14, CS_GOOD);
	CHECK(sess_flow(&s, &f) == 0, "a RST out of the window leaves the flow");
	seg(&s, s.seq, "", 0, 0x11, CS_GOOD);
	CHECK(sess_flow(&s, &f) == 0 && (f.flags & SG_FLOW_CLI_FIN),
	      "the client's FIN closes its side");
	opt_seg(&s, 1, s.srv_seq, 0x11, "221 bye\r\n", -1, 0, 0);
	CHECK(sess_flow(&s, &f) != 0 && DELTA(h, flows_freed) == 1,
	      "the server's FIN after it frees the entry");

	/* segments of a session never seen starting: no flow until the server
	 * sends on it (a flood of spoofed ones evicts nothing) */
	h->nev = 0;
	MARK(h);
	for (int i = 0; i < 100; i++) {
		sess_init(&s, h, OUTSIDE, RELAY, 50000 + i);
		sess_send_str(&s, FORGED);
	}
	CHECK(h->nev == 0 && DELTA(h, flows_midstream) == 0 && DELTA(h, pickups_waiting) == 100,
	      "100 segments of sessions never seen starting: no flow, counted");

	/* picked up mid-session: the replies owed are unknown, not guessed */
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, next_port++);
	sess_reply(&s, "250 2.1.0 Ok\r\n");
	sess_send_str(&s, "NOOP\r\nDATA\r\n");
	sess_reply(&s, "250 ok\r\n554 no\r\n");
	sess_send_str(&s, FORGED);
	CHECK(sess_flow(&s, &f) == 0 && (f.flags & SG_FLOW_MIDSTREAM) &&
	      (f.flags & SG_FLOW_NO_REPLIES) && f.phase == SG_PHASE_DATA,
	      "mid-session pickup: replies not matched (DATA stays, read as message)");
}

/* many pipelined commands: runs of the same kind take one slot; past
 * SG_REPLY_QUEUE runs, matching is lost and that is said */
static void test_pipelined_runs(struct harness *h)
{
	char cmds[2048] = "", replies[2048] = "";
	struct sess s;
	struct sg_flow f;

	start(h, &s);
	for (int i = 0; i < 30; i++) {
		strcat(cmds, "RSET\r\n");
		strcat(replies, "250 Ok\r\n");
	}
	strcat(cmds, "MAIL FROM:<a@outside.test>\r\n");
	for (int i = 0; i < 40; i++)
		strcat(cmds, "RCPT TO:<n@corp.example>\r\n");
	strcat(cmds, "DATA\r\n");
	sess_send_str(&s, cmds);
	strcat(replies, "250 Ok\r\n");
	for (int i = 0; i < 40; i++)
		strcat(replies, "550 5.1.1 no\r\n");
	strcat(replies, "554 5.5.1 no valid recipients\r\n");
	sess_reply(&s, replies);
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0 && sess_flow(&s, &f) == 0 &&
	      f.recipients - f.rcpt_refused == 0,
	      "30 RSETs, 40 refused RCPTs, DATA refused, pipelined: all matched");

	/* kinds alternating: as many runs as kept, then more */
	start(h, &s);
	cmds[0] = 0;
	for (int i = 0; i < (SG_REPLY_QUEUE - 2) / 2; i++)
		strcat(cmds, "RCPT TO:<a@corp.example>\r\nNOOP\r\n");
	sess_send_str(&s, cmds);
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, -1) == 0 && sess_flow(&s, &f) == 0 &&
	      !(f.flags & SG_FLOW_NO_REPLIES),
	      "62 runs pipelined (and the greeting): all kept");
	start(h, &s);
	cmds[0] = 0;
	for (int i = 0; i < SG_REPLY_QUEUE / 2 + 1; i++)
		strcat(cmds, "RCPT TO:<a@corp.example>\r\nNOOP\r\n");
	sess_send_str(&s, cmds);
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 && sess_flow(&s, &f) == 0 &&
	      (f.flags & SG_FLOW_NO_REPLIES),
	      "66 runs pipelined: replies no longer matched, and said");
}

/* IPv6 options Linux may drop a packet for: not read, said; an 8-byte
 * header of padding is read */
static void test_v6_options(struct harness *h)
{
	const char *v6 = "2001:db8:bad::9", *srv = "2001:db8:25::25";
	__u8 fr[PKT_MAX];
	struct pkt_spec ps;
	struct sess s;
	int n;

	h->nev = 0;
	sess_init(&s, h, v6, srv, next_port++);
	sess_syn(&s);
	s.ps.v6_ext = 1;
	sess_send_str(&s, "EHLO a.test\r\n");
	ps = s.ps;
	ps.seq = s.seq;
	ps.ack = s.srv_seq;
	n = pkt_build(fr, &ps, FORGED, strlen(FORGED));
	/* the destination options header (after hop-by-hop): an option of
	 * type 0x80 ("discard, send an ICMP") instead of its PadN */
	fr[14 + 40 + 8 + 2] = 0x80;
	MARK(h);
	h_xdp(h, fr, n);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1) == 0 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      DELTA(h, tcp_discarded) == 1,
	      "IPv6 destination options other than padding: not read, a stream_anomaly");
}

/* what could end the reading though the server's kernel did not take it */
static void test_false_ends(struct harness *h)
{
	struct sess s;
	struct sg_flow f;
	__u8 fr[PKT_MAX];
	struct pkt_spec ps;
	int n;

	/* data after the client's FIN: read, and said */
	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\n");
	seg(&s, s.seq, "", 0, 0x11, CS_GOOD);
	sess_send_str(&s, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1,
	      "data after the client's FIN: read, and a stream_anomaly");

	/* a RST whose IPv4 header checksum is wrong: the kernel drops it */
	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\n");
	ps = s.ps;
	ps.seq = s.seq;
	ps.flags = 0x04;
	n = pkt_build(fr, &ps, "", 0);
	fr[14 + 10] ^= 0x11;
	h_xdp(h, fr, n);
	sess_send_str(&s, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM), 1,
		     "a RST with a wrong IPv4 header checksum does not end the reading");

	/* a server RST that is not at its sequence (a listener's answer to a
	 * stray ACK) leaves the session */
	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\n");
	sess_reply(&s, "250 relay.test\r\n");
	opt_seg(&s, 1, s.srv_seq + 77777, 0x04, "", -1, 0, 0);
	CHECK(sess_flow(&s, &f) == 0, "a server RST away from its sequence: the session stays");
	opt_seg(&s, 1, s.srv_seq, 0x04, "", -1, 0, 0);
	CHECK(sess_flow(&s, &f) != 0, "one at its sequence ends it");
}

/* A DATA refused with a whole message pipelined behind it (those were
 * commands, read as message): TC notes it, XDP says it at the client's next
 * packet, its ACK of the refusal. Under block, that ACK becomes the RST to
 * the server, at where its stream ends. */
static void test_refused_pipelined(struct harness *h, const char *conf, int block)
{
	struct sess s;
	__u8 out[PKT_MAX];
	__u32 outlen = sizeof(out);
	struct sg_stats a, b;
	int v;

	h_apply(h, conf);
	start(h, &s);
	sess_send_str(&s, "MAIL FROM:<a@outside.test>\r\nRCPT TO:<nobody@corp.example>\r\n"
			  "DATA\r\nMAIL FROM:<ceo@corp.example>\r\nRCPT TO:<b@corp.example>\r\n"
			  "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
	h_stats(h, &a);
	sess_reply(&s, "250 ok\r\n550 no\r\n554 no valid recipients\r\n");
	h_stats(h, &b);
	CHECK(b.refused_after_pipelining - a.refused_after_pipelining == 1 &&
	      h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 0,
	      block ? "block: a refused DATA with a message pipelined behind it: counted by TC"
		    : "a refused DATA with a message pipelined behind it: counted by TC");
	v = sess_ack(&s, out, &outlen);
	h_stats(h, &a);
	if (!block) {
		CHECK(v == XDP_PASS && h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1,
		      "... said at the client's ACK of the refusal (XDP), which passes");
		return;
	}
	CHECK(h_alerts(h, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM) == 1 &&
	      h->ev[h->nev - 1].action == SG_ACTION_BLOCK && v == XDP_PASS &&
	      h_is_rst(out, outlen, s.seq) && a.blocked_rsts - b.blocked_rsts == 1,
	      "block: ... said, blocked, and the client's ACK becomes the RST at its stream's end");
	CHECK_EQ_INT(sess_send_str(&s, "QUIT\r\n"), XDP_DROP, "block: ... what the client sends next is dropped");
}

/* from the second review: a session's end that leaves no entry behind, a
 * resend before the server's ACK, a refused DATA with a whole message
 * pipelined behind it */
static void test_review2(struct harness *h)
{
	char big[128];
	struct sess s, t;
	struct sg_flow f;
	__u16 port;
	__u32 b;

	/* a client FIN, then a RST one past it (the 221 came after close) */
	start(h, &s);
	port = s.ps.sport;
	sess_send_str(&s, "QUIT\r\n");
	seg(&s, s.seq, "", 0, 0x11, CS_GOOD);
	seg(&s, s.seq + 1, "", 0, 0x04, CS_GOOD);
	CHECK(sess_flow(&s, &f) != 0, "a client FIN, then a RST at FIN+1: the entry is freed");
	/* a new session on the same ports, its ISN anywhere: read */
	h->nev = 0;
	sess_init(&t, h, OUTSIDE, RELAY, port);
	t.seq = s.seq - 100;
	sess_syn(&t);
	sess_send_str(&t, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM), 1,
		     "... and the next session on those ports is read");

	/* a SYN on an open session that the server answers: a new session */
	start(h, &s);
	port = s.ps.sport;
	sess_send_str(&s, "EHLO a.test\r\n");
	h->nev = 0;
	sess_init(&t, h, OUTSIDE, RELAY, port);
	t.seq = s.seq - 5000;
	t.srv_seq = 90000;
	opt_seg(&t, 0, t.seq, 0x02, "", -1, 0, 0);
	t.seq++;
	opt_seg(&t, 1, t.srv_seq, 0x12, "", -1, 0, 0);
	t.srv_seq++;
	sess_send_str(&t, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      sess_flow(&t, &f) == 0 && f.next_seq == t.seq,
	      "a SYN the server answers on an open session's ports: the new session is read");

	/* a resend of an unacknowledged segment longer than the ring, under
	 * block: said, not blocked (a tail-loss probe looks the same) */
	h_apply(h, block_text);
	handshake(h, &s, 0);
	sess_reply(&s, "220 relay.test\r\n");
	b = s.seq;
	snprintf(big, sizeof(big), "MAIL FROM:<someone.with.a.long.name@outside.test> SIZE=12345\r\n");
	seg_str(&s, b, big);
	CHECK(seg_str(&s, b, big) == XDP_PASS && h->nev == 1 &&
	      h->ev[0].action == SG_ACTION_ALERT,
	      "block: a resend the server has not acknowledged is said, not blocked");
	h_apply(h, config_text);

	/* DATA refused, with a whole message and the next transaction behind
	 * it in one segment: noted by TC (which writes none of XDP's words),
	 * said by XDP at the client's ACK of the refusal, before it sends more */
	test_refused_pipelined(h, config_text, 0);
	test_refused_pipelined(h, block_text, 1);
	h_apply(h, config_text);
}

/* STARTTLS accepted after pipelined replies; refused with 454 */
static void test_starttls(struct harness *h)
{
	struct sess s;
	struct sg_flow f;

	start(h, &s);
	MARK(h);
	sess_send_str(&s, "EHLO a.test\r\nSTARTTLS\r\n");
	sess_reply(&s, "250-relay.test\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n");
	sess_send_str(&s, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" FORGED);
	sess_reply(&s, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" "554 x\r\n");
	CHECK(h->nev == 0 && sess_flow(&s, &f) == 0 && f.phase == SG_PHASE_TLS &&
	      DELTA(h, tls_started) == 1 && DELTA(h, replies_refused) == 0,
	      "STARTTLS then TLS records: counted, neither side parsed");

	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\nSTARTTLS\r\n");
	sess_reply(&s, "250 relay.test\r\n454 4.7.0 TLS not available\r\n");
	sess_send_str(&s, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1), 1,
		     "STARTTLS refused with 454: the session is read on");

	/* out of step: a 220 cannot start TLS unless STARTTLS waits for it */
	start(h, &s);
	sess_send_str(&s, "EHLO a.test\r\nNOOP\r\n");
	sess_reply(&s, "220 hello\r\n220 hello\r\n");
	sess_send_str(&s, FORGED);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, -1), 1,
		     "a 220 to a command that is not STARTTLS does not stop the parsing");
}

/* A SYN flood fills sg_syns, never sg_flows: a session being inspected stays */
static void test_syn_flood(struct harness *h)
{
	struct sess live;
	__u8 fr[PKT_MAX];
	struct pkt_spec ps = { .dst = RELAY, .dport = 25, .flags = 0x02 };
	char src[32];
	int n, total = 2 * SG_MAX_SYNS + 1000;

	start(h, &live);
	sess_send_str(&live, "EHLO a.test\r\n");
	MARK(h);
	for (int i = 0; i < total; i++) {
		snprintf(src, sizeof(src), "198.51.100.%d", 1 + i % 250);
		ps.src = src;
		ps.sport = 1024 + i / 250;
		ps.seq = i * 7919;
		n = pkt_build(fr, &ps, "", 0);
		h_xdp(h, fr, n);
	}
	sess_send_str(&live, FORGED);
	CHECK(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_MAIL_FROM) == 1 &&
	      DELTA(h, syns_tracked) >= (__u64)total && DELTA(h, flows_new) == 0,
	      "after a flood of 2 x SG_MAX_SYNS SYNs, the live session is still read");
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("stream tests", "need root (CAP_BPF) to load the programs");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, config_text), 0, "programs load and the policy applies"))
		return check_done();
	test_order(&h);
	test_overlaps(&h);
	test_checksums(&h);
	test_discarded(&h);
	test_paws(&h);
	test_handshake(&h);
	test_unverified(&h);
	test_urgent_and_fragments(&h);
	test_lifetime(&h);
	test_starttls(&h);
	test_false_ends(&h);
	test_review2(&h);
	test_v6_options(&h);
	test_pipelined_runs(&h);
	test_syn_flood(&h);
	h_close(&h);
	return check_done();
}
