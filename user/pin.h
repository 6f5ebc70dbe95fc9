/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pin.h - the pin directory under the bpf filesystem: where programs, maps
 * and links outlive the CLI (DESIGN.md), its lock, and opening what is in it.
 */
#ifndef SG_PIN_H
#define SG_PIN_H

#include <stddef.h>

struct sg_globals {
	const char *pin_dir;  /* SG_PIN_ROOT unless --pin-dir */
	int verbose;          /* -v: libbpf warnings; -vv: the verifier log */
	const char *prog;     /* "smtpguard" */
};

/* One line on stderr, prefixed with "smtpguard: ", like every CLI error. */
void sg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Root is needed for BPF and for attaching: say so in one line. */
int sg_need_root(const char *cmd);

/* Mounts the bpf filesystem on /sys/fs/bpf if the pin dir's parent is not on one. */
int sg_bpffs_ensure(const char *pin_dir);

/* Creates the pin dir if needed and takes an exclusive flock on it; the
 * returned fd is the lock (close it to release). */
int sg_pin_lock(const char *pin_dir, int create);

/* pin_dir/name into buf */
int sg_pin_path(char *buf, size_t len, const char *pin_dir, const char *name);

/* Opens a pinned map or program by name; -errno, with a one-line message
 * ("smtpguard is not loaded (no DIR/NAME)") printed when loud. */
int sg_pin_open(const char *pin_dir, const char *name, int loud);

/* Link pins are named link_xdp_IFACE and link_tc_IFACE. */
int sg_link_pin_name(char *buf, size_t len, const char *kind, const char *iface);

/* Calls fn for each interface with an XDP link pinned in pin_dir; returns
 * the number of interfaces. */
int sg_pin_each_iface(const char *pin_dir, void (*fn)(const char *iface, void *arg), void *arg);

#endif
