// SPDX-License-Identifier: GPL-2.0
/* policy_maps.c - writing and reading the policy in the kernel's maps */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "skel.h"
#include "policy_maps.h"
#include "pin.h"
#include "domain.h"

void sg_maps_init(struct sg_maps *m)
{
	m->flows = m->sources = m->own_domains = m->bad_hosts = -1;
	m->trusted_nets = m->blocked_src = m->config = m->stats = m->events = -1;
	m->filter = -1;
}

void sg_maps_from_skel(struct smtpguard *skel, struct sg_maps *m)
{
	m->flows = bpf_map__fd(skel->maps.sg_flows);
	m->sources = bpf_map__fd(skel->maps.sg_sources);
	m->own_domains = bpf_map__fd(skel->maps.sg_own_domains);
	m->bad_hosts = bpf_map__fd(skel->maps.sg_bad_hosts);
	m->trusted_nets = bpf_map__fd(skel->maps.sg_trusted_nets);
	m->blocked_src = bpf_map__fd(skel->maps.sg_blocked_src);
	m->config = bpf_map__fd(skel->maps.sg_config);
	m->stats = bpf_map__fd(skel->maps.sg_stats);
	m->events = bpf_map__fd(skel->maps.sg_events);
	m->filter = bpf_map__fd(skel->maps.sg_name_filter);
}

void sg_maps_close(struct sg_maps *m)
{
	int *fds[] = { &m->flows, &m->sources, &m->own_domains, &m->bad_hosts, &m->trusted_nets,
		       &m->blocked_src, &m->config, &m->stats, &m->events, &m->filter };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int sg_maps_open_pinned(const char *pin_dir, struct sg_maps *m)
{
	struct {
		int *fd;
		const char *name;
	} t[] = {
		{ &m->flows, SG_MAP_FLOWS },		{ &m->sources, SG_MAP_SOURCES },
		{ &m->own_domains, SG_MAP_OWN_DOMAINS }, { &m->bad_hosts, SG_MAP_BAD_HOSTS },
		{ &m->trusted_nets, SG_MAP_TRUSTED_NETS }, { &m->blocked_src, SG_MAP_BLOCKED_SRC },
		{ &m->config, SG_MAP_CONFIG },		{ &m->stats, SG_MAP_STATS },
		{ &m->events, SG_MAP_EVENTS },		{ &m->filter, SG_MAP_NAME_FILTER },
	};

	sg_maps_init(m);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		*t[i].fd = sg_pin_open(pin_dir, t[i].name, 1);
		if (*t[i].fd < 0) {
			int err = *t[i].fd;

			*t[i].fd = -1;
			sg_maps_close(m);
			return err;
		}
	}
	return 0;
}

static int config_get(const struct sg_maps *m, struct sg_config *c)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, c) ? -errno : 0;
}

static int config_set(const struct sg_maps *m, const struct sg_config *c)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->config, &zero, c, BPF_ANY) ? -errno : 0;
}

static __u64 now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Sets the prefilter bit of a name; it must be set before the entry exists,
 * or the kernel could skip a name that is in the policy. Callers hold the
 * pin-dir lock, so no apply rebuilds the words at the same time. */
static int filter_set(const struct sg_maps *m, __u32 kind, __u64 hash)
{
	__u32 w = sg_filter_word(kind, hash);
	__u64 v = 0;

	if (bpf_map_lookup_elem(m->filter, &w, &v))
		return -errno;
	v |= sg_filter_mask(hash);
	return bpf_map_update_elem(m->filter, &w, &v, BPF_ANY) ? -errno : 0;
}

/* After a generation flip: the words hold exactly the policy's bits again
 * (deleted names leave bits behind until then; a stale bit costs a lookup). */
static int filter_rebuild(const struct sg_maps *m, const struct sg_policy *p)
{
	__u32 n = SG_FILTER_KINDS * SG_FILTER_WORDS, count = n;
	__u64 *words = calloc(n, sizeof(*words));
	__u32 *keys = calloc(n, sizeof(*keys));
	int err = 0;

	if (!words || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n_own_domains; i++)
		words[sg_filter_word(SG_FILTER_OWN_DOMAINS, p->own_domains[i].hash)] |=
			sg_filter_mask(p->own_domains[i].hash);
	for (size_t i = 0; i < p->n_bad_hosts; i++) {
		char forms[SG_IPV4_FORMS][SG_NAME_MAX];
		int nf = sg_ipv4_forms(p->bad_hosts[i].name, forms);

		words[sg_filter_word(SG_FILTER_BAD_HOSTS, p->bad_hosts[i].hash)] |=
			sg_filter_mask(p->bad_hosts[i].hash);
		for (int f = 0; f < nf; f++) {
			__u64 h = sg_domain_hash(forms[f]);

			words[sg_filter_word(SG_FILTER_BAD_HOSTS, h)] |= sg_filter_mask(h);
		}
	}
	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	if (bpf_map_update_batch(m->filter, keys, words, &count, NULL))
		err = -errno;
out:
	free(words);
	free(keys);
	return err;
}

