/* SPDX-License-Identifier: GPL-2.0 */
/*
 * names.h - what both phases do with a name they read (an EHLO name, the
 * envelope sender, the From: header): keep a bounded copy, match its domain
 * against our domains, and alert for an outside source.
 */
#ifndef SG_NAMES_H
#define SG_NAMES_H

/* The next message starts with its headers (after an end of data, a last
 * BDAT chunk, RSET or a new MAIL FROM). */
static __always_inline void sg_message_reset(struct sg_flow *f)
{
	f->mstate = SG_M_H_LS;
	f->tail8 = 0;
	f->from_headers = 0;
	f->flags &= ~SG_FLOW_IN_BODY;
	sg_mime_reset(f);
}

static __always_inline void sg_message_end(struct sg_scan *sc)
{
	struct sg_flow *f = sc->f;

	f->messages++;
	stat_inc(SG_STAT_messages);
	sg_reply_expect(f, SG_RK_MSG);
	sg_rate_message_g(f, &sc->pk->key);
	f->phase = SG_PHASE_COMMAND;
	f->state = SG_S_L_START;
	sg_message_reset(f);
}

/* '(' and ')' in an address: comments nest; the ')' that closes the last
 * one returns to the state the machine's table names for it. */
static __always_inline void sg_comment(struct sg_flow *f, __u32 act, __u8 *statep,
				       struct sg_machine *m)
{
	if (act == A_CMT_OPEN) {
		if (f->cmt_depth < 255)
			f->cmt_depth++;
	} else if (f->cmt_depth > 1) {
		f->cmt_depth--;
	} else {
		f->cmt_depth = 0;
		*statep = m->ret[*statep & SG_DFA_STATE_MASK];
	}
}

/* An unquoted '@': the domain (re)starts; the last one wins. */
static __always_inline void sg_domain_start(struct sg_flow *f)
{
	f->nlabels = 0;
	f->label_hash = SG_FNV_BASIS;
	f->dom_pending = 1;
}

/* A new name starts (after "MAIL FROM:", "EHLO " or "From:"): forget the last one. */
static __always_inline void sg_token_reset(struct sg_flow *f, __u8 where)
{
	f->tok_len = 0;
	f->nlabels = 0;
	f->label_hash = SG_FNV_BASIS;
	f->where = where;
	f->cmt_depth = 0;
	f->dom_pending = 0;
	f->flags &= ~SG_FLOW_TOKEN_TRUNC;
}

static __always_inline void sg_helo_keep(struct sg_flow *f)
{
	__builtin_memcpy(f->helo, f->token, SG_HELO_MAX);
	f->helo_len = f->tok_len < SG_HELO_MAX ? f->tok_len : SG_HELO_MAX;
}

/* A domain ended: match it against our domains, check the source, alert. */
/* A name ended: match its domain against ours, alert for an outside source. */
static __always_inline int sg_name_end_body(struct sg_flow *f, const struct sg_flow_key *key)
{
	struct sg_config *cfg;
	struct sg_name_val *hit;
	enum sg_action action;
	__u8 where;

	if (!f || !key)
		return 0;
	where = f->where;

	/* an address without an '@' has no domain to match (an EHLO name is
	 * all domain) */
	if (where != SG_WHERE_HELO && !f->dom_pending)
		return 0;
	/* the last label, unless the name ended with a dot (corp.example.) */
	if (f->label_hash != SG_FNV_BASIS) {
		f->labels[f->nlabels & (SG_MAX_LABELS - 1)] = f->label_hash;
		f->nlabels++;
		f->label_hash = SG_FNV_BASIS;
	}
	if (f->flags & SG_FLOW_TOKEN_TRUNC)
		stat_inc(SG_STAT_token_truncated);
	if (where == SG_WHERE_HELO)
		sg_helo_keep(f);
	f->dom_pending = 0;
	cfg = config_get();
	if (!cfg || where == SG_WHERE_NONE)
		return 0;
	hit = sg_match_name(&sg_own_domains, SG_FILTER_OWN_DOMAINS, f, cfg->generation);
	if (!hit)
		return 0;
	if (sg_source_trusted(key, cfg->generation)) {
		stat_inc(SG_STAT_trusted_suppressed);
		return 0;
	}
	action = cfg->actions[SG_REASON_SPOOFED_INTERNAL_DOMAIN & 7];
	if (action == SG_ACTION_OFF)
		return 0;
	if (action == SG_ACTION_BLOCK)
		f->flags |= SG_FLOW_BLOCKED;
	stat_inc(where == SG_WHERE_HELO ? SG_STAT_alert_helo :
		 where == SG_WHERE_MAIL_FROM ? SG_STAT_alert_mail_from : SG_STAT_alert_header_from);
	sg_source_count(key, 0, 1);
	if (sg_alert_allowed(f))
		sg_emit(f, key, SG_REASON_SPOOFED_INTERNAL_DOMAIN, where, action, hit, NULL);
	return 0;
}

/* the command phase: a subprogram checked with its callers' states (as a
 * global function the command program's verification more than doubles) */
static __noinline void sg_name_end(struct sg_scan *sc)
{
	sg_name_end_body(sc->f, &sc->pk->key);
}

/* the message: a global function, checked once on its own (the message
 * program's many callers of it would each walk it again) */
__noinline int sg_name_end_g(struct sg_flow *f, const struct sg_flow_key *key)
{
	return sg_name_end_body(f, key);
}

static __always_inline void sg_msg_name_end(struct sg_scan *sc)
{
	sg_name_end_g(sc->f, &sc->pk->key);
}

/* what an anomaly alert says, as its value */
static const char sg_what_bare_dot[SG_TOKEN_MAX] =
	"a dot line with a bare LF in DATA: not the end of data (SMTP smuggling?)";
static const char sg_what_fragments[SG_TOKEN_MAX] =
	"IP fragments in an SMTP session: not reassembled, their bytes not read";
static const char sg_what_unread[SG_TOKEN_MAX] =
	"more messages or chunks in one segment than tail calls allow: some were not read";

/* A stream anomaly: always counted by the caller; one alert per flow at
 * most, so that plain packet loss or a noisy client cannot flood the
 * operator (and the ring). */
static __always_inline void sg_anomaly_as(struct sg_flow *f, const struct sg_flow_key *key,
					  const char what[SG_TOKEN_MAX], int may_block)
{
	struct sg_config *cfg = config_get();
	enum sg_action action;

	if (!cfg || (f->flags & SG_FLOW_ANOMALY))
		return;
	f->flags |= SG_FLOW_ANOMALY;
	action = cfg->actions[SG_REASON_STREAM_ANOMALY & 7];
	if (action == SG_ACTION_OFF)
		return;
	if (action == SG_ACTION_BLOCK && !may_block)
		action = SG_ACTION_ALERT;
	if (action == SG_ACTION_BLOCK)
		f->flags |= SG_FLOW_BLOCKED;
	if (sg_alert_allowed(f))
		sg_emit(f, key, SG_REASON_STREAM_ANOMALY, SG_WHERE_STREAM, action, NULL, what);
}

static __always_inline void sg_anomaly(struct sg_flow *f, const struct sg_flow_key *key,
				       const char what[SG_TOKEN_MAX])
{
	sg_anomaly_as(f, key, what, 1);
}

#endif
