/* SPDX-License-Identifier: GPL-2.0 */
/* commands.h - the subcommands: do_<cmd>(argc, argv) with argv[0] = the command */
#ifndef SG_COMMANDS_H
#define SG_COMMANDS_H

#include <stdio.h>
#include "pin.h"

struct sg_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const struct sg_globals *g);
	const char *usage;
	const char *summary;
};

void sg_cmd_usage(const struct sg_cmd *c, FILE *f);
const struct sg_cmd *sg_cmd_find(const char *name);

/* one line on stderr and the command's usage: for wrong arguments */
int sg_bad_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the same for what getopt_long returned ('?' or ':'; optstrings start with ':') */
int sg_bad_option(const char *cmd, int o, char **argv);

int do_load(int argc, char **argv, const struct sg_globals *g);
int do_unload(int argc, char **argv, const struct sg_globals *g);
int do_status(int argc, char **argv, const struct sg_globals *g);
int do_policy(int argc, char **argv, const struct sg_globals *g);
int do_check_config(int argc, char **argv, const struct sg_globals *g);
int do_stats(int argc, char **argv, const struct sg_globals *g);
int do_flows(int argc, char **argv, const struct sg_globals *g);
int do_events(int argc, char **argv, const struct sg_globals *g);
int do_replay(int argc, char **argv, const struct sg_globals *g);

#endif
