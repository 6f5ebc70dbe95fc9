// SPDX-License-Identifier: GPL-2.0
/* cmd_events.c - alerts from the sg_events ring buffer as eve JSON lines */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "smtpguard.h"
#include "commands.h"
#include "eve.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct sg_event *ev = data;
	struct timespec wall;

	if (len < sizeof(*ev))
		return 0;
	sg_eve_monotonic_to_wall(ev->ts_ns, &wall);
	if (sg_eve_write(stdout, ev, &wall) == -EIO)
		return -EIO; /* stdout is gone (a closed pipe): stop */
	fflush(stdout);
	return 0;
}

/* An exclusive lock per pin dir in /run/lock (bpffs files cannot be
 * opened, and the pin dir's own lock serialises policy changes). */
static int reader_lock(const char *pin_dir)
{
	char path[4200];
	int fd, n;

	n = snprintf(path, sizeof(path), "/run/lock/smtpguard-events");
	for (const char *p = pin_dir; *p && n < (int)sizeof(path) - 8; p++)
		path[n++] = *p == '/' ? '_' : *p;
	snprintf(path + n, sizeof(path) - n, ".lock");
	mkdir("/run/lock", 01777);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		sg_err("events: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		if (err == -EWOULDBLOCK)
			sg_err("events: another 'smtpguard events' reads the alerts already "
			       "(one reader at a time: the ring has one consumer position)");
		else
			sg_err("events: %s: cannot lock: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int do_events(int argc, char **argv, const struct sg_globals *g)
{
	int follow = argc == 2 && !strcmp(argv[1], "--follow");
	struct ring_buffer *rb;
	int fd, lock, err = 0;

	if (argc > 2 || (argc == 2 && !follow))
		return sg_bad_usage("events", "unexpected argument");
	if (sg_need_root("events"))
		return -EPERM;
	fd = sg_pin_open(g->pin_dir, SG_MAP_EVENTS, 1);
	if (fd < 0)
		return fd;
	/* The ring has one consumer position: a second reader would take
	 * alerts from the first (a log shipper) without either knowing. */
	lock = reader_lock(g->pin_dir);
	if (lock < 0) {
		close(fd);
		return lock;
	}
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb) {
		sg_err("events: cannot read %s: %s", SG_MAP_EVENTS, strerror(errno));
		close(fd);
		return -errno;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!follow) {
		err = ring_buffer__consume(rb);
	} else {
		while (!stop) {
			err = ring_buffer__poll(rb, 200);
			if (err == -EINTR) {
				err = 0;
				continue;
			}
			if (err < 0)
				break;
		}
	}
	ring_buffer__free(rb);
	close(fd);
	close(lock);
	if (err < 0 && err != -EIO) {
		sg_err("events: %s", strerror(-err));
		return err;
	}
	return 0;
}