/* entries that only spell another entry differently (an IPv4 bad host as one
 * number, in hex...): the kernel matches them, `policy show` does not list them */
#define SG_NAME_VARIANT 0x80000000u

static int put_one(const struct sg_maps *m, int fd, __u32 kind, __u64 hash, __u32 id,
		   __u32 labels, const char *name, __u32 gen, __u64 flags)
{
	struct sg_name_key k = { .hash = hash, .gen = gen };
	struct sg_name_val v = { .id = id, .labels = labels };
	int err = filter_set(m, kind, hash);

	if (err)
		return err;
	snprintf(v.name, sizeof(v.name), "%s", name);
	return bpf_map_update_elem(fd, &k, &v, flags) ? -errno : 0;
}

/* a bad host that is an IPv4 address: its other spellings too */
static int ipv4_forms(__u32 kind, const char *name, char forms[SG_IPV4_FORMS][SG_NAME_MAX])
{
	return kind == SG_FILTER_BAD_HOSTS ? sg_ipv4_forms(name, forms) : 0;
}

static int put_name(const struct sg_maps *m, int fd, __u32 kind, const struct sg_policy_name *n,
		    __u32 gen, __u64 flags)
{
	char forms[SG_IPV4_FORMS][SG_NAME_MAX];
	int err = put_one(m, fd, kind, n->hash, n->id, n->labels, n->name, gen, flags);

	for (int i = 0, nf = err ? 0 : ipv4_forms(kind, n->name, forms); i < nf && !err; i++)
		err = put_one(m, fd, kind, sg_domain_hash(forms[i]), n->id,
			      n->labels | SG_NAME_VARIANT, n->name, gen, BPF_ANY);
	return err;
}

static int put_net(int fd, const struct sg_policy_net *n, __u32 gen, __u64 flags)
{
	struct sg_lpm_key k = { .prefixlen = 32 + n->mapped_prefix, .gen = gen, .addr = n->addr };
	struct sg_net_val v = { .id = n->id, .prefix = n->config_prefix };

	if (n->duration_s)
		v.expires_ns = now_mono_ns() + n->duration_s * 1000000000ULL;
	return bpf_map_update_elem(fd, &k, &v, flags) ? -errno : 0;
}

/* Deletes every key of fd whose generation is not keep (or is, if same).
 * Keys are collected first: deleting while walking restarts get_next_key. */
static int sweep(int fd, size_t key_size, size_t gen_off, __u32 gen, int same)
{
	size_t cap = 1024, n = 0;
	char *keys = malloc(cap * key_size), cur[64] = { 0 }, next[64];
	int have = 0, err = 0;

	if (!keys)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, have ? cur : NULL, next) == 0) {
		__u32 g;

		memcpy(cur, next, key_size);
		have = 1;
		memcpy(&g, next + gen_off, sizeof(g));
		if ((g == gen) != !!same)
			continue;
		if (n == cap) {
			char *k2 = realloc(keys, 2 * cap * key_size);

			if (!k2) {
				err = -ENOMEM;
				break;
			}
			keys = k2;
			cap *= 2;
		}
		memcpy(keys + n++ * key_size, next, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * key_size);
	free(keys);
	return err;
}

static int sweep_all(const struct sg_maps *m, __u32 gen, int same)
{
	int err = 0;

	err |= sweep(m->own_domains, sizeof(struct sg_name_key),
		     offsetof(struct sg_name_key, gen), gen, same);
	err |= sweep(m->bad_hosts, sizeof(struct sg_name_key), offsetof(struct sg_name_key, gen),
		     gen, same);
	err |= sweep(m->trusted_nets, sizeof(struct sg_lpm_key), offsetof(struct sg_lpm_key, gen),
		     gen, same);
	err |= sweep(m->blocked_src, sizeof(struct sg_lpm_key), offsetof(struct sg_lpm_key, gen),
		     gen, same);
	return err;
}

