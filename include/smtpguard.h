/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smtpguard.h - the one header of types shared by the BPF programs and the
 * userspace CLI: map names, keys, values, the event record, enums with their
 * string tables, limits, and the name hash both sides must compute alike.
 *
 * Built by clang -target bpf (with vmlinux.h, __BPF__ defined) and by the host
 * C compiler (with <linux/types.h>). Fixed-width types only.
 */
#ifndef SMTPGUARD_H
#define SMTPGUARD_H

#ifndef __BPF__
#include <linux/types.h>
#endif

/* ---- public map names (kernel object names stay within 15 characters) ---- */
#define SG_MAP_FLOWS        "sg_flows"
#define SG_MAP_SOURCES      "sg_sources"
#define SG_MAP_OWN_DOMAINS  "sg_own_domains"
#define SG_MAP_BAD_HOSTS    "sg_bad_hosts"
#define SG_MAP_TRUSTED_NETS "sg_trusted_nets"
#define SG_MAP_BLOCKED_SRC  "sg_blocked_src"
#define SG_MAP_CONFIG       "sg_config"
#define SG_MAP_STATS        "sg_stats"
#define SG_MAP_EVENTS       "sg_events"
#define SG_MAP_NAME_FILTER  "sg_name_filter" /* internal: bitmap in front of the name maps */
#define SG_MAP_PROGS        "sg_progs"       /* internal: the message program, for tail calls */
#define SG_PROG_MSG         "sg_xdp_msg"
#define SG_MAP_SERVER_NETS  "sg_server_nets" /* internal: replay's --server-net */
#define SG_MAP_SYNS         "sg_syns"        /* internal: SYNs of flows not established yet */
#define SG_MAP_BLOCKED_MEMO "sg_blocked_memo" /* internal: per CPU, blocked sources seen lately */
#define SG_PROG_XDP         "sg_xdp_ingress"
#define SG_PROG_TC          "sg_tc_egress"
#define SG_PIN_ROOT         "/sys/fs/bpf/smtpguard"

/* ---- limits: every one named, hitting one is counted ---- */
#ifndef SG_MAX_FLOWS
#define SG_MAX_FLOWS        262144  /* concurrent SMTP sessions tracked (LRU) */
#endif
#ifndef SG_MAX_SYNS
#define SG_MAX_SYNS         65536   /* half-open sessions remembered (LRU, sg_syns) */
#endif
#ifndef SG_MAX_SOURCES
#define SG_MAX_SOURCES      65536   /* distinct client addresses (LRU) */
#endif
#define SG_MAX_OWN_DOMAINS  4096    /* internal-domain entries (per generation) */
#define SG_MAX_BAD_HOSTS    1048576 /* bad-host entries (per generation) */
#define SG_MAX_NETS         16384   /* trusted-net / blocked-source prefixes */
#define SG_MAX_PORTS        8       /* watched TCP ports */
#define SG_NAME_MAX         128     /* policy name incl. NUL: longer is a config error */
#define SG_MAX_LABELS       8       /* labels kept per name; longer policy names are errors */
#define SG_TOKEN_MAX        128     /* bounded copy of the current address / EHLO argument */
#define SG_HELO_MAX         64      /* EHLO name kept per flow for events */
#define SG_RINGBUF_BYTES    (1 << 22)

/* Name and token arrays are copied whole between flow, policy and event: 8-byte
 * alignment lets the BPF backend copy them a word at a time, not a byte. */
#define SG_ALIGNED8 __attribute__((aligned(8)))

/* ---- the name hash: FNV-1a per label, suffixes combined right to left ---- */
#define SG_FNV_BASIS 0xcbf29ce484222325ULL
#define SG_FNV_PRIME 0x100000001b3ULL

/* Fold one byte the way the kernel's byte loop does: `c | 0x20` lowercases
 * ASCII letters and leaves digits and '-' alone. Userspace lowercases first,
 * so the two agree on every byte that may appear in a normalised name. */
static inline __u64 sg_label_step(__u64 h, __u8 c)
{
	return (h ^ (__u64)(c | 0x20)) * SG_FNV_PRIME;
}

/* murmur3's 64-bit finaliser: spreads a combined suffix over all key bits. */
static inline __u64 sg_mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* suffix = mix(suffix ^ label) for labels taken from the right, starting at 0 */
static inline __u64 sg_suffix_step(__u64 suffix, __u64 label_hash)
{
	return sg_mix(suffix ^ label_hash);
}

