// SPDX-License-Identifier: GPL-2.0
/* cmd_policy.c - policy apply|add|del|show and check-config */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpguard.h"
#include "commands.h"
#include "config.h"
#include "json.h"
#include "names.h"
#include "policy_maps.h"

static const char *kinds[] = { "internal-domain", "trusted-net", "bad-host", "blocked-source" };

static int known_kind(const char *k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i], k))
			return 1;
	return 0;
}

static void show_text(const struct sg_policy *p)
{
	printf("ports:");
	for (__u32 i = 0; i < p->nports; i++)
		printf(" %u", p->ports[i]);
	printf("\nactions:");
	for (int r = 1; r < SG_REASON__ACTIONS; r++)
		printf(" %s=%s", sg_reason_name(r), sg_action_name(p->actions[r]));
	printf("\nrate-limit: ");
	if (p->rate_limit_per_min)
		printf("%u/min\n", p->rate_limit_per_min);
	else
		printf("none\n");
	printf("quarantine: ");
	if (p->quarantine_blocks)
		printf("%u/%us for %us\n", p->quarantine_blocks, p->quarantine_within_s,
		       p->quarantine_for_s);
	else
		printf("off\n");
	printf("fail-closed: %s\n", p->fail_closed ? "yes" : "no");
	printf("checksum-validation: %s\n", sg_csum_mode_name(p->csum_mode));
	for (size_t i = 0; i < p->n_own_domains; i++)
		printf("internal-domain %s\n", p->own_domains[i].name);
	for (size_t i = 0; i < p->n_trusted_nets; i++)
		printf("trusted-net %s\n", p->trusted_nets[i].text);
	for (size_t i = 0; i < p->n_bad_hosts; i++)
		printf("bad-host %s\n", p->bad_hosts[i].name);
	for (size_t i = 0; i < p->n_blocked_sources; i++) {
		printf("blocked-source %s", p->blocked_sources[i].text);
		if (p->blocked_sources[i].duration_s)
			printf(" for %llus", (unsigned long long)p->blocked_sources[i].duration_s);
		printf("\n");
	}
}

static void json_names(struct sg_json *j, const char *key, const struct sg_policy_name *n,
		       size_t cnt)
{
	sg_json_key(j, key);
	sg_json_begin_array(j);
	for (size_t i = 0; i < cnt; i++)
		sg_json_string(j, n[i].name);
	sg_json_end_array(j);
}

static void json_nets(struct sg_json *j, const char *key, const struct sg_policy_net *n,
		      size_t cnt)
{
	sg_json_key(j, key);
	sg_json_begin_array(j);
	for (size_t i = 0; i < cnt; i++)
		sg_json_string(j, n[i].text);
	sg_json_end_array(j);
}

