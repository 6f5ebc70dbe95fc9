// SPDX-License-Identifier: GPL-2.0
/*
 * test_guard.c - one CPU at a time reads a session (bpf/guard.h), on the
 * real programs through BPF_PROG_TEST_RUN.
 *
 * First with the guard word written by the test, as another CPU's chain
 * would leave it mid-run: a data segment (and a FIN) is dropped unread for
 * the client to send again, an ACK and a RST pass unread, both counted; a
 * stale guard is taken over and counted; this CPU's own guard is not in the
 * way. Then for real: two threads on two CPUs run every client segment of a
 * 100-message session at the same moment (the same segment arriving on two
 * queues), and every message must be read exactly once, with no stream
 * anomaly. Without the guard the second part fails (checked by removing it).
 * Last, XDP and TC at once: the server's ACKs run through TC on CPU 1 in a
 * loop while CPU 0 reads 100 messages through XDP: every message is read
 * as if alone.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "unit/check.h"
#include "bpf/harness.h"

#define OUTSIDE "198.51.100.7"
#define RELAY "192.0.2.25"
#define FORGED_FROM "From: boss@corp.example\r\n"

static __u64 coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Writes the session's guard word as a chain on cpu would have, at t. */
static int set_guard(struct sess *s, int cpu, __u64 t)
{
	struct sg_flow f;
	struct sg_flow_key k;

	sess_key(s, &k);
	if (sess_flow(s, &f))
		return -1;
	f.busy = (t & ~0xfffULL) | (__u64)(cpu + 1);
	return bpf_map_update_elem(s->h->m.flows, &k, &f, BPF_EXIST);
}

static __u64 guard_word(struct sess *s)
{
	struct sg_flow f;

	return sess_flow(s, &f) ? ~0ULL : f.busy;
}

/* The test runs on CPU 0; "another CPU" is CPU 1's tag (which the program
 * only compares: the CPU need not exist). */
static void test_held_elsewhere(struct harness *h)
{
	const char *msg = FORGED_FROM "Subject: x\r\n\r\nhello\r\n";
	__u64 busy0, stale0, t;
	struct sg_flow before, after;
	__u8 fr[PKT_MAX];
	struct sess s;
	int n;

	sess_in_data(&s, h, OUTSIDE, RELAY, 41001);
	CHECK_EQ_INT(guard_word(&s), 0, "between segments a session's guard is free");
	busy0 = H_STAT(h, flow_busy);
	stale0 = H_STAT(h, flow_guard_stale);

	t = coarse_ns();
	CHECK_EQ_INT(set_guard(&s, 1, t), 0, "write another CPU's guard");
	sess_flow(&s, &before);
	n = sess_frame(&s, 0, msg, strlen(msg), fr);
	CHECK_EQ_INT(h_xdp(h, fr, n), XDP_DROP, "held elsewhere: a data segment is dropped");
	CHECK_EQ_INT(sess_ack(&s, NULL, NULL), XDP_PASS, "held elsewhere: an ACK passes");
	n = sess_frame(&s, 0x11, "", 0, fr);
	CHECK_EQ_INT(h_xdp(h, fr, n), XDP_DROP, "held elsewhere: a FIN is dropped");
	n = sess_frame(&s, 0x14, "", 0, fr);
	CHECK_EQ_INT(h_xdp(h, fr, n), XDP_PASS, "held elsewhere: a RST passes");
	CHECK_EQ_INT(H_STAT(h, flow_busy) - busy0, 4, "held elsewhere: 4 segments counted flow_busy");
	CHECK_EQ_INT(sess_flow(&s, &after), 0, "held elsewhere: the RST did not free the entry");
	CHECK_EQ_INT(after.next_seq, before.next_seq, "held elsewhere: nothing was read");
	CHECK_EQ_INT(after.packets, before.packets, "held elsewhere: the entry was not written");
	CHECK_EQ_INT(after.busy, before.busy, "held elsewhere: the other CPU's guard is left alone");
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_HEADER_FROM), 0,
		     "held elsewhere: the dropped segment's From: was not read");

	/* the client sends it again; the other CPU's chain ran long ago */
	CHECK_EQ_INT(set_guard(&s, 1, t - 1000000000ULL), 0, "age the other CPU's guard by 1 s");
	n = sess_frame(&s, 0, msg, strlen(msg), fr);
	CHECK_EQ_INT(h_xdp(h, fr, n), XDP_PASS, "stale guard: the segment sent again is read");
	s.seq += strlen(msg);
	CHECK_EQ_INT(H_STAT(h, flow_guard_stale) - stale0, 1, "stale guard: counted flow_guard_stale");
	CHECK_EQ_INT(h_alerts(h, SG_REASON_SPOOFED_INTERNAL_DOMAIN, SG_WHERE_HEADER_FROM), 1,
		     "stale guard: its From: is read once");
	CHECK_EQ_INT(guard_word(&s), 0, "stale guard: put back after the segment");

	/* this CPU's own tag: a chain of this CPU cannot be mid-run */
	CHECK_EQ_INT(set_guard(&s, 0, coarse_ns()), 0, "write this CPU's guard");
	CHECK_EQ_INT(sess_send_str(&s, ".\r\n"), XDP_PASS, "own guard: the end of data is read");
	CHECK_EQ_INT(guard_word(&s), 0, "own guard: put back");
	CHECK_EQ_INT(H_STAT(h, flow_guard_stale) - stale0, 1, "own guard: not counted stale");
	CHECK_EQ_INT(H_STAT(h, flow_busy) - busy0, 4, "own guard: not counted busy");
	sess_flow(&s, &after);
	CHECK_EQ_INT(after.messages, 1, "the message was read once");
}

