// SPDX-License-Identifier: GPL-2.0
/*
 * smtpguard.bpf.c - the entry points: sg_xdp_ingress reads the client side of
 * SMTP sessions, sg_tc_egress the server's replies. The work is in the
 * headers: parse.h (packets), flow.h (sessions), smtp.h (commands),
 * match.h (policy), blocked.h (blocked sources), emit.h (events).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "smtpguard.h"
#include "dfa_defs.h"
#include "sg_dfa_tables.h"
#include "maps.h"
#include "parse.h"
#include "flow.h"
#include "guard.h"
#include "emit.h"
#include "rate.h"
#include "blocked.h"
#include "match.h"
#include "scan.h"
#include "mime.h"
#include "names.h"
#include "replies.h"
#include "smtp.h"
#include "message.h"
#include "part.h"
#include "stream.h"

#define TC_ACT_OK 0

char LICENSE[] SEC("license") = "GPL";



static __always_inline int sg_port_watched(const struct sg_config *cfg, __u16 port)
{
#pragma unroll
	for (int i = 0; i < SG_MAX_PORTS; i++) {
		if (i >= cfg->nports)
			break;
		if (cfg->ports[i] == port)
			return 1;
	}
	return 0;
}

/* Counts the verdict of a packet that did not parse down to TCP. */
static __always_inline int sg_not_parsed(int err, struct sg_pkt *pk, struct sg_config *cfg)
{
	switch (err) {
	case SG_PARSE_NOT_IP:
		stat_inc(SG_STAT_non_ip);
		break;
	case SG_PARSE_NOT_TCP:
		stat_inc(SG_STAT_fast_pass);
		break;
	case SG_PARSE_FRAG:
		/* only the first fragment names its ports; later ones pass unseen.
		 * Fragments are not reassembled here, so a session that sends
		 * them could hide its commands: said once for the flow. */
		if (pk->frag_first && cfg && sg_port_watched(cfg, pk->key.dport)) {
			struct sg_flow *f = bpf_map_lookup_elem(&sg_flows, &pk->key);
			struct sg_syn *syn;

			/* a session fragmented from its first segment on: its
			 * SYN started it (so the anomaly has a flow to be said of) */
			if (!f && (syn = bpf_map_lookup_elem(&sg_syns, &pk->key))) {
				__u32 first = syn->isn + 1;

				bpf_map_delete_elem(&sg_syns, &pk->key);
				f = sg_flow_create(&pk->key, first, 0);
			}

			stat_inc(SG_STAT_ip_fragment);
			/* block: without its first fragment the packet is never
			 * whole, and the sender's TCP sends the bytes again (as
			 * for a segment out of order: no alert) */
			if (sg_anomalies_block(cfg)) {
				stat_inc(SG_STAT_ooo_dropped);
				return XDP_DROP;
			}
			if (f)
				sg_anomaly(f, &pk->key, sg_what_fragments);
		} else {
			stat_inc(SG_STAT_fast_pass);
		}
		break;
	default:
		stat_inc(SG_STAT_malformed);
		/* an IPv6 header chain longer than is walked could hide a
		 * session's segments: under stream_anomaly block, not let in */
		if (pk->v6 && cfg && sg_anomalies_block(cfg))
			return XDP_DROP;
	}
	return XDP_PASS;
}

/* What every program that finishes a segment does: a FIN at the end of the
 * stream's bytes closes the client side (and frees the entry if the server
 * has closed too), a block rule that fired drops the segment. */
static __always_inline int sg_segment_end(struct xdp_md *ctx, struct sg_flow *f,
					  const struct sg_pkt *pk)
{
	int verdict = XDP_PASS;

	sg_replies_lost(f, &pk->key);
	if ((f->flags & SG_FLOW_BLOCKED) && !(f->flags & SG_FLOW_RST_SENT) && ctx && !sg_ignore_seq) {
		/* the first blocked segment aborts the server's side; every
		 * later client segment is dropped (the client is not told: it
		 * gives up on its own timers) */
		__u64 t0 = sg_bench_timing ? bpf_ktime_get_ns() : 0;
		int rewritten;

		f->flags |= SG_FLOW_RST_SENT;
		stat_inc(SG_STAT_blocked_packets);
		sg_quarantine_g(f, &pk->key);
		rewritten = !sg_block_rst(ctx, pk, f->seg_start);
		if (sg_bench_timing) {
			sg_bench_block_ns += bpf_ktime_get_ns() - t0;
			sg_bench_block_n++;
		}
		if (rewritten) {
			stat_inc(SG_STAT_blocked_rsts);
			return XDP_PASS;
		}
		return XDP_DROP;
	}
	if (f->flags & SG_FLOW_BLOCKED) {
		stat_inc(SG_STAT_blocked_packets);
		verdict = XDP_DROP;
	}
	if (!(pk->tcp_flags & TCPF_FIN) || (f->flags & SG_FLOW_CLI_FIN))
		return verdict;
	/* the kernel takes a FIN only where the data it has ends */
	if (f->next_seq != pk->seq + pk->payload_len && !sg_ignore_seq) {
		stat_inc(SG_STAT_rst_ignored);
		return verdict;
	}
	/* the client is done sending; the entry goes when the server is too.
	 * Its phase stays: a FIN the server's kernel did not take (for a reason
	 * not seen here) must not end the reading, and data after it is said */
	f->flags |= SG_FLOW_CLI_FIN;
	if (f->srv_flags & SG_SRV_FIN)
		sg_flow_free(f, &pk->key);
	return verdict;
}

