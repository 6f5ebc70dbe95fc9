// SPDX-License-Identifier: GPL-2.0
/* domain.c - policy names and address prefixes, computed as the kernel does */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "json.h"

static bool name_byte_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int bad_char(const char *q, unsigned char c, char *err, size_t errlen)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(err, errlen, "invalid domain \"%s\": character '%c' not allowed "
			 "(use a-z, 0-9, '-' and '_')", q, c);
	else
		snprintf(err, errlen, "invalid domain \"%s\": byte 0x%02x not allowed "
			 "(use a-z, 0-9, '-' and '_')", q, c);
	return -EINVAL;
}

/* Lowercase and check the labels; the caller has checked the length. */
static int check_labels(const char *in, size_t len, char *out, const char *q, char *err,
			size_t errlen)
{
	size_t i, label = 0;
	int labels = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = ascii_lower((unsigned char)in[i]);

		out[i] = (char)c;
		if (c == '.') {
			if (!label)
				goto empty;
			label = 0;
			labels++;
			continue;
		}
		if (!name_byte_ok(c))
			return bad_char(q, c, err, errlen);
		if (++label > SG_LABEL_MAX) {
			snprintf(err, errlen, "invalid domain \"%s\": label longer than %d "
				 "characters", q, SG_LABEL_MAX);
			return -EINVAL;
		}
	}
	if (!label)
		goto empty;
	out[len] = '\0';
	return labels;
empty:
	snprintf(err, errlen, "invalid domain \"%s\": empty label", q);
	return -EINVAL;
}

int sg_domain_normalise(const char *in, size_t len, char out[SG_NAME_MAX], char *err,
			size_t errlen)
{
	char buf[SG_NAME_MAX], q[2 * SG_NAME_MAX];
	int labels;

	if (!in)
		len = 0;
	if (len && in[len - 1] == '.')
		len--;
	if (!len) {
		snprintf(err, errlen, "empty domain");
		return -EINVAL;
	}
	/* the name is not quoted here: a 5000-byte line helps nobody */
	if (len >= SG_NAME_MAX) {
		snprintf(err, errlen, "domain longer than %d characters", SG_NAME_MAX - 1);
		return -EINVAL;
	}
	sg_json_escape(in, len, q, sizeof(q));
	labels = check_labels(in, len, buf, q, err, errlen);
	if (labels < 0)
		return labels;
	if (labels > SG_MAX_LABELS) {
		snprintf(err, errlen, "invalid domain \"%s\": more than %d labels", q,
			 SG_MAX_LABELS);
		return -EINVAL;
	}
	memcpy(out, buf, len + 1);
	return labels;
}

__u64 sg_domain_hash(const char *name)
{
	__u64 ring[SG_MAX_LABELS], h = SG_FNV_BASIS, s = 0;
	size_t len, i, n = 0, keep;

	if (!name)
		return 0;
	len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			/* a ring: the kernel keeps the last SG_MAX_LABELS labels */
			ring[n++ % SG_MAX_LABELS] = h;
			h = SG_FNV_BASIS;
		} else {
			h = sg_label_step(h, (__u8)name[i]);
		}
	}
	keep = n < SG_MAX_LABELS ? n : SG_MAX_LABELS;
	for (i = 0; i < keep; i++)
		s = sg_suffix_step(s, ring[(n - 1 - i) % SG_MAX_LABELS]);
	return s;
}

static bool is_v4_mapped(const struct sg_addr *a)
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a->a, prefix, sizeof(prefix));
}

