/* SPDX-License-Identifier: GPL-2.0 */
/*
 * part.h - the part programs: a quoted-printable or base64 text part is
 * decoded, HTML sent as it is copied (a browser drops CR and LF inside a
 * quoted link, so the link machine must read it without SMTP's line ends),
 * and a part that is not text is skipped, each by a program of its own
 * (sg_xdp_qp, sg_xdp_b64, sg_xdp_html, sg_xdp_skip), each with its own verifier budget
 * (message-prototype.md: all modes in one program verified at 410k).
 *
 * Each segment is read in two passes, no packet kept:
 *  1. the raw pass steps the part machine (gen_dfa.c, build_part) over the
 *     segment's raw bytes: it keeps the lines SMTP and MIME see (dot-stuffing,
 *     the end of data, "--" lines that may be boundaries) and decodes the
 *     content into the per-CPU buffer sg_decoded; a QP escape or a base64
 *     quantum cut by the segment end is finished in the next one (the flow
 *     keeps the machine's state, the raw byte before, the open quantum);
 *  2. the link pass steps the link machine (the message machine's link
 *     states) over the decoded bytes; its state stays in the flow too, so a
 *     host cut by a segment end, a QP soft break or a base64 quantum is read
 *     whole.
 * A boundary line or the end of data stops the raw pass; it takes effect
 * after the link pass has read the bytes before it.
 */
#ifndef SG_PART_H
#define SG_PART_H

enum { SG_FAM_QP = 0, SG_FAM_B64 = 1, SG_FAM_SKIP = 2, SG_FAM_HTML = 3 };
enum { SG_PEND_BND = 1, SG_PEND_EOD = 2 };

#ifndef SG_PART_CHUNK
#define SG_PART_CHUNK 32
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_decoded);
} sg_decoded SEC(".maps");

struct sg_machine sg_part_machine SEC(".data.dfa") = {
	.dfa = SG_PDFA_TABLE_INIT, .skip = SG_PDFA_SKIP_INIT, .cls = SG_PDFA_CLS_INIT,
	.ret = SG_PDFA_RET_INIT,
};
struct sg_machine sg_link_machine SEC(".data.dfa") = {
	.dfa = SG_LDFA_TABLE_INIT, .skip = SG_LDFA_SKIP_INIT, .cls = SG_LDFA_CLS_INIT,
	.ret = SG_LDFA_RET_INIT,
};
/* a hex digit's value, a base64 character's (0xff: none) */
__u8 sg_hexv[256] SEC(".data.dfa") = SG_HEXV_INIT;
__u8 sg_b64v[256] SEC(".data.dfa") = SG_B64V_INIT;
/* a base64 character's part of its quantum's three bytes, by its place in
 * the quantum (4 x 256; bit 31: no base64 character) */
__u32 sg_b64q[1024] SEC(".data.dfa") = SG_B64Q_INIT;
/* each family's state inside a line (QP, base64, skipped, HTML), read from
 * memory: a constant would split the verifier's states */
__u8 sg_part_text_state[4] SEC(".data.dfa") = { SG_P_Q_TEXT, SG_P_B_TEXT, SG_P_S_TEXT, SG_P_I_TEXT };

/* An offset into the decoded buffer, masked where the verifier sees it
 * (clang would drop a mask it can prove redundant, and the verifier cannot) */
#define SG_DOFF(x) ({ __u32 _o = (x); barrier_var(_o); _o & SG_DEC_MASK; })

static __always_inline void sg_dec_put(struct sg_scan *sc, __u8 *b, __u8 c)
{
	__u32 dl = SG_DOFF(sc->dlen);

	b[SG_DOFF(8 + dl)] = c;
	sc->dlen = dl + 1;
}

/* The raw pass over at most SG_PART_CHUNK steps of family fam; returns the
 * action that stopped it and its byte in *act_c. */