/* ---- two CPUs at once ---- */

#define RACE_MESSAGES 100

/* A message's segments, and the server's reply after each (if any): every
 * segment shorter than the 32-byte ring, so that a copy read second is a
 * verified retransmission, never an anomaly. */
static const char *const seg[6] = {
	"MAIL FROM:<a@outside.test>\r\n", "RCPT TO:<b@corp.example>\r\n", "DATA\r\n",
	FORGED_FROM, "Subject: hi\r\n\r\n", "hello\r\n.\r\n",
};
static const char *const reply[6] = {
	"250 ok\r\n", "250 ok\r\n", "354 go\r\n", NULL, NULL, "250 queued\r\n",
};

/* what would say a session's bytes were not followed */
static __u64 stream_trouble(struct harness *h)
{
	return H_STAT(h, seq_gaps) + H_STAT(h, stream_conflicts) + H_STAT(h, retrans_unverified);
}

/* RACE_MESSAGES messages of seg[], each read once, as if one CPU read them
 * alone: from0, trouble0: the counters before */
static void check_read_once(struct harness *h, const char *who, const struct sg_flow *f,
			    __u64 from0, __u64 trouble0)
{
	char what[128];

	snprintf(what, sizeof(what), "%s: every message read exactly once", who);
	CHECK_EQ_INT(f->messages, RACE_MESSAGES, what);
	snprintf(what, sizeof(what), "%s: every end of data matched its reply", who);
	CHECK_EQ_INT(f->msgs_accepted, RACE_MESSAGES, what);
	snprintf(what, sizeof(what), "%s: one From: alert per message", who);
	CHECK_EQ_INT(H_STAT(h, alert_header_from) - from0, RACE_MESSAGES, what);
	snprintf(what, sizeof(what), "%s: no gap, conflict or unverified resend", who);
	CHECK_EQ_INT(stream_trouble(h) - trouble0, 0, what);
}

/* The worker on CPU 1 spins for the next frame and runs it the moment the
 * main thread (CPU 0) does: the two runs start within a few hundred ns, a
 * barrier's wake-up would keep them apart. */
