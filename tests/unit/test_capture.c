// SPDX-License-Identifier: GPL-2.0
/*
 * test_capture - the capture reader (user/capture.c) and its inverse.
 *
 * Every capture is generated here, in a temporary directory: Ethernet frames
 * are re-encapsulated with sg_capture_encap() into each supported link type,
 * written with libpcap (pcapng by hand: libpcap cannot write it), read back
 * with sg_capture_open/next, and compared byte for byte from the ethertype
 * on. Damaged and foreign files check the one-line errors. If the pcapconv
 * tool has been built beside this binary, it is run over the same frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>

#include "capture.h"

extern char **environ;

/* ---- reporting: one line per check ---- */

static int n_pass, n_fail, n_skip;

__attribute__((format(printf, 3, 4)))
static int check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS: capture: %s\n", name);
		n_pass++;
		return 1;
	}
	printf("FAIL: capture: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	n_fail++;
	return 0;
}

static void skip(const char *name, const char *why)
{
	printf("SKIP: capture: %s: %s\n", name, why);
	n_skip++;
}

static int check_str(const char *got, const char *want, const char *name)
{
	return check(strcmp(got, want) == 0, name, "got '%s', want '%s'", got, want);
}

/* "prefix: what", for checks repeated per link type */
static const char *nm(const char *prefix, const char *what)
{
	static char buf[8][160];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s: %s", prefix, what);
	return buf[i];
}

/* ---- test frames ---- */

static const __u8 mac_dst[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x25 };
static const __u8 mac_src[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x07 };
static const char smtp[] = "EHLO mail.evil.test\r\n";

struct frame {
	const char *name;
	__u8 data[256];
	__u32 len;
	int ipver;		/* 4, 6, or 0 for not IP */
	__u32 l3;		/* where the IP header starts */
};

static __u32 put_eth(__u8 *p, const __u16 *types, int ntypes)
{
	__u32 off = 12;

	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	for (int i = 0; i < ntypes; i++) {
		p[off] = types[i] >> 8;
		p[off + 1] = types[i] & 0xff;
		if (i + 1 < ntypes) {	/* a tag: PCP 0, VLAN 100 + i */
			p[off + 2] = 0;
			p[off + 3] = 100 + i;
			off += 4;
		} else {
			off += 2;
		}
	}
	return off;
}

static __u32 put_tcp(__u8 *p)
{
	static const __u8 tcp[20] = { 0x9c, 0x41, 0x00, 0x19, 0, 0, 0x10, 0, 0, 0, 0, 0,
				      0x50, 0x18, 0xfa, 0xf0, 0, 0, 0, 0 };

	memcpy(p, tcp, sizeof(tcp));
	memcpy(p + sizeof(tcp), smtp, sizeof(smtp) - 1);
	return sizeof(tcp) + sizeof(smtp) - 1;
}

static __u32 put_ipv4(__u8 *p)
{
	__u32 n = 20 + put_tcp(p + 20);
	static const __u8 ip[20] = { 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0,
				     198, 51, 100, 7, 192, 0, 2, 25 };

	memcpy(p, ip, sizeof(ip));
	p[2] = n >> 8;
	p[3] = n & 0xff;
	return n;
}

static __u32 put_ipv6(__u8 *p)
{
	__u32 n = put_tcp(p + 40);
	static const __u8 ip6[40] = { 0x60, 0, 0, 0, 0, 0, 6, 64,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25 };

	memcpy(p, ip6, sizeof(ip6));
	p[4] = n >> 8;
	p[5] = n & 0xff;
	return 40 + n;
}

static __u32 put_arp(__u8 *p)
{
	static const __u8 arp[28] = { 0, 1, 0x08, 0, 6, 4, 0, 1,
		0x02, 0x00, 0x5e, 0x10, 0x00, 0x07, 198, 51, 100, 7,
		0, 0, 0, 0, 0, 0, 198, 51, 100, 1 };

	memcpy(p, arp, sizeof(arp));
	return sizeof(arp);
}

enum { F_V4, F_VLAN, F_V6, F_ARP, F_QINQ, F__COUNT };

static struct frame frames[F__COUNT];

static void build_frames(void)
{
	static const __u16 t_v4[] = { 0x0800 }, t_vlan[] = { 0x8100, 0x0800 },
		t_v6[] = { 0x86dd }, t_arp[] = { 0x0806 }, t_qinq[] = { 0x88a8, 0x8100, 0x0800 };
	struct frame *f;

	f = &frames[F_V4];
	f->name = "ipv4";
	f->l3 = put_eth(f->data, t_v4, 1);
	f->len = f->l3 + put_ipv4(f->data + f->l3);
	f->ipver = 4;
	f = &frames[F_VLAN];
	f->name = "802.1q ipv4";
	f->l3 = put_eth(f->data, t_vlan, 2);
	f->len = f->l3 + put_ipv4(f->data + f->l3);
	f->ipver = 4;
	f = &frames[F_V6];
	f->name = "ipv6";
	f->l3 = put_eth(f->data, t_v6, 1);
	f->len = f->l3 + put_ipv6(f->data + f->l3);
	f->ipver = 6;
	f = &frames[F_ARP];
	f->name = "arp";
	f->l3 = put_eth(f->data, t_arp, 1);
	f->len = f->l3 + put_arp(f->data + f->l3);
	f->ipver = 0;
	f = &frames[F_QINQ];
	f->name = "802.1ad+802.1q ipv4";
	f->l3 = put_eth(f->data, t_qinq, 3);
	f->len = f->l3 + put_ipv4(f->data + f->l3);
	f->ipver = 4;
}

/* ---- writing captures ---- */

static char tmpdir[256];

