/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stream.h - the client's bytes as the server's TCP keeps them, without a
 * packet buffer: a segment is parsed only if its checksum is right (the
 * server drops it otherwise), only its bytes past the stream position are
 * new, a retransmission is compared with the last bytes parsed, and a gap,
 * a conflicting overlap or urgent data is a counted stream_anomaly. Also the
 * life of a flow entry: SYNs wait in sg_syns, an entry is freed by a RST or
 * by FINs from both sides.
 */
#ifndef SG_STREAM_H
#define SG_STREAM_H

#define SG_CSUM_CHUNK 512 /* bpf_csum_diff takes at most 512 bytes a call */
#define SG_CSUM_SOFT 128 /* a rest shorter than this is summed without helper calls */
#define SG_CSUM_MAX 9216 /* a segment's length the sum reaches: a 9000-byte jumbo frame */

/* what an anomaly alert says, as its value */
static const char sg_what_gap[SG_TOKEN_MAX] =
	"a gap or an out-of-order segment: bytes not read; resynchronised at the next line";
static const char sg_what_conflict[SG_TOKEN_MAX] =
	"a retransmission with bytes that differ from those already sent (TCP evasion?)";
static const char sg_what_paws[SG_TOKEN_MAX] =
	"an old TCP timestamp (PAWS): the server drops the segment; it was not read";
static const char sg_what_unverified[SG_TOKEN_MAX] =
	"a retransmission of bytes the server has not acknowledged, too long to compare";
static const char sg_what_after_fin[SG_TOKEN_MAX] =
	"data after the client's FIN: the server did not take it, or the stream was spoofed";
static const char sg_what_v6opts[SG_TOKEN_MAX] =
	"IPv6 hop-by-hop or destination options: the server may drop the packet; not read";
static const char sg_what_too_big[SG_TOKEN_MAX] =
	"a packet larger than the parser reaches (GRO in generic XDP?): not read";
static const char sg_what_urgent[SG_TOKEN_MAX] =
	"TCP urgent data: the server takes a byte out of the stream that was read in it";

static __always_inline int sg_csum_fold16(__s64 s)
{
	if (s < 0)
		return -1;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/* a sum of 32-bit words, carries folded back into 32 bits */
static __always_inline __u64 sg_fold32(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	return (s & 0xffffffff) + (s >> 32);
}

/* The TCP pseudo-header of pk for a segment of tcp_len bytes, summed as
 * 32-bit words as they lie in memory: the sum bpf_csum_diff computes. */
static __always_inline __u64 sg_pseudo_sum(const struct sg_pkt *pk, __u32 tcp_len)
{
	const __u32 *sa = (const __u32 *)pk->key.saddr.a, *da = (const __u32 *)pk->key.daddr.a;
	__u64 ps = (__u64)sa[3] + da[3] + bpf_htonl(SG_IPPROTO_TCP << 16 | tcp_len);

	if (pk->v6)
		ps += (__u64)sa[0] + sa[1] + sa[2] + da[0] + da[1] + da[2];
	return sg_fold32(ps);
}

/* The IPv4 header at l3_off, summed and folded (0xffff when its checksum is
 * right), or -1: with options, from a copy with zeros past them. */
static __always_inline int sg_ipv4_hdr_sum(struct xdp_md *ctx, __u32 l3_off)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 *w = data + (l3_off & SG_POS_MASK), ihl, hdr[15] = {};

	if ((void *)(w + 5) > data_end)
		return -1;
	ihl = (((__u8 *)w)[0] & 0xf) * 4;
	if (ihl == 20)
		return sg_csum_fold16(sg_fold32((__u64)w[0] + w[1] + w[2] + w[3] + w[4]));
	if (ihl < 20 || bpf_xdp_load_bytes(ctx, l3_off, hdr, ihl))
		return -1;
	return sg_csum_fold16(bpf_csum_diff(NULL, 0, hdr, sizeof(hdr), 0));
}

/* n bytes at packet offset off, not all in the linear part: from a copy
 * (sg_decoded is free: the checksum comes before any part program).
 * Global: verified once, whatever calls it. */