/* Copies the quarantine entries of generation from that are still in
 * force into generation to, unless that one already has the prefix. */
static void quarantines_carry(int fd, __u32 from, __u32 to)
{
	struct sg_lpm_key k, *cur = NULL;
	__u64 now = now_mono_ns();
	struct sg_net_val v;

	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		struct sg_lpm_key nk;

		cur = &k;
		if (k.gen != from || bpf_map_lookup_elem(fd, &k, &v) ||
		    v.id != SG_NET_ID_QUARANTINE || v.expires_ns <= now)
			continue;
		nk = k;
		nk.gen = to;
		bpf_map_update_elem(fd, &nk, &v, BPF_NOEXIST);
	}
}

static int write_generation(const struct sg_maps *m, const struct sg_policy *p, __u32 gen,
			    char *err, size_t errlen)
{
	const char *what = NULL;
	int ret = 0;

	for (size_t i = 0; !ret && i < p->n_own_domains; i++)
		if ((ret = put_name(m, m->own_domains, SG_FILTER_OWN_DOMAINS, &p->own_domains[i],
				    gen, BPF_ANY)))
			what = SG_MAP_OWN_DOMAINS;
	for (size_t i = 0; !ret && i < p->n_bad_hosts; i++)
		if ((ret = put_name(m, m->bad_hosts, SG_FILTER_BAD_HOSTS, &p->bad_hosts[i], gen,
				    BPF_ANY)))
			what = SG_MAP_BAD_HOSTS;
	for (size_t i = 0; !ret && i < p->n_trusted_nets; i++)
		if ((ret = put_net(m->trusted_nets, &p->trusted_nets[i], gen, BPF_ANY)))
			what = SG_MAP_TRUSTED_NETS;
	for (size_t i = 0; !ret && i < p->n_blocked_sources; i++)
		if ((ret = put_net(m->blocked_src, &p->blocked_sources[i], gen, BPF_ANY)))
			what = SG_MAP_BLOCKED_SRC;
	if (ret)
		snprintf(err, errlen, "%s: cannot write the new policy: %s", what, strerror(-ret));
	return ret;
}

int sg_policy_apply_maps(const struct sg_maps *m, const struct sg_policy *p, char *err,
			 size_t errlen)
{
	__u32 lax[SG_MAX_IFACES];
	struct sg_config c;
	__u32 gen;
	int ret;

	ret = config_get(m, &c);
	if (ret) {
		snprintf(err, errlen, "%s: %s", SG_MAP_CONFIG, strerror(-ret));
		return ret;
	}
	gen = c.generation + 1;
	/* leftovers of an apply that died half-way carry this generation */
	sweep_all(m, gen, 1);
	ret = write_generation(m, p, gen, err, errlen);
	/* quarantines the kernel made stay while they last (and quarantine
	 * stays on); an entry of the new policy for the same prefix wins */
	if (!ret && p->quarantine_blocks)
		quarantines_carry(m->blocked_src, c.generation, gen);
	if (ret) {
		sweep_all(m, gen, 1); /* nothing applied */
		return ret;
	}
	/* the virtual links load found stay (they belong to the attachments) */
	memcpy(lax, c.csum_lax_if, sizeof(lax));
	memset(&c, 0, sizeof(c));
	memcpy(c.csum_lax_if, lax, sizeof(lax));
	c.csum_mode = p->csum_mode;
	c.generation = gen;
	c.nports = p->nports;
	memcpy(c.ports, p->ports, sizeof(c.ports));
	for (int r = 0; r < SG_REASON__COUNT; r++)
		c.actions[r] = p->actions[r];
	c.rate_limit_per_min = p->rate_limit_per_min;
	c.fail_closed = p->fail_closed;
	c.quarantine_blocks = p->quarantine_blocks;
	c.quarantine_within_s = p->quarantine_within_s;
	c.quarantine_for_s = p->quarantine_for_s;
	c.own_domains = p->n_own_domains;
	c.bad_hosts = p->n_bad_hosts;
	for (size_t i = 0; i < p->n_bad_hosts; i++)
		c.bad_one_label |= sg_bad_host_one_label(&p->bad_hosts[i]);
	c.trusted_nets = p->n_trusted_nets;
	c.blocked_sources = p->n_blocked_sources;
	/* the switch: one update of sg_config makes the new generation live */
	ret = config_set(m, &c);
	if (ret) {
		snprintf(err, errlen, "%s: %s", SG_MAP_CONFIG, strerror(-ret));
		sweep_all(m, gen, 1);
		return ret;
	}
	sweep_all(m, gen, 0);
	ret = filter_rebuild(m, p);
	if (ret)
		snprintf(err, errlen, "%s: %s", SG_MAP_NAME_FILTER, strerror(-ret));
	return ret;
}

