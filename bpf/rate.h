/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rate.h - what a source has done lately, in sg_sources: its messages and
 * recipients over a sliding minute (rate-limit, the hijacked-server case:
 * trusted sources are limited too), and its blocked sessions over a window
 * (quarantine: after N of them within T, its SYNs are dropped for D).
 */
#ifndef SG_RATE_H
#define SG_RATE_H

#define SG_RATE_WINDOW_NS (60ULL * 1000000000ULL)
#define SG_RATE_WINDOW_MS 60000ULL

/* Starts a new minute when the current one is over: the one just ended
 * becomes the previous minute, or, after a silence of two minutes or more,
 * the count starts afresh from now. One CPU moves the window (the one
 * whose compare-and-swap of its start wins); what it takes from the
 * minute's counts it swaps for 0, so that a message another CPU counts at
 * that moment falls in one minute or the other, never in neither. */
static __always_inline void sg_rate_roll(struct sg_source *s, __u64 now)
{
	__u64 start = s->win_start_ns, el = now - start, next, msgs, rcpts;
	int one;

	if (start && el < SG_RATE_WINDOW_NS)
		return;
	one = start && el < 2 * SG_RATE_WINDOW_NS;
	next = one ? start + SG_RATE_WINDOW_NS : now;
	if (__sync_val_compare_and_swap(&s->win_start_ns, start, next) != start)
		return; /* another CPU moved it */
	msgs = __sync_lock_test_and_set(&s->win_messages, 0);
	rcpts = __sync_lock_test_and_set(&s->win_recipients, 0);
	s->prev_messages = one ? msgs : 0;
	s->prev_recipients = one ? rcpts : 0;
}

/* the sliding minute's count: the current minute's, and the previous
 * one's share that still lies within the last 60 s */
static __always_inline __u64 sg_rate_estimate(__u64 prev, __u64 cur, __u64 el_ns)
{
	__u64 left_ms = SG_RATE_WINDOW_MS - el_ns / 1000000;

	if (el_ns >= SG_RATE_WINDOW_NS)
		return cur;
	return cur + (__u64)prev * left_ms / SG_RATE_WINDOW_MS;
}

/* recipients (-1: one the server refused) and alerts of a source */
static __always_inline void sg_source_count(const struct sg_flow_key *key, int recipients,
					    int alerts)
{
	struct sg_source *s = sg_source_get(&key->saddr, 0);
	__u64 now = sg_now();

	if (!s)
		return;
	sg_rate_roll(s, now);
	sg_count(&s->recipients, recipients);
	if (recipients > 0)
		sg_count(&s->win_recipients, recipients);
	else if (recipients < 0 && s->win_recipients)
		sg_count(&s->win_recipients, -1);
	if (alerts)
		sg_count(&s->alerts, alerts);
	s->last_ns = now;
}

static const char sg_what_rate[SG_TOKEN_MAX] = "messages over the source's rate limit";
static const char sg_what_quarantine[SG_TOKEN_MAX] =
	"a source whose sessions were blocked: its connections are refused for a while";

/* A message ended: it counts in its source's minute, and one over the
 * limit is said (or, with `action rate_exceeded block`, cut off before
 * the server has its end, and not counted: the server never takes it).
 * A global function: checked once, not at each of its callers. */
