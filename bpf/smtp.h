/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smtp.h - the streaming SMTP command parser: the command machine of
 * bpf/gen_dfa.c stepped by scan.h, its actions, the verbs matched as words
 * at a line start, and the BDAT and TLS phases.
 */
#ifndef SG_SMTP_H
#define SG_SMTP_H

#define SG_BDAT_MAX (1ULL << 40)

/* A command line ended: the server owes it a reply of this kind */
static __always_inline void sg_line_end(struct sg_flow *f, __u8 kind)
{
	f->commands++;
	stat_inc(SG_STAT_commands);
	if (kind)
		sg_reply_expect(f, kind);
}

/* Handles the action of the byte c that stopped the byte loop. */
static __noinline void sg_action(struct sg_scan *sc, __u32 act, __u8 c)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_EOL:
		sg_line_end(f, SG_RK_OTHER);
		/* a BDAT line that did not parse leaves no count behind */
		f->bdat_left = 0;
		f->bdat_last = 0;
		break;
	case A_EOL_RCPT:
		sg_line_end(f, SG_RK_RCPT);
		f->recipients++;
		stat_inc(SG_STAT_recipients);
		sg_source_count(&sc->pk->key, 1, 0);
		break;
	case A_EOL_RSET:
		sg_line_end(f, SG_RK_OTHER);
		sg_token_reset(f, SG_WHERE_NONE);
		sg_message_reset(f);
		f->flags &= ~SG_FLOW_BDAT_OPEN;
		break;
	case A_EOL_DATA:
		sg_line_end(f, SG_RK_DATA);
		f->phase = SG_PHASE_DATA;
		f->state = SG_S_M_LS; /* the message begins at a line start */
		/* where the message starts in the stream: if the server refuses
		 * DATA, anything the client sent from here on was commands */
		f->data_seq = f->next_seq - (f->end - f->pos);
		break;
	case A_EOL_STARTTLS:
		/* TLS starts when the server says 220 (sg_tc_egress): bytes a client
		 * pipelines after STARTTLS are commands if the server refuses it */
		sg_line_end(f, SG_RK_STARTTLS);
		stat_inc(SG_STAT_starttls);
		break;
	case A_EOL_BDAT:
		/* BDAT LAST is answered at the message's end (sg_message_end) */
		sg_line_end(f, f->bdat_last ? 0 : SG_RK_BDAT);
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
		/* a MAIL FROM between BDAT chunks is refused (503 nested MAIL):
		 * the chunked message goes on */
		if (!(f->flags & SG_FLOW_BDAT_OPEN))
			sg_message_reset(f);
		break;
	case A_HELO_START:
		sg_token_reset(f, SG_WHERE_HELO);
		break;
	case A_AT:
		sg_domain_start(f);
		break;
	case A_DEND:
		sg_name_end(sc);
		break;
	case A_DEND_EOL:
		sg_name_end(sc);
		sg_line_end(f, SG_RK_OTHER);
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
		sg_anomaly(f, &sc->pk->key, sg_what_bare_dot);
		break;
	case A_CMT_OPEN:
	case A_CMT_CLOSE:
		sg_comment(f, act, &f->state, &sg_cmd_machine);
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
		if (!(f->flags & SG_FLOW_BDAT_OPEN))
			sg_message_reset(f);
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
		/* message bytes go to the message program while tail calls last */
		if (f->phase == SG_PHASE_DATA || f->phase == SG_PHASE_BDAT) {
			if (f->tail_left >= 2)
				return 1;
			/* past the budget: end of data and chunk sizes only
			 * (counted, and said once, by sg_smtp_parse) */
			f->flags |= SG_FLOW_UNREAD;
		}
		if (f->phase >= SG_PHASE_BDAT)
			return sg_skip_phase(sc);
		if (f->state == SG_S_L_START)
			sg_line_start(sc);
		act = sg_scan_chunk(sc, &sg_cmd_machine, &f->state, &act_c, 0, 0);
		if (!act)
			break;
		sg_action(sc, act, act_c);
	}
	return f->pos >= f->end;
}

#endif
