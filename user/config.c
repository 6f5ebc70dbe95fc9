// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - smtpguard.conf: one directive a line, '#' comments. Parsed into a
 * scratch policy that replaces the caller's only when the whole file (and the
 * bad-hosts files it names) is good, so a bad line never half-applies.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "config.h"
#include "domain.h"
#include "json.h"

#define BLANKS     " \t\r\v\f"
#define MSG_MAX    512
#define MAX_TOKENS 6      /* a directive and up to 3 arguments, plus extras to name */
#define READ_CHUNK 65536
#define DURATION_MAX_N 1000000000ULL /* keeps N * 86400 far from overflow */

enum kind { K_OWN, K_BAD, K_TRUSTED, K_BLOCKED, K__COUNT, K_NONE = K__COUNT };

/* Open addressing, keyed by a u64 that is already well mixed: finds
 * duplicates among a million bad hosts without a quadratic scan. */
struct key_slot {
	__u64 key;
	size_t pos1; /* entry index + 1; 0 = empty */
};

struct key_index {
	struct key_slot *slot;
	size_t cap, used;
};

struct linebuf {
	char *s;
	size_t cap;
};

struct parse_ctx {
	struct sg_policy *p;
	const char *file;    /* name for messages; NULL for policy add */
	unsigned int line;
	bool located;        /* the message already names its own FILE:LINE */
	bool dup_is_error;   /* policy add says so rather than counting it */
	bool ports_set;      /* the first port line replaces the default */
	unsigned int port_line[SG_MAX_PORTS];
	unsigned int action_line[SG_REASON__COUNT];
	unsigned int rate_line;
	unsigned int csum_line;
	unsigned int fail_line;
	unsigned int quarantine_line;
	struct key_index ix[K__COUNT];
	struct linebuf lb;
};

/* One policy list seen through its kind. arr is a copy of the policy's
 * typed pointer (no void ** aliasing); list_reserve() writes it back. */
struct list {
	struct sg_policy *p;
	enum kind k;
	void *arr;
	size_t *n, *cap;
	size_t elem, limit;
	const char *what, *limit_name;
};

static struct list list_of(struct sg_policy *p, enum kind k)
{
	switch (k) {
	case K_OWN:
		return (struct list){ p, k, p->own_domains, &p->n_own_domains,
			&p->cap_own_domains, sizeof(*p->own_domains), SG_MAX_OWN_DOMAINS,
			"internal domains", "SG_MAX_OWN_DOMAINS" };
	case K_BAD:
		return (struct list){ p, k, p->bad_hosts, &p->n_bad_hosts,
			&p->cap_bad_hosts, sizeof(*p->bad_hosts), SG_MAX_BAD_HOSTS,
			"bad hosts", "SG_MAX_BAD_HOSTS" };
	case K_TRUSTED:
		return (struct list){ p, k, p->trusted_nets, &p->n_trusted_nets,
			&p->cap_trusted_nets, sizeof(*p->trusted_nets), SG_MAX_NETS,
			"trusted nets", "SG_MAX_NETS" };
	default:
		return (struct list){ p, k, p->blocked_sources, &p->n_blocked_sources,
			&p->cap_blocked_sources, sizeof(*p->blocked_sources), SG_MAX_NETS,
			"blocked sources", "SG_MAX_NETS" };
	}
}

static void list_set_array(struct list *l, void *arr)
{
	l->arr = arr;
	switch (l->k) {
	case K_OWN: l->p->own_domains = arr; break;
	case K_BAD: l->p->bad_hosts = arr; break;
	case K_TRUSTED: l->p->trusted_nets = arr; break;
	default: l->p->blocked_sources = arr; break;
	}
}

/* Room for one more entry, within the kind's limit. */
static int list_reserve(struct list *l, char *msg, size_t n)
{
	size_t cap;
	void *q;

	if (*l->n >= l->limit) {
		snprintf(msg, n, "more than %zu %s (the limit, %s)", l->limit, l->what,
			 l->limit_name);
		return -E2BIG;
	}
	if (*l->n < *l->cap)
		return 0;
	cap = *l->cap ? *l->cap * 2 : 16;
	if (cap > l->limit)
		cap = l->limit;
	q = realloc(l->arr, cap * l->elem);
	if (!q) {
		snprintf(msg, n, "out of memory");
		return -ENOMEM;
	}
	list_set_array(l, q);
	*l->cap = cap;
	return 0;
}

