/* SPDX-License-Identifier: GPL-2.0 */
/* names.h - enum <-> string, from the one set of tables in smtpguard.h */
#ifndef SG_NAMES_H
#define SG_NAMES_H

#include "smtpguard.h"

/* "unknown" for a value outside the enum: events come from a kernel object
 * that may be newer than this binary. */
const char *sg_reason_name(int reason);
const char *sg_where_name(int where);
const char *sg_action_name(int action);

/* -1 if unknown; "none" is not a reason anyone can configure, so it is -1 too */
int sg_reason_from_name(const char *s);
int sg_action_from_name(const char *s);
/* checksum-validation: auto, yes, no */
const char *sg_csum_mode_name(int mode);
int sg_csum_mode_from_name(const char *s);

#endif /* SG_NAMES_H */
