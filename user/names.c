// SPDX-License-Identifier: GPL-2.0
/* names.c - enum <-> string through the SG_*_NAMES tables of smtpguard.h */
#include <string.h>

#include "names.h"

static const char *const reason_names[] = SG_REASON_NAMES;
static const char *const where_names[] = SG_WHERE_NAMES;
static const char *const action_names[] = SG_ACTION_NAMES;
static const char *const csum_names[] = SG_CSUM_NAMES;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The tables and the enums are edited together; catch one without the other. */
_Static_assert(ARRAY_SIZE(reason_names) == SG_REASON__COUNT, "SG_REASON_NAMES out of step");
_Static_assert(ARRAY_SIZE(where_names) == SG_WHERE__COUNT, "SG_WHERE_NAMES out of step");
_Static_assert(ARRAY_SIZE(action_names) == SG_ACTION__COUNT, "SG_ACTION_NAMES out of step");

static const char *lookup(const char *const *names, int count, int v)
{
	return v >= 0 && v < count ? names[v] : "unknown";
}

static int find(const char *const *names, int first, int count, const char *s)
{
	int i;

	for (i = first; s && i < count; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

const char *sg_reason_name(int reason)
{
	return lookup(reason_names, SG_REASON__COUNT, reason);
}

const char *sg_where_name(int where)
{
	return lookup(where_names, SG_WHERE__COUNT, where);
}

const char *sg_action_name(int action)
{
	return lookup(action_names, SG_ACTION__COUNT, action);
}

int sg_reason_from_name(const char *s)
{
	return find(reason_names, SG_REASON_NONE + 1, SG_REASON__COUNT, s);
}

int sg_action_from_name(const char *s)
{
	return find(action_names, 0, SG_ACTION__COUNT, s);
}

const char *sg_csum_mode_name(int mode)
{
	return lookup(csum_names, ARRAY_SIZE(csum_names), mode);
}

int sg_csum_mode_from_name(const char *s)
{
	/* the last one is replay's, not a config value */
	return find(csum_names, 0, SG_CSUM_OFFLOAD_OK, s);
}
