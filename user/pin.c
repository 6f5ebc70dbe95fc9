// SPDX-License-Identifier: GPL-2.0
/* pin.c - the pin directory: bpffs mount, lock, named objects */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

#include "pin.h"

void sg_err(const char *fmt, ...)
{
	va_list ap;

	fputs("smtpguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sg_need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	sg_err("%s: must be run as root (needs CAP_BPF and CAP_NET_ADMIN)", cmd);
	return -EPERM;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int sg_bpffs_ensure(const char *pin_dir)
{
	char parent[4096];

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	dirname(parent);
	if (is_bpffs(parent) || is_bpffs(pin_dir))
		return 0;
	if (strcmp(parent, "/sys/fs/bpf") != 0) {
		sg_err("%s: not on a bpf filesystem", parent);
		return -EINVAL;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		sg_err("cannot mount the bpf filesystem on /sys/fs/bpf: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int sg_pin_lock(const char *pin_dir, int create)
{
	int fd;

	if (create && mkdir(pin_dir, 0700) && errno != EEXIST) {
		sg_err("%s: cannot create: %s", pin_dir, strerror(errno));
		return -errno;
	}
	fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int sg_pin_path(char *buf, size_t len, const char *pin_dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sg_pin_open(const char *pin_dir, const char *name, int loud)
{
	char path[4096];
	int fd;

	if (sg_pin_path(path, sizeof(path), pin_dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		if (loud && (fd == -ENOENT || fd == -ENOTDIR))
			sg_err("not loaded: %s does not exist (run 'smtpguard load IFACE' first)",
			       path);
		else if (loud)
			sg_err("%s: %s", path, strerror(-fd));
	}
	return fd;
}

int sg_link_pin_name(char *buf, size_t len, const char *kind, const char *iface)
{
	int n = snprintf(buf, len, "link_%s_%s", kind, iface);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sg_pin_each_iface(const char *pin_dir, void (*fn)(const char *iface, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d = opendir(pin_dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "link_xdp_", 9))
			continue;
		n++;
		if (fn)
			fn(de->d_name + 9, arg);
	}
	closedir(d);
	return n;
}