/* ---- reading back ---- */

static int name_cmp(const void *a, const void *b)
{
	const struct sg_policy_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int net_cmp(const void *a, const void *b)
{
	const struct sg_policy_net *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int read_names(int fd, __u32 gen, struct sg_policy_name **out, size_t *n, size_t *cap)
{
	struct sg_name_key k, *cur = NULL;
	struct sg_name_val v;

	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		cur = &k;
		if (k.gen != gen || bpf_map_lookup_elem(fd, &k, &v) || (v.labels & SG_NAME_VARIANT))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			void *p = realloc(*out, nc * sizeof(**out));

			if (!p)
				return -ENOMEM;
			*out = p;
			*cap = nc;
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		snprintf((*out)[*n].name, SG_NAME_MAX, "%s", v.name);
		(*out)[*n].id = v.id;
		(*out)[*n].labels = v.labels;
		(*out)[*n].hash = k.hash;
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), name_cmp);
	return 0;
}

static int read_nets(int fd, __u32 gen, struct sg_policy_net **out, size_t *n, size_t *cap)
{
	struct sg_lpm_key k, *cur = NULL;
	struct sg_net_val v;
	__u64 now = now_mono_ns();

	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		struct sg_policy_net *e;

		cur = &k;
		if (k.gen != gen || bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (v.expires_ns && v.expires_ns <= now)
			continue; /* expired: no longer in force */
		if (v.id == SG_NET_ID_QUARANTINE)
			continue; /* made by the kernel: sg_quarantine_read() */
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			void *p = realloc(*out, nc * sizeof(**out));

			if (!p)
				return -ENOMEM;
			*out = p;
			*cap = nc;
		}
		e = &(*out)[*n];
		memset(e, 0, sizeof(*e));
		e->addr = k.addr;
		e->mapped_prefix = k.prefixlen - 32;
		e->config_prefix = v.prefix;
		e->id = v.id;
		if (v.expires_ns)
			e->duration_s = (v.expires_ns - now) / 1000000000ULL + 1;
		sg_prefix_format(&e->addr, e->mapped_prefix, e->config_prefix, e->text,
				 sizeof(e->text));
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), net_cmp);
	return 0;
}

int sg_policy_read_maps(const struct sg_maps *m, struct sg_policy *p)
{
	struct sg_config c;
	int err;

	sg_policy_init(p);
	err = config_get(m, &c);
	if (err)
		return err;
	p->nports = c.nports;
	memcpy(p->ports, c.ports, sizeof(p->ports));
	for (int r = 0; r < SG_REASON__COUNT; r++)
		p->actions[r] = c.actions[r];
	p->rate_limit_per_min = c.rate_limit_per_min;
	p->csum_mode = c.csum_mode;
	p->fail_closed = c.fail_closed;
	p->quarantine_blocks = c.quarantine_blocks;
	p->quarantine_within_s = c.quarantine_within_s;
	p->quarantine_for_s = c.quarantine_for_s;
	err = read_names(m->own_domains, c.generation, &p->own_domains, &p->n_own_domains,
			 &p->cap_own_domains);
	err = err ?: read_names(m->bad_hosts, c.generation, &p->bad_hosts, &p->n_bad_hosts,
				&p->cap_bad_hosts);
	err = err ?: read_nets(m->trusted_nets, c.generation, &p->trusted_nets,
			       &p->n_trusted_nets, &p->cap_trusted_nets);
	err = err ?: read_nets(m->blocked_src, c.generation, &p->blocked_sources,
			       &p->n_blocked_sources, &p->cap_blocked_sources);
	return err;
}

/* ---- one entry at a time ---- */

/* Parses KIND VALUE with the config parser into a one-entry policy, so a
 * value on the command line means exactly what it means in the file. */
static int parse_item(const char *kind, const char *value, struct sg_policy *one, char *err,
		      size_t errlen)
{
	sg_policy_init(one);
	return sg_policy_add_item(one, kind, value, err, errlen);
}

static __u32 next_id_names(int fd, __u32 gen)
{
	struct sg_name_key k, *cur = NULL;
	struct sg_name_val v;
	__u32 max = 0;

	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		cur = &k;
		if (k.gen == gen && !bpf_map_lookup_elem(fd, &k, &v) && v.id > max)
			max = v.id;
	}
	return max + 1;
}