static int index_add(struct key_index *ix, __u64 key, size_t pos);

static int index_grow(struct key_index *ix)
{
	struct key_index big = { .cap = ix->cap ? ix->cap * 2 : 64 };
	size_t i;

	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (!big.slot)
		return -ENOMEM;
	for (i = 0; i < ix->cap; i++)
		if (ix->slot[i].pos1)
			index_add(&big, ix->slot[i].key, ix->slot[i].pos1 - 1);
	free(ix->slot);
	*ix = big;
	return 0;
}

static int index_add(struct key_index *ix, __u64 key, size_t pos)
{
	size_t i;

	if (2 * (ix->used + 1) > ix->cap && index_grow(ix))
		return -ENOMEM;
	for (i = key & (ix->cap - 1); ix->slot[i].pos1; i = (i + 1) & (ix->cap - 1))
		;
	ix->slot[i].key = key;
	ix->slot[i].pos1 = pos + 1;
	ix->used++;
	return 0;
}

/* The next entry filed under key after *probe probes; -1 when there is none. */
static long index_next(const struct key_index *ix, __u64 key, size_t *probe)
{
	const struct key_slot *s;

	while (ix->cap && *probe < ix->cap) {
		s = &ix->slot[(key + (*probe)++) & (ix->cap - 1)];
		if (!s->pos1)
			return -1;
		if (s->key == key)
			return (long)(s->pos1 - 1);
	}
	return -1;
}

/* A key for a prefix: FNV-1a over address and length, then spread. */
static __u64 net_key(const struct sg_addr *a, __u32 mapped_prefix)
{
	__u64 h = SG_FNV_BASIS;
	size_t i;

	for (i = 0; i < sizeof(a->a); i++)
		h = (h ^ a->a[i]) * SG_FNV_PRIME;
	return sg_mix(h ^ mapped_prefix);
}

static int found_existing(struct parse_ctx *c, const char *show, __u32 id, char *msg, size_t n)
{
	if (c->dup_is_error) {
		snprintf(msg, n, "\"%s\" is already in the policy (id %u)", show, id);
		return -EEXIST;
	}
	c->p->duplicates++;
	return 0;
}

/* Normalise and append a name, unless it is there already. */
static int add_name(struct parse_ctx *c, enum kind k, const char *value, char *msg, size_t n)
{
	struct list l = list_of(c->p, k);
	struct sg_policy_name *e;
	char norm[SG_NAME_MAX];
	size_t probe = 0;
	int labels, ret;
	__u64 hash;
	long pos;

	labels = sg_domain_normalise(value, strlen(value), norm, msg, n);
	if (labels < 0)
		return labels;
	hash = sg_domain_hash(norm);
	/* names are keyed by hash alone, in the kernel too: one entry per hash */
	pos = index_next(&c->ix[k], hash, &probe);
	if (pos >= 0) {
		e = &((struct sg_policy_name *)l.arr)[pos];
		if (strcmp(e->name, norm)) {
			snprintf(msg, n, "\"%s\" and \"%s\" have the same 64-bit hash; "
				 "list only one of them", norm, e->name);
			return -EINVAL;
		}
		return found_existing(c, e->name, e->id, msg, n);
	}
	ret = list_reserve(&l, msg, n);
	if (ret)
		return ret;
	if (index_add(&c->ix[k], hash, *l.n)) {
		snprintf(msg, n, "out of memory");
		return -ENOMEM;
	}
	e = &((struct sg_policy_name *)l.arr)[*l.n];
	memset(e, 0, sizeof(*e));
	strcpy(e->name, norm);
	e->id = (__u32)++*l.n;
	e->labels = (__u32)labels;
	e->hash = hash;
	return 0;
}

static long find_net(struct parse_ctx *c, enum kind k, const struct sg_policy_net *want,
		     __u64 key)
{
	const struct sg_policy_net *arr = list_of(c->p, k).arr;
	size_t probe = 0;
	long pos;

	while ((pos = index_next(&c->ix[k], key, &probe)) >= 0)
		if (arr[pos].mapped_prefix == want->mapped_prefix &&
		    !memcmp(&arr[pos].addr, &want->addr, sizeof(want->addr)))
			return pos;
	return -1;
}

