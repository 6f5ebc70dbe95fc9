// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - smtpguard's command table and dispatch. Each subcommand declares
 * its usage and summary once, here; --help and `smtpguard help` print them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "smtpguard.h"
#include "commands.h"
#include "loader.h"

static const struct sg_cmd commands[] = {
	{ "load", do_load, "IFACE [--config FILE] [--xdp-mode native|generic|auto]",
	  "attach XDP ingress and TC egress to IFACE, pin them, apply the config" },
	{ "unload", do_unload, "IFACE", "detach from IFACE; the last unload removes every pin" },
	{ "status", do_status, "[--json]", "what is attached where, policy size, map fill" },
	{ "policy", do_policy, "apply FILE | add KIND VALUE | del KIND VALUE | show [--json]",
	  "change the policy in force (KIND: internal-domain trusted-net bad-host blocked-source)" },
	{ "stats", do_stats, "[--json]", "global counters (sg_stats, summed over CPUs)" },
	{ "flows", do_flows, "[--json] [--top N]", "per-flow counters and SMTP state" },
	{ "events", do_events, "[--follow]", "alerts as eve JSON lines" },
	{ "replay", do_replay, "--config FILE [--server-net CIDR]... [--checksum-validation auto|yes|no] PCAP...",
	  "run the same BPF programs over captures; alerts on stdout, summary on stderr" },
	{ "check-config", do_check_config, "FILE", "check a config file; nothing is applied" },
	{ NULL },
};

void sg_cmd_usage(const struct sg_cmd *c, FILE *f)
{
	fprintf(f, "usage: smtpguard [-v] [--pin-dir DIR] %s %s\n  %s\n", c->name, c->usage,
		c->summary);
}

const struct sg_cmd *sg_cmd_find(const char *name)
{
	for (const struct sg_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: smtpguard [-v|-vv] [--pin-dir DIR] COMMAND [ARGS]\n\ncommands:\n");
	for (const struct sg_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-13s %s\n                %s\n", c->name, c->usage, c->summary);
	fprintf(f, "\n'smtpguard COMMAND --help' for one command; man smtpguard(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sg_globals g = { .pin_dir = SG_PIN_ROOT, .prog = "smtpguard" };
	const struct sg_cmd *c;
	int o;

	/* options before the command belong to smtpguard, after it to the command */
	while ((o = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			g.pin_dir = optarg;
			break;
		case 'v':
			g.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "help")) {
		c = optind + 1 < argc ? sg_cmd_find(argv[optind + 1]) : NULL;
		if (c)
			sg_cmd_usage(c, stdout);
		else
			usage(stdout);
		return 0;
	}
	c = sg_cmd_find(argv[optind]);
	if (!c) {
		sg_err("unknown command '%s' (see 'smtpguard --help')", argv[optind]);
		return 2;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			sg_cmd_usage(c, stdout);
			return 0;
		}
	}
	sg_libbpf_verbosity(g.verbose);
	argc -= optind;
	argv += optind;
	optind = 0; /* the command parses its own options from argv[1] on */
	opterr = 0; /* and reports a bad one in its own single line */
	return c->fn(argc, argv, &g) ? 1 : 0;
}