static const char *tpath(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

struct rec {
	const __u8 *data;
	__u32 caplen;
	__u32 len;		/* on the wire */
	long sec;
	long frac;		/* nanoseconds, or microseconds in a _MICRO file */
};

static int write_pcap(const char *path, int dlt, int precision, const struct rec *r, int n)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, 262144, precision);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, path) : NULL;
	struct pcap_pkthdr h;

	if (!d) {
		printf("# cannot write %s: %s\n", path, dead ? pcap_geterr(dead) : "no memory");
		if (dead)
			pcap_close(dead);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		h.ts.tv_sec = r[i].sec;
		h.ts.tv_usec = r[i].frac;
		h.caplen = r[i].caplen;
		h.len = r[i].len;
		pcap_dump((u_char *)d, &h, r[i].data);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

static int write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The whole of a small file, malloc'd; *n its size. */
static __u8 *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	__u8 *p = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc(sz ? (size_t)sz : 1);
		if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
			free(p);
			p = NULL;
		}
		*n = (size_t)sz;
	}
	fclose(f);
	return p;
}

/* ---- reading captures back ---- */

struct got {
	__u8 *frame;
	__u32 len;
	__u32 orig_len;
	__u32 index;
	int truncated;
	struct timespec ts;
};

struct readback {
	int open_rc;
	int end_rc;		/* what ended the reading: 0 end, <0 error */
	char err[512];
	char endmsg[512];
	char linktype[32];
	int dlt;
	__u64 skipped;
	int n;
	struct got pkt[16];
};

static void readback_free(struct readback *rb)
{
	for (int i = 0; i < rb->n; i++)
		free(rb->pkt[i].frame);
	free(rb);
}

/* Read a whole capture, copying each frame (they live until the next call). */
static struct readback *read_all(const char *path)
{
	struct readback *rb = calloc(1, sizeof(*rb));
	struct sg_capture *c;
	struct sg_cap_pkt p;
	struct got *g;
	int rc;

	if (!rb)
		abort();
	rb->open_rc = sg_capture_open(path, &c, rb->err, sizeof(rb->err));
	if (rb->open_rc < 0)
		return rb;
	snprintf(rb->linktype, sizeof(rb->linktype), "%s", sg_capture_linktype_name(c));
	rb->dlt = sg_capture_linktype(c);
	while ((rc = sg_capture_next(c, &p, rb->endmsg, sizeof(rb->endmsg))) > 0) {
		if (rb->n == (int)(sizeof(rb->pkt) / sizeof(rb->pkt[0])))
			break;
		g = &rb->pkt[rb->n++];
		g->frame = malloc(p.len ? p.len : 1);
		if (!g->frame)
			abort();
		memcpy(g->frame, p.frame, p.len);
		g->len = p.len;
		g->orig_len = p.orig_len;
		g->index = p.index;
		g->truncated = p.truncated;
		g->ts = p.ts;
	}
	rb->end_rc = rc;
	rb->skipped = sg_capture_skipped(c);
	sg_capture_close(c);
	return rb;
}

/* ---- expectations ---- */

/*
 * The frame replay should see for frame f after a trip through link type
 * dlt: Ethernet unchanged; SLL keeps everything from the ethertype on, tags
 * included; the others keep only the IP packet. MACs are zero except in
 * Ethernet, which is copied as is.
 */
static __u32 expected_frame(const struct frame *f, int dlt, __u8 *out)
{
	if (dlt == DLT_EN10MB) {
		memcpy(out, f->data, f->len);
		return f->len;
	}
	memset(out, 0, 12);
	if (dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2) {
		memcpy(out + 12, f->data + 12, f->len - 12);
		return f->len;
	}
	memcpy(out + 12, f->data + f->l3 - 2, f->len - f->l3 + 2);
	return f->len - f->l3 + 14;
}

/* 0 when equal, else a description of the first difference in why */
static int frame_diff(const __u8 *got, __u32 glen, const __u8 *want, __u32 wlen,
		      char *why, size_t n)
{
	for (__u32 i = 0; i < glen && i < wlen; i++) {
		if (got[i] != want[i]) {
			snprintf(why, n, "byte %u: got 0x%02x, want 0x%02x", i, got[i], want[i]);
			return 1;
		}
	}
	if (glen != wlen) {
		snprintf(why, n, "length %u, want %u", glen, wlen);
		return 1;
	}
	return 0;
}

static int carries(int dlt, const struct frame *f)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return 1;
	case DLT_IPV4:
		return f->ipver == 4;
	case DLT_IPV6:
		return f->ipver == 6;
	}
	return f->ipver != 0;
}

/* ---- round trips through every link type ---- */

struct linktype {
	const char *tag;	/* the pcapconv name, or the test's */
	int dlt;		/* written with, and expected back */
	const char *name;	/* as sg_capture_linktype_name() says it */
};

static const struct linktype linktypes[] = {
	{ "en10mb", DLT_EN10MB, "EN10MB" },
	{ "sll", DLT_LINUX_SLL, "LINUX_SLL" },
	{ "sll2", DLT_LINUX_SLL2, "LINUX_SLL2" },
	{ "null", DLT_NULL, "NULL" },
	{ "loop", DLT_LOOP, "LOOP" },
	{ "raw", DLT_RAW, "RAW" },
	{ "ipv4", DLT_IPV4, "IPV4" },
	{ "ipv6", DLT_IPV6, "IPV6" },
};

#define TS_SEC(i) (1700000000L + (i))
#define TS_NSEC(i) (123456789L + (i) * 1001L)
#define SNAPPED 100	/* the last record claims this many more bytes on the wire */

struct trip {
	int nrec;
	const struct frame *src[F__COUNT];	/* the frame behind each record */
	__u8 buf[F__COUNT][512];
	struct rec rec[F__COUNT];
};

