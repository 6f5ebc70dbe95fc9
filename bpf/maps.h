/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - the public maps (DESIGN.md "Maps"), declared with BTF so that
 * `bpftool map dump name NAME` prints named fields, and the counter helpers.
 */
#ifndef SG_MAPS_H
#define SG_MAPS_H

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_MAX_FLOWS);
	__type(key, struct sg_flow_key);
	__type(value, struct sg_flow);
} sg_flows SEC(".maps");

/* half-open sessions: a SYN is kept here, and the flow enters sg_flows only
 * when its client acknowledges the server's SYN-ACK or sends data, so a SYN
 * flood evicts SYNs, never a session being inspected */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_MAX_SYNS);
	__type(key, struct sg_flow_key);
	__type(value, struct sg_syn);
} sg_syns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SG_MAX_SOURCES);
	__type(key, struct sg_addr);
	__type(value, struct sg_source);
} sg_sources SEC(".maps");

/* two generations fit while `policy apply` swaps them; NO_PREALLOC so a
 * large map costs memory only for what it holds */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * SG_MAX_OWN_DOMAINS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_name_key);
	__type(value, struct sg_name_val);
} sg_own_domains SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * SG_MAX_BAD_HOSTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_name_key);
	__type(value, struct sg_name_val);
} sg_bad_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_FILTER_KINDS * SG_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} sg_name_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * SG_MAX_NETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_lpm_key);
	__type(value, struct sg_net_val);
} sg_trusted_nets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * SG_MAX_NETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_lpm_key);
	__type(value, struct sg_net_val);
} sg_blocked_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_config);
} sg_config SEC(".maps");

/* the relay's own addresses, set by `replay --server-net`: a capture taken
 * on a relay holds its outbound deliveries too, which live XDP ingress never
 * sees as client segments (generation is always 0) */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_lpm_key);
	__type(value, struct sg_net_val);
} sg_server_nets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_stats);
} sg_stats SEC(".maps");

/* in front of sg_blocked_src for SYNs from blocked sources (struct
 * sg_block_memo): slots [0, SLOTS) hold sources, [SLOTS, 2 * SLOTS) their
 * /24 | /64. Per CPU: a slot is written whole by the CPU that reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SG_BLOCK_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct sg_block_memo);
} sg_blocked_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_RINGBUF_BYTES);
} sg_events SEC(".maps");

/* set only by `make bench` before loading: every repetition of a test-run
 * packet is parsed as new data, and may raise its alert again. A load-time constant: the verifier removes
 * the branch in production. */
volatile const __u8 sg_ignore_seq = 0;

/* Policy time (rate windows, quarantines, blocked-source expiry): the
 * monotonic clock at tick resolution (CLOCK_MONOTONIC_COARSE: a few ms is
 * plenty for minutes, and it is several times cheaper per message and
 * recipient than the exact clock), or under `smtpguard replay` (sg_replay_clock set before
 * loading) the packet's capture time, which replay writes into sg_clock_ns
 * before each run, mapped onto the monotonic clock at the replay's start so
 * that expiries the policy wrote mean the same thing. */
volatile const __u8 sg_replay_clock = 0;

/* `make bench` only: time the block path (the RST rewrite), which happens
 * once a session and so cannot be timed by repeating one packet; the
 * verifier removes the timing in production */
volatile const __u8 sg_bench_timing = 0;
/* `make bench` only: SYNs from blocked sources skip sg_blocked_memo, to
 * time the trie lookup a source's first SYN makes */
volatile const __u8 sg_no_block_memo = 0;
__u64 sg_bench_block_ns = 0;
__u64 sg_bench_block_n = 0;
volatile __u64 sg_clock_ns = 0;

static __always_inline __u64 sg_now(void)
{
	return sg_replay_clock ? sg_clock_ns : bpf_ktime_get_coarse_ns();
}

static __always_inline void stat_add(enum sg_stat id, __u64 n)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&sg_stats, &zero);

	if (v)
		v[id] += n;
}

static __always_inline void stat_inc(enum sg_stat id)
{
	stat_add(id, 1);
}

static __always_inline struct sg_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sg_config, &zero);
}

/* `action stream_anomaly block`: what cannot be read as the server will
 * read it is not let in. A segment that its sender sends again (out of
 * order, a fragment, an old timestamp) is dropped for that copy to be read,
 * with no alert; a session whose stream is in doubt is cut off. */
static __always_inline int sg_anomalies_block(const struct sg_config *cfg)
{
	return cfg->actions[SG_REASON_STREAM_ANOMALY & 7] == SG_ACTION_BLOCK;
}

#endif
