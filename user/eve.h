/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eve.h - one struct sg_event as one Suricata eve "alert" line (DESIGN.md
 * "Alert events"): what the traffic said under smtp / email, smtpguard's own
 * fields under alert.metadata as arrays of strings.
 */
#ifndef SG_EVE_H
#define SG_EVE_H

#include <stdio.h>
#include <time.h>

#include "smtpguard.h"
#include "names.h"

/*
 * Write the event as one compact JSON line ending in '\n'; wall is the
 * event's wall-clock time. The line is built in memory and written with one
 * call, so a failure never leaves half a line. 0, -EINVAL for an event or
 * time that cannot be shown (nothing is written), -ENOMEM, or -EIO.
 */
int sg_eve_write(FILE *f, const struct sg_event *ev, const struct timespec *wall);

/* The signature text of (reason, where), as alert.signature shows it. */
const char *sg_eve_signature(__u8 reason, __u8 where);

/* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) to wall time, by the current offset
 * between CLOCK_REALTIME and CLOCK_MONOTONIC. */
void sg_eve_monotonic_to_wall(__u64 mono_ns, struct timespec *wall);

#endif /* SG_EVE_H */