/* Encapsulate every frame the link type carries; check it refuses the rest. */
static int build_trip(const struct linktype *lt, struct trip *t)
{
	char why[128] = "";
	int n, ok = 1;

	t->nrec = 0;
	for (int i = 0; i < F__COUNT; i++) {
		n = sg_capture_encap(lt->dlt, frames[i].data, frames[i].len, t->buf[t->nrec],
				     sizeof(t->buf[0]));
		if (!carries(lt->dlt, &frames[i])) {
			if (n != -EPROTONOSUPPORT && ok) {
				snprintf(why, sizeof(why), "%s: got %d, want -EPROTONOSUPPORT",
					 frames[i].name, n);
				ok = 0;
			}
			continue;
		}
		if (n <= 0 && ok) {
			snprintf(why, sizeof(why), "%s: got %d", frames[i].name, n);
			ok = 0;
			continue;
		}
		t->src[t->nrec] = &frames[i];
		t->rec[t->nrec] = (struct rec){ t->buf[t->nrec], n, n, TS_SEC(t->nrec),
						TS_NSEC(t->nrec) };
		t->nrec++;
	}
	if (t->nrec)
		t->rec[t->nrec - 1].len += SNAPPED;
	return check(ok && t->nrec, nm(lt->tag, "encap carries IP, refuses what it cannot"),
		     "%s", ok ? "no records" : why);
}

/*
 * Record i of rb should be src[i] as link type dlt carries it, stamped as
 * record at[i] of the input was (at NULL: as record i).
 */
static void check_frames(const char *tag, int dlt, const struct readback *rb,
			 const struct frame *const *src, const int *at, int nrec)
{
	__u8 want[512];
	char why[160] = "", ts_why[96] = "no packets";
	int ok = rb->n == nrec, ts_ok = rb->n > 0, idx_ok = rb->n > 0, len_ok = rb->n > 0;
	__u32 wlen;

	if (!ok)
		snprintf(why, sizeof(why), "%d packets, want %d", rb->n, nrec);
	for (int i = 0; i < rb->n && i < nrec; i++) {
		const struct got *g = &rb->pkt[i];
		int last = i == nrec - 1, t = at ? at[i] : i;
		char d[96];

		wlen = expected_frame(src[i], dlt, want);
		if (ok && frame_diff(g->frame, g->len, want, wlen, d, sizeof(d))) {
			snprintf(why, sizeof(why), "packet %d (%s): %s", i + 1, src[i]->name, d);
			ok = 0;
		}
		if (ts_ok && (g->ts.tv_sec != TS_SEC(t) || g->ts.tv_nsec != TS_NSEC(t))) {
			snprintf(ts_why, sizeof(ts_why), "packet %d: %lld.%09ld, want %ld.%09ld",
				 i + 1, (long long)g->ts.tv_sec, g->ts.tv_nsec, TS_SEC(t),
				 TS_NSEC(t));
			ts_ok = 0;
		}
		idx_ok &= g->index == (__u32)i + 1;
		len_ok &= g->orig_len == wlen + (last ? SNAPPED : 0) && g->truncated == last;
	}
	check(ok, nm(tag, "frames identical from the ethertype on"), "%s", why);
	check(ts_ok, nm(tag, "timestamps keep nanoseconds"), "%s", ts_why);
	check(idx_ok, nm(tag, "index counts from 1"), "first index %u",
	      rb->n ? rb->pkt[0].index : 0);
	check(len_ok, nm(tag, "orig_len converted, snapped record flagged"),
	      "last: orig_len %u truncated %d", rb->n ? rb->pkt[rb->n - 1].orig_len : 0,
	      rb->n ? rb->pkt[rb->n - 1].truncated : -1);
	check(rb->end_rc == 0 && rb->skipped == 0, nm(tag, "clean end, nothing skipped"),
	      "end %d (%s), skipped %llu", rb->end_rc, rb->endmsg,
	      (unsigned long long)rb->skipped);
}

/* The VLAN frame: tags kept where the link type can hold them, else gone. */
static void check_vlan(const struct linktype *lt, const struct readback *rb,
		       const struct trip *t)
{
	int keep = lt->dlt == DLT_EN10MB || lt->dlt == DLT_LINUX_SLL ||
		   lt->dlt == DLT_LINUX_SLL2;
	__u16 type = 0;

	for (int i = 0; i < t->nrec && i < rb->n; i++)
		if (t->src[i] == &frames[F_VLAN] && rb->pkt[i].len >= 14)
			type = rb->pkt[i].frame[12] << 8 | rb->pkt[i].frame[13];
	if (lt->dlt == DLT_IPV6)
		return;
	check(type == (keep ? 0x8100 : 0x0800),
	      nm(lt->tag, keep ? "802.1q tag kept" : "802.1q tag dropped"),
	      "ethertype 0x%04x", type);
}

static void test_roundtrip(const struct linktype *lt)
{
	struct trip t;
	struct readback *rb;
	char file[64];

	if (!build_trip(lt, &t))
		return;
	snprintf(file, sizeof(file), "trip-%s.pcap", lt->tag);
	if (write_pcap(tpath(file), lt->dlt, PCAP_TSTAMP_PRECISION_NANO, t.rec, t.nrec) < 0) {
		check(0, nm(lt->tag, "write"), "cannot write the capture");
		return;
	}
	rb = read_all(tpath(file));
	if (check(rb->open_rc == 0, nm(lt->tag, "open"), "%s", rb->err)) {
		check(rb->dlt == lt->dlt, nm(lt->tag, "link type"), "dlt %d, want %d",
		      rb->dlt, lt->dlt);
		check_str(rb->linktype, lt->name, nm(lt->tag, "link type name"));
		check_frames(lt->tag, lt->dlt, rb, t.src, NULL, t.nrec);
		check_vlan(lt, rb, &t);
	}
	readback_free(rb);
}

/* ---- the byte orders and numberings real files use ---- */

