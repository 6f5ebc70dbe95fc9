// SPDX-License-Identifier: GPL-2.0
/* stats_print.c - sg_stats summed over CPUs and printed (stats, replay, tests) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "json.h"
#include "stats_print.h"

static const char *stat_names[] = SG_STAT_NAMES;

int sg_stats_read(int fd, struct sg_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sg_stats *per;
	__u32 zero = 0;

	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, per)) {
		free(per);
		return -errno;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < SG_STAT__COUNT; i++)
			((__u64 *)sum)[i] += ((__u64 *)&per[c])[i];
	free(per);
	return 0;
}

void sg_stats_print(FILE *f, const struct sg_stats *s, int json)
{
	if (json) {
		struct sg_json j;

		sg_json_init(&j, f);
		sg_json_begin_object(&j);
		for (int i = 0; i < SG_STAT__COUNT; i++)
			sg_json_kv_uint(&j, stat_names[i], ((const __u64 *)s)[i]);
		sg_json_end_object(&j);
		fputc('\n', f);
		return;
	}
	for (int i = 0; i < SG_STAT__COUNT; i++)
		fprintf(f, "%-20s %llu\n", stat_names[i],
			(unsigned long long)((const __u64 *)s)[i]);
}

