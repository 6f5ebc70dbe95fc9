// SPDX-License-Identifier: GPL-2.0
/* cmd_load.c - load, unload, status */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "skel.h"
#include "commands.h"
#include "config.h"
#include "json.h"
#include "loader.h"
#include "names.h"
#include "policy_maps.h"
#include "stats_print.h"

int sg_bad_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smtpguard: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	sg_cmd_usage(sg_cmd_find(cmd), stderr);
	return -EINVAL;
}

int sg_bad_option(const char *cmd, int o, char **argv)
{
	const char *opt = argv[optind - 1];

	if (o == ':')
		return sg_bad_usage(cmd, "%s needs a value", opt);
	return sg_bad_usage(cmd, "unknown option '%s'", opt);
}

static int parse_mode(const char *s, enum sg_xdp_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = SG_XDP_AUTO;
	else if (!strcmp(s, "native"))
		*m = SG_XDP_NATIVE;
	else if (!strcmp(s, "generic"))
		*m = SG_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

static void link_info(const char *pin_dir, const char *kind, const char *ifname, __u32 *link_id,
		      __u32 *prog_id, __u32 *ifindex);

static int apply_policy(const struct sg_globals *g, const struct sg_policy *pol, const char *config)
{
	struct sg_maps maps;
	char err[512];
	int ret;

	ret = sg_maps_open_pinned(g->pin_dir, &maps);
	if (ret)
		return ret;
	ret = sg_policy_apply_maps(&maps, pol, err, sizeof(err));
	if (ret)
		sg_err("%s", err);
	else
		sg_policy_warn_unenforced(pol, config ? config : "defaults");
	sg_maps_close(&maps);
	return ret;
}

int do_load(int argc, char **argv, const struct sg_globals *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	enum sg_xdp_mode mode = SG_XDP_AUTO;
	const char *config = NULL, *ifname;
	struct smtpguard *skel = NULL;
	struct sg_policy pol;
	char err[512], lname[128];
	int o, lock = -1, fd;

	while ((o = getopt_long(argc, argv, ":c:m:", opts, NULL)) != -1) {
		if (o == 'c')
			config = optarg;
		else if (o == 'm' && parse_mode(optarg, &mode) == 0)
			;
		else if (o == 'm')
			return sg_bad_usage("load", "--xdp-mode: expected native, generic or auto");
		else
			return sg_bad_option("load", o, argv);
	}
	if (optind != argc - 1)
		return sg_bad_usage("load", "expected one interface");
	ifname = argv[optind];
	/* the config first: a bad line applies nothing and attaches nothing */
	sg_policy_init(&pol);
	if (config && sg_config_load(config, &pol, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	if (sg_need_root("load"))
		goto fail_policy;
	if (!if_nametoindex(ifname)) {
		sg_err("%s: no such interface", ifname);
		goto fail_policy;
	}
	if (sg_bpffs_ensure(g->pin_dir))
		goto fail_policy;
	lock = sg_pin_lock(g->pin_dir, 1);
	if (lock < 0) {
		sg_err("%s: cannot lock: %s", g->pin_dir, strerror(-lock));
		goto fail_policy;
	}
	sg_link_pin_name(lname, sizeof(lname), "xdp", ifname);
	fd = sg_pin_open(g->pin_dir, lname, 0);
	if (fd >= 0) {
		__u32 lid, pid, ifx;

		close(fd);
		link_info(g->pin_dir, "xdp", ifname, &lid, &pid, &ifx);
		if (ifx) {
			sg_err("%s: already loaded (run 'smtpguard unload %s' first)", ifname,
			       ifname);
			goto fail;
		}
		/* the interface was deleted and made again: its old links are dead */
		fprintf(stderr, "smtpguard: %s: replacing the links of a deleted interface\n",
			ifname);
		sg_detach(g, ifname);
	}
	/* programs pinned by a load on another interface are shared */
	fd = sg_pin_open(g->pin_dir, SG_PROG_XDP, 0);
	if (fd >= 0)
		close(fd);
	else if (sg_skel_load(g, g->pin_dir, &skel))
		goto fail;
	/* A first load applies its policy before attaching, so inspection starts
	 * with the first packet; a load on another interface applies only once
	 * attached, so a failed load changes nothing. */
	if (skel && apply_policy(g, &pol, config))
		goto fail_unpin;
	if (sg_attach(g, ifname, mode))
		goto fail_unpin;
	if (!skel && config && apply_policy(g, &pol, config)) {
		sg_detach(g, ifname);
		goto fail;
	}
	printf("smtpguard: loaded on %s (pins in %s)\n", ifname, g->pin_dir);
	smtpguard__destroy(skel);
	sg_policy_free(&pol);
	close(lock);
	return 0;
fail_unpin:
	/* a first load that failed half-way leaves no pins behind */
	if (skel && sg_pin_each_iface(g->pin_dir, NULL, NULL) == 0) {
		char path[4096];

		bpf_object__unpin_maps(skel->obj, NULL);
		sg_pin_path(path, sizeof(path), g->pin_dir, SG_PROG_XDP);
		unlink(path);
		sg_pin_path(path, sizeof(path), g->pin_dir, SG_PROG_TC);
		unlink(path);
		rmdir(g->pin_dir);
	}
fail:
	smtpguard__destroy(skel);
	close(lock);
fail_policy:
	sg_policy_free(&pol);
	return -1;
}

int do_unload(int argc, char **argv, const struct sg_globals *g)
{
	int lock, err;

	if (argc != 2 || argv[1][0] == '-')
		return sg_bad_usage("unload", "expected one interface");
	if (sg_need_root("unload"))
		return -EPERM;
	lock = sg_pin_lock(g->pin_dir, 0);
	if (lock < 0) {
		sg_err("%s: smtpguard is not loaded on it (no %s)", argv[1], g->pin_dir);
		return lock;
	}
	err = sg_detach(g, argv[1]);
	if (!err && sg_pin_each_iface(g->pin_dir, NULL, NULL) == 0)
		rmdir(g->pin_dir);
	close(lock);
	if (!err)
		printf("smtpguard: unloaded from %s\n", argv[1]);
	return err;
}

/* ---- status ---- */

struct status_ctx {
	const struct sg_globals *g;
	struct sg_json *j;
	int n;
	int detached; /* links whose interface is gone */
};

static void link_info(const char *pin_dir, const char *kind, const char *ifname, __u32 *link_id,
		      __u32 *prog_id, __u32 *ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char name[128];
	int fd;

	*link_id = *prog_id = *ifindex = 0;
	sg_link_pin_name(name, sizeof(name), kind, ifname);
	fd = sg_pin_open(pin_dir, name, 0);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*link_id = info.id;
		*prog_id = info.prog_id;
		if (info.type == BPF_LINK_TYPE_XDP)
			*ifindex = info.xdp.ifindex;
	}
	close(fd);
}

static void status_iface(const char *ifname, void *arg)
{
	struct status_ctx *c = arg;
	__u32 xl, xp, xi, tl, tp, ti;

	link_info(c->g->pin_dir, "xdp", ifname, &xl, &xp, &xi);
	link_info(c->g->pin_dir, "tc", ifname, &tl, &tp, &ti);
	c->n++;
	if (!xl || !xi)
		c->detached++;
	if (c->j) {
		sg_json_begin_object(c->j);
		sg_json_kv_string(c->j, "interface", ifname);
		sg_json_kv_uint(c->j, "ifindex", xi);
		sg_json_kv_uint(c->j, "xdp_link_id", xl);
		sg_json_kv_uint(c->j, "xdp_prog_id", xp);
		sg_json_kv_uint(c->j, "tc_link_id", tl);
		sg_json_kv_uint(c->j, "tc_prog_id", tp);
		sg_json_kv_bool(c->j, "attached", xl && xi);
		sg_json_end_object(c->j);
	} else {
		char tc[64];

		if (tl)
			snprintf(tc, sizeof(tc), "tc egress link %u (prog %u)", tl, tp);
		else
			snprintf(tc, sizeof(tc), "tc egress clsact filter (no tcx)");
		printf("  %-12s ifindex %u  xdp link %u (prog %u)  %s%s\n", ifname, xi, xl, xp, tc,
		       xl && xi ? "" : "  DETACHED (interface gone? 'smtpguard unload' it)");
	}
}

static long map_count(int fd, size_t key_size)
{
	char cur[64], next[64];
	long n = 0;
	int have = 0;

	while (key_size <= sizeof(cur) && bpf_map_get_next_key(fd, have ? cur : NULL, next) == 0) {
		memcpy(cur, next, key_size);
		have = 1;
		n++;
	}
	return n;
}

int do_status(int argc, char **argv, const struct sg_globals *g)
{
	struct sg_json j;
	struct status_ctx c = { .g = g };
	struct sg_config cfg = {};
	struct sg_maps m;
	__u32 zero = 0;
	int json = argc > 1 && !strcmp(argv[1], "--json");
	long flows, sources, syns = -1, evicted = 0;
	struct sg_stats st;
	struct sg_quarantined *q = NULL;
	size_t nq = 0;
	int syn_fd;

	if (argc > 2 || (argc == 2 && !json))
		return sg_bad_usage("status", "unexpected argument");
	if (sg_need_root("status"))
		return -EPERM;
	if (sg_maps_open_pinned(g->pin_dir, &m))
		return -ENOENT;
	bpf_map_lookup_elem(m.config, &zero, &cfg);
	if (sg_quarantine_read(&m, &q, &nq))
		nq = 0;
	flows = map_count(m.flows, sizeof(struct sg_flow_key));
	sources = map_count(m.sources, sizeof(struct sg_addr));
	/* half-open sessions: every SYN recorded leaves sg_syns with its
	 * handshake, or is evicted by newer ones (a SYN flood) */
	syn_fd = sg_pin_open(g->pin_dir, SG_MAP_SYNS, 0);
	if (syn_fd >= 0) {
		syns = map_count(syn_fd, sizeof(struct sg_flow_key));
		close(syn_fd);
		if (!sg_stats_read(m.stats, &st))
			evicted = (long)(st.syns_tracked - st.handshakes) - syns;
		if (evicted < 0)
			evicted = 0;
	}
	if (json) {
		sg_json_init(&j, stdout);
		c.j = &j;
		sg_json_begin_object(&j);
		sg_json_kv_string(&j, "pin_dir", g->pin_dir);
		sg_json_key(&j, "interfaces");
		sg_json_begin_array(&j);
		sg_pin_each_iface(g->pin_dir, status_iface, &c);
		sg_json_end_array(&j);
		sg_json_kv_uint(&j, "policy_generation", cfg.generation);
		sg_json_key(&j, "ports");
		sg_json_begin_array(&j);
		for (__u32 i = 0; i < cfg.nports && i < SG_MAX_PORTS; i++)
			sg_json_uint(&j, cfg.ports[i]);
		sg_json_end_array(&j);
		sg_json_kv_uint(&j, "internal_domains", cfg.own_domains);
		sg_json_kv_uint(&j, "bad_hosts", cfg.bad_hosts);
		sg_json_kv_uint(&j, "trusted_nets", cfg.trusted_nets);
		sg_json_kv_uint(&j, "blocked_sources", cfg.blocked_sources);
		sg_json_kv_uint(&j, "flows", flows);
		sg_json_kv_uint(&j, "flows_max", SG_MAX_FLOWS);
		sg_json_kv_uint(&j, "sources", sources);
		sg_json_kv_uint(&j, "sources_max", SG_MAX_SOURCES);
		if (syns >= 0) {
			sg_json_kv_uint(&j, "half_open", syns);
			sg_json_kv_uint(&j, "half_open_max", SG_MAX_SYNS);
			sg_json_kv_uint(&j, "half_open_evicted", evicted);
		}
		sg_json_kv_string(&j, "checksum_validation", sg_csum_mode_name(cfg.csum_mode));
		sg_json_kv_uint(&j, "rate_limit_per_min", cfg.rate_limit_per_min);
		sg_json_kv_bool(&j, "fail_closed", cfg.fail_closed);
		sg_json_key(&j, "quarantine");
		sg_json_begin_object(&j);
		sg_json_kv_uint(&j, "blocked_sessions", cfg.quarantine_blocks);
		sg_json_kv_uint(&j, "within_s", cfg.quarantine_within_s);
		sg_json_kv_uint(&j, "for_s", cfg.quarantine_for_s);
		sg_json_key(&j, "quarantined");
		sg_json_begin_array(&j);
		for (size_t i = 0; i < nq; i++) {
			sg_json_begin_object(&j);
			sg_json_kv_string(&j, "source", q[i].text);
			sg_json_kv_uint(&j, "expires_in_s", q[i].left_s);
			sg_json_end_object(&j);
		}
		sg_json_end_array(&j);
		sg_json_end_object(&j);
		sg_json_end_object(&j);
		putchar('\n');
	} else {
		printf("pin dir: %s\ninterfaces:\n", g->pin_dir);
		sg_pin_each_iface(g->pin_dir, status_iface, &c);
		if (!c.n)
			printf("  (none)\n");
		printf("policy generation %u: ports", cfg.generation);
		for (__u32 i = 0; i < cfg.nports && i < SG_MAX_PORTS; i++)
			printf(" %u", cfg.ports[i]);
		printf("; %u internal domains, %u trusted nets, %u bad hosts, %u blocked sources\n",
		       cfg.own_domains, cfg.trusted_nets, cfg.bad_hosts, cfg.blocked_sources);
		printf("flows: %ld of %d   sources: %ld of %d\n", flows, SG_MAX_FLOWS, sources,
		       SG_MAX_SOURCES);
		if (syns >= 0)
			printf("half-open sessions (sg_syns): %ld of %d, %ld pushed out by newer "
			       "SYNs since load (a SYN flood)\n", syns, SG_MAX_SYNS, evicted);
		printf("checksum-validation %s", sg_csum_mode_name(cfg.csum_mode));
		for (int i = 0, first = 1; cfg.csum_mode == SG_CSUM_AUTO && i < SG_MAX_IFACES; i++) {
			char name[IF_NAMESIZE];

			if (!cfg.csum_lax_if[i] || !if_indextoname(cfg.csum_lax_if[i], name))
				continue;
			printf("%s%s", first ? ": checksums left unfilled by offload are read on " :
				       ", ", name);
			first = 0;
		}
		printf("\n");
		printf("rate-limit: ");
		if (cfg.rate_limit_per_min)
			printf("%u messages per source per minute\n", cfg.rate_limit_per_min);
		else
			printf("none\n");
		printf("fail-closed: %s\n", cfg.fail_closed ?
		       "yes (sessions smtpguard cannot follow are cut off)" :
		       "no (sessions smtpguard cannot follow pass, counted)");
		if (cfg.quarantine_blocks)
			printf("quarantine: %u blocked sessions within %us block the source for %us; "
			       "%zu quarantined now\n", cfg.quarantine_blocks,
			       cfg.quarantine_within_s, cfg.quarantine_for_s, nq);
		else
			printf("quarantine: off\n");
		for (size_t i = 0; i < nq; i++)
			printf("  quarantined %s for %llus more\n", q[i].text,
			       (unsigned long long)q[i].left_s);
	}
	free(q);
	sg_maps_close(&m);
	return c.detached ? -ENODEV : 0;
}