/* The name prefilter: one bit per suffix hash (its top SG_FILTER_BITS bits),
 * per name map, in an ARRAY of u64 words. A clear bit means "not in the
 * policy" for the price of an array load, so the HASH lookups of a name's
 * 2-8 suffixes happen only for suffixes that may be there. Userspace sets a
 * bit before it inserts the entry, and rebuilds the words on `policy apply`. */
#define SG_FILTER_BITS   24 /* 2 MiB a map: at 1,000,000 names 6 % of bits are set */
#define SG_FILTER_WORDS  (1U << (SG_FILTER_BITS - 6))  /* per name map */
enum sg_filter_kind { SG_FILTER_OWN_DOMAINS = 0, SG_FILTER_BAD_HOSTS = 1, SG_FILTER_KINDS };

static inline __u32 sg_filter_word(__u32 kind, __u64 hash)
{
	return kind * SG_FILTER_WORDS + (__u32)(hash >> (64 - SG_FILTER_BITS + 6));
}

static inline __u64 sg_filter_mask(__u64 hash)
{
	return 1ULL << ((hash >> (64 - SG_FILTER_BITS)) & 63);
}

/* ---- enums with string tables (SG_*_NAMES) in the same order ---- */
enum sg_reason {
	SG_REASON_NONE = 0,
	SG_REASON_SPOOFED_INTERNAL_DOMAIN,
	SG_REASON_BAD_REDIRECT_HOST,
	SG_REASON_RATE_EXCEEDED,
	SG_REASON_STREAM_ANOMALY,
	SG_REASON__ACTIONS,   /* the reasons an `action` line sets */
	/* a source blocked for a while after its blocked messages (quarantine):
	 * said by the kernel, switched on by the quarantine directive */
	SG_REASON_SOURCE_QUARANTINED = SG_REASON__ACTIONS,
	SG_REASON__COUNT,
};
#define SG_REASON_NAMES { "none", "spoofed_internal_domain", "bad_redirect_host", \
			  "rate_exceeded", "stream_anomaly", "source_quarantined" }

enum sg_where {
	SG_WHERE_NONE = 0,
	SG_WHERE_HELO,
	SG_WHERE_MAIL_FROM,
	SG_WHERE_HEADER_FROM,
	SG_WHERE_BODY,
	SG_WHERE_STREAM,
	SG_WHERE__COUNT,
};
#define SG_WHERE_NAMES { "none", "helo", "mail_from", "header_from", "body", "stream" }

enum sg_action {
	SG_ACTION_OFF = 0,
	SG_ACTION_ALERT,
	SG_ACTION_BLOCK,
	SG_ACTION__COUNT,
};
#define SG_ACTION_NAMES { "off", "alert", "block" }

/* Where the client side of a session is. */
enum sg_phase {
	SG_PHASE_COMMAND = 0, /* SMTP commands are parsed */
	SG_PHASE_DATA,        /* in the message after DATA, until CRLF.CRLF */
	SG_PHASE_BDAT,        /* inside a BDAT chunk: bdat_left bytes of message */
	SG_PHASE_TLS,         /* after STARTTLS: ciphertext, counted not parsed */
	SG_PHASE_CLOSED,      /* FIN or RST seen */
	SG_PHASE__COUNT,
};
#define SG_PHASE_NAMES { "command", "data", "bdat", "tls", "closed" }

/* What each server reply answers (TC egress): the client's commands queue
 * one kind each, in order, and each final reply line takes the oldest. */
enum sg_reply_kind {
	SG_RK_OTHER = 1,    /* the greeting, EHLO, MAIL, NOOP, ...: counted only */
	SG_RK_RCPT,         /* 4xx/5xx: the recipient is not counted */
	SG_RK_DATA,         /* 354 enters the message; 4xx/5xx stays in commands */
	SG_RK_STARTTLS,     /* 220 starts TLS; 4xx/5xx (454) keeps parsing */
	SG_RK_BDAT,         /* a chunk that is not the last */
	SG_RK_MSG,          /* the end of a message (CRLF.CRLF, BDAT LAST): queued or not */
};
#define SG_REPLY_QUEUE 64   /* runs of replies awaited at once (a run: up to 255 alike) */

/* How TCP checksums of watched segments are checked (sg_config.csum_mode,
 * the config's checksum-validation). A wrong one is not parsed: the server
 * drops it. A checksum never filled in (the sender's offload left the
 * pseudo-header sum in it) only arrives over a host's own virtual links. */
