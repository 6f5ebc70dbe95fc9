// SPDX-License-Identifier: GPL-2.0
/* test_eve.c - events as Suricata eve alert lines, checked by hand and by the EVE schema */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "eve.h"

#define PYTHON "/usr/bin/python3"

static const char *sub(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", name, what);
	return buf;
}

static void set_addr(struct sg_addr *a, const char *text)
{
	char mapped[64];

	memset(a, 0, sizeof(*a));
	if (strchr(text, ':')) {
		inet_pton(AF_INET6, text, a->a);
	} else {
		snprintf(mapped, sizeof(mapped), "::ffff:%s", text);
		inet_pton(AF_INET6, mapped, a->a);
	}
}

static void set_str(char *dst, size_t size, __u8 *len, const char *s, size_t n)
{
	memset(dst, 0, size);
	memcpy(dst, s, n);
	if (len)
		*len = (__u8)n;
}

/* The DESIGN.md example event */
static struct sg_event example_event(void)
{
	struct sg_event ev = { .flow_id = 81723, .sport = 40001, .dport = 25 };

	set_addr(&ev.saddr, "198.51.100.7");
	set_addr(&ev.daddr, "192.0.2.25");
	ev.reason = SG_REASON_SPOOFED_INTERNAL_DOMAIN;
	ev.where = SG_WHERE_MAIL_FROM;
	ev.action = SG_ACTION_ALERT;
	strcpy(ev.match, "corp.example");
	set_str(ev.value, sizeof(ev.value), &ev.value_len, "ceo@corp.example", 16);
	set_str(ev.helo, sizeof(ev.helo), &ev.helo_len, "mail.evil.test", 14);
	return ev;
}

static const struct timespec example_time = { 1795361576, 123456789 }; /* 2026-11-22T15:32:56 */

/* One event as a line, through a memory stream; NULL if the write failed. */
static char *line_of(const struct sg_event *ev, const struct timespec *ts, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret = sg_eve_write(f, ev, ts);
	fclose(f);
	return buf;
}

static FILE *out;       /* every good line also goes here, for the schema */
static int lines_out;

static char *emit(const struct sg_event *ev, const char *name)
{
	int ret;
	char *s = line_of(ev, &example_time, &ret);

	CHECK_EQ_INT(ret, 0, sub(name, "written"));
	CHECK(s && strlen(s) && s[strlen(s) - 1] == '\n' && strchr(s, '\n') == s + strlen(s) - 1,
	      sub(name, "one line"));
	fputs(s, out);
	lines_out++;
	return s;
}

static bool has(const char *line, const char *part)
{
	return line && strstr(line, part);
}

static void test_example(void)
{
	struct sg_event ev = example_event();
	char *s = emit(&ev, "example");

	CHECK_EQ_STR(s, "{\"timestamp\":\"2026-11-22T15:32:56.123456+0000\",\"flow_id\":81723,"
		     "\"event_type\":\"alert\",\"src_ip\":\"198.51.100.7\",\"src_port\":40001,"
		     "\"dest_ip\":\"192.0.2.25\",\"dest_port\":25,\"proto\":\"TCP\","
		     "\"app_proto\":\"smtp\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
		     "\"signature_id\":9100001,\"rev\":1,\"signature\":\"SMTPGUARD outside source "
		     "claims an internal domain in MAIL FROM\",\"category\":\"Possible Social "
		     "Engineering Attempted\",\"severity\":1,\"metadata\":{\"reason\":"
		     "[\"spoofed_internal_domain\"],\"where\":[\"mail_from\"],\"match\":"
		     "[\"corp.example\"],\"value\":[\"ceo@corp.example\"]}},\"smtp\":{\"helo\":"
		     "\"mail.evil.test\",\"mail_from\":\"<ceo@corp.example>\"}}\n",
		     "example: the DESIGN.md line exactly");
	free(s);
}

static void test_helo_block(void)
{
	struct sg_event ev = example_event();
	char *s;

	ev.where = SG_WHERE_HELO;
	ev.action = SG_ACTION_BLOCK;
	set_str(ev.value, sizeof(ev.value), &ev.value_len, "mx.corp.example", 15);
	s = emit(&ev, "helo");
	CHECK(has(s, "\"action\":\"blocked\""), "helo: block is blocked");
	CHECK(has(s, "\"signature_id\":9100002,"), "helo: signature id");
	CHECK(has(s, "claims an internal domain in EHLO/HELO\""), "helo: signature text");
	CHECK(has(s, "\"smtp\":{\"helo\":\"mx.corp.example\"}}"), "helo: smtp.helo is the value");
	CHECK(!has(s, "mail_from\":\"<"), "helo: no mail_from");
	CHECK(has(s, "\"where\":[\"helo\"]"), "helo: where");
	free(s);
}