struct race {
	struct harness *h;
	__u8 frame[PKT_MAX];
	int len;
	atomic_int gen, done, stop;
	int verdict, pinned;
};

static int race_run(struct race *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->frame, .data_size_in = r->len);

	return bpf_prog_test_run_opts(r->h->xdp_fd, &o) ? -errno : (int)o.retval;
}

static void *race_worker(void *arg)
{
	struct race *r = arg;
	int seen = 0;

	r->pinned = !pin_cpu(1);
	while (!atomic_load(&r->stop)) {
		if (atomic_load(&r->gen) == seen)
			continue;
		seen = atomic_load(&r->gen);
		r->verdict = race_run(r);
		atomic_store(&r->done, seen);
	}
	return NULL;
}

/* One client segment, run on both CPUs at once; the server's reply (if
 * any) after both. Returns how many of the two runs dropped it. */
static int race_seg(struct race *r, struct sess *s, const char *text, const char *reply)
{
	int mine, gen = atomic_load(&r->gen) + 1;

	r->len = sess_frame(s, 0, text, strlen(text), r->frame);
	atomic_store(&r->gen, gen);
	mine = race_run(r);
	while (atomic_load(&r->done) != gen)
		;
	s->seq += strlen(text);
	if (reply)
		sess_reply(s, reply);
	return (mine == XDP_DROP) + (r->verdict == XDP_DROP);
}

static void test_two_cpus(struct harness *h)
{
	static struct race r;
	int both = 0, dropped = 0;
	__u64 busy0 = H_STAT(h, flow_busy), from0 = H_STAT(h, alert_header_from);
	__u64 anom0 = stream_trouble(h);
	struct sg_flow f = {};
	pthread_t th;
	struct sess s;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		SKIP("two CPUs", "needs two online CPUs");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.h = h;
	if (pthread_create(&th, NULL, race_worker, &r)) {
		CHECK(0, "two CPUs: start the second thread");
		return;
	}
	sess_init(&s, h, OUTSIDE, RELAY, 41002);
	sess_syn(&s);
	sess_send_str(&s, "EHLO mail.outside.test\r\n");
	sess_reply(&s, "220 relay\r\n250 relay\r\n");
	for (int m = 0; m < RACE_MESSAGES; m++) {
		for (int i = 0; i < 6; i++) {
			int d = race_seg(&r, &s, seg[i], reply[i]);

			/* both copies dropped: the bytes never reached the
			 * server, the client sends them again */
			if (d == 2) {
				both++;
				s.seq -= strlen(seg[i]);
				i--;
			}
			dropped += d;
		}
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	/* the harness's count of guards held was written by both CPUs at
	 * once, not atomically: what this test checks is f.busy, below */
	h->skel->bss->sg_guard_held = 0;
	ring_buffer__consume(h->rb);
	CHECK(r.pinned, "two CPUs: the second thread runs on CPU 1");
	if (!CHECK_EQ_INT(sess_flow(&s, &f), 0, "two CPUs: the session is there"))
		return;
	printf("# two CPUs: %d segment copies dropped by the guard (both copies of %d), "
	       "flow_busy +%llu\n", dropped, both,
	       (unsigned long long)(H_STAT(h, flow_busy) - busy0));
	/* runs that never overlapped would prove nothing */
	CHECK(H_STAT(h, flow_busy) > busy0, "two CPUs: runs of one session did overlap");
	check_read_once(h, "two CPUs", &f, from0, anom0);
	CHECK_EQ_INT(f.busy, 0, "two CPUs: the guard is free at the end");
}

/* The server's side on CPU 1 (TC, a loop of its pure ACKs) while CPU 0
 * reads the client's segments (XDP): the two run at once on a relay (XDP
 * where the client's packet arrives, TC where the MTA sends), and share
 * the reply queue and what each reads of the other's words. A stress
 * samples the overlap, it cannot make it happen: TC writing one of XDP's
 * words (a read-modify-write of flags, as it once did) is caught for sure by
 * the harness's check after every sess_reply (h_tc_owned), not here, whose
 * race window is a few ns a run. */
struct tc_loop {
	struct harness *h;
	__u8 frame[PKT_MAX];
	int len, pinned;
	atomic_int stop, failed;
	atomic_long runs;
};

static void *tc_worker(void *arg)
{
	struct tc_loop *t = arg;

	t->pinned = !pin_cpu(1);
	while (!atomic_load(&t->stop)) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = t->frame, .data_size_in = t->len);

		if (bpf_prog_test_run_opts(t->h->tc_fd, &o)) {
			atomic_store(&t->failed, 1);
			break;
		}
		atomic_fetch_add(&t->runs, 1);
	}
	return NULL;
}

