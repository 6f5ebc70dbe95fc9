// SPDX-License-Identifier: GPL-2.0
/*
 * pcapconv - re-encode a capture in another link type, so that a test can
 * replay the same traffic as Linux cooked (SLL, SLL2), BSD loopback (NULL,
 * LOOP) and bare-IP captures and expect the same results as from Ethernet.
 *
 *   pcapconv IN.pcap OUT.pcap LINKTYPE
 *
 * IN is read through sg_capture (so any link type replay reads, though the
 * point is Ethernet); OUT is a nanosecond pcap with the same timestamps.
 * NULL, LOOP and the bare-IP types cannot carry what is not IP (ARP, LLDP):
 * such packets are left out, and said so on stderr. ipv4ipv6 writes
 * LINKTYPE_IPV4 when every IP packet is IPv4, LINKTYPE_IPV6 when every one
 * is IPv6; a file holds one link type, so a mix is refused (use raw).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "capture.h"

#define PCAPCONV_SNAPLEN 262144	/* libpcap's largest: never cuts what we write */
#define PCAPCONV_IPV4IPV6 (-1)	/* DLT_IPV4 or DLT_IPV6, chosen from the input */

static const struct {
	const char *name;
	int dlt;
} pcapconv_types[] = {
	{ "en10mb", DLT_EN10MB },
	{ "sll", DLT_LINUX_SLL },
	{ "sll2", DLT_LINUX_SLL2 },
	{ "null", DLT_NULL },
	{ "loop", DLT_LOOP },
	{ "raw", DLT_RAW },
	{ "ipv4ipv6", PCAPCONV_IPV4IPV6 },
};

static int usage(void)
{
	fprintf(stderr, "usage: pcapconv IN.pcap OUT.pcap "
		"en10mb|sll|sll2|null|loop|raw|ipv4ipv6\n");
	return 2;
}

static int pcapconv_dlt(const char *name)
{
	for (size_t i = 0; i < sizeof(pcapconv_types) / sizeof(pcapconv_types[0]); i++)
		if (strcmp(name, pcapconv_types[i].name) == 0)
			return pcapconv_types[i].dlt;
	return -2;
}

/* ipv4ipv6: one pass over the input to see which IP version it holds. */
static int pcapconv_pick_ip(const char *in)
{
	char err[512];
	struct sg_capture *c;
	struct sg_cap_pkt pkt;
	__u64 v4 = 0, v6 = 0;
	int rc, ver;

	if (sg_capture_open(in, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "pcapconv: %s\n", err);
		return -1;
	}
	while ((rc = sg_capture_next(c, &pkt, err, sizeof(err))) > 0) {
		ver = sg_capture_ip_version(pkt.frame, pkt.len);
		v4 += ver == 4;
		v6 += ver == 6;
	}
	sg_capture_close(c);
	if (rc < 0) {
		fprintf(stderr, "pcapconv: %s\n", err);
		return -1;
	}
	if (v4 && v6) {
		fprintf(stderr, "pcapconv: %s: holds both IPv4 and IPv6 packets; "
			"ipv4ipv6 needs one version, use raw\n", in);
		return -1;
	}
	return v6 ? DLT_IPV6 : DLT_IPV4;
}

/* Write one packet; 1 written, 0 left out (the link type cannot carry it). */
static int pcapconv_one(pcap_dumper_t *d, int dlt, const struct sg_cap_pkt *pkt, __u8 *buf)
{
	struct pcap_pkthdr h;
	long long orig;
	int n;

	n = sg_capture_encap(dlt, pkt->frame, pkt->len, buf, SG_CAP_FRAME_MAX + 8);
	if (n < 0)
		return 0;
	/* the wire length changes by what the link header change did */
	orig = (long long)pkt->orig_len + n - (long long)pkt->len;
	h.ts.tv_sec = pkt->ts.tv_sec;
	h.ts.tv_usec = pkt->ts.tv_nsec;	/* a _NANO dumper reads nanoseconds here */
	h.caplen = (bpf_u_int32)n;
	h.len = orig < n ? (bpf_u_int32)n : (bpf_u_int32)orig;
	pcap_dump((u_char *)d, &h, buf);
	return 1;
}

static int pcapconv(const char *in, const char *out, int dlt, const char *name)
{
	static __u8 buf[SG_CAP_FRAME_MAX + 8];	/* SLL2 adds 6 bytes to a frame */
	char err[512];
	struct sg_capture *c;
	struct sg_cap_pkt pkt;
	pcap_dumper_t *d;
	pcap_t *dead;
	__u64 written = 0, left_out = 0;
	int rc, bad;

	if (sg_capture_open(in, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "pcapconv: %s\n", err);
		return 1;
	}
	dead = pcap_open_dead_with_tstamp_precision(dlt, PCAPCONV_SNAPLEN,
						    PCAP_TSTAMP_PRECISION_NANO);
	d = dead ? pcap_dump_open(dead, out) : NULL;
	if (!d) {
		fprintf(stderr, "pcapconv: %s\n", dead ? pcap_geterr(dead) : "out of memory");
		if (dead)
			pcap_close(dead);
		sg_capture_close(c);
		return 1;
	}
	while ((rc = sg_capture_next(c, &pkt, err, sizeof(err))) > 0) {
		if (pcapconv_one(d, dlt, &pkt, buf))
			written++;
		else
			left_out++;
	}
	bad = rc < 0;
	if (bad)
		fprintf(stderr, "pcapconv: %s\n", err);
	if (pcap_dump_flush(d) < 0 || ferror(pcap_dump_file(d))) {
		fprintf(stderr, "pcapconv: %s: write failed\n", out);
		bad = 1;
	}
	if (left_out)
		fprintf(stderr, "pcapconv: %s: %llu packets left out: %s cannot carry them\n",
			in, (unsigned long long)left_out, name);
	if (sg_capture_skipped(c))
		fprintf(stderr, "pcapconv: %s: %llu records shorter than their link header "
			"skipped\n", in, (unsigned long long)sg_capture_skipped(c));
	pcap_dump_close(d);
	pcap_close(dead);
	sg_capture_close(c);
	if (bad)
		remove(out);
	return bad;
}

int main(int argc, char **argv)
{
	int dlt;

	if (argc != 4)
		return usage();
	dlt = pcapconv_dlt(argv[3]);
	if (dlt == -2) {
		fprintf(stderr, "pcapconv: unknown link type '%s': "
			"use en10mb, sll, sll2, null, loop, raw or ipv4ipv6\n", argv[3]);
		return 2;
	}
	if (dlt == PCAPCONV_IPV4IPV6) {
		dlt = pcapconv_pick_ip(argv[1]);
		if (dlt < 0)
			return 1;
	}
	return pcapconv(argv[1], argv[2], dlt, argv[3]);
}