enum sg_csum_mode {
	SG_CSUM_AUTO = 0,    /* verify; read unfilled ones on csum_lax_if (veth, tun) */
	SG_CSUM_VERIFY,      /* "yes": verify, read no unfilled one */
	SG_CSUM_OFF,         /* "no": not checked */
	SG_CSUM_OFFLOAD_OK,  /* verify, read unfilled ones anywhere (replay's auto) */
};
#define SG_CSUM_NAMES { "auto", "yes", "no", "auto (offload)" }
#define SG_MAX_IFACES 8     /* interfaces whose unfilled checksums auto reads */

enum sg_flow_flags {
	SG_FLOW_MIDSTREAM = 1 << 0, /* first packet seen was not a SYN */
	SG_FLOW_BLOCKED   = 1 << 1, /* a block rule fired: later client segments drop */
	SG_FLOW_ALERTED   = 1 << 2,
	SG_FLOW_GAP       = 1 << 3, /* bytes were missed; parser resynchronised */
	SG_FLOW_TOKEN_TRUNC = 1 << 4, /* the current token was cut at SG_TOKEN_MAX */
	SG_FLOW_REENTRY   = 1 << 5, /* the message program hands the segment back */
	SG_FLOW_ANOMALY   = 1 << 6, /* a stream_anomaly alert was raised (one a flow) */
	SG_FLOW_IN_BODY   = 1 << 7, /* the current message's header block has ended */
	SG_FLOW_BDAT_OPEN = 1 << 8, /* a chunked message awaits its LAST chunk */
	SG_FLOW_UNREAD    = 1 << 9, /* this segment had message bytes left unread */
	SG_FLOW_QLINK     = 1 << 10, /* the current link is in a quoted HTML attribute */
	SG_FLOW_IN_PART   = 1 << 11, /* past the message's own headers into a MIME part */
	SG_FLOW_BND_PEND  = 1 << 12, /* a "--" line was cut by the segment end: a boundary? */
	SG_FLOW_CONFLICT  = 1 << 13, /* a retransmission differed from the bytes parsed */
	SG_FLOW_CLI_FIN   = 1 << 14, /* the client sent FIN */
	/* 1 << 15: unused (was the server's FIN, now in srv_flags) */
	SG_FLOW_NO_REPLIES = 1 << 16, /* replies cannot be matched to commands (see srv_flags too) */
	SG_FLOW_URGENT    = 1 << 17, /* the client sent urgent data */
	/* 1 << 18, 1 << 19: unused (were the server's, now in srv_flags) */
	SG_FLOW_TS        = 1 << 20, /* ts_recent is set */
	SG_FLOW_TS_OK     = 1 << 21, /* both SYNs carried timestamps: PAWS applies */
	SG_FLOW_CSUM_LAX  = 1 << 22, /* its SYN's checksum was unfilled: a local sender */
	SG_FLOW_REPLIES_LOST = 1 << 23, /* the reply queue overflowed: to be said (cleared then) */
	SG_FLOW_RST_SENT  = 1 << 24, /* blocked: the server's side was reset */
};

/* sg_flow.srv_flags: what sg_tc_egress knows of the server's side. The two
 * directions run on different CPUs at once (XDP where the client's packet
 * arrives, TC where the MTA sends), so each writes a word of its own: a
 * read-modify-write of one shared word would lose the other's bits (a
 * message program's REENTRY, a block). TC writes srv_flags only, XDP flags
 * only; each writes the other's once, when it makes the entry (XDP at the
 * handshake's ACK, before the server can send on it; TC for a session
 * picked up mid-stream, which XDP never makes). What TC finds that must be
 * said or may block (replies lost, a DATA refused after pipelining) XDP
 * says at the client's next packet. */
enum sg_srv_flags {
	SG_SRV_SEQ        = 1 << 0, /* srv_next_seq is known */
	SG_SRV_SEEN       = 1 << 1, /* sg_tc_egress sees the server's packets */
	SG_SRV_FIN        = 1 << 2, /* the server sent FIN */
	SG_SRV_NO_REPLIES = 1 << 3, /* a reply was not read whole: replies cannot be matched */
	SG_SRV_LOST       = 1 << 4, /* ... and that is to be said (stream_anomaly, by XDP) */
	SG_SRV_REFUSED_PIPE = 1 << 5, /* a DATA was refused with commands pipelined after it */
};

/* MIME: which program reads the current part's bytes; the values are the
 * program's slot in sg_progs (bpf/message.h) */