static void test_xdp_and_tc(struct harness *h)
{
	static struct tc_loop t;
	__u64 from0 = H_STAT(h, alert_header_from);
	__u64 anom0 = stream_trouble(h);
	struct sg_flow f = {};
	struct pkt_spec ps;
	pthread_t th;
	struct sess s;
	long runs0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		SKIP("XDP and TC", "needs two online CPUs");
		return;
	}
	h->nev = 0;
	sess_init(&s, h, OUTSIDE, RELAY, 41003);
	sess_syn(&s);
	sess_send_str(&s, "EHLO mail.outside.test\r\n");
	sess_reply(&s, "220 relay\r\n250 relay\r\n");
	/* an ACK of what the client sent so far: never more than it sent */
	memset(&t, 0, sizeof(t));
	t.h = h;
	ps = sess_srv_spec(&s);
	ps.flags = 0x10;
	t.len = pkt_build(t.frame, &ps, "", 0);
	if (pthread_create(&th, NULL, tc_worker, &t)) {
		CHECK(0, "XDP and TC: start the second thread");
		return;
	}
	while (!atomic_load(&t.runs) && !atomic_load(&t.failed))
		;
	runs0 = atomic_load(&t.runs);
	for (int m = 0; m < RACE_MESSAGES; m++)
		for (int i = 0; i < 6; i++) {
			long before = atomic_load(&t.runs);

			sess_send_str(&s, seg[i]);
			if (reply[i])
				sess_reply(&s, reply[i]);
			/* TC keeps running alongside: not one segment without it */
			while (atomic_load(&t.runs) == before && !atomic_load(&t.failed))
				;
		}
	runs0 = atomic_load(&t.runs) - runs0;
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	ring_buffer__consume(h->rb);
	CHECK(t.pinned, "XDP and TC: the TC thread runs on CPU 1");
	printf("# XDP and TC: %ld TC runs on CPU 1 while CPU 0 read %d messages\n", runs0,
	       RACE_MESSAGES);
	CHECK(!atomic_load(&t.failed), "XDP and TC: every TC run ran");
	if (!CHECK_EQ_INT(sess_flow(&s, &f), 0, "XDP and TC: the session is there"))
		return;
	check_read_once(h, "XDP and TC", &f, from0, anom0);
	CHECK_EQ_INT(h_alerts(h, SG_REASON_STREAM_ANOMALY, -1), 0, "XDP and TC: no stream anomaly");
}

/* ---- two sessions of one source on two CPUs ---- */

/* A source's counts in sg_sources are written by every session of it, and
 * a NIC spreads a source's sessions over queues (the hijacked server that
 * sprays mail opens many at once): CPU 0 and CPU 1 each end SRC_MESSAGES
 * messages of their own session, at the same moments, against a rate limit
 * of SRC_LIMIT (alert: every message passes and counts). Every message must
 * be counted, and exactly those past the limit said. */
#define SRC_MESSAGES 1500
#define SRC_LIMIT 1000

struct src_run {
	struct sess s;
	int cpu, pinned, failed;
	atomic_int *go;
};