/* The end of a chain in a tail-called program: the segment is finished,
 * and the session's guard, taken by sg_xdp_ingress, is put back. */
static __always_inline int sg_chain_end(struct xdp_md *ctx, struct sg_flow *f,
					const struct sg_pkt *pk)
{
	int verdict = sg_segment_end(ctx, f, pk);

	sg_guard_release(f);
	return verdict;
}

/* Parses f->pos..f->end of the current segment in the command phase; message
 * bytes are handed to sg_xdp_msg while the tail-call budget allows. */
static __always_inline void sg_smtp_parse(struct xdp_md *ctx, struct sg_flow *f, struct sg_pkt *pk)
{
	struct sg_scan sc = { .xdp = ctx, .f = f, .pk = pk };

	bpf_loop(SG_MAX_CALLBACKS, sg_scan_cb, &sc, 0);
	if (f->pos < f->end && (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT) &&
	    f->tail_left >= 2) {
		f->tail_left--;
		stat_inc(SG_STAT_msg_tail_calls);
		bpf_tail_call(ctx, &sg_progs, f->mmode & 7);
		/* not there (cannot happen once loaded): read it here, end of data only */
		stat_inc(SG_STAT_tail_call_failed);
		f->tail_left = 0;
		f->flags |= SG_FLOW_REENTRY;
		bpf_tail_call(ctx, &sg_progs, SG_PROGI_CMD);
		f->flags &= ~SG_FLOW_REENTRY;
		f->state = SG_S_M_TEXT;
		return;
	}
	if (f->flags & SG_FLOW_UNREAD) {
		stat_inc(SG_STAT_messages_unread);
		sg_anomaly(f, &pk->key, sg_what_unread);
	}
	if (f->pos < f->end) {
		/* more actions than callbacks: resynchronise at the next line */
		stat_inc(SG_STAT_parse_budget);
		if (f->phase == SG_PHASE_COMMAND)
			f->state = SG_S_S_SKIP;
	}
}

/* Records a SYN the server's kernel takes (its checksum) in sg_syns. A
 * SYN sent again keeps what the server's SYN-ACK said, and cannot make a
 * session lax about checksums. */
static __always_inline void sg_syn_keep(struct xdp_md *ctx, const struct sg_pkt *pk,
					const struct sg_config *cfg)
{
	struct sg_syn syn = { .isn = pk->seq }, *old;
	__s64 tsval;
	int form;

	form = cfg->csum_mode == SG_CSUM_OFF ? SG_CF_GOOD : sg_csum_form(ctx, pk);
	if (form == SG_CF_UNFILLED && cfg->csum_mode != SG_CSUM_OFFLOAD_OK &&
	    !(cfg->csum_mode == SG_CSUM_AUTO && sg_csum_lax_if(ctx, cfg)))
		form = SG_CF_BAD;
	if (form == SG_CF_BAD) {
		stat_inc(SG_STAT_csum_bad);
		return;
	}
	tsval = sg_tcp_tsval(ctx, pk->l4_off, pk->doff);
	syn.ts_ns = bpf_ktime_get_coarse_ns();
	syn.flags = (tsval >= 0 ? SG_SYN_TS : 0) | (form == SG_CF_UNFILLED ? SG_SYN_LAX : 0);
	syn.tsval = tsval;
	old = bpf_map_lookup_elem(&sg_syns, &pk->key);
	if (old) {
		if (!(old->flags & SG_SYN_LAX))
			syn.flags &= ~SG_SYN_LAX;
		if (old->flags & SG_SYN_ANSWERED)
			return; /* the server's answer says which SYN it took */
		bpf_map_update_elem(&sg_syns, &pk->key, &syn, BPF_ANY);
		return;
	}
	/* counted once: syns_tracked - handshakes - the entries left is what
	 * newer SYNs evicted (smtpguard status) */
	if (!bpf_map_update_elem(&sg_syns, &pk->key, &syn, BPF_NOEXIST))
		stat_inc(SG_STAT_syns_tracked);
}

/* A SYN: remembered in sg_syns, not in sg_flows (see maps.h), if the
 * server's kernel takes it (its checksum). A SYN for a flow that carries
 * data must not reset it, nor its block. A SYN sent again keeps what the
 * server's SYN-ACK said, and cannot make a session lax about checksums. */