static __always_inline __u32 sg_part_chunk(struct sg_scan *sc, __u8 *b, const int fam, __u8 *act_c)
{
	struct sg_flow *f = sc->f;
	struct sg_machine *m = &sg_part_machine;
	void *data = (void *)(long)sc->xdp->data;
	void *data_end = (void *)(long)sc->xdp->data_end;
	__u64 pos = f->pos & SG_POS_MASK, end = f->end;
	__u32 s = f->pstate, e, act = 0, dl = SG_DOFF(sc->dlen);
	__u32 acc = f->b64_acc, n;
	__u8 c = 0, prev = f->p_prev, pv = prev;

	for (int k = 0; k < SG_PART_CHUNK; k++) {
		__u8 *p;

		/* end read again and dl masked again: the checks below narrow
		 * their ranges on some paths only, and states that differ that
		 * way at the loop head are walked once each */
		end = f->end;
		dl = SG_DOFF(dl);
		if (pos >= end || dl > SG_DEC_LIMIT)
			break;
		p = data + pos;
		if (m->skip[s & SG_DFA_STATE_MASK] && pos + 8 <= end && (void *)(p + 8) <= data_end) {
			__u64 w = *(__u64 *)p;
			__u64 z = (w - 0x0e0e0e0e0e0e0e0eULL) & ~w; /* CR, LF, controls */

			if (fam == SG_FAM_B64) {
				/* eight base64 characters, no quantum open: six bytes.
				 * sg_b64q holds what each character adds to its
				 * quantum's three bytes, in place: one OR a quantum */
				__u32 *t = sg_b64q;
				__u64 q0 = t[w & 0xff] | t[256 + ((w >> 8) & 0xff)] |
					   t[512 + ((w >> 16) & 0xff)] | t[768 + ((w >> 24) & 0xff)];
				__u64 q1 = t[(w >> 32) & 0xff] | t[256 + ((w >> 40) & 0xff)] |
					   t[512 + ((w >> 48) & 0xff)] | t[768 + (w >> 56)];

				/* (a line start too: '.' and '-' are no base64) */
				if (!f->b64_n && !((q0 | q1) & 0x80000000ULL)) {
					*(__u64 *)(b + SG_DOFF(8 + dl)) = q0 | q1 << 24;
					dl = SG_DOFF(dl + 6);
					pos = (pos + 8) & SG_POS_MASK;
					s = SG_P_B_TEXT;
					continue;
				}
				/* four, the end of a 76-character line */
				if (!f->b64_n && !(q0 & 0x80000000ULL)) {
					*(__u32 *)(b + SG_DOFF(8 + dl)) = q0;
					dl = SG_DOFF(dl + 3);
					s = SG_P_B_TEXT;
					/* and the line's CRLF after them */
					if (((w >> 32) & 0xffff) == 0x0a0d) {
						pos = (pos + 6) & SG_POS_MASK;
						s = SG_P_B_LS;
						prev = '\n';
						continue;
					}
					pos = (pos + 4) & SG_POS_MASK;
					continue;
				}
			} else if (fam == SG_FAM_SKIP) {
				/* a skipped part only needs its line starts: stop at
				 * LF alone, up to four words a step, and take the CR
				 * before it and the line's first byte from the words */
				__u64 y = w ^ 0x0a0a0a0a0a0a0a0aULL;
				__u64 mk = (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
				__u64 i, lw = w, k = 0;
				__u8 before, pw = prev;

				if (!mk) {
					__u64 w2, w3, w4, y2, y3, y4, m2, m3, m4;

					if (pos + 32 > end || (void *)(p + 32) > data_end) {
						prev = w >> 56;
						pos = (pos + 8) & SG_POS_MASK;
						/* a CR last: the LF after it ends the
						 * line, not a bare one (the DFA must know) */
						s = prev == '\r' ? SG_P_S_CR : SG_P_S_TEXT;
						continue;
					}
					w2 = *(__u64 *)(p + 8);
					w3 = *(__u64 *)(p + 16);
					w4 = *(__u64 *)(p + 24);
					y2 = w2 ^ 0x0a0a0a0a0a0a0a0aULL;
					y3 = w3 ^ 0x0a0a0a0a0a0a0a0aULL;
					y4 = w4 ^ 0x0a0a0a0a0a0a0a0aULL;
					m2 = (y2 - 0x0101010101010101ULL) & ~y2 & 0x8080808080808080ULL;
					m3 = (y3 - 0x0101010101010101ULL) & ~y3 & 0x8080808080808080ULL;
					m4 = (y4 - 0x0101010101010101ULL) & ~y4 & 0x8080808080808080ULL;
					if (!(m2 | m3 | m4)) {
						prev = w4 >> 56;
						pos = (pos + 32) & SG_POS_MASK;
						s = prev == '\r' ? SG_P_S_CR : SG_P_S_TEXT;
						continue;
					}
					if (m2) {
						mk = m2, lw = w2, pw = w >> 56, k = 8;
					} else if (m3) {
						mk = m3, lw = w3, pw = w2 >> 56, k = 16;
					} else {
						mk = m4, lw = w4, pw = w3 >> 56, k = 24;
					}
				}
				i = (((mk & -mk) >> 7) * 0x0001020304050607ULL) >> 56;
				before = i ? (lw >> ((i - 1) * 8)) & 0xff : pw;
				pos = (pos + k + i + 1) & SG_POS_MASK;
				s = before == '\r' ? SG_P_S_LS : SG_P_S_BLS;
				prev = '\n';
				/* the line's first byte, if in the word and no dot,
				 * dash, CR or LF: nothing to look at there either */
				if (i < 7) {
					__u8 first = lw >> ((i + 1) * 8);

					if (first != '.' && first != '-' && first > '\r') {
						s = SG_P_S_TEXT;
						prev = first;
						pos = (pos + 1) & SG_POS_MASK;
					}
				}
				continue;
			} else {
				__u64 mk = z;
				__u8 w0 = w;

				/* a line start (QP, HTML): the line goes on as text
				 * unless it starts with what a line start looks at */
				if (s != sg_part_text_state[fam & 3]) {
					if (w0 == '.' || w0 == '-' || w0 == '=' || w0 <= '\r')
						goto step;
					s = sg_part_text_state[fam & 3];
				}
				if (fam == SG_FAM_QP) {
					__u64 y = w ^ 0x3d3d3d3d3d3d3d3dULL; /* '=' */

					mk |= (y - 0x0101010101010101ULL) & ~y;
				}
				mk &= 0x8080808080808080ULL;
				if (fam == SG_FAM_QP || fam == SG_FAM_HTML)
					*(__u64 *)(b + SG_DOFF(8 + dl)) = w;
				if (!mk) {
					if (fam == SG_FAM_QP || fam == SG_FAM_HTML)
						dl = SG_DOFF(dl + 8);
					pos = (pos + 8) & SG_POS_MASK;
					continue;
				}
				{
					__u64 i = (((mk & -mk) >> 7) * 0x0001020304050607ULL) >> 56;

					if (fam == SG_FAM_QP || fam == SG_FAM_HTML)
						dl = SG_DOFF(dl + i);
					pos = (pos + i) & SG_POS_MASK;
					p = data + pos;
					/* "=XX" or a soft break "=\r\n" inside the word */
					/* (read from the packet: the escape may run past
					 * the word) */
					if (fam == SG_FAM_QP && pos + 3 <= end && (void *)(p + 3) <= data_end &&
					    p[0] == '=') {
						__u8 x = p[1], y = p[2];
						__u8 hx = sg_hexv[x], hy = sg_hexv[y];

						if ((hx | hy) < 16) {
							b[SG_DOFF(8 + dl)] = hx << 4 | hy;
							dl = SG_DOFF(dl + 1);
							pos = (pos + 3) & SG_POS_MASK;
							prev = y;
							continue;
						}
						if (x == '\r' && y == '\n') {
							pos = (pos + 3) & SG_POS_MASK;
							s = SG_P_Q_LS;
							prev = y;
							continue;
						}
					}
					/* a line's CRLF inside the word: content, then a
					 * line start (the DFA would take two steps) */
					if (pos + 2 <= end && (void *)(p + 2) <= data_end && p[0] == '\r' &&
					    p[1] == '\n') {
						b[SG_DOFF(8 + dl)] = '\r';
						b[SG_DOFF(9 + dl)] = '\n';
						dl = SG_DOFF(dl + 2);
						pos = (pos + 2) & SG_POS_MASK;
						s = fam == SG_FAM_QP ? SG_P_Q_LS : SG_P_I_LS;
						prev = '\n';
						continue;
					}
				}
			}
		}
step:
		if ((void *)(p + 1) > data_end) {
			pos = end;
			break;
		}
		c = *p;
		e = m->dfa[((s & SG_DFA_STATE_MASK) << SG_DFA_CLS_SHIFT) |
			   (m->cls[c] & (SG_DFA_NCLS - 1))];
		s = e & SG_DFA_STATE_MASK;
		if ((fam == SG_FAM_QP || fam == SG_FAM_HTML) && (e & SG_PDFA_EMIT)) {
			b[SG_DOFF(8 + dl)] = c;
			dl = SG_DOFF(dl + 1);
		}
		if (fam == SG_FAM_QP) {
			if (e & SG_PDFA_QPHEX) {
				b[SG_DOFF(8 + dl)] =
					(sg_hexv[prev] << 4) | (sg_hexv[c] & 0xf);
				dl = SG_DOFF(dl + 1);
			}
		}
		if (fam == SG_FAM_B64 && (e & SG_PDFA_B64)) {
			/* the count lives in the flow: a constant here would make
			 * the verifier walk every later step once per value */
			acc = acc << 6 | (sg_b64v[c] & 63);
			n = (f->b64_n + 1) & 3;
			f->b64_n = n;
			if (!n) {
				b[SG_DOFF(8 + dl)] = acc >> 16;
				b[SG_DOFF(9 + dl)] = acc >> 8;
				b[SG_DOFF(10 + dl)] = acc;
				dl = SG_DOFF(dl + 3);
			}
		}
		pv = prev;
		prev = c;
		pos = (pos + 1) & SG_POS_MASK;
		if (e >> SG_DFA_ACT_SHIFT) {
			act = e >> SG_DFA_ACT_SHIFT;
			*act_c = c;
			break;
		}
	}
	f->pos = pos;
	f->pstate = s;
	f->b64_acc = acc;
	/* an action's handler may need the byte before its own */
	f->p_prev = act ? pv : prev;
	sc->dlen = dl;
	return act;
}

/* the family's state inside a line, for a dot that is content (BDAT) */
static __always_inline __u8 sg_part_text(const int fam)
{
	return fam == SG_FAM_QP ? SG_P_Q_TEXT : fam == SG_FAM_B64 ? SG_P_B_TEXT :
	       fam == SG_FAM_HTML ? SG_P_I_TEXT : SG_P_S_TEXT;
}

static __noinline void sg_part_action(struct sg_scan *sc, __u8 *b, const int fam, __u32 act,
				      __u8 c)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_LDOT:
		/* BDAT has no dot-stuffing: the dot is content */
		if (f->phase == SG_PHASE_BDAT) {
			f->pstate = sg_part_text(fam);
			if (fam == SG_FAM_QP || fam == SG_FAM_HTML)
				sg_dec_put(sc, b, '.');
		}
		break;
	case A_DASH:
		if (sg_bnd_start(sc, f->pos - 1) == SG_BND_YES)
			f->pend = SG_PEND_BND;
		break;
	case A_EOD:
		if (f->phase == SG_PHASE_BDAT) {
			f->pstate = sg_part_text(fam); /* ".\r\n" is a line of the chunk */
			break;
		}
		f->pend = SG_PEND_EOD;
		break;
	case A_BARE_DOT:
		if (f->phase == SG_PHASE_BDAT)
			break;
		stat_inc(SG_STAT_bare_lf_dot);
		sg_anomaly(f, &sc->pk->key, sg_what_bare_dot);
		break;
	case A_QPLIT2:
		/* "=X" and no second hex digit: a mail client shows them */
		if (fam != SG_FAM_QP)
			break;
		sg_dec_put(sc, b, '=');
		sg_dec_put(sc, b, f->p_prev);
		if (c != '=')
			sg_dec_put(sc, b, c);
		break;
	case A_QPLIT:
		if (fam != SG_FAM_QP)
			break;
		sg_dec_put(sc, b, '=');
		if (c != '=')
			sg_dec_put(sc, b, c);
		break;
	case A_B64PAD:
		/* "xx==" or "xxx=": the quantum's last one or two bytes */
		if (fam != SG_FAM_B64)
			break;
		if (f->b64_n == 2) {
			sg_dec_put(sc, b, f->b64_acc >> 4);
		} else if (f->b64_n == 3) {
			sg_dec_put(sc, b, f->b64_acc >> 10);
			sg_dec_put(sc, b, f->b64_acc >> 2);
		}
		f->b64_n = 0;
		break;
	}
	f->p_prev = c;
}