enum sg_mmode {
	SG_MM_MSG = 0,  /* headers, and parts sent as they are (7bit, 8bit, binary) */
	SG_MM_QP = 2,   /* a quoted-printable text part: decoded, then its links */
	SG_MM_B64 = 3,  /* a base64 text part */
	SG_MM_SKIP = 4, /* a part that is not text (or a preamble, an epilogue): counted */
	SG_MM_HTML = 5, /* HTML sent as it is: copied, then its links (as the decoded) */
};
#define SG_MIME_DEPTH 4     /* nested multiparts followed; deeper ones are read as text */
#define SG_DEC_SIZE (8192 + 32) /* the decoded-bytes buffer: positions & 0x1fff, a word and slack */

/* Global counters. sg_stats is a PERCPU_ARRAY with one entry whose value
 * is struct sg_stats: one named u64 per counter, so `bpftool map dump name
 * sg_stats` prints every counter by name (an array key cannot carry names:
 * the kernel requires a plain u32 key). enum sg_stat indexes the same slots.
 * One list, three views: the enum, the struct and the name table. */
#define SG_STATS(X) \
	X(fast_pass)          /* not TCP to a watched port: left untouched */ \
	X(non_ip) \
	X(malformed)          /* truncated or inconsistent headers: passed */ \
	X(ip_fragment)        /* fragments of watched traffic: passed, not parsed */ \
	X(watched_packets) \
	X(watched_bytes)      /* client TCP payload bytes parsed */ \
	X(flows_new) \
	X(flows_midstream)    /* flows picked up without their SYN (when the server sent on them) */ \
	X(flows_closed) \
	X(flow_table_full)    /* a flow could not be created */ \
	X(commands) \
	X(messages)           /* messages whose end of data was seen */ \
	X(recipients) \
	X(bdat_chunks) \
	X(starttls) \
	X(alerts) \
	X(alert_helo) \
	X(alert_mail_from) \
	X(trusted_suppressed) /* an internal domain from a trusted source */ \
	X(blocked_packets)    /* client segments dropped by a block rule */ \
	X(blocked_syns)       /* SYNs from a blocked source: no flow created */ \
	X(events_lost)        /* ring buffer full */ \
	X(retransmits)        /* bytes already parsed: skipped */ \
	X(seq_gaps)           /* bytes missed: parser resynchronised */ \
	X(token_truncated)    /* an address or name longer than SG_TOKEN_MAX */ \
	X(labels_truncated)   /* a name of more than SG_MAX_LABELS labels */ \
	X(bad_commands)       /* a command the parser could not follow */ \
	X(parse_budget)       /* a segment with more actions than one pass handles */ \
	X(tc_packets)         /* server-to-client packets of watched flows */ \
	X(tc_bytes) \
	X(replies_refused)    /* 4xx/5xx to DATA or STARTTLS */ \
	X(bare_lf_dot)        /* a dot line with a bare LF in a message: not its end */ \
	X(alert_header_from) \
	X(header_from_multiple) /* a message with more than one From: header */ \
	X(msg_tail_calls)     /* segments handed to the message program */ \
	X(tail_call_failed)   /* a hand-over that did not happen: parsed in place */ \
	X(alerts_suppressed)  /* alerts past SG_MAX_ALERTS_PER_FLOW: counted, no event */ \
	X(refused_after_pipelining) /* DATA refused after bytes that followed it were read */ \
	X(rst_ignored)        /* RST or FIN out of sequence: not taken (the kernel would not) */ \
	X(syn_on_open_flow)   /* a SYN for a flow that carries data: not a new session */ \
	X(not_to_server)      /* replay --server-net: a session to another host (outbound) */ \
	X(urls)               /* http(s) links seen in message bodies */ \
	X(hosts_checked)      /* link and parameter hosts matched against sg_bad_hosts */ \
	X(alert_bad_host) \
	X(messages_unread)    /* segments whose later messages were past the tail-call budget */ \
	X(mime_parts)         /* MIME parts whose headers were read */ \
	X(mime_parts_skipped) /* parts not read (not text or message): their bytes below */ \
	X(mime_bytes_skipped) /* bytes of skipped parts, preambles and epilogues */ \
	X(qp_bytes)           /* quoted-printable bytes decoded */ \
	X(base64_bytes)       /* base64 bytes decoded */ \
	X(mime_errors)        /* a multipart without boundary, or nested past SG_MIME_DEPTH */ \
	X(part_tail_calls)    /* segments handed between the message and part programs */ \
	X(csum_bad)           /* a wrong TCP checksum: not parsed (the server drops it too) */ \
	X(csum_offloaded)     /* a checksum never filled in (offload on the sender's host) */ \
	X(stream_conflicts)   /* retransmitted bytes that differ from those parsed */ \
	X(ooo_dropped)        /* out-of-order segments dropped (stream_anomaly block) */ \
	X(urgent_data)        /* segments with urgent data (the server takes a byte out) */ \
	X(syns_tracked)       /* SYNs recorded in sg_syns (half-open, not in sg_flows) */ \
	X(handshakes)         /* flows created from a recorded SYN */ \
	X(flows_freed)        /* entries deleted: RST, or FIN from both sides */ \
	X(messages_accepted)  /* messages the server answered 2xx at their end */ \
	X(messages_refused)   /* ... 4xx or 5xx */ \
	X(recipients_refused) /* RCPT answered 4xx or 5xx */ \
	X(tls_started)        /* STARTTLS answered 220: the rest is ciphertext */ \
	X(replies_unmatched)  /* a reply with no command waiting (picked up mid-session) */ \
	X(reply_queue_full)   /* more runs of commands pipelined than SG_REPLY_QUEUE: replies not matched */ \
	X(tcp_discarded)      /* segments the server's TCP discards (no ACK, SYN, ACK of unsent bytes, old timestamp): not read */ \
	X(retrans_unverified) /* retransmitted bytes not acknowledged by the server and past the ring */ \
	X(handshakes_refused) /* handshake ACKs that do not answer the server's SYN-ACK: no flow */ \
	X(pickups_waiting)    /* client data of a session not seen starting: read once the server answers */ \
	X(blocked_rsts)       /* blocked segments turned into a RST that aborts the server's side */ \
	X(rate_exceeded)      /* messages over a source's rate limit */ \
	X(quarantines)        /* sources blocked for a while after their blocked sessions */ \
	X(quarantine_full)    /* a quarantine that found sg_blocked_src full: not made */ \
	X(fail_closed_drops)  /* fail-closed: segments of sessions smtpguard cannot follow, dropped */ \
	X(flow_busy)          /* segments of a session another CPU was reading: data dropped (resent), ACKs passed */ \
	X(flow_guard_stale)   /* a session guard held past SG_GUARD_STALE_NS (a bug): taken over */ \
	X(paws_dropped)       /* segments with an old TCP timestamp dropped unread (stream_anomaly block): resent */