static __always_inline int sg_client_syn(struct xdp_md *ctx, struct sg_flow *f,
					 const struct sg_pkt *pk, const struct sg_config *cfg)
{
	if (f && !(f->flags & SG_FLOW_CLI_FIN) && !(f->srv_flags & SG_SRV_FIN) &&
	    f->phase != SG_PHASE_CLOSED) {
		/* a SYN on an open session: kept aside (sg_syns), and if the
		 * server answers it with a SYN-ACK, the old session is over
		 * (sg_tc_egress); the open session is not reset by it */
		stat_inc(SG_STAT_syn_on_open_flow);
		if (!(f->flags & SG_FLOW_BLOCKED))
			sg_syn_keep(ctx, pk, cfg);
		return f->flags & SG_FLOW_BLOCKED ? XDP_DROP : XDP_PASS;
	}
	if (f) /* the port is used again: the old session is over */
		sg_flow_free(f, &pk->key);
	sg_syn_keep(ctx, pk, cfg);
	return XDP_PASS;
}

/* Client data of a session smtpguard does not follow: its SYN was not
 * seen (it began before loading, or a SYN flood pushed its SYN out of
 * sg_syns), its entry could not be made or was pushed out of sg_flows, or
 * it was picked up mid-stream. Passed (fail open), or with fail-closed
 * dropped: the client's TCP sends it again, in vain, until it gives up.
 * Segments without data (ACKs, the last ACK after both FINs) pass. */
static __always_inline int sg_unfollowed(const struct sg_pkt *pk, const struct sg_config *cfg)
{
	if (!cfg->fail_closed || !pk->payload_len)
		return XDP_PASS;
	stat_inc(SG_STAT_fail_closed_drops);
	return XDP_DROP;
}

/* The first packet after the SYN (the handshake's ACK, or data): the flow
 * starts at the stream's first byte if the SYN was seen (a first segment
 * past it is then a gap). When the TC program saw the
 * server's SYN-ACK, only an ACK of it starts the flow (as only that one
 * completes the handshake), and the server's greeting is awaited. */
static __always_inline struct sg_flow *sg_flow_start(const struct sg_pkt *pk)
{
	struct sg_syn *syn = bpf_map_lookup_elem(&sg_syns, &pk->key);
	struct sg_flow *f;

	if (syn) {
		__u32 first = syn->isn + 1, sflags = syn->flags, srv_isn = syn->srv_isn;
		__u32 tsval = syn->tsval;

		if ((sflags & SG_SYN_ANSWERED) && pk->ack != srv_isn + 1) {
			stat_inc(SG_STAT_handshakes_refused);
			return NULL;
		}
		bpf_map_delete_elem(&sg_syns, &pk->key);
		f = sg_flow_create(&pk->key, first, 0);
		if (!f)
			return NULL;
		stat_inc(SG_STAT_handshakes);
		if (sflags & SG_SYN_LAX)
			f->flags |= SG_FLOW_CSUM_LAX;
		if (sflags & SG_SYN_ANSWERED) {
			f->srv_next_seq = srv_isn + 1;
			f->srv_acked = first;
			f->srv_flags |= SG_SRV_SEQ; /* the server cannot send on it yet */
			if ((sflags & SG_SYN_TS) && (sflags & SG_SYN_SRV_TS)) {
				f->flags |= SG_FLOW_TS_OK;
				f->ts_recent = tsval;
			}
			/* the greeting comes after the handshake: awaited first */
			sg_reply_expect(f, SG_RK_OTHER);
		}
		return f;
	}
	/* no SYN seen: the session is picked up when the server answers it
	 * (sg_tc_egress), which a spoofed segment never gets */
	if (pk->payload_len)
		stat_inc(SG_STAT_pickups_waiting);
	return NULL;
}

/* Reads one client segment. *held is set to the session whose guard this
 * chain took (guard.h), for sg_xdp_ingress to put back when the segment is
 * done here rather than in a program tail-called from here. */
