// SPDX-License-Identifier: GPL-2.0
/*
 * gen_dfa.c - builds the DFAs the XDP byte loops step: the SMTP commands
 * (SG_DFA), the message (SG_MDFA: header blocks, MIME headers, the body and
 * its links), the same links over decoded text (SG_LDFA), and the raw lines
 * of quoted-printable, base64, HTML and skipped parts (SG_PDFA), plus the
 * hashes of the MIME words and the decoding tables.
 *
 * Runs on the build host and prints a header (.output/sg_dfa_tables.h) with
 * a byte-class table, a transition table and a per-state skip byte. Writing
 * the machine as rules here, not as a hand-filled array, keeps it readable;
 * keeping it a table keeps the BPF byte loop branch-light, which is what the
 * verifier and the clock both need (shared/notes/bpf-limits.md, section 4).
 *
 * Entry (u32): bits 0-7 next state, bit 8 hash the byte into the label hash,
 * bit 9 the byte ends a label ('.'), bit 10 capture the byte into the token,
 * bit 11 a link's host starts, bits 16-23 an action that the byte loop stops
 * for (handled out of the loop). The part machine reads bits 8-10 as its
 * own: =XX's byte, a base64 character, a byte of content (dfa_defs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "dfa_defs.h"

static unsigned int T[SG_DFA_MAX_STATES][SG_DFA_NCLS];
/* the bytes a state waits for: words holding neither are skipped whole */
static unsigned char skipb[SG_DFA_MAX_STATES], skipb2[SG_DFA_MAX_STATES];
/* the part machine's skip modes, given directly (scan.h / part.h: 1, 5, 6) */
static unsigned char pskip[SG_DFA_MAX_STATES];
static char names[SG_DFA_MAX_STATES][32];
static int nstates;

/* the comment state -> the state a closing ')' at depth 0 returns to */
static unsigned char cret[SG_DFA_MAX_STATES];

/* byte classes: the letters of the words a machine spells (verbs, header
 * names) each get one, case folded; the rest are grouped */
static const char *verb_letters = "EHLOMAIFRSTDBCP";
static int letter_base = C_LETTER0;
static int msg_classes; /* the message machine also has URL punctuation classes */
static int part_classes; /* the part machine (QP, base64, skipped parts) has its own */

static int cls_of(int c)
{
	const char *p;

	if (part_classes) {
		if (isxdigit(c))
			return P_HEX;
		if (isalpha(c) || c == '+' || c == '/')
			return P_B64;
		switch (c) {
		case '=': return P_EQ;
		case '\r': return P_CR;
		case '\n': return P_LF;
		case ' ': case '\t': return P_SP;
		case '.': return P_DOT;
		case '-': return P_DASH;
		}
		return P_OTHER;
	}
	/* in a message header, Postfix allows SP and TAB only; VT and FF are
	 * not printable, so a name holding them is no header name */
	if (msg_classes && (c == '\v' || c == '\f'))
		return MC_BIN;
	if (msg_classes && c == '\t')
		return MC_TAB;
	if (c == ' ' || c == '\t' || c == '\v' || c == '\f')
		return C_SP; /* Postfix's white space */
	if (c == 0)
		return C_NUL;
	if (c == '\r')
		return C_CR;
	if (c == '\n')
		return C_LF;
	switch (c) {
	case ':': return C_COLON;
	case '<': return C_LT;
	case '>': return C_GT;
	case '@': return C_AT;
	case '"': return C_QUOTE;
	case '\\': return C_BSLASH;
	case '.': return C_DOT;
	case '[': return C_LBRACK;
	case ']': return C_RBRACK;
	case '(': return C_LPAREN;
	case ')': return C_RPAREN;
	case ',': return C_SEP;
	case ';': return C_SEP;
	}
	if (msg_classes && (c < 0x20 || c >= 0x7f))
		return MC_BIN; /* Postfix's header names are printable ASCII */
	if (msg_classes) {
		switch (c) {
		case '/': return MC_SLASH;
		case '?': return MC_QMARK;
		case '#': return MC_HASH;
		case '&': return MC_AMP;
		case '=': return MC_EQ;
		case '%': return MC_PCT;
		case '\'': return MC_APOS;
		case '-': return MC_DASH;
		}
	}
	if (isdigit(c))
		return C_DIGIT;
	if (isalpha(c)) {
		p = strchr(verb_letters, toupper(c));
		return p ? letter_base + (int)(p - verb_letters) : C_ALPHA;
	}
	return C_OTHER;
}

static int letter_cls(char c)
{
	return letter_base + (int)(strchr(verb_letters, c) - verb_letters);
}

static int copy_row_with(int dst, int src, int action);

static int new_state(const char *name)
{
	if (nstates >= SG_DFA_MAX_STATES) {
		fprintf(stderr, "gen_dfa: too many states\n");
		exit(1);
	}
	snprintf(names[nstates], sizeof(names[0]), "%s", name);
	return nstates++;
}

static unsigned int ent(int next, int flags, int action)
{
	return (unsigned int)(next | flags | (action << SG_DFA_ACT_SHIFT));
}

/* every class of state s goes to next with flags/action */
static void set_all(int s, int next, int flags, int action)
{
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[s][k] = ent(next, flags, action);
}

static void set(int s, int cls, int next, int flags, int action)
{
	T[s][cls] = ent(next, flags, action);
}

/* A line ends at LF in any state that says nothing else. */
static void line_end_default(int s, int start)
{
	set(s, C_LF, start, 0, A_EOL);
}

/* Verb trie: words[] spelled from the line start; returns the state after the
 * last letter. States are shared by common prefixes (RSET/RCPT). */
struct prefix {
	char text[32];
	int state;
};
static struct prefix prefixes[64];
static int nprefixes;

static int word_state(int start, int skip, const char *word)
{
	int s = start;
	char buf[16] = "";

	for (size_t i = 0; word[i]; i++) {
		int found = -1;

		buf[i] = word[i];
		buf[i + 1] = 0;
		for (int k = 0; k < nprefixes; k++)
			if (!strcmp(prefixes[k].text, buf))
				found = prefixes[k].state;
		if (found < 0) {
			found = new_state(buf);
			set_all(found, skip, 0, 0);
			line_end_default(found, start);
			snprintf(prefixes[nprefixes].text, 16, "%s", buf);
			prefixes[nprefixes++].state = found;
			set(s, letter_cls(word[i]), found, 0, 0);
		}
		s = found;
	}
	return s;
}