static void test_null_loop_af(void)
{
	static const struct { int dlt; __u32 af; int swap; __u16 want; } cases[] = {
		{ DLT_NULL, 2, 0, 0x0800 }, { DLT_NULL, 2, 1, 0x0800 },
		{ DLT_NULL, 10, 0, 0x86dd }, { DLT_NULL, 10, 1, 0x86dd },
		{ DLT_NULL, 24, 1, 0x86dd }, { DLT_NULL, 28, 0, 0x86dd },
		{ DLT_NULL, 30, 1, 0x86dd }, { DLT_LOOP, 2, 0, 0x0800 },
		{ DLT_LOOP, 24, 0, 0x86dd }, { DLT_LOOP, 30, 1, 0x86dd },
		{ DLT_NULL, 7, 0, 0x0007 }, { DLT_LOOP, 7, 1, 0x0007 },
	};
	const int n = sizeof(cases) / sizeof(cases[0]);
	__u8 buf[n][128];
	struct rec r[n];
	struct readback *rb;
	char why[128] = "";
	int ok = 1;

	/* one file per link type, one record per case of that type */
	for (int dlt = 0; dlt <= 1; dlt++) {
		int want_dlt = dlt ? DLT_LOOP : DLT_NULL, nr = 0;
		__u16 want[n];

		for (int i = 0; i < n; i++) {
			__u32 af = cases[i].af;

			if (cases[i].dlt != want_dlt)
				continue;
			/* big-endian, or little-endian when swapped */
			buf[nr][0] = cases[i].swap ? af : af >> 24;
			buf[nr][1] = cases[i].swap ? af >> 8 : af >> 16;
			buf[nr][2] = cases[i].swap ? af >> 16 : af >> 8;
			buf[nr][3] = cases[i].swap ? af >> 24 : af;
			memcpy(buf[nr] + 4, frames[F_V6].data + 14, 40);
			r[nr] = (struct rec){ buf[nr], 44, 44, 1, 2 };
			want[nr++] = cases[i].want;
		}
		write_pcap(tpath("af.pcap"), want_dlt, PCAP_TSTAMP_PRECISION_NANO, r, nr);
		rb = read_all(tpath("af.pcap"));
		if (rb->open_rc < 0 || rb->n != nr) {
			snprintf(why, sizeof(why), "%.80s: %d packets of %d", rb->err, rb->n, nr);
			ok = 0;
		}
		for (int i = 0; ok && i < rb->n; i++) {
			__u16 got = rb->pkt[i].frame[12] << 8 | rb->pkt[i].frame[13];

			if (got != want[i] || rb->pkt[i].len != 54) {
				snprintf(why, sizeof(why), "%s record %d: ethertype 0x%04x len %u, "
					 "want 0x%04x len 54", dlt ? "loop" : "null", i + 1,
					 got, rb->pkt[i].len, want[i]);
				ok = 0;
			}
		}
		readback_free(rb);
	}
	check(ok, "null/loop: AF_INET, AF_INET6 of Linux and the BSDs, both byte orders", "%s",
	      why);
}

/* libpcap maps the file's 101 to DLT_RAW; 12 and 14 appear in old files. */
static void test_raw_numbers(void)
{
	static const __u32 numbers[] = { 101, 12, 14 };
	static const struct linktype raw = { "raw numbers", DLT_RAW, "RAW" };
	struct trip t;
	struct readback *rb;
	size_t n = 0;
	__u8 *p;
	__u32 lt;
	char name[32];
	const struct frame *src[F__COUNT];

	build_trip(&raw, &t);
	write_pcap(tpath("raw.pcap"), DLT_RAW, PCAP_TSTAMP_PRECISION_NANO, t.rec, t.nrec);
	p = slurp(tpath("raw.pcap"), &n);
	if (!check(p && n > 24, "raw: capture written", "no file"))
		goto out;
	memcpy(&lt, p + 20, 4);
	check(lt == 101, "raw: libpcap writes LINKTYPE_RAW 101", "wrote %u", lt);
	memcpy(src, t.src, sizeof(src));
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		memcpy(p + 20, &numbers[i], 4);
		write_bytes(tpath("rawn.pcap"), p, n);
		rb = read_all(tpath("rawn.pcap"));
		snprintf(name, sizeof(name), "raw %u", numbers[i]);
		if (check(rb->open_rc == 0, nm(name, "open"), "%s", rb->err)) {
			check_str(rb->linktype, "RAW", nm(name, "link type name"));
			check_frames(name, DLT_RAW, rb, src, NULL, t.nrec);
		}
		readback_free(rb);
	}
out:
	free(p);
}

/* Bare IP that is neither v4 nor v6 passes as non-IP (ethertype 0). */
static void test_raw_not_ip(void)
{
	static const __u8 junk[8] = { 0x00, 1, 2, 3, 4, 5, 6, 7 };
	struct rec r = { junk, sizeof(junk), sizeof(junk), 5, 6 };
	struct readback *rb;
	int ok;

	write_pcap(tpath("junk.pcap"), DLT_RAW, PCAP_TSTAMP_PRECISION_NANO, &r, 1);
	rb = read_all(tpath("junk.pcap"));
	ok = rb->n == 1 && rb->pkt[0].len == 22 && rb->pkt[0].frame[12] == 0 &&
	     rb->pkt[0].frame[13] == 0 && memcmp(rb->pkt[0].frame + 14, junk, 8) == 0;
	check(ok, "raw: version nibble not 4 or 6 passes as ethertype 0", "%d packets: %s",
	      rb->n, rb->open_rc ? rb->err : rb->endmsg);
	readback_free(rb);
}

/* A record claiming fewer bytes on the wire than it holds: taken at caplen. */
static void test_len_below_caplen(void)
{
	__u8 sll[512];
	int n = sg_capture_encap(DLT_LINUX_SLL, frames[F_V4].data, frames[F_V4].len, sll,
				 sizeof(sll));
	struct rec r = { sll, n, 10, 1, 1 };
	struct readback *rb;

	write_pcap(tpath("lenlow.pcap"), DLT_LINUX_SLL, PCAP_TSTAMP_PRECISION_NANO, &r, 1);
	rb = read_all(tpath("lenlow.pcap"));
	check(rb->n == 1 && rb->pkt[0].len == frames[F_V4].len &&
	      rb->pkt[0].orig_len == frames[F_V4].len && !rb->pkt[0].truncated,
	      "wire length below caplen: orig_len is the frame length", "%d packets: %u/%u",
	      rb->n, rb->n ? rb->pkt[0].len : 0, rb->n ? rb->pkt[0].orig_len : 0);
	readback_free(rb);
}