static __always_inline int sg_client_segment(struct xdp_md *ctx, struct sg_pkt *pk,
					     const struct sg_config *cfg, struct sg_flow **held)
{
	__u8 fl = pk->tcp_flags;
	__s64 tsval = -1;
	struct sg_flow *f;
	int skip, csum_done = 0;

	/* a SYN from a blocked source: dropped before any state is looked
	 * up or made (blocked.h: a flood's later SYNs cost no trie lookup) */
	if ((fl & TCPF_SYN) && !(fl & TCPF_ACK) && sg_source_blocked(pk, cfg)) {
		stat_inc(SG_STAT_blocked_syns);
		return XDP_DROP;
	}
	f = bpf_map_lookup_elem(&sg_flows, &pk->key);
	if (f && (f->flags & SG_FLOW_RST_SENT)) {
		/* cut off by a block: whatever comes is dropped, nothing is read */
		stat_inc(SG_STAT_blocked_packets);
		return XDP_DROP;
	}
	if (f) {
		/* another CPU is reading this session: not now (guard.h) */
		skip = sg_guard_take(f, pk, held);
		if (skip != SG_GUARD_TAKEN)
			return skip;
	}
	if (f && (f->flags & SG_FLOW_REENTRY)) {
		/* back from the message program: go on where it stopped */
		f->flags &= ~SG_FLOW_REENTRY;
		sg_smtp_parse(ctx, f, pk);
		return sg_segment_end(ctx, f, pk);
	}
	stat_inc(SG_STAT_watched_packets);
	if ((fl & TCPF_SYN) && !(fl & TCPF_ACK))
		return sg_client_syn(ctx, f, pk, cfg);
	if (!f) {
		struct sg_syn *syn;

		if (fl & (TCPF_RST | TCPF_SYN))
			return XDP_PASS;
		/* a segment the server's kernel drops starts nothing */
		syn = bpf_map_lookup_elem(&sg_syns, &pk->key);
		if (!sg_csum_ok(ctx, pk, cfg, syn ? !!(syn->flags & SG_SYN_LAX) : -1))
			return XDP_PASS;
		f = sg_flow_start(pk);
		if (!f)
			return sg_unfollowed(pk, cfg);
		/* new, and already visible to other CPUs */
		skip = sg_guard_take(f, pk, held);
		if (skip != SG_GUARD_TAKEN)
			return skip;
		csum_done = 1;
	}
	if ((f->flags & SG_FLOW_MIDSTREAM) && cfg->fail_closed && !sg_ignore_seq)
		return sg_unfollowed(pk, cfg);
	f->packets++;
	f->bytes += pk->payload_len;
	sg_replies_apply(f, &pk->key);
	if (f->flags & SG_FLOW_BLOCKED) {
		/* blocked by what the server said (sg_replies_apply: a DATA
		 * refused with commands after it): as for a block in a segment,
		 * this first segment not read becomes the RST to the server, at
		 * where its stream ends (any segment after is dropped above) */
		if (!sg_ignore_seq && (fl & TCPF_ACK) && !(fl & TCPF_SYN)) {
			f->seg_start = f->next_seq;
			return sg_segment_end(ctx, f, pk);
		}
		stat_inc(SG_STAT_blocked_packets);
		return XDP_DROP;
	}
	/* what the server's kernel would drop must not be read, nor end the
	 * session: a segment its TCP discards, a wrong checksum */
	if ((pk->payload_len || (fl & TCPF_FIN)) && !(fl & TCPF_RST) &&
	    f->phase != SG_PHASE_CLOSED) {
		tsval = sg_ignore_seq || !(f->flags & SG_FLOW_TS_OK) ? -1 :
			sg_tcp_tsval(ctx, pk->l4_off, pk->doff);
		if (sg_tcp_discards(f, pk)) {
			stat_inc(SG_STAT_tcp_discarded);
			return XDP_PASS;
		}
		if (sg_paws_old(f, tsval)) {
			stat_inc(SG_STAT_tcp_discarded);
			/* Linux's ts_recent is followed closely, not exactly: under
			 * block, dropped, so the server never has it whatever its
			 * ts_recent, and sent again with a current timestamp (a link
			 * that reorders makes such segments of any sender: the
			 * session is not cut off); else it passes unread, said */
			if (sg_anomalies_block(cfg)) {
				stat_inc(SG_STAT_paws_dropped);
				return XDP_DROP;
			}
			sg_anomaly(f, &pk->key, sg_what_paws);
			return f->flags & SG_FLOW_BLOCKED ? sg_segment_end(ctx, f, pk) : XDP_PASS;
		}
	}
	if ((pk->payload_len || (fl & (TCPF_RST | TCPF_FIN))) && f->phase != SG_PHASE_CLOSED &&
	    !csum_done && !sg_csum_ok(ctx, pk, cfg, sg_flow_lax(f)))
		return XDP_PASS;
	if (pk->v6_opts && f->phase != SG_PHASE_CLOSED) {
		/* IPv6 options the kernel may drop the packet for: not read,
		 * and said (a RST carrying them does not end the reading) */
		stat_inc(SG_STAT_tcp_discarded);
		sg_anomaly(f, &pk->key, sg_what_v6opts);
		return f->flags & SG_FLOW_BLOCKED ? sg_segment_end(ctx, f, pk) : XDP_PASS;
	}
	if (fl & TCPF_RST) {
		/* the kernel takes a RST only at the expected sequence (RFC 5961);
		 * one that could not reset the session must not blind us */
		if (pk->seq != f->next_seq && !sg_ignore_seq &&
		    !((f->flags & SG_FLOW_CLI_FIN) && pk->seq == f->next_seq + 1)) {
			stat_inc(SG_STAT_rst_ignored);
			return XDP_PASS;
		}
		sg_flow_free(f, &pk->key);
		return XDP_PASS;
	}
	if ((fl & TCPF_URG) && f->phase != SG_PHASE_CLOSED) {
		/* the server's TCP takes the urgent byte out of the stream (BSD
		 * semantics, Linux's default): what it reads is not what is parsed */
		stat_inc(SG_STAT_urgent_data);
		f->flags |= SG_FLOW_URGENT;
		sg_anomaly(f, &pk->key, sg_what_urgent);
		if (f->flags & SG_FLOW_BLOCKED)
			return sg_segment_end(ctx, f, pk);
	}
	if (pk->payload_off + pk->payload_len > SG_POS_MASK) {
		/* past what positions reach (generic XDP after GRO): not read */
		stat_inc(SG_STAT_parse_budget);
		sg_anomaly(f, &pk->key, sg_what_too_big);
		return sg_segment_end(ctx, f, pk);
	}
	if (pk->payload_len && f->phase != SG_PHASE_CLOSED) {
		f->seg_start = f->next_seq; /* the server's stream ends here */
		skip = sg_stream_position(ctx, f, pk, cfg);
		if (skip == SG_SEG_DROP) {
			/* blocked (a conflict): the server's side is reset */
			if (f->flags & SG_FLOW_BLOCKED)
				return sg_segment_end(ctx, f, pk);
			return XDP_DROP;
		}
		if (skip >= 0 && (f->flags & SG_FLOW_CLI_FIN)) {
			/* data after the client's FIN: the server did not take that
			 * FIN, or the stream is not what it seems */
			f->flags &= ~SG_FLOW_CLI_FIN;
			sg_anomaly(f, &pk->key, sg_what_after_fin);
		}
		if (skip >= 0) {
			sg_paws_keep(f, pk, tsval);
			stat_add(SG_STAT_watched_bytes, pk->payload_len - skip);
			f->pos = pk->payload_off + skip;
			f->end = pk->payload_off + pk->payload_len;
			f->tail_left = SG_TAIL_BUDGET;
			f->flags &= ~SG_FLOW_UNREAD;
			sg_smtp_parse(ctx, f, pk);
		}
	}
	return sg_segment_end(ctx, f, pk);
}