static void build_cmd(void)
{
	int L_START, S_SKIP;
	int H_PRE, H_DOM, H_LIT, H_REST;
	int P_PRE, P_REST;
	const int HC = SG_DFA_HASH | SG_DFA_CAP;
	int M_TEXT, M_CR, M_LS, M_DOT, M_DOTCR, M_BLS, M_BDOT;
	int B_SP, B_NUM, B_SP2, B_REST, B_L, B_LA, B_LAS;
	int s;

	/* state 0 is the line start: a zeroed flow entry starts there */
	L_START = new_state("L_START");
	S_SKIP = new_state("S_SKIP");
	set_all(L_START, S_SKIP, 0, 0);
	set(L_START, C_CR, L_START, 0, 0);
	set(L_START, C_LF, L_START, 0, A_EOL);
	set_all(S_SKIP, S_SKIP, 0, 0);
	set(S_SKIP, C_LF, L_START, 0, A_EOL);
	skipb[S_SKIP] = '\n';

	/* EHLO / HELO name */
	H_PRE = new_state("H_PRE");
	H_DOM = new_state("H_DOM");
	H_LIT = new_state("H_LIT");
	H_REST = new_state("H_REST");
	s = word_state(L_START, S_SKIP, "EHLO");
	set(s, C_SP, H_PRE, 0, A_HELO_START);
	set(s, C_CR, S_SKIP, 0, 0);
	s = word_state(L_START, S_SKIP, "HELO");
	set(s, C_SP, H_PRE, 0, A_HELO_START);
	set(s, C_CR, S_SKIP, 0, 0);

	set_all(H_PRE, H_DOM, SG_DFA_HASH | SG_DFA_CAP, 0);
	set(H_PRE, C_SP, H_PRE, 0, 0);
	set(H_PRE, C_CR, S_SKIP, 0, 0);
	set(H_PRE, C_DOT, H_DOM, SG_DFA_DOT | SG_DFA_CAP, 0);
	set(H_PRE, C_LBRACK, H_LIT, SG_DFA_CAP, 0);
	line_end_default(H_PRE, L_START);

	set_all(H_DOM, H_DOM, SG_DFA_HASH | SG_DFA_CAP, 0);
	set(H_DOM, C_DOT, H_DOM, SG_DFA_DOT | SG_DFA_CAP, 0);
	set(H_DOM, C_SP, H_REST, 0, A_DEND);
	set(H_DOM, C_CR, H_REST, 0, A_DEND);
	set(H_DOM, C_LF, L_START, 0, A_DEND_EOL);
	set(H_DOM, C_NUL, H_REST, 0, A_DEND); /* Postfix reads a line up to a NUL */
	set(H_PRE, C_NUL, H_REST, 0, 0);

	set_all(H_LIT, H_LIT, SG_DFA_CAP, 0);
	set(H_LIT, C_RBRACK, H_REST, SG_DFA_CAP, A_HELO_LIT);
	set(H_LIT, C_CR, H_REST, 0, A_HELO_LIT);
	set(H_LIT, C_LF, L_START, 0, A_EOL);

	set_all(H_REST, H_REST, 0, 0);
	set(H_REST, C_LF, L_START, 0, A_EOL);
	skipb[H_REST] = '\n';

	/* MAIL FROM:<path> [params]
	 *
	 * Postfix turns the path into its internal form - quotes and
	 * backslashes removed, comments and (inside <>) white space dropped -
	 * and the domain is what follows the last '@' of that. So here every
	 * address byte but a quote is hashed, every '@' (quoted, escaped or
	 * not) restarts the domain, and the name is matched when the address
	 * ends, if an '@' was seen: <"x@corp.example"@evil.test> is evil.test,
	 * <"ceo@corp.example"> and <ceo\@corp.example> are corp.example. */
	P_PRE = new_state("P_PRE");
	P_REST = new_state("P_REST");
	s = word_state(L_START, S_SKIP, "MAIL");
	{
		int sp = new_state("MAIL_");
		int f, fr, fro, from;

		set(s, C_SP, sp, 0, 0);
		set_all(sp, S_SKIP, 0, 0);
		line_end_default(sp, L_START);
		set(sp, C_SP, sp, 0, 0);
		f = new_state("MAIL_F");
		fr = new_state("MAIL_FR");
		fro = new_state("MAIL_FRO");
		from = new_state("MAIL_FROM");
		int chain[] = { sp, f, fr, fro, from };
		const char *w = "FROM";
		for (int i = 1; i < 5; i++) {
			set_all(chain[i], S_SKIP, 0, 0);
			line_end_default(chain[i], L_START);
			set(chain[i - 1], letter_cls(w[i - 1]), chain[i], 0, 0);
		}
		set(from, C_SP, from, 0, 0);
		set(from, C_COLON, P_PRE, 0, A_MAIL_START);
	}
	/* two families: inside <...> white space is dropped and '>' ends the
	 * address; a bare address ends at white space (ESMTP parameters follow) */
	const char *fam[2] = { "A", "B" };
	int addr[2], quote[2], qpair[2], esc[2], cmt[2], cmtesc[2];
	for (int i = 0; i < 2; i++) {
		char nm[32];

		snprintf(nm, sizeof(nm), "P_%sADDR", fam[i]);
		addr[i] = new_state(nm);
		snprintf(nm, sizeof(nm), "P_%sQUOTE", fam[i]);
		quote[i] = new_state(nm);
		snprintf(nm, sizeof(nm), "P_%sQPAIR", fam[i]);
		qpair[i] = new_state(nm);
		snprintf(nm, sizeof(nm), "P_%sESC", fam[i]);
		esc[i] = new_state(nm);
		snprintf(nm, sizeof(nm), "P_%sCMT", fam[i]);
		cmt[i] = new_state(nm);
		snprintf(nm, sizeof(nm), "P_%sCMTESC", fam[i]);
		cmtesc[i] = new_state(nm);
	}
	for (int i = 0; i < 2; i++) {
		int A = addr[i];

		set_all(A, A, HC, 0);
		set(A, C_DOT, A, SG_DFA_DOT | SG_DFA_CAP, 0);
		set(A, C_AT, A, SG_DFA_CAP, A_AT);
		set(A, C_QUOTE, quote[i], SG_DFA_CAP, 0);
		set(A, C_BSLASH, esc[i], SG_DFA_CAP, 0);
		set(A, C_LPAREN, cmt[i], SG_DFA_CAP, A_CMT_OPEN);
		/* ',' and ';' separate addresses: the one so far is matched */
		set(A, C_SEP, A, SG_DFA_CAP, A_DEND);
		set(A, C_GT, P_REST, 0, A_DEND);
		set(A, C_NUL, P_REST, 0, A_DEND); /* Postfix reads a line up to a NUL */
		set(A, C_CR, P_REST, 0, A_DEND);
		set(A, C_LF, L_START, 0, A_DEND_EOL);
		set(A, C_SP, i == 0 ? A : P_REST, 0, i == 0 ? 0 : A_DEND);

		/* in quotes every byte is address content; '@' still counts */
		set_all(quote[i], quote[i], HC, 0);
		set(quote[i], C_DOT, quote[i], SG_DFA_DOT | SG_DFA_CAP, 0);
		set(quote[i], C_AT, quote[i], SG_DFA_CAP, A_AT);
		set(quote[i], C_QUOTE, A, SG_DFA_CAP, 0);
		set(quote[i], C_BSLASH, qpair[i], SG_DFA_CAP, 0);
		set(quote[i], C_NUL, P_REST, 0, A_DEND);
		set(quote[i], C_LF, L_START, 0, A_DEND_EOL);
		copy_row_with(qpair[i], quote[i], 0);
		for (int k = 0; k < SG_DFA_NCLS; k++)
			if (k != C_DOT && k != C_AT && k != C_NUL && k != C_LF)
				set(qpair[i], k, quote[i], HC, 0);
		set(qpair[i], C_DOT, quote[i], SG_DFA_DOT | SG_DFA_CAP, 0);
		set(qpair[i], C_AT, quote[i], SG_DFA_CAP, A_AT);

		/* a backslash makes the next byte plain content ('@' and '.' keep
		 * their meaning in the internal form) */
		set_all(esc[i], A, HC, 0);
		set(esc[i], C_DOT, A, SG_DFA_DOT | SG_DFA_CAP, 0);
		set(esc[i], C_AT, A, SG_DFA_CAP, A_AT);
		set(esc[i], C_NUL, P_REST, 0, A_DEND);
		set(esc[i], C_LF, L_START, 0, A_DEND_EOL);

		/* comments nest; one left open runs to the end of the line */
		set_all(cmt[i], cmt[i], SG_DFA_CAP, 0);
		set(cmt[i], C_LPAREN, cmt[i], SG_DFA_CAP, A_CMT_OPEN);
		set(cmt[i], C_RPAREN, cmt[i], SG_DFA_CAP, A_CMT_CLOSE);
		set(cmt[i], C_BSLASH, cmtesc[i], SG_DFA_CAP, 0);
		set(cmt[i], C_NUL, P_REST, 0, A_DEND);
		set(cmt[i], C_CR, P_REST, 0, A_DEND);
		set(cmt[i], C_LF, L_START, 0, A_DEND_EOL);
		set_all(cmtesc[i], cmt[i], SG_DFA_CAP, 0);
		set(cmtesc[i], C_LF, L_START, 0, A_DEND_EOL);
		cret[cmt[i]] = A;
	}
	set_all(P_PRE, addr[1], HC, 0);
	set(P_PRE, C_DOT, addr[1], SG_DFA_DOT | SG_DFA_CAP, 0);
	set(P_PRE, C_AT, addr[1], SG_DFA_CAP, A_AT);
	set(P_PRE, C_SP, P_PRE, 0, 0);
	set(P_PRE, C_LT, addr[0], 0, 0);
	set(P_PRE, C_QUOTE, quote[1], SG_DFA_CAP, 0);
	set(P_PRE, C_BSLASH, esc[1], SG_DFA_CAP, 0);
	set(P_PRE, C_LPAREN, cmt[1], SG_DFA_CAP, A_CMT_OPEN);
	set(P_PRE, C_NUL, P_REST, 0, 0);
	set(P_PRE, C_CR, S_SKIP, 0, 0);
	line_end_default(P_PRE, L_START);

	set_all(P_REST, P_REST, 0, 0);
	set(P_REST, C_LF, L_START, 0, A_EOL);
	skipb[P_REST] = '\n';

	/* RCPT, RSET, DATA, STARTTLS: act when their line ends */
	s = word_state(L_START, S_SKIP, "RCPT");
	{
		int r = new_state("RCPT_REST");

		set(s, C_SP, r, 0, 0);
		set_all(r, r, 0, 0);
		set(r, C_LF, L_START, 0, A_EOL_RCPT);
		skipb[r] = '\n';
	}
	const struct {
		const char *word;
		int action;
	} bare[] = { { "RSET", A_EOL_RSET }, { "DATA", A_EOL_DATA },
		     { "STARTTLS", A_EOL_STARTTLS } };
	for (unsigned i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		char nm[32];
		int cr;

		/* Postfix splits a command on white space: "DATA \r\r\n" is DATA */
		s = word_state(L_START, S_SKIP, bare[i].word);
		snprintf(nm, sizeof(nm), "%s_WS", bare[i].word);
		cr = new_state(nm);
		set_all(cr, S_SKIP, 0, 0);
		set(cr, C_SP, cr, 0, 0);
		set(cr, C_CR, cr, 0, 0);
		set(cr, C_LF, L_START, 0, bare[i].action);
		set(s, C_SP, cr, 0, 0);
		set(s, C_CR, cr, 0, 0);
		set(s, C_LF, L_START, 0, bare[i].action);
	}

	/* BDAT n [LAST] */
	B_SP = new_state("BDAT_");
	B_NUM = new_state("BDAT_NUM");
	B_SP2 = new_state("BDAT_NUM_");
	B_L = new_state("BDAT_L");
	B_LA = new_state("BDAT_LA");
	B_LAS = new_state("BDAT_LAS");
	B_REST = new_state("BDAT_REST");
	s = word_state(L_START, S_SKIP, "BDAT");
	set(s, C_SP, B_SP, 0, 0);
	set_all(B_SP, S_SKIP, 0, 0);
	set(B_SP, C_SP, B_SP, 0, 0);
	set(B_SP, C_DIGIT, B_NUM, 0, A_DIGIT);
	line_end_default(B_SP, L_START);
	set_all(B_NUM, S_SKIP, 0, 0);
	set(B_NUM, C_DIGIT, B_NUM, 0, A_DIGIT);
	set(B_NUM, C_SP, B_SP2, 0, 0);
	set(B_NUM, C_CR, B_REST, 0, 0);
	set(B_NUM, C_LF, L_START, 0, A_EOL_BDAT);
	set_all(B_SP2, B_REST, 0, 0);
	set(B_SP2, C_SP, B_SP2, 0, 0);
	set(B_SP2, letter_cls('L'), B_L, 0, 0);
	set(B_SP2, C_LF, L_START, 0, A_EOL_BDAT);
	set_all(B_L, B_REST, 0, 0);
	set(B_L, letter_cls('A'), B_LA, 0, 0);
	set(B_L, C_LF, L_START, 0, A_EOL_BDAT);
	set_all(B_LA, B_REST, 0, 0);
	set(B_LA, letter_cls('S'), B_LAS, 0, 0);
	set(B_LA, C_LF, L_START, 0, A_EOL_BDAT);
	set_all(B_LAS, B_REST, 0, 0);
	set(B_LAS, letter_cls('T'), B_REST, 0, A_BDAT_LAST);
	set(B_LAS, C_LF, L_START, 0, A_EOL_BDAT);
	set_all(B_REST, B_REST, 0, 0);
	set(B_REST, C_LF, L_START, 0, A_EOL_BDAT);
	skipb[B_REST] = '\n';

	/* The message after DATA: only CR LF . CR LF ends it (a bare-LF dot does
	 * not: Postfix's rule since the SMTP smuggling fixes). */
	M_TEXT = new_state("M_TEXT");
	M_CR = new_state("M_CR");
	M_LS = new_state("M_LS");
	M_DOT = new_state("M_DOT");
	M_DOTCR = new_state("M_DOTCR");
	M_BLS = new_state("M_BLS");
	M_BDOT = new_state("M_BDOT");
	/* a line that ends in a bare LF is still a line (Postfix normalises it),
	 * but a dot line with a bare LF on either side is no end of data: it is
	 * counted, as SMTP smuggling attempts look exactly like that */
	set_all(M_TEXT, M_TEXT, 0, 0);
	set(M_TEXT, C_CR, M_CR, 0, 0);
	set(M_TEXT, C_LF, M_BLS, 0, 0);
	skipb[M_TEXT] = '\r';
	skipb2[M_TEXT] = '\n';
	set_all(M_CR, M_TEXT, 0, 0);
	set(M_CR, C_CR, M_CR, 0, 0);
	set(M_CR, C_LF, M_LS, 0, 0);
	set_all(M_LS, M_TEXT, 0, 0);
	set(M_LS, C_CR, M_CR, 0, 0);
	set(M_LS, C_LF, M_BLS, 0, 0);
	set(M_LS, C_DOT, M_DOT, 0, 0);
	set_all(M_DOT, M_TEXT, 0, 0);
	set(M_DOT, C_CR, M_DOTCR, 0, 0);
	set(M_DOT, C_LF, M_BLS, 0, A_BARE_DOT);
	set_all(M_DOTCR, M_TEXT, 0, 0);
	set(M_DOTCR, C_CR, M_CR, 0, 0);
	set(M_DOTCR, C_LF, L_START, 0, A_EOD);
	set_all(M_BLS, M_TEXT, 0, 0);
	set(M_BLS, C_CR, M_CR, 0, 0);
	set(M_BLS, C_LF, M_BLS, 0, 0);
	set(M_BLS, C_DOT, M_BDOT, 0, 0);
	set_all(M_BDOT, M_TEXT, 0, 0);
	set(M_BDOT, C_CR, M_CR, 0, A_BARE_DOT);
	set(M_BDOT, C_LF, M_BLS, 0, A_BARE_DOT);

}


