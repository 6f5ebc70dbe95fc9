// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_replay.c - `smtpguard replay`: the same BPF programs over captures.
 * Every packet goes through BPF_PROG_TEST_RUN to the XDP program and then to
 * the TC program, in capture order; each program takes only its own
 * direction (XDP the segments to a watched port, TC those from one), as on a
 * relay, so no parser runs in userspace. Alerts come out as live, with the
 * capture's timestamps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "skel.h"
#include "capture.h"
#include "commands.h"
#include "config.h"
#include "domain.h"
#include "eve.h"
#include "loader.h"
#include "policy_maps.h"
#include "stats_print.h"

/* the linear room of an XDP test run: a page less headroom and shared info */
#define SG_TEST_RUN_MAX (4096 - 256 - 320)

struct replay {
	struct timespec ts;        /* the packet being run */
	__u64 clock_base;          /* monotonic ns the capture's first packet maps to */
	__s64 clock_first;         /* that packet's time, ns */
	int clock_set;
	__u64 packets, alerts, blocked_alerts, errors, too_big;
	__u64 xdp_verdict[5];      /* XDP_ABORTED .. XDP_REDIRECT */
	__u64 tc_ok, tc_other;
	__u32 csum_mode;           /* enum sg_csum_mode in force */
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct replay *r = ctx;
	const struct sg_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	r->alerts++;
	if (ev->action == SG_ACTION_BLOCK)
		r->blocked_alerts++;
	sg_eve_write(stdout, ev, &r->ts);
	return 0;
}

static int run_prog(int fd, const struct sg_cap_pkt *p, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->frame, .data_size_in = p->len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*retval = o.retval;
	return 0;
}

/* Policy time in the programs (rate windows, quarantines, blocked-source
 * expiry) is the capture's: its first packet is now, on the monotonic
 * clock the policy's expiries were written in, and time never runs back
 * (a second capture older than the first goes on from where it was). */
static void set_clock(struct smtpguard *skel, struct replay *r, const struct timespec *ts)
{
	__s64 t = (__s64)ts->tv_sec * 1000000000LL + ts->tv_nsec, now;

	if (!r->clock_set) {
		struct timespec m;

		clock_gettime(CLOCK_MONOTONIC, &m);
		r->clock_base = (__u64)m.tv_sec * 1000000000ULL + (__u64)m.tv_nsec;
		r->clock_first = t;
		r->clock_set = 1;
	}
	now = (__s64)r->clock_base + (t - r->clock_first);
	if (now > (__s64)skel->bss->sg_clock_ns)
		skel->bss->sg_clock_ns = (__u64)now;
}

static int replay_file(const char *path, struct smtpguard *skel, struct ring_buffer *rb,
		       struct replay *r)
{
	int xdp = bpf_program__fd(skel->progs.sg_xdp_ingress);
	int tc = bpf_program__fd(skel->progs.sg_tc_egress);
	struct sg_capture *cap;
	struct sg_cap_pkt p;
	char err[512];
	__u32 rv;
	int ret;