__noinline int sg_csum_copy(struct xdp_md *ctx, __u32 off, __u32 n, __u32 seed)
{
	struct sg_decoded *d;
	__u32 zero = 0, done = 0;
	__s64 s = seed;

	if (!ctx)
		return -1;

	d = bpf_map_lookup_elem(&sg_decoded, &zero);
	if (!d)
		return -1;
	for (int i = 0; i < SG_CSUM_MAX / SG_CSUM_CHUNK; i++) {
		__u32 k = n - done;

		if (!k || done >= n)
			break;
		if (k > SG_CSUM_CHUNK)
			k = SG_CSUM_CHUNK;
		k = ((k - 1) & (SG_CSUM_CHUNK - 1)) + 1; /* 1..512, as the verifier sees it */
		if (bpf_xdp_load_bytes(ctx, off + done, d->b, k))
			return -1;
		/* an odd tail is summed as if padded with zeros */
		d->b[k] = 0;
		d->b[k + 1] = 0;
		d->b[k + 2] = 0;
		s = bpf_csum_diff(NULL, 0, (__be32 *)d->b, (k + 3) & ~3U, s);
		if (s < 0)
			return -1;
		done += k;
	}
	return sg_csum_fold16(s);
}

/* n (< 512) bytes at packet offset off: in pieces of constant size.
 * Global: verified once, not once per chunk of sg_csum_fold's loop. */
__noinline int sg_csum_small(struct xdp_md *ctx, __u32 off, __u32 n, __u32 seed)
{
	void *data, *data_end;
	__u8 *p;
	__u32 tail = 0;
	__s64 s = seed;

	if (!ctx || n >= SG_CSUM_CHUNK)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	p = data + (off & SG_POS_MASK);

	/* a command segment: its words added here cost less than helper
	 * calls (about 8 ns each) */
	if (n < SG_CSUM_SOFT) {
		for (int i = 0; i < SG_CSUM_SOFT / 4; i++) {
			if (n < 4)
				break;
			if ((void *)(p + 4) > data_end)
				return sg_csum_copy(ctx, off, n, s);
			s += *(__u32 *)p;
			p += 4;
			n -= 4;
		}
		s = sg_fold32(s);
	}

#pragma unroll
	for (int k = 256; k >= 4; k >>= 1) {
		if (n & k) {
			if ((void *)(p + k) > data_end)
				return sg_csum_copy(ctx, off, n, s);
			s = bpf_csum_diff(NULL, 0, (__be32 *)p, k, s);
			if (s < 0)
				return -1;
			p += k;
		}
	}
	/* the last 1-3 bytes, as the first bytes of a zero-padded word */
	if (n & 3) {
		if ((void *)(p + 1) > data_end)
			return -1;
		((__u8 *)&tail)[0] = p[0];
		if ((n & 3) > 1) {
			if ((void *)(p + 2) > data_end)
				return -1;
			((__u8 *)&tail)[1] = p[1];
		}
		if ((n & 3) > 2) {
			if ((void *)(p + 3) > data_end)
				return -1;
			((__u8 *)&tail)[2] = p[2];
		}
		s += tail;
		s = sg_fold32(s);
	}
	return sg_csum_fold16(s);
}

/* The one's-complement sum of len bytes from packet offset off, seeded,
 * folded to 16 bits: 0xffff over a TCP segment and its pseudo-header when
 * the checksum is right; -1 if the bytes cannot be read. bpf_csum_diff takes
 * at most 512 bytes, from a pointer proven in bounds for a constant size:
 * - whole 512-byte chunks are summed in the packet;
 * - the rest of a segment of 512 bytes or more, in whole words (a
 *   full-sized segment is), is the last 512 bytes less what the chunks
 *   already counted: one call;
 * - any other rest is cut into 256, 128 ... 4 bytes, each a constant size,
 *   and its last 1-3 bytes are added by hand;
 * - a packet that is not linear (XDP multi-buffer) is summed from a copy.
 * The global functions here are verified once, not once per path of the
 * packet parsing around them. */
