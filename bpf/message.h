/* SPDX-License-Identifier: GPL-2.0 */
/*
 * message.h - the message after DATA, read by its own XDP program
 * (sg_xdp_msg) so that it has a verifier budget of its own (DESIGN.md: the
 * whole message path in one program verified at 410k instructions). The
 * command program hands a segment over at the first message byte with a
 * tail call; at the end of data this one hands the rest back.
 *
 * It reads every header block (the message's own From: addresses, in every
 * form RFC 5322 allows, matched like the envelope sender; the MIME headers
 * of every part, see mime.h) and the text parts sent as they are, for links
 * (the link handlers here serve the part programs' decoded text too, see
 * part.h). BDAT chunks are read by the same machine, exactly bdat_left
 * bytes at a time, with no dot lines.
 */
#ifndef SG_MESSAGE_H
#define SG_MESSAGE_H

/* tail calls one packet may make, kept below the kernel's 33 so that a
 * hand-over and the way back are always possible; past it the command
 * program reads the rest of a message itself (end of data only) and counts
 * it (sg_msg_hand_over keeps the last one for that) */
#define SG_TAIL_BUDGET 30
/* one action per callback here: the message machine's handler is large, and
 * the verifier walks each resume again (keeps sg_xdp_msg far below 1M) */
#ifndef SG_MSG_RESUMES
#define SG_MSG_RESUMES 1
#endif
/* sg_progs slots: the message program and the part programs sit at their
 * enum sg_mmode value */
enum { SG_PROGI_MSG = SG_MM_MSG, SG_PROGI_CMD = 1, SG_PROGI_QP = SG_MM_QP, SG_PROGI_B64 = SG_MM_B64,
       SG_PROGI_SKIP = SG_MM_SKIP, SG_PROGI_HTML = SG_MM_HTML, SG_PROGI__COUNT };

/* A message ends (end of data, last BDAT chunk): a name or host still open
 * is finished first - a headers-only chunk may end right after From:. */
static __always_inline void sg_message_close(struct sg_scan *sc);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SG_PROGI__COUNT);
	__type(key, __u32);
	__type(value, __u32);
} sg_progs SEC(".maps");

/* The n (at most 8) bytes before packet offset at, the oldest in the high
 * byte: from the packet, and from before this segment's payload out of the
 * flow's copy of the previous segment's last bytes. */
static __always_inline __u64 sg_bytes_before(struct sg_scan *sc, __u32 at, const int n)
{
	void *data = (void *)(long)sc->xdp->data;
	void *data_end = (void *)(long)sc->xdp->data_end;
	__u32 start = sc->mstart; /* before it: commands, or a BDAT line */
	__u64 v = 0;

	/* the common case, one word: decoded bytes (the 8 before the segment's
	 * are there too), or n bytes inside this segment */
	if (sc->buf) {
		__u32 o = (at - 8) & SG_DEC_MASK;

		v = __builtin_bswap64(*(__u64 *)(sc->buf + o));
		return n == 8 ? v : v & ((1ULL << (8 * n)) - 1);
	}
	if (at >= start + 8) {
		__u8 *p = data + ((at - 8) & SG_POS_MASK);

		if ((void *)(p + 8) <= data_end) {
			v = __builtin_bswap64(*(__u64 *)p);
			return n == 8 ? v : v & ((1ULL << (8 * n)) - 1);
		}
	}
	for (int i = n; i >= 1; i--) {
		__u8 b = 0;

		if (sc->buf) {
			/* decoded bytes: the 8 before the segment's are there too */
			b = sc->buf[(at - i) & SG_DEC_MASK];
		} else if (at >= start + i) {
			__u8 *p = data + ((at - i) & SG_POS_MASK);

			if ((void *)(p + 1) <= data_end)
				b = *p;
		} else {
			b = sc->f->tail8 >> (8 * ((start + i - at - 1) & 7));
		}
		v = v << 8 | b;
	}
	return v;
}

/* ':' in the body: starts a link if "http" or "https" is right before it
 * (and no letter or digit before that) */
