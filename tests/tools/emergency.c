// SPDX-License-Identifier: GPL-2.0
/*
 * emergency.c - how long an emergency policy change takes to reach the
 * packets: the time from the start of the `smtpguard policy ...` command
 * to the first packet that sees it.
 *
 *   emergency --smtpguard BIN [--rounds N] [--pin-dir DIR]
 *
 * Loads the programs and pins them in DIR (a private directory, removed at
 * the end; nothing is attached), applies a base policy with the real CLI,
 * and then, N rounds for each change below, starts the CLI process and at
 * once runs packets through the pinned XDP program with
 * BPF_PROG_TEST_RUN, one after another (each a few microseconds), until
 * one of them is handled by the new policy:
 *   blocked-source  `policy add blocked-source 198.51.100.99/32`: a SYN from
 *                   it is dropped;
 *   bad-host        `policy add bad-host emergency.bad.test`: a message
 *                   linking to it raises the alert (sg_stats alert_bad_host);
 *   action block    `policy apply` of the base policy with action
 *                   spoofed_internal_domain switched to block: a forged
 *                   MAIL FROM becomes a RST to the server.
 * Each round also opens a session before the change and checks after it
 * that the session is still tracked and read under the new policy (no flow
 * lost: its forged MAIL FROM alerts, and is blocked after the action
 * switch). Prints, per change, min / median / max of the latency (start
 * of the command to the end of the first packet run that saw it: an upper
 * bound) and of the command's whole run, in ms. Exit status 1 if a change
 * never took effect or a session was lost; times are reported, never
 * judged.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/bpf.h>
#include "bpf/harness.h"

#define MAX_ROUNDS 200
#define RELAY "192.0.2.25"
#define OUTSIDE "198.51.100.7"
#define BLOCKED "198.51.100.99"
#define OLD "198.51.100.8"

static const char *sg_bin, *pin_dir;
static char base_conf[256], block_conf[256];
static struct smtpguard *skel;
static int xdp_fd, stats_fd, flows_fd;
static __u16 port = 10000;

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* starts the CLI (its output to /dev/null); its start time in *t0 */
static pid_t cli_start(const char *a1, const char *a2, const char *a3, const char *a4, __u64 *t0)
{
	pid_t pid;

	*t0 = mono_ns();
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(sg_bin, sg_bin, "--pin-dir", pin_dir, a1, a2, a3, a4, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* runs the CLI to its end (setup between rounds); 0 if it succeeded */
static int cli(const char *a1, const char *a2, const char *a3, const char *a4)
{
	__u64 t0;
	pid_t pid = cli_start(a1, a2, a3, a4, &t0);
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int run(const __u8 *frame, int len, __u8 *out, __u32 *outlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = out ? PKT_MAX : 0, .repeat = 1);

	if (bpf_prog_test_run_opts(xdp_fd, &o))
		return -errno;
	if (outlen)
		*outlen = o.data_size_out;
	return o.retval;
}

struct flow {
	struct pkt_spec ps;
	__u32 seq;
};

static void flow_syn(struct flow *f, const char *src)
{
	__u8 fr[PKT_MAX];
	int n;

	memset(f, 0, sizeof(*f));
	f->ps.src = src;
	f->ps.dst = RELAY;
	f->ps.sport = port;
	port = port == 65535 ? 10000 : port + 1;
	f->ps.dport = 25;
	f->seq = 7000000 + f->ps.sport * 13;
	f->ps.seq = f->seq++;
	f->ps.flags = 0x02;
	n = pkt_build(fr, &f->ps, "", 0);
	run(fr, n, NULL, NULL);
	f->ps.flags = 0;
}

/* one client segment; 1 if it came out as a RST (block), else 0; -1 if dropped */
static int flow_send(struct flow *f, const char *text)
{
	__u8 fr[PKT_MAX], out[PKT_MAX];
	__u32 outlen = 0;
	int n, v;

	f->ps.seq = f->seq;
	f->ps.ack = 1;
	n = pkt_build(fr, &f->ps, text, strlen(text));
	f->seq += strlen(text);
	v = run(fr, n, out, &outlen);
	if (v == XDP_DROP)
		return -1;
	return outlen >= 14 + 40 && (out[14 + 20 + 13] & 0x04) && outlen < (__u32)n;
}

static __u64 stat_sum(size_t off)
{
	struct sg_stats st;

	if (sg_stats_read(stats_fd, &st))
		return 0;
	return *(__u64 *)((char *)&st + off);
}
#define STAT(name) stat_sum(offsetof(struct sg_stats, name))

/* the probes: 1 once the packet saw the change */
static int probe_blocked(void)
{
	__u8 fr[PKT_MAX];
	struct pkt_spec ps = { .src = BLOCKED, .dst = RELAY, .sport = port, .dport = 25,
			       .seq = 1, .flags = 0x02 };
	int n = pkt_build(fr, &ps, "", 0);

	port = port == 65535 ? 10000 : port + 1;
	return run(fr, n, NULL, NULL) == XDP_DROP;
}

static int probe_bad_host(void)
{
	struct flow f;
	__u64 before = STAT(alert_bad_host);

	flow_syn(&f, OUTSIDE);
	flow_send(&f, "EHLO a.test\r\nMAIL FROM:<a@outside.test>\r\nRCPT TO:<b@corp.example>\r\n"
		      "DATA\r\n");
	flow_send(&f, "Subject: x\r\n\r\nsee https://emergency.bad.test/x now\r\n.\r\n");
	return STAT(alert_bad_host) > before;
}

static int probe_action(void)
{
	struct flow f;

	flow_syn(&f, OUTSIDE);
	return flow_send(&f, "EHLO a.test\r\nMAIL FROM:<ceo@corp.example>\r\n") == 1;
}

struct change {
	const char *name;
	const char *args[4];       /* the emergency command */
	const char *undo[4];       /* back to the base policy */
	int (*probe)(void);
	double lat_ms[MAX_ROUNDS], cmd_ms[MAX_ROUNDS];
	int n, failed, lost;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* a session opened before the change: still there after it, and read */
static int session_kept(struct flow *f, int want_block)
{
	struct sg_flow_key k = {};
	struct sg_flow v;
	__u64 before = STAT(alert_mail_from);
	int r;

	h_addr(f->ps.src, &k.saddr);
	h_addr(RELAY, &k.daddr);
	k.sport = f->ps.sport;
	k.dport = 25;
	if (bpf_map_lookup_elem(flows_fd, &k, &v))
		return 0;
	r = flow_send(f, "MAIL FROM:<ceo@corp.example>\r\n");
	return STAT(alert_mail_from) > before && r == want_block;
}

static void one_round(struct change *c)
{
	struct flow old;
	__u64 t0, seen = 0, end = 0;
	pid_t pid;
	int st;

	/* from its own address: the probes' ports wrap and must not meet it */
	flow_syn(&old, OLD);
	flow_send(&old, "EHLO old.outside.test\r\n");
	pid = cli_start(c->args[0], c->args[1], c->args[2], c->args[3], &t0);
	if (pid < 0) {
		c->failed++;
		return;
	}
	/* packets, one after another, until one sees the change (10 s at most) */
	while (!seen && mono_ns() - t0 < 10000000000ULL) {
		if (c->probe())
			seen = mono_ns();
		if (!end && waitpid(pid, &st, WNOHANG) == pid)
			end = mono_ns();
	}
	if (!end && waitpid(pid, &st, 0) == pid)
		end = mono_ns();
	if (!seen || !end || !WIFEXITED(st) || WEXITSTATUS(st)) {
		c->failed++;
	} else {
		c->lat_ms[c->n] = (seen - t0) / 1e6;
		c->cmd_ms[c->n] = (end - t0) / 1e6;
		c->n++;
	}
	if (!session_kept(&old, c->probe == probe_action))
		c->lost++;
	if (cli(c->undo[0], c->undo[1], c->undo[2], c->undo[3]))
		c->failed++;
}

static void report(struct change *c)
{
	if (!c->n) {
		printf("  %-16s never took effect (%d failed)\n", c->name, c->failed);
		return;
	}
	qsort(c->lat_ms, c->n, sizeof(double), cmp_double);
	qsort(c->cmd_ms, c->n, sizeof(double), cmp_double);
	printf("  %-16s first packet that sees it %6.2f / %6.2f / %6.2f ms   command ends "
	       "%6.2f / %6.2f / %6.2f ms   (%d rounds, %d failed, %d sessions lost)\n",
	       c->name, c->lat_ms[0], c->lat_ms[c->n / 2], c->lat_ms[c->n - 1], c->cmd_ms[0],
	       c->cmd_ms[c->n / 2], c->cmd_ms[c->n - 1], c->n, c->failed, c->lost);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static char pin_buf[128];

static void cleanup(void)
{
	if (skel)
		smtpguard__destroy(skel);
	skel = NULL;
	if (pin_buf[0])
		nftw(pin_buf, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	unlink(base_conf);
	unlink(block_conf);
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static int write_file(char *path, size_t len, const char *tag, const char *text)
{
	FILE *f;

	snprintf(path, len, "/tmp/sg-emergency-%d-%s.conf", getpid(), tag);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	static const char *base = "internal-domain corp.example\n"
				  "action spoofed_internal_domain alert\n"
				  "action bad_redirect_host alert\n";
	struct change changes[] = {
		{ .name = "blocked-source",
		  .args = { "policy", "add", "blocked-source", BLOCKED "/32" },
		  .undo = { "policy", "del", "blocked-source", BLOCKED "/32" },
		  .probe = probe_blocked },
		{ .name = "bad-host", .args = { "policy", "add", "bad-host", "emergency.bad.test" },
		  .undo = { "policy", "del", "bad-host", "emergency.bad.test" },
		  .probe = probe_bad_host },
		{ .name = "action block", .args = { "policy", "apply", block_conf, NULL },
		  .undo = { "policy", "apply", base_conf, NULL }, .probe = probe_action },
	};
	struct sg_globals g = { .pin_dir = NULL };
	int rounds = 10, bad = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smtpguard") && i + 1 < argc)
			sg_bin = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc)
			pin_dir = argv[++i];
		else {
			fprintf(stderr, "usage: emergency --smtpguard BIN [--rounds N] [--pin-dir DIR]\n");
			return 2;
		}
	}
	if (!sg_bin || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "emergency: --smtpguard BIN is needed; rounds 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	if (!pin_dir) {
		snprintf(pin_buf, sizeof(pin_buf), "/sys/fs/bpf/smtpguard-emergency-%d", getpid());
		pin_dir = pin_buf;
	} else {
		snprintf(pin_buf, sizeof(pin_buf), "%s", pin_dir);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	atexit(cleanup);
	if (write_file(base_conf, sizeof(base_conf), "base", base) ||
	    write_file(block_conf, sizeof(block_conf), "block",
		       "internal-domain corp.example\naction spoofed_internal_domain block\n"
		       "action bad_redirect_host alert\n")) {
		fprintf(stderr, "emergency: cannot write the policy files\n");
		return 1;
	}
	sg_libbpf_verbosity(0);
	if (sg_bpffs_ensure(pin_dir) || sg_skel_load(&g, pin_dir, &skel)) {
		fprintf(stderr, "emergency: cannot load and pin the programs in %s\n", pin_dir);
		return 1;
	}
	xdp_fd = bpf_program__fd(skel->progs.sg_xdp_ingress);
	stats_fd = bpf_map__fd(skel->maps.sg_stats);
	flows_fd = bpf_map__fd(skel->maps.sg_flows);
	if (cli("policy", "apply", base_conf, NULL)) {
		fprintf(stderr, "emergency: %s policy apply failed\n", sg_bin);
		return 1;
	}
	printf("emergency policy changes (min / median / max; the CLI as a new process, "
	       "packets through the pinned XDP program back to back):\n");
	for (size_t c = 0; c < sizeof(changes) / sizeof(changes[0]); c++) {
		for (int r = 0; r < rounds; r++)
			one_round(&changes[c]);
		report(&changes[c]);
		bad |= changes[c].failed || changes[c].lost || !changes[c].n;
	}
	return bad;
}
