// SPDX-License-Identifier: GPL-2.0
/*
 * capture.c - pcap and pcapng files, read through libpcap, handed out as
 * Ethernet frames whatever link type they were taken on (see capture.h).
 *
 * Every non-Ethernet link header is replaced by a 14-byte Ethernet header with
 * zero MACs and the ethertype the link header implies, so the BPF programs
 * see what a NIC would give them. Nothing here trusts a length it was not
 * given by libpcap: a record too short for its link header is skipped and
 * counted, never read past.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>

#include "capture.h"

#define SG_ETH_P_IP	0x0800
#define SG_ETH_P_IPV6	0x86DD
#define SG_ETH_P_8021Q	0x8100
#define SG_ETH_P_8021AD	0x88A8
#define SG_ETH_P_QINQ1	0x9100	/* pre-802.1ad double tagging */

#define SG_ARPHRD_ETHER	1

/* Link types that libpcap reports as they are stored, not as DLT_RAW. */
#define SG_DLT_RAW_BSDOS	14	/* raw IP in OpenBSD's and BSD/OS's numbering */
#define SG_LINKTYPE_RAW		101	/* the file value; libpcap maps it to DLT_RAW */

/* AF_INET6 as the BSDs write it into DLT_NULL/DLT_LOOP headers. */
#define SG_AF_INET6_BSD		24	/* NetBSD, OpenBSD, BSD/OS */
#define SG_AF_INET6_FREEBSD	28	/* FreeBSD, DragonFly */
#define SG_AF_INET6_DARWIN	30	/* macOS */
#define SG_AF_INET6_LINUX	10

#define SG_ERR_MAX 512

struct sg_capture {
	pcap_t *pcap;
	char *path;		/* as given, for messages */
	int dlt;
	__u32 records;		/* records read, skipped ones included */
	__u64 skipped;
	int error;		/* <0 once a read failed: the error repeats */
	char errmsg[SG_ERR_MAX];
	__u8 frame[SG_CAP_FRAME_MAX];
};

/* What a link header says: how long it is and which ethertype follows it. */
struct sg_link {
	__u32 hlen;		/* bytes before the network layer */
	__u16 proto;		/* ethertype of the network layer */
};

static inline __u16 sg_get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 sg_get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void sg_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void sg_put32(__u8 *p, __u32 v)
{
	sg_put16(p, v >> 16);
	sg_put16(p + 2, v & 0xffff);
}

/* err is optional everywhere: callers that only want the status pass NULL. */
__attribute__((format(printf, 3, 4)))
static void sg_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- link headers to ethertypes ---- */

static int sg_is_vlan(__u16 proto)
{
	return proto == SG_ETH_P_8021Q || proto == SG_ETH_P_8021AD || proto == SG_ETH_P_QINQ1;
}

/* Raw IP carries no type field: the version nibble is all there is. Anything
 * else gets ethertype 0, which the BPF program counts as non-IP and passes. */
static __u16 sg_ip_proto(const __u8 *l3)
{
	switch (l3[0] >> 4) {
	case 4:
		return SG_ETH_P_IP;
	case 6:
		return SG_ETH_P_IPV6;
	}
	return 0;
}

/*
 * DLT_NULL holds the AF_ value in the byte order of the host that captured,
 * which the file does not record; DLT_LOOP should be big-endian but is not
 * always. AF_ values fit in 16 bits, so a value with high bits set was
 * written in the other order.
 */
static __u32 sg_af_value(const __u8 *p)
{
	__u32 be = sg_get32(p);

	return be > 0xffff ? __builtin_bswap32(be) : be;
}

static __u16 sg_af_proto(__u32 af)
{
	switch (af) {
	case AF_INET:
		return SG_ETH_P_IP;
	case SG_AF_INET6_LINUX:
	case SG_AF_INET6_BSD:
	case SG_AF_INET6_FREEBSD:
	case SG_AF_INET6_DARWIN:
		return SG_ETH_P_IPV6;
	}
	/* An unknown family stays non-IP: below 0x600 an ethertype is an 802.3
	 * length, which no parser takes for IP. */
	return af < 0x600 ? af : 0;
}

static int sg_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case SG_DLT_RAW_BSDOS:
	case SG_LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 1;
	}
	return 0;
}