static __u32 next_id_nets(int fd, __u32 gen)
{
	struct sg_lpm_key k, *cur = NULL;
	struct sg_net_val v;
	__u32 max = 0;

	while (bpf_map_get_next_key(fd, cur, &k) == 0) {
		cur = &k;
		if (k.gen == gen && !bpf_map_lookup_elem(fd, &k, &v) && v.id > max)
			max = v.id;
	}
	return max + 1;
}

static int change_item(const struct sg_maps *m, const char *kind, const char *value, int add,
		       char *err, size_t errlen)
{
	struct sg_policy one;
	struct sg_config c;
	__u32 *count = NULL;
	int ret, fd = -1, is_net = 0;
	__u32 limit = 0;

	ret = parse_item(kind, value, &one, err, errlen);
	if (ret)
		return ret;
	ret = config_get(m, &c);
	if (ret) {
		snprintf(err, errlen, "%s: %s", SG_MAP_CONFIG, strerror(-ret));
		goto out;
	}
	if (one.n_own_domains) {
		fd = m->own_domains, count = &c.own_domains, limit = SG_MAX_OWN_DOMAINS;
	} else if (one.n_bad_hosts) {
		fd = m->bad_hosts, count = &c.bad_hosts, limit = SG_MAX_BAD_HOSTS;
	} else if (one.n_trusted_nets) {
		fd = m->trusted_nets, count = &c.trusted_nets, is_net = 1, limit = SG_MAX_NETS;
	} else {
		fd = m->blocked_src, count = &c.blocked_sources, is_net = 1, limit = SG_MAX_NETS;
	}
	if (is_net) {
		struct sg_policy_net *n = one.n_trusted_nets ? one.trusted_nets : one.blocked_sources;
		struct sg_lpm_key k = { .prefixlen = 32 + n->mapped_prefix, .gen = c.generation,
					.addr = n->addr };

		struct sg_net_val old;

		int found = !bpf_map_lookup_elem(fd, &k, &old);
		/* a quarantine the kernel made is no policy entry: not counted */
		int quarantine = found && !one.n_trusted_nets && old.id == SG_NET_ID_QUARANTINE;

		if (add) {
			/* an expired block is not in force: it may be set again */
			int expired = found && !quarantine && old.expires_ns &&
				      old.expires_ns <= now_mono_ns();

			if (*count >= limit && !expired) {
				ret = -E2BIG;
			} else {
				n->id = expired ? old.id : next_id_nets(fd, c.generation);
				ret = put_net(fd, n, c.generation,
					      expired || quarantine ? BPF_EXIST : BPF_NOEXIST);
				if (!ret && expired)
					(*count)--; /* replaced, not added */
			}
		} else {
			ret = bpf_map_delete_elem(fd, &k) ? -errno : 0;
			if (!ret && quarantine)
				(*count)++; /* released early: the count stays */
		}
	} else {
		struct sg_policy_name *n = one.n_own_domains ? one.own_domains : one.bad_hosts;
		struct sg_name_key k = { .hash = n->hash, .gen = c.generation };
		__u32 kind = one.n_own_domains ? SG_FILTER_OWN_DOMAINS : SG_FILTER_BAD_HOSTS;

		if (add) {
			if (*count >= limit) {
				ret = -E2BIG;
			} else {
				/* the flag first: the name must never be in force
				 * while dotless parameters are still skipped */
				if (one.n_bad_hosts && !c.bad_one_label && sg_bad_host_one_label(n)) {
					c.bad_one_label = 1;
					config_set(m, &c);
				}
				n->id = next_id_names(fd, c.generation);
				ret = put_name(m, fd, kind, n, c.generation, BPF_NOEXIST);
			}
		} else {
			char forms[SG_IPV4_FORMS][SG_NAME_MAX];
			int nf;

			ret = bpf_map_delete_elem(fd, &k) ? -errno : 0;
			nf = ret ? 0 : ipv4_forms(kind, n->name, forms);
			for (int i = 0; i < nf; i++) {
				struct sg_name_key kv = { .hash = sg_domain_hash(forms[i]),
							  .gen = c.generation };

				bpf_map_delete_elem(fd, &kv);
			}
		}
	}
	if (ret == -EEXIST)
		snprintf(err, errlen, "%s %s: already in the policy", kind, value);
	else if (ret == -ENOENT)
		snprintf(err, errlen, "%s %s: not in the policy", kind, value);
	else if (ret == -E2BIG)
		snprintf(err, errlen, "%s: the policy holds the most entries it can (%u)", kind,
			 limit);
	else if (ret)
		snprintf(err, errlen, "%s %s: %s", kind, value, strerror(-ret));
	if (!ret) {
		*count = add ? *count + 1 : (*count ? *count - 1 : 0);
		/* a block taken away or made shorter: what SYNs remembered of
		 * the old entry (bpf/blocked.h) is void from this update on */
		if (fd == m->blocked_src)
			c.blocked_epoch++;
		config_set(m, &c);
	}
out:
	sg_policy_free(&one);
	return ret;
}