__noinline int sg_csum_fold(struct xdp_md *ctx, __u32 off, __u32 len, __u32 seed)
{
	__u32 done = 0;
	__s64 s = seed;

	if (!ctx || len > SG_CSUM_MAX)
		return -1;
	for (int i = 0; i < SG_CSUM_MAX / SG_CSUM_CHUNK; i++) {
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;
		__u8 *p = data + ((off + done) & SG_POS_MASK);
		__u32 n = len - done;

		if (!n || done >= len)
			break;
		if (n >= SG_CSUM_CHUNK && (void *)(p + SG_CSUM_CHUNK) <= data_end) {
			s = bpf_csum_diff(NULL, 0, (__be32 *)p, SG_CSUM_CHUNK, s);
			n = SG_CSUM_CHUNK;
		} else if (done >= SG_CSUM_CHUNK && !(n & 3) && n < SG_CSUM_CHUNK) {
			/* the window [len - 512, len): the n bytes left, and the
			 * 512 - n before them, counted already, taken off again */
			__u8 *w = data + ((off + len - SG_CSUM_CHUNK) & SG_POS_MASK);
			__u32 back = (SG_CSUM_CHUNK - n) & (SG_CSUM_CHUNK - 4);

			if ((void *)(w + SG_CSUM_CHUNK) > data_end)
				return sg_csum_copy(ctx, off + done, n, s);
			s = bpf_csum_diff((__be32 *)w, back, (__be32 *)w, SG_CSUM_CHUNK, s);
		} else if (n < SG_CSUM_CHUNK) {
			return sg_csum_small(ctx, off + done, n, s);
		} else {
			return sg_csum_copy(ctx, off + done, n, s);
		}
		if (s < 0)
			return -1;
		done += n;
	}
	return sg_csum_fold16(s);
}

enum { SG_CF_GOOD, SG_CF_UNFILLED, SG_CF_BAD };

/* for sg_csum_ok: a session whose SYN was seen knows whether it is lax */
static __always_inline int sg_flow_lax(const struct sg_flow *f)
{
	return f->flags & SG_FLOW_MIDSTREAM ? -1 : !!(f->flags & SG_FLOW_CSUM_LAX);
}

/* The segment's TCP checksum: right, never filled in (the sender's offload
 * left the pseudo-header sum in it), or wrong. One that cannot be summed
 * (longer than the sum reaches) is taken as right. */
__noinline int sg_csum_form(struct xdp_md *ctx, const struct sg_pkt *pk)
{
	void *data, *data_end;
	__u32 tcp_len;
	__u16 *check;
	__u64 ps;
	int sum;

	if (!ctx || !pk)
		return SG_CF_GOOD;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tcp_len = pk->payload_off - pk->l4_off + pk->payload_len;
	check = data + ((pk->l4_off + 16) & SG_POS_MASK);
	/* an IPv4 header with a wrong checksum is dropped before TCP sees it */
	if (!pk->v6 && sg_ipv4_hdr_sum(ctx, pk->l3_off) != 0xffff)
		return SG_CF_BAD;
	ps = sg_pseudo_sum(pk, tcp_len);
	sum = sg_csum_fold(ctx, pk->l4_off, tcp_len, ps);
	if (sum < 0 || sum == 0xffff)
		return SG_CF_GOOD;
	if ((void *)(check + 1) > data_end)
		return SG_CF_BAD;
	ps = (ps & 0xffff) + (ps >> 16);
	ps = (ps & 0xffff) + (ps >> 16);
	ps = (ps & 0xffff) + (ps >> 16);
	return *check == ps ? SG_CF_UNFILLED : SG_CF_BAD;
}

/* checksum-validation auto: is an unfilled checksum a local sender's here?
 * On the virtual links load noted (csum_lax_if), where a sender on this host
 * hands packets over unfilled and the kernel trusts them. */
static __always_inline int sg_csum_lax_if(struct xdp_md *ctx, const struct sg_config *cfg)
{
	__u32 ifx = ctx->ingress_ifindex;
	int lax = 0;

	for (int i = 0; i < SG_MAX_IFACES; i++)
		if (ifx && cfg->csum_lax_if[i] == ifx)
			lax = 1;
	return lax;
}

/* Is this segment's TCP checksum one the server's kernel takes? lax: the
 * session's SYN came unfilled from a local sender (1), or not (0), or it is
 * not known (-1: the interface decides). Counted when the segment is not
 * taken, or when its checksum was never filled in. */
static __always_inline int sg_csum_ok(struct xdp_md *ctx, const struct sg_pkt *pk,
				      const struct sg_config *cfg, int lax)
{
	__u32 mode = cfg->csum_mode;
	int form;

	if (mode == SG_CSUM_OFF)
		return 1;
	form = sg_csum_form(ctx, pk);
	if (form == SG_CF_GOOD)
		return 1;
	if (form == SG_CF_UNFILLED &&
	    (mode == SG_CSUM_OFFLOAD_OK ||
	     (mode == SG_CSUM_AUTO && (lax > 0 || (lax < 0 && sg_csum_lax_if(ctx, cfg)))))) {
		stat_inc(SG_STAT_csum_offloaded);
		return 1;
	}
	stat_inc(SG_STAT_csum_bad);
	return 0;
}

