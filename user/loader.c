// SPDX-License-Identifier: GPL-2.0
/* loader.c - load, pin, attach, detach */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "skel.h"
#include "loader.h"

/* TCX links (Linux 6.6); Debian 12's uapi headers predate them */
#ifndef BPF_TCX_EGRESS
#define BPF_TCX_EGRESS 47
#endif

static int sg_verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && sg_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && sg_verbose < 1)
		return 0;
	if (level == LIBBPF_WARN && sg_verbose < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void sg_libbpf_verbosity(int verbose)
{
	sg_verbose = verbose;
	libbpf_set_print(print_fn);
}

static const char *public_maps[] = { SG_MAP_FLOWS, SG_MAP_SOURCES, SG_MAP_OWN_DOMAINS,
				     SG_MAP_BAD_HOSTS, SG_MAP_TRUSTED_NETS, SG_MAP_BLOCKED_SRC,
				     SG_MAP_CONFIG, SG_MAP_STATS, SG_MAP_EVENTS, SG_MAP_NAME_FILTER,
				     SG_MAP_PROGS, SG_MAP_SYNS };

/* The command program hands message bytes to the message program, which
 * hands decoded and skipped parts to the part programs, and the rest back
 * through sg_progs: every slot must be set before any packet. */
static int fill_prog_array(struct smtpguard *skel)
{
	int map = bpf_map__fd(skel->maps.sg_progs);
	struct {
		__u32 slot;
		struct bpf_program *prog;
	} slots[] = {
		{ SG_MM_MSG, skel->progs.sg_xdp_msg },  { 1, skel->progs.sg_xdp_ingress },
		{ SG_MM_QP, skel->progs.sg_xdp_qp },    { SG_MM_B64, skel->progs.sg_xdp_b64 },
		{ SG_MM_SKIP, skel->progs.sg_xdp_skip },  { SG_MM_HTML, skel->progs.sg_xdp_html },
	};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		int fd = bpf_program__fd(slots[i].prog);

		if (bpf_map_update_elem(map, &slots[i].slot, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

int sg_skel_load(const struct sg_globals *g, const char *pin_dir, struct smtpguard **out)
{
	return sg_skel_load_opts(g, pin_dir, NULL, out);
}

int sg_skel_load_opts(const struct sg_globals *g, const char *pin_dir,
		      const struct sg_load_opts *lo, struct smtpguard **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_level = g->verbose >= 2 ? 1 : 0);
	struct smtpguard *skel;
	char path[4096];
	int err;

	skel = smtpguard__open_opts(&oo);
	if (!skel) {
		sg_err("cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	if (lo) {
		skel->rodata->sg_ignore_seq = lo->ignore_seq;
		skel->rodata->sg_replay_clock = lo->replay_clock;
		skel->rodata->sg_bench_timing = lo->bench_timing;
		skel->rodata->sg_guard_check = lo->guard_check;
		skel->rodata->sg_no_block_memo = lo->no_block_memo;
		if (lo->ringbuf_bytes)
			bpf_map__set_max_entries(skel->maps.sg_events, lo->ringbuf_bytes);
	}
	for (size_t i = 0; pin_dir && i < sizeof(public_maps) / sizeof(public_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, public_maps[i]);

		sg_pin_path(path, sizeof(path), pin_dir, public_maps[i]);
		if (!m || bpf_map__set_pin_path(m, path)) {
			sg_err("cannot set the pin path of %s", public_maps[i]);
			smtpguard__destroy(skel);
			return -EINVAL;
		}
	}
	err = smtpguard__load(skel);
	if (err) {
		if (err == -EINVAL && pin_dir)
			sg_err("cannot load the BPF programs: %s (maps pinned in %s by another "
			       "version? unload first; -v shows libbpf's reason)", strerror(-err),
			       pin_dir);
		else
			sg_err("the kernel refused the BPF programs: %s (run with -vv for the "
			       "verifier log)", strerror(-err));
		smtpguard__destroy(skel);
		return err;
	}
	err = fill_prog_array(skel);
	if (err) {
		sg_err("cannot set up the message program's tail call: %s", strerror(-err));
		smtpguard__destroy(skel);
		return err;
	}
	if (pin_dir) {
		struct bpf_program *progs[] = { skel->progs.sg_xdp_ingress, skel->progs.sg_tc_egress };

		for (int i = 0; i < 2; i++) {
			sg_pin_path(path, sizeof(path), pin_dir, bpf_program__name(progs[i]));
			err = bpf_program__pin(progs[i], path);
			if (err) {
				sg_err("cannot pin %s: %s", path, strerror(-err));
				smtpguard__destroy(skel);
				return err;
			}
		}
	}
	*out = skel;
	return 0;
}

static int pin_link(const char *pin_dir, const char *kind, const char *ifname, int link_fd)
{
	char name[128], path[4096];

	if (sg_link_pin_name(name, sizeof(name), kind, ifname) ||
	    sg_pin_path(path, sizeof(path), pin_dir, name))
		return -ENAMETOOLONG;
	return bpf_obj_pin(link_fd, path) ? -errno : 0;
}

static int unpin_link(const char *pin_dir, const char *kind, const char *ifname)
{
	char name[128], path[4096];

	if (sg_link_pin_name(name, sizeof(name), kind, ifname) ||
	    sg_pin_path(path, sizeof(path), pin_dir, name))
		return -ENAMETOOLONG;
	return unlink(path) ? -errno : 0;
}

/* the clsact egress filter used where tcx links do not exist */
#define SG_TC_HANDLE 0x5347 /* "SG" */
#define SG_TC_PRIO   0x5347

static int tc_legacy_attach(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SG_TC_HANDLE, .priority = SG_TC_PRIO,
		    .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_legacy_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SG_TC_HANDLE, .priority = SG_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
}

int sg_attach(const struct sg_globals *g, const char *ifname, enum sg_xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, xo);
	int ifindex, xdp_fd = -1, tc_fd = -1, xlink = -1, tlink = -1, err = 0;

	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		sg_err("%s: no such interface", ifname);
		return -ENODEV;
	}
	xdp_fd = sg_pin_open(g->pin_dir, SG_PROG_XDP, 1);
	tc_fd = sg_pin_open(g->pin_dir, SG_PROG_TC, 1);
	if (xdp_fd < 0 || tc_fd < 0) {
		err = -ENOENT;
		goto out;
	}
	xo.flags = mode == SG_XDP_NATIVE ? XDP_FLAGS_DRV_MODE :
		   mode == SG_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : 0;
	xlink = bpf_link_create(xdp_fd, ifindex, BPF_XDP, &xo);
	if (xlink < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			sg_err("%s: another XDP program is attached to it", ifname);
		else if (err == -EOPNOTSUPP && mode == SG_XDP_NATIVE)
			sg_err("%s: the driver has no native XDP (try --xdp-mode generic)", ifname);
		else
			sg_err("%s: cannot attach XDP: %s", ifname, strerror(-err));
		goto out;
	}
	tlink = getenv("SG_TC_LEGACY") ? -1 : bpf_link_create(tc_fd, ifindex, BPF_TCX_EGRESS, NULL);
	if (tlink < 0) {
		/* before Linux 6.6 (Debian 12's 6.1) there are no tcx links: a
		 * clsact filter with our handle instead, removed by unload */
		err = tc_legacy_attach(ifindex, tc_fd);
		if (err) {
			sg_err("%s: cannot attach the TC egress program: %s", ifname, strerror(-err));
			goto out;
		}
	}
	err = pin_link(g->pin_dir, "xdp", ifname, xlink);
	if (!err && tlink >= 0) {
		err = pin_link(g->pin_dir, "tc", ifname, tlink);
		if (err)
			unpin_link(g->pin_dir, "xdp", ifname);
	}
	if (err && tlink < 0)
		tc_legacy_detach(ifindex);
	if (err)
		sg_err("%s: cannot pin its links in %s: %s", ifname, g->pin_dir, strerror(-err));
	if (!err && sg_csum_lax_update(g->pin_dir, ifname, ifindex, 1))
		sg_err("%s: cannot note it in %s (checksum-validation auto)", ifname,
		       SG_MAP_CONFIG);
out:
	/* closing an unpinned link detaches it: a failed attach leaves nothing */
	if (xlink >= 0)
		close(xlink);
	if (tlink >= 0)
		close(tlink);
	if (xdp_fd >= 0)
		close(xdp_fd);
	if (tc_fd >= 0)
		close(tc_fd);
	return err;
}

int sg_detach(const struct sg_globals *g, const char *ifname)
{
	char path[4096];
	int err, ifindex = if_nametoindex(ifname);

	err = unpin_link(g->pin_dir, "xdp", ifname);
	if (err == -ENOENT) {
		sg_err("%s: smtpguard is not loaded on it (see 'smtpguard status')", ifname);
		return err;
	}
	/* a tcx link if there is one, else our clsact filter (older kernels) */
	if (unpin_link(g->pin_dir, "tc", ifname) == -ENOENT && ifindex)
		tc_legacy_detach(ifindex);
	if (ifindex)
		sg_csum_lax_update(g->pin_dir, ifname, ifindex, 0);
	if (sg_pin_each_iface(g->pin_dir, NULL, NULL) > 0)
		return 0;
	/* the last interface: nothing may stay pinned */
	for (size_t i = 0; i < sizeof(public_maps) / sizeof(public_maps[0]); i++) {
		sg_pin_path(path, sizeof(path), g->pin_dir, public_maps[i]);
		unlink(path);
	}
	sg_pin_path(path, sizeof(path), g->pin_dir, SG_PROG_XDP);
	unlink(path);
	sg_pin_path(path, sizeof(path), g->pin_dir, SG_PROG_TC);
	unlink(path);
	return 0;
}
