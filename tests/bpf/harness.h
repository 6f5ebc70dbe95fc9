/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - the real programs, loaded privately (nothing pinned or
 * attached), a policy from config text, packets through BPF_PROG_TEST_RUN,
 * events drained from the ring buffer. Shared by the BPF tests and `make bench`.
 */
#ifndef SG_TEST_HARNESS_H
#define SG_TEST_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "skel.h"
#include "config.h"
#include "domain.h"
#include "loader.h"
#include "policy_maps.h"
#include "stats_print.h"
#include "bpf/pkt.h"

#define H_MAX_EVENTS 256

struct harness {
	struct smtpguard *skel;
	struct sg_maps m;
	struct ring_buffer *rb;
	struct sg_event ev[H_MAX_EVENTS];
	int nev;
	int xdp_fd, tc_fd;
	long xdp_runs, guard_leaks; /* the session guard check (h_guard_after) */
	long tc_checked, tc_writes; /* TC leaves XDP's words alone (h_tc_owned) */
	/* set while several threads run packets at once: the ring is not read
	 * and the per-run checks are off (their counts are plain ints) */
	int threaded;
};

/* The session guard (bpf/guard.h) is counted in the BPF tests: every XDP
 * run must put back the guard it took. `make bench` turns the counting off
 * to time what production runs. */
static int h_guard_check = 1;

static int h_on_event(void *ctx, void *data, size_t len)
{
	struct harness *h = ctx;

	if (len >= sizeof(struct sg_event) && h->nev < H_MAX_EVENTS)
		memcpy(&h->ev[h->nev++], data, sizeof(struct sg_event));
	return 0;
}

static inline int h_apply(struct harness *h, const char *config_text)
{
	struct sg_policy pol;
	char err[512];
	int ret;

	sg_policy_init(&pol);
	ret = sg_config_parse_string(config_text, "test.conf", &pol, err, sizeof(err));
	if (!ret)
		ret = sg_policy_apply_maps(&h->m, &pol, err, sizeof(err));
	if (ret)
		fprintf(stderr, "harness: %s\n", err);
	sg_policy_free(&pol);
	return ret;
}

/* lo: load knobs (NULL: none); with lo->replay_clock the test sets policy
 * time itself (h_clock), as replay does from a capture */
static inline int h_open_opts(struct harness *h, const char *config_text,
			      const struct sg_load_opts *lo)
{
	struct sg_globals g = { .pin_dir = NULL };
	struct sg_load_opts o = {};

	memset(h, 0, sizeof(*h));
	sg_libbpf_verbosity(0);
	if (lo)
		o = *lo;
	o.guard_check = h_guard_check;
	if (sg_skel_load_opts(&g, NULL, &o, &h->skel))
		return -1;
	sg_maps_from_skel(h->skel, &h->m);
	h->xdp_fd = bpf_program__fd(h->skel->progs.sg_xdp_ingress);
	h->tc_fd = bpf_program__fd(h->skel->progs.sg_tc_egress);
	h->rb = ring_buffer__new(h->m.events, h_on_event, h, NULL);
	if (!h->rb || h_apply(h, config_text))
		return -1;
	return 0;
}

static inline int h_open(struct harness *h, const char *config_text)
{
	return h_open_opts(h, config_text, NULL);
}

/* policy time, in ns of the monotonic clock (needs replay_clock) */
static inline void h_clock(struct harness *h, __u64 ns)
{
	h->skel->bss->sg_clock_ns = ns;
}

/* After an XDP run: the chain released every session guard it took (a
 * path that does not is a bug that would stall a session moving CPUs). A
 * FAIL line for the first few, counted by tests/run.sh as failures. */
static inline void h_guard_after(struct harness *h, int len)
{
	if (!h_guard_check)
		return;
	h->xdp_runs++;
	if (!h->skel->bss->sg_guard_held)
		return;
	if (h->guard_leaks++ < 5)
		printf("FAIL: harness: XDP run %ld (a %d-byte frame) left %lld session guard(s) held\n",
		       h->xdp_runs, len, (long long)h->skel->bss->sg_guard_held);
	h->skel->bss->sg_guard_held = 0;
}

static inline void h_close(struct harness *h)
{
	if (h_guard_check && h->xdp_runs && !h->guard_leaks)
		printf("PASS: harness: all %ld XDP runs put back the session guards they took\n",
		       h->xdp_runs);
	if (h->tc_checked && !h->tc_writes)
		printf("PASS: harness: none of %ld server replies wrote the flow's XDP-owned words\n",
		       h->tc_checked);
	ring_buffer__free(h->rb);
	smtpguard__destroy(h->skel);
}

