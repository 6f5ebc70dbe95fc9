/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match.h - policy matching: a name's labels were hashed while they streamed
 * past; here the suffixes are combined right to left (sg_suffix_step, the
 * same function userspace uses for policy entries) and looked up, so
 * hr.corp.example matches corp.example and notcorp.example does not.
 */
#ifndef SG_MATCH_H
#define SG_MATCH_H

/* Returns the policy entry whose name is a label-boundary suffix of the name
 * held in the flow's label ring, or NULL. */
static __always_inline struct sg_name_val *sg_match_name(void *map, __u32 kind, struct sg_flow *f,
							 __u32 gen)
{
	struct sg_name_key key = { .gen = gen };
	struct sg_name_val *v;
	__u32 n = f->nlabels;
	__u64 sfx = 0;

	if (n > SG_MAX_LABELS)
		stat_inc(SG_STAT_labels_truncated);
	for (__u32 i = 0; i < SG_MAX_LABELS; i++) {
		if (i >= n)
			break;
		__u32 w;
		__u64 *bits;

		sfx = sg_suffix_step(sfx, f->labels[(n - 1 - i) & (SG_MAX_LABELS - 1)]);
		w = sg_filter_word(kind, sfx);
		bits = bpf_map_lookup_elem(&sg_name_filter, &w);
		if (!bits || !(*bits & sg_filter_mask(sfx)))
			continue;
		key.hash = sfx;
		v = bpf_map_lookup_elem(map, &key);
		if (v)
			return v;
	}
	return NULL;
}

static __always_inline int sg_source_trusted(const struct sg_flow_key *fk, __u32 gen)
{
	struct sg_lpm_key key = { .prefixlen = 32 + 128, .gen = gen };

	__builtin_memcpy(&key.addr, &fk->saddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&sg_trusted_nets, &key) != NULL;
}

#endif