SEC("xdp")
int sg_xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_config *cfg = config_get();
	struct sg_flow *held = NULL;
	struct sg_pkt pk = {};
	int err, verdict;

	err = sg_parse(data, data_end, &pk, 1);
	if (err)
		return sg_not_parsed(err, &pk, cfg);
	if (!cfg || !sg_port_watched(cfg, pk.key.dport)) {
		stat_inc(SG_STAT_fast_pass);
		return XDP_PASS;
	}
	if (cfg->server_nets) {
		struct sg_lpm_key sk = { .prefixlen = 32 + 128 };

		__builtin_memcpy(&sk.addr, &pk.key.daddr, sizeof(sk.addr));
		if (!bpf_map_lookup_elem(&sg_server_nets, &sk)) {
			stat_inc(SG_STAT_not_to_server);
			return XDP_PASS;
		}
	}
	verdict = sg_client_segment(ctx, &pk, cfg, &held);
	/* done here (not tail-called away): the session is free for the next */
	if (held)
		sg_guard_release(held);
	return verdict;
}

/* What the link scanner needs of the policy, read once a segment: the
 * generation in force, and whether a dotless parameter needs matching. */
static __always_inline void sg_scan_policy(struct sg_scan *sc)
{
	struct sg_config *cfg = config_get();

	sc->one_label = !cfg || cfg->bad_one_label;
	sc->gen = cfg ? cfg->generation : 0;
}

/* the counts a segment's scan kept in the flow (not on the stack: the
 * verifier would tell every count apart), into sg_stats */
static __always_inline void sg_scan_counts(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;

	if (f->seg_urls)
		stat_add(SG_STAT_urls, f->seg_urls);
	if (f->seg_hosts)
		stat_add(SG_STAT_hosts_checked, f->seg_hosts);
	f->seg_urls = f->seg_hosts = 0;
}

/* BDAT: only the chunk's own bytes are message; returns the segment's end */
static __always_inline __u32 sg_msg_clip(struct sg_flow *f)
{
	__u32 end = f->end;

	if (f->phase == SG_PHASE_BDAT && f->bdat_left < end - f->pos)
		f->end = f->pos + f->bdat_left;
	return end;
}

/* after a pass over a chunk's bytes: what is left of it, and its end */
static __always_inline void sg_msg_unclip(struct sg_scan *sc, __u32 start, __u32 end, int bdat)
{
	struct sg_flow *f = sc->f;

	if (!bdat)
		return;
	f->bdat_left -= f->pos - start;
	f->end = end;
	if (!f->bdat_left) {
		if (f->bdat_last) {
			sg_message_close(sc);
		} else {
			f->phase = SG_PHASE_COMMAND;
			f->flags |= SG_FLOW_BDAT_OPEN; /* more chunks to come */
		}
		f->bdat_last = 0;
		f->state = SG_S_L_START;
	}
}

/* A "--" line cut by the previous segment's end: is it a boundary? */
static __always_inline int sg_bnd_resume(struct sg_scan *sc)
{
	return (sc->f->flags & SG_FLOW_BND_PEND) && sg_bnd_scan(sc, sc->f->pos) == SG_BND_YES;
}

/* Is the message's raw reader at a line start (for the command program's
 * end-of-data reader to take over from)? */