static __always_inline void sg_link_colon(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;
	/* the scheme's letters case-folded, the byte before it as it is (a
	 * control byte folded could pass for a digit: "\x10https://" is a link,
	 * a browser strips the control byte) */
	__u64 v = sg_bytes_before(sc, f->pos - 1, 6);
	__u64 https = 0x6874747073ULL, http = 0x68747470ULL; /* "https", "http" */
	int len;

	if (((v | 0x2020202020ULL) & 0xffffffffffULL) == https && !sg_alnum(v >> 40))
		len = 6;
	else if (((v | 0x20202020ULL) & 0xffffffffULL) == http && !sg_alnum(v >> 32))
		len = 5;
	else
		return;
	sg_token_reset(f, SG_WHERE_BODY);
	sg_domain_start(f); /* the host may follow at once (https:bad.test) */
	/* in a quoted attribute (href="https:...) a browser strips TABs */
	if (((v >> (len == 6 ? 40 : 32)) & 0xff) == '"' || ((v >> (len == 6 ? 40 : 32)) & 0xff) == '\'')
		f->flags |= SG_FLOW_QLINK;
	else
		f->flags &= ~SG_FLOW_QLINK;
	/* "https:" / "http:" as one little-endian word into the aligned token */
	*(__u64 *)f->token = len == 6 ? 0x00003a7370747468ULL : 0x0000003a70747468ULL;
	f->tok_len = len;
	f->mstate = SG_M_U_SL1;
	stat_inc(SG_STAT_urls);
}

/* Returns 1 if a host was matched (the caller counts them, once a
 * segment); gen is the policy generation read at the segment's start. */
__noinline int sg_host_end_g(struct sg_flow *f, const struct sg_flow_key *key, __u32 gen)
{
	struct sg_config *cfg;
	struct sg_name_val *hit;
	enum sg_action action;

	if (!f || !key)
		return 0;

	if (!f->dom_pending)
		return 0;
	f->dom_pending = 0;
	if (f->label_hash != SG_FNV_BASIS) {
		f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = f->label_hash;
		f->nlabels++;
		f->label_hash = SG_FNV_BASIS;
	}
	if (!f->nlabels)
		return 0;
	hit = sg_match_name(&sg_bad_hosts, SG_FILTER_BAD_HOSTS, f, gen);
	if (!hit)
		return 1;
	cfg = config_get();
	if (!cfg)
		return 1;
	action = cfg->actions[SG_REASON_BAD_REDIRECT_HOST & 7];
	if (action == SG_ACTION_OFF)
		return 1;
	if (action == SG_ACTION_BLOCK)
		f->flags |= SG_FLOW_BLOCKED;
	stat_inc(SG_STAT_alert_bad_host);
	sg_source_count(key, 0, 1);
	if (sg_alert_allowed(f))
		sg_emit(f, key, SG_REASON_BAD_REDIRECT_HOST, SG_WHERE_BODY, action, hit, NULL);
	return 1;
}

/* a host in a link ended: match it against the bad hosts (a global
 * function: verified once) */
static __always_inline void sg_host_end(struct sg_scan *sc)
{
	sc->f->seg_hosts += sg_host_end_g(sc->f, &sc->pk->key, sc->gen);
}