#define SG_STAT_ENUM_(n) SG_STAT_##n,
enum sg_stat {
	SG_STATS(SG_STAT_ENUM_)
	SG_STAT__COUNT,
};
/* the enum constants are upper case by convention in the code */
#define SG_STAT_FIELD_(n) __u64 n;
struct sg_stats {
	SG_STATS(SG_STAT_FIELD_)
};
#define SG_STAT_NAME_(n) #n,
#define SG_STAT_NAMES { SG_STATS(SG_STAT_NAME_) }

/* ---- keys and values ---- */

/* IPv4 addresses are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) everywhere, so
 * one LPM trie and one key layout serve both families. */
struct sg_addr {
	__u8 a[16];
};

struct sg_flow_key {
	struct sg_addr saddr; /* client */
	struct sg_addr daddr; /* server */
	__u16 sport;          /* host byte order */
	__u16 dport;
	__u32 pad;
};

struct sg_flow {
	/* counters (client to server, unless named srv_) */
	__u64 flow_id;
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;
	__u64 srv_packets;
	__u64 srv_bytes;
	/* the session guard (bpf/guard.h): the CPU reading one of the client's
	 * segments (low 12 bits, CPU + 1) and since when (the rest, coarse
	 * monotonic ns); 0 when no CPU is */
	__u64 busy;
	__u32 commands;
	__u32 messages;
	__u32 recipients;
	__u32 alerts;
	/* stream position */
	__u32 next_seq;      /* next client sequence number expected */
	__u32 data_seq;      /* sequence number of the first byte after DATA */
	__u32 srv_next_seq;  /* next server sequence number (TC egress) */
	__u32 msgs_accepted; /* messages the server queued (2xx at their end) */
	__u32 msgs_refused;  /* ... refused (4xx/5xx) */
	/* the replies awaited, oldest first: a ring of runs (a kind and how
	 * many in a row, RCPTs pipelined), written by XDP at rq_tail and read
	 * by TC at rq_head, so neither overwrites what the other wrote */
	__u8 rq_kind[SG_REPLY_QUEUE];
	__u8 rq_count[SG_REPLY_QUEUE];
	__u8 rq_tail;        /* XDP's: runs queued (free-running) */
	__u8 rq_head;        /* TC's: runs answered */
	__u8 rq_used;        /* TC's: replies taken from the run at rq_head */
	__u8 srv_line_n;     /* bytes of the server's current line start kept below */
	__u8 ring_n;         /* valid bytes in ring, ending at next_seq */
	__u8 pad4;
	__u32 srv_line;      /* the first bytes of a reply line cut by a segment end */
	__u32 srv_pos;       /* scan position in the current server packet (scratch) */
	__u32 srv_end;       /* its payload's end (scratch) */
	/* the server's verdicts, written by TC only and taken up by XDP at the
	 * client's next segment (two CPUs must not both write phase and state) */
	__u32 data_refused_seq; /* the DATA refused last: its data_seq */
	__u32 rcpt_refused;  /* RCPT commands refused (recipients counts them all) */
	__u8 data_refused_n; /* DATA refusals (TC's count) */
	__u8 data_refused_seen; /* ... taken up (XDP's) */
	__u8 srv_tls;        /* STARTTLS was answered 220 */
	__u8 srv_flags;      /* enum sg_srv_flags: TC's own (see there) */
	__u32 seg_start;     /* where the server's stream ended before this segment */
	__u32 ts_recent;     /* the client's timestamp the server keeps (PAWS) */
	__u32 srv_acked;     /* the server's last ACK: what its TCP has taken (TC) */
	__u8 ring[32];       /* the last client bytes parsed, at ring[seq & 31]: a
			      * retransmission is compared with them */
	__u64 tail8;         /* the last 8 message bytes of the previous segment */
	__u32 flags;         /* enum sg_flow_flags */
	enum sg_phase phase;
	/* command parser (state as small integers: see bpf/smtp_dfa.h) */
	__u8 state;          /* DFA state */
	__u8 where;          /* enum sg_where of the name being read */
	__u8 nlabels;        /* labels pushed for the current name */
	__u8 tok_len;
	__u8 helo_len;
	__u8 bdat_last;      /* the BDAT line carried LAST */
	__u8 pad5;
	__u8 cmt_depth;      /* nesting of (comments) in the address being read */
	__u8 mstate;         /* message machine state (bpf/message.h) */
	__u8 dom_pending;    /* a domain started ('@') and was not matched yet */
	__u8 from_headers;   /* From: headers in the current message */
	__u8 tail_left;      /* tail calls the current segment may still make */
	__u16 seg_urls;      /* links and hosts the current segment's scan matched: */
	__u16 seg_hosts;     /* added to sg_stats once a program run (scratch) */
	__u16 pos;           /* scan position in the current packet (scratch) */
	__u16 end;           /* end of the current payload (scratch) */
	__u16 pad1[2];
	__u64 label_hash;    /* FNV-1a of the current label */
	__u64 labels[SG_MAX_LABELS];
	__u64 bdat_left;     /* bytes of the current BDAT chunk still to come */
	/* MIME (bpf/mime.h, bpf/part.h) */
	__u8 mmode;          /* enum sg_mmode: the program that reads the current part */
	__u8 mdepth;         /* open multiparts: their boundaries in bnd[] */
	__u8 part_ct;        /* what the Content-Type being read says (mime.h) */
	__u8 part_cte;       /* what the Content-Transfer-Encoding says */
	__u8 mv_stage;       /* where in a Content-Type value the reader is */
	__u8 mv_hdr;         /* the MIME header being read: 1 type, 2 encoding */
	__u8 pstate;         /* the part machine's state (QP, base64, skipped) */
	__u8 p_prev;         /* the raw byte before the part machine's position */
	__u8 b64_n;          /* base64 characters in the open quantum */
	__u8 bnd_n;          /* bytes of a "--" line read so far */
	__u8 bnd_level;      /* the boundary line found: its multipart, */
	__u8 bnd_close;      /* whether it closes it, */
	__u16 bnd_next;      /* the position after it, */
	__u8 bnd_lf;         /* and whether its LF is still to come */
	__u8 pend;           /* a boundary or the end of data waits for the link pass */
	__u32 b64_acc;       /* the open quantum's bits */
	__u32 mv_is_bnd;     /* the Content-Type parameter being read is boundary= */
	__u64 bnd_h;         /* the "--" line's hash so far */
	__u64 bnd_hend;      /* ... up to its last non-blank byte */
	__u64 part_bnd;      /* the boundary parameter of the headers being read */
	__u64 bnd[SG_MIME_DEPTH]; /* the open multiparts' boundaries, hashed */
	__u64 dtail8;        /* the last 8 decoded bytes of the current part */
	char token[SG_TOKEN_MAX] SG_ALIGNED8;
	char helo[SG_HELO_MAX] SG_ALIGNED8;
};