/* Parse and append a prefix, unless it is there already. */
static int add_net(struct parse_ctx *c, enum kind k, const char *cidr, __u64 duration_s,
		   char *msg, size_t n)
{
	struct list l = list_of(c->p, k);
	struct sg_policy_net net = { .duration_s = duration_s }, *e;
	__u64 key;
	long pos;
	int ret;

	ret = sg_prefix_parse(cidr, &net.addr, &net.mapped_prefix, &net.config_prefix, msg, n);
	if (ret)
		return ret;
	sg_prefix_format(&net.addr, net.mapped_prefix, net.config_prefix, net.text,
			 sizeof(net.text));
	key = net_key(&net.addr, net.mapped_prefix);
	pos = find_net(c, k, &net, key);
	if (pos >= 0) {
		e = &((struct sg_policy_net *)l.arr)[pos];
		return found_existing(c, e->text, e->id, msg, n);
	}
	ret = list_reserve(&l, msg, n);
	if (ret)
		return ret;
	if (index_add(&c->ix[k], key, *l.n)) {
		snprintf(msg, n, "out of memory");
		return -ENOMEM;
	}
	net.id = (__u32)(*l.n + 1);
	((struct sg_policy_net *)l.arr)[(*l.n)++] = net;
	return 0;
}

/* policy add works on a policy this ctx did not build: index what is there. */
static int index_existing(struct parse_ctx *c, enum kind k)
{
	struct list l = list_of(c->p, k);
	size_t i;
	__u64 key;

	for (i = 0; i < *l.n; i++) {
		if (k == K_OWN || k == K_BAD) {
			key = ((struct sg_policy_name *)l.arr)[i].hash;
		} else {
			const struct sg_policy_net *e = &((struct sg_policy_net *)l.arr)[i];

			key = net_key(&e->addr, e->mapped_prefix);
		}
		if (index_add(&c->ix[k], key, i))
			return -ENOMEM;
	}
	return 0;
}

