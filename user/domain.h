/* SPDX-License-Identifier: GPL-2.0 */
/* domain.h - policy names (normalisation, the kernel's suffix hash) and prefixes */
#ifndef SG_DOMAIN_H
#define SG_DOMAIN_H

#include <stddef.h>

#include "smtpguard.h"

#define SG_LABEL_MAX 63 /* RFC 1035 */

/*
 * Lowercase ASCII, drop one trailing dot, and check: labels of [a-z0-9_-],
 * none empty or over 63 characters, at most SG_MAX_LABELS of them, fewer
 * than SG_NAME_MAX characters in all. Returns the number of labels, or
 * -EINVAL with one line in err (out is written only on success).
 */
int sg_domain_normalise(const char *in, size_t len, char out[SG_NAME_MAX], char *err,
			size_t errlen);

/*
 * The suffix hash the kernel looks up: FNV-1a per label (sg_label_step), then
 * the labels combined right to left (sg_suffix_step). One trailing dot is
 * ignored and case does not matter, as in the kernel. Names of more than
 * SG_MAX_LABELS labels hash their last SG_MAX_LABELS labels, as the kernel does.
 */
__u64 sg_domain_hash(const char *name);

/*
 * The other spellings a browser reads as the same IPv4 address, for a policy
 * name that is a dotted quad: one number (3221226050), one hex number
 * (0xc0000242), dotted hex and dotted octal, and the 3- and 2-part forms
 * (192.0.578, 192.578). Writes up to SG_IPV4_FORMS names; returns how many,
 * or 0 if name is not a dotted quad.
 */
#define SG_IPV4_FORMS 6
int sg_ipv4_forms(const char *name, char forms[SG_IPV4_FORMS][SG_NAME_MAX]);

/*
 * Parse "198.51.100.0/24", "192.0.2.66" (/32), "2001:db8::/32" or
 * "2001:db8::1" (/128). IPv4 is stored IPv4-mapped, so *mapped_prefix is
 * 96 + the IPv4 length; *config_prefix is the length as written. Host bits
 * beyond the prefix are an error. 0 or -EINVAL with one line in err.
 */
int sg_prefix_parse(const char *s, struct sg_addr *addr, __u32 *mapped_prefix,
		    __u32 *config_prefix, char *err, size_t errlen);

/* "198.51.100.0/24" or "2001:db8::/32" from what sg_prefix_parse returned.
 * 0, or -ENOSPC (out then holds an empty string). */
int sg_prefix_format(const struct sg_addr *addr, __u32 mapped_prefix, __u32 config_prefix,
		     char *out, size_t len);

/* Dotted quad for an IPv4-mapped address, else RFC 5952 IPv6. 0 or -ENOSPC
 * (out then holds an empty string); INET6_ADDRSTRLEN bytes always suffice. */
int sg_addr_format(const struct sg_addr *a, char *out, size_t len);

#endif /* SG_DOMAIN_H */