/* A microsecond file: nanoseconds are the microseconds times 1000. */
static void test_usec(void)
{
	struct rec r = { frames[F_V4].data, frames[F_V4].len, frames[F_V4].len, 1234, 654321 };
	struct readback *rb;

	write_pcap(tpath("usec.pcap"), DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, &r, 1);
	rb = read_all(tpath("usec.pcap"));
	check(rb->n == 1 && rb->pkt[0].ts.tv_sec == 1234 && rb->pkt[0].ts.tv_nsec == 654321000,
	      "microsecond pcap: timestamps scaled to nanoseconds", "got %lld.%09ld",
	      rb->n ? (long long)rb->pkt[0].ts.tv_sec : 0LL, rb->n ? rb->pkt[0].ts.tv_nsec : 0L);
	readback_free(rb);
}

/* ---- short and long records ---- */

static void test_short_records(void)
{
	static const struct { const char *tag; int dlt; __u32 hdr; } types[] = {
		{ "en10mb", DLT_EN10MB, 14 }, { "sll", DLT_LINUX_SLL, 16 },
		{ "sll2", DLT_LINUX_SLL2, 20 }, { "null", DLT_NULL, 4 },
		{ "loop", DLT_LOOP, 4 }, { "raw", DLT_RAW, 1 },
	};
	__u8 good[512];
	struct readback *rb;
	struct rec r[3];
	int n;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = sg_capture_encap(types[i].dlt, frames[F_V4].data, frames[F_V4].len, good,
				     sizeof(good));
		r[0] = (struct rec){ good, n, n, 1, 1 };
		r[1] = (struct rec){ good, types[i].hdr - 1, n, 2, 2 };
		r[2] = (struct rec){ good, n, n, 3, 3 };
		write_pcap(tpath("short.pcap"), types[i].dlt, PCAP_TSTAMP_PRECISION_NANO, r, 3);
		rb = read_all(tpath("short.pcap"));
		check(rb->n == 2 && rb->skipped == 1 && rb->pkt[0].index == 1 &&
		      rb->pkt[1].index == 3 && rb->end_rc == 0,
		      nm(types[i].tag, "record shorter than the link header skipped and counted"),
		      "%d packets, skipped %llu, indices %u %u, end %d", rb->n,
		      (unsigned long long)rb->skipped, rb->n > 0 ? rb->pkt[0].index : 0,
		      rb->n > 1 ? rb->pkt[1].index : 0, rb->end_rc);
		readback_free(rb);
	}
}

/*
 * Frames over the buffer are cut to it and flagged, their wire length kept;
 * one that just fits is whole. The same bytes are written behind an SLL
 * header and, from the SLL header's last 14 bytes on, as Ethernet: both give
 * the frame p[2..], with the SLL protocol as ethertype.
 */
static void test_long_records(void)
{
	static const __u32 sizes[] = { SG_CAP_FRAME_MAX, SG_CAP_FRAME_MAX + 1, 70000 };
	__u8 *p = malloc(SLL_HDR_LEN + 70000);
	struct readback *rb;
	char tag[64];
	struct rec r;
	int ok;

	if (!p)
		abort();
	sg_capture_encap(DLT_LINUX_SLL, frames[F_V4].data, 14, p, SLL_HDR_LEN);
	for (__u32 i = SLL_HDR_LEN; i < SLL_HDR_LEN + 70000; i++)
		p[i] = (__u8)(i * 7 + 3);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			__u32 e = sizes[k], want = e > SG_CAP_FRAME_MAX ? SG_CAP_FRAME_MAX : e;

			if (pass)
				r = (struct rec){ p + 2, e, e, 1, 1 };
			else
				r = (struct rec){ p, e + 2, e + 2, 1, 1 };
			write_pcap(tpath("long.pcap"), pass ? DLT_EN10MB : DLT_LINUX_SLL,
				   PCAP_TSTAMP_PRECISION_NANO, &r, 1);
			rb = read_all(tpath("long.pcap"));
			ok = rb->n == 1 && rb->pkt[0].len == want && rb->pkt[0].orig_len == e &&
			     rb->pkt[0].truncated == (e > SG_CAP_FRAME_MAX) &&
			     memcmp(rb->pkt[0].frame + 12, p + 14, want - 12) == 0;
			snprintf(tag, sizeof(tag), "%s %u-byte frame", pass ? "en10mb" : "sll", e);
			check(ok, nm(tag, e > SG_CAP_FRAME_MAX ? "cut to the buffer and flagged" :
				     "fits the buffer whole"),
			      "%d packets, len %u, orig_len %u, truncated %d (%.80s)", rb->n,
			      rb->n ? rb->pkt[0].len : 0, rb->n ? rb->pkt[0].orig_len : 0,
			      rb->n ? rb->pkt[0].truncated : -1, rb->open_rc ? rb->err : rb->endmsg);
			readback_free(rb);
		}
	}
	free(p);
}

/* ---- pcapng, written by hand: SHB, IDB, EPBs ---- */

struct ng {
	__u8 buf[4096];
	size_t n;
};

static void ng_u16(struct ng *g, __u16 v)
{
	memcpy(g->buf + g->n, &v, 2);
	g->n += 2;
}

static void ng_u32(struct ng *g, __u32 v)
{
	memcpy(g->buf + g->n, &v, 4);
	g->n += 4;
}

static void ng_bytes(struct ng *g, const void *p, size_t len)
{
	memcpy(g->buf + g->n, p, len);
	g->n += len;
	while (g->n % 4)
		g->buf[g->n++] = 0;
}

/* Blocks end with their total length repeated: patch it in at both ends. */
static size_t ng_begin(struct ng *g, __u32 type)
{
	size_t start = g->n;

	ng_u32(g, type);
	ng_u32(g, 0);
	return start;
}

static void ng_end(struct ng *g, size_t start)
{
	__u32 total = (__u32)(g->n - start + 4);

	memcpy(g->buf + start + 4, &total, 4);
	ng_u32(g, total);
}

