/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - smtpguard.conf (DESIGN.md "Configuration file") parsed into one
 * struct sg_policy, which is handed over whole or not at all.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stddef.h>

#include "smtpguard.h"
#include "names.h" /* sg_reason_from_name() */

#define SG_DEFAULT_PORT     25
#define SG_RATE_LIMIT_MAX   10000000      /* messages per source per minute */
#define SG_QUARANTINE_MAX_N 1000000       /* blocked sessions that quarantine a source */
#define SG_QUARANTINE_MAX_S (365u * 86400) /* the longest window and quarantine: a year */
#define SG_CONFIG_FILE_MAX  (256u << 20)  /* a config or bad-hosts file, uncompressed */

struct sg_policy_name {
	char name[SG_NAME_MAX]; /* normalised */
	__u32 id;               /* 1-based position among entries of its kind */
	__u32 labels;
	__u64 hash;             /* sg_domain_hash(name): the kernel's key */
};

struct sg_policy_net {
	struct sg_addr addr;    /* IPv4 stored IPv4-mapped */
	__u32 mapped_prefix;    /* LPM length over the 128-bit address */
	__u32 config_prefix;    /* as written: /24 for IPv4 */
	__u32 id;
	__u64 duration_s;       /* blocked-source "for DURATION"; 0 = forever */
	char text[64];          /* canonical "198.51.100.0/24" */
};

struct sg_policy {
	__u16 ports[SG_MAX_PORTS];
	__u32 nports;
	enum sg_action actions[SG_REASON__COUNT];
	__u32 rate_limit_per_min; /* 0 = none */
	__u32 csum_mode;          /* enum sg_csum_mode: checksum-validation */
	__u32 fail_closed;        /* fail-closed yes: unfollowed sessions are cut off */
	__u32 quarantine_blocks;  /* quarantine N/T for D: 0 = off */
	__u32 quarantine_within_s;
	__u32 quarantine_for_s;
	struct sg_policy_name *own_domains;
	size_t n_own_domains, cap_own_domains;
	struct sg_policy_name *bad_hosts;
	size_t n_bad_hosts, cap_bad_hosts;
	struct sg_policy_net *trusted_nets;
	size_t n_trusted_nets, cap_trusted_nets;
	struct sg_policy_net *blocked_sources;
	size_t n_blocked_sources, cap_blocked_sources;
	size_t duplicates;        /* repeated names or prefixes, kept once */
};

/* The defaults: port 25, every action "alert", no rate limit, no
 * quarantine, fail open, empty lists. */
void sg_policy_init(struct sg_policy *p);
/* Whether a rule other than stream_anomaly blocks. */
int sg_policy_blocks(const struct sg_policy *p);
/* Free the lists and go back to the defaults. */
void sg_policy_free(struct sg_policy *p);

/*
 * Parse a config file (plain or gzip). 0, or -errno with one line in err:
 * "FILE:LINE: what is wrong" or "FILE: cannot open: reason". *p is written
 * only on success, and then overwritten whole: free what it held before.
 * A relative bad-hosts-file path is taken from the config file's directory.
 */
int sg_config_load(const char *path, struct sg_policy *p, char *err, size_t errlen);

/* The same from memory; name_for_errors stands for the file name, in
 * messages and as the base of relative bad-hosts-file paths. */
int sg_config_parse_string(const char *text, const char *name_for_errors, struct sg_policy *p,
			   char *err, size_t errlen);

/*
 * Add one item as `smtpguard policy add KIND VALUE` gives it. KIND is
 * internal-domain, trusted-net, bad-host or blocked-source; VALUE is what
 * would follow it on a config line ("192.0.2.66/32 for 10m"). An item already
 * present is -EEXIST. On any error *p is unchanged and err says why.
 */
int sg_policy_add_item(struct sg_policy *p, const char *kind, const char *value, char *err,
		       size_t errlen);

#endif /* SG_CONFIG_H */
