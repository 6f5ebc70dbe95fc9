/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - a tiny selftests-style harness. Every check prints one line,
 * "PASS: test_x: name" or "FAIL: test_x: name: expected X got Y (line N)",
 * which tests/run.sh counts; each macro returns whether it held, so a test can
 * stop early: if (!CHECK_EQ_INT(ret, 0, "load")) goto out;
 */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed, check_skipped;

/* "tests/unit/test_config.c" -> "test_config" */
static inline const char *check_prefix(const char *file)
{
	static char buf[64];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strcspn(base, ".");

	snprintf(buf, sizeof(buf), "%.*s", (int)n, base);
	return buf;
}

/* A value in a FAIL line: bytes a terminal would act on are shown as \xNN. */
static inline void check_show(const char *s)
{
	if (!s) {
		fputs("(null)", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static inline bool check_pass(const char *file, const char *name)
{
	printf("PASS: %s: %s\n", check_prefix(file), name);
	check_passed++;
	return true;
}

static inline void check_fail_start(const char *file, const char *name)
{
	printf("FAIL: %s: %s: expected ", check_prefix(file), name);
	check_failed++;
}

static inline bool check_bool(bool ok, const char *file, int line, const char *name,
			      const char *expr)
{
	if (ok)
		return check_pass(file, name);
	check_fail_start(file, name);
	printf("%s got false (line %d)\n", expr, line);
	return false;
}

static inline bool check_int(long long got, long long want, const char *file, int line,
			     const char *name)
{
	if (got == want)
		return check_pass(file, name);
	check_fail_start(file, name);
	printf("%lld got %lld (line %d)\n", want, got, line);
	return false;
}

static inline bool check_str(const char *got, const char *want, const char *file, int line,
			     const char *name)
{
	if (got && want && !strcmp(got, want))
		return check_pass(file, name);
	check_fail_start(file, name);
	check_show(want);
	fputs(" got ", stdout);
	check_show(got);
	printf(" (line %d)\n", line);
	return false;
}

static inline void check_skip(const char *file, const char *name, const char *reason)
{
	printf("SKIP: %s: %s: %s\n", check_prefix(file), name, reason);
	check_skipped++;
}

#define CHECK(cond, name) check_bool(!!(cond), __FILE__, __LINE__, name, #cond)
#define CHECK_EQ_INT(got, want, name) \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__, name)
#define CHECK_EQ_STR(got, want, name) check_str(got, want, __FILE__, __LINE__, name)
#define SKIP(name, reason) check_skip(__FILE__, name, reason)

/* The exit status: non-zero if anything failed. */
static inline int check_done(void)
{
	printf("# %d passed, %d failed, %d skipped\n", check_passed, check_failed,
	       check_skipped);
	fflush(stdout);
	return check_failed ? 1 : 0;
}

#endif /* SG_CHECK_H */