/* Keeps this segment's last new bytes (at most 32) in the flow's ring, at
 * ring[seq & 31], for comparing retransmissions with. */
static __always_inline void sg_ring_keep(struct xdp_md *ctx, struct sg_flow *f,
					 const struct sg_pkt *pk, __u32 skip)
{
	__u32 n = pk->payload_len - skip, k = n < 32 ? n : 32;
	__u32 off = pk->payload_off + pk->payload_len - k;
	__u32 p = (pk->seq + pk->payload_len - k) & 31, first = 32 - p;

	if (!k || k > 32)
		return;
	if (first > k)
		first = k;
	bpf_xdp_load_bytes(ctx, off, f->ring + p, ((first - 1) & 31) + 1);
	if (k > first)
		bpf_xdp_load_bytes(ctx, off + first, f->ring, ((k - first - 1) & 31) + 1);
	n += f->ring_n;
	f->ring_n = n < 32 ? n : 32;
}

/* Do the bytes of this segment before next_seq differ from those parsed?
 * Compared as far back as the ring reaches (32 bytes): further back, a
 * retransmission is counted, not compared. */
static __always_inline int sg_ring_differs(struct xdp_md *ctx, const struct sg_flow *f,
					   const struct sg_pkt *pk)
{
	__u32 lo = f->next_seq - f->ring_n, from = pk->seq, to = pk->seq + pk->payload_len;
	__u8 buf[32];
	__u32 n;

	if ((__s32)(from - lo) < 0)
		from = lo;
	if ((__s32)(to - f->next_seq) > 0)
		to = f->next_seq;
	if ((__s32)(to - from) <= 0)
		return 0;
	n = (to - from) & 63;
	if (!n || n > 32 ||
	    bpf_xdp_load_bytes(ctx, pk->payload_off + (from - pk->seq), buf, n))
		return 0;
	for (int i = 0; i < 32; i++) {
		if (i >= n)
			break;
		if (buf[i] != f->ring[(from + i) & 31])
			return 1;
	}
	return 0;
}

/* The TSval of the timestamp option among the n (1..40) option bytes in buf
 * (64 bytes, zero past n), or -1: a walk a byte at a time, so every index is
 * a constant (an attacker picks the layout, Linux reads any). */
static __always_inline __s64 sg_opts_tsval(const __u8 *buf, __u32 n)
{
	__u32 skip = 0;

	for (int i = 0; i < 40; i++) {
		__u8 kind = buf[i];

		if (i >= n)
			break;
		if (skip) {
			skip--;
			continue;
		}
		if (kind == 0)
			break;
		if (kind == 1)
			continue;
		if (kind == 8 && buf[i + 1] == 10 && i + 10 <= n)
			return (__u32)buf[i + 2] << 24 | (__u32)buf[i + 3] << 16 |
			       (__u32)buf[i + 4] << 8 | buf[i + 5];
		if (buf[i + 1] < 2)
			break;
		skip = buf[i + 1] - 1;
	}
	return -1;
}

/* The client segment's TSval, or -1 without one. The layout every stack
 * sends (NOP NOP TS) is one compare. Global: verified once. */
__noinline __s64 sg_tcp_tsval(struct xdp_md *ctx, __u32 l4_off, __u32 doff)
{
	void *data, *data_end;
	__u8 buf[64] = {}, *o;
	__u32 n = doff - 20;

	if (!ctx || doff <= 20 || doff > 60 || l4_off > SG_POS_MASK)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	o = data + ((l4_off + 20) & SG_POS_MASK);
	if ((void *)(o + 12) <= data_end && doff >= 32 && o[0] == 1 && o[1] == 1 && o[2] == 8 &&
	    o[3] == 10)
		return bpf_ntohl(*(__u32 *)(o + 4));
	/* n is 1..40 here; 1..64 as the verifier sees it, buf holds 64 */
	if (bpf_xdp_load_bytes(ctx, l4_off + 20, buf, ((n - 1) & 63) + 1))
		return -1;
	return sg_opts_tsval(buf, n);
}

/* The same for a server segment (the SYN-ACK), in TC. */
__noinline __s64 sg_skb_tsval(struct __sk_buff *skb, __u32 l4_off, __u32 doff)
{
	__u8 buf[64] = {};
	__u32 n = doff - 20;

	if (!skb || doff <= 20 || doff > 60 || l4_off > SG_POS_MASK)
		return -1;
	if (bpf_skb_load_bytes(skb, l4_off + 20, buf, ((n - 1) & 63) + 1))
		return -1;
	return sg_opts_tsval(buf, n);
}

