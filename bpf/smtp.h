/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smtp.h - the streaming SMTP command parser. No packet is buffered: the
 * whole parse state (DFA state, label hashes, token copy, BDAT count) lives
 * in the flow entry, so a command cut at any byte continues in the next
 * segment.
 *
 * Shape (DESIGN.md, "One engine shape"): one bpf_loop per segment; each
 * callback runs a bounded inner loop over at most SG_CHUNK bytes that skips
 * 8-byte words holding no byte the state waits for (SWAR) and steps the DFA
 * table on the rest. The loop stops at a byte whose entry carries an action
 * and the callback handles that action outside the loop, so the verifier
 * never multiplies the handlers' branches by the bytes of a chunk. Scalars
 * the verifier would track precisely (position, state) are re-masked on
 * every step and kept in the map value between callbacks
 * (engine-prototype.md, "What was refused, and the fix").
 */
#ifndef SG_SMTP_H
#define SG_SMTP_H

#ifndef SG_CHUNK
#define SG_CHUNK 32          /* bytes per inner loop: see the verifier note above */
#endif
#ifndef SG_RESUMES
#define SG_RESUMES 2          /* actions handled per callback; verifier cost grows with it */
#endif
#define SG_MAX_CALLBACKS 4096 /* per segment: chunks plus actions; more is counted */
#define SG_POS_MASK 0x3fff    /* positions < 16 KiB; keeps pos + 8 within MAX_PACKET_OFF */
#define SG_BDAT_MAX (1ULL << 40)

/* Tables in a writable section: the verifier must treat what it loads from
 * them as unknown values, or it would fold states into constants and walk
 * every path (message-prototype.md, "URL state narrowed to constants"). */
__u8 sg_dfa_cls[256] SEC(".data.dfa") = SG_DFA_CLS_INIT;
__u32 sg_dfa[SG_DFA_MAX_STATES * SG_DFA_NCLS] SEC(".data.dfa") = SG_DFA_TABLE_INIT;
/* per state: the two bytes it waits for (low and high byte; 0: none) */
__u16 sg_dfa_skip[SG_DFA_MAX_STATES] SEC(".data.dfa") = SG_DFA_SKIP_INIT;
/* The hash basis read from memory too: were it a constant on the label-end
 * path and unknown on the others, no two loop-head states would match and
 * the verifier's work would grow with the square of the chunk. */
__u64 sg_label_basis SEC(".data.dfa") = SG_FNV_BASIS;


struct sg_scan {
	struct xdp_md *xdp;
	struct sg_flow *f;
	struct sg_pkt *pk;
};

static __always_inline void sg_source_count(const struct sg_flow_key *key, int messages,
					    int recipients, int alerts)
{
	struct sg_source *s = sg_source_get(&key->saddr, 0);

	if (!s)
		return;
	s->messages += messages;
	s->recipients += recipients;
	s->alerts += alerts;
	s->last_ns = bpf_ktime_get_coarse_ns();
}

static __always_inline void sg_message_end(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;

	f->messages++;
	stat_inc(SG_STAT_messages);
	sg_source_count(&sc->pk->key, 1, 0, 0);
	f->phase = SG_PHASE_COMMAND;
	f->state = SG_S_L_START;
}

/* A new name starts (after "MAIL FROM:" or "EHLO "): forget the last one. */
static __always_inline void sg_token_reset(struct sg_flow *f, __u8 where)
{
	f->tok_len = 0;
	f->nlabels = 0;
	f->label_hash = SG_FNV_BASIS;
	f->where = where;
	f->cmt_depth = 0;
	f->flags &= ~SG_FLOW_TOKEN_TRUNC;
}

static __always_inline void sg_helo_keep(struct sg_flow *f)
{
	__builtin_memcpy(f->helo, f->token, SG_HELO_MAX);
	f->helo_len = f->tok_len < SG_HELO_MAX ? f->tok_len : SG_HELO_MAX;
}