/* ---- the message machine: header block, From: value, body, end of data ---- */

static int copy_row_with(int dst, int src, int action)
{
	for (int k = 0; k < SG_DFA_NCLS; k++) {
		unsigned int e = T[src][k];

		T[dst][k] = (e & ~(0xffu << SG_DFA_ACT_SHIFT)) | (action << SG_DFA_ACT_SHIFT);
	}
	return dst;
}

/* A From: value state folds: CRLF (or a bare LF) then SP/TAB continues it
 * where it was; anything else ends the header (A_FROM_END) and is read as
 * the start of the next header line. */
static void fold_act(int x, const char *name, int h_ls, int h_bls, int act)
{
	char nm[40];
	int cr, lf, blf;

	snprintf(nm, sizeof(nm), "%s_CR", name);
	cr = new_state(nm);
	snprintf(nm, sizeof(nm), "%s_LF", name);
	lf = new_state(nm);
	snprintf(nm, sizeof(nm), "%s_BLF", name);
	blf = new_state(nm);
	set(x, C_CR, cr, 0, act);
	set(x, C_LF, blf, 0, act);
	copy_row_with(lf, h_ls, A_FROM_END);
	copy_row_with(blf, h_bls, A_FROM_END);
	set(lf, C_SP, x, 0, 0);
	set(blf, C_SP, x, 0, 0);
	copy_row_with(cr, blf, A_FROM_END);
	set(cr, C_SP, x, 0, 0);
	set(cr, C_LF, lf, 0, 0);
}

static void fold(int x, const char *name, int h_ls, int h_bls)
{
	fold_act(x, name, h_ls, h_bls, 0);
}

static int find_state(const char *name)
{
	for (int s = 0; s < nstates; s++)
		if (!strcmp(names[s], name))
			return s;
	fprintf(stderr, "gen_dfa: no state %s\n", name);
	exit(1);
}

/* A header name spelled from the line start (any case), sharing prefixes;
 * every state of it is otherwise a header name like any other. Returns the
 * state after its last letter. */
static int hdr_word(int h_ls, int h_name, const char *word)
{
	char buf[32] = "";
	int s = h_ls;

	for (size_t i = 0; word[i]; i++) {
		int found = -1, cls = word[i] == '-' ? MC_DASH : letter_cls(word[i]);

		buf[i] = word[i];
		buf[i + 1] = 0;
		for (int k = 0; k < nprefixes; k++)
			if (!strcmp(prefixes[k].text, buf))
				found = prefixes[k].state;
		if (found < 0) {
			char nm[40];

			snprintf(nm, sizeof(nm), "HW_%s", buf);
			for (char *q = nm; *q; q++)
				if (*q == '-')
					*q = '_';
			found = new_state(nm);
			for (int k = 0; k < SG_DFA_NCLS; k++)
				T[found][k] = T[h_name][k];
			snprintf(prefixes[nprefixes].text, sizeof(prefixes[nprefixes].text), "%s", buf);
			prefixes[nprefixes++].state = found;
			set(s, cls, found, 0, 0);
		}
		s = found;
	}
	return s;
}

static void comment_states(int c, int esc, int ret)
{
	set_all(c, c, SG_DFA_CAP, 0);
	set(c, C_LPAREN, c, SG_DFA_CAP, A_CMT_OPEN);
	set(c, C_RPAREN, c, SG_DFA_CAP, A_CMT_CLOSE);
	set(c, C_BSLASH, esc, SG_DFA_CAP, 0);
	set_all(esc, c, SG_DFA_CAP, 0);
	cret[c] = ret;
}

/* ---- links: scheme://[userinfo@]host[:port][/path][?query][#frag] ----
 *
 * The idle body skips to ':' (and line ends); A_COLON looks back for "http"
 * or "https" and, if so, moves to U_SL1 with the URL's value started. Host
 * bytes are hashed per label like any name; A_HEND matches the host against
 * sg_bad_hosts. In the query, every parameter value is read as a host too
 * (?domain=bad.test, as one link-rewriter carries it), and a value that is
 * itself a URL, raw or percent-encoded (?url=https%3A%2F%2Fbad.test%2F), has
 * its host read after the "//". %XX inside hosts is decoded by A_PCTDEC. */
static void line_ends(int s, int text, int cr, int blf, int action)
{
	set(s, C_CR, cr, 0, action);
	set(s, C_LF, blf, 0, action);
	(void)text;
}

/* bytes that end a host in a link (browsers stop there too) */
static const int host_end_cls[] = { C_SP, C_QUOTE, MC_APOS, C_LT, C_GT, C_LPAREN, C_RPAREN,
				    C_LBRACK, C_RBRACK, C_BSLASH, C_SEP, C_NUL, MC_EQ };
/* bytes that end a whole link in text or an HTML attribute */
static const int url_end_cls[] = { C_SP, C_QUOTE, MC_APOS, C_LT, C_GT, C_NUL };

#define N_OF(a) (int)(sizeof(a) / sizeof((a)[0]))

static int tab_hosts[4];

/* a TAB in a link's host: A_WS ends the host, unless the link is in a
 * quoted attribute, where the browser strips the TAB (nothing hashed) */
static void tab_in_hosts(void)
{
	for (int i = 0; i < 4; i++) {
		set(tab_hosts[i], MC_TAB, tab_hosts[i], 0, A_WS);
		/* scan.h skip 5: letters, digits, '-', '_' and '.' are hashed a
		 * word at a time; the DFA steps the byte that stops it */
		pskip[tab_hosts[i]] = 5;
	}
}

