/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mime.h - the structure of a MIME message (RFC 2045, 2046), as a mail
 * client takes it apart: which part is read how.
 *
 * The message machine reads every header block (the message's own, each
 * part's, an attached message's) and hands the Content-Type and
 * Content-Transfer-Encoding values here a token at a time. When a header
 * block ends, sg_part_begin decides how the part's content is read: in the
 * message machine itself (text sent as it is), by a part program that
 * decodes it first (quoted-printable, base64: bpf/part.h), or skipped and
 * counted (images, attachments, preambles). Multipart boundaries are kept
 * hashed, SG_MIME_DEPTH levels deep; a line that starts with "--" is read
 * ahead and compared with them (sg_bnd_scan), also when the segment ends in
 * the middle of it.
 */
#ifndef SG_MIME_H
#define SG_MIME_H

/* what a Content-Type says */
enum { SG_CT_NONE = 0, SG_CT_TEXT, SG_CT_MULTIPART, SG_CT_MESSAGE, SG_CT_RFC822, SG_CT_OTHER,
       SG_CT_HTML };
/* what a Content-Transfer-Encoding says: anything but these is read as sent */
enum { SG_CTE_NONE = 0, SG_CTE_QP, SG_CTE_B64 };
/* where in "type/subtype; name=value; ..." the reader is */
enum { MV_TYPE = 0, MV_SLASH, MV_SUBTYPE, MV_SEMI, MV_PNAME, MV_EQ, MV_PVALUE, MV_BVALUE };
enum { MV_HDR_CT = 1, MV_HDR_CTE = 2 };

#define SG_BND_LINE_MAX 100 /* "--", 70 boundary bytes, "--" and some blanks */

/* what one part's headers said, and its decoder's remainders: gone when the
 * next part (or message) starts */
static __always_inline void sg_part_fields_reset(struct sg_flow *f)
{
	f->part_ct = SG_CT_NONE;
	f->part_cte = SG_CTE_NONE;
	f->part_bnd = 0;
	f->mv_hdr = 0;
	f->dtail8 = 0;
	f->b64_n = 0;
}

static __always_inline void sg_mime_reset(struct sg_flow *f)
{
	sg_part_fields_reset(f);
	f->mmode = SG_MM_MSG;
	f->mdepth = 0;
	f->pend = 0;
	f->bnd_n = 0;
	f->flags &= ~(SG_FLOW_IN_PART | SG_FLOW_BND_PEND);
}

/* A Content-Type or Content-Transfer-Encoding header starts. */
static __always_inline void sg_mime_header(struct sg_flow *f, int hdr)
{
	f->mv_hdr = hdr;
	f->mv_stage = MV_TYPE;
	f->label_hash = SG_FNV_BASIS;
	if (hdr == MV_HDR_CT) {
		f->part_ct = SG_CT_OTHER; /* until its type is read */
		f->part_bnd = 0;
	}
}

/* a separator between tokens */
static __always_inline void sg_mime_sep(struct sg_flow *f, __u8 c)
{
	if (c == '/' && f->mv_stage == MV_SLASH)
		f->mv_stage = MV_SUBTYPE;
	else if (c == ';' && f->mv_stage >= MV_SLASH)
		f->mv_stage = MV_PNAME;
	else if (c == '=' && f->mv_stage == MV_EQ)
		f->mv_stage = f->mv_is_bnd ? MV_BVALUE : MV_PVALUE;
}

/* A token (or quoted string) of a MIME header's value ended; c is the byte
 * that ended it. */
