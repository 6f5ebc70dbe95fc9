/* SPDX-License-Identifier: GPL-2.0 */
/*
 * emit.h - alert records into the sg_events ring buffer. A full ring is
 * counted (events_lost), never waited on.
 */
#ifndef SG_EMIT_H
#define SG_EMIT_H

/* value: what the traffic said, from the flow's token copy, or (what != NULL)
 * a fixed description of an anomaly */
/* count, limit: the numbers a rate_exceeded or source_quarantined alert
 * states (struct sg_event) */
static __always_inline void sg_emit_n(struct sg_flow *f, const struct sg_flow_key *key,
				      __u8 reason, __u8 where, __u8 action,
				      const struct sg_name_val *match, const char *what,
				      __u32 count, __u32 limit)
{
	struct sg_event *ev;

	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(SG_STAT_events_lost);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->flow_id = f->flow_id;
	__builtin_memcpy(&ev->saddr, &key->saddr, sizeof(ev->saddr));
	__builtin_memcpy(&ev->daddr, &key->daddr, sizeof(ev->daddr));
	ev->sport = key->sport;
	ev->dport = key->dport;
	ev->reason = reason;
	ev->where = where;
	ev->action = action;
	ev->value_len = what ? 0 : f->tok_len;
	ev->helo_len = f->helo_len;
	ev->truncated = !what && (f->flags & SG_FLOW_TOKEN_TRUNC);
	ev->pad = 0;
	ev->policy_id = match ? match->id : 0;
	ev->count = count;
	ev->limit = limit;
	if (match)
		__builtin_memcpy(ev->match, match->name, sizeof(ev->match));
	else
		ev->match[0] = 0;
	if (what) {
		__builtin_memcpy(ev->value, what, sizeof(ev->value));
		for (int i = 0; i < SG_TOKEN_MAX; i++) {
			if (!what[i])
				break;
			ev->value_len = i + 1;
		}
	} else {
		__builtin_memcpy(ev->value, f->token, sizeof(ev->value));
	}
	__builtin_memcpy(ev->helo, f->helo, sizeof(ev->helo));
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void sg_emit(struct sg_flow *f, const struct sg_flow_key *key,
				    __u8 reason, __u8 where, __u8 action,
				    const struct sg_name_val *match, const char *what)
{
	sg_emit_n(f, key, reason, where, action, match, what, 0, 0);
}

/* Every alert of a flow goes through here: a client that repeats a forged
 * line cannot fill the ring (one EHLO line a time, 74 alerts a segment). */
#define SG_MAX_ALERTS_PER_FLOW 16
static __always_inline int sg_alert_allowed(struct sg_flow *f)
{
	f->flags |= SG_FLOW_ALERTED;
	stat_inc(SG_STAT_alerts);
	if (f->alerts >= SG_MAX_ALERTS_PER_FLOW && !sg_ignore_seq) {
		stat_inc(SG_STAT_alerts_suppressed);
		return 0;
	}
	f->alerts++;
	return 1;
}

#endif