/* PAWS (RFC 7323), as Linux keeps it, for sessions whose SYN and SYN-ACK
 * both carried timestamps (else Linux ignores them): a segment whose TSval
 * is older than ts_recent by more than one is dropped; ts_recent starts at
 * the SYN's and takes a newer TSval only from a segment that starts at or
 * before what the server last acknowledged (rcv_wup), which the TC program
 * sees. Without the TC program's view this is not applied. */
static __always_inline int sg_paws_old(struct sg_flow *f, __s64 tsval)
{
	return tsval >= 0 && (f->flags & SG_FLOW_TS_OK) && (f->srv_flags & SG_SRV_SEEN) &&
	       (__s32)(f->ts_recent - (__u32)tsval) > 1;
}

static __always_inline void sg_paws_keep(struct sg_flow *f, const struct sg_pkt *pk, __s64 tsval)
{
	if (tsval < 0 || !(f->flags & SG_FLOW_TS_OK))
		return;
	if ((__s32)(pk->seq - f->srv_acked) <= 0 && (__s32)((__u32)tsval - f->ts_recent) >= 0)
		f->ts_recent = tsval;
}

/* Does the server's TCP discard this segment of an open session, whatever
 * its bytes? Linux does (tcp_validate_incoming, tcp_ack) for one without ACK,
 * one with SYN (a challenge ACK is all it gets), and one that acknowledges
 * server bytes never sent (known once sg_tc_egress has seen the server's
 * packets: without them, as on an asymmetric route, this is not checked). */
static __always_inline int sg_tcp_discards(const struct sg_flow *f, const struct sg_pkt *pk)
{
	__u8 fl = pk->tcp_flags;

	if (sg_ignore_seq)
		return 0;
	return !(fl & TCPF_ACK) || (fl & TCPF_SYN) ||
	       ((f->srv_flags & SG_SRV_SEEN) && (__s32)(pk->ack - f->srv_next_seq) > 0);
}

enum { SG_SEG_OLD = -1, SG_SEG_DROP = -2 };

/* Does a retransmission carry bytes the server has not acknowledged and the
 * ring no longer holds? (Only known once the TC program has seen the
 * server's ACKs.) Bytes it acknowledged are its for good: a copy sent again
 * cannot change them. */
static __always_inline int sg_unverified(const struct sg_flow *f, const struct sg_pkt *pk)
{
	__u32 from = pk->seq, to = pk->seq + pk->payload_len, lo = f->next_seq - f->ring_n;

	if (!(f->srv_flags & SG_SRV_SEEN))
		return 0;
	if ((__s32)(from - f->srv_acked) < 0)
		from = f->srv_acked;
	if ((__s32)(to - lo) > 0)
		to = lo;
	return (__s32)(to - from) > 0;
}

/* Where does this segment's new data start? The payload offset to parse
 * from, SG_SEG_OLD when nothing is new, SG_SEG_DROP to drop it (the flow is
 * blocked, or an out-of-order segment under stream_anomaly block: the sender
 * then retransmits in order, and the server sees exactly what was parsed). */