/* Digits only, at least one, value <= max; the end, or NULL. */
static const char *parse_digits(const char *s, __u64 max, __u64 *out)
{
	__u64 v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (__u64)(*p - '0');
		if (v > max)
			return NULL;
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* "30s", "10m", "2h", "7d" */
static int parse_duration(const char *s, __u64 *secs)
{
	const char *end = parse_digits(s, DURATION_MAX_N, secs);
	__u64 mult;

	if (!end || !*secs || !end[0] || end[1])
		return -EINVAL;
	switch (end[0]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return -EINVAL;
	}
	*secs *= mult;
	return 0;
}

/* Quote an untrusted word for a message: escaped, so no byte reaches a terminal raw. */
static const char *quote(const char *s, char *buf, size_t n)
{
	sg_json_escape(s, strlen(s), buf, n);
	return buf;
}

/* a directive's arguments: the words after its name */
struct args {
	char **v;
	int n;
};

typedef int (*directive_fn)(struct parse_ctx *c, const struct args *a, char *msg, size_t n);

static int do_port(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	struct sg_policy *p = c->p;
	const char *end;
	__u64 v = 0;
	__u32 i;

	end = parse_digits(a->v[0], 65535, &v);
	if (!end || *end || !v) {
		snprintf(msg, n, "port needs a number from 1 to 65535");
		return -EINVAL;
	}
	if (!c->ports_set) {
		p->nports = 0; /* the first port line replaces the default */
		c->ports_set = true;
	}
	for (i = 0; i < p->nports; i++) {
		if (p->ports[i] == v) {
			snprintf(msg, n, "port %llu is already listed on line %u",
				 (unsigned long long)v, c->port_line[i]);
			return -EINVAL;
		}
	}
	if (p->nports >= SG_MAX_PORTS) {
		snprintf(msg, n, "more than %d ports (the limit, SG_MAX_PORTS)", SG_MAX_PORTS);
		return -E2BIG;
	}
	c->port_line[p->nports] = c->line;
	p->ports[p->nports++] = (__u16)v;
	return 0;
}

static int do_internal_domain(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	return add_name(c, K_OWN, a->v[0], msg, n);
}

static int do_bad_host(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	return add_name(c, K_BAD, a->v[0], msg, n);
}

static int do_trusted_net(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	return add_net(c, K_TRUSTED, a->v[0], 0, msg, n);
}

static int do_blocked_source(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	char q[64];
	__u64 secs = 0;

	if (a->n == 2 || (a->n == 3 && strcmp(a->v[1], "for"))) {
		snprintf(msg, n, "expected \"for DURATION\" after the prefix, not \"%s\"",
			 quote(a->v[1], q, sizeof(q)));
		return -EINVAL;
	}
	if (a->n == 3 && parse_duration(a->v[2], &secs)) {
		snprintf(msg, n, "bad duration \"%s\" (use a number and s, m, h or d: "
			 "30s, 10m, 2h, 7d)", quote(a->v[2], q, sizeof(q)));
		return -EINVAL;
	}
	return add_net(c, K_BLOCKED, a->v[0], secs, msg, n);
}

static void reason_list(char *buf, size_t n)
{
	size_t used = 0;
	int r;

	buf[0] = '\0';
	for (r = SG_REASON_NONE + 1; r < SG_REASON__ACTIONS && used < n; r++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
					 sg_reason_name(r));
}

static int do_action(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	int reason = sg_reason_from_name(a->v[0]), action = sg_action_from_name(a->v[1]);
	char q[64], names[128];

	if (reason < 0 || reason >= SG_REASON__ACTIONS) {
		reason_list(names, sizeof(names));
		snprintf(msg, n, "unknown reason \"%s\" (expected one of %s)",
			 quote(a->v[0], q, sizeof(q)), names);
		return -EINVAL;
	}
	if (action < 0) {
		snprintf(msg, n, "unknown action \"%s\" for %s (expected off, alert or block)",
			 quote(a->v[1], q, sizeof(q)), a->v[0]);
		return -EINVAL;
	}
	if (c->action_line[reason]) {
		snprintf(msg, n, "%s is already set on line %u", a->v[0], c->action_line[reason]);
		return -EINVAL;
	}
	c->action_line[reason] = c->line;
	c->p->actions[reason] = (enum sg_action)action;
	return 0;
}

static int do_rate_limit(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	const char *end;
	char q[64];
	__u64 v = 0;

	end = parse_digits(a->v[0], SG_RATE_LIMIT_MAX, &v);
	if (!end || !v || (strcmp(end, "/min") && strcmp(end, "/minute"))) {
		snprintf(msg, n, "expected N/min with N from 1 to %u, not \"%s\"",
			 (unsigned int)SG_RATE_LIMIT_MAX, quote(a->v[0], q, sizeof(q)));
		return -EINVAL;
	}
	if (c->rate_line) {
		snprintf(msg, n, "already set on line %u", c->rate_line);
		return -EINVAL;
	}
	c->rate_line = c->line;
	c->p->rate_limit_per_min = (__u32)v;
	return 0;
}

/* fail-closed yes|no: what happens to a session smtpguard cannot follow */
static int do_fail_closed(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	char q[64];

	if (c->fail_line) {
		snprintf(msg, n, "already set on line %u", c->fail_line);
		return -EINVAL;
	}
	if (strcmp(a->v[0], "yes") && strcmp(a->v[0], "no")) {
		snprintf(msg, n, "expected yes or no, not \"%s\"", quote(a->v[0], q, sizeof(q)));
		return -EINVAL;
	}
	c->fail_line = c->line;
	c->p->fail_closed = !strcmp(a->v[0], "yes");
	return 0;
}

/* quarantine N/T for D: N blocked sessions of one source within T put it
 * in sg_blocked_src for D */
static int do_quarantine(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	const char *end;
	__u64 blocks = 0, within = 0, secs = 0;
	char q[64];

	if (c->quarantine_line) {
		snprintf(msg, n, "already set on line %u", c->quarantine_line);
		return -EINVAL;
	}
	end = parse_digits(a->v[0], SG_QUARANTINE_MAX_N, &blocks);
	if (!end || !blocks || *end != '/' || parse_duration(end + 1, &within) ||
	    within > SG_QUARANTINE_MAX_S) {
		snprintf(msg, n, "expected N/DURATION (N blocked sessions, 1 to %u, within a "
			 "duration such as 10m, at most 365d), not \"%s\"",
			 (unsigned int)SG_QUARANTINE_MAX_N, quote(a->v[0], q, sizeof(q)));
		return -EINVAL;
	}
	if (strcmp(a->v[1], "for")) {
		snprintf(msg, n, "expected \"for DURATION\" after %s, not \"%s\"", a->v[0],
			 quote(a->v[1], q, sizeof(q)));
		return -EINVAL;
	}
	if (parse_duration(a->v[2], &secs) || secs > SG_QUARANTINE_MAX_S) {
		snprintf(msg, n, "bad duration \"%s\" (use a number and s, m, h or d: "
			 "30s, 10m, 2h, 7d; at most 365d)", quote(a->v[2], q, sizeof(q)));
		return -EINVAL;
	}
	c->quarantine_line = c->line;
	c->p->quarantine_blocks = (__u32)blocks;
	c->p->quarantine_within_s = (__u32)within;
	c->p->quarantine_for_s = (__u32)secs;
	return 0;
}

/* What one line cannot say alone: fail-closed cuts off the sessions it
 * cannot follow, so stream anomalies block (an explicit weaker action
 * would be a rule silently overridden: an error instead). */
static int check_whole(struct parse_ctx *c, char *err, size_t errlen)
{
	unsigned int l = c->action_line[SG_REASON_STREAM_ANOMALY];

	/* a block rule holds only on bytes smtpguard read: without its own
	 * line, stream_anomaly blocks too when any rule blocks, so a segment
	 * out of order is dropped (and sent again in order) instead of
	 * passing unread, and a message past the tail-call budget is cut off.
	 * An explicit weaker line is kept, with a warning (policy_maps.c). */
	if (!l && sg_policy_blocks(c->p))
		c->p->actions[SG_REASON_STREAM_ANOMALY] = SG_ACTION_BLOCK;
	if (!c->p->fail_closed)
		return 0;
	if (l && c->p->actions[SG_REASON_STREAM_ANOMALY] != SG_ACTION_BLOCK) {
		snprintf(err, errlen, "%s:%u: action stream_anomaly %s contradicts fail-closed yes "
			 "on line %u (which blocks the sessions smtpguard cannot follow): use "
			 "block, or leave the line out", c->file, l,
			 sg_action_name(c->p->actions[SG_REASON_STREAM_ANOMALY]), c->fail_line);
		return -EINVAL;
	}
	c->p->actions[SG_REASON_STREAM_ANOMALY] = SG_ACTION_BLOCK;
	return 0;
}

/* like Suricata's checksum-validation: auto reads segments whose checksum
 * was never filled in (offload) on the host's own virtual links only */
static int do_checksum(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	int mode = sg_csum_mode_from_name(a->v[0]);
	char q[64];

	if (c->csum_line) {
		snprintf(msg, n, "already set on line %u", c->csum_line);
		return -EINVAL;
	}
	if (mode < 0) {
		snprintf(msg, n, "expected auto, yes or no, not \"%s\"",
			 quote(a->v[0], q, sizeof(q)));
		return -EINVAL;
	}
	c->csum_line = c->line;
	c->p->csum_mode = (__u32)mode;
	return 0;
}

static int do_bad_hosts_file(struct parse_ctx *c, const struct args *a, char *msg, size_t n);

struct directive {
	const char *name;
	int min_args, max_args;
	const char *usage;
	directive_fn fn;
	bool prefix;      /* messages read "NAME: what is wrong" */
	enum kind item;   /* a kind `policy add` takes, or K_NONE */
};

static const struct directive directives[] = {
	{ "port", 1, 1, "port NUMBER", do_port, false, K_NONE },
	{ "internal-domain", 1, 1, "internal-domain NAME", do_internal_domain, true, K_OWN },
	{ "trusted-net", 1, 1, "trusted-net CIDR", do_trusted_net, true, K_TRUSTED },
	{ "bad-host", 1, 1, "bad-host NAME", do_bad_host, true, K_BAD },
	{ "bad-hosts-file", 1, 1, "bad-hosts-file PATH", do_bad_hosts_file, true, K_NONE },
	{ "blocked-source", 1, 3, "blocked-source CIDR [for DURATION]", do_blocked_source, true,
	  K_BLOCKED },
	{ "action", 2, 2, "action REASON off|alert|block", do_action, true, K_NONE },
	{ "rate-limit", 1, 1, "rate-limit N/min", do_rate_limit, true, K_NONE },
	{ "checksum-validation", 1, 1, "checksum-validation auto|yes|no", do_checksum, true,
	  K_NONE },
	{ "fail-closed", 1, 1, "fail-closed yes|no", do_fail_closed, true, K_NONE },
	{ "quarantine", 3, 3, "quarantine N/DURATION for DURATION", do_quarantine, true, K_NONE },
};

static const struct directive *find_directive(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (!strcmp(directives[i].name, name))
			return &directives[i];
	return NULL;
}

/* Split on blanks, up to a '#' when comments count; returns the number of
 * words (which may exceed max: only the first max are stored). */
static int tokenize(char *s, char **tok, int max, bool comments)
{
	char *save = NULL;
	int n = 0;

	if (comments && strchr(s, '#'))
		*strchr(s, '#') = '\0';
	for (s = strtok_r(s, BLANKS, &save); s; s = strtok_r(NULL, BLANKS, &save)) {
		if (n < max)
			tok[n] = s;
		n++;
	}
	return n;
}

/* Check the argument count, run the directive; msg is unlocated. */
static int run_directive(struct parse_ctx *c, const struct directive *d, char **args, int nargs,
			 char *msg, size_t n)
{
	char inner[MSG_MAX], q[64];
	int ret;

	if (nargs < d->min_args) {
		snprintf(msg, n, "%s: missing argument (usage: %s)", d->name, d->usage);
		return -EINVAL;
	}
	if (nargs > d->max_args) {
		snprintf(msg, n, "%s: unexpected argument \"%s\" (usage: %s)", d->name,
			 quote(args[d->max_args], q, sizeof(q)), d->usage);
		return -EINVAL;
	}
	ret = d->fn(c, &(struct args){ args, nargs }, inner, sizeof(inner));
	if (ret && d->prefix && !c->located)
		snprintf(msg, n, "%s: %s", d->name, inner);
	else if (ret)
		snprintf(msg, n, "%s", inner);
	return ret;
}

/* A mutable, NUL-terminated copy of one line; -EINVAL if it holds a NUL. */
static int line_copy(struct linebuf *lb, const char *line, size_t len)
{
	char *s;

	if (memchr(line, '\0', len))
		return -EINVAL;
	if (len + 1 > lb->cap) {
		s = realloc(lb->s, len + 1);
		if (!s)
			return -ENOMEM;
		lb->s = s;
		lb->cap = len + 1;
	}
	memcpy(lb->s, line, len);
	lb->s[len] = '\0';
	return 0;
}

static int copy_error(int ret, char *msg, size_t n)
{
	snprintf(msg, n, ret == -ENOMEM ? "out of memory" : "line holds a NUL byte");
	return ret;
}

static int parse_config_line(struct parse_ctx *c, const char *line, size_t len, char *msg,
			     size_t n)
{
	const struct directive *d;
	char *tok[MAX_TOKENS], q[64];
	int ntok, ret;

	ret = line_copy(&c->lb, line, len);
	if (ret)
		return copy_error(ret, msg, n);
	ntok = tokenize(c->lb.s, tok, MAX_TOKENS, true);
	if (!ntok)
		return 0;
	d = find_directive(tok[0]);
	if (!d) {
		snprintf(msg, n, "unknown directive \"%s\"", quote(tok[0], q, sizeof(q)));
		return -EINVAL;
	}
	return run_directive(c, d, tok + 1, ntok - 1, msg, n);
}

/* The next line of buf (without its '\n'); false at the end. */
static bool next_line(const char **pos, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*pos >= end)
		return false;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	*line = *pos;
	*len = (size_t)((nl ? nl : end) - *pos);
	*pos = nl ? nl + 1 : end;
	return true;
}