__noinline int sg_mime_token(struct sg_flow *f, __u8 c)
{
	__u64 h;

	if (!f)
		return 0;
	h = f->label_hash;
	f->label_hash = SG_FNV_BASIS;
	if (f->mv_hdr == MV_HDR_CTE) {
		if (f->mv_stage == MV_TYPE)
			f->part_cte = h == SG_HASH_QP ? SG_CTE_QP : h == SG_HASH_BASE64 ? SG_CTE_B64 :
				      SG_CTE_NONE;
		f->mv_stage = MV_SEMI;
	} else if (f->mv_hdr == MV_HDR_CT) {
		switch (f->mv_stage) {
		case MV_TYPE:
			f->part_ct = h == SG_HASH_TEXT ? SG_CT_TEXT :
				     h == SG_HASH_MULTIPART ? SG_CT_MULTIPART :
				     h == SG_HASH_MESSAGE ? SG_CT_MESSAGE : SG_CT_OTHER;
			f->mv_stage = MV_SLASH;
			break;
		case MV_SUBTYPE:
			/* an attached message is read as a message: its headers,
			 * then its parts (message/global is its UTF-8 form) */
			if (f->part_ct == SG_CT_MESSAGE && (h == SG_HASH_RFC822 || h == SG_HASH_GLOBAL))
				f->part_ct = SG_CT_RFC822;
			/* HTML: a browser drops CR and LF inside a link's quoted
			 * attribute, so its line ends must not end a host */
			if (f->part_ct == SG_CT_TEXT && h == SG_HASH_HTML)
				f->part_ct = SG_CT_HTML;
			f->mv_stage = MV_SEMI;
			break;
		case MV_PNAME:
			f->mv_is_bnd = h == SG_HASH_BOUNDARY;
			f->mv_stage = MV_EQ;
			break;
		case MV_PVALUE:
		case MV_BVALUE:
			if (f->mv_stage == MV_BVALUE)
				f->part_bnd = h;
			f->mv_stage = MV_SEMI;
			break;
		}
	}
	if (c == '(')
		f->cmt_depth = 1; /* the token ended at a comment */
	else
		sg_mime_sep(f, c);
	return 0;
}

/* The hash a boundary line's text must have: the boundary's own, or with
 * "--" after it for the line that closes the multipart. */
static __always_inline __u64 sg_bnd_close_hash(__u64 h)
{
	return sg_label_step(sg_label_step(h, '-'), '-');
}

enum { SG_BND_NO = 0, SG_BND_MORE, SG_BND_YES };

/* Reads a line that starts with '-' at packet offset at (f->bnd_n bytes of
 * it were read in the previous segment): is it "--boundary" or
 * "--boundary--" (RFC 2046 5.1.1: blanks may follow) of an open multipart?
 * YES leaves the level, kind and next position in the flow for sg_bnd_apply;
 * MORE means the segment ended inside the line. */
__noinline int sg_bnd_scan_g(struct xdp_md *ctx, struct sg_flow *f, __u32 at)
{
	void *data, *data_end;
	__u64 h, hend;
	__u32 n, end, lf = 0;
	__u8 c = 0;
	int i;

	if (!f)
		return SG_BND_NO;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	h = f->bnd_h;
	hend = f->bnd_hend;
	n = f->bnd_n;
	end = f->end;
	f->flags &= ~SG_FLOW_BND_PEND;
	if (!f->mdepth)
		return SG_BND_NO;
	for (i = 0; i < SG_BND_LINE_MAX; i++) {
		__u8 *p = data + (at & SG_POS_MASK);

		if (at >= end || (void *)(p + 1) > data_end) {
			if (n > SG_BND_LINE_MAX)
				return SG_BND_NO;
			f->bnd_h = h;
			f->bnd_hend = hend;
			f->bnd_n = n;
			f->flags |= SG_FLOW_BND_PEND;
			return SG_BND_MORE;
		}
		c = *p;
		at++;
		if (n < 2) {
			if (c != '-')
				return SG_BND_NO;
			n++;
			continue;
		}
		if (c == '\r' || c == '\n')
			break;
		n++;
		h = sg_label_step(h, c);
		if (c != ' ' && c != '\t')
			hend = h;
	}
	if (i == SG_BND_LINE_MAX || n > SG_BND_LINE_MAX)
		return SG_BND_NO;
	/* after CR, its LF: here, or still to come */
	if (c == '\r') {
		__u8 *p = data + (at & SG_POS_MASK);

		if (at < end && (void *)(p + 1) <= data_end) {
			if (*p == '\n')
				at++;
		} else {
			lf = 1;
		}
	}
	for (int l = SG_MIME_DEPTH - 1; l >= 0; l--) {
		__u64 b;

		if (l >= f->mdepth)
			continue;
		b = f->bnd[l];
		if (hend == b || hend == sg_bnd_close_hash(b)) {
			f->bnd_level = l;
			f->bnd_close = hend != b;
			f->bnd_next = at;
			f->bnd_lf = lf;
			return SG_BND_YES;
		}
	}
	return SG_BND_NO;
}