static void ng_shb_idb(struct ng *g, __u16 linktype, int nsec)
{
	size_t b = ng_begin(g, 0x0a0d0d0a);

	ng_u32(g, 0x1a2b3c4d);	/* byte-order magic */
	ng_u16(g, 1);
	ng_u16(g, 0);
	ng_u32(g, 0xffffffff);	/* section length unknown */
	ng_u32(g, 0xffffffff);
	ng_end(g, b);
	b = ng_begin(g, 1);
	ng_u16(g, linktype);
	ng_u16(g, 0);
	ng_u32(g, 262144);
	if (nsec) {		/* if_tsresol 9: units of 10^-9 s */
		static const __u8 nine = 9;

		ng_u16(g, 9);
		ng_u16(g, 1);
		ng_bytes(g, &nine, 1);
		ng_u32(g, 0);	/* opt_endofopt */
	}
	ng_end(g, b);
}

static void ng_epb(struct ng *g, __u64 ts, const __u8 *data, __u32 len)
{
	size_t b = ng_begin(g, 6);

	ng_u32(g, 0);
	ng_u32(g, (__u32)(ts >> 32));
	ng_u32(g, (__u32)ts);
	ng_u32(g, len);
	ng_u32(g, len);
	ng_bytes(g, data, len);
	ng_end(g, b);
}

static void test_pcapng(void)
{
	static struct ng g;
	const __u64 ns = 1700000000ULL * 1000000000ULL + 987654321ULL;
	__u8 sll[512];
	struct readback *rb;
	char why[160] = "";
	size_t cut;
	int n, ok;

	/* Ethernet, nanosecond resolution, two packets */
	g.n = 0;
	ng_shb_idb(&g, DLT_EN10MB, 1);
	ng_epb(&g, ns, frames[F_V4].data, frames[F_V4].len);
	cut = g.n + 40;		/* inside the second packet's data */
	ng_epb(&g, ns + 1, frames[F_VLAN].data, frames[F_VLAN].len);
	write_bytes(tpath("a.pcapng"), g.buf, g.n);
	rb = read_all(tpath("a.pcapng"));
	ok = rb->open_rc == 0 && rb->n == 2 && rb->end_rc == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%d packets: %.100s", rb->n,
			 rb->open_rc ? rb->err : rb->endmsg);
	for (int i = 0; ok && i < 2; i++) {
		const struct frame *f = &frames[i ? F_VLAN : F_V4];

		if (frame_diff(rb->pkt[i].frame, rb->pkt[i].len, f->data, f->len, why, sizeof(why)))
			ok = 0;
	}
	check(ok, "pcapng en10mb: frames", "%s", why);
	check(rb->n == 2 && rb->pkt[0].ts.tv_sec == 1700000000 &&
	      rb->pkt[0].ts.tv_nsec == 987654321 && rb->pkt[1].ts.tv_nsec == 987654322,
	      "pcapng en10mb: nanosecond timestamps", "got %lld.%09ld",
	      rb->n ? (long long)rb->pkt[0].ts.tv_sec : 0LL, rb->n ? rb->pkt[0].ts.tv_nsec : 0L);
	check_str(rb->linktype, "EN10MB", "pcapng en10mb: link type name");
	readback_free(rb);

	/* the same file cut inside the second packet */
	write_bytes(tpath("cut.pcapng"), g.buf, cut);
	rb = read_all(tpath("cut.pcapng"));
	check(rb->n == 1 && rb->end_rc < 0, "pcapng truncated: packets before the cut",
	      "%d packets, end %d", rb->n, rb->end_rc);
	check_str(rb->endmsg, nm(tpath("cut.pcapng"), "truncated capture after packet 1"),
		  "pcapng truncated: error names the packet");
	readback_free(rb);

	/* Linux cooked, default microsecond resolution */
	g.n = 0;
	ng_shb_idb(&g, DLT_LINUX_SLL, 0);
	n = sg_capture_encap(DLT_LINUX_SLL, frames[F_V6].data, frames[F_V6].len, sll, sizeof(sll));
	ng_epb(&g, 1700000000ULL * 1000000ULL + 5, sll, (__u32)n);
	write_bytes(tpath("b.pcapng"), g.buf, g.n);
	rb = read_all(tpath("b.pcapng"));
	check(rb->n == 1 && rb->pkt[0].len == frames[F_V6].len &&
	      memcmp(rb->pkt[0].frame + 12, frames[F_V6].data + 12, frames[F_V6].len - 12) == 0 &&
	      rb->pkt[0].ts.tv_sec == 1700000000 && rb->pkt[0].ts.tv_nsec == 5000,
	      "pcapng sll, microseconds: frame and timestamp", "%d packets: %s", rb->n,
	      rb->open_rc ? rb->err : rb->endmsg);
	readback_free(rb);

	/* a link type replay does not read */
	g.n = 0;
	ng_shb_idb(&g, DLT_IEEE802_11, 0);
	write_bytes(tpath("wifi.pcapng"), g.buf, g.n);
	rb = read_all(tpath("wifi.pcapng"));
	check(rb->open_rc == -EPROTONOSUPPORT, "pcapng unsupported link type: refused",
	      "rc %d", rb->open_rc);
	check_str(rb->err, nm(tpath("wifi.pcapng"), "unsupported link type IEEE802_11 (105)"),
		  "pcapng unsupported link type: message");
	readback_free(rb);
}

/* ---- broken and foreign files ---- */

/* Three Ethernet packets in a pcap; returns the offsets where records start. */
static __u8 *three_packets(size_t *n, size_t rec_off[3])
{
	struct rec r[3];

	for (int i = 0; i < 3; i++)
		r[i] = (struct rec){ frames[i].data, frames[i].len, frames[i].len, 10 + i, i };
	write_pcap(tpath("three.pcap"), DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, r, 3);
	rec_off[0] = 24;
	rec_off[1] = rec_off[0] + 16 + frames[0].len;
	rec_off[2] = rec_off[1] + 16 + frames[1].len;
	return slurp(tpath("three.pcap"), n);
}

