// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - stats (sg_stats summed over CPUs) and flows (sg_flows) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "commands.h"
#include "domain.h"
#include "json.h"
#include "policy_maps.h"
#include "stats_print.h"

static const char *phase_names[] = SG_PHASE_NAMES;

int do_stats(int argc, char **argv, const struct sg_globals *g)
{
	int json = argc == 2 && !strcmp(argv[1], "--json");
	struct sg_stats s;
	int fd, err;

	if (argc > 2 || (argc == 2 && !json))
		return sg_bad_usage("stats", "unexpected argument");
	if (sg_need_root("stats"))
		return -EPERM;
	fd = sg_pin_open(g->pin_dir, SG_MAP_STATS, 1);
	if (fd < 0)
		return fd;
	err = sg_stats_read(fd, &s);
	close(fd);
	if (err) {
		sg_err("stats: %s: %s", SG_MAP_STATS, strerror(-err));
		return err;
	}
	sg_stats_print(stdout, &s, json);
	return 0;
}

/* ---- flows ---- */

struct flow_row {
	struct sg_flow_key k;
	struct sg_flow v;
};

static int by_packets(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	return x->v.packets > y->v.packets ? -1 : x->v.packets < y->v.packets;
}

/* the flow's flags as words; srv: TC's (the server side's) own flags */
static void flags_text(__u32 fl, __u8 srv, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s", fl & SG_FLOW_MIDSTREAM ? "midstream," : "",
		 fl & SG_FLOW_BLOCKED ? "blocked," : "", fl & SG_FLOW_ALERTED ? "alerted," : "",
		 fl & SG_FLOW_GAP ? "gap," : "", fl & SG_FLOW_TOKEN_TRUNC ? "truncated," : "",
		 fl & SG_FLOW_CONFLICT ? "conflict," : "", fl & SG_FLOW_URGENT ? "urgent," : "",
		 (fl & SG_FLOW_NO_REPLIES) || (srv & SG_SRV_NO_REPLIES) ? "unmatched," : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
	else
		snprintf(buf, len, "-");
}

static void flow_json(struct sg_json *j, const struct flow_row *r, __u64 now)
{
	char a[64], fl[128];

	sg_json_begin_object(j);
	sg_json_kv_uint(j, "flow_id", r->v.flow_id);
	sg_addr_format(&r->k.saddr, a, sizeof(a));
	sg_json_kv_string(j, "src_ip", a);
	sg_json_kv_uint(j, "src_port", r->k.sport);
	sg_addr_format(&r->k.daddr, a, sizeof(a));
	sg_json_kv_string(j, "dest_ip", a);
	sg_json_kv_uint(j, "dest_port", r->k.dport);
	sg_json_kv_string(j, "phase", r->v.phase < SG_PHASE__COUNT ? phase_names[r->v.phase] : "?");
	flags_text(r->v.flags, r->v.srv_flags, fl, sizeof(fl));
	sg_json_kv_string(j, "flags", fl);
	sg_json_key(j, "helo");
	sg_json_string_len(j, r->v.helo, r->v.helo_len < SG_HELO_MAX ? r->v.helo_len : SG_HELO_MAX);
	sg_json_kv_uint(j, "packets", r->v.packets);
	sg_json_kv_uint(j, "bytes", r->v.bytes);
	sg_json_kv_uint(j, "server_packets", r->v.srv_packets);
	sg_json_kv_uint(j, "server_bytes", r->v.srv_bytes);
	sg_json_kv_uint(j, "commands", r->v.commands);
	sg_json_kv_uint(j, "messages", r->v.messages);
	sg_json_kv_uint(j, "recipients", r->v.recipients);
	sg_json_kv_uint(j, "alerts", r->v.alerts);
	sg_json_kv_uint(j, "recipients_refused", r->v.rcpt_refused);
	sg_json_kv_uint(j, "messages_accepted", r->v.msgs_accepted);
	sg_json_kv_uint(j, "messages_refused", r->v.msgs_refused);
	sg_json_kv_uint(j, "replies_awaited", (__u8)(r->v.rq_tail - r->v.rq_head));
	sg_json_kv_uint(j, "idle_ms", r->v.last_ns && now > r->v.last_ns ?
					      (now - r->v.last_ns) / 1000000 : 0);
	sg_json_end_object(j);
}

static void flow_text(const struct flow_row *r)
{
	char a[64], b[64], fl[128], helo[SG_HELO_MAX + 1];
	size_t hl = r->v.helo_len < SG_HELO_MAX ? r->v.helo_len : SG_HELO_MAX;

	sg_addr_format(&r->k.saddr, a, sizeof(a));
	sg_addr_format(&r->k.daddr, b, sizeof(b));
	flags_text(r->v.flags, r->v.srv_flags, fl, sizeof(fl));
	/* the name is wire bytes: show printable ASCII only */
	for (size_t i = 0; i < hl; i++)
		helo[i] = r->v.helo[i] > 0x20 && r->v.helo[i] < 0x7f ? r->v.helo[i] : '?';
	helo[hl] = 0;
	printf("%-39s %5u  %-7s %5llu %8llu %4u %4u %4u %4u  %-18s %s\n", a, r->k.sport,
	       r->v.phase < SG_PHASE__COUNT ? phase_names[r->v.phase] : "?",
	       (unsigned long long)r->v.packets, (unsigned long long)r->v.bytes, r->v.commands,
	       r->v.messages, r->v.recipients, r->v.alerts, fl, hl ? helo : "-");
	(void)b;
}

int do_flows(int argc, char **argv, const struct sg_globals *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct flow_row *rows = NULL;
	size_t n = 0, cap = 0;
	struct sg_flow_key cur, next;
	struct timespec ts;
	long top = -1;
	int json = 0, o, fd, have = 0;
	char *end;

	while ((o = getopt_long(argc, argv, ":jt:", opts, NULL)) != -1) {
		if (o == 'j') {
			json = 1;
		} else if (o == 't') {
			top = strtol(optarg, &end, 10);
			if (*end || top < 1)
				return sg_bad_usage("flows", "--top needs a positive number");
		} else {
			return sg_bad_option("flows", o, argv);
		}
	}
	if (optind != argc)
		return sg_bad_usage("flows", "unexpected argument");
	if (sg_need_root("flows"))
		return -EPERM;
	fd = sg_pin_open(g->pin_dir, SG_MAP_FLOWS, 1);
	if (fd < 0)
		return fd;
	while (bpf_map_get_next_key(fd, have ? &cur : NULL, &next) == 0) {
		cur = next;
		have = 1;
		if (n == cap) {
			void *p = realloc(rows, (cap = cap ? 2 * cap : 256) * sizeof(*rows));

			if (!p)
				break;
			rows = p;
		}
		rows[n].k = next;
		if (!bpf_map_lookup_elem(fd, &next, &rows[n].v))
			n++;
	}
	close(fd);
	qsort(rows, n, sizeof(*rows), by_packets);
	if (top > 0 && (size_t)top < n)
		n = top;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (json) {
		struct sg_json j;

		sg_json_init(&j, stdout);
		sg_json_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			flow_json(&j, &rows[i], ts.tv_sec * 1000000000ULL + ts.tv_nsec);
		sg_json_end_array(&j);
		putchar('\n');
	} else {
		printf("%-39s %5s  %-7s %5s %8s %4s %4s %4s %4s  %-18s %s\n", "client", "port",
		       "phase", "pkts", "bytes", "cmds", "msgs", "rcpt", "alrt", "flags", "helo");
		for (size_t i = 0; i < n; i++)
			flow_text(&rows[i]);
	}
	free(rows);
	return 0;
}