static void build_urls(int text, int cr, int blf)
{
	const int CAP = SG_DFA_CAP, HC = SG_DFA_HASH | SG_DFA_CAP, DC = SG_DFA_DOT | SG_DFA_CAP;
	int U_SL1 = new_state("U_SL1"), U_SL2 = new_state("U_SL2");
	int U_HOST = new_state("U_HOST"), U_HPCT1 = new_state("U_HPCT1"), U_HPCT2 = new_state("U_HPCT2");
	int U_PORT = new_state("U_PORT"), U_PATH = new_state("U_PATH");
	int U_ENT1 = new_state("U_ENT1"), U_ENT2 = new_state("U_ENT2");
	int U_QUERY = new_state("U_QUERY"), U_FRAG = new_state("U_FRAG");
	int U_PVAL = new_state("U_PVAL"), U_BARE = new_state("U_BARE");
	int U_BPCT1 = new_state("U_BPCT1"), U_BPCT2 = new_state("U_BPCT2");
	int U_VREST = new_state("U_VREST");
	int N_H = new_state("N_H"), N_HT = new_state("N_HT"), N_HTT = new_state("N_HTT");
	int N_HTTP = new_state("N_HTTP"), N_HTTPS = new_state("N_HTTPS");
	int N_C = new_state("N_C"), N_CS = new_state("N_CS");
	int N_P = new_state("N_P"), N_P3 = new_state("N_P3");
	int N_Q = new_state("N_Q"), N_Q2 = new_state("N_Q2");
	int V_HOST = new_state("V_HOST"), V_HPCT1 = new_state("V_HPCT1"), V_HPCT2 = new_state("V_HPCT2");
	int V_PORT = new_state("V_PORT"), N_SQ = new_state("N_SQ"), N_SQ2 = new_state("N_SQ2");

	tab_hosts[0] = U_HOST;
	tab_hosts[1] = V_HOST;
	tab_hosts[2] = U_BARE;
	int V_PPCT1 = new_state("V_PPCT1"), V_PPCT2 = new_state("V_PPCT2");
	int i;

	/* after "http(s):" browsers take any run of '/' and '\\', or none, before
	 * the host (sg_link_colon has started the host's labels already) */
	for (int k = 0; k < 2; k++) {
		int S = k ? U_SL2 : U_SL1;

		set_all(S, U_HOST, HC, 0);
		set(S, C_DOT, U_HOST, DC, 0);
		for (i = 0; i < N_OF(url_end_cls); i++)
			set(S, url_end_cls[i], text, 0, 0);
		for (i = 0; i < N_OF(host_end_cls); i++)
			set(S, host_end_cls[i], text, 0, 0);
		set(S, MC_SLASH, U_SL2, CAP, 0);
		set(S, C_BSLASH, U_SL2, CAP, 0);
		set(S, MC_QMARK, text, 0, 0);
		set(S, MC_HASH, text, 0, 0);
		set(S, MC_AMP, text, 0, 0);
		set(S, C_COLON, text, 0, 0);
		set(S, C_AT, text, 0, 0);
		set(S, MC_PCT, text, 0, 0);
		line_ends(S, text, cr, blf, 0);
	}

	/* a host: the outer one (U_HOST) or one inside a parameter (V_HOST,
	 * which also ends at '&'); each with its %XX decoding */
	const int hosts[2][3] = { { U_HOST, U_HPCT1, U_HPCT2 }, { V_HOST, V_HPCT1, V_HPCT2 } };
	for (int h = 0; h < 2; h++) {
		int H = hosts[h][0], after = h ? U_VREST : U_PATH;

		set_all(H, H, HC, 0);
		set(H, C_DOT, H, DC, 0);
		set(H, C_AT, H, CAP, A_AT); /* userinfo@: the host starts again */
		set(H, MC_PCT, hosts[h][1], CAP, 0);
		set(H, MC_SLASH, after, CAP, A_HEND);
		set(H, MC_QMARK, h ? U_VREST : U_QUERY, CAP, A_HEND);
		set(H, MC_HASH, h ? U_VREST : U_FRAG, CAP, A_HEND);
		set(H, C_COLON, h ? V_PORT : U_PORT, CAP, 0);
		/* in a link's own host '&' starts an HTML character reference
		 * (a browser decodes the attribute before it parses the URL) */
		set(H, MC_AMP, h ? U_QUERY : U_ENT1, CAP, h ? A_HEND : 0);
		for (i = 0; i < N_OF(host_end_cls); i++)
			set(H, host_end_cls[i], text, 0, A_HEND);
		line_ends(H, text, cr, blf, A_HEND);
		set_all(hosts[h][1], hosts[h][2], CAP, 0);
		line_ends(hosts[h][1], text, cr, blf, A_HEND);
		set_all(hosts[h][2], H, CAP, A_PCTDEC);
		line_ends(hosts[h][2], text, cr, blf, A_HEND);
	}

	/* &#46; &#x2e; &period; ... inside the host: A_ENTDEC decodes it at ';';
	 * anything else ends the host where the '&' was */
	set_all(U_ENT1, text, 0, A_HEND);
	set(U_ENT1, MC_HASH, U_ENT2, CAP, 0);
	for (i = C_ALPHA; i < SG_DFA_NCLS; i++)
		if (i == C_ALPHA || (i >= C_LETTER0 && i < C_LETTER0 + SG_MSG_LETTERS))
			set(U_ENT1, i, U_ENT2, CAP, 0);
	line_ends(U_ENT1, text, cr, blf, A_HEND);
	set_all(U_ENT2, text, 0, A_HEND);
	for (i = C_ALPHA; i < SG_DFA_NCLS; i++)
		if (i == C_ALPHA || i == C_DIGIT || (i >= C_LETTER0 && i < C_LETTER0 + SG_MSG_LETTERS))
			set(U_ENT2, i, U_ENT2, CAP, 0);
	set(U_ENT2, C_SEP, U_HOST, CAP, A_ENTDEC); /* ';' */
	line_ends(U_ENT2, text, cr, blf, A_HEND);

	/* the port, or a password: "user:pw@host" goes back to the host */
	set_all(U_PORT, U_PORT, CAP, 0);
	set(U_PORT, C_AT, U_HOST, CAP, A_AT);
	set(U_PORT, MC_SLASH, U_PATH, CAP, A_HEND);
	set(U_PORT, MC_QMARK, U_QUERY, CAP, A_HEND);
	set(U_PORT, MC_HASH, U_FRAG, CAP, A_HEND);
	for (i = 0; i < N_OF(url_end_cls); i++)
		set(U_PORT, url_end_cls[i], text, 0, A_HEND);
	line_ends(U_PORT, text, cr, blf, A_HEND);

	/* the same for a host inside a parameter, which '&' also ends */
	set_all(V_PORT, V_PORT, CAP, 0);
	for (i = 0; i < N_OF(url_end_cls); i++)
		set(V_PORT, url_end_cls[i], text, 0, A_HEND);
	line_ends(V_PORT, text, cr, blf, A_HEND);
	set(V_PORT, C_AT, V_HOST, CAP, A_AT);
	set(V_PORT, MC_SLASH, U_VREST, CAP, A_HEND);
	set(V_PORT, MC_QMARK, U_VREST, CAP, A_HEND);
	set(V_PORT, MC_HASH, U_VREST, CAP, A_HEND);
	set(V_PORT, MC_AMP, U_QUERY, CAP, A_HEND);
	/* a redirector decodes its parameter: %40 in "x%3Ay%40bad.test" is '@' */
	set(V_PORT, MC_PCT, V_PPCT1, CAP, 0);
	set_all(V_PPCT1, V_PPCT2, CAP, 0);
	line_ends(V_PPCT1, text, cr, blf, A_HEND);
	set_all(V_PPCT2, V_PORT, CAP, A_PCTDEC);
	line_ends(V_PPCT2, text, cr, blf, A_HEND);

	/* path, query and fragment: the link goes on to a space, a quote or '<' */
	const int rest[] = { U_PATH, U_QUERY, U_FRAG, U_VREST };
	for (int r = 0; r < N_OF(rest); r++) {
		set_all(rest[r], rest[r], CAP, 0);
		for (i = 0; i < N_OF(url_end_cls); i++)
			set(rest[r], url_end_cls[i], text, 0, 0);
		line_ends(rest[r], text, cr, blf, 0);
	}
	for (int r = 0; r < N_OF(rest); r++) {
		/* skip words of plain path and query bytes (scan.h, skip 3) */
		skipb[rest[r]] = '\r';
		skipb2[rest[r]] = '?';
	}
	set(U_PATH, MC_QMARK, U_QUERY, CAP, 0);
	set(U_PATH, MC_HASH, U_FRAG, CAP, 0);
	set(U_QUERY, MC_EQ, U_PVAL, CAP | SG_DFA_START, 0);
	set(U_QUERY, MC_HASH, U_FRAG, CAP, 0);
	set(U_VREST, MC_AMP, U_QUERY, CAP, 0);
	set(U_VREST, MC_HASH, U_FRAG, CAP, 0);

	/* a parameter value: a bare host (U_BARE), or "http" that may turn out
	 * to start a URL (raw or %3A%2F%2F); the bytes are hashed all along,
	 * so a value that is not a URL is still read as a bare host */
	set_all(U_BARE, U_BARE, HC, 0);
	set(U_BARE, C_DOT, U_BARE, DC, 0);
	set(U_BARE, C_AT, U_BARE, CAP, A_AT);
	set(U_BARE, MC_PCT, U_BPCT1, CAP, 0);
	set(U_BARE, MC_AMP, U_QUERY, CAP, A_HEND);
	set(U_BARE, MC_HASH, U_FRAG, CAP, A_HEND);
	set(U_BARE, MC_SLASH, U_VREST, CAP, A_HEND);
	set(U_BARE, MC_QMARK, U_VREST, CAP, A_HEND);
	set(U_BARE, C_COLON, U_VREST, CAP, A_HEND);
	for (i = 0; i < N_OF(url_end_cls); i++)
		set(U_BARE, url_end_cls[i], text, 0, A_HEND);
	line_ends(U_BARE, text, cr, blf, A_HEND);
	set_all(U_BPCT1, U_BPCT2, CAP, 0);
	line_ends(U_BPCT1, text, cr, blf, A_HEND);
	set_all(U_BPCT2, U_BARE, CAP, A_PCTDEC);
	line_ends(U_BPCT2, text, cr, blf, A_HEND);
	/* a value is a host only once it has a dot (U_BARED); until then it
	 * ends with A_HEND0, which scan.h skips when no bad host has one label
	 * (most values are ids and words: no loop exit for them) */
	int U_BARED = new_state("U_BARED");
	for (i = 0; i < SG_DFA_NCLS; i++) {
		unsigned int e = T[U_BARE][i];

		T[U_BARED][i] = e;
		if ((e >> SG_DFA_ACT_SHIFT) == A_HEND)
			T[U_BARE][i] = (e & ~(0xffu << SG_DFA_ACT_SHIFT)) | (A_HEND0 << SG_DFA_ACT_SHIFT);
	}
	set(U_BARE, C_DOT, U_BARED, DC, 0);
	set(U_BARED, C_DOT, U_BARED, DC, 0);
	set(U_BARED, C_AT, U_BARE, CAP, A_AT);
	tab_hosts[3] = U_BARED;

	copy_row_with(U_PVAL, U_BARE, 0);
	for (i = 0; i < SG_DFA_NCLS; i++) /* keep the actions U_BARE has */
		T[U_PVAL][i] = T[U_BARE][i];
	set(U_PVAL, letter_cls('H'), N_H, HC, 0);
	const int chain[] = { N_H, N_HT, N_HTT, N_HTTP };
	const char *word = "TTP";
	for (int k = 0; k < 4; k++) {
		for (i = 0; i < SG_DFA_NCLS; i++)
			T[chain[k]][i] = T[U_BARE][i];
		if (k < 3)
			set(chain[k], letter_cls(word[k]), chain[k + 1], HC, 0);
	}
	for (i = 0; i < SG_DFA_NCLS; i++)
		T[N_HTTPS][i] = T[U_BARE][i];
	set(N_HTTP, letter_cls('S'), N_HTTPS, HC, 0);
	const int sch[] = { N_HTTP, N_HTTPS };
	for (int k = 0; k < 2; k++) {
		set(sch[k], C_COLON, N_C, CAP, 0);
		set(sch[k], MC_PCT, N_P, CAP, 0);
	}
	/* "://" raw, or "%3A%2F%2F" in either case: the nested host follows */
	const int nest[] = { N_C, N_CS, N_P, N_P3 };
	for (int k = 0; k < N_OF(nest); k++) {
		set_all(nest[k], U_VREST, CAP, 0);
		set(nest[k], MC_AMP, U_QUERY, CAP, 0);
		for (i = 0; i < N_OF(url_end_cls); i++)
			set(nest[k], url_end_cls[i], text, 0, 0);
		line_ends(nest[k], text, cr, blf, 0);
	}
	/* after the nested scheme: ':' raw or %3A, then any run of '/' or '\\'
	 * raw or %2F / %5C, then the host (A_NSTART at the first slash) */
	set(N_P, C_DIGIT, N_P3, CAP, 0);
	set(N_P3, letter_cls('A'), N_C, CAP, 0); /* %3A, %3a */
	set(N_P3, C_DIGIT, N_C, CAP, 0);
	const int slash_from[2] = { N_C, N_CS };
	const int pct[2][2] = { { N_Q, N_Q2 }, { N_SQ, N_SQ2 } };
	for (int k = 0; k < 2; k++) {
		int S = slash_from[k];

		set(S, MC_SLASH, N_CS, CAP | (k ? 0 : SG_DFA_START), 0);
		set(S, C_BSLASH, N_CS, CAP | (k ? 0 : SG_DFA_START), 0);
		set(S, MC_PCT, pct[k][0], CAP, 0);
		set_all(pct[k][0], U_VREST, CAP, 0);
		set(pct[k][0], C_DIGIT, pct[k][1], CAP, 0);
		for (i = 0; i < N_OF(url_end_cls); i++)
			set(pct[k][0], url_end_cls[i], text, 0, 0);
		line_ends(pct[k][0], text, cr, blf, 0);
		set_all(pct[k][1], N_CS, CAP | (k ? 0 : SG_DFA_START), 0); /* %2F, %5C */
		for (i = 0; i < N_OF(url_end_cls); i++)
			set(pct[k][1], url_end_cls[i], text, 0, 0);
		line_ends(pct[k][1], text, cr, blf, 0);
	}
	/* after the slashes, the first host byte */
	for (i = 0; i < SG_DFA_NCLS; i++)
		if (i != MC_SLASH && i != C_BSLASH && i != MC_PCT && i != MC_AMP &&
		    i != C_CR && i != C_LF)
			T[N_CS][i] = T[V_HOST][i];
	set(N_CS, MC_PCT, N_SQ, CAP, 0);
	/* "?url=//bad.test": a value that starts with slashes is a URL too */
	set(U_PVAL, MC_SLASH, N_C, CAP, 0);
}

