/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard.h - one CPU at a time reads a session's client segments.
 *
 * A session's entry in sg_flows holds its parser state, written by the
 * program chain (sg_xdp_ingress, then the message and part programs by tail
 * call) that reads one client segment. A NIC's receive-side scaling gives a
 * session one queue, so its segments come one after another; a veth with a
 * queue per CPU (it takes the sending CPU's), receive packet steering, or a
 * flow moved between queues can hand two of them to two CPUs at once, and
 * two chains writing one entry lose or misread bytes.
 *
 * The guard is a word in the entry taken with a compare-and-swap when a
 * chain starts on the session and put back to 0 when it ends. A segment
 * that finds another CPU's guard is not read: data (and SYN, FIN) is
 * dropped, which the client's TCP sends again, as for a lost packet, and the
 * server never sees bytes smtpguard did not read; an ACK without data and a
 * RST are passed unread (a RST is never sent again). Both are counted
 * (flow_busy).
 *
 * The word says which CPU holds it (CPU + 1, low 12 bits) and since when
 * (the coarse monotonic clock, above them). That makes the rest cheap and
 * safe:
 *  - a chain tail-calls back into sg_xdp_ingress on its own CPU: it finds
 *    its own CPU's guard, and goes on (no chain of this CPU can be in the
 *    middle of another: XDP runs to its end on one CPU);
 *  - the release is a compare-and-swap from the guard this CPU wrote, so
 *    it is harmless after the entry was freed (RST, both FINs) and reused
 *    by a session on another CPU;
 *  - a guard left held (a path that forgot to release: a bug, never
 *    expected) is taken over after SG_GUARD_STALE_NS and counted
 *    (flow_guard_stale), so a mistake costs a session one retransmission,
 *    never the session.
 * Machines with more than 4,095 CPUs share tags between some CPUs: for
 * those pairs the guard does not separate them.
 */
#ifndef SG_GUARD_H
#define SG_GUARD_H

#define SG_GUARD_CPU_MASK 0xfffULL
/* far above any chain's run (microseconds), a few ticks of the coarse clock */
#define SG_GUARD_STALE_NS (20ULL * 1000 * 1000)
#define SG_GUARD_TAKEN    (-1)

/* Tests only (the BPF tests' harness sets it before loading): count guards
 * taken and released, so that every run can check it released what it
 * took. The verifier removes the counting in production. */
volatile const __u8 sg_guard_check = 0;
__s64 sg_guard_held = 0;

static __always_inline __u64 sg_guard_me(void)
{
	return ((__u64)bpf_get_smp_processor_id() % SG_GUARD_CPU_MASK) + 1;
}

/* Takes f's guard for the segment pk: SG_GUARD_TAKEN (*held is f, for the
 * chain's end to put back, and f->last_ns is now), or the verdict for a
 * segment another CPU's chain is reading the session for. */
static __always_inline int sg_guard_take(struct sg_flow *f, const struct sg_pkt *pk,
					 struct sg_flow **held)
{
	__u64 now = bpf_ktime_get_coarse_ns(), me = sg_guard_me();
	__u64 old = f->busy, mine = (now & ~SG_GUARD_CPU_MASK) | me;

	if (old && (old & SG_GUARD_CPU_MASK) != me) {
		if ((__s64)(now - (old & ~SG_GUARD_CPU_MASK)) < (__s64)SG_GUARD_STALE_NS)
			goto busy;
		stat_inc(SG_STAT_flow_guard_stale);
	}
	if (__sync_val_compare_and_swap(&f->busy, old, mine) != old)
		goto busy; /* another CPU took it between the read and here */
	*held = f;
	f->last_ns = now; /* the session's last segment read (flows: idle_ms) */
	/* this CPU's own guard and REENTRY: the chain coming back (tail call),
	 * counted once */
	if (sg_guard_check &&
	    ((old & SG_GUARD_CPU_MASK) != me || !(f->flags & SG_FLOW_REENTRY)))
		sg_guard_held++;
	return SG_GUARD_TAKEN;
busy:
	stat_inc(SG_STAT_flow_busy);
	if (pk->payload_len || (pk->tcp_flags & (TCPF_SYN | TCPF_FIN)))
		return XDP_DROP;
	return XDP_PASS;
}

/* Puts back the guard this CPU holds on f, if it still holds it (f may
 * have been freed and taken by another session meanwhile: then the word
 * is not this CPU's, and is left alone). */
static __always_inline void sg_guard_release(struct sg_flow *f)
{
	__u64 cur = f->busy;

	if ((cur & SG_GUARD_CPU_MASK) != sg_guard_me())
		return;
	if (__sync_val_compare_and_swap(&f->busy, cur, 0) == cur && sg_guard_check)
		sg_guard_held--;
}

#endif