static int parse_config_text(struct parse_ctx *c, const char *buf, size_t len, char *err,
			     size_t errlen)
{
	const char *pos = buf, *line;
	char msg[MSG_MAX];
	size_t llen;
	int ret;

	for (c->line = 1; next_line(&pos, buf + len, &line, &llen); c->line++) {
		ret = parse_config_line(c, line, llen, msg, sizeof(msg));
		if (!ret)
			continue;
		if (c->located)
			snprintf(err, errlen, "%s", msg);
		else
			snprintf(err, errlen, "%s:%u: %s", c->file, c->line, msg);
		return ret;
	}
	return 0;
}

/* Room for one more chunk; -EFBIG once SG_CONFIG_FILE_MAX bytes are in. */
static int room_for_chunk(char **buf, size_t *cap, size_t len)
{
	size_t want;
	char *q;

	if (*cap - len >= READ_CHUNK)
		return 0;
	if (len >= SG_CONFIG_FILE_MAX)
		return -EFBIG;
	want = *cap ? *cap * 2 : 4 * READ_CHUNK;
	if (want > SG_CONFIG_FILE_MAX + READ_CHUNK)
		want = SG_CONFIG_FILE_MAX + READ_CHUNK;
	q = realloc(*buf, want);
	if (!q)
		return -ENOMEM;
	*buf = q;
	*cap = want;
	return 0;
}