static __always_inline int sg_bnd_scan(struct sg_scan *sc, __u32 at)
{
	return sg_bnd_scan_g(sc->xdp, sc->f, at);
}

/* a "--" line begins at packet offset at: start reading it */
static __always_inline int sg_bnd_start(struct sg_scan *sc, __u32 at)
{
	sc->f->bnd_n = 0;
	sc->f->bnd_h = SG_FNV_BASIS;
	sc->f->bnd_hend = SG_FNV_BASIS;
	return sg_bnd_scan(sc, at);
}

/* The boundary line sg_bnd_scan found: a new part's headers follow (and the
 * multiparts inside the one it belongs to are closed), or the multipart
 * ends and its epilogue is skipped. The caller has finished any link. */
static __always_inline void sg_bnd_apply(struct sg_flow *f)
{
	__u8 l = f->bnd_level & (SG_MIME_DEPTH - 1);

	f->flags |= SG_FLOW_IN_PART;
	f->pos = f->bnd_next;
	sg_part_fields_reset(f);
	f->tail8 = 0;
	if (f->bnd_close) {
		f->mdepth = l;
		f->mmode = SG_MM_SKIP;
		f->pstate = f->bnd_lf ? SG_P_S_CR : SG_P_S_LS;
	} else {
		f->mdepth = l + 1;
		f->mmode = SG_MM_MSG;
		f->mstate = f->bnd_lf ? SG_M_H_CR : SG_M_H_LS;
		stat_inc(SG_STAT_mime_parts);
	}
}

/* A header block ended (the message's, a part's or an attached message's):
 * how is what follows read? The message machine is already in its body
 * states; a part that needs another program leaves them. */
/* The part's content goes to program mode, its raw lines read from ls or
 * text (was the header block's end a line end?); decoded parts have the
 * link machine start idle. */
static __always_inline void sg_part_enter(struct sg_flow *f, __u8 mode, __u8 ls, __u8 text)
{
	f->mmode = mode;
	f->pstate = f->mstate == SG_M_B_LS || f->mstate == SG_M_B_BLS ? ls : text;
	if (mode != SG_MM_SKIP)
		f->mstate = SG_M_B_TEXT;
}

static __always_inline void sg_part_begin(struct sg_flow *f)
{
	__u8 ct = f->part_ct, cte = f->part_cte;
	__u64 bnd = f->part_bnd;

	sg_part_fields_reset(f);
	if (ct == SG_CT_MULTIPART) {
		if (!bnd || f->mdepth >= SG_MIME_DEPTH) {
			/* no boundary to follow: read it as text, say so */
			stat_inc(SG_STAT_mime_errors);
			return;
		}
		f->bnd[f->mdepth & (SG_MIME_DEPTH - 1)] = bnd;
		f->mdepth++;
		/* the preamble: not shown by mail clients */
		sg_part_enter(f, SG_MM_SKIP, SG_P_S_LS, SG_P_S_TEXT);
		return;
	}
	if (ct == SG_CT_RFC822 && cte == SG_CTE_NONE) {
		/* an attached message: its own header block follows (its From:
		 * is not this message's) */
		f->flags |= SG_FLOW_IN_PART;
		if (f->mstate == SG_M_B_LS || f->mstate == SG_M_B_BLS)
			f->mstate = SG_M_H_LS;
		return;
	}
	if (ct != SG_CT_NONE && ct != SG_CT_TEXT && ct != SG_CT_RFC822 && ct != SG_CT_HTML) {
		stat_inc(SG_STAT_mime_parts_skipped);
		sg_part_enter(f, SG_MM_SKIP, SG_P_S_LS, SG_P_S_TEXT);
	} else if (cte == SG_CTE_QP) {
		sg_part_enter(f, SG_MM_QP, SG_P_Q_LS, SG_P_Q_TEXT);
	} else if (cte == SG_CTE_B64) {
		sg_part_enter(f, SG_MM_B64, SG_P_B_LS, SG_P_B_TEXT);
	} else if (ct == SG_CT_HTML) {
		sg_part_enter(f, SG_MM_HTML, SG_P_I_LS, SG_P_I_TEXT);
	}
}

#endif