/* A MIME header's value (RFC 2045 5.1, 6.1): tokens and quoted strings,
 * hashed like labels, between the tspecials; A_MTOK hands each finished
 * token (and the byte that ended it) to the handler, which knows whether it
 * is a type, a subtype, a parameter's name or its value. Comments are
 * skipped; folded lines go on. Returns the state the value starts in. */
static int mime_value_states(void)
{
	const int H = SG_DFA_HASH;
	const int tspecials[] = { C_LPAREN, C_RPAREN, C_LT, C_GT, C_AT, C_SEP, C_COLON, C_BSLASH,
				  MC_SLASH, C_LBRACK, C_RBRACK, MC_QMARK, MC_EQ, C_NUL, MC_BIN };
	int pre = new_state("MV_PRE"), tok = new_state("MV_TOK"), qs = new_state("MV_QS");
	int qpair = new_state("MV_QPAIR"), cmt = new_state("MV_CMT"), cmtesc = new_state("MV_CMTESC");

	set_all(pre, tok, H, 0);
	set(pre, C_SP, pre, 0, 0);
	for (int i = 0; i < N_OF(tspecials); i++) {
		set(pre, tspecials[i], pre, 0, A_MSEP);
		set(tok, tspecials[i], pre, 0, A_MTOK);
	}
	set(pre, C_QUOTE, qs, 0, 0);
	set(pre, C_LPAREN, cmt, SG_DFA_CAP, A_CMT_OPEN);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		if (k != C_SP && k != C_QUOTE && k != C_LPAREN && k != C_CR && k != C_LF &&
		    T[tok][k] == 0)
			set(tok, k, tok, H, 0);
	set(tok, C_SP, pre, 0, A_MTOK);
	set(tok, C_QUOTE, qs, 0, A_MTOK);
	set(tok, C_LPAREN, cmt, SG_DFA_CAP, A_MTOK); /* the handler opens the comment */
	set_all(qs, qs, H, 0);
	set(qs, C_QUOTE, pre, 0, A_MTOK);
	set(qs, C_BSLASH, qpair, 0, 0);
	set_all(qpair, qs, H, 0);
	comment_states(cmt, cmtesc, pre);
	return pre;
}

/* once the header line starts are complete: the value folds, or ends */
static void mime_value_folds(int h_ls, int h_bls)
{
	fold_act(find_state("MV_PRE"), "MV_PRE", h_ls, h_bls, 0);
	fold_act(find_state("MV_TOK"), "MV_TOK", h_ls, h_bls, A_MTOK);
	fold_act(find_state("MV_QS"), "MV_QS", h_ls, h_bls, 0);
	fold_act(find_state("MV_CMT"), "MV_CMT", h_ls, h_bls, 0);
}