/* Policy names (sg_own_domains, sg_bad_hosts): generation-tagged keys make
 * `policy apply` atomic: the new set is written under generation g+1, then
 * sg_config's generation flips, then generation g is deleted. */
struct sg_name_key {
	__u64 hash; /* suffix hash of the normalised name */
	__u32 gen;
	__u32 pad;
};

struct sg_name_val {
	__u32 id;       /* config line or add order: stable for the operator */
	__u32 labels;
	char name[SG_NAME_MAX] SG_ALIGNED8;
};

/* LPM key for sg_trusted_nets and sg_blocked_src: prefixlen counts the 32
 * generation bits, so gen=g, 198.51.100.0/24 is prefixlen 32 + 96 + 24. */
struct sg_lpm_key {
	__u32 prefixlen;
	__u32 gen;            /* always matched in full (prefixlen >= 32) */
	struct sg_addr addr;
};

struct sg_net_val {
	__u32 id;
	__u32 prefix;         /* the configured prefix length (v4 or v6 terms) */
	__u64 expires_ns;     /* blocked-source: CLOCK_MONOTONIC expiry, 0 = never */
};

/* Per source address. The rate window is a sliding minute estimated from
 * two fixed ones: the minute that began at win_start_ns and the one before
 * it, weighted by how much of it still lies within the last 60 s. A burst
 * from a quiet source starts a window at its first message, so exactly
 * rate-limit messages pass in its first minute. */