static void test_truncated(void)
{
	struct sg_capture *c = NULL;
	struct sg_cap_pkt pkt;
	struct readback *rb;
	char err[256] = "", err2[256] = "", path[PATH_MAX];
	size_t n = 0, off[3];
	__u8 *p = three_packets(&n, off);
	int rc1 = 0, rc2 = 0, rc3 = 0;

	snprintf(path, sizeof(path), "%s", tpath("cut.pcap"));
	if (!check(p && n == off[2] + 16 + frames[2].len, "truncated: fixture", "size %zu", n))
		goto out;
	/* cut in the middle of packet 2's bytes */
	write_bytes(path, p, off[1] + 16 + frames[1].len / 2);
	if (sg_capture_open(path, &c, err, sizeof(err)) == 0) {
		rc1 = sg_capture_next(c, &pkt, err, sizeof(err));
		rc2 = sg_capture_next(c, &pkt, err, sizeof(err));
		rc3 = sg_capture_next(c, &pkt, err2, sizeof(err2));
		sg_capture_close(c);
	}
	check(rc1 == 1 && rc2 < 0, "truncated in a packet: packets before, then an error",
	      "rc %d then %d", rc1, rc2);
	check_str(err, nm(path, "truncated capture after packet 1"),
		  "truncated in a packet: message");
	check(rc3 == rc2 && strcmp(err, err2) == 0, "truncated: the error repeats",
	      "rc %d '%s'", rc3, err2);

	/* cut in the middle of packet 3's record header */
	write_bytes(path, p, off[2] + 7);
	rb = read_all(path);
	check(rb->n == 2, "truncated in a record header: packets before", "%d", rb->n);
	check_str(rb->endmsg, nm(path, "truncated capture after packet 2"),
		  "truncated in a record header: message");
	readback_free(rb);

	/* a header cut short: magic right, the rest missing */
	write_bytes(path, p, 10);
	rb = read_all(path);
	check(rb->open_rc < 0, "truncated file header: refused", "rc %d", rb->open_rc);
	check_str(rb->err, nm(path, "truncated capture header"), "truncated file header: message");
	readback_free(rb);
out:
	free(p);
}

/* A record whose length is absurd is damage, not truncation. */
static void test_bad_record(void)
{
	size_t n = 0, off[3];
	__u8 *p = three_packets(&n, off);
	const char *path = tpath("bad.pcap");	/* used before the next tpath() */
	struct readback *rb;
	__u32 huge = 0x7fffffff;
	char want[PATH_MAX + 64];

	if (!p)
		return;
	memcpy(p + off[1] + 8, &huge, 4);	/* caplen of packet 2 */
	write_bytes(path, p, n);
	rb = read_all(path);
	snprintf(want, sizeof(want), "%s: unreadable record after packet 1: ", path);
	check(rb->n == 1 && rb->end_rc < 0 && strncmp(rb->endmsg, want, strlen(want)) == 0,
	      "absurd caplen: packets before, then an unreadable record", "%d packets: '%s'",
	      rb->n, rb->endmsg);
	readback_free(rb);
	free(p);
}

static void expect_open_error(const char *tag, const char *path, int want_rc, const char *msg)
{
	struct readback *rb = read_all(path);

	check(rb->open_rc == want_rc, nm(tag, "refused"), "rc %d, want %d", rb->open_rc, want_rc);
	check_str(rb->err, nm(path, msg), nm(tag, "message"));
	readback_free(rb);
}

static void test_foreign_files(void)
{
	static const char text[] = "220 mail.example ESMTP\r\nEHLO client\r\n";
	struct rec r = { frames[F_V4].data, 40, 40, 1, 1 };
	static int dummy;
	struct sg_capture *c = (struct sg_capture *)&dummy;
	char small[8];
	int rc;

	write_bytes(tpath("text.txt"), text, sizeof(text) - 1);
	expect_open_error("text file", tpath("text.txt"), -EINVAL, "not a pcap or pcapng capture");
	write_bytes(tpath("empty"), "", 0);
	expect_open_error("empty file", tpath("empty"), -EINVAL, "not a pcap or pcapng capture");
	write_bytes(tpath("three"), "\xd4\xc3\xb2", 3);
	expect_open_error("three-byte file", tpath("three"), -EINVAL,
			  "not a pcap or pcapng capture");
	expect_open_error("missing file", tpath("missing.pcap"), -ENOENT,
			  "No such file or directory");
	expect_open_error("directory", tmpdir, -EISDIR, "Is a directory");
	write_pcap(tpath("wifi.pcap"), DLT_IEEE802_11, PCAP_TSTAMP_PRECISION_NANO, &r, 1);
	expect_open_error("802.11", tpath("wifi.pcap"), -EPROTONOSUPPORT,
			  "unsupported link type IEEE802_11 (105)");
	write_pcap(tpath("ppp.pcap"), DLT_PPP, PCAP_TSTAMP_PRECISION_NANO, &r, 1);
	expect_open_error("ppp", tpath("ppp.pcap"), -EPROTONOSUPPORT,
			  "unsupported link type PPP (9)");

	rc = sg_capture_open(tpath("missing.pcap"), &c, NULL, 0);
	check(rc == -ENOENT && c == NULL, "no error buffer: still fails cleanly, *out cleared",
	      "rc %d", rc);
	memset(small, 'x', sizeof(small));
	rc = sg_capture_open(tpath("missing.pcap"), &c, small, sizeof(small));
	check(rc == -ENOENT && small[7] == '\0' && strlen(small) == 7,
	      "short error buffer: cut and terminated", "rc %d", rc);
}