/* A domain ended: match it against our domains, check the source, alert. */
static __noinline void sg_name_end(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;
	struct sg_config *cfg;
	struct sg_name_val *hit;
	enum sg_action action;
	__u8 where = f->where;

	/* the last label, unless the name ended with a dot (corp.example.) */
	if (f->label_hash != SG_FNV_BASIS) {
		f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = f->label_hash;
		f->nlabels++;
		f->label_hash = SG_FNV_BASIS;
	}
	if (f->flags & SG_FLOW_TOKEN_TRUNC)
		stat_inc(SG_STAT_token_truncated);
	if (where == SG_WHERE_HELO)
		sg_helo_keep(f);
	cfg = config_get();
	if (!cfg || (where != SG_WHERE_HELO && where != SG_WHERE_MAIL_FROM))
		return;
	hit = sg_match_name(&sg_own_domains, SG_FILTER_OWN_DOMAINS, f, cfg->generation);
	if (!hit)
		return;
	if (sg_source_trusted(&sc->pk->key, cfg->generation)) {
		stat_inc(SG_STAT_trusted_suppressed);
		return;
	}
	action = cfg->actions[SG_REASON_SPOOFED_INTERNAL_DOMAIN & 7];
	if (action == SG_ACTION_OFF)
		return;
	f->alerts++;
	f->flags |= SG_FLOW_ALERTED;
	if (action == SG_ACTION_BLOCK)
		f->flags |= SG_FLOW_BLOCKED;
	stat_inc(SG_STAT_alerts);
	stat_inc(where == SG_WHERE_HELO ? SG_STAT_alert_helo : SG_STAT_alert_mail_from);
	sg_source_count(&sc->pk->key, 0, 0, 1);
	sg_emit(f, &sc->pk->key, SG_REASON_SPOOFED_INTERNAL_DOMAIN, where, action, hit);
}

static __always_inline void sg_line_end(struct sg_flow *f)
{
	f->commands++;
	stat_inc(SG_STAT_commands);
}

/* Handles the action of the byte c that stopped the byte loop. */
static __noinline void sg_action(struct sg_scan *sc, __u32 act, __u8 c)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_EOL:
		sg_line_end(f);
		/* a BDAT line that did not parse leaves no count behind */
		f->bdat_left = 0;
		f->bdat_last = 0;
		break;
	case A_EOL_RCPT:
		sg_line_end(f);
		f->recipients++;
		stat_inc(SG_STAT_recipients);
		sg_source_count(&sc->pk->key, 0, 1, 0);
		break;
	case A_EOL_RSET:
		sg_line_end(f);
		sg_token_reset(f, SG_WHERE_NONE);
		break;
	case A_EOL_DATA:
		sg_line_end(f);
		f->phase = SG_PHASE_DATA;
		f->state = SG_S_M_LS; /* the message begins at a line start */
		f->await = SG_AWAIT_DATA;
		break;
	case A_EOL_STARTTLS:
		sg_line_end(f);
		f->phase = SG_PHASE_TLS;
		f->await = SG_AWAIT_STARTTLS;
		stat_inc(SG_STAT_starttls);
		break;
	case A_EOL_BDAT:
		sg_line_end(f);
		stat_inc(SG_STAT_bdat_chunks);
		if (f->bdat_left) {
			f->phase = SG_PHASE_BDAT;
		} else if (f->bdat_last) {
			sg_message_end(sc);
			f->bdat_last = 0;
		}
		break;
	case A_MAIL_START:
		sg_token_reset(f, SG_WHERE_MAIL_FROM);
		break;
	case A_HELO_START:
		sg_token_reset(f, SG_WHERE_HELO);
		break;
	case A_AT:
		f->nlabels = 0;
		f->label_hash = SG_FNV_BASIS;
		break;
	case A_DEND:
		sg_name_end(sc);
		break;
	case A_DEND_EOL:
		sg_name_end(sc);
		sg_line_end(f);
		break;
	case A_HELO_LIT:
		sg_helo_keep(f);
		break;
	case A_DIGIT:
		if (f->bdat_left < SG_BDAT_MAX)
			f->bdat_left = f->bdat_left * 10 + (c - '0');
		else
			stat_inc(SG_STAT_bad_commands);
		break;
	case A_BDAT_LAST:
		f->bdat_last = 1;
		break;
	case A_EOD:
		sg_message_end(sc);
		break;
	case A_BARE_DOT:
		stat_inc(SG_STAT_bare_lf_dot);
		break;
	case A_CMT_OPEN:
		if (f->cmt_depth < 255)
			f->cmt_depth++;
		break;
	case A_CMT_CLOSE:
		if (f->cmt_depth > 1) {
			f->cmt_depth--;
		} else {
			f->cmt_depth = 0;
			f->state = f->state == SG_S_P_LCMT ? SG_S_P_LOCAL : SG_S_P_DOM;
		}
		break;
	}
}