/* Runs one frame through a program; returns its verdict (or -errno). */
static inline int h_run(struct harness *h, int fd, const void *frame, int len, int repeat,
			__u32 *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat ? repeat : 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	if (duration)
		*duration = o.duration;
	if (h->threaded)
		return o.retval;
	if (fd == h->xdp_fd)
		h_guard_after(h, len);
	ring_buffer__consume(h->rb);
	return o.retval;
}

/* The XDP program on frame, with what it left of the packet in out. */
static inline int h_xdp_out(struct harness *h, const void *frame, int len, void *out,
			    __u32 *outlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = PKT_MAX, .repeat = 1);

	if (bpf_prog_test_run_opts(h->xdp_fd, &o))
		return -errno;
	h_guard_after(h, len);
	*outlen = o.data_size_out;
	ring_buffer__consume(h->rb);
	return o.retval;
}

/* Is out an IPv4 TCP RST (with ACK) at seq, no payload, both checksums
 * right? What block turns the offending segment into. */
static inline int h_is_rst(const __u8 *out, __u32 len, __u32 seq)
{
	const __u8 *ip = out + 14, *th = ip + 20;
	__u32 s, got;

	if (len < 14 + 40 || out[12] != 0x08 || (ip[0] & 0xf) != 5 || (ip[2] << 8 | ip[3]) != 40)
		return 0;
	if (pkt_csum_fold(pkt_csum_add(0, ip, 20)) != 0)
		return 0;
	s = pkt_csum_add(0, ip + 12, 8) + 6 + 20;
	if (pkt_csum_fold(pkt_csum_add(s, th, 20)) != 0)
		return 0;
	got = (__u32)th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7];
	return (th[13] & 0x04) && got == seq;
}

static inline int h_xdp(struct harness *h, const void *frame, int len)
{
	return h_run(h, h->xdp_fd, frame, len, 1, NULL);
}

static inline int h_tc(struct harness *h, const void *frame, int len)
{
	return h_run(h, h->tc_fd, frame, len, 1, NULL);
}

static inline void h_stats(struct harness *h, struct sg_stats *s)
{
	sg_stats_read(h->m.stats, s);
}

/* one counter of sg_stats: H_STAT(h, flow_busy) */
static inline __u64 h_stat(struct harness *h, size_t off)
{
	struct sg_stats st;

	h_stats(h, &st);
	return *(__u64 *)((char *)&st + off);
}
#define H_STAT(h, name) h_stat(h, offsetof(struct sg_stats, name))

/* ---- a TCP session: the client's SYN and segments, the server's replies ---- */

struct sess {
	struct harness *h;
	struct pkt_spec ps;     /* client to server */
	__u32 seq, srv_seq;
};

static inline void sess_init(struct sess *s, struct harness *h, const char *src, const char *dst,
			     __u16 sport)
{
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->ps.v6 = strchr(src, ':') != NULL;
	s->ps.src = src;
	s->ps.dst = dst;
	s->ps.sport = sport;
	s->ps.dport = 25;
	s->seq = 1000000 + sport * 7;
	s->srv_seq = 5000;
}

static inline int sess_syn(struct sess *s)
{
	__u8 f[PKT_MAX];
	struct pkt_spec ps = s->ps;
	int n;

	ps.seq = s->seq;
	ps.flags = 0x02;
	n = pkt_build(f, &ps, "", 0);
	s->seq++;
	return h_xdp(s->h, f, n);
}

/* The client's next segment as a frame in out (not sent, the sequence not
 * moved): data at the current sequence, acknowledging what the server
 * sent, with TCP flags (0: PSH|ACK). Returns its length. */
static inline int sess_frame(const struct sess *s, __u8 flags, const void *data, size_t len,
			     __u8 *out)
{
	struct pkt_spec ps = s->ps;

	ps.seq = s->seq;
	ps.ack = s->srv_seq;
	if (flags)
		ps.flags = flags;
	return pkt_build(out, &ps, data, len);
}

/* Sends data as one segment at the current sequence; returns the verdict. */
static inline int sess_send(struct sess *s, const void *data, size_t len)
{
	__u8 f[PKT_MAX];
	int n = sess_frame(s, 0, data, len, f);

	s->seq += len;
	return h_xdp(s->h, f, n);
}

/* The same, with what XDP left of the segment in out (a block rewrites it
 * into a RST): the verdict. */
static inline int sess_send_out(struct sess *s, const char *text, __u8 *out, __u32 *outlen)
{
	__u8 f[PKT_MAX];
	int n = sess_frame(s, 0, text, strlen(text), f);

	s->seq += strlen(text);
	return h_xdp_out(s->h, f, n, out, outlen);
}

static inline int sess_send_str(struct sess *s, const char *text)
{
	return sess_send(s, text, strlen(text));
}

