// SPDX-License-Identifier: GPL-2.0
/* cmd_events.c - alerts from the sg_events ring buffer as eve JSON lines */
#include <errno.h>
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

int do_events(int argc, char **argv, const struct sg_globals *g)
{
	int follow = argc == 2 && !strcmp(argv[1], "--follow");
	struct ring_buffer *rb;
	int fd, err = 0;

	if (argc > 2 || (argc == 2 && !follow))
		return sg_bad_usage("events", "unexpected argument");
	if (sg_need_root("events"))
		return -EPERM;
	fd = sg_pin_open(g->pin_dir, SG_MAP_EVENTS, 1);
	if (fd < 0)
		return fd;
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
	if (err < 0 && err != -EIO) {
		sg_err("events: %s", strerror(-err));
		return err;
	}
	return 0;
}