int sg_policy_add_maps(const struct sg_maps *m, const char *kind, const char *value, char *err,
		       size_t errlen)
{
	return change_item(m, kind, value, 1, err, errlen);
}

int sg_policy_del_maps(const struct sg_maps *m, const char *kind, const char *value, char *err,
		       size_t errlen)
{
	return change_item(m, kind, value, 0, err, errlen);
}

/* A bad host that a dotless link parameter could be: one label, or an IPv4
 * address (one of its spellings is one number). */
int sg_bad_host_one_label(const struct sg_policy_name *n)
{
	char forms[SG_IPV4_FORMS][SG_NAME_MAX];

	return n->labels < 2 || sg_ipv4_forms(n->name, forms) > 0;
}

void sg_policy_warn_unenforced(const struct sg_policy *p, const char *source)
{
	/* entries that are valid but almost surely not what the admin meant */
	for (size_t i = 0; i < p->n_trusted_nets; i++)
		if (p->trusted_nets[i].config_prefix < 8)
			fprintf(stderr, "smtpguard: warning: %s: trusted-net %s trusts a /%u: "
				"nearly every source may then claim our domains\n", source,
				p->trusted_nets[i].text, p->trusted_nets[i].config_prefix);
	for (size_t i = 0; i < p->n_own_domains; i++)
		if (p->own_domains[i].labels < 2)
			fprintf(stderr, "smtpguard: warning: %s: internal-domain %s is a whole "
				"top-level domain\n", source, p->own_domains[i].name);
	if (sg_policy_blocks(p) && p->actions[SG_REASON_STREAM_ANOMALY] != SG_ACTION_BLOCK)
		fprintf(stderr, "smtpguard: warning: %s: a rule blocks but action stream_anomaly is "
			"%s: a message sent in segments out of order, or past the tail-call budget, "
			"passes unread instead of being blocked\n", source,
			sg_action_name(p->actions[SG_REASON_STREAM_ANOMALY]));
	if (p->quarantine_blocks) {
		int blocks = 0;

		for (int r = SG_REASON_NONE + 1; r < SG_REASON__ACTIONS; r++)
			blocks |= p->actions[r] == SG_ACTION_BLOCK;
		if (!blocks)
			fprintf(stderr, "smtpguard: warning: %s: quarantine counts blocked sessions, "
				"and no action is block: no source will be quarantined\n", source);
	}
	if (p->rate_limit_per_min && p->actions[SG_REASON_RATE_EXCEEDED] == SG_ACTION_OFF)
		fprintf(stderr, "smtpguard: warning: %s: rate-limit is set and action "
			"rate_exceeded is off: the limit does nothing\n", source);
}

int sg_quarantine_read(const struct sg_maps *m, struct sg_quarantined **out, size_t *n)
{
	struct sg_lpm_key k, *cur = NULL;
	size_t cap = 0;
	struct sg_config c;
	struct sg_net_val v;
	__u64 now = now_mono_ns();
	int err;

	*out = NULL;
	*n = 0;
	err = config_get(m, &c);
	if (err)
		return err;
	while (bpf_map_get_next_key(m->blocked_src, cur, &k) == 0) {
		struct sg_quarantined *q;

		cur = &k;
		if (k.gen != c.generation || bpf_map_lookup_elem(m->blocked_src, &k, &v) ||
		    v.id != SG_NET_ID_QUARANTINE || v.expires_ns <= now)
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *p = realloc(*out, nc * sizeof(**out));

			if (!p)
				return -ENOMEM;
			*out = p;
			cap = nc;
		}
		q = &(*out)[(*n)++];
		q->addr = k.addr;
		q->left_s = (v.expires_ns - now) / 1000000000ULL + 1;
		sg_prefix_format(&k.addr, k.prefixlen - 32, v.prefix, q->text, sizeof(q->text));
	}
	return 0;
}
