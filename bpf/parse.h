/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - Ethernet (up to two VLAN tags), IPv4 (with options), IPv6 (with
 * extension headers) and TCP, over a (data, data_end) window so that XDP and
 * TC share it. Every parse_* bounds-checks and returns 0 or a negative
 * reason; nothing here touches maps.
 */
#ifndef SG_PARSE_H
#define SG_PARSE_H

#define ETH_P_IP_BE     bpf_htons(0x0800)
#define ETH_P_IPV6_BE   bpf_htons(0x86DD)
#define ETH_P_8021Q_BE  bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88A8)
#define SG_IPPROTO_TCP  6
#define SG_MAX_V6_EXT   8   /* extension headers walked; a longer chain is malformed */

enum sg_parse_err {
	SG_PARSE_OK = 0,
	SG_PARSE_NOT_IP = -1,   /* not IPv4/IPv6: not ours */
	SG_PARSE_NOT_TCP = -2,  /* not TCP: not ours */
	SG_PARSE_BAD = -3,      /* truncated or inconsistent: counted as malformed */
	SG_PARSE_FRAG = -4,     /* an IP fragment: the TCP header may be absent */
};

struct sg_pkt {
	struct sg_flow_key key;  /* src = sender of this packet */
	__u32 l4_off;            /* TCP header offset from data */
	__u32 payload_off;       /* TCP payload offset from data */
	__u32 payload_len;       /* from the IP length: Ethernet padding excluded */
	__u32 seq;
	__u32 ack;
	__u16 urg_ptr;
	__u8 tcp_flags;
	__u8 frag_first;         /* SG_PARSE_FRAG: this is the first fragment */
	__u8 v6;                 /* an IPv6 packet (for the checksum's pseudo-header) */
	__u8 v6_opts;            /* it carries hop-by-hop or destination options */
	__u8 doff;               /* TCP header length, bytes */
	__u32 l3_off;            /* IP header offset from data */
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

static __always_inline void sg_addr_from_v4(struct sg_addr *a, __u32 v4)
{
	__u32 *w = (__u32 *)a->a;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = v4;
}

static __always_inline int parse_eth(void *data, void *data_end, __u32 *off, __u16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_hdr {
		__be16 tci;
		__be16 proto;
	} *vh;
	__u16 p;

	if ((void *)(eth + 1) > data_end)
		return SG_PARSE_BAD;
	p = eth->h_proto;
	*off = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (p != ETH_P_8021Q_BE && p != ETH_P_8021AD_BE)
			break;
		vh = data + *off;
		if ((void *)(vh + 1) > data_end)
			return SG_PARSE_BAD;
		p = vh->proto;
		*off += sizeof(*vh);
	}
	*proto = p;
	return SG_PARSE_OK;
}

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 off, struct sg_pkt *pk,
				      __u32 *l3_end, int whole)
{
	struct iphdr *ip = data + off;
	__u32 ihl, tot;

	if ((void *)(ip + 1) > data_end)
		return SG_PARSE_BAD;
	if (ip->protocol != SG_IPPROTO_TCP)
		return SG_PARSE_NOT_TCP;
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || ihl < sizeof(*ip) || tot < ihl)
		return SG_PARSE_BAD;
	if (whole && data + off + tot > data_end)
		return SG_PARSE_BAD;
	pk->l3_off = off;
	sg_addr_from_v4(&pk->key.saddr, ip->saddr);
	sg_addr_from_v4(&pk->key.daddr, ip->daddr);
	pk->l4_off = off + ihl;
	*l3_end = off + tot;
	/* MF set or a fragment offset: the TCP header is whole only in the first */
	if (ip->frag_off & bpf_htons(0x3fff)) {
		pk->frag_first = !(ip->frag_off & bpf_htons(0x1fff));
		return SG_PARSE_FRAG;
	}
	return SG_PARSE_OK;
}

/* the six option bytes of an 8-byte hop-by-hop or destination options
 * header at off: all Pad1, or one PadN over them */