static void test_hostile(void)
{
	static const char wire[] = "a\"b\\c\nd\re\x01" "f\xff\x80g\x1b[2J\x7f<\0z";
	struct sg_event ev = example_event();
	char *s;

	set_str(ev.value, sizeof(ev.value), &ev.value_len, wire, sizeof(wire) - 1);
	set_str(ev.helo, sizeof(ev.helo), &ev.helo_len, "h\"\n\xfe", 4);
	s = emit(&ev, "hostile");
	CHECK(has(s, "\"value\":[\"a\\\"b\\\\c\\nd\\re\\u0001f\\u00ff\\u0080g\\u001b[2J\\u007f<"
		  "\\u0000z\"]"), "hostile: value escaped, NUL kept by length");
	CHECK(has(s, "\"mail_from\":\"<a\\\"b\\\\c\\nd\\re\\u0001f\\u00ff\\u0080g\\u001b[2J"
		  "\\u007f<\\u0000z>\""), "hostile: mail_from escaped");
	CHECK(has(s, "\"helo\":\"h\\\"\\n\\u00fe\""), "hostile: helo escaped");
	free(s);
}

/* "prefix" + n times c + "suffix" */
static const char *rep(const char *prefix, char c, int n, const char *suffix)
{
	static char buf[512];
	int len = snprintf(buf, sizeof(buf), "%s", prefix);

	memset(buf + len, c, (size_t)n);
	snprintf(buf + len + n, sizeof(buf) - (size_t)(len + n), "%s", suffix);
	return buf;
}

static void test_truncated(void)
{
	struct sg_event ev = example_event();
	char *s;

	memset(ev.value, 'x', sizeof(ev.value));
	ev.value_len = SG_TOKEN_MAX;
	ev.truncated = 1;
	memset(ev.match, 'm', sizeof(ev.match)); /* no NUL: bounded by its size */
	memset(ev.helo, 'h', sizeof(ev.helo));
	ev.helo_len = 255;                       /* beyond the array: clamped */
	s = emit(&ev, "truncated");
	CHECK(has(s, rep("\"value\":[\"", 'x', SG_TOKEN_MAX, "...\"]")),
	      "truncated: value ends in ...");
	CHECK(has(s, rep("\"mail_from\":\"<", 'x', SG_TOKEN_MAX, "...>\"")),
	      "truncated: mail_from ends in ...>");
	CHECK(has(s, rep("\"helo\":\"", 'h', SG_HELO_MAX, "\"")),
	      "truncated: helo clamped to SG_HELO_MAX");
	CHECK(has(s, rep("\"match\":[\"", 'm', SG_NAME_MAX, "\"]")),
	      "truncated: match bounded by its array");
	free(s);

	ev.truncated = 0;
	ev.value_len = 200; /* more than the array holds */
	s = line_of(&ev, &example_time, &(int){ 0 });
	CHECK(has(s, rep("\"value\":[\"", 'x', SG_TOKEN_MAX, "\"]")),
	      "truncated: value_len clamped to SG_TOKEN_MAX");
	free(s);
}

static void test_ipv6_and_places(void)
{
	struct sg_event ev = example_event();
	char *s;

	set_addr(&ev.saddr, "2001:db8::7");
	set_addr(&ev.daddr, "2001:db8:0:0:1::25");
	ev.dport = 587;
	ev.where = SG_WHERE_HEADER_FROM;
	ev.helo_len = 0;
	s = emit(&ev, "ipv6");
	CHECK(has(s, "\"src_ip\":\"2001:db8::7\",\"src_port\":40001,"), "ipv6: src_ip");
	CHECK(has(s, "\"dest_ip\":\"2001:db8::1:0:0:25\",\"dest_port\":587,"), "ipv6: dest_ip");
	CHECK(has(s, "\"signature_id\":9100003,"), "header_from: signature id");
	CHECK(has(s, "in the From: header\""), "header_from: signature text");
	CHECK(has(s, "\"email\":{\"from\":\"ceo@corp.example\"}"), "header_from: email.from");
	CHECK(!has(s, "\"smtp\":{"), "header_from: no smtp object without helo");
	free(s);

	ev = example_event();
	ev.reason = SG_REASON_BAD_REDIRECT_HOST;
	ev.where = SG_WHERE_BODY;
	strcpy(ev.match, "badcdn.test");
	set_str(ev.value, sizeof(ev.value), &ev.value_len, "redir.badcdn.test", 17);
	s = emit(&ev, "body");
	CHECK(has(s, "\"signature_id\":9100004,\"rev\":1,\"signature\":\"SMTPGUARD link to a "
		  "known-bad redirect host\",\"category\":\"Possible Social Engineering "
		  "Attempted\",\"severity\":1,"), "body: signature");
	CHECK(has(s, "\"email\":{\"url\":[\"redir.badcdn.test\"]}"), "body: email.url");
	CHECK(has(s, "\"smtp\":{\"helo\":\"mail.evil.test\"}"), "body: smtp.helo kept");
	free(s);
}