	if (sg_capture_open(path, &cap, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	while ((ret = sg_capture_next(cap, &p, err, sizeof(err))) == 1) {
		r->packets++;
		r->ts = p.ts;
		set_clock(skel, r, &p.ts);
		if (p.len > SG_TEST_RUN_MAX || p.truncated) {
			/* an offload-sized frame (captured on the sending host) would
			 * reach XDP cut to one page, and a snapped one is cut already:
			 * running either would misread it, so it is counted instead */
			r->too_big++;
			continue;
		}
		ret = run_prog(xdp, &p, &rv);
		if (ret) {
			r->errors++;
			continue;
		}
		r->xdp_verdict[rv < 5 ? rv : 0]++;
		ring_buffer__consume(rb);
		if (run_prog(tc, &p, &rv))
			r->errors++;
		else if (rv == 0)
			r->tc_ok++;
		else
			r->tc_other++;
		ring_buffer__consume(rb);
	}
	if (ret < 0)
		sg_err("%s", err);
	sg_capture_close(cap);
	return ret < 0 ? -EIO : 0;
}

static void summary(const struct replay *r, struct smtpguard *skel)
{
	struct sg_stats s;

	fprintf(stderr, "replay: %llu packets, %llu alerts (%llu blocked)\n",
		(unsigned long long)r->packets, (unsigned long long)r->alerts,
		(unsigned long long)r->blocked_alerts);
	fprintf(stderr, "replay: xdp verdicts: pass %llu, drop %llu, aborted %llu, tx %llu, "
		"redirect %llu\n", (unsigned long long)r->xdp_verdict[XDP_PASS],
		(unsigned long long)r->xdp_verdict[XDP_DROP],
		(unsigned long long)r->xdp_verdict[XDP_ABORTED],
		(unsigned long long)r->xdp_verdict[XDP_TX],
		(unsigned long long)r->xdp_verdict[XDP_REDIRECT]);
	fprintf(stderr, "replay: tc verdicts: ok %llu, other %llu\n", (unsigned long long)r->tc_ok,
		(unsigned long long)r->tc_other);
	if (r->too_big)
		fprintf(stderr, "replay: %llu frames were not run: larger than an XDP test-run "
			"page (%d bytes; captured on a host with segmentation offload?) or cut "
			"by the capture's snaplen\n", (unsigned long long)r->too_big,
			SG_TEST_RUN_MAX);
	if (r->errors)
		fprintf(stderr, "replay: %llu test runs failed\n", (unsigned long long)r->errors);
	if (!sg_stats_read(bpf_map__fd(skel->maps.sg_stats), &s)) {
		/* what a block policy did to the capture's sessions: a segment
		 * rewritten into a RST to the server, then the session's later
		 * client segments dropped, and SYNs of blocked sources dropped */
		if (s.blocked_rsts || s.blocked_packets || s.blocked_syns || s.ooo_dropped)
			fprintf(stderr, "replay: block: %llu segments rewritten into a RST to the "
				"server, %llu client segments dropped after a block, %llu SYNs of "
				"blocked sources dropped, %llu out-of-order segments dropped\n",
				(unsigned long long)s.blocked_rsts,
				(unsigned long long)(s.blocked_packets - s.blocked_rsts),
				(unsigned long long)s.blocked_syns, (unsigned long long)s.ooo_dropped);
		/* which checksum rule decided what was read, and what it found */
		if (r->csum_mode == SG_CSUM_OFF)
			fprintf(stderr, "replay: checksums: not checked (checksum-validation no)\n");
		else
			fprintf(stderr, "replay: checksums (checksum-validation %s): %llu wrong, "
				"not read (the server drops them); %llu never filled in (taken "
				"on the sending host, with checksum offload): %s\n",
				r->csum_mode == SG_CSUM_VERIFY ? "yes" : "auto",
				(unsigned long long)s.csum_bad,
				(unsigned long long)s.csum_offloaded,
				r->csum_mode == SG_CSUM_VERIFY ? "not read" : "read");
		fprintf(stderr, "replay: counters:\n");
		sg_stats_print(stderr, &s, 0);
	}
}

/* --server-net: only sessions to the relay's own addresses are client
 * segments (a relay's capture holds its outbound deliveries too) */
static int set_servers(struct smtpguard *skel, int config_fd, const struct sg_policy_net *n,
		       int count)
{
	int fd = bpf_map__fd(skel->maps.sg_server_nets);
	struct sg_config c;
	__u32 zero = 0;

	for (int i = 0; i < count; i++) {
		struct sg_lpm_key k = { .prefixlen = 32 + n[i].mapped_prefix, .addr = n[i].addr };
		struct sg_net_val v = { .id = i + 1, .prefix = n[i].config_prefix };

		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -1;
	}
	if (bpf_map_lookup_elem(config_fd, &zero, &c))
		return -1;
	c.server_nets = count;
	return bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY);
}

int do_replay(int argc, char **argv, const struct sg_globals *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server-net", required_argument, NULL, 's' },
		{ "checksum-validation", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int csum = -1;
	struct sg_policy_net servers[64];
	int nservers = 0;
	struct smtpguard *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct replay r = {};
	struct sg_policy pol;
	struct sg_maps m;
	const char *config = NULL;
	char err[512];
	int o, ret = -1;

	while ((o = getopt_long(argc, argv, ":c:s:k:", opts, NULL)) != -1) {
		if (o == 'c') {
			config = optarg;
		} else if (o == 'k') {
			csum = sg_csum_mode_from_name(optarg);
			if (csum < 0)
				return sg_bad_usage("replay", "--checksum-validation: expected auto, "
						    "yes or no");
		} else if (o == 's') {
			struct sg_policy_net *n = &servers[nservers];

			if (nservers == 64)
				return sg_bad_usage("replay", "at most 64 --server-net prefixes");
			if (sg_prefix_parse(optarg, &n->addr, &n->mapped_prefix, &n->config_prefix,
					    err, sizeof(err)))
				return sg_bad_usage("replay", "--server-net: %s", err);
			nservers++;
		} else {
			return sg_bad_option("replay", o, argv);
		}
	}
	if (!config)
		return sg_bad_usage("replay", "--config FILE is required");
	if (optind >= argc)
		return sg_bad_usage("replay", "expected at least one capture file");
	sg_policy_init(&pol);
	if (sg_config_load(config, &pol, err, sizeof(err))) {
		sg_err("%s", err);
		return -EINVAL;
	}
	/* auto, in a capture: a checksum never filled in means it was taken on
	 * the sending host (offload), whatever the interface was */
	if (csum >= 0)
		pol.csum_mode = (__u32)csum;
	if (pol.csum_mode == SG_CSUM_AUTO)
		pol.csum_mode = SG_CSUM_OFFLOAD_OK;
	r.csum_mode = pol.csum_mode;
	/* a capture that does not open is reported before anything loads */
	for (int i = optind; i < argc; i++) {
		struct sg_capture *cap;

		if (sg_capture_open(argv[i], &cap, err, sizeof(err))) {
			sg_err("%s", err);
			goto out;
		}
		sg_capture_close(cap);
	}
	if (sg_need_root("replay") ||
	    sg_skel_load_opts(g, NULL, &(struct sg_load_opts){ .replay_clock = 1 }, &skel))
		goto out;
	sg_maps_from_skel(skel, &m);
	if (sg_policy_apply_maps(&m, &pol, err, sizeof(err))) {
		sg_err("%s", err);
		goto out;
	}
	sg_policy_warn_unenforced(&pol, config);
	if (nservers && set_servers(skel, m.config, servers, nservers)) {
		sg_err("replay: cannot set the server nets: %s", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(m.events, on_event, &r, NULL);
	if (!rb) {
		sg_err("replay: cannot read the event ring: %s", strerror(errno));
		goto out;
	}
	ret = 0;
	for (int i = optind; i < argc && !ret; i++)
		ret = replay_file(argv[i], skel, rb, &r);
	fflush(stdout);
	/* a capture that breaks off is one error line, not a partial summary */
	if (!ret)
		summary(&r, skel);
	if (!ret && (r.too_big || r.errors)) {
		/* the verdicts above may miss alerts: say so, and in the exit status */
		sg_err("replay: %llu packets could not be run: alerts may be missing",
		       (unsigned long long)(r.too_big + r.errors));
		ret = -EIO;
	}
out:
	ring_buffer__free(rb);
	smtpguard__destroy(skel);
	sg_policy_free(&pol);
	return ret;
}