/* Phases whose bytes are not stepped through the DFA: a BDAT chunk is
 * counted off, TLS ciphertext and closed flows are skipped. */
static __always_inline long sg_skip_phase(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;
	__u32 pos = f->pos, end = f->end;
	__u64 n;

	if (f->phase != SG_PHASE_BDAT || pos >= end) {
		f->pos = end;
		return 1;
	}
	n = end - pos;
	if (n > f->bdat_left)
		n = f->bdat_left;
	f->bdat_left -= n;
	f->pos = pos + n;
	if (!f->bdat_left) {
		if (f->bdat_last)
			sg_message_end(sc);
		else
			f->phase = SG_PHASE_COMMAND;
		f->bdat_last = 0;
		f->state = SG_S_L_START;
	}
	return f->pos >= end;
}

/* Steps at most SG_CHUNK bytes; returns the action that stopped it (0: none)
 * and the byte that carried it in *act_c. State goes back to the flow. */
static __always_inline __u32 sg_scan_chunk(struct sg_scan *sc, __u8 *act_c)
{
	struct sg_flow *f = sc->f;
	void *data = (void *)(long)sc->xdp->data;
	void *data_end = (void *)(long)sc->xdp->data_end;
	__u64 pos = f->pos & SG_POS_MASK, end = f->end;
	__u64 h = f->label_hash, basis = sg_label_basis;
	__u32 s = f->state, e, act = 0;
	__u8 c;

	for (int k = 0; k < SG_CHUNK; k++) {
		__u16 sk;
		__u8 *p;

		if (pos >= end)
			break;
		sk = sg_dfa_skip[s & SG_DFA_STATE_MASK];
		if (sk) {
			/* skip whole words that hold neither byte; else jump to the first */
			p = data + pos;
			if (pos + 8 <= end && (void *)(p + 8) <= data_end) {
				__u64 w = *(__u64 *)p;
				__u64 x = w ^ ((sk & 0xff) * 0x0101010101010101ULL);
				__u64 y = w ^ ((sk >> 8) * 0x0101010101010101ULL);
				__u64 m = ((x - 0x0101010101010101ULL) & ~x) |
					  ((y - 0x0101010101010101ULL) & ~y);

				m &= 0x8080808080808080ULL;
				if (!m) {
					pos = (pos + 8) & SG_POS_MASK;
					continue;
				}
				/* index of the lowest zero byte, without ctz */
				pos = (pos + ((((m & -m) >> 7) * 0x0001020304050607ULL) >> 56)) &
				      SG_POS_MASK;
			}
		}
		p = data + pos;
		if ((void *)(p + 1) > data_end) {
			pos = end;
			break;
		}
		c = *p;
		e = sg_dfa[((s & SG_DFA_STATE_MASK) << 5) | (sg_dfa_cls[c] & (SG_DFA_NCLS - 1))];
		s = e & SG_DFA_STATE_MASK;
		if (e & SG_DFA_HASH)
			h = sg_label_step(h, c);
		if (e & SG_DFA_DOT) {
			f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = h;
			f->nlabels++;
			h = basis;
		}
		if (e & SG_DFA_CAP) {
			__u32 t = f->tok_len;

			if (t < SG_TOKEN_MAX) {
				__u32 i = t;

				/* keep clang from dropping the mask the verifier needs */
				barrier_var(i);
				f->token[i & (SG_TOKEN_MAX - 1)] = c;
				f->tok_len = t + 1;
			} else {
				f->flags |= SG_FLOW_TOKEN_TRUNC;
			}
		}
		pos = (pos + 1) & SG_POS_MASK;
		if (e >> SG_DFA_ACT_SHIFT) {
			/* only set when leaving: live values must not differ at the loop head */
			act = e >> SG_DFA_ACT_SHIFT;
			*act_c = c;
			break;
		}
	}
	f->pos = pos;
	f->state = s;
	f->label_hash = h;
	return act;
}