static __always_inline int sg_msg_at_line_start(const struct sg_flow *f)
{
	__u8 m = f->mstate, p = f->pstate;

	if (f->mmode == SG_MM_MSG)
		return m == SG_M_H_LS || m == SG_M_H_BLS || m == SG_M_B_LS || m == SG_M_B_BLS;
	return p == SG_P_Q_LS || p == SG_P_Q_BLS || p == SG_P_B_LS || p == SG_P_B_BLS ||
	       p == SG_P_S_LS || p == SG_P_S_BLS || p == SG_P_I_LS || p == SG_P_I_BLS;
}

/* Where the rest of the segment goes: the program of the current part (a
 * boundary or a header block changed it), or back to the commands. One tail
 * call is always kept for the way back: past the budget, the command program
 * reads the rest of the message for its end only (counted, and said once as
 * a stream_anomaly), so no command after it is missed. */
static __always_inline void sg_msg_hand_over(struct xdp_md *ctx, struct sg_flow *f, int from_mmode)
{
	if (f->pos >= f->end || !f->tail_left)
		return; /* the budget rule keeps one for the way back: counted by the caller */
	if (f->phase == SG_PHASE_COMMAND) {
		f->tail_left--;
		f->flags |= SG_FLOW_REENTRY;
		bpf_tail_call(ctx, &sg_progs, SG_PROGI_CMD);
		f->flags &= ~SG_FLOW_REENTRY;
		f->state = SG_S_S_SKIP;
	} else if (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT) {
		/* the message program's callbacks ran out (a segment of nothing
		 * but actions): the rest is read for its end, as past the budget */
		int stuck = f->mmode == from_mmode && from_mmode == SG_MM_MSG;

		f->tail_left--;
		if (f->tail_left >= 1 && !stuck) {
			stat_inc(SG_STAT_part_tail_calls);
			bpf_tail_call(ctx, &sg_progs, f->mmode & 7);
		} else {
			f->state = sg_msg_at_line_start(f) ? SG_S_M_LS : SG_S_M_TEXT;
			f->flags |= SG_FLOW_REENTRY;
			bpf_tail_call(ctx, &sg_progs, SG_PROGI_CMD);
			f->flags &= ~SG_FLOW_REENTRY;
		}
	} else {
		return;
	}
	stat_inc(SG_STAT_tail_call_failed);
}

/* The message of a session, handed over by sg_xdp_ingress at its first byte
 * (see message.h): its header blocks and the parts sent as they are; hands
 * the rest on to a part program (part.h) or back to the commands. */
SEC("xdp")
int sg_xdp_msg(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_pkt pk = {};
	struct sg_scan sc = { .xdp = ctx, .pk = &pk };
	struct sg_flow *f;

	if (sg_parse(data, data_end, &pk, 1))
		return XDP_PASS;
	f = bpf_map_lookup_elem(&sg_flows, &pk.key);
	if (!f)
		return XDP_PASS;
	sc.f = f;
	sg_scan_policy(&sc);
	if ((f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT) && f->mmode == SG_MM_MSG) {
		/* a BDAT chunk: exactly its bytes go through the message machine
		 * (one bpf_loop call site: each is verified on its own) */
		__u32 start = f->pos, end = sg_msg_clip(f);
		int bdat = f->phase == SG_PHASE_BDAT;

		sc.mstart = start;
		if (sg_bnd_resume(&sc)) {
			sg_link_flush(&sc);
			sg_bnd_apply(f);
		}
		bpf_loop(SG_MAX_CALLBACKS, sg_msg_cb, &sc, 0);
		/* the last bytes read, for a link's scheme cut by the segment end */
		if (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT)
			f->tail8 = sg_bytes_before(&sc, f->pos, 8);
		sg_msg_unclip(&sc, start, end, bdat);
		sg_scan_counts(&sc);
	}
	sg_msg_hand_over(ctx, f, SG_MM_MSG);
	if (f->pos < f->end && (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT))
		stat_inc(SG_STAT_parse_budget);
	return sg_chain_end(ctx, f, &pk);
}

/* A part program: fam's raw pass, the link pass over what it decoded, then
 * a boundary or the end of data it stopped at. */
