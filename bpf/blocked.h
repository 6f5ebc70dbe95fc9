/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blocked.h - is this SYN's source blocked? (sg_blocked_src: the policy's
 * blocked-source entries and the kernel's quarantines)
 *
 * A SYN flood from a blocked source is the case this is for, so the answer
 * for a source already seen blocked comes from a per-CPU memo
 * (sg_blocked_memo, two array slots: the source, and its /24 or /64) in
 * the time of a counter update, and only a source's first SYN pays for the
 * trie. The memo holds blocks only, with the expiry of the entry that
 * blocks, and stamped with the policy generation and cfg->blocked_epoch,
 * which userspace moves on every change of sg_blocked_src: an entry taken
 * away or shortened voids every memo at once; one added needs no memo to
 * be seen.
 */
#ifndef SG_BLOCKED_H
#define SG_BLOCKED_H

/* expired entries a lookup steps past before it gives up (and passes) */
#define SG_BLOCK_LOOKUPS 4

static __always_inline __u32 sg_memo_slot(const struct sg_addr *a, __u32 base)
{
	const __u32 *w = (const __u32 *)a->a;

	return base + ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 2654435761u >> 24) % SG_BLOCK_MEMO_SLOTS;
}

static __always_inline int sg_addr_eq(const struct sg_addr *x, const struct sg_addr *y)
{
	const __u64 *a = (const __u64 *)x->a, *b = (const __u64 *)y->a;

	return a[0] == b[0] && a[1] == b[1];
}

/* The memo says a (a source, or the /24 | /64 it is in) is blocked. */
static __always_inline int sg_memo_blocked(const struct sg_addr *a, __u32 base, __u64 stamp)
{
	__u32 slot = sg_memo_slot(a, base);
	struct sg_block_memo *m = bpf_map_lookup_elem(&sg_blocked_memo, &slot);

	if (!m || m->stamp != stamp || !sg_addr_eq(&m->addr, a))
		return 0;
	return !m->expires_ns || sg_now() < m->expires_ns;
}

static __always_inline void sg_memo_put(const struct sg_addr *a, __u32 base, __u64 stamp,
					__u64 expires_ns)
{
	__u32 slot = sg_memo_slot(a, base);
	struct sg_block_memo *m = bpf_map_lookup_elem(&sg_blocked_memo, &slot);

	if (!m)
		return;
	m->stamp = stamp;
	m->addr = *a;
	m->expires_ns = expires_ns;
}

/* an entry's prefix in the trie's terms (IPv6, v4-mapped): v4, the source
 * is IPv4, and so an entry of /32 or less is in IPv4 terms */
static __always_inline __u32 sg_block_plen(const struct sg_net_val *v, int v4)
{
	return v4 && v->prefix <= 32 ? 96 + v->prefix : v->prefix;
}

/* The entry in force that covers key->addr at key->prefixlen or shorter.
 * The trie answers with the longest match only, and an expired entry
 * would hide a shorter one still in force (a /32 "for 10m" inside a
 * blocked /24): the lookup steps past it to the prefix above. A quarantine
 * that is over is deleted (the policy's own entries stay, for `policy
 * show` to say they expired). */
static __always_inline struct sg_net_val *sg_block_find(struct sg_lpm_key *key, int v4)
{
	__u64 now = 0;

	for (int i = 0; i < SG_BLOCK_LOOKUPS; i++) {
		struct sg_net_val *v = bpf_map_lookup_elem(&sg_blocked_src, key);
		__u32 plen;

		if (!v)
			return NULL;
		if (!v->expires_ns)
			return v;
		if (!now)
			now = sg_now();
		if (now < v->expires_ns)
			return v;
		plen = sg_block_plen(v, v4);
		/* a quarantine is a whole address, so key (all of it) is its key */
		if (v->id == SG_NET_ID_QUARANTINE && key->prefixlen == 32 + 128)
			bpf_map_delete_elem(&sg_blocked_src, key);
		if (!plen || 32 + plen > key->prefixlen)
			return NULL;
		key->prefixlen = 32 + plen - 1;
	}
	return NULL;
}

/* The trie's answer for a source the memo did not know, remembered if it
 * is a block: for the /24 | /64 if the entry that blocks it covers all of
 * that (a flood from a blocked range seldom repeats a source), else for
 * the source. One trie lookup: the entry's own prefix says how much it
 * covers. A source whose longest match is narrower (a /32 inside a blocked
 * /24) is remembered alone; the others of its /24 find the wider entry
 * themselves, and remember the /24. Out of line, so that the memo's hit
 * path stays a few instructions. */
static __noinline int sg_source_lookup(const struct sg_addr *src, __u32 gen, __u64 stamp)
{
	struct sg_lpm_key key = { .prefixlen = 32 + 128, .gen = gen };
	struct sg_net_val *v;
	struct sg_addr net;
	__u32 *w = (__u32 *)net.a;
	__u32 plen;
	int v4;

	key.addr = *src;
	net = *src;
	v4 = sg_addr_v4(&net);
	if (v4) {
		w[3] &= bpf_htonl(0xffffff00);
	} else {
		w[2] = 0;
		w[3] = 0;
	}
	if (!sg_no_block_memo && sg_memo_blocked(&net, SG_BLOCK_MEMO_SLOTS, stamp))
		return 1;
	v = sg_block_find(&key, v4);
	if (!v)
		return 0;
	plen = sg_block_plen(v, v4);
	if (plen <= (v4 ? 96 + 24 : 64))
		sg_memo_put(&net, SG_BLOCK_MEMO_SLOTS, stamp, v->expires_ns);
	else
		sg_memo_put(src, 0, stamp, v->expires_ns);
	return 1;
}

/* A SYN from a blocked source is dropped before any flow state exists. */
static __always_inline int sg_source_blocked(const struct sg_pkt *pk, const struct sg_config *cfg)
{
	__u32 gen = cfg->generation;
	/* + 1: never 0, the stamp of a slot no SYN wrote (it would say :: is
	 * blocked under generation 0) */
	__u64 stamp = ((__u64)gen << 32 | cfg->blocked_epoch) + 1;

	if (!cfg->blocked_sources && !cfg->quarantine_blocks)
		return 0;
	if (!sg_no_block_memo && sg_memo_blocked(&pk->key.saddr, 0, stamp))
		return 1;
	return sg_source_lookup(&pk->key.saddr, gen, stamp);
}

#endif
