/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flow.h - the per-session entry in sg_flows and the per-source entry in
 * sg_sources. Entries are created once (a SYN, or the first payload of a flow
 * that began before smtpguard was loaded) and then only modified in place:
 * an update_elem per packet would cost ~150 ns (bpf-limits.md, section 3).
 */
#ifndef SG_FLOW_H
#define SG_FLOW_H

/* all-zero template: a fresh flow starts at the line start in command phase */
static const struct sg_flow sg_zero_flow;
static const struct sg_source sg_zero_source;

/* A source's counts are written by all its sessions, which a NIC spreads
 * over CPUs (a hijacked server sprays mail over many at once): they are
 * added atomically, or two CPUs adding at once lose one (tests/bpf/
 * test_guard.c counted 4 to 253 of 3,000 messages lost that way). */
#define sg_count(p, n) __sync_fetch_and_add(p, n)

static __always_inline struct sg_source *sg_source_get(const struct sg_addr *a, int create)
{
	struct sg_source *s = bpf_map_lookup_elem(&sg_sources, a);

	if (s || !create)
		return s;
	bpf_map_update_elem(&sg_sources, a, &sg_zero_source, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&sg_sources, a);
	if (s)
		s->first_ns = bpf_ktime_get_coarse_ns();
	return s;
}

/* Replies cannot be matched to commands: XDP's queue overflowed or the
 * session was picked up mid-stream (flags), or TC could not read a reply
 * whole (srv_flags): each side writes its own word (smtpguard.h). */
static __always_inline int sg_replies_off(const struct sg_flow *f)
{
	return (f->flags & SG_FLOW_NO_REPLIES) || (f->srv_flags & SG_SRV_NO_REPLIES);
}

/* A command (or a message's end) waits for a reply of this kind: queued,
 * for sg_tc_egress to match (replies.h) */
static __always_inline void sg_reply_expect(struct sg_flow *f, __u8 kind)
{
	__u8 tail = f->rq_tail, last = (tail - 1) & (SG_REPLY_QUEUE - 1);

	if (sg_replies_off(f))
		return;
	/* the same kind again extends the last run, unless TC is on it */
	if (tail != f->rq_head && (__u8)(tail - 1) != f->rq_head && f->rq_kind[last] == kind &&
	    f->rq_count[last] < 255) {
		f->rq_count[last]++;
		return;
	}
	if ((__u8)(tail - f->rq_head) >= SG_REPLY_QUEUE) {
		/* more runs pipelined than kept: no later reply can be matched,
		 * so a refused DATA or STARTTLS would not be seen (said by TC) */
		stat_inc(SG_STAT_reply_queue_full);
		f->flags |= SG_FLOW_NO_REPLIES | SG_FLOW_REPLIES_LOST;
		return;
	}
	f->rq_kind[tail & (SG_REPLY_QUEUE - 1)] = kind;
	f->rq_count[tail & (SG_REPLY_QUEUE - 1)] = 1;
	f->rq_tail = tail + 1;
}

/* replies awaited: runs queued and not answered */
static __always_inline int sg_replies_awaited(const struct sg_flow *f)
{
	return f->rq_tail != f->rq_head;
}

static __always_inline struct sg_flow *sg_flow_create(const struct sg_flow_key *key, __u32 next_seq,
						      int midstream)
{
	struct sg_source *src;
	struct sg_flow *f;

	if (bpf_map_update_elem(&sg_flows, key, &sg_zero_flow, BPF_ANY)) {
		stat_inc(SG_STAT_flow_table_full);
		return NULL;
	}
	f = bpf_map_lookup_elem(&sg_flows, key);
	if (!f) {
		stat_inc(SG_STAT_flow_table_full);
		return NULL;
	}
	/* eve flow_id: random, kept below 2^51 as Suricata's are */
	f->flow_id = (((__u64)bpf_get_prandom_u32() << 19) ^ bpf_get_prandom_u32()) &
		     ((1ULL << 51) - 1);
	f->first_ns = bpf_ktime_get_ns();
	f->next_seq = next_seq;
	if (midstream) {
		/* we do not know where we are: wait for the next line */
		/* nor which replies the server still owes */
		f->flags = SG_FLOW_MIDSTREAM | SG_FLOW_NO_REPLIES;
		f->state = SG_S_S_SKIP;
		stat_inc(SG_STAT_flows_midstream);
	} else {
		stat_inc(SG_STAT_flows_new);
	}
	src = sg_source_get(&key->saddr, 1);
	if (src)
		sg_count(&src->flows, 1);
	return f;
}

#endif