/* A truncated or corrupt gzip stream shows here, not as a short read. */
static int read_error(gzFile gz, const char *path, char *msg, size_t n)
{
	int errnum = Z_OK, e = errno ? errno : EIO;
	const char *why = gzerror(gz, &errnum);
	size_t plen = strlen(path);

	if (errnum == Z_OK)
		return 0;
	/* zlib says "PATH: what"; the path is in the message already */
	if (!strncmp(why, path, plen) && !strncmp(why + plen, ": ", 2))
		why += plen + 2;
	snprintf(msg, n, "%s: cannot read: %s", path, errnum == Z_ERRNO ? strerror(e) : why);
	return errnum == Z_ERRNO ? -e : -EIO;
}

/* Read a whole file, plain or gzip (zlib reads plain files through). */
static int read_all(const char *path, char **out, size_t *outlen, char *msg, size_t n)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int got, ret;
	gzFile gz;

	errno = 0;
	gz = gzopen(path, "rb");
	if (!gz) {
		ret = errno ? errno : ENOMEM;
		snprintf(msg, n, "%s: cannot open: %s", path, strerror(ret));
		return -ret;
	}
	while (!(ret = room_for_chunk(&buf, &cap, len))) {
		got = gzread(gz, buf + len, READ_CHUNK);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if (ret == -EFBIG)
		snprintf(msg, n, "%s: larger than %u MiB", path, SG_CONFIG_FILE_MAX >> 20);
	else if (ret)
		snprintf(msg, n, "%s: out of memory", path);
	else
		ret = read_error(gz, path, msg, n);
	gzclose(gz);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* A relative path is taken from the directory of the file that names it. */
static int resolve_path(const char *from, const char *path, char *out, size_t n)
{
	const char *slash = from ? strrchr(from, '/') : NULL;
	int len;

	if (path[0] == '/' || !slash)
		len = snprintf(out, n, "%s", path);
	else
		len = snprintf(out, n, "%.*s/%s", (int)(slash - from), from, path);
	return len >= 0 && (size_t)len < n ? 0 : -ENAMETOOLONG;
}

static int hosts_line(struct parse_ctx *c, struct linebuf *lb, const char *line, size_t len,
		      char *msg, size_t n)
{
	char *tok[2], q[64];
	int ntok, ret;

	ret = line_copy(lb, line, len);
	if (ret)
		return copy_error(ret, msg, n);
	ntok = tokenize(lb->s, tok, 2, true);
	if (ntok > 1) {
		snprintf(msg, n, "one host a line: unexpected \"%s\"", quote(tok[1], q, sizeof(q)));
		return -EINVAL;
	}
	return ntok ? add_name(c, K_BAD, tok[0], msg, n) : 0;
}

static int parse_hosts(struct parse_ctx *c, const char *path, const char *buf, size_t len,
		       char *msg, size_t n)
{
	const char *pos = buf, *line;
	struct linebuf lb = { 0 };
	char inner[MSG_MAX];
	unsigned int no;
	size_t llen;
	int ret = 0;

	for (no = 1; next_line(&pos, buf + len, &line, &llen); no++) {
		ret = hosts_line(c, &lb, line, llen, inner, sizeof(inner));
		if (ret) {
			snprintf(msg, n, "%s:%u: %s", path, no, inner);
			c->located = true;
			break;
		}
	}
	free(lb.s);
	return ret;
}

static int do_bad_hosts_file(struct parse_ctx *c, const struct args *a, char *msg, size_t n)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int ret;

	if (resolve_path(c->file, a->v[0], path, sizeof(path))) {
		snprintf(msg, n, "path too long");
		return -ENAMETOOLONG;
	}
	ret = read_all(path, &buf, &len, msg, n);
	if (ret)
		return ret;
	ret = parse_hosts(c, path, buf, len, msg, n);
	free(buf);
	return ret;
}