static __always_inline int sg_hexval(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* %XX in a host, just read: what a browser would make of it */
static __always_inline void sg_pct_decode(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;
	__u64 v = sg_bytes_before(sc, f->pos, 2);
	int hi = sg_hexval(v >> 8), lo = sg_hexval(v & 0xff);
	__u8 c;

	if (hi < 0 || lo < 0)
		return;
	c = hi << 4 | lo;
	/* in a link's own host a browser splits on raw delimiters only: an
	 * encoded one is part of the name (https://good.test%2F@bad.test/ goes
	 * to bad.test); a redirector decodes its parameter first, so there it
	 * is a delimiter */
	if (f->mstate == SG_M_U_HOST && c != '.') {
		f->label_hash = sg_label_step(f->label_hash, c);
		return;
	}
	/* a nested host's port or password: only an '@' matters there */
	if (f->mstate == SG_M_V_PORT) {
		if (c == '@') {
			sg_domain_start(f);
			f->mstate = SG_M_V_HOST;
		}
		return;
	}
	if (c == ':' && f->mstate == SG_M_V_HOST) {
		f->mstate = SG_M_V_PORT; /* x:y@host, or a port */
		return;
	}
	switch (c) {
	case '.':
		f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = f->label_hash;
		f->nlabels++;
		f->label_hash = SG_FNV_BASIS;
		break;
	case '@':
		sg_domain_start(f);
		break;
	case '/': case '?': case '#': case '&': case ':':
		sg_host_end(sc);
		f->mstate = f->mstate == SG_M_U_HOST ? SG_M_U_PATH : SG_M_U_VREST;
		break;
	default:
		f->label_hash = sg_label_step(f->label_hash, c);
	}
}

static __always_inline void sg_message_close(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;

	if (f->dom_pending) {
		if (f->where == SG_WHERE_HEADER_FROM)
			sg_msg_name_end(sc);
		else
			sg_host_end(sc);
	}
	f->flags &= ~SG_FLOW_BDAT_OPEN;
	sg_message_end(sc);
}

/* The byte an HTML character reference stands for, looked back at from its
 * ';' (the 8 bytes before pos end with it), or -1. Decoded: &#N; and &#xH;
 * up to three digits, and the named &period; &commat; &sol; &colon;. */
static __always_inline int sg_entity(struct sg_scan *sc)
{
	__u64 v = sg_bytes_before(sc, sc->f->pos, 8), t;
	int val = 0, digits = 0, hex = 0;

	if (v == 0x26706572696f643bULL) /* "&period;" */
		return '.';
	if (v == 0x26636f6d6d61743bULL) /* "&commat;" */
		return '@';
	if ((v & 0xffffffffffULL) == 0x26736f6c3bULL) /* "&sol;" */
		return '/';
	if ((v & 0xffffffffffffffULL) == 0x26636f6c6f6e3bULL) /* "&colon;" */
		return ':';
	/* &#NNN; or &#xHH; : walk back from ';' over at most three digits */
	t = v >> 8;
	for (int i = 0; i < 4; i++) {
		__u8 b = t & 0xff;
		int d = sg_hexval(b);

		if (b == '#')
			break;
		if ((b | 0x20) == 'x' && i > 0 && ((t >> 8) & 0xff) == '#') {
			hex = 1;
			t >>= 8;
			break;
		}
		if (d < 0 || i == 3)
			return -1;
		digits++;
		t >>= 8;
	}
	if (!digits || (t & 0xff) != '#' || ((t >> 8) & 0xff) != '&')
		return -1;
	/* the digits again, most significant first */
	for (int i = digits; i >= 1; i--) {
		int d = sg_hexval((v >> (8 * i)) & 0xff);

		if (!hex && d > 9)
			return -1;
		val = val * (hex ? 16 : 10) + d;
	}
	return val < 256 ? val : -1;
}

/* The link actions: the same in a body read as sent (the message machine)
 * and in decoded text (the link machine, bpf/part.h). Returns 0 for an
 * action that is not one of them. */
static __always_inline int sg_link_action(struct sg_scan *sc, __u32 act)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_AT:
		sg_domain_start(f);
		break;
	case A_COLON:
		sg_link_colon(sc);
		break;
	case A_HSTART:
	case A_VSTART:
	case A_NSTART:
		sg_domain_start(f);
		break;
	case A_HEND:
	case A_HEND0:
		sg_host_end(sc);
		break;
	case A_PCTDEC:
		sg_pct_decode(sc);
		break;
	case A_WS:
		/* a TAB in a host: stripped in a quoted attribute, else the end */
		if (!(f->flags & SG_FLOW_QLINK)) {
			sg_host_end(sc);
			f->mstate = SG_M_B_TEXT;
		}
		break;
	case A_ENTDEC: {
		/* decoded before the URL is parsed: a delimiter is a delimiter */
		int e = sg_entity(sc);

		if (e == '.') {
			f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = f->label_hash;
			f->nlabels++;
			f->label_hash = SG_FNV_BASIS;
		} else if (e == '@') {
			sg_domain_start(f);
		} else if (e == '/' || e == ':' || e == '?' || e == '#') {
			sg_host_end(sc);
			f->mstate = e == ':' ? SG_M_U_PORT : e == '/' ? SG_M_U_PATH :
				    e == '?' ? SG_M_U_QUERY : SG_M_U_FRAG;
		} else if (e > 0) {
			f->label_hash = sg_label_step(f->label_hash, e);
		}
		break;
	}
	default:
		return 0;
	}
	return 1;
}

