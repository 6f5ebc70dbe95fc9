/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loader.h - the BPF object: open and load it (pinned for `load`, private for
 * `replay`), attach it to an interface with pinned links, detach it.
 */
#ifndef SG_LOADER_H
#define SG_LOADER_H

#include <linux/types.h>
#include "pin.h"

struct smtpguard;

enum sg_xdp_mode { SG_XDP_AUTO = 0, SG_XDP_NATIVE, SG_XDP_GENERIC };

/* libbpf's messages: warnings with -v, debug with -vv */
void sg_libbpf_verbosity(int verbose);

/* Opens and loads the programs. With pin_dir, public maps are pinned there
 * (or reused when already pinned) and so are the programs. */
int sg_skel_load(const struct sg_globals *g, const char *pin_dir, struct smtpguard **out);

/* Knobs for the benchmark: parse every repetition of a test-run packet (no
 * sequence tracking) and a ring big enough for every repetition's event;
 * for replay: policy time is the capture's (sg_clock_ns, set per packet). */
struct sg_load_opts {
	int ignore_seq;
	__u32 ringbuf_bytes;
	int replay_clock;
	int bench_timing;     /* time the block path (sg_bench_block_ns) */
	int guard_check;      /* tests: count session guards held (sg_guard_held) */
	int no_block_memo;    /* bench: blocked-source SYNs always look up the trie */
};
int sg_skel_load_opts(const struct sg_globals *g, const char *pin_dir,
		      const struct sg_load_opts *lo, struct smtpguard **out);

/* Attaches the pinned programs to ifname: XDP ingress and TCX egress, links
 * pinned as link_xdp_IFACE and link_tc_IFACE. One message printed on error. */
int sg_attach(const struct sg_globals *g, const char *ifname, enum sg_xdp_mode mode);

/* Removes ifname's links (which detaches the programs); when no interface is
 * left, removes the pinned programs and maps too. */
int sg_detach(const struct sg_globals *g, const char *ifname);
/* checksum-validation auto: list ifindex in sg_config if ifname is a virtual
 * link of this host (add), or take it out (csum_lax.c) */
int sg_csum_lax_update(const char *pin_dir, const char *ifname, int ifindex, int add);

#endif
