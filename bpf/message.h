/* SPDX-License-Identifier: GPL-2.0 */
/*
 * message.h - the message after DATA, read by its own XDP program
 * (sg_xdp_msg) so that it has a verifier budget of its own (DESIGN.md: the
 * whole message path in one program verified at 410k instructions). The
 * command program hands a segment over at the first message byte with a
 * tail call; at the end of data this one hands the rest back.
 *
 * This version reads the header block: the From: header's addresses, in
 * every form RFC 5322 allows (display names, quoted or encoded-word,
 * comments, folding), matched like the envelope sender. The body is only
 * searched for the end of data. BDAT chunks are read by the same machine,
 * exactly bdat_left bytes at a time, with no dot lines.
 */
#ifndef SG_MESSAGE_H
#define SG_MESSAGE_H

/* tail calls one packet may make, kept below the kernel's 33 so that a
 * hand-over and the way back are always possible; past it the command
 * program reads messages itself (end of data only) and counts it */
#define SG_TAIL_BUDGET 30
enum { SG_PROGI_MSG = 0, SG_PROGI_CMD = 1, SG_PROGI__COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SG_PROGI__COUNT);
	__type(key, __u32);
	__type(value, __u32);
} sg_progs SEC(".maps");

static __noinline void sg_msg_action(struct sg_scan *sc, __u32 act, __u8 c)
{
	struct sg_flow *f = sc->f;

	switch (act) {
	case A_FROM_START:
		if (f->from_headers < 255 && f->from_headers++ == 1)
			stat_inc(SG_STAT_header_from_multiple);
		sg_token_reset(f, SG_WHERE_HEADER_FROM);
		break;
	case A_AT:
		sg_domain_start(f);
		break;
	case A_DEND:
		sg_name_end(sc);
		break;
	case A_FROM_END:
		/* a bare address ends with its header line */
		if (f->dom_pending)
			sg_name_end(sc);
		f->where = SG_WHERE_NONE;
		if (f->mstate == SG_M_B_LS || f->mstate == SG_M_B_BLS)
			f->flags |= SG_FLOW_IN_BODY; /* the empty line after From: */
		break;
	case A_BODY:
		f->flags |= SG_FLOW_IN_BODY;
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
	case A_EOD:
		if (f->phase == SG_PHASE_BDAT) {
			/* in a chunk ".\r\n" is just a line: go on where it was */
			f->mstate = f->flags & SG_FLOW_IN_BODY ? SG_M_B_LS : SG_M_H_LS;
			break;
		}
		sg_message_end(sc);
		break;
	}
}

static long sg_msg_cb(__u32 index, void *vctx)
{
	struct sg_scan *sc = vctx;
	struct sg_flow *f = sc->f;
	__u8 act_c = 0;
	__u32 act;

	for (int r = 0; r < SG_RESUMES; r++) {
		/* the message ended: what follows is for the command program */
		if (f->phase != SG_PHASE_DATA && f->phase != SG_PHASE_BDAT)
			return 1;
		act = sg_scan_chunk(sc, &sg_msg_machine, &f->mstate, &act_c);
		if (!act)
			break;
		sg_msg_action(sc, act, act_c);
	}
	return f->pos >= f->end;
}

#endif
