// SPDX-License-Identifier: GPL-2.0
/* test_json.c - the escaper (every byte, NUL, truncation) and the writer (nesting, commas) */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static const char *esc(const char *in, size_t len)
{
	static char out[8192];

	sg_json_escape(in, len, out, sizeof(out));
	return out;
}

static void test_escape_named(void)
{
	CHECK_EQ_STR(esc("\"", 1), "\\\"", "escape: quote");
	CHECK_EQ_STR(esc("\\", 1), "\\\\", "escape: backslash");
	CHECK_EQ_STR(esc("\n", 1), "\\n", "escape: newline");
	CHECK_EQ_STR(esc("\r", 1), "\\r", "escape: carriage return");
	CHECK_EQ_STR(esc("\t", 1), "\\t", "escape: tab");
	CHECK_EQ_STR(esc("\b", 1), "\\b", "escape: backspace");
	CHECK_EQ_STR(esc("\f", 1), "\\f", "escape: form feed");
	CHECK_EQ_STR(esc("a/b ~", 5), "a/b ~", "escape: printable ASCII unchanged");
	CHECK_EQ_STR(esc("\x01", 1), "\\u0001", "escape: 0x01");
	CHECK_EQ_STR(esc("\x1b[31m", 5), "\\u001b[31m", "escape: terminal escape");
	CHECK_EQ_STR(esc("\x1f", 1), "\\u001f", "escape: 0x1f");
	CHECK_EQ_STR(esc("\x7f", 1), "\\u007f", "escape: DEL");
	CHECK_EQ_STR(esc("\x80", 1), "\\u0080", "escape: 0x80");
	CHECK_EQ_STR(esc("\xff", 1), "\\u00ff", "escape: 0xff");
	CHECK_EQ_STR(esc("caf\xc3\xa9", 5), "caf\xc3\xa9", "escape: valid UTF-8 as it is");
	CHECK_EQ_STR(esc("\xf0\x9f\x93\xa7!", 5), "\xf0\x9f\x93\xa7!", "escape: a 4-byte UTF-8 character");
	CHECK_EQ_STR(esc("caf\xc3", 4), "caf\\u00c3", "escape: a cut UTF-8 sequence byte by byte");
	CHECK_EQ_STR(esc("\xc0\xaf", 2), "\\u00c0\\u00af", "escape: an overlong form byte by byte");
	CHECK_EQ_STR(esc("\xed\xa0\x80", 3), "\\u00ed\\u00a0\\u0080",
		     "escape: a UTF-16 surrogate byte by byte");
	CHECK_EQ_STR(esc("\xf4\x90\x80\x80", 4), "\\u00f4\\u0090\\u0080\\u0080",
		     "escape: above U+10FFFF byte by byte");
	CHECK_EQ_STR(esc("a\0b", 3), "a\\u0000b", "escape: embedded NUL with explicit length");
	CHECK_EQ_INT(sg_json_escape("a\0b", 3, NULL, 0), 8, "escape: length of embedded NUL");
	CHECK_EQ_STR(esc("", 0), "", "escape: empty");
	CHECK_EQ_STR(esc(NULL, 5), "", "escape: NULL input");
}