__noinline int sg_rate_message_g(struct sg_flow *f, const struct sg_flow_key *key)
{
	struct sg_config *cfg = config_get();
	enum sg_action action = SG_ACTION_OFF;
	struct sg_source *s;
	__u32 limit = 0;
	__u64 now, est, n;

	if (!f || !key)
		return 0;
	s = sg_source_get(&key->saddr, 0);
	if (!s)
		return 0;
	now = sg_now();
	sg_rate_roll(s, now);
	sg_count(&s->messages, 1);
	s->last_ns = now;
	if (cfg) {
		limit = cfg->rate_limit_per_min;
		action = cfg->actions[SG_REASON_RATE_EXCEEDED & 7];
	}
	/* counted first, each message its own place in the minute: two at
	 * once cannot both be the last one under the limit */
	n = sg_count(&s->win_messages, 1) + 1;
	est = sg_rate_estimate(s->prev_messages, n, now - s->win_start_ns);
	if (!limit || action == SG_ACTION_OFF || est <= limit)
		return 0;
	sg_count(&s->rate_exceeded, 1);
	sg_count(&s->alerts, 1);
	stat_inc(SG_STAT_rate_exceeded);
	if (action == SG_ACTION_BLOCK) {
		/* not counted after all: the server never takes it */
		f->flags |= SG_FLOW_BLOCKED;
		sg_count(&s->win_messages, -1);
	}
	if (sg_alert_allowed(f))
		sg_emit_n(f, key, SG_REASON_RATE_EXCEEDED, SG_WHERE_NONE, action, NULL,
			  sg_what_rate, est > 0xffffffff ? 0xffffffff : (__u32)est, limit);
	return 1;
}

static __always_inline int sg_addr_v4(const struct sg_addr *a)
{
	const __u32 *w = (const __u32 *)a->a;

	return !w[0] && !w[1] && w[2] == bpf_htonl(0xffff);
}

/* A session of this source was cut off by a block rule. With quarantine
 * on, the Nth within T seconds of the first puts the source into
 * sg_blocked_src for D seconds (an entry of the generation in force, id
 * SG_NET_ID_QUARANTINE; `policy apply` carries it over while it lasts):
 * its new connections are then dropped at their SYN. */
__noinline int sg_quarantine_g(struct sg_flow *f, const struct sg_flow_key *key)
{
	struct sg_config *cfg = config_get();
	struct sg_lpm_key lk = { .prefixlen = 32 + 128 };
	struct sg_net_val v = { .id = SG_NET_ID_QUARANTINE }, *old;
	struct sg_source *s;
	__u64 now;
	__u32 n;

	if (!f || !key || !cfg)
		return 0;
	s = sg_source_get(&key->saddr, 0);
	if (!s)
		return 0;
	sg_count(&s->blocked, 1);
	n = cfg->quarantine_blocks;
	if (!n)
		return 0;
	now = sg_now();
	if (!s->qwin_start_ns ||
	    now - s->qwin_start_ns >= (__u64)cfg->quarantine_within_s * 1000000000ULL) {
		s->qwin_start_ns = now;
		s->qwin_blocks = 0;
	}
	/* the Nth, once: blocks counted at the same moment are past it */
	if (sg_count(&s->qwin_blocks, 1) + 1 != n)
		return 0;
	s->qwin_start_ns = 0;
	s->qwin_blocks = 0;
	lk.gen = cfg->generation;
	__builtin_memcpy(&lk.addr, &key->saddr, sizeof(lk.addr));
	v.prefix = sg_addr_v4(&key->saddr) ? 32 : 128;
	v.expires_ns = now + (__u64)cfg->quarantine_for_s * 1000000000ULL;
	old = bpf_map_lookup_elem(&sg_blocked_src, &lk);
	/* the policy blocks this very address for at least as long: its entry
	 * stays the policy's (a quarantine in its place would end it early,
	 * and `policy show` would lose it); a block never gets shorter, so
	 * what SYNs remembered of it (blocked.h) stays true */
	if (old && old->id != SG_NET_ID_QUARANTINE &&
	    (!old->expires_ns || old->expires_ns >= v.expires_ns))
		return 0;
	if (bpf_map_update_elem(&sg_blocked_src, &lk, &v, BPF_ANY)) {
		stat_inc(SG_STAT_quarantine_full);
		return 0;
	}
	sg_count(&s->quarantines, 1);
	stat_inc(SG_STAT_quarantines);
	/* said even past the flow's alert cap: it is about the source */
	stat_inc(SG_STAT_alerts);
	sg_emit_n(f, key, SG_REASON_SOURCE_QUARANTINED, SG_WHERE_NONE, SG_ACTION_BLOCK, NULL,
		  sg_what_quarantine, n, cfg->quarantine_for_s);
	return 1;
}

#endif