struct sg_source {
	__u64 first_ns;
	__u64 last_ns;
	__u64 messages;
	__u64 recipients;
	__u64 alerts;
	__u64 flows;
	__u64 win_start_ns;   /* sg_now() when the current minute began */
	/* the counts below are 64-bit for BPF's atomic add-and-fetch and swap
	 * (32-bit ones need -mcpu=v3, which the programs do not verify under):
	 * every session of the source writes them, from any CPU (bpf/rate.h) */
	__u64 win_messages;   /* messages that ended in the current minute */
	__u64 prev_messages;  /* ... in the minute before it */
	__u64 win_recipients;
	__u64 prev_recipients;
	__u64 rate_exceeded;  /* messages over the rate limit */
	__u64 blocked;        /* sessions of this source cut off by a block rule */
	__u64 qwin_start_ns;  /* quarantine: when its count of blocks began */
	__u64 qwin_blocks;    /* blocks since then */
	__u64 quarantines;    /* times this source was quarantined */
};

struct sg_config {
	__u32 generation;     /* policy generation in force */
	__u32 nports;
	__u16 ports[SG_MAX_PORTS];
	enum sg_action actions[SG_REASON__COUNT];
	__u32 rate_limit_per_min; /* 0 = none */
	__u32 fail_closed;    /* watched flows the inspector cannot follow are cut off */
	__u32 own_domains;    /* entries in force, for status */
	__u32 bad_hosts;
	__u32 trusted_nets;
	__u32 blocked_sources;
	__u32 server_nets;    /* replay --server-net: only sessions to these are read */
	__u32 bad_one_label;  /* a bad-host of one label (or an IPv4 one's one-number
			       * spelling): link parameter values without a dot are
			       * matched too (else they are skipped, cheaply) */
	__u32 csum_mode;      /* enum sg_csum_mode */
	__u32 csum_lax_if[SG_MAX_IFACES]; /* auto: ifindexes of virtual links (load) */
	__u32 quarantine_blocks;   /* N blocked sessions of a source ... (0 = off) */
	__u32 quarantine_within_s; /* ... within T seconds ... */
	__u32 quarantine_for_s;    /* ... block the source for D seconds */
	__u32 blocked_epoch;  /* counts userspace changes of sg_blocked_src: a
			       * memo (sg_block_memo) of another epoch is void */
};

/* What a SYN from a blocked source learned of sg_blocked_src, kept per CPU
 * so that the next SYN of a flood from it is dropped without a trie lookup:
 * the source (or its /24 | /64, when one live entry covers all of it) is
 * blocked until expires_ns, as long as the generation and blocked_epoch
 * in force are the ones in stamp. Only blocks are remembered: an entry
 * added later needs no memo to be seen. */