/* Decode one record's link header; -1 when the record is too short for it. */
static int sg_link_decode(int dlt, const __u8 *d, __u32 caplen, struct sg_link *l)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < SG_CAP_ETH_HLEN)
			return -1;
		l->hlen = 0;
		l->proto = sg_get16(d + 12);
		return 0;
	case DLT_LINUX_SLL:
		/* the protocol field is the header's last two bytes, so a VLAN
		 * tag libpcap put after it reads as it would in Ethernet */
		if (caplen < SLL_HDR_LEN)
			return -1;
		l->hlen = SLL_HDR_LEN;
		l->proto = sg_get16(d + 14);
		return 0;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return -1;
		l->hlen = SLL2_HDR_LEN;
		l->proto = sg_get16(d);
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		if (caplen < 4)
			return -1;
		l->hlen = 4;
		l->proto = sg_af_proto(sg_af_value(d));
		return 0;
	}
	/* raw IP in its several numberings: at least the version byte */
	if (caplen < 1)
		return -1;
	l->hlen = 0;
	l->proto = sg_ip_proto(d);
	return 0;
}

/* ---- opening ---- */

static int sg_known_magic(__u32 m)
{
	static const __u32 magics[] = {
		0xa1b2c3d4,	/* pcap, microseconds */
		0xa1b23c4d,	/* pcap, nanoseconds */
		0xa1b2cd34,	/* Kuznetzov's modified pcap */
		0x0a0d0d0a,	/* pcapng section header block */
	};

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (m == magics[i] || m == __builtin_bswap32(magics[i]))
			return 1;
	return 0;
}

/*
 * libpcap's open failed. Its messages speak of "dump files"; say instead
 * whether this is no capture at all or a capture with a broken header, by
 * looking at the first four bytes ourselves (only to word the error).
 */
static int sg_open_error(const char *path, FILE *fp, const char *msg, char *err, size_t errlen)
{
	int hit_eof = feof(fp);
	__u32 magic = 0;
	size_t n;

	if (fseek(fp, 0, SEEK_SET) != 0) {
		/* a pipe cannot be rewound: go by libpcap's words */
		if (strstr(msg, "unknown file format"))
			sg_errf(err, errlen, "%s: not a pcap or pcapng capture", path);
		else if (hit_eof)
			sg_errf(err, errlen, "%s: input ended inside the capture header", path);
		else
			sg_errf(err, errlen, "%s: bad capture header: %s", path, msg);
		return -EINVAL;
	}
	n = fread(&magic, 1, sizeof(magic), fp);
	if (n < sizeof(magic) || !sg_known_magic(magic)) {
		sg_errf(err, errlen, "%s: not a pcap or pcapng capture", path);
		return -EINVAL;
	}
	if (hit_eof)
		sg_errf(err, errlen, "%s: truncated capture header", path);
	else
		sg_errf(err, errlen, "%s: bad capture header: %s", path, msg);
	return -EINVAL;
}

/* "-" is standard input, as for tcpdump -r, so a capture can be piped in. */
static FILE *sg_open_file(const char *path, char *err, size_t errlen, int *rc)
{
	struct stat st;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		return stdin;
	fp = fopen(path, "rb");
	if (!fp) {
		*rc = -errno;
		sg_errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* fopen() opens a directory; reading it fails later with a worse message */
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		*rc = -EISDIR;
		sg_errf(err, errlen, "%s: %s", path, strerror(EISDIR));
		return NULL;
	}
	return fp;
}