static void ctx_free(struct parse_ctx *c)
{
	int k;

	for (k = 0; k < K__COUNT; k++)
		free(c->ix[k].slot);
	free(c->lb.s);
}

int sg_policy_blocks(const struct sg_policy *p)
{
	for (int r = SG_REASON_NONE + 1; r < SG_REASON__ACTIONS; r++)
		if (r != SG_REASON_STREAM_ANOMALY && p->actions[r] == SG_ACTION_BLOCK)
			return 1;
	return 0;
}

void sg_policy_init(struct sg_policy *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->ports[0] = SG_DEFAULT_PORT;
	p->nports = 1;
	p->actions[SG_REASON_NONE] = SG_ACTION_OFF;
	for (r = SG_REASON_NONE + 1; r < SG_REASON__COUNT; r++)
		p->actions[r] = SG_ACTION_ALERT;
}

void sg_policy_free(struct sg_policy *p)
{
	free(p->own_domains);
	free(p->bad_hosts);
	free(p->trusted_nets);
	free(p->blocked_sources);
	sg_policy_init(p);
}

static int parse_into(const char *name, const char *buf, size_t len, struct sg_policy *p,
		      char *err, size_t errlen)
{
	struct parse_ctx c = { .file = name };
	struct sg_policy tmp;
	int ret;

	sg_policy_init(&tmp);
	c.p = &tmp;
	ret = parse_config_text(&c, buf, len, err, errlen);
	if (!ret)
		ret = check_whole(&c, err, errlen);
	ctx_free(&c);
	if (ret) {
		sg_policy_free(&tmp);
		return ret;
	}
	*p = tmp;
	return 0;
}