static void build_msg(void)
{
	const int C_COMMA = C_SEP, CAP = SG_DFA_CAP, HC = SG_DFA_HASH | SG_DFA_CAP;
	int H_LS, H_BLS, H_DOT, H_DOTCR, H_BDOT, H_BDOTCR, H_ECR, H_LINE, H_CR, H_NAME, H_NAMESP;
	int HF, HFR, HFRO, HFROM, HFROM_SP;
	int FV_PRE, FV_WORD, FV_QUOTE, FV_QPAIR, FV_CMT, FV_CMTESC, FV_DOM, FV_DCMT, FV_DCMTESC;
	int FV_ANGLE, FV_AQUOTE, FV_AQPAIR, FV_ACMT, FV_ACMTESC, FV_ADOM, FV_ADCMT, FV_ADCMTESC;
	int FV_LIT, FV_REST, FV_DOM0, FV_DOMSP;
	int B_TEXT, B_CR, B_LS, B_DOT, B_DOTCR, B_BLS, B_BDOT;

	/* state 0: a message starts in its header block, at a line start */
	H_LS = new_state("H_LS");
	H_BLS = new_state("H_BLS");
	H_DOT = new_state("H_DOT");
	H_DOTCR = new_state("H_DOTCR");
	H_BDOT = new_state("H_BDOT");
	H_BDOTCR = new_state("H_BDOTCR");
	H_ECR = new_state("H_ECR");
	H_LINE = new_state("H_LINE");
	H_CR = new_state("H_CR");
	HF = new_state("HF");
	HFR = new_state("HFR");
	HFRO = new_state("HFRO");
	HFROM = new_state("HFROM");
	HFROM_SP = new_state("HFROM_SP");
	B_TEXT = new_state("B_TEXT");
	B_CR = new_state("B_CR");
	B_LS = new_state("B_LS");
	B_DOT = new_state("B_DOT");
	B_DOTCR = new_state("B_DOTCR");
	B_BLS = new_state("B_BLS");
	B_BDOT = new_state("B_BDOT");

	/* header lines. As Postfix reads them (is_header): a name of printable
	 * ASCII, optional white space, ':'. An empty line ends the block, and so
	 * does the first line that is not a header: Postfix delivers it as the
	 * first body line (a blank line goes in before it). */
	H_NAME = new_state("H_NAME");
	H_NAMESP = new_state("H_NAMESP");
	set_all(H_LS, H_NAME, 0, 0);
	set(H_LS, C_SP, H_LINE, 0, 0); /* a continuation line */
	set(H_LS, letter_cls('F'), HF, 0, 0);
	set(H_LS, C_DOT, H_DOT, 0, A_LDOT);
	set(H_LS, C_CR, H_ECR, 0, 0);
	set(H_LS, C_LF, B_BLS, 0, A_BODY);
	set(H_LS, C_COLON, B_TEXT, 0, A_BODY);
	set(H_LS, MC_BIN, B_TEXT, 0, A_BODY);
	set(H_LS, C_NUL, B_TEXT, 0, A_BODY);
	set_all(H_NAME, H_NAME, 0, 0);
	skipb[H_NAME] = ' '; /* scan.h skip 4: space, controls, ':' and >= 0x80 */
	skipb2[H_NAME] = ':';
	set(H_NAME, C_COLON, H_LINE, 0, 0);
	set(H_NAME, C_SP, H_NAMESP, 0, 0);
	set(H_NAME, C_CR, B_CR, 0, A_BODY);
	set(H_NAME, C_LF, B_BLS, 0, A_BODY);
	set(H_NAME, MC_BIN, B_TEXT, 0, A_BODY);
	set(H_NAME, C_NUL, B_TEXT, 0, A_BODY);
	set_all(H_NAMESP, B_TEXT, 0, A_BODY);
	set(H_NAMESP, C_SP, H_NAMESP, 0, 0);
	set(H_NAMESP, C_COLON, H_LINE, 0, 0);
	set(H_NAMESP, C_CR, B_CR, 0, A_BODY);
	set(H_NAMESP, C_LF, B_BLS, 0, A_BODY);

	/* Content-Type: and Content-Transfer-Encoding: (RFC 2045), any case:
	 * their values are read as MIME tokens (mime_value_states) */
	int mv_pre = mime_value_states();
	const char *mime_hdrs[2] = { "CONTENT-TYPE", "CONTENT-TRANSFER-ENCODING" };
	const int mime_acts[2] = { A_CT_START, A_CTE_START };
	for (int w = 0; w < 2; w++) {
		int e = hdr_word(H_LS, H_NAME, mime_hdrs[w]);
		char nm[40];
		int sp;

		snprintf(nm, sizeof(nm), "HW_SP%d", w);
		sp = new_state(nm);
		for (int k = 0; k < SG_DFA_NCLS; k++)
			T[sp][k] = T[H_NAMESP][k];
		set(e, C_SP, sp, 0, 0);
		set(e, C_COLON, mv_pre, 0, mime_acts[w]);
		set(sp, C_COLON, mv_pre, 0, mime_acts[w]);
	}
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[H_BLS][k] = T[H_LS][k];
	set(H_BLS, C_DOT, H_BDOT, 0, A_LDOT);
	/* a line that starts with a dot is dot-stuffed: the dot is not content
	 * (".From:" is a From: header); CRLF.CRLF ends the message */
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[H_DOT][k] = T[H_LS][k];
	set(H_DOT, C_DOT, H_NAME, 0, 0);
	set(H_DOT, C_CR, H_DOTCR, 0, 0);
	set(H_DOT, C_LF, H_BLS, 0, A_BARE_DOT);
	set_all(H_DOTCR, H_LINE, 0, 0);
	set(H_DOTCR, C_CR, H_CR, 0, 0);
	set(H_DOTCR, C_LF, H_LS, 0, A_EOD);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[H_BDOT][k] = T[H_LS][k];
	set(H_BDOT, C_DOT, H_NAME, 0, 0);
	set(H_BDOT, C_CR, H_BDOTCR, 0, 0);
	set(H_BDOT, C_LF, H_BLS, 0, A_BARE_DOT);
	set_all(H_BDOTCR, H_LINE, 0, 0);
	set(H_BDOTCR, C_CR, H_CR, 0, 0); /* "\n.\r\r\n": the CRLF is a line end */
	set(H_BDOTCR, C_LF, H_LS, 0, A_BARE_DOT);
	set_all(H_ECR, H_LINE, 0, 0);
	set(H_ECR, C_CR, H_CR, 0, 0);
	set(H_ECR, C_LF, B_LS, 0, A_BODY);
	set_all(H_LINE, H_LINE, 0, 0);
	set(H_LINE, C_CR, H_CR, 0, 0);
	set(H_LINE, C_LF, H_BLS, 0, 0);
	skipb[H_LINE] = '\r';
	skipb2[H_LINE] = '\n';
	set_all(H_CR, H_LINE, 0, 0);
	set(H_CR, C_CR, H_CR, 0, 0);
	set(H_CR, C_LF, H_LS, 0, 0);

	/* From: (any case; obsolete syntax allows space before the colon) */
	int chain[] = { HF, HFR, HFRO, HFROM };
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < SG_DFA_NCLS; k++)
			T[chain[i]][k] = T[H_NAME][k]; /* "Fromage:" is a header too */
		if (i)
			set(chain[i - 1], letter_cls("FROM"[i]), chain[i], 0, 0);
	}
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[HFROM_SP][k] = T[H_NAMESP][k];
	set(HFROM, C_SP, HFROM_SP, 0, 0);

	FV_PRE = new_state("FV_PRE");
	FV_WORD = new_state("FV_WORD");
	FV_QUOTE = new_state("FV_QUOTE");
	FV_QPAIR = new_state("FV_QPAIR");
	FV_CMT = new_state("FV_CMT");
	FV_CMTESC = new_state("FV_CMTESC");
	FV_DOM = new_state("FV_DOM");
	FV_DCMT = new_state("FV_DCMT");
	FV_DCMTESC = new_state("FV_DCMTESC");
	FV_ANGLE = new_state("FV_ANGLE");
	FV_AQUOTE = new_state("FV_AQUOTE");
	FV_AQPAIR = new_state("FV_AQPAIR");
	FV_ACMT = new_state("FV_ACMT");
	FV_ACMTESC = new_state("FV_ACMTESC");
	FV_ADOM = new_state("FV_ADOM");
	FV_ADCMT = new_state("FV_ADCMT");
	FV_ADCMTESC = new_state("FV_ADCMTESC");
	FV_LIT = new_state("FV_LIT");
	FV_DOM0 = new_state("FV_DOM0");
	FV_DOMSP = new_state("FV_DOMSP");
	FV_REST = new_state("FV_REST");
	set(HFROM, C_COLON, FV_PRE, 0, A_FROM_START);
	set(HFROM_SP, C_COLON, FV_PRE, 0, A_FROM_START);

	/* the value: mailboxes separated by commas; in each, the address is
	 * the one in <...>, else the bare addr-spec; its domain starts after
	 * the last unquoted '@' outside comments, as in MAIL FROM */
	set_all(FV_PRE, FV_WORD, CAP, 0);
	set(FV_PRE, C_SP, FV_PRE, 0, 0);
	set(FV_PRE, C_QUOTE, FV_QUOTE, CAP, 0);
	set(FV_PRE, C_LPAREN, FV_CMT, CAP, A_CMT_OPEN);
	set(FV_PRE, C_LT, FV_ANGLE, CAP, 0);
	set(FV_PRE, C_COMMA, FV_PRE, CAP, 0);
	set(FV_PRE, C_AT, FV_DOM0, CAP, A_AT);

	set_all(FV_WORD, FV_WORD, CAP, 0);
	set(FV_WORD, C_AT, FV_DOM0, CAP, A_AT);
	set(FV_WORD, C_LT, FV_ANGLE, CAP, 0);
	set(FV_WORD, C_QUOTE, FV_QUOTE, CAP, 0);
	set(FV_WORD, C_LPAREN, FV_CMT, CAP, A_CMT_OPEN);
	set(FV_WORD, C_COMMA, FV_PRE, CAP, 0);

	set_all(FV_QUOTE, FV_QUOTE, CAP, 0);
	set(FV_QUOTE, C_QUOTE, FV_WORD, CAP, 0);
	set(FV_QUOTE, C_BSLASH, FV_QPAIR, CAP, 0);
	set_all(FV_QPAIR, FV_QUOTE, CAP, 0);
	comment_states(FV_CMT, FV_CMTESC, FV_WORD);

	set_all(FV_DOM, FV_DOM, HC, 0);
	set(FV_DOM, C_DOT, FV_DOM, SG_DFA_DOT | CAP, 0);
	set(FV_DOM, C_AT, FV_DOM0, CAP, A_AT);
	set(FV_DOM, C_SP, FV_DOMSP, 0, 0);
	set(FV_DOM, C_COMMA, FV_PRE, CAP, A_DEND);
	set(FV_DOM, C_LT, FV_ANGLE, CAP, A_DEND);
	set(FV_DOM, C_GT, FV_REST, CAP, A_DEND);
	set(FV_DOM, C_QUOTE, FV_QUOTE, CAP, 0);
	set(FV_DOM, C_LPAREN, FV_DCMT, CAP, A_CMT_OPEN);
	set(FV_DOM, C_LBRACK, FV_LIT, CAP, 0);
	comment_states(FV_DCMT, FV_DCMTESC, FV_DOM);
	/* "ceo @ corp . example" is one address (RFC 5322 allows white space
	 * around '@' and '.'): right after '@' or '.', space is skipped; after
	 * a label, the domain goes on only with '.' or '@' */
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[FV_DOM0][k] = T[FV_DOM][k];
	set(FV_DOM0, C_SP, FV_DOM0, 0, 0);
	set(FV_DOM0, C_DOT, FV_DOM0, SG_DFA_DOT | CAP, 0);
	set(FV_DOM, C_DOT, FV_DOM0, SG_DFA_DOT | CAP, 0);
	copy_row_with(FV_DOMSP, FV_WORD, A_DEND); /* the domain ended: a word starts */
	set(FV_DOMSP, C_SP, FV_DOMSP, 0, 0);
	set(FV_DOMSP, C_DOT, FV_DOM0, SG_DFA_DOT | CAP, 0);
	set(FV_DOMSP, C_AT, FV_DOM0, CAP, A_AT);

	set_all(FV_ANGLE, FV_ANGLE, CAP, 0);
	set(FV_ANGLE, C_AT, FV_ADOM, CAP, A_AT);
	set(FV_ANGLE, C_QUOTE, FV_AQUOTE, CAP, 0);
	set(FV_ANGLE, C_LPAREN, FV_ACMT, CAP, A_CMT_OPEN);
	set(FV_ANGLE, C_GT, FV_REST, CAP, 0);
	set_all(FV_AQUOTE, FV_AQUOTE, CAP, 0);
	set(FV_AQUOTE, C_QUOTE, FV_ANGLE, CAP, 0);
	set(FV_AQUOTE, C_BSLASH, FV_AQPAIR, CAP, 0);
	set_all(FV_AQPAIR, FV_AQUOTE, CAP, 0);
	comment_states(FV_ACMT, FV_ACMTESC, FV_ANGLE);

	set_all(FV_ADOM, FV_ADOM, HC, 0);
	set(FV_ADOM, C_DOT, FV_ADOM, SG_DFA_DOT | CAP, 0);
	set(FV_ADOM, C_SP, FV_ADOM, 0, 0);
	set(FV_ADOM, C_AT, FV_ADOM, CAP, A_AT);
	set(FV_ADOM, C_GT, FV_REST, CAP, A_DEND);
	set(FV_ADOM, C_LPAREN, FV_ADCMT, CAP, A_CMT_OPEN);
	set(FV_ADOM, C_COMMA, FV_ANGLE, CAP, 0); /* a source route goes on */
	set(FV_ADOM, C_COLON, FV_ANGLE, CAP, 0);
	set(FV_ADOM, C_LBRACK, FV_LIT, CAP, 0);
	comment_states(FV_ADCMT, FV_ADCMTESC, FV_ADOM);

	set_all(FV_LIT, FV_LIT, CAP, 0);
	set(FV_LIT, C_RBRACK, FV_REST, CAP, 0);
	set_all(FV_REST, FV_REST, CAP, 0);
	set(FV_REST, C_COMMA, FV_PRE, CAP, 0);

	const int folding[] = { FV_PRE, FV_WORD, FV_QUOTE, FV_CMT, FV_DOM, FV_DCMT, FV_ANGLE,
				FV_AQUOTE, FV_ACMT, FV_ADOM, FV_ADCMT, FV_LIT, FV_REST,
				FV_DOM0, FV_DOMSP };
	for (unsigned i = 0; i < sizeof(folding) / sizeof(folding[0]); i++)
		fold(folding[i], names[folding[i]], H_LS, H_BLS);
	mime_value_folds(H_LS, H_BLS);

	/* the body: its lines (for the end of data), and links in them */
	set_all(B_TEXT, B_TEXT, 0, 0);
	set(B_TEXT, C_CR, B_CR, 0, 0);
	set(B_TEXT, C_LF, B_BLS, 0, 0);
	set(B_TEXT, C_COLON, B_TEXT, 0, A_COLON); /* "http:" / "https:" before it? */
	skipb[B_TEXT] = '\r';
	skipb2[B_TEXT] = ':';
	set_all(B_CR, B_TEXT, 0, 0);
	set(B_CR, C_CR, B_CR, 0, 0);
	set(B_CR, C_LF, B_LS, 0, 0);
	set_all(B_LS, B_TEXT, 0, 0);
	set(B_LS, C_CR, B_CR, 0, 0);
	set(B_LS, C_LF, B_BLS, 0, 0);
	set(B_LS, C_DOT, B_DOT, 0, A_LDOT);
	set_all(B_DOT, B_TEXT, 0, 0);
	set(B_DOT, C_CR, B_DOTCR, 0, 0);
	set(B_DOT, C_LF, B_BLS, 0, A_BARE_DOT);
	set_all(B_DOTCR, B_TEXT, 0, 0);
	set(B_DOTCR, C_CR, B_CR, 0, 0);
	set(B_DOTCR, C_LF, H_LS, 0, A_EOD);
	set_all(B_BLS, B_TEXT, 0, 0);
	set(B_BLS, C_CR, B_CR, 0, 0);
	set(B_BLS, C_LF, B_BLS, 0, 0);
	set(B_BLS, C_DOT, B_BDOT, 0, A_LDOT);
	set_all(B_BDOT, B_TEXT, 0, 0);
	set(B_BDOT, C_CR, B_CR, 0, A_BARE_DOT);
	set(B_BDOT, C_LF, B_BLS, 0, A_BARE_DOT);

	/* a body line that starts with "--" may be a MIME boundary: A_DASH
	 * reads the line ahead and compares it with the open multiparts' */
	set(B_LS, MC_DASH, B_TEXT, 0, A_DASH);
	set(B_BLS, MC_DASH, B_TEXT, 0, A_DASH);
	set(B_DOT, MC_DASH, B_TEXT, 0, A_DASH);
	set(B_BDOT, MC_DASH, B_TEXT, 0, A_DASH);

	build_urls(B_TEXT, B_CR, B_BLS);

	/* TAB is white space like SP everywhere but in a link's host, where a
	 * browser strips it from a quoted attribute (A_WS decides) */
	for (int st = 0; st < nstates; st++)
		T[st][MC_TAB] = T[st][C_SP];
	tab_in_hosts();
}