/* "-" reads standard input, so a capture can come down a pipe. */
static void test_stdin(void)
{
	size_t n = 0, off[3];
	__u8 *p = three_packets(&n, off);
	struct readback *rb;
	int saved = dup(0), fd, pfd[2];

	if (!p || saved < 0 || pipe(pfd) < 0) {
		free(p);
		skip("stdin", "cannot set up standard input");
		return;
	}
	fd = open(tpath("three.pcap"), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	clearerr(stdin);
	rb = read_all("-");
	check(rb->n == 3 && rb->end_rc == 0, "stdin: '-' reads a capture from standard input",
	      "%d packets: %s", rb->n, rb->open_rc ? rb->err : rb->endmsg);
	check(fcntl(0, F_GETFD) != -1, "stdin: left open after close", "fd 0 closed");
	readback_free(rb);

	/* a pipe cannot be rewound: the error comes from what libpcap saw */
	if (write(pfd[1], "not a capture\n", 14) != 14)
		abort();
	close(pfd[1]);
	dup2(pfd[0], 0);
	close(pfd[0]);
	clearerr(stdin);
	rb = read_all("-");
	check_str(rb->err, "-: not a pcap or pcapng capture", "stdin: a pipe of text refused");
	readback_free(rb);

	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	free(p);
}

/* ---- the pcapconv tool, when it has been built beside this test ---- */

static char pcapconv_bin[PATH_MAX];

static int find_pcapconv(const char *argv0)
{
	const char *env = getenv("PCAPCONV");
	const char *slash = strrchr(argv0, '/');

	if (env)
		snprintf(pcapconv_bin, sizeof(pcapconv_bin), "%s", env);
	else
		snprintf(pcapconv_bin, sizeof(pcapconv_bin), "%.*s/../tools/pcapconv",
			 slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
	return access(pcapconv_bin, X_OK) == 0;
}

/* Run pcapconv IN OUT TYPE with its stderr in a file; its exit status. */
static int run_pcapconv(const char *in, const char *out, const char *type)
{
	char *argv[] = { pcapconv_bin, (char *)in, (char *)out, (char *)type, NULL };
	posix_spawn_file_actions_t fa;
	int rc, status = -1;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, tpath("pcapconv.err"),
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawn(&pid, pcapconv_bin, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_pcapconv_one(const struct linktype *lt, const char *in)
{
	const struct frame *src[F__COUNT];
	int at[F__COUNT], pos = 0;
	const char *type = lt->dlt == DLT_IPV4 || lt->dlt == DLT_IPV6 ? "ipv4ipv6" : lt->tag;
	struct readback *rb;
	char tag[64];
	size_t n = 0;
	char *msg;
	int nrec = 0, rc, want_out = 0;

	snprintf(tag, sizeof(tag), "pcapconv %s", lt->tag);
	for (int i = 0; i < F__COUNT; i++) {
		if (lt->dlt == DLT_IPV4 && frames[i].ipver == 6)
			continue;
		if (lt->dlt == DLT_IPV6 && frames[i].ipver != 6)
			continue;
		if (carries(lt->dlt, &frames[i])) {
			at[nrec] = pos;
			src[nrec++] = &frames[i];
		} else {
			want_out++;
		}
		pos++;
	}
	rc = run_pcapconv(in, tpath("conv.pcap"), type);
	check(rc == 0, nm(tag, "exit status"), "%d", rc);
	msg = (char *)slurp(tpath("pcapconv.err"), &n);
	check(want_out ? msg && n && strstr(msg, "packets left out") != NULL : n == 0,
	      nm(tag, want_out ? "says what it left out" : "silent"), "stderr: %.*s",
	      (int)n, msg ? msg : "");
	free(msg);
	rb = read_all(tpath("conv.pcap"));
	if (check(rb->open_rc == 0 && rb->dlt == lt->dlt, nm(tag, "link type"), "%s (dlt %d)",
		  rb->err, rb->dlt))
		check_frames(tag, lt->dlt, rb, src, at, nrec);
	readback_free(rb);
}

/* The input: every frame, the last one snapped like the round trips'. */
static int write_conv_input(const char *path, int ipver)
{
	struct rec r[F__COUNT];
	int n = 0;

	for (int i = 0; i < F__COUNT; i++) {
		if (ipver == 4 && frames[i].ipver == 6)
			continue;
		if (ipver == 6 && frames[i].ipver != 6)
			continue;
		r[n] = (struct rec){ frames[i].data, frames[i].len, frames[i].len, TS_SEC(n),
				     TS_NSEC(n) };
		n++;
	}
	r[n - 1].len += SNAPPED;
	return write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, r, n);
}

static void test_pcapconv(const char *argv0)
{
	int rc;

	if (!find_pcapconv(argv0)) {
		skip("pcapconv", "tests/tools/pcapconv not built beside this test");
		return;
	}
	write_conv_input(tpath("all.pcap"), 0);
	write_conv_input(tpath("v4.pcap"), 4);
	write_conv_input(tpath("v6.pcap"), 6);
	/* the round trips' capture, with ARP and a 802.1ad frame mixed in */
	for (size_t i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++) {
		const struct linktype *lt = &linktypes[i];

		test_pcapconv_one(lt, tpath(lt->dlt == DLT_IPV4 ? "v4.pcap" :
					    lt->dlt == DLT_IPV6 ? "v6.pcap" : "all.pcap"));
	}
	rc = run_pcapconv(tpath("all.pcap"), tpath("mixed.pcap"), "ipv4ipv6");
	check(rc == 1 && access(tpath("mixed.pcap"), F_OK) != 0,
	      "pcapconv ipv4ipv6: refuses a mix of IPv4 and IPv6", "exit %d", rc);
	rc = run_pcapconv(tpath("all.pcap"), tpath("x.pcap"), "token-ring");
	check(rc == 2, "pcapconv: unknown link type is a usage error", "exit %d", rc);
	rc = run_pcapconv(tpath("missing.pcap"), tpath("x.pcap"), "sll");
	check(rc == 1, "pcapconv: missing input fails", "exit %d", rc);
}

/* ---- main ---- */

/* The temp dir holds only the flat files this test wrote. */
static void rm_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(tpath(e->d_name));
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/sg-capture.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: capture: temp dir: %s\n", strerror(errno));
		return 1;
	}
	build_frames();
	for (size_t i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++)
		test_roundtrip(&linktypes[i]);
	test_null_loop_af();
	test_raw_numbers();
	test_raw_not_ip();
	test_usec();
	test_len_below_caplen();
	test_short_records();
	test_long_records();
	test_pcapng();
	test_truncated();
	test_bad_record();
	test_foreign_files();
	test_stdin();
	test_pcapconv(argc > 0 ? argv[0] : "test_capture");
	rm_tmpdir();
	printf("# capture: %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