static void *src_worker(void *arg)
{
	struct src_run *r = arg;

	r->pinned = !pin_cpu(r->cpu);
	while (!atomic_load(r->go))
		;
	for (int m = 0; m < SRC_MESSAGES && !r->failed; m++) {
		r->failed |= sess_send_str(&r->s, "MAIL FROM:<a@outside.test>\r\n"
						  "RCPT TO:<b@corp.example>\r\nDATA\r\n") != XDP_PASS;
		sess_reply(&r->s, "250 ok\r\n250 ok\r\n354 go\r\n");
		r->failed |= sess_send_str(&r->s, "Subject: hi\r\n\r\nhello\r\n.\r\n") != XDP_PASS;
		sess_reply(&r->s, "250 queued\r\n");
	}
	return NULL;
}

static void test_source_two_cpus(struct harness *h)
{
	static struct src_run r[2];
	static atomic_int go;
	struct sg_source src;
	pthread_t th[2];
	char conf[128];
	int started = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		SKIP("one source, two CPUs", "needs two online CPUs");
		return;
	}
	snprintf(conf, sizeof(conf), "internal-domain corp.example\nrate-limit %d/min\n", SRC_LIMIT);
	if (!CHECK_EQ_INT(h_apply(h, conf), 0, "one source, two CPUs: policy"))
		return;
	memset(r, 0, sizeof(r));
	atomic_store(&go, 0);
	for (int i = 0; i < 2; i++) {
		sess_init(&r[i].s, h, "203.0.113.77", RELAY, 42000 + i);
		sess_syn(&r[i].s);
		sess_send_str(&r[i].s, "EHLO mail.outside.test\r\n");
		sess_reply(&r[i].s, "220 relay\r\n250 relay\r\n");
		r[i].cpu = i;
		r[i].go = &go;
	}
	h->threaded = 1;
	for (int i = 0; i < 2; i++)
		started += !pthread_create(&th[i], NULL, src_worker, &r[i]);
	atomic_store(&go, 1);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	h->threaded = 0;
	pin_cpu(0);
	ring_buffer__consume(h->rb);
	if (!CHECK_EQ_INT(started, 2, "one source, two CPUs: both threads ran"))
		return;
	CHECK(r[0].pinned && r[1].pinned && !r[0].failed && !r[1].failed,
	      "one source, two CPUs: on CPU 0 and 1, every segment passed");
	if (!CHECK_EQ_INT(h_source(h, "203.0.113.77", &src), 0, "one source, two CPUs: its entry"))
		return;
	printf("# one source, two CPUs: messages %llu, in the minute %llu, over the limit %llu\n",
	       (unsigned long long)src.messages, (unsigned long long)src.win_messages,
	       (unsigned long long)src.rate_exceeded);
	CHECK_EQ_INT(src.messages, 2 * SRC_MESSAGES, "one source, two CPUs: every message counted");
	CHECK_EQ_INT(src.win_messages, 2 * SRC_MESSAGES,
		     "one source, two CPUs: every message in the minute's count");
	CHECK_EQ_INT(src.rate_exceeded, 2 * SRC_MESSAGES - SRC_LIMIT,
		     "one source, two CPUs: exactly the messages past the limit said");
}

int main(void)
{
	struct harness h;

	if (geteuid() != 0) {
		SKIP("all", "needs root (BPF_PROG_TEST_RUN)");
		return check_done();
	}
	if (pin_cpu(0)) {
		SKIP("all", "cannot run on CPU 0");
		return check_done();
	}
	if (!CHECK_EQ_INT(h_open(&h, "internal-domain corp.example\n"), 0,
			  "programs load and the policy applies"))
		return check_done();
	test_held_elsewhere(&h);
	test_two_cpus(&h);
	test_xdp_and_tc(&h);
	test_source_two_cpus(&h);
	h_close(&h);
	return check_done();
}