int sg_capture_open(const char *path, struct sg_capture **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct sg_capture *c;
	pcap_t *p;
	FILE *fp;
	int rc = -EINVAL;

	*out = NULL;
	fp = sg_open_file(path, err, errlen, &rc);
	if (!fp)
		return rc;
	/* nanosecond precision: libpcap scales microsecond files up, exactly */
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		rc = sg_open_error(path, fp, ebuf, err, errlen);
		if (fp != stdin)
			fclose(fp);
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->path = strdup(path);
	if (!c || !c->path) {
		free(c);
		pcap_close(p);
		sg_errf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	c->pcap = p;	/* pcap_close() closes fp (but never stdin) */
	c->dlt = pcap_datalink(p);
	if (!sg_dlt_supported(c->dlt)) {
		sg_errf(err, errlen, "%s: unsupported link type %s (%d)", path,
			sg_capture_linktype_name(c), c->dlt);
		sg_capture_close(c);
		return -EPROTONOSUPPORT;
	}
	*out = c;
	return 0;
}

void sg_capture_close(struct sg_capture *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	free(c->path);
	free(c);
}

const char *sg_capture_linktype_name(const struct sg_capture *c)
{
	const char *name;

	/* libpcap has no name for these numbers as they appear in files */
	if (c->dlt == SG_DLT_RAW_BSDOS || c->dlt == SG_LINKTYPE_RAW)
		return "RAW";
	name = pcap_datalink_val_to_name(c->dlt);
	return name ? name : "unknown";
}

int sg_capture_linktype(const struct sg_capture *c)
{
	return c->dlt;
}

__u64 sg_capture_skipped(const struct sg_capture *c)
{
	return c->skipped;
}

/* ---- reading ---- */

/*
 * A failed read: if libpcap hit the end of the file the capture was cut
 * (a copy still being written, a full disk); anything else is a damaged
 * record. Either way the caller gets every packet before it.
 */
static int sg_read_error(struct sg_capture *c, char *err, size_t errlen)
{
	FILE *fp = pcap_file(c->pcap);

	if (fp && feof(fp))
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: truncated capture after packet %u",
			 c->path, c->records);
	else
		snprintf(c->errmsg, sizeof(c->errmsg), "%s: unreadable record after packet %u: %s",
			 c->path, c->records, pcap_geterr(c->pcap));
	c->error = -EIO;
	sg_errf(err, errlen, "%s", c->errmsg);
	return c->error;
}

static __u32 sg_clamp32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

/* Fill pkt from one record whose link header l describes. */
static void sg_fill(struct sg_capture *c, const struct pcap_pkthdr *h, const __u8 *d,
		    const struct sg_link *l, struct sg_cap_pkt *pkt)
{
	__u32 body = h->caplen - l->hlen;	/* bytes after the link header */
	__u64 orig;
	int cut;

	if (c->dlt == DLT_EN10MB) {
		/* already Ethernet: hand out libpcap's buffer, no copy */
		cut = h->caplen > SG_CAP_FRAME_MAX;
		pkt->frame = d;
		pkt->len = cut ? SG_CAP_FRAME_MAX : h->caplen;
	} else {
		cut = body > SG_CAP_FRAME_MAX - SG_CAP_ETH_HLEN;
		if (cut)
			body = SG_CAP_FRAME_MAX - SG_CAP_ETH_HLEN;
		memset(c->frame, 0, 12);
		sg_put16(c->frame + 12, l->proto);
		memcpy(c->frame + SG_CAP_ETH_HLEN, d + l->hlen, body);
		pkt->frame = c->frame;
		pkt->len = SG_CAP_ETH_HLEN + body;
	}
	/* the wire length changes by what the link header did; a record that
	 * claims less on the wire than was captured is taken at its caplen */
	orig = h->len > h->caplen ? h->len : h->caplen;
	orig = orig - l->hlen + (c->dlt == DLT_EN10MB ? 0 : SG_CAP_ETH_HLEN);
	pkt->orig_len = sg_clamp32(orig);
	pkt->truncated = cut || h->caplen < h->len;
	pkt->ts.tv_sec = h->ts.tv_sec;
	pkt->ts.tv_nsec = h->ts.tv_usec;	/* nanoseconds: opened with _NANO */
	pkt->index = c->records;
}

int sg_capture_next(struct sg_capture *c, struct sg_cap_pkt *pkt, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	struct sg_link l;
	int rc;

	if (c->error) {
		sg_errf(err, errlen, "%s", c->errmsg);
		return c->error;
	}
	for (;;) {
		rc = pcap_next_ex(c->pcap, &h, &d);
		/* 0 is a live capture's timeout: a file never returns it */
		if (rc == PCAP_ERROR_BREAK || rc == 0)
			return 0;
		if (rc < 0)
			return sg_read_error(c, err, errlen);
		c->records++;
		if (sg_link_decode(c->dlt, d, h->caplen, &l) == 0)
			break;
		c->skipped++;
	}
	sg_fill(c, h, d, &l, pkt);
	return 1;
}

/* ---- Ethernet to other link types (for pcapconv and the tests) ---- */

