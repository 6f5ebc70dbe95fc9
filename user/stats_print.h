/* SPDX-License-Identifier: GPL-2.0 */
/* stats_print.h - sg_stats summed over CPUs, printed as text or JSON (stats, replay) */
#ifndef SG_STATS_PRINT_H
#define SG_STATS_PRINT_H

#include <stdio.h>
#include "smtpguard.h"

int sg_stats_read(int fd, struct sg_stats *sum);
void sg_stats_print(FILE *f, const struct sg_stats *s, int json);

#endif