int sg_config_parse_string(const char *text, const char *name_for_errors, struct sg_policy *p,
			   char *err, size_t errlen)
{
	const char *name = name_for_errors ? name_for_errors : "(config)";

	if (!text || !p) {
		snprintf(err, errlen, "%s: no configuration given", name);
		return -EINVAL;
	}
	return parse_into(name, text, strlen(text), p, err, errlen);
}

int sg_config_load(const char *path, struct sg_policy *p, char *err, size_t errlen)
{
	size_t len;
	char *buf;
	int ret;

	if (!path || !p) {
		snprintf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	ret = read_all(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = parse_into(path, buf, len, p, err, errlen);
	free(buf);
	return ret;
}

int sg_policy_add_item(struct sg_policy *p, const char *kind, const char *value, char *err,
		       size_t errlen)
{
	const struct directive *d = kind ? find_directive(kind) : NULL;
	struct parse_ctx c = { .p = p, .dup_is_error = true };
	char *tok[MAX_TOKENS], q[64];
	int ntok, ret;

	if (!d || d->item == K_NONE) {
		snprintf(err, errlen, "unknown kind \"%s\" (expected internal-domain, "
			 "trusted-net, bad-host or blocked-source)",
			 quote(kind ? kind : "", q, sizeof(q)));
		return -EINVAL;
	}
	ret = line_copy(&c.lb, value ? value : "", value ? strlen(value) : 0);
	if (!ret)
		ret = index_existing(&c, d->item);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* no comments here: a '#' in a command-line value is a mistake to show */
	ntok = tokenize(c.lb.s, tok, MAX_TOKENS, false);
	ret = run_directive(&c, d, tok, ntok, err, errlen);
out:
	ctx_free(&c);
	return ret;
}