/* The server's side of the session: its next segment, acknowledging the
 * client's bytes so far. */
static inline struct pkt_spec sess_srv_spec(const struct sess *s)
{
	struct pkt_spec ps = s->ps;

	ps.src = s->ps.dst;
	ps.dst = s->ps.src;
	ps.sport = s->ps.dport;
	ps.dport = s->ps.sport;
	ps.seq = s->srv_seq;
	ps.ack = s->seq;
	return ps;
}

static inline int sess_flow(struct sess *s, struct sg_flow *out);

/* After a TC run on a session: the words XDP owns are as they were. TC runs
 * on another CPU than XDP at once (where the MTA sends), so a write of its
 * to them could undo one of XDP's (smtpguard.h, enum sg_srv_flags). A FAIL
 * line for the first few, as for the session guard. */
static inline void h_tc_owned(struct harness *h, const struct sg_flow *b, const struct sg_flow *a)
{
	h->tc_checked++;
	if (a->flow_id != b->flow_id ||
	    (a->flags == b->flags && a->phase == b->phase && a->state == b->state &&
	     a->alerts == b->alerts && a->next_seq == b->next_seq))
		return;
	if (h->tc_writes++ < 5)
		printf("FAIL: harness: server reply %ld wrote XDP's words: flags %#x -> %#x, "
		       "phase %d -> %d, state %d -> %d, alerts %u -> %u\n",
		       h->tc_checked, b->flags, a->flags, b->phase, a->phase, b->state, a->state,
		       b->alerts, a->alerts);
}

/* The server's reply, through the TC program. */
static inline int sess_reply(struct sess *s, const char *text)
{
	__u8 f[PKT_MAX];
	struct pkt_spec ps = sess_srv_spec(s);
	struct sg_flow before, after;
	int n, ret, had = sess_flow(s, &before) == 0;

	n = pkt_build(f, &ps, text, strlen(text));
	s->srv_seq += strlen(text);
	ret = h_tc(s->h, f, n);
	if (had && !s->h->threaded && sess_flow(s, &after) == 0)
		h_tc_owned(s->h, &before, &after);
	return ret;
}

/* The client's ACK of what the server sent, with no data (through XDP):
 * the verdict, and what XDP left of it in out (a block rewrites it into a
 * RST), unless out is NULL. */
static inline int sess_ack(struct sess *s, __u8 *out, __u32 *outlen)
{
	__u8 f[PKT_MAX];
	int n = sess_frame(s, 0x10, "", 0, f);

	return out ? h_xdp_out(s->h, f, n, out, outlen) : h_xdp(s->h, f, n);
}

/* A new session from src, brought into DATA (the server's 354 sent): the
 * next bytes sent are a message. Clears the events seen so far. */
static inline void sess_in_data(struct sess *s, struct harness *h, const char *src,
				const char *dst, __u16 sport)
{
	h->nev = 0;
	sess_init(s, h, src, dst, sport);
	sess_syn(s);
	sess_send_str(s, "EHLO mail.outside.test\r\nMAIL FROM:<a@outside.test>\r\n"
			 "RCPT TO:<b@corp.example>\r\nDATA\r\n");
	sess_reply(s, "250 ok\r\n250 ok\r\n354 go ahead\r\n");
}

/* alerts among the events drained so far for reason (and where, unless < 0) */
static inline int h_alerts(struct harness *h, int reason, int where)
{
	int n = 0;

	for (int i = 0; i < h->nev; i++)
		n += h->ev[i].reason == reason && (where < 0 || h->ev[i].where == where);
	return n;
}

/* An address as the maps key it (IPv4 as v4-mapped IPv6), read by the
 * policy's own parser. */
static inline int h_addr(const char *text, struct sg_addr *a)
{
	__u32 mapped, config_prefix;
	char err[128];

	return sg_prefix_parse(text, a, &mapped, &config_prefix, err, sizeof(err));
}

/* the session's key in sg_flows */
static inline void sess_key(const struct sess *s, struct sg_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	h_addr(s->ps.src, &k->saddr);
	h_addr(s->ps.dst, &k->daddr);
	k->sport = s->ps.sport;
	k->dport = s->ps.dport;
}

static inline int sess_flow(struct sess *s, struct sg_flow *out)
{
	struct sg_flow_key k;

	sess_key(s, &k);
	return bpf_map_lookup_elem(s->h->m.flows, &k, out) ? -errno : 0;
}

/* a source's entry in sg_sources (ip as the policy writes it) */
static inline int h_source(struct harness *h, const char *ip, struct sg_source *out)
{
	struct sg_addr a;

	if (h_addr(ip, &a))
		return -1;
	return bpf_map_lookup_elem(h->m.sources, &a, out);
}

#endif