/* Offset of the network layer after any VLAN tags, and its ethertype. */
static int sg_eth_l3(const __u8 *eth, __u32 len, __u16 *proto)
{
	__u32 off = 12;

	for (;;) {
		if (off + 2 > len)
			return -EINVAL;
		*proto = sg_get16(eth + off);
		if (!sg_is_vlan(*proto))
			return (int)(off + 2);
		off += 4;
	}
}

int sg_capture_ip_version(const __u8 *eth, __u32 len)
{
	__u16 proto;

	if (sg_eth_l3(eth, len, &proto) < 0)
		return 0;
	return proto == SG_ETH_P_IP ? 4 : proto == SG_ETH_P_IPV6 ? 6 : 0;
}

/* SLL and SLL2 keep everything from the ethertype on, tags included. */
static int sg_encap_sll(int dlt, const __u8 *eth, __u32 len, __u8 *out, __u32 outcap)
{
	__u32 hlen = dlt == DLT_LINUX_SLL ? SLL_HDR_LEN : SLL2_HDR_LEN;
	__u32 n = hlen + len - SG_CAP_ETH_HLEN;
	__u8 *addr;

	if (n > outcap)
		return -ENOSPC;
	memset(out, 0, hlen);
	if (dlt == DLT_LINUX_SLL) {
		sg_put16(out, LINUX_SLL_HOST);
		sg_put16(out + 2, SG_ARPHRD_ETHER);
		sg_put16(out + 4, 6);
		addr = out + 6;
		sg_put16(out + 14, sg_get16(eth + 12));
	} else {
		sg_put16(out, sg_get16(eth + 12));
		sg_put32(out + 4, 2);	/* an ifindex: eth0's, usually */
		sg_put16(out + 8, SG_ARPHRD_ETHER);
		out[10] = LINUX_SLL_HOST;
		out[11] = 6;
		addr = out + 12;
	}
	memcpy(addr, eth + 6, 6);	/* the sender's MAC, as Linux records it */
	memcpy(out + hlen, eth + SG_CAP_ETH_HLEN, len - SG_CAP_ETH_HLEN);
	return (int)n;
}

/* The bare-IP types and NULL/LOOP: tags dropped, one 4-byte AF_ at most. */
static int sg_encap_l3(int dlt, const __u8 *eth, __u32 len, __u8 *out, __u32 outcap)
{
	__u32 hlen = dlt == DLT_NULL || dlt == DLT_LOOP ? 4 : 0;
	__u32 af, body, n;
	__u16 proto;
	int l3;

	l3 = sg_eth_l3(eth, len, &proto);
	if (l3 < 0)
		return l3;
	if (proto != SG_ETH_P_IP && proto != SG_ETH_P_IPV6)
		return -EPROTONOSUPPORT;
	if ((dlt == DLT_IPV4 && proto != SG_ETH_P_IP) ||
	    (dlt == DLT_IPV6 && proto != SG_ETH_P_IPV6))
		return -EPROTONOSUPPORT;
	body = len - (__u32)l3;
	/* bare IP says what it is by its first byte: it needs one */
	if (!hlen && !body)
		return -EINVAL;
	n = hlen + body;
	if (n > outcap)
		return -ENOSPC;
	if (dlt == DLT_NULL) {
		/* host order, as the capturing host writes it */
		af = proto == SG_ETH_P_IP ? AF_INET : AF_INET6;
		memcpy(out, &af, 4);
	} else if (dlt == DLT_LOOP) {
		/* OpenBSD's link type, so OpenBSD's AF_INET6 */
		sg_put32(out, proto == SG_ETH_P_IP ? AF_INET : SG_AF_INET6_BSD);
	}
	memcpy(out + hlen, eth + l3, body);
	return (int)n;
}

int sg_capture_encap(int dlt, const __u8 *eth, __u32 len, __u8 *out, __u32 outcap)
{
	if (len < SG_CAP_ETH_HLEN)
		return -EINVAL;
	switch (dlt) {
	case DLT_EN10MB:
		if (len > outcap)
			return -ENOSPC;
		memcpy(out, eth, len);
		return (int)len;
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return sg_encap_sll(dlt, eth, len, out, outcap);
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return sg_encap_l3(dlt, eth, len, out, outcap);
	}
	return -EAFNOSUPPORT;
}
