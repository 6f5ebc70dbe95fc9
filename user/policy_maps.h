/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy_maps.h - the policy in the kernel's maps. `apply` is atomic: the new
 * set is written under the next generation, sg_config's generation flips in
 * one update, then the old generation is deleted. `add`/`del` change one
 * entry of the generation in force, so an emergency entry takes effect with
 * the next packet whatever the policy's size.
 */
#ifndef SG_POLICY_MAPS_H
#define SG_POLICY_MAPS_H

#include "config.h"

struct sg_maps {
	int flows, sources, own_domains, bad_hosts, trusted_nets, blocked_src, config, stats, events;
	int filter; /* sg_name_filter */
};

struct smtpguard;
/* The map fds of a loaded skeleton (replay, tests, bench). */
void sg_maps_from_skel(struct smtpguard *skel, struct sg_maps *m);

void sg_maps_init(struct sg_maps *m);
void sg_maps_close(struct sg_maps *m);
/* Opens every public map pinned in pin_dir; -errno with a message printed. */
int sg_maps_open_pinned(const char *pin_dir, struct sg_maps *m);

int sg_policy_apply_maps(const struct sg_maps *m, const struct sg_policy *p, char *err, size_t errlen);
/* The policy in force, read back from the maps. */
int sg_policy_read_maps(const struct sg_maps *m, struct sg_policy *p);
int sg_policy_add_maps(const struct sg_maps *m, const char *kind, const char *value, char *err,
		       size_t errlen);
int sg_policy_del_maps(const struct sg_maps *m, const char *kind, const char *value, char *err,
		       size_t errlen);

/* Stderr warnings for parts of a policy that this version stores but does
 * not enforce yet, so no rule is ignored silently. */
void sg_policy_warn_unenforced(const struct sg_policy *p, const char *source);

/* a source the kernel quarantined (sg_blocked_src entries with id
 * SG_NET_ID_QUARANTINE of the generation in force), still in force */
struct sg_quarantined {
	struct sg_addr addr;
	__u64 left_s;
	char text[64];
};
/* 0 and a malloc'ed array (free it), or -errno */
int sg_quarantine_read(const struct sg_maps *m, struct sg_quarantined **out, size_t *n);
int sg_bad_host_one_label(const struct sg_policy_name *n);

#endif