/* Every control byte: by name where JSON has one, else \u00XX. */
static void test_escape_controls(void)
{
	static const char *const named[0x20] = {
		[8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r",
	};
	char in, want[8], name[64];
	int c, bad = 0;

	for (c = 0; c < 0x20; c++) {
		in = (char)c;
		if (named[c])
			snprintf(want, sizeof(want), "%s", named[c]);
		else
			snprintf(want, sizeof(want), "\\u%04x", c);
		if (strcmp(esc(&in, 1), want)) {
			snprintf(name, sizeof(name), "escape: control byte 0x%02x", c);
			CHECK_EQ_STR(esc(&in, 1), want, name);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0, "escape: all 32 control bytes");
}

/* All 256 bytes at once: pure printable ASCII out, and the exact length. */
static void test_escape_all_bytes(void)
{
	char in[256];
	const char *out;
	size_t i, want = 0;
	int odd = 0;

	for (i = 0; i < 256; i++) {
		in[i] = (char)i;
		want += i == '"' || i == '\\' || i == 8 || i == 9 || i == 10 || i == 12 ||
			i == 13 ? 2 : (i < 0x20 || i >= 0x7f) ? 6 : 1;
	}
	out = esc(in, sizeof(in));
	for (i = 0; out[i]; i++)
		odd += out[i] < 0x20 || out[i] > 0x7e;
	CHECK_EQ_INT(odd, 0, "escape: all bytes give printable ASCII");
	CHECK_EQ_INT(strlen(out), want, "escape: all bytes, length");
	CHECK_EQ_INT(sg_json_escape(in, sizeof(in), NULL, 0), want,
		     "escape: length without output");
}

static void test_escape_truncation(void)
{
	char out[16];

	memset(out, 0x55, sizeof(out));
	CHECK_EQ_INT(sg_json_escape("\"\"\"", 3, out, 5), 6, "truncate: needed length returned");
	CHECK_EQ_STR(out, "\\\"\\\"", "truncate: whole escapes only");
	CHECK(out[5] == 0x55 && out[15] == 0x55, "truncate: nothing past outlen");

	CHECK_EQ_INT(sg_json_escape("\x01", 1, out, 6), 6, "truncate: 6-byte escape in 6 bytes");
	CHECK_EQ_STR(out, "", "truncate: no half \\u escape");
	sg_json_escape("\x01", 1, out, 7);
	CHECK_EQ_STR(out, "\\u0001", "truncate: 6-byte escape in 7 bytes");

	sg_json_escape("\x01" "a", 2, out, 3);
	CHECK_EQ_STR(out, "", "truncate: output stays a prefix");
	sg_json_escape("abcdef", 6, out, 4);
	CHECK_EQ_STR(out, "abc", "truncate: plain text");
	out[0] = 'x';
	sg_json_escape("abc", 3, out, 1);
	CHECK_EQ_STR(out, "", "truncate: room for the NUL only");
}

/* Run fn against a writer on a memory stream; returns the text (free it). */
static char *render(void (*fn)(struct sg_json *j), int *err)
{
	struct sg_json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sg_json_init(&j, f);
	fn(&j);
	*err = sg_json_error(&j);
	fclose(f);
	return buf;
}

static void nested(struct sg_json *j)
{
	sg_json_begin_object(j);
	sg_json_kv_uint(j, "a", 1);
	sg_json_key(j, "b");
	sg_json_begin_array(j);
	sg_json_uint(j, 1);
	sg_json_int(j, -2);
	sg_json_begin_object(j);
	sg_json_kv_string(j, "c", "d");
	sg_json_end_object(j);
	sg_json_begin_array(j);
	sg_json_end_array(j);
	sg_json_end_array(j);
	sg_json_key(j, "e");
	sg_json_begin_object(j);
	sg_json_end_object(j);
	sg_json_kv_bool(j, "t", true);
	sg_json_kv_bool(j, "f", false);
	sg_json_key(j, "n");
	sg_json_null(j);
	sg_json_kv_uint(j, "max", UINT64_MAX);
	sg_json_kv_int(j, "min", INT64_MIN);
	sg_json_kv_string(j, "k\"ey\n", "v\\al\x01");
	sg_json_key(j, "nul");
	sg_json_string_len(j, "a\0b", 3);
	sg_json_end_object(j);
}

static void long_string(struct sg_json *j)
{
	char in[1000];

	memset(in, 0xff, sizeof(in));
	in[500] = 'x';
	sg_json_string_len(j, in, sizeof(in));
}

static void close_too_many(struct sg_json *j)
{
	sg_json_begin_array(j);
	sg_json_end_array(j);
	sg_json_end_array(j);
}

static void left_open(struct sg_json *j)
{
	sg_json_begin_object(j);
	sg_json_kv_uint(j, "a", 1);
}

static void mismatched(struct sg_json *j)
{
	sg_json_begin_array(j);
	sg_json_end_object(j);
}

static void too_deep(struct sg_json *j)
{
	int i;

	for (i = 0; i < SG_JSON_MAX_DEPTH + 1; i++)
		sg_json_begin_array(j);
	for (i = 0; i < SG_JSON_MAX_DEPTH + 1; i++)
		sg_json_end_array(j);
}

static void deep_enough(struct sg_json *j)
{
	int i;

	for (i = 0; i < SG_JSON_MAX_DEPTH; i++)
		sg_json_begin_array(j);
	for (i = 0; i < SG_JSON_MAX_DEPTH; i++)
		sg_json_end_array(j);
}

static void test_writer(void)
{
	char want[7000], *s;
	int err, i;

	s = render(nested, &err);
	CHECK_EQ_STR(s, "{\"a\":1,\"b\":[1,-2,{\"c\":\"d\"},[]],\"e\":{},\"t\":true,\"f\":false,"
		     "\"n\":null,\"max\":18446744073709551615,\"min\":-9223372036854775808,"
		     "\"k\\\"ey\\n\":\"v\\\\al\\u0001\",\"nul\":\"a\\u0000b\"}",
		     "writer: nesting, commas, escaping");
	CHECK_EQ_INT(err, 0, "writer: balanced is no error");
	free(s);

	s = render(long_string, &err);
	strcpy(want, "\"");
	for (i = 0; i < 1000; i++)
		strcat(want, i == 500 ? "x" : "\\u00ff");
	strcat(want, "\"");
	CHECK_EQ_STR(s, want, "writer: long string escaped across slices");
	free(s);

	free(render(close_too_many, &err));
	CHECK_EQ_INT(err, -EINVAL, "writer: closing more than opened");
	free(render(left_open, &err));
	CHECK_EQ_INT(err, -EINVAL, "writer: left open");
	free(render(mismatched, &err));
	CHECK_EQ_INT(err, -EINVAL, "writer: array closed as object");
	free(render(too_deep, &err));
	CHECK_EQ_INT(err, -EINVAL, "writer: deeper than SG_JSON_MAX_DEPTH");
	free(render(deep_enough, &err));
	CHECK_EQ_INT(err, 0, "writer: SG_JSON_MAX_DEPTH levels");
}

static void test_write_error(void)
{
	FILE *f = fopen("/dev/null", "r");
	struct sg_json j;

	if (!f) {
		SKIP("writer: write error", "cannot open /dev/null");
		return;
	}
	sg_json_init(&j, f);
	sg_json_begin_object(&j);
	sg_json_end_object(&j);
	fflush(f);
	CHECK_EQ_INT(sg_json_error(&j), -EIO, "writer: write error reported");
	fclose(f);
}

int main(void)
{
	test_escape_named();
	test_escape_controls();
	test_escape_all_bytes();
	test_escape_truncation();
	test_writer();
	test_write_error();
	return check_done();
}
