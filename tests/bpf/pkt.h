/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - the one packet builder of the BPF tests and the benchmark:
 * Ethernet (0-2 VLAN tags) / IPv4 or IPv6 / TCP or UDP with a payload, with
 * correct lengths and checksums.
 */
#ifndef SG_TEST_PKT_H
#define SG_TEST_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#define PKT_MAX 9200

struct pkt_spec {
	int v6;                 /* IPv6 instead of IPv4 */
	int vlans;              /* 0, 1 or 2 tags */
	int udp;                /* UDP instead of TCP */
	const char *src, *dst;  /* addresses as text */
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 flags;             /* TCP flags; 0x18 (PSH|ACK) when 0 and a payload is given */
	int ip_opts;            /* bytes of IPv4 options (multiple of 4) */
	int v6_ext;             /* add a hop-by-hop + destination-options header */
};

static inline __u16 pkt_csum_fold(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static inline __u32 pkt_csum_add(__u32 s, const void *d, size_t n)
{
	const __u8 *p = d;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	return s;
}

static inline void pkt_put16(__u8 *p, __u32 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Builds the frame into out; returns its length. */
static inline int pkt_build(__u8 *out, const struct pkt_spec *ps, const void *payload, size_t plen)
{
	size_t off = 12, l4len = (ps->udp ? 8 : 20) + plen, ipoff, l4off;
	__u8 *p = out;
	__u32 s = 0;

	memset(out, 0, 64);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (int i = 0; i < ps->vlans; i++) {
		p[off] = i == 0 && ps->vlans == 2 ? 0x88 : 0x81;
		p[off + 1] = i == 0 && ps->vlans == 2 ? 0xa8 : 0x00;
		p[off + 2] = 0;
		p[off + 3] = 10 + i;
		off += 4;
	}
	p[off] = ps->v6 ? 0x86 : 0x08;
	p[off + 1] = ps->v6 ? 0xdd : 0x00;
	ipoff = off + 2;
	if (!ps->v6) {
		size_t ihl = 20 + ps->ip_opts, tot = ihl + l4len;

		memset(p + ipoff, 0, ihl);
		p[ipoff] = 0x40 | (ihl / 4);
		p[ipoff + 2] = tot >> 8;
		p[ipoff + 3] = tot & 0xff;
		p[ipoff + 8] = 64;
		p[ipoff + 9] = ps->udp ? 17 : 6;
		for (int i = 0; i < ps->ip_opts; i++)
			p[ipoff + 20 + i] = 1; /* NOP options */
		inet_pton(AF_INET, ps->src, p + ipoff + 12);
		inet_pton(AF_INET, ps->dst, p + ipoff + 16);
		pkt_put16(p + ipoff + 10, pkt_csum_fold(pkt_csum_add(0, p + ipoff, ihl)));
		l4off = ipoff + ihl;
		s = pkt_csum_add(0, p + ipoff + 12, 8);
		s += (ps->udp ? 17 : 6) + l4len;
	} else {
		size_t ext = ps->v6_ext ? 16 : 0, pl = ext + l4len;

		memset(p + ipoff, 0, 40 + ext);
		p[ipoff] = 0x60;
		p[ipoff + 4] = pl >> 8;
		p[ipoff + 5] = pl & 0xff;
		p[ipoff + 6] = ps->v6_ext ? 0 : (ps->udp ? 17 : 6);
		p[ipoff + 7] = 64;
		inet_pton(AF_INET6, ps->src, p + ipoff + 8);
		inet_pton(AF_INET6, ps->dst, p + ipoff + 24);
		if (ps->v6_ext) {
			p[ipoff + 40] = 60;  /* hop-by-hop, then destination options */
			p[ipoff + 41] = 0;
			p[ipoff + 42] = 1;   /* PadN */
			p[ipoff + 43] = 4;
			p[ipoff + 48] = ps->udp ? 17 : 6;
			p[ipoff + 49] = 0;
			p[ipoff + 50] = 1;
			p[ipoff + 51] = 4;
		}
		l4off = ipoff + 40 + ext;
		s = pkt_csum_add(0, p + ipoff + 8, 32);
		s += (ps->udp ? 17 : 6) + l4len;
	}
	memset(p + l4off, 0, ps->udp ? 8 : 20);
	p[l4off] = ps->sport >> 8;
	p[l4off + 1] = ps->sport & 0xff;
	p[l4off + 2] = ps->dport >> 8;
	p[l4off + 3] = ps->dport & 0xff;
	if (ps->udp) {
		p[l4off + 4] = l4len >> 8;
		p[l4off + 5] = l4len & 0xff;
		memcpy(p + l4off + 8, payload, plen);
		pkt_put16(p + l4off + 6, pkt_csum_fold(pkt_csum_add(s, p + l4off, l4len)));
		return l4off + l4len;
	}
	{
		__u32 seq = htonl(ps->seq), ack = htonl(ps->ack);
		__u8 fl = ps->flags ? ps->flags : (plen ? 0x18 : 0x10);

		memcpy(p + l4off + 4, &seq, 4);
		memcpy(p + l4off + 8, &ack, 4);
		p[l4off + 12] = 5 << 4;
		p[l4off + 13] = fl;
		p[l4off + 14] = 0xfa;
		p[l4off + 15] = 0xf0;
	}
	memcpy(p + l4off + 20, payload, plen);
	pkt_put16(p + l4off + 16, pkt_csum_fold(pkt_csum_add(s, p + l4off, l4len)));
	return l4off + l4len;
}

#endif