struct sg_block_memo {
	__u64 stamp;          /* (generation << 32 | blocked_epoch) + 1 */
	struct sg_addr addr;
	__u64 expires_ns;     /* of the entry that blocks it; 0 = never */
};
#define SG_BLOCK_MEMO_SLOTS 256 /* each kind: sources, and their /24 | /64 */

/* sg_net_val.id of a blocked-source entry the kernel made (quarantine);
 * entries from the policy count from 1 */
#define SG_NET_ID_QUARANTINE 0

/* a SYN seen, its flow not established yet (sg_syns): a SYN flood churns
 * this table, never sg_flows */
struct sg_syn {
	__u32 isn;            /* the client's initial sequence number */
	__u32 srv_isn;        /* the server's, from its SYN-ACK (flags & SG_SYN_ANSWERED) */
	__u64 ts_ns;
	__u32 flags;          /* enum sg_syn_flags */
	__u32 tsval;          /* the SYN's TCP timestamp (SG_SYN_TS): PAWS starts there */
};

enum sg_syn_flags {
	SG_SYN_TS       = 1 << 0, /* the client's SYN offered TCP timestamps */
	SG_SYN_LAX      = 1 << 1, /* its checksum was left unfilled (a local sender) */
	SG_SYN_ANSWERED = 1 << 2, /* the server's SYN-ACK was seen: isn is the one it took */
	SG_SYN_SRV_TS   = 1 << 3, /* the SYN-ACK carried timestamps too */
};

/* ---- events (ring buffer sg_events) ---- */
struct sg_event {
	__u64 ts_ns;          /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 flow_id;
	struct sg_addr saddr;
	struct sg_addr daddr;
	__u16 sport;
	__u16 dport;
	__u8 reason;          /* enum sg_reason */
	__u8 where;           /* enum sg_where */
	__u8 action;          /* enum sg_action that was applied */
	__u8 value_len;
	__u8 helo_len;
	__u8 truncated;       /* value was cut at SG_TOKEN_MAX */
	__u16 pad;
	__u32 policy_id;
	__u32 count;          /* rate_exceeded: messages in the last minute;
			       * source_quarantined: blocked sessions */
	__u32 limit;          /* rate_exceeded: the limit per minute;
			       * source_quarantined: seconds blocked */
	char match[SG_NAME_MAX] SG_ALIGNED8;
	char value[SG_TOKEN_MAX] SG_ALIGNED8;
	char helo[SG_HELO_MAX] SG_ALIGNED8;
};

/* A generated parser (bpf/gen_dfa.c): the BPF programs keep one for the
 * commands and one for the message in a writable data section. */
#define SG_DFA_NCLS       64
#define SG_DFA_MAX_STATES 256
struct sg_machine {
	__u32 dfa[SG_DFA_MAX_STATES * SG_DFA_NCLS]; /* next state, flags, action */
	__u16 skip[SG_DFA_MAX_STATES]; /* SWAR skip mode of a state: see scan.h (0: none) */
	__u8 cls[256];                 /* byte class */
	__u8 ret[SG_DFA_MAX_STATES];   /* comment state -> the state ')' returns to */
};

/* signature ids, fixed per (reason, where) and documented in the README */
static inline __u32 sg_signature_id(__u8 reason, __u8 where)
{
	switch (reason) {
	case SG_REASON_SPOOFED_INTERNAL_DOMAIN:
		return where == SG_WHERE_HELO ? 9100002 :
		       where == SG_WHERE_HEADER_FROM ? 9100003 : 9100001;
	case SG_REASON_BAD_REDIRECT_HOST:
		return 9100004;
	case SG_REASON_RATE_EXCEEDED:
		return 9100005;
	case SG_REASON_STREAM_ANOMALY:
		return 9100006;
	case SG_REASON_SOURCE_QUARANTINED:
		return 9100007;
	}
	return 9100000;
}

#ifndef __BPF__
_Static_assert(sizeof(struct sg_flow_key) == 40, "flow key layout");
_Static_assert(sizeof(struct sg_stats) == SG_STAT__COUNT * sizeof(__u64), "stats layout");
_Static_assert(sizeof(struct sg_name_key) == 16, "name key layout");
_Static_assert(sizeof(struct sg_lpm_key) == 24, "lpm key layout");
_Static_assert(sizeof(struct sg_event) % 8 == 0, "event alignment");
_Static_assert(SG_TOKEN_MAX <= 255 && SG_HELO_MAX <= 255, "lengths fit a __u8");
#endif

#endif /* SMTPGUARD_H */
