/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scan.h - the byte loop both parsers share: the command phase (smtp.h) and
 * the message (message.h) step their own generated DFA (bpf/gen_dfa.c) with
 * it. No packet is buffered: the whole parse state lives in the flow entry,
 * so a token cut at any byte continues in the next segment.
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
#ifndef SG_SCAN_H
#define SG_SCAN_H

#ifndef SG_CHUNK
#define SG_CHUNK 32          /* bytes per inner loop: see the verifier note above */
#endif
#ifndef SG_RESUMES
#define SG_RESUMES 2          /* actions handled per callback; verifier cost grows with it */
#endif
#define SG_MAX_CALLBACKS 4096 /* per segment: chunks plus actions; more is counted */
#define SG_POS_MASK 0x3fff    /* positions < 16 KiB; keeps pos + 8 within MAX_PACKET_OFF */

/* Tables in a writable section: the verifier must treat what it loads from
 * them as unknown values, or it would fold states into constants and walk
 * every path (message-prototype.md, "URL state narrowed to constants"). */

struct sg_machine sg_cmd_machine SEC(".data.dfa") = {
	.dfa = SG_DFA_TABLE_INIT, .skip = SG_DFA_SKIP_INIT, .cls = SG_DFA_CLS_INIT,
	.ret = SG_DFA_RET_INIT,
};
struct sg_machine sg_msg_machine SEC(".data.dfa") = {
	.dfa = SG_MDFA_TABLE_INIT, .skip = SG_MDFA_SKIP_INIT, .cls = SG_MDFA_CLS_INIT,
	.ret = SG_MDFA_RET_INIT,
};
/* The hash basis read from memory too: were it a constant on the label-end
 * path and unknown on the others, no two loop-head states would match and
 * the verifier's work would grow with the square of the chunk. */
__u64 sg_label_basis SEC(".data.dfa") = SG_FNV_BASIS;
/* the link machine's state after "http(s):", read from memory for the same
 * reason (scan.h starts links inline) */
__u32 sg_link_sl1 SEC(".data.dfa") = SG_M_U_SL1;

static __always_inline int sg_alnum(__u8 c)
{
	if (c >= '0' && c <= '9')
		return 1;
	c |= 0x20;
	return c >= 'a' && c <= 'z';
}

/* Decoded bytes of the current segment (bpf/part.h): the link machine reads
 * them here. b[0..7] hold the 8 decoded bytes before them (a link's scheme
 * looked back at), the segment's start at b[8]. */
#define SG_DEC_MASK  0x1fff
#define SG_DEC_LIMIT (4096 - 16) /* decoded per pass; a longer segment takes more */
struct sg_decoded {
	__u8 b[SG_DEC_SIZE];
};

/* per byte lane of w (lo = w without high bits): m < byte < n, in the high bit */
#define SG_BETWEEN(lo, w, m, n) \
	((0x0101010101010101ULL * (127 + (n)) - (lo)) & ~(w) & \
	 ((lo) + 0x0101010101010101ULL * (127 - (m))) & 0x8080808080808080ULL)

struct sg_scan {
	struct xdp_md *xdp;
	struct sg_flow *f;
	struct sg_pkt *pk;
	__u32 mstart; /* the message program: its first byte in this packet */
	__u32 dlen;   /* the part programs: bytes decoded into buf's segment */
	__u8 *buf;    /* set while the link machine reads decoded bytes */
	struct sg_decoded *dec; /* the part programs: where the raw pass decodes to */
	__u32 one_label; /* sg_config's bad_one_label, read once a segment */
	__u32 gen;       /* the policy generation, read once a segment */
};

static __always_inline void sg_capture_word(struct sg_flow *f, __u64 w, __u64 n)
{
	__u32 t = f->tok_len;

	if (t > SG_TOKEN_MAX - 8) {
		f->flags |= SG_FLOW_TOKEN_TRUNC;
		return;
	}
	*(__u64 *)(f->token + (t & (SG_TOKEN_MAX - 1))) = w;
	f->tok_len = t + n;
}

/* Steps machine m over at most SG_CHUNK bytes from f->pos, its state in
 * *statep (a field of the flow); returns the action that stopped it (0:
 * none) and the byte that carried it in *act_c. links: the machine has the
 * link scanner's skip modes (2 and 3); inbuf: it reads decoded bytes in
 * sc->buf (positions are offsets there), not the packet. */