static __always_inline long sg_part_cb(struct sg_scan *sc, const int fam)
{
	struct sg_flow *f = sc->f;
	struct sg_decoded *d = sc->dec;
	__u32 act;
	__u8 c = 0;

	/* a skipped part decodes nothing: no buffer */
	__u8 *b = fam == SG_FAM_SKIP ? NULL : d ? d->b : NULL;

	if (f->pend || (f->phase != SG_PHASE_DATA && f->phase != SG_PHASE_BDAT) ||
	    (fam != SG_FAM_SKIP && !b))
		return 1;
	act = sg_part_chunk(sc, b, fam, &c);
	if (act)
		sg_part_action(sc, b, fam, act, c);
	return f->pos >= f->end || f->pend || sc->dlen > SG_DEC_LIMIT;
}

static long sg_part_cb_qp(__u32 index, void *ctx)
{
	return sg_part_cb(ctx, SG_FAM_QP);
}

static long sg_part_cb_b64(__u32 index, void *ctx)
{
	return sg_part_cb(ctx, SG_FAM_B64);
}

static long sg_part_cb_html(__u32 index, void *ctx)
{
	return sg_part_cb(ctx, SG_FAM_HTML);
}

static long sg_part_cb_skip(__u32 index, void *ctx)
{
	return sg_part_cb(ctx, SG_FAM_SKIP);
}

static __noinline void sg_link_act(struct sg_scan *sc, __u32 act)
{
	sg_link_action(sc, act);
}

/* the link pass: the link machine over the decoded bytes in sc->buf */
static long sg_link_cb(__u32 index, void *ctx)
{
	struct sg_scan *sc = ctx;
	struct sg_flow *f = sc->f;
	__u8 act_c = 0;
	__u32 act;

	act = sg_scan_chunk(sc, &sg_link_machine, &f->mstate, &act_c, 1, 1);
	if (act)
		sg_link_act(sc, act);
	return f->pos >= f->end;
}

#endif