static __always_inline int sg_part_prog(struct xdp_md *ctx, const int fam)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sg_pkt pk = {};
	struct sg_scan sc = { .xdp = ctx, .pk = &pk };
	struct sg_decoded *d;
	struct sg_flow *f;
	__u32 zero = 0;

	if (sg_parse(data, data_end, &pk, 1))
		return XDP_PASS;
	f = bpf_map_lookup_elem(&sg_flows, &pk.key);
	d = fam == SG_FAM_SKIP ? NULL : bpf_map_lookup_elem(&sg_decoded, &zero);
	if (!f)
		return XDP_PASS;
	if (fam != SG_FAM_SKIP && !d) {
		sg_guard_release(f);
		return XDP_PASS;
	}
	sc.f = f;
	sc.dec = d;
	if (fam != SG_FAM_SKIP)
		sg_scan_policy(&sc);
	if ((f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT) &&
	    f->mmode == (fam == SG_FAM_QP ? SG_MM_QP : fam == SG_FAM_B64 ? SG_MM_B64 :
			 fam == SG_FAM_HTML ? SG_MM_HTML : SG_MM_SKIP)) {
		__u32 start = f->pos, end = sg_msg_clip(f);
		int bdat = f->phase == SG_PHASE_BDAT;

		sc.mstart = start;
		f->pend = sg_bnd_resume(&sc) ? SG_PEND_BND : 0;
		if (!f->pend) {
			/* the decoded bytes before this segment's, for look-backs */
			if (fam != SG_FAM_SKIP && d)
				*(__u64 *)d->b = __builtin_bswap64(f->dtail8);
			if (fam == SG_FAM_QP)
				bpf_loop(SG_MAX_CALLBACKS, sg_part_cb_qp, &sc, 0);
			else if (fam == SG_FAM_B64)
				bpf_loop(SG_MAX_CALLBACKS, sg_part_cb_b64, &sc, 0);
			else if (fam == SG_FAM_HTML)
				bpf_loop(SG_MAX_CALLBACKS, sg_part_cb_html, &sc, 0);
			else
				bpf_loop(SG_MAX_CALLBACKS, sg_part_cb_skip, &sc, 0);
		}
/* SG_NO_LINKPASS (make bench BPF_EXTRA=-DSG_NO_LINKPASS): the raw pass alone,
 * to measure what decoding costs */
#ifndef SG_NO_LINKPASS
		if (fam != SG_FAM_SKIP && d && sc.dlen) {
			__u16 rpos = f->pos, rend = f->end;

			if (fam != SG_FAM_HTML)
				stat_add(fam == SG_FAM_QP ? SG_STAT_qp_bytes : SG_STAT_base64_bytes,
					 sc.dlen);
			f->pos = 8;
			f->end = 8 + (sc.dlen & SG_DEC_MASK);
			sc.buf = d->b;
			bpf_loop(SG_MAX_CALLBACKS, sg_link_cb, &sc, 0);
			f->dtail8 = sg_bytes_before(&sc, f->end, 8);
			sc.buf = NULL;
			f->pos = rpos;
			f->end = rend;
		}
#endif
		if (fam == SG_FAM_SKIP)
			stat_add(SG_STAT_mime_bytes_skipped, f->pos - start);
		if (f->pend == SG_PEND_BND) {
			sg_link_flush(&sc);
			sg_bnd_apply(f);
		} else if (f->pend == SG_PEND_EOD) {
			sg_message_close(&sc);
		}
		f->pend = 0;
		sg_msg_unclip(&sc, start, end, bdat);
		sg_scan_counts(&sc);
	}
	sg_msg_hand_over(ctx, f, -1);
	if (f->pos < f->end && (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT))
		stat_inc(SG_STAT_parse_budget);
	return sg_chain_end(ctx, f, &pk);
}

SEC("xdp")
int sg_xdp_qp(struct xdp_md *ctx)
{
	return sg_part_prog(ctx, SG_FAM_QP);
}

SEC("xdp")
int sg_xdp_b64(struct xdp_md *ctx)
{
	return sg_part_prog(ctx, SG_FAM_B64);
}

SEC("xdp")
int sg_xdp_html(struct xdp_md *ctx)
{
	return sg_part_prog(ctx, SG_FAM_HTML);
}

SEC("xdp")
int sg_xdp_skip(struct xdp_md *ctx)
{
	return sg_part_prog(ctx, SG_FAM_SKIP);
}

/* The server's SYN-ACK: which SYN its kernel took (the one it acknowledges),
 * its own first sequence number, and whether it agreed to timestamps. */
static __always_inline void sg_syn_answered(struct __sk_buff *skb, const struct sg_flow_key *key,
					    const struct sg_pkt *pk)
{
	struct sg_syn *syn = bpf_map_lookup_elem(&sg_syns, key);

	if (!syn)
		return;
	syn->isn = pk->ack - 1;
	syn->srv_isn = pk->seq;
	syn->flags |= SG_SYN_ANSWERED;
	if (sg_skb_tsval(skb, pk->l4_off, pk->doff) >= 0)
		syn->flags |= SG_SYN_SRV_TS;
	else
		syn->flags &= ~SG_SYN_SRV_TS;
}

/* A session that began before smtpguard was loaded (or whose SYN was pushed
 * out of sg_syns): picked up when the server replies on it, which proves it
 * exists (a spoofed client segment only draws a RST), and where its client
 * stream stands (what the server acknowledges). Created mid-stream: the
 * reading starts at the next line, the replies owed are not known. */
static __always_inline void sg_pickup(const struct sg_flow_key *key, const struct sg_pkt *pk)
{
	struct sg_flow *f;

	/* a reply, not the ACKs and FIN that end a session (its entry gone) */
	if ((pk->tcp_flags & (TCPF_RST | TCPF_SYN | TCPF_FIN)) || !(pk->tcp_flags & TCPF_ACK) ||
	    !pk->payload_len || bpf_map_lookup_elem(&sg_syns, key))
		return;
	f = sg_flow_create(key, pk->ack, 1);
	if (!f)
		return;
	f->srv_next_seq = pk->seq + pk->payload_len;
	f->srv_acked = pk->ack;
	f->srv_flags |= SG_SRV_SEQ | SG_SRV_SEEN;
}