/* scan.h skips words without a byte below 0x0e: states may wait for CR and
 * LF (skip 1), or for those and ':' (skip 2, the idle URL scanner), or in a
 * link's path and query for anything below 0x28 and < = > ? (skip 3) */
static void check_skips(void)
{
	for (int s = 0; s < nstates; s++) {
		if ((skipb[s] && skipb[s] != '\r' && skipb[s] != '\n' && skipb[s] != ' ') ||
		    (skipb2[s] && skipb2[s] != '\r' && skipb2[s] != '\n' && skipb2[s] != ':' &&
		     skipb2[s] != '?')) {
			fprintf(stderr, "gen_dfa: state %s skips to a byte scan.h cannot\n", names[s]);
			exit(1);
		}
	}
}

static void reset_machine(void)
{
	memset(T, 0, sizeof(T));
	memset(skipb, 0, sizeof(skipb));
	memset(skipb2, 0, sizeof(skipb2));
	memset(cret, 0, sizeof(cret));
	memset(pskip, 0, sizeof(pskip));
	memset(names, 0, sizeof(names));
	nstates = 0;
	nprefixes = 0;
}

/* The link machine: the message machine's link states over decoded text,
 * where a line start is just a line start (no dot lines, no boundaries).
 * Same state numbers, so one set of handlers serves both. */
static void link_only(void)
{
	const char *ls[] = { "B_LS", "B_BLS", "B_CR", "B_DOT", "B_DOTCR", "B_BDOT" };
	int text = find_state("B_TEXT");

	for (int i = 0; i < N_OF(ls); i++) {
		int st = find_state(ls[i]);

		for (int k = 0; k < SG_DFA_NCLS; k++)
			T[st][k] = T[text][k];
		skipb[st] = skipb[text];
		skipb2[st] = skipb2[text];
		pskip[st] = 6; /* scan.h skip 6: only ':' stops the word test */
	}
	pskip[text] = 6;
	/* a browser drops CR and LF from a URL as it drops TAB: inside a quoted
	 * attribute a host goes on over a line end (A_WS decides, as for TAB);
	 * in decoded text a line end means nothing else */
	for (int i = 0; i < 4; i++) {
		T[tab_hosts[i]][C_CR] = T[tab_hosts[i]][MC_TAB];
		T[tab_hosts[i]][C_LF] = T[tab_hosts[i]][MC_TAB];
	}
}

/* ---- the part machine: the raw lines of a quoted-printable, base64 or
 * skipped MIME part ----
 *
 * It keeps what SMTP and MIME need of the raw lines (dot-stuffing, the end
 * of data, bare-LF dot lines, "--" lines that may be boundaries) and, for QP,
 * base64 and HTML sent as it is (copied, so the link machine reads it), decodes: EMIT puts the byte into the decoded buffer, QPHEX the
 * byte of "=XX", B64 the character into the current quantum. One family of
 * states per encoding; part.h runs one family per program. */