static __always_inline int sg_v6_padding(void *data, void *data_end, __u32 off)
{
	__u8 *o = data + (off & 0x3fff);

	if ((void *)(o + 8) > data_end)
		return 0;
	if (o[2] == 1 && o[3] == 4)
		return 1;
	return !(o[2] | o[3] | o[4] | o[5] | o[6] | o[7]);
}

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 off, struct sg_pkt *pk,
				      __u32 *l3_end, int whole)
{
	struct ipv6hdr *ip6 = data + off;
	__u8 nh;
	__u32 l4;
	int frag = 0;

	if ((void *)(ip6 + 1) > data_end)
		return SG_PARSE_BAD;
	if (whole && data + off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > data_end)
		return SG_PARSE_BAD;
	pk->v6 = 1;
	pk->l3_off = off;
	__builtin_memcpy(pk->key.saddr.a, &ip6->saddr, 16);
	__builtin_memcpy(pk->key.daddr.a, &ip6->daddr, 16);
	*l3_end = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	l4 = off + sizeof(*ip6);
#pragma unroll
	for (int i = 0; i < SG_MAX_V6_EXT; i++) {
		struct {
			__u8 nh;
			__u8 len;
			__be16 frag_off; /* fragment header only */
		} *ext = data + (l4 & 0x3fff);

		if (nh == SG_IPPROTO_TCP) {
			pk->l4_off = l4;
			return frag ? SG_PARSE_FRAG : SG_PARSE_OK;
		}
		if ((void *)(ext + 1) > data_end)
			return SG_PARSE_BAD;
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 60:  /* destination options */
			/* options Linux may act on (or drop the packet for):
			 * SMTP never needs them, so the segment is not read;
			 * an 8-byte header of padding only (Pad1s, one PadN)
			 * is read */
			if (ext->len || !sg_v6_padding(data, data_end, l4))
				pk->v6_opts = 1;
			l4 += (ext->len + 1) * 8;
			break;
		case 43:  /* routing */
			l4 += (ext->len + 1) * 8;
			break;
		case 51:  /* AH: length in 4-byte units, minus 2 */
			l4 += (ext->len + 2) * 4;
			break;
		case 44:  /* fragment */
			/* an atomic fragment (offset 0, no more) is a whole packet,
			 * which the kernel reads as such (RFC 6946) */
			if (!(ext->frag_off & bpf_htons(0xfff9))) {
				l4 += 8;
				break;
			}
			/* a fragment: of TCP or not, the first one names the
			 * ports after whatever headers follow it */
			pk->frag_first = !(ext->frag_off & bpf_htons(0xfff8));
			if (!pk->frag_first)
				return SG_PARSE_FRAG;
			frag = 1;
			l4 += 8;
			break;
		default:
			return SG_PARSE_NOT_TCP;
		}
		nh = ext->nh;
	}
	return nh == SG_IPPROTO_TCP ? SG_PARSE_BAD : SG_PARSE_NOT_TCP;
}

static __always_inline int parse_tcp(void *data, void *data_end, struct sg_pkt *pk, __u32 l3_end)
{
	struct tcphdr *th = data + (pk->l4_off & 0x3fff);
	__u32 doff;

	if ((void *)(th + 1) > data_end)
		return SG_PARSE_BAD;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || pk->l4_off + doff > l3_end)
		return SG_PARSE_BAD;
	pk->key.sport = bpf_ntohs(th->source);
	pk->key.dport = bpf_ntohs(th->dest);
	pk->seq = bpf_ntohl(th->seq);
	pk->ack = bpf_ntohl(th->ack_seq);
	pk->urg_ptr = bpf_ntohs(th->urg_ptr);
	pk->tcp_flags = ((__u8 *)th)[13];
	pk->doff = doff;
	pk->payload_off = pk->l4_off + doff;
	pk->payload_len = l3_end - pk->payload_off;
	return SG_PARSE_OK;
}

/* Parses a frame down to the TCP payload. Returns 0 or an sg_parse_err.
 * whole: the whole IP packet must be in [data, data_end) (XDP); TC egress
 * skbs keep their payload in page fragments, so TC parses headers only. */
static __always_inline int sg_parse(void *data, void *data_end, struct sg_pkt *pk, int whole)
{
	__u32 off = 0, l3_end = 0;
	__u16 proto = 0;
	int err;

	err = parse_eth(data, data_end, &off, &proto);
	if (err)
		return err;
	if (proto == ETH_P_IP_BE)
		err = parse_ipv4(data, data_end, off, pk, &l3_end, whole);
	else if (proto == ETH_P_IPV6_BE)
		err = parse_ipv6(data, data_end, off, pk, &l3_end, whole);
	else
		return SG_PARSE_NOT_IP;
	if (err == SG_PARSE_FRAG && pk->frag_first) {
		/* the first fragment carries the ports (in its first 4 bytes:
		 * a tiny first fragment must not hide them) */
		__be16 *th = data + (pk->l4_off & 0x3fff);

		if ((void *)(th + 2) <= data_end) {
			pk->key.sport = bpf_ntohs(th[0]);
			pk->key.dport = bpf_ntohs(th[1]);
		}
	}
	if (err)
		return err;
	return parse_tcp(data, data_end, pk, l3_end);
}

#endif