static void test_other_reasons(void)
{
	struct sg_event ev = example_event();
	char *s;

	ev.reason = SG_REASON_RATE_EXCEEDED;
	ev.where = SG_WHERE_NONE;
	ev.match[0] = '\0';
	ev.value_len = 0;
	ev.helo_len = 0;
	ev.count = 201;
	ev.limit = 200;
	ev.action = SG_ACTION_BLOCK;
	s = emit(&ev, "rate");
	CHECK(has(s, "\"signature_id\":9100005,\"rev\":1,\"signature\":\"SMTPGUARD sender over "
		  "its rate limit\",\"category\":\"Potentially Bad Traffic\",\"severity\":2,"),
	      "rate: signature");
	CHECK(has(s, "\"action\":\"blocked\""), "rate: blocked");
	CHECK(has(s, "\"metadata\":{\"reason\":[\"rate_exceeded\"],\"where\":[\"none\"],"
		  "\"value\":[\"201 messages in the last minute, limit 200/min\"]}}}"),
	      "rate: the counts in words, no empty match, no smtp");
	free(s);

	ev.reason = SG_REASON_SOURCE_QUARANTINED;
	ev.count = 3;
	ev.limit = 3600;
	s = emit(&ev, "quarantine");
	CHECK(has(s, "\"signature_id\":9100007,") && has(s, "\"action\":\"blocked\"") &&
	      has(s, "\"reason\":[\"source_quarantined\"]") &&
	      has(s, "\"value\":[\"3 blocked sessions: connections refused for 3600 s\"]"),
	      "quarantine: signature, action, reason, value");
	free(s);
	ev.count = ev.limit = 0;
	ev.action = SG_ACTION_ALERT;

	ev.reason = SG_REASON_STREAM_ANOMALY;
	ev.where = SG_WHERE_STREAM;
	s = emit(&ev, "stream");
	CHECK(has(s, "\"signature_id\":9100006,") && has(s, "\"severity\":3,") &&
	      has(s, "\"signature\":\"SMTPGUARD TCP stream anomaly\""), "stream: signature");
	free(s);

	ev.reason = 99;
	ev.where = 77;
	ev.action = 9;
	s = emit(&ev, "unknown reason");
	CHECK(has(s, "\"signature_id\":9100000,") && has(s, "\"reason\":[\"unknown\"]") &&
	      has(s, "\"where\":[\"unknown\"]") && has(s, "\"action\":\"allowed\""),
	      "unknown reason: shown, not dropped");
	free(s);
}

static void test_bad_input(void)
{
	struct sg_event ev = example_event();
	struct timespec t = example_time;
	char *s;
	int ret;
	FILE *ro;

	t.tv_nsec = 1000000000;
	s = line_of(&ev, &t, &ret);
	CHECK_EQ_INT(ret, -EINVAL, "bad time: nanoseconds out of range");
	CHECK_EQ_STR(s, "", "bad time: nothing written");
	free(s);
	t.tv_nsec = 0;
	t.tv_sec = 253402300800LL; /* year 10000 */
	free(line_of(&ev, &t, &ret));
	CHECK_EQ_INT(ret, -EINVAL, "bad time: year 10000");
	t.tv_sec = -1;
	s = line_of(&ev, &t, &ret);
	CHECK(ret == 0 && has(s, "\"timestamp\":\"1969-12-31T23:59:59.000000+0000\""),
	      "time: before 1970 still four digits");
	free(s);
	free(line_of(NULL, &example_time, &ret));
	CHECK_EQ_INT(ret, -EINVAL, "no event");
	CHECK_EQ_INT(sg_eve_write(stdout, &ev, NULL), -EINVAL, "no time");

	ro = fopen("/dev/null", "r");
	if (ro) {
		CHECK_EQ_INT(sg_eve_write(ro, &ev, &example_time), -EIO, "write error is -EIO");
		fclose(ro);
	}
}