static __always_inline __u32 sg_scan_chunk(struct sg_scan *sc, struct sg_machine *m, __u8 *statep,
					   __u8 *act_c, const int links, const int inbuf)
{
	struct sg_flow *f = sc->f;
	void *data = (void *)(long)sc->xdp->data;
	void *data_end = (void *)(long)sc->xdp->data_end;
	__u64 pos = f->pos & SG_POS_MASK, end = f->end;
	__u64 h = f->label_hash, basis = sg_label_basis;
	__u32 s = *statep, e, act = 0;
	__u8 c;

	for (int k = 0; k < SG_CHUNK; k++) {
		__u16 sk;
		__u64 n;
		__u8 *p;

		/* end read again: the word test below narrows its range on some
		 * paths only, and states that differ that way at the loop head
		 * would each be walked again (verified insns grew with the
		 * square of the chunk) */
		end = f->end;
		if (pos >= end)
			break;
		sk = m->skip[s & SG_DFA_STATE_MASK];
		if (sk) {
			/* Skip whole words holding no byte the state waits for, else
			 * jump to the first. Modes (the machine's skip table):
			 * 1 line ends; 2 line ends and ':' (idle link scanner);
			 * 3 a link's path and query; 4 a header name. */
			p = inbuf ? sc->buf + (pos & SG_DEC_MASK) : data + pos;
			if (inbuf ? pos + 8 <= end : pos + 8 <= end && (void *)(p + 8) <= data_end) {
				__u64 w = *(__u64 *)p;
				/* states wait for line ends: stop at any byte
				 * below 0x0e ("hasless", one test for CR and LF; a
				 * TAB or other control byte costs a DFA step); the
				 * idle link scanner also waits for ':' (skip 2) */
				__u64 m = (w - 0x0e0e0e0e0e0e0e0eULL) & ~w;

				/* links: a constant, so the command program is
				 * compiled (and verified) without these modes */
				if (links && sk == 2) {
					__u64 y = w ^ 0x3a3a3a3a3a3a3a3aULL;

					m |= (y - 0x0101010101010101ULL) & ~y;
				} else if (links && sk == 6) {
					/* decoded text between links: line ends mean
					 * nothing there, only a ':' may start a link */
					__u64 y = w ^ 0x3a3a3a3a3a3a3a3aULL;

					m = (y - 0x0101010101010101ULL) & ~y;
				} else if (links && sk == 4) {
					/* a header name: stop at space or below, ':', DEL
					 * and any byte >= 0x80 (is it a header at all?) */
					__u64 y = w ^ 0x3a3a3a3a3a3a3a3aULL;
					__u64 d = w ^ 0x7f7f7f7f7f7f7f7fULL;

					m |= (w - 0x2121212121212121ULL) & ~w;
					m |= (y - 0x0101010101010101ULL) & ~y;
					m |= (d - 0x0101010101010101ULL) & ~d;
					m |= w;
				} else if (links && sk == 5) {
					/* a host: letters, digits, '-', '_' and '.' are
					 * hashed here (as the DFA would: sg_label_step,
					 * a '.' ends a label), the rest stops the word */
					__u64 lo = w & 0x7f7f7f7f7f7f7f7fULL;
					__u64 ok = SG_BETWEEN(lo, w, 0x2f, 0x3a) | SG_BETWEEN(lo, w, 0x40, 0x5b) |
						   SG_BETWEEN(lo, w, 0x60, 0x7b) | SG_BETWEEN(lo, w, 0x2c, 0x2f);
					__u64 us = w ^ 0x5f5f5f5f5f5f5f5fULL; /* '_' */

					ok |= (us - 0x0101010101010101ULL) & ~us;
					m = ~ok & 0x8080808080808080ULL;
					n = m ? (((m & -m) >> 7) * 0x0001020304050607ULL) >> 56 : 8;
					for (int i = 0; i < 8; i++) {
						__u8 b = w >> (8 * i);

						if (i >= n)
							break;
						if (b == '.') {
							f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = h;
							f->nlabels++;
							h = basis;
						} else {
							h = sg_label_step(h, b);
						}
					}
					sg_capture_word(f, w, n);
					pos = (pos + n) & SG_POS_MASK;
					if (n == 8)
						continue;
					goto step;
				} else if (links && sk == 3) {
					/* a link's path or query: also stop below 0x28
					 * (space " # & ') and at < = > ? (0x3c-0x3f);
					 * "hasbetween" has no borrows between bytes */
					__u64 lo = w & 0x7f7f7f7f7f7f7f7fULL;

					m |= (w - 0x2828282828282828ULL) & ~w;
					m |= (0xbfbfbfbfbfbfbfbfULL - lo) & ~w &
					     (lo + 0x4444444444444444ULL);
				}
				m &= 0x8080808080808080ULL;
				/* a link's path and query are part of its value: the
				 * skipped bytes go into the token copy, a word at once
				 * (what lies past n is overwritten by what follows) */
				if (!m) {
					if (links && sk == 3)
						sg_capture_word(f, w, 8);
					pos = (pos + 8) & SG_POS_MASK;
					continue;
				}
				/* else up to the first byte waited for: its index from
				 * the lowest flag, without ctz */
				n = (((m & -m) >> 7) * 0x0001020304050607ULL) >> 56;
				if (links && sk == 3)
					sg_capture_word(f, w, n);
				pos = (pos + n) & SG_POS_MASK;
			}
		}
step:
		p = inbuf ? sc->buf + (pos & SG_DEC_MASK) : data + pos;
		if (!inbuf && (void *)(p + 1) > data_end) {
			pos = end;
			break;
		}
		c = *p;
		e = m->dfa[((s & SG_DFA_STATE_MASK) << SG_DFA_CLS_SHIFT) | (m->cls[c] & (SG_DFA_NCLS - 1))];
		s = e & SG_DFA_STATE_MASK;
		if (links && (e & SG_DFA_START)) {
			/* sg_domain_start, inline: a parameter's value may be a host */
			f->nlabels = 0;
			f->dom_pending = 1;
			h = basis;
		}
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
			if (links && act == A_COLON) {
				/* most ':' in text start no link (CSS, "Subject:",
				 * times): a link only when "http" or "https" ends
				 * right before it; else go on without an exit. Near
				 * the segment's start sg_link_colon decides. */
				__u64 v = 0, at = pos - 1, ok = 0;
				__u8 *q;

				if (inbuf) {
					q = sc->buf + ((at - 8) & SG_DEC_MASK);
					v = __builtin_bswap64(*(__u64 *)q);
					ok = 1;
				} else if (at >= sc->mstart + 8) {
					q = data + ((at - 8) & SG_POS_MASK);
					if ((void *)(q + 8) <= data_end) {
						v = __builtin_bswap64(*(__u64 *)q);
						ok = 1;
					}
				}
				if (ok) {
					/* "http:" / "https:" with no letter or digit before
					 * it starts a link: what sg_link_colon does, here,
					 * without leaving the loop */
					__u64 fv = v | 0x2020202020ULL;
					__u8 before = 0;
					int len = 0;

					if ((fv & 0xffffffffffULL) == 0x6874747073ULL && !sg_alnum(v >> 40)) {
						len = 6;
						before = v >> 40;
					} else if ((fv & 0xffffffffULL) == 0x68747470ULL &&
						   !sg_alnum(v >> 32)) {
						len = 5;
						before = v >> 32;
					}
					if (len) {
						f->nlabels = 0;
						f->where = SG_WHERE_BODY;
						f->cmt_depth = 0;
						f->dom_pending = 1;
						f->flags &= ~(SG_FLOW_TOKEN_TRUNC | SG_FLOW_QLINK);
						if (before == '"' || before == '\'')
							f->flags |= SG_FLOW_QLINK;
						*(__u64 *)f->token = len == 6 ? 0x00003a7370747468ULL :
										0x0000003a70747468ULL;
						f->tok_len = len;
						h = basis;
						s = sg_link_sl1; /* read, not a constant */
						f->seg_urls++;
					}
					act = 0;
					continue;
				}
			}
			if (links && act == A_HEND0 && !f->nlabels && !sc->one_label) {
				/* a link parameter's value without a dot: no bad
				 * host has one label, so it is no match (no exit) */
				f->dom_pending = 0;
				h = basis;
				act = 0;
				continue;
			}
			*act_c = c;
			break;
		}
	}
	f->pos = pos;
	*statep = s;
	f->label_hash = h;
	return act;
}

#endif