static void build_part_family(const char *pfx, int fam)
{
	const int E = SG_PDFA_EMIT, QP = fam == 0, B64 = fam == 1, ID = fam == 3;
	char nm[32];
	int LS, BLS, DOT, BDOT, DOTCR, TEXT, CR, EQ = 0, EQH = 0, EQSP = 0, EQCR = 0;
	const int te = QP || ID ? E : 0; /* content bytes are emitted in QP and as sent */

#define PST(v, n) (snprintf(nm, sizeof(nm), "%s_" n, pfx), v = new_state(nm))
	PST(LS, "LS");
	PST(BLS, "BLS");
	PST(DOT, "DOT");
	PST(BDOT, "BDOT");
	PST(DOTCR, "DOTCR");
	PST(TEXT, "TEXT");
	PST(CR, "CR");
	if (QP) {
		PST(EQ, "EQ");
		PST(EQH, "EQH");
		PST(EQSP, "EQSP");
		PST(EQCR, "EQCR");
	}
#undef PST
	/* inside a line */
	set_all(TEXT, TEXT, te, 0);
	set(TEXT, P_CR, CR, te, 0);
	set(TEXT, P_LF, BLS, te, 0);
	if (QP)
		set(TEXT, P_EQ, EQ, 0, 0);
	if (B64) {
		set(TEXT, P_HEX, TEXT, SG_PDFA_B64, 0);
		set(TEXT, P_B64, TEXT, SG_PDFA_B64, 0);
		set(TEXT, P_EQ, TEXT, 0, A_B64PAD);
	}
	pskip[TEXT] = QP ? 5 : B64 ? 6 : ID ? 7 : 1;
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[CR][k] = T[TEXT][k];
	set(CR, P_LF, LS, te, 0);
	/* a line start: a dot line, or a "--" line */
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[LS][k] = T[TEXT][k];
	set(LS, P_DOT, DOT, 0, A_LDOT);
	set(LS, P_DASH, TEXT, te, A_DASH);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[BLS][k] = T[LS][k];
	set(BLS, P_DOT, BDOT, 0, A_LDOT);
	if (B64)
		pskip[LS] = pskip[BLS] = 6; /* part.h decodes only whole base64 words there */
	if (QP || ID)
		pskip[LS] = pskip[BLS] = pskip[TEXT]; /* part.h looks at the first byte */
	/* the dot of a dot-stuffed line is not content; ".\r\n" ends the data */
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[DOT][k] = T[LS][k];
	set(DOT, P_DOT, TEXT, te, 0);
	set(DOT, P_CR, DOTCR, 0, 0);
	set(DOT, P_LF, BLS, 0, A_BARE_DOT);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[DOTCR][k] = T[TEXT][k];
	set(DOTCR, P_LF, LS, 0, A_EOD);
	set(DOTCR, P_CR, CR, te, 0);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[BDOT][k] = T[LS][k];
	set(BDOT, P_DOT, TEXT, te, 0);
	set(BDOT, P_CR, CR, 0, A_BARE_DOT);
	set(BDOT, P_LF, BLS, 0, A_BARE_DOT);
	if (!QP)
		return;
	/* =XX, and soft line breaks: "=" (and white space) at the end of a line */
	set_all(EQ, TEXT, 0, A_QPLIT);
	set(EQ, P_EQ, EQ, 0, A_QPLIT);
	set(EQ, P_HEX, EQH, 0, 0);
	set(EQ, P_SP, EQSP, 0, 0);
	set(EQ, P_CR, EQCR, 0, 0);
	set(EQ, P_LF, LS, 0, 0);
	set_all(EQH, TEXT, 0, A_QPLIT2);
	set(EQH, P_HEX, TEXT, SG_PDFA_QPHEX, 0);
	set(EQH, P_EQ, EQ, 0, A_QPLIT2);
	set(EQH, P_CR, CR, 0, A_QPLIT2);
	set(EQH, P_LF, BLS, 0, A_QPLIT2);
	set_all(EQSP, TEXT, 0, A_QPLIT);
	set(EQSP, P_SP, EQSP, 0, 0);
	set(EQSP, P_CR, EQCR, 0, 0);
	set(EQSP, P_LF, LS, 0, 0);
	for (int k = 0; k < SG_DFA_NCLS; k++)
		T[EQCR][k] = T[TEXT][k];
	set(EQCR, P_LF, LS, 0, 0);
}

static void build_part(void)
{
	build_part_family("Q", 0);
	build_part_family("B", 1);
	build_part_family("S", 2);
	build_part_family("I", 3);
}

static unsigned long long label_hash(const char *w)
{
	unsigned long long h = SG_FNV_BASIS;

	for (; *w; w++)
		h = sg_label_step(h, (unsigned char)*w);
	return h;
}

/* the MIME words the handlers compare a token's hash with */
static void emit_hashes(void)
{
	static const char *w[][2] = {
		{ "TEXT", "text" }, { "MULTIPART", "multipart" }, { "MESSAGE", "message" },
		{ "RFC822", "rfc822" }, { "GLOBAL", "global" }, { "BOUNDARY", "boundary" },
		{ "QP", "quoted-printable" }, { "BASE64", "base64" }, { "HTML", "html" },
	};

	for (int i = 0; i < N_OF(w); i++)
		printf("#define SG_HASH_%s 0x%016llxULL /* \"%s\" */\n", w[i][0], label_hash(w[i][1]),
		       w[i][1]);
	/* decoding: a hex digit's value, a base64 character's (0xff: none) */
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	printf("\n#define SG_HEXV_INIT { \\\n");
	for (int c = 0; c < 256; c++)
		printf("%d,%s", isxdigit(c) ? (isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10) : 0xff,
		       c % 16 == 15 ? " \\\n" : " ");
	printf("}\n\n#define SG_B64V_INIT { \\\n");
	for (int c = 0; c < 256; c++) {
		const char *q = c ? strchr(b64, c) : NULL;

		printf("%d,%s", q ? (int)(q - b64) : 0xff, c % 16 == 15 ? " \\\n" : " ");
	}
	printf("}\n\n");
	/* base64 a quantum at a time: what each of its four characters adds to
	 * the three bytes, already in their places in a little-endian word
	 * (bit 31: no base64 character) */
	printf("#define SG_B64Q_INIT { \\\n");
	for (int k = 0; k < 4; k++) {
		for (int c = 0; c < 256; c++) {
			const char *q = c ? strchr(b64, c) : NULL;
			unsigned v = q ? (unsigned)(q - b64) : 0, e;

			e = !q ? 0x80000000u : k == 0 ? v << 2 : k == 1 ? (v >> 4) | (v & 15) << 12 :
			    k == 2 ? (v >> 2) << 8 | (v & 3) << 22 : v << 16;
			printf("0x%x,%s", e, c % 8 == 7 ? " \\\n" : " ");
		}
	}
	printf("}\n\n");
}

/* Prints one machine's tables as initialiser macros MACRO_CLS_INIT,
 * MACRO_TABLE_INIT, MACRO_SKIP_INIT, MACRO_RET_INIT, and its states as
 * PREFIX_NAME constants. */
static void emit(const char *prefix, const char *macro, int fill)
{
	int s, k;

	printf("#define %s_NSTATES %d\n", macro, nstates);
	for (s = 0; prefix && s < nstates; s++)
		printf("#define %s%s %d\n", prefix, names[s], s);
	printf("\n#define %s_CLS_INIT { \\\n", macro);
	for (k = 0; k < 256; k++)
		printf("%d,%s", cls_of(k), (k % 16 == 15) ? " \\\n" : " ");
	printf("}\n\n#define %s_TABLE_INIT { \\\n", macro);
	for (s = 0; s < SG_DFA_MAX_STATES; s++) {
		for (k = 0; k < SG_DFA_NCLS; k++)
			printf("0x%06x,", s < nstates ? T[s][k] : ent(fill, 0, 0));
		printf(" \\\n");
	}
	printf("}\n\n#define %s_SKIP_INIT { \\\n", macro);
	for (s = 0; s < SG_DFA_MAX_STATES; s++)
		printf("%d,%s", pskip[s] ? pskip[s] : skipb2[s] == ':' ? (skipb[s] == ' ' ? 4 : 2) :
				skipb2[s] == '?' ? 3 : skipb[s] ? 1 : 0,
		       (s % 16 == 15) ? " \\\n" : " ");
	printf("}\n\n#define %s_RET_INIT { \\\n", macro);
	for (s = 0; s < SG_DFA_MAX_STATES; s++)
		printf("%d,%s", cret[s], (s % 16 == 15) ? " \\\n" : " ");
	printf("}\n\n");
}

int main(void)
{
	_Static_assert(A_COUNT <= 256, "actions fit eight bits");
	printf("/* generated by bpf/gen_dfa.c: do not edit */\n");
	printf("#ifndef SG_DFA_TABLES_H\n#define SG_DFA_TABLES_H\n\n");
	build_cmd();
	check_skips();
	emit("SG_S_", "SG_DFA", 1 /* S_SKIP */);
	reset_machine();
	verb_letters = "FROMHTPSCNEYADIG"; /* SG_MSG_LETTERS */
	letter_base = C_LETTER0;
	msg_classes = 1;
	build_msg();
	check_skips();
	emit("SG_M_", "SG_MDFA", 0);
	/* the same machine over decoded text (QP, base64): links only - the
	 * line starts of decoded text mean nothing to SMTP or MIME */
	reset_machine();
	build_msg();
	link_only();
	emit(NULL, "SG_LDFA", 0);
	reset_machine();
	msg_classes = 0;
	part_classes = 1;
	build_part();
	emit("SG_P_", "SG_PDFA", 0);
	part_classes = 0;
	emit_hashes();
	printf("#endif\n");
	return 0;
}
