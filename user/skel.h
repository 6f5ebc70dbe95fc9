/* SPDX-License-Identifier: GPL-2.0 */
/* skel.h - the generated skeleton, after the shared types it refers to */
#ifndef SG_SKEL_H
#define SG_SKEL_H
#include "smtpguard.h"
#include "smtpguard.skel.h"
#endif
