/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dfa_defs.h - the vocabulary of the command-phase DFA, shared by its
 * generator (bpf/gen_dfa.c, on the build host) and the XDP byte loop.
 */
#ifndef SG_DFA_DEFS_H
#define SG_DFA_DEFS_H

#include "smtpguard.h" /* SG_DFA_NCLS, SG_DFA_MAX_STATES, struct sg_machine */

#define SG_DFA_STATE_MASK 0xff
#define SG_DFA_CLS_SHIFT  6 /* log2(SG_DFA_NCLS) */

/* entry flag bits */
#define SG_DFA_HASH (1 << 8)  /* fold the byte into the current label's hash */
#define SG_DFA_DOT  (1 << 9)  /* the byte ends a label: push its hash */
#define SG_DFA_CAP  (1 << 10) /* append the byte to the flow's token copy */
#define SG_DFA_START (1 << 11) /* links: a host starts (a parameter's value, a
				* nested URL): labels reset, no exit from the loop */
#define SG_DFA_ACT_SHIFT 16

/* letters that get a class of their own in the message machine */
#define SG_MSG_LETTERS 16

/* byte classes */
enum {
	C_OTHER = 0,
	C_ALPHA,
	C_DIGIT,
	C_SP,
	C_CR,
	C_LF,
	C_COLON,
	C_LT,
	C_GT,
	C_AT,
	C_QUOTE,
	C_BSLASH,
	C_DOT,
	C_LBRACK,
	C_RBRACK,
	C_LPAREN,
	C_RPAREN,
	C_NUL,     /* Postfix reads a command up to a NUL */
	C_SEP,     /* ',' and ';' */
	C_LETTER0, /* the verb letters, one class each, follow */
	/* the message machine's URL punctuation, after its sixteen letters
	 * (From:, http(s), Content-Type and Content-Transfer-Encoding) */
	MC_SLASH = C_LETTER0 + SG_MSG_LETTERS,
	MC_QMARK,
	MC_HASH,
	MC_AMP,
	MC_EQ,
	MC_PCT,
	MC_APOS,
	MC_BIN,    /* control bytes and bytes >= 0x7f */
	MC_TAB,
	MC_DASH,   /* '-': header names, and "--" boundary lines */
};


/* the part machine's byte classes (quoted-printable, base64, skipped) */
enum {
	P_OTHER = 0,
	P_HEX,     /* 0-9 A-F a-f: QP escapes; base64 too */
	P_B64,     /* the rest of the base64 alphabet */
	P_EQ,
	P_CR,
	P_LF,
	P_SP,      /* SP and TAB */
	P_DOT,
	P_DASH,
};

/* the part machine's entry flags (its own meaning of bits 8-10) */
#define SG_PDFA_QPHEX (1 << 8)  /* the second digit of =XX: emit the byte */
#define SG_PDFA_B64   (1 << 9)  /* a base64 character: into the quantum */
#define SG_PDFA_EMIT  (1 << 10) /* the byte is content: emit it */

/* actions: the byte loop stops for these and the callback handles them */
enum {
	A_NONE = 0,
	A_EOL,          /* a command line ended */
	A_EOL_RCPT,
	A_EOL_RSET,
	A_EOL_DATA,
	A_EOL_STARTTLS,
	A_EOL_BDAT,
	A_MAIL_START,   /* "MAIL FROM:" read: a new envelope sender follows */
	A_HELO_START,   /* "EHLO " / "HELO " read */
	A_AT,           /* an unquoted '@': the domain (re)starts */
	A_DEND,         /* a name ended: match it */
	A_DEND_EOL,     /* a name ended with the line */
	A_HELO_LIT,     /* EHLO [address literal] ended */
	A_DIGIT,        /* a digit of the BDAT size */
	A_BDAT_LAST,
	A_EOD,          /* CRLF.CRLF: the message ended */
	A_CMT_OPEN,     /* '(' : a comment in the address opens (they nest) */
	A_CMT_CLOSE,    /* ')' : one closes; at depth 0 the address goes on */
	A_BARE_DOT,     /* a dot line with a bare LF: no end of data, an anomaly */
	A_FROM_START,   /* message: "From:" read, its value follows */
	A_FROM_END,     /* message: the From: header ended (not folded on) */
	A_BODY,         /* message: the header block ended */
	A_COLON,        /* body: a ':' - was it "http:" or "https:"? */
	A_HSTART,       /* body: "//": a link's host starts */
	A_HEND,         /* body: a host ended: match it against sg_bad_hosts */
	A_VSTART,       /* body: a query parameter's value starts (a bare host?) */
	A_NSTART,       /* body: a URL inside a parameter: its host starts */
	A_PCTDEC,       /* body: %XX in a host: decode it into the host */
	A_LDOT,         /* a line starts with '.': dot-stuffing in DATA, content in BDAT */
	A_ENTDEC,       /* body: an HTML character reference in a link's host ended */
	A_WS,           /* body: a TAB in a link's host: stripped if quoted, else the end */
	A_CT_START,     /* "Content-Type:" read: its value follows */
	A_CTE_START,    /* "Content-Transfer-Encoding:" read */
	A_MTOK,         /* a MIME header token or quoted string ended (the byte after it) */
	A_MSEP,         /* a MIME header separator between tokens: / ; = */
	A_DASH,         /* a body line starts with '-': a MIME boundary line? */
	A_QPLIT,        /* "=" and a byte that is no QP escape: both are content */
	A_QPLIT2,       /* "=X" and a byte that is no hex digit: all three are content */
	A_B64PAD,       /* '=' in base64: the quantum ends */
	A_HEND0,        /* body: a parameter value without a dot ended (scan.h may skip it) */
	A_COUNT,        /* at most 256: the entry's top bits */
};

#endif