/* little-endian u64 of eight bytes, as an 8-byte load from the packet sees them */
#define SG_W8(a, b, c, d, e, f, g, h)                                                            \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
/* OR-ing 0x20 into a letter position folds case; x | 0x20 == 'm' only for
 * 'M' and 'm', so no other byte can pass for a letter */
#define SG_VW_MAIL   SG_W8('m', 'a', 'i', 'l', ' ', 'f', 'r', 'o')
#define SG_VW_MAIL_F SG_W8(0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0x20)
#define SG_VW_RCPT   SG_W8('r', 'c', 'p', 't', ' ', 't', 'o', ':')
#define SG_VW_RCPT_F SG_W8(0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0)
#define SG_VW_EHLO   SG_W8('e', 'h', 'l', 'o', ' ', 0, 0, 0)
#define SG_VW_HELO   SG_W8('h', 'e', 'l', 'o', ' ', 0, 0, 0)
#define SG_VW_HELO_F SG_W8(0x20, 0x20, 0x20, 0x20, 0, 0, 0, 0)
#define SG_VW_5      0xffffffffffULL

/* At a line start, the verbs that carry a name are matched as words instead
 * of 5-10 DFA steps (engine-prototype.md, "VW"). Whatever this does not
 * match - a verb cut by the segment's end, extra spaces - the DFA reads. */
static __always_inline void sg_line_start(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;
	void *data = (void *)(long)sc->xdp->data;
	void *data_end = (void *)(long)sc->xdp->data_end;
	__u64 pos = f->pos & SG_POS_MASK, w;
	__u8 *p = data + pos;
	__u16 w2;

	if (pos + 10 > f->end || (void *)(p + 10) > data_end)
		return;
	w = *(__u64 *)p;
	w2 = *(__u16 *)(p + 8);
	if ((w | SG_VW_MAIL_F) == SG_VW_MAIL && (w2 | 0x0020) == ('m' | ':' << 8)) {
		sg_token_reset(f, SG_WHERE_MAIL_FROM);
		f->state = SG_S_P_PRE;
		f->pos = pos + 10;
	} else if ((w | SG_VW_RCPT_F) == SG_VW_RCPT) {
		f->state = SG_S_RCPT_REST;
		f->pos = pos + 8;
	} else if (((w & SG_VW_5) | SG_VW_HELO_F) == SG_VW_EHLO ||
		   ((w & SG_VW_5) | SG_VW_HELO_F) == SG_VW_HELO) {
		sg_token_reset(f, SG_WHERE_HELO);
		f->state = SG_S_H_PRE;
		f->pos = pos + 5;
	}
}

/* One bpf_loop iteration: a chunk, and up to SG_RESUMES actions with the
 * chunks after them. Each callback costs a call and a return (7-10 ns with
 * this kernel's retpolines, bpf-limits.md), and a MAIL FROM line carries four
 * or five actions: resuming here instead saves most of them. */
static long sg_scan_cb(__u32 index, void *vctx)
{
	struct sg_scan *sc = vctx;
	struct sg_flow *f = sc->f;
	__u8 act_c = 0;
	__u32 act;

	for (int r = 0; r < SG_RESUMES; r++) {
		if (f->phase >= SG_PHASE_BDAT)
			return sg_skip_phase(sc);
		if (f->state == SG_S_L_START)
			sg_line_start(sc);
		act = sg_scan_chunk(sc, &act_c);
		if (!act)
			break;
		sg_action(sc, act, act_c);
	}
	return f->pos >= f->end;
}

/* Parses payload bytes [from, to) of this packet. */
static __always_inline void sg_smtp_parse(struct xdp_md *ctx, struct sg_flow *f, struct sg_pkt *pk,
					  __u32 from, __u32 to)
{
	struct sg_scan sc = { .xdp = ctx, .f = f, .pk = pk };

	f->pos = from;
	f->end = to;
	bpf_loop(SG_MAX_CALLBACKS, sg_scan_cb, &sc, 0);
	if (f->pos < f->end) {
		/* more actions than callbacks: resynchronise at the next line */
		stat_inc(SG_STAT_parse_budget);
		if (f->phase == SG_PHASE_COMMAND)
			f->state = SG_S_S_SKIP;
	}
}

#endif