/* The server's side of a watched session: its reply lines (replies.h), in
 * stream order (a retransmitted reply is not read twice), and its FIN or
 * RST ending the session. */
SEC("tc")
int sg_tc_egress(struct __sk_buff *skb)
{
	struct sg_config *cfg = config_get();
	struct sg_flow_key key;
	struct sg_pkt pk = {};
	struct sg_flow *f;
	void *data, *data_end;
	__u32 skip = 0;
	__s32 d;

	if (!cfg)
		return TC_ACT_OK;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (sg_parse(data, data_end, &pk, 0) || !sg_port_watched(cfg, pk.key.sport))
		return TC_ACT_OK;
	__builtin_memcpy(&key.saddr, &pk.key.daddr, sizeof(key.saddr));
	__builtin_memcpy(&key.daddr, &pk.key.saddr, sizeof(key.daddr));
	key.sport = pk.key.dport;
	key.dport = pk.key.sport;
	key.pad = 0;
	f = bpf_map_lookup_elem(&sg_flows, &key);
	if (!f) {
		if ((pk.tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
			sg_syn_answered(skb, &key, &pk);
		else
			sg_pickup(&key, &pk);
		return TC_ACT_OK;
	}
	if ((pk.tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK)) {
		struct sg_syn *syn = bpf_map_lookup_elem(&sg_syns, &key);

		/* the server takes a new SYN on these ports: the session the
		 * entry is for is over, the new one starts with its ACK */
		if (syn && pk.ack == syn->isn + 1) {
			sg_flow_free(f, &key);
			sg_syn_answered(skb, &key, &pk);
		}
		return TC_ACT_OK;
	}
	if ((pk.tcp_flags & TCPF_ACK) &&
	    (!(f->srv_flags & SG_SRV_SEEN) || (__s32)(pk.ack - f->srv_acked) > 0))
		f->srv_acked = pk.ack;
	f->srv_packets++;
	f->srv_bytes += pk.payload_len;
	stat_inc(SG_STAT_tc_packets);
	stat_add(SG_STAT_tc_bytes, pk.payload_len);
	/* the server's RST ends the session; one a listener sends for a stray
	 * ACK (at that ACK's number) is not this session's */
	if ((pk.tcp_flags & TCPF_RST) &&
	    (!(f->srv_flags & SG_SRV_SEQ) || pk.seq == f->srv_next_seq)) {
		sg_flow_free(f, &key);
		return TC_ACT_OK;
	}
	if (!(f->srv_flags & SG_SRV_SEQ)) {
		f->srv_next_seq = pk.seq;
		f->srv_flags |= SG_SRV_SEQ;
	}
	f->srv_flags |= SG_SRV_SEEN;
	d = sg_ignore_seq ? 0 : (__s32)(pk.seq - f->srv_next_seq);
	if (d > 0) {
		/* bytes not seen (picked up mid-session): a new line starts here */
		f->srv_line_n = 0;
		f->srv_line = 0;
	} else if (d < 0) {
		skip = -d; /* sent before: read only what is new */
	}
	if (skip < pk.payload_len) {
		f->srv_next_seq = pk.seq + pk.payload_len;
		if (!sg_replies_awaited(f) || sg_replies_off(f)) {
			/* nothing awaited (a 421 at a timeout, say): not read, and
			 * the next reply starts a line */
			f->srv_line_n = 0;
			f->srv_line = 0;
		} else if (!f->srv_tls && f->phase != SG_PHASE_CLOSED) {
			/* linear for direct access, only when a reply is awaited:
			 * pulling unclones, a copy of the skb */
			bpf_skb_pull_data(skb, pk.payload_off + pk.payload_len);
			data = (void *)(long)skb->data;
			data_end = (void *)(long)skb->data_end;
			if (data + pk.payload_off + pk.payload_len > data_end) {
				/* cannot be read whole: the replies cannot be matched */
				f->srv_flags |= SG_SRV_NO_REPLIES;
				stat_inc(SG_STAT_replies_unmatched);
			} else {
				sg_replies(skb, f, &key, pk.payload_off + skip,
					   pk.payload_len - skip);
			}
		}
	}
	if ((pk.tcp_flags & TCPF_FIN) && !(f->srv_flags & SG_SRV_FIN)) {
		/* the FIN takes a sequence number: the client acknowledges it */
		if (d >= 0 || skip < pk.payload_len)
			f->srv_next_seq = pk.seq + pk.payload_len + 1;
		f->srv_flags |= SG_SRV_FIN;
		if (f->flags & SG_FLOW_CLI_FIN)
			sg_flow_free(f, &key);
	}
	return TC_ACT_OK;
}