static int format_family(const struct sg_addr *a, bool v4, char *out, size_t len)
{
	int family = v4 ? AF_INET : AF_INET6;
	const void *src = v4 ? (const void *)&a->a[12] : (const void *)a->a;

	/* inet_ntop takes a socklen_t; no address needs more than 64 bytes */
	if (!inet_ntop(family, src, out, (socklen_t)(len > 64 ? 64 : len))) {
		if (len)
			out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

int sg_addr_format(const struct sg_addr *a, char *out, size_t len)
{
	return format_family(a, is_v4_mapped(a), out, len);
}

int sg_prefix_format(const struct sg_addr *addr, __u32 mapped_prefix, __u32 config_prefix,
		     char *out, size_t len)
{
	/* IPv4 is the one family whose written length differs from the mapped one */
	char host[INET6_ADDRSTRLEN];
	int n;

	if (format_family(addr, mapped_prefix != config_prefix, host, sizeof(host)))
		goto nospc;
	n = snprintf(out, len, "%s/%u", host, config_prefix);
	if (n >= 0 && (size_t)n < len)
		return 0;
nospc:
	if (len)
		out[0] = '\0';
	return -ENOSPC;
}

/* Decimal prefix length, digits only ("/+8", "/ 8", "/8x" are not lengths). */
static int parse_len(const char *s, __u32 max, __u32 *out)
{
	__u32 v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -EINVAL;
		v = v * 10 + (__u32)(s[i] - '0');
	}
	if (!i || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Clear the bits after the first bits bits; true if any was set. */
static bool clear_host_bits(struct sg_addr *a, __u32 bits)
{
	bool set = false;
	__u32 i;

	for (i = 0; i < 16; i++) {
		__u8 keep = bits >= 8 * (i + 1) ? 0xff :
			    bits <= 8 * i ? 0 : (__u8)(0xff << (8 - (bits - 8 * i)));

		set |= (a->a[i] & ~keep) != 0;
		a->a[i] &= keep;
	}
	return set;
}

static int parse_host(const char *s, size_t hlen, struct sg_addr *a, bool *v4)
{
	char host[INET6_ADDRSTRLEN];

	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->a[12]) == 1) {
		a->a[10] = a->a[11] = 0xff;
		*v4 = true;
		return 0;
	}
	*v4 = false;
	return inet_pton(AF_INET6, host, a->a) == 1 ? 0 : -EINVAL;
}

int sg_prefix_parse(const char *s, struct sg_addr *addr, __u32 *mapped_prefix,
		    __u32 *config_prefix, char *err, size_t errlen)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char q[96], fixed[INET6_ADDRSTRLEN + 8];
	struct sg_addr a;
	__u32 max, len;
	bool v4;

	sg_json_escape(s, s ? strlen(s) : 0, q, sizeof(q));
	if (!s || parse_host(s, slash ? (size_t)(slash - s) : strlen(s), &a, &v4)) {
		snprintf(err, errlen, "invalid address \"%s\": expected an IPv4 or IPv6 address, "
			 "optionally with /prefix", q);
		return -EINVAL;
	}
	max = len = v4 ? 32 : 128;
	if (slash && parse_len(slash + 1, max, &len)) {
		snprintf(err, errlen, "invalid prefix length in \"%s\": use 0 to %u for IPv%d",
			 q, max, v4 ? 4 : 6);
		return -EINVAL;
	}
	if (clear_host_bits(&a, v4 ? 96 + len : len)) {
		sg_prefix_format(&a, v4 ? 96 + len : len, len, fixed, sizeof(fixed));
		snprintf(err, errlen, "%s has host bits set; did you mean %s?", q, fixed);
		return -EINVAL;
	}
	*addr = a;
	*mapped_prefix = v4 ? 96 + len : len;
	*config_prefix = len;
	return 0;
}

int sg_ipv4_forms(const char *name, char forms[SG_IPV4_FORMS][SG_NAME_MAX])
{
	unsigned int o[4];
	__u32 a;
	char end;
	int n = 0;

	if (sscanf(name, "%u.%u.%u.%u%c", &o[0], &o[1], &o[2], &o[3], &end) != 4)
		return 0;
	for (int i = 0; i < 4; i++)
		if (o[i] > 255)
			return 0;
	a = o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3];
	snprintf(forms[n++], SG_NAME_MAX, "%u", a);
	snprintf(forms[n++], SG_NAME_MAX, "0x%x", a);
	snprintf(forms[n++], SG_NAME_MAX, "0x%x.0x%x.0x%x.0x%x", o[0], o[1], o[2], o[3]);
	snprintf(forms[n++], SG_NAME_MAX, "0%o.0%o.0%o.0%o", o[0], o[1], o[2], o[3]);
	snprintf(forms[n++], SG_NAME_MAX, "%u.%u.%u", o[0], o[1], o[2] << 8 | o[3]);
	snprintf(forms[n++], SG_NAME_MAX, "%u.%u", o[0], o[1] << 16 | o[2] << 8 | o[3]);
	return n;
}
