/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replies.h - what the server answered. Every client command line queues
 * the kind of reply it waits for (sg_reply_expect in flow.h);
 * sg_tc_egress reads the server's reply lines and gives each final one
 * ("250 ", not "250-") to the oldest kind waiting: pipelined commands are
 * answered in order (RFC 2920). A refused DATA or STARTTLS does not move the
 * session on, and each message's end is answered queued or refused.
 */
#ifndef SG_REPLIES_H
#define SG_REPLIES_H

static const char sg_what_replies_lost[SG_TOKEN_MAX] =
	"replies no longer matched to commands: a refused DATA or STARTTLS would not be seen";
static const char sg_what_refused_data[SG_TOKEN_MAX] =
	"DATA refused after the client sent more: those bytes were not read as commands";

#define SG_CODE(a, b, c) ((a) | (b) << 8 | (c) << 16)

/* A final reply line (its first bytes in line, the oldest lowest) answers
 * the oldest command waiting. Only the codes that can answer a command move
 * the session (354 or 4xx/5xx to DATA, 220 to STARTTLS): a queue put out of
 * step by a line the server did not answer cannot make a 250 end DATA or
 * start TLS. Global: verified once, not once per path of the caller. */
__noinline int sg_reply_g(struct sg_flow *f, const struct sg_flow_key *key, __u32 line)
{
	__u32 c = line & 0xff;
	__u8 kind, head;

	if (!f || !key)
		return 0;
	if (c == '4' || c == '5')
		stat_inc(SG_STAT_replies_refused);
	if (sg_replies_off(f))
		return 0;
	if (!sg_replies_awaited(f)) {
		stat_inc(SG_STAT_replies_unmatched);
		return 0;
	}
	head = f->rq_head & (SG_REPLY_QUEUE - 1);
	kind = f->rq_kind[head];
	/* make bench: every repetition of a reply answers the same command */
	if (!sg_ignore_seq && ++f->rq_used >= f->rq_count[head]) {
		f->rq_used = 0;
		f->rq_head++;
	}
	switch (kind) {
	case SG_RK_DATA:
		/* refused: XDP takes it up at the client's next segment. Bytes
		 * the client sent after DATA were commands, read as message:
		 * noted now (the message they made may have ended already) and
		 * said by XDP, which alone writes the flow's flags and alerts */
		if (c == '4' || c == '5') {
			f->data_refused_seq = f->data_seq;
			f->data_refused_n++;
			if (f->next_seq != f->data_seq) {
				stat_inc(SG_STAT_refused_after_pipelining);
				f->srv_flags |= SG_SRV_REFUSED_PIPE;
			}
		}
		break;
	case SG_RK_STARTTLS:
		if ((line & 0xffffff) == SG_CODE('2', '2', '0')) {
			f->srv_tls = 1; /* what follows is ciphertext */
			stat_inc(SG_STAT_tls_started);
		}
		break;
	case SG_RK_MSG:
		if (c == '2') {
			f->msgs_accepted++;
			stat_inc(SG_STAT_messages_accepted);
		} else if (c == '4' || c == '5') {
			f->msgs_refused++;
			stat_inc(SG_STAT_messages_refused);
		}
		break;
	case SG_RK_RCPT:
		if (c == '4' || c == '5') {
			/* not a recipient: the counts (and rate limits) say so */
			stat_inc(SG_STAT_recipients_refused);
			f->rcpt_refused++;
			sg_source_count(key, -1, 0);
		}
		break;
	}
	return 0;
}

struct sg_reply_scan {
	struct __sk_buff *skb;
	struct sg_flow *f;
	const struct sg_flow_key *key;
};

#define SG_REPLY_STEP 128 /* bytes a callback: the verifier walks each one */

/* Up to SG_REPLY_STEP bytes of reply: the first four bytes of each line are
 * kept (a line may be cut by the segment's end) and a final line's code is
 * handed to sg_reply_g. The position lives in the flow, not on the stack,
 * so the verifier does not tell the callback's runs apart. */