__noinline int sg_stream_position(struct xdp_md *ctx, struct sg_flow *f, const struct sg_pkt *pk,
				 const struct sg_config *cfg)
{
	__s32 d;
	__u32 len;

	if (!ctx || !f || !pk || !cfg)
		return SG_SEG_OLD;
	if (sg_ignore_seq)
		return 0;
	d = (__s32)(pk->seq - f->next_seq);
	len = pk->payload_len;
	if (d == 0) {
		sg_ring_keep(ctx, f, pk, 0);
		f->next_seq = pk->seq + len;
		return 0;
	}
	if (d < 0) {
		stat_inc(SG_STAT_retransmits);
		/* a keepalive's one old byte (some stacks send garbage) is not
		 * data: the server drops what it has acknowledged */
		if (!(d == -1 && len == 1) && sg_ring_differs(ctx, f, pk)) {
			stat_inc(SG_STAT_stream_conflicts);
			f->flags |= SG_FLOW_CONFLICT;
			sg_anomaly(f, &pk->key, sg_what_conflict);
			if (f->flags & SG_FLOW_BLOCKED)
				return SG_SEG_DROP;
		} else if (!(d == -1 && len == 1) && sg_unverified(f, pk)) {
			/* the server may not have our copy of those bytes (its TCP
			 * dropped it for a reason this cannot see), and they are
			 * past the ring: what it reads there is unknown */
			stat_inc(SG_STAT_retrans_unverified);
			/* said, never blocked for: an honest resend that comes
			 * before the server's delayed ACK (a tail-loss probe)
			 * looks the same */
			sg_anomaly_as(f, &pk->key, sg_what_unverified, 0);
		}
		if ((__s64)d + len <= 0)
			return SG_SEG_OLD;
		/* overlaps what was parsed: parse only the new tail */
		sg_ring_keep(ctx, f, pk, -d);
		f->next_seq = pk->seq + len;
		return -d;
	}
	/* a gap: bytes were lost, or come out of order */
	stat_inc(SG_STAT_seq_gaps);
	if (sg_anomalies_block(cfg)) {
		stat_inc(SG_STAT_ooo_dropped);
		return SG_SEG_DROP;
	}
	sg_anomaly(f, &pk->key, sg_what_gap);
	/* resynchronise at the next line: in commands, the next command; in a
	 * message, its end is still found (only a line start can begin it) */
	f->flags |= SG_FLOW_GAP;
	if (f->phase == SG_PHASE_COMMAND)
		f->state = SG_S_S_SKIP;
	else if (f->phase == SG_PHASE_DATA)
		f->state = SG_S_M_TEXT;
	f->ring_n = 0;
	sg_ring_keep(ctx, f, pk, 0);
	f->next_seq = pk->seq + len;
	return 0;
}

/* Block: the segment that completed the offending token becomes a RST to
 * the server, at the sequence number its TCP expects (where its stream
 * ended before this segment, which never reaches it), so the server's
 * kernel aborts the connection and the MTA drops the open transaction: it
 * never sees the end of data. The payload is cut off; the IP length and
 * both checksums are made again. Returns 0, or -1 if the packet could not
 * be rewritten (it is then dropped, as every later client segment is). */
__noinline int sg_block_rst(struct xdp_md *ctx, const struct sg_pkt *pk, __u32 seq)
{
	void *data, *data_end;
	__u32 l3 = pk->l3_off, l4 = pk->l4_off, doff = pk->doff, ihl, tcp_len;
	struct tcphdr *th;
	int delta, sum;

	if (!ctx || !pk || l3 > 256 || l4 > 512 || doff < 20 || doff > 60)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	delta = (int)(pk->payload_off) - (int)(data_end - data);
	if (delta > 0 || bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	th = data + (l4 & 0x1ff);
	if ((void *)(th + 1) > data_end)
		return -1;
	th->seq = bpf_htonl(seq);
	((__u8 *)th)[13] = TCPF_RST | TCPF_ACK;
	th->window = 0;
	th->urg_ptr = 0;
	th->check = 0;
	tcp_len = doff;
	if (pk->v6) {
		struct ipv6hdr *ip6 = data + (l3 & 0xff);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ip6->payload_len = bpf_htons(l4 - l3 - sizeof(*ip6) + doff);
	} else {
		struct iphdr *ip = data + (l3 & 0xff);

		if ((void *)(ip + 1) > data_end)
			return -1;
		ihl = ip->ihl * 4;
		ip->tot_len = bpf_htons(ihl + doff);
		ip->check = 0;
		sum = sg_ipv4_hdr_sum(ctx, l3);
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		ip = data + (l3 & 0xff);
		if (sum < 0 || (void *)(ip + 1) > data_end)
			return -1;
		ip->check = ~sum & 0xffff;
	}
	sum = sg_csum_fold(ctx, l4, tcp_len, sg_pseudo_sum(pk, tcp_len));
	if (sum < 0)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	th = data + (l4 & 0x1ff);
	if ((void *)(th + 1) > data_end)
		return -1;
	th->check = ~sum & 0xffff;
	return 0;
}

/* An entry ends with its session: a RST the kernel takes, or FINs from both
 * sides. Its counters are in the events and sg_stats already. */
static __always_inline void sg_flow_free(struct sg_flow *f, const struct sg_flow_key *key)
{
	if (f->phase != SG_PHASE_CLOSED)
		stat_inc(SG_STAT_flows_closed);
	f->phase = SG_PHASE_CLOSED;
	if (!bpf_map_delete_elem(&sg_flows, key))
		stat_inc(SG_STAT_flows_freed);
}

#endif
