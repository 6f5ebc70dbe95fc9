// SPDX-License-Identifier: GPL-2.0
/*
 * capture.h - read pcap and pcapng captures (through libpcap) as Ethernet
 * frames, whatever link type they were taken on, for `smtpguard replay`:
 * the BPF programs run under BPF_PROG_TEST_RUN expect Ethernet.
 *
 * Also the inverse, sg_capture_encap(), so that tests can re-encode one
 * Ethernet capture into every supported link type and check that replay
 * sees the same frames.
 */
#ifndef SG_CAPTURE_H
#define SG_CAPTURE_H

#include <stddef.h>
#include <time.h>
#include <linux/types.h>

#define SG_CAP_ETH_HLEN 14

/*
 * The one frame buffer: an IP packet of up to 64 KiB (Linux captures GRO/TSO
 * super-segments that big) behind an Ethernet header, with room for stacked
 * VLAN tags. Longer frames are cut to this and flagged as truncated.
 */
#define SG_CAP_FRAME_MAX (65536 + SG_CAP_ETH_HLEN + 50)

struct sg_capture;		/* opaque */

struct sg_cap_pkt {
	struct timespec ts;	/* capture timestamp (ns precision if the file has it) */
	const __u8 *frame;	/* an Ethernet frame: valid until the next call */
	__u32 len;		/* bytes in frame (captured bytes, link header rewritten) */
	__u32 orig_len;		/* wire length as recorded, converted the same way */
	__u32 index;		/* 1-based packet number in the file */
	int truncated;		/* caplen < original length (snaplen), or cut to the buffer */
};

/*
 * Open a pcap or pcapng file. Returns 0, or a negative errno with one line in
 * err ("FILE: what is wrong"). err may be NULL.
 */
int sg_capture_open(const char *path, struct sg_capture **out, char *err, size_t errlen);

/*
 * Next packet as an Ethernet frame: 1 a packet, 0 the end, <0 an error (one
 * line in err; the error repeats on later calls). Records too short for their
 * link header are skipped and counted in sg_capture_skipped(); they still
 * take an index, so pkt->index always names the record in the file.
 */
int sg_capture_next(struct sg_capture *c, struct sg_cap_pkt *pkt, char *err, size_t errlen);

/* The file's link type as libpcap names it ("EN10MB", "LINUX_SLL", ...). */
const char *sg_capture_linktype_name(const struct sg_capture *c);

/* The file's link type as a DLT_ value (pcap_datalink()). */
int sg_capture_linktype(const struct sg_capture *c);

/* Records skipped so far because they were shorter than their link header. */
__u64 sg_capture_skipped(const struct sg_capture *c);

void sg_capture_close(struct sg_capture *c);

/*
 * Re-encapsulate the Ethernet frame eth (len bytes) in link type dlt, the
 * inverse of what sg_capture_next() does: DLT_EN10MB (copied as is),
 * DLT_LINUX_SLL and DLT_LINUX_SLL2 (VLAN tags kept after the protocol field,
 * as libpcap writes them), DLT_NULL (host-order AF_ value), DLT_LOOP
 * (network-order AF_ value), DLT_RAW, DLT_IPV4, DLT_IPV6 (bare IP). The
 * non-Ethernet types other than SLL drop the VLAN tags.
 *
 * Returns the bytes written to out (at most len + 6), or
 *   -EINVAL           frame too short for its Ethernet and VLAN headers
 *   -EPROTONOSUPPORT  the link type cannot carry it (not IP for NULL, LOOP,
 *                     RAW; the other IP version for IPV4/IPV6)
 *   -ENOSPC           outcap too small
 *   -EAFNOSUPPORT     dlt is not one of the above
 * The wire length changes by the same amount: orig_len + (ret - len).
 */
int sg_capture_encap(int dlt, const __u8 *eth, __u32 len, __u8 *out, __u32 outcap);

/*
 * The IP version (4 or 6) an Ethernet frame carries after any VLAN tags, or 0
 * for anything else: lets pcapconv choose between DLT_IPV4 and DLT_IPV6.
 */
int sg_capture_ip_version(const __u8 *eth, __u32 len);

#endif /* SG_CAPTURE_H */