static long sg_reply_cb(__u32 index, void *vctx)
{
	struct sg_reply_scan *rs = vctx;
	struct sg_flow *f = rs->f;
	void *data = (void *)(long)rs->skb->data;
	void *data_end = (void *)(long)rs->skb->data_end;

	for (int i = 0; i < SG_REPLY_STEP; i++) {
		__u32 pos = f->srv_pos, n = f->srv_line_n;
		__u8 *p = data + (pos & SG_POS_MASK);
		__u8 c;

		if (pos >= f->srv_end || (void *)(p + 1) > data_end)
			return 1;
		c = *p;
		f->srv_pos = pos + 1;
		if (n < 4) {
			__u32 line = f->srv_line | (__u32)c << (8 * (n & 3));

			f->srv_line = line;
			f->srv_line_n = n + 1;
			/* "ddd " or "ddd\r": a final line (RFC 5321 4.2.1) */
			if (n == 3 && (line & 0xff) >= '2' && (line & 0xff) <= '5' &&
			    ((line >> 8) & 0xff) - '0' < 10 && ((line >> 16) & 0xff) - '0' < 10 &&
			    ((line >> 24) == ' ' || (line >> 24) == '\r'))
				sg_reply_g(f, rs->key, line);
		}
		if (c == '\n') {
			f->srv_line_n = 0;
			f->srv_line = 0;
		}
	}
	return 0;
}

/* The server's verdicts TC recorded, taken up by XDP before it reads the
 * client's next segment: a refused DATA returns the session to commands
 * (if the client had sent more after DATA, those were commands that were
 * read as message: said), an accepted STARTTLS makes the rest ciphertext. */
static __always_inline void sg_replies_apply(struct sg_flow *f, const struct sg_flow_key *key)
{
	/* what TC noted that is an alert (it writes none of XDP's words),
	 * said before this packet is read: if it blocks, this packet is the
	 * RST, at where the server's stream ends (sg_client_segment) */
	if ((f->srv_flags & (SG_SRV_LOST | SG_SRV_REFUSED_PIPE)) && !(f->flags & SG_FLOW_ANOMALY))
		sg_anomaly(f, key, (f->srv_flags & SG_SRV_LOST) ? sg_what_replies_lost :
								    sg_what_refused_data);
	if (f->srv_tls && f->phase != SG_PHASE_TLS && f->phase != SG_PHASE_CLOSED)
		f->phase = SG_PHASE_TLS;
	if (f->data_refused_n == f->data_refused_seen)
		return;
	f->data_refused_seen = f->data_refused_n;
	if (f->phase != SG_PHASE_DATA || f->data_seq != f->data_refused_seq)
		return;
	if (f->next_seq != f->data_seq) {
		/* go on at the next line, or here if a line just ended */
		f->state = f->mstate == SG_M_H_LS || f->mstate == SG_M_H_BLS ||
				   f->mstate == SG_M_B_LS || f->mstate == SG_M_B_BLS ?
				   SG_S_L_START : SG_S_S_SKIP;
	} else {
		f->state = SG_S_L_START;
	}
	f->phase = SG_PHASE_COMMAND;
}

/* Reply matching was lost in this flow by XDP (more runs pipelined than
 * the queue keeps, in the segment being read): said once, as the session
 * is then read without the server's verdicts on DATA and STARTTLS. TC's
 * own loss (a reply not read whole) is said by sg_replies_apply. */
static __always_inline void sg_replies_lost(struct sg_flow *f, const struct sg_flow_key *key)
{
	if (!(f->flags & SG_FLOW_REPLIES_LOST))
		return;
	f->flags &= ~SG_FLOW_REPLIES_LOST;
	sg_anomaly(f, key, sg_what_replies_lost);
}

/* Reads the reply lines of len bytes at packet offset off. */
static __always_inline void sg_replies(struct __sk_buff *skb, struct sg_flow *f,
				       const struct sg_flow_key *key, __u32 off, __u32 len)
{
	struct sg_reply_scan rs = { .skb = skb, .f = f, .key = key };

	f->srv_pos = off;
	f->srv_end = off + len;
	/* every byte of the segment (a GSO one may hold 64 KiB of replies) */
	bpf_loop((len + SG_REPLY_STEP - 1) / SG_REPLY_STEP, sg_reply_cb, &rs, 0);
	if (f->srv_pos < f->srv_end) {
		/* not all read: where the next line starts is not known */
		f->srv_flags |= SG_SRV_NO_REPLIES | SG_SRV_LOST;
		f->srv_line_n = 0;
	}
}

#endif