static void show_json(const struct sg_policy *p)
{
	struct sg_json j;

	sg_json_init(&j, stdout);
	sg_json_begin_object(&j);
	sg_json_key(&j, "ports");
	sg_json_begin_array(&j);
	for (__u32 i = 0; i < p->nports; i++)
		sg_json_uint(&j, p->ports[i]);
	sg_json_end_array(&j);
	sg_json_key(&j, "actions");
	sg_json_begin_object(&j);
	for (int r = 1; r < SG_REASON__ACTIONS; r++)
		sg_json_kv_string(&j, sg_reason_name(r), sg_action_name(p->actions[r]));
	sg_json_end_object(&j);
	sg_json_kv_uint(&j, "rate_limit_per_min", p->rate_limit_per_min);
	sg_json_key(&j, "quarantine");
	if (p->quarantine_blocks) {
		sg_json_begin_object(&j);
		sg_json_kv_uint(&j, "blocked_sessions", p->quarantine_blocks);
		sg_json_kv_uint(&j, "within_s", p->quarantine_within_s);
		sg_json_kv_uint(&j, "for_s", p->quarantine_for_s);
		sg_json_end_object(&j);
	} else {
		sg_json_null(&j);
	}
	sg_json_kv_bool(&j, "fail_closed", p->fail_closed);
	sg_json_kv_string(&j, "checksum_validation", sg_csum_mode_name(p->csum_mode));
	json_names(&j, "internal_domains", p->own_domains, p->n_own_domains);
	json_nets(&j, "trusted_nets", p->trusted_nets, p->n_trusted_nets);
	json_names(&j, "bad_hosts", p->bad_hosts, p->n_bad_hosts);
	/* blocked sources carry their time left, as `policy show` prints it */
	sg_json_key(&j, "blocked_sources");
	sg_json_begin_array(&j);
	for (size_t i = 0; i < p->n_blocked_sources; i++) {
		sg_json_begin_object(&j);
		sg_json_kv_string(&j, "prefix", p->blocked_sources[i].text);
		if (p->blocked_sources[i].duration_s)
			sg_json_kv_uint(&j, "expires_in_s", p->blocked_sources[i].duration_s);
		sg_json_end_object(&j);
	}
	sg_json_end_array(&j);
	sg_json_end_object(&j);
	putchar('\n');
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int do_policy(int argc, char **argv, const struct sg_globals *g)
{
	struct sg_policy pol;
	struct sg_maps m;
	struct timespec t0;
	char err[512];
	const char *sub = argc > 1 ? argv[1] : "";
	int ret = 0, json = 0, lock;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(sub, "show")) {
		json = argc == 3 && !strcmp(argv[2], "--json");
		if (argc > 3 || (argc == 3 && !json))
			return sg_bad_usage("policy", "show takes only --json");
	} else if (!strcmp(sub, "apply")) {
		if (argc != 3)
			return sg_bad_usage("policy", "apply needs one FILE");
	} else if (!strcmp(sub, "add") || !strcmp(sub, "del")) {
		if (argc < 4)
			return sg_bad_usage("policy", "%s needs KIND VALUE", sub);
		if (!known_kind(argv[2]))
			return sg_bad_usage("policy", "unknown KIND '%s' (internal-domain, "
					    "trusted-net, bad-host or blocked-source)", argv[2]);
	} else {
		return sg_bad_usage("policy", "expected apply, add, del or show");
	}
	sg_policy_init(&pol);
	/* parse before touching anything: a bad file applies nothing */
	if (!strcmp(sub, "apply") && sg_config_load(argv[2], &pol, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	if (!strcmp(sub, "add") || !strcmp(sub, "del")) {
		/* a bad value is reported as such, before root or the maps matter */
		struct sg_policy one;
		char value[1024] = "";

		for (int i = 3; i < argc; i++) {
			strncat(value, argv[i], sizeof(value) - strlen(value) - 2);
			if (i + 1 < argc)
				strcat(value, " ");
		}
		sg_policy_init(&one);
		ret = sg_policy_add_item(&one, argv[2], value, err, sizeof(err));
		sg_policy_free(&one);
		if (ret) {
			sg_err("policy %s: %s", sub, err);
			goto out_err;
		}
	}
	if (sg_need_root("policy"))
		goto out_err;
	lock = sg_pin_lock(g->pin_dir, 0);
	if (sg_maps_open_pinned(g->pin_dir, &m)) {
		if (lock >= 0)
			close(lock);
		goto out_err;
	}
	if (!strcmp(sub, "show")) {
		ret = sg_policy_read_maps(&m, &pol);
		if (ret)
			sg_err("policy: cannot read the maps: %s", strerror(-ret));
		else if (json)
			show_json(&pol);
		else
			show_text(&pol);
	} else if (!strcmp(sub, "apply")) {
		ret = sg_policy_apply_maps(&m, &pol, err, sizeof(err));
		if (ret)
			sg_err("%s", err);
		else
			printf("smtpguard: policy from %s applied in %.1f ms\n", argv[2], ms_since(&t0));
		if (!ret)
			sg_policy_warn_unenforced(&pol, argv[2]);
	} else {
		char value[1024] = "";

		/* "blocked-source 192.0.2.66/32 for 10m" may come as several words */
		for (int i = 3; i < argc; i++) {
			strncat(value, argv[i], sizeof(value) - strlen(value) - 2);
			if (i + 1 < argc)
				strcat(value, " ");
		}
		ret = !strcmp(sub, "add") ? sg_policy_add_maps(&m, argv[2], value, err, sizeof(err)) :
					    sg_policy_del_maps(&m, argv[2], value, err, sizeof(err));
		if (ret)
			sg_err("policy %s: %s", sub, err);
		else
			printf("smtpguard: policy %s %s %s: in force (%.1f ms)\n", sub, argv[2], value,
			       ms_since(&t0));
	}
	sg_maps_close(&m);
	if (lock >= 0)
		close(lock);
	sg_policy_free(&pol);
	return ret;
out_err:
	sg_policy_free(&pol);
	return -1;
}

int do_check_config(int argc, char **argv, const struct sg_globals *g)
{
	struct sg_policy pol;
	char err[512];

	if (argc != 2 || argv[1][0] == '-')
		return sg_bad_usage("check-config", "expected one FILE");
	sg_policy_init(&pol);
	if (sg_config_load(argv[1], &pol, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	printf("%s: ok: %u port%s, %zu internal domain%s, %zu trusted net%s, %zu bad host%s, "
	       "%zu blocked source%s", argv[1], pol.nports, pol.nports == 1 ? "" : "s",
	       pol.n_own_domains, pol.n_own_domains == 1 ? "" : "s", pol.n_trusted_nets,
	       pol.n_trusted_nets == 1 ? "" : "s", pol.n_bad_hosts, pol.n_bad_hosts == 1 ? "" : "s",
	       pol.n_blocked_sources, pol.n_blocked_sources == 1 ? "" : "s");
	if (pol.duplicates)
		printf(" (%zu duplicate%s ignored)", pol.duplicates, pol.duplicates == 1 ? "" : "s");
	/* what blocks: the actions that are block, and the limits */
	for (int r = SG_REASON_NONE + 1, first = 1; r < SG_REASON__ACTIONS; r++) {
		if (pol.actions[r] != SG_ACTION_BLOCK)
			continue;
		printf("%s%s", first ? "; block: " : ", ", sg_reason_name(r));
		first = 0;
	}
	if (pol.rate_limit_per_min)
		printf("; rate-limit %u/min", pol.rate_limit_per_min);
	if (pol.quarantine_blocks)
		printf("; quarantine %u/%us for %us", pol.quarantine_blocks, pol.quarantine_within_s,
		       pol.quarantine_for_s);
	if (pol.fail_closed)
		printf("; fail-closed");
	printf("\n");
	sg_policy_warn_unenforced(&pol, argv[1]);
	sg_policy_free(&pol);
	return 0;
}