/* a link still open where the text it is in ends (a part, the message) */
static __always_inline void sg_link_flush(struct sg_scan *sc)
{
	if (sc->f->dom_pending && sc->f->where == SG_WHERE_BODY)
		sg_host_end(sc);
	sc->f->dom_pending = 0;
}

/* the message machine is in its body states: the header block has ended */
static __always_inline int sg_msg_in_body(__u8 st)
{
	return st == SG_M_B_LS || st == SG_M_B_BLS || st == SG_M_B_TEXT || st == SG_M_B_CR;
}

static __noinline void sg_msg_action(struct sg_scan *sc, __u32 act, __u8 c)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_FROM_START:
		/* only the message's own header block says who it is from */
		if (f->flags & SG_FLOW_IN_PART) {
			f->mstate = SG_M_H_LINE;
			break;
		}
		if (f->from_headers < 255 && f->from_headers++ == 1)
			stat_inc(SG_STAT_header_from_multiple);
		sg_token_reset(f, SG_WHERE_HEADER_FROM);
		break;
	case A_DEND:
		sg_msg_name_end(sc);
		break;
	case A_FROM_END:
		/* a bare address ends with its header line */
		if (f->dom_pending)
			sg_msg_name_end(sc);
		f->where = SG_WHERE_NONE;
		f->mv_hdr = 0;
		/* the line after it ended the block (empty, or not a header) */
		if (sg_msg_in_body(f->mstate)) {
			f->flags |= SG_FLOW_IN_BODY;
			sg_part_begin(f);
		}
		break;
	case A_LDOT:
		/* BDAT has no dot-stuffing: the dot is the line's first byte */
		if (f->phase == SG_PHASE_BDAT)
			f->mstate = f->mstate == SG_M_H_DOT || f->mstate == SG_M_H_BDOT ?
					    SG_M_H_NAME : SG_M_B_TEXT;
		break;
	case A_BODY:
		f->flags |= SG_FLOW_IN_BODY;
		sg_part_begin(f);
		break;
	case A_CMT_OPEN:
	case A_CMT_CLOSE:
		sg_comment(f, act, &f->mstate, &sg_msg_machine);
		break;
	case A_BARE_DOT:
		if (f->phase == SG_PHASE_BDAT)
			break; /* a chunk has no dot lines: it is counted, not ended */
		stat_inc(SG_STAT_bare_lf_dot);
		sg_anomaly(f, &sc->pk->key, sg_what_bare_dot);
		break;
	case A_CT_START:
		sg_mime_header(f, MV_HDR_CT);
		break;
	case A_CTE_START:
		sg_mime_header(f, MV_HDR_CTE);
		break;
	case A_MTOK:
		sg_mime_token(f, c);
		break;
	case A_MSEP:
		sg_mime_sep(f, c);
		break;
	case A_DASH:
		/* the '-' was the line's first byte */
		if (sg_bnd_start(sc, f->pos - 1) == SG_BND_YES) {
			sg_link_flush(sc);
			sg_bnd_apply(f);
		}
		break;
	case A_EOD:
		if (f->phase == SG_PHASE_BDAT) {
			/* in a chunk ".\r\n" is just a line: go on where it was */
			f->mstate = f->flags & SG_FLOW_IN_BODY ? SG_M_B_LS : SG_M_H_LS;
			break;
		}
		sg_link_flush(sc);
		sg_message_end(sc);
		break;
	default:
		sg_link_action(sc, act);
	}
}

static long sg_msg_cb(__u32 index, void *vctx)
{
	struct sg_scan *sc = vctx;
	struct sg_flow *f = sc->f;
	__u8 act_c = 0;
	__u32 act;

	for (int r = 0; r < SG_MSG_RESUMES; r++) {
		/* the message ended: what follows is for the command program */
		if ((f->phase != SG_PHASE_DATA && f->phase != SG_PHASE_BDAT) ||
		    f->mmode != SG_MM_MSG)
			return 1;
		act = sg_scan_chunk(sc, &sg_msg_machine, &f->mstate, &act_c, 1, 0);
		if (!act)
			break;
		sg_msg_action(sc, act, act_c);
	}
	return f->pos >= f->end;
}

#endif