static void test_clock(void)
{
	struct timespec mono, real, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	sg_eve_monotonic_to_wall((__u64)mono.tv_sec * 1000000000ULL + (__u64)mono.tv_nsec, &wall);
	CHECK(llabs((long long)(wall.tv_sec - real.tv_sec)) <= 1, "clock: now maps to now");
	sg_eve_monotonic_to_wall(0, &wall);
	CHECK(wall.tv_sec <= real.tv_sec - mono.tv_sec + 1 && wall.tv_sec >= real.tv_sec -
	      mono.tv_sec - 1, "clock: 0 maps to boot time");
	sg_eve_monotonic_to_wall(UINT64_MAX, &wall);
	CHECK(wall.tv_nsec >= 0 && wall.tv_nsec < 1000000000, "clock: garbage saturates");
}

/* tests/tools/eve_validate.py, wherever the tree is */
static bool find_validator(char *path, size_t n)
{
	char exe[PATH_MAX] = "", src[PATH_MAX];
	const char *env = getenv("SG_EVE_VALIDATE");
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len > 0)
		exe[len] = '\0';
	snprintf(src, sizeof(src), "%s", __FILE__);
	if (env && !access(env, R_OK))
		return snprintf(path, n, "%s", env) > 0;
	if (!access("tests/tools/eve_validate.py", R_OK))
		return snprintf(path, n, "tests/tools/eve_validate.py") > 0;
	/* built as .output/tests/unit/test_eve */
	snprintf(path, n, "%s/../../../tests/tools/eve_validate.py", dirname(exe));
	if (!access(path, R_OK))
		return true;
	snprintf(path, n, "%s/../tools/eve_validate.py", dirname(src));
	return !access(path, R_OK);
}

/* Run the validator on file; its exit status, its output in buf. */
static int run_validator(const char *script, const char *file, char *buf, size_t n)
{
	int fd[2], status = -1;
	size_t used = 0;
	ssize_t got;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		execl(PYTHON, PYTHON, script, file, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (pid > 0 && (got = read(fd[0], buf + used, n - 1 - used)) > 0)
		used += (size_t)got;
	buf[used] = '\0';
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void print_commented(const char *text)
{
	const char *p, *nl;

	for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		printf("# %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
}

static void validate(const char *file, const char *broken)
{
	char script[PATH_MAX], output[8192];
	int status;

	if (access(PYTHON, X_OK)) {
		SKIP("schema", PYTHON " not found");
		return;
	}
	if (!find_validator(script, sizeof(script))) {
		SKIP("schema", "tests/tools/eve_validate.py not found (set SG_EVE_VALIDATE)");
		return;
	}
	status = run_validator(script, file, output, sizeof(output));
	if (status == 2) {
		output[strcspn(output, "\n")] = '\0';
		SKIP("schema: every line valid", output);
		return;
	}
	if (!CHECK_EQ_INT(status, 0, "schema: every line valid against the Suricata EVE schema"))
		print_commented(output);
	/* and the validator does refuse what is not eve */
	status = run_validator(script, broken, output, sizeof(output));
	CHECK_EQ_INT(status, 1, "schema: the validator refuses a broken line");
}

int main(void)
{
	char file[] = "/tmp/sg-test-eve.XXXXXX", broken[] = "/tmp/sg-test-eve-bad.XXXXXX";
	int fd = mkstemp(file), bfd = mkstemp(broken);

	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out || bfd < 0) {
		SKIP("eve", "cannot make a temporary file");
		return check_done();
	}
	/* an unknown field, a timestamp without a fraction and a raw 0xff */
	dprintf(bfd, "{\"timestamp\":\"2026-11-22T15:32:56+0000\",\"event_type\":\"alert\","
		"\"smtp\":{\"sender\":\"\xff\"}}\n");
	close(bfd);
	test_example();
	test_helo_block();
	test_hostile();
	test_truncated();
	test_ipv6_and_places();
	test_other_reasons();
	test_bad_input();
	test_clock();
	fclose(out);
	validate(file, broken);
	unlink(file);
	unlink(broken);
	return check_done();
}
