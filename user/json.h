/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small streaming JSON writer (after bpftool's json_writer), compact
 * output, and the one JSON string escaper of the project.
 *
 * Misuse (closing more than was opened, nesting deeper than SG_JSON_MAX_DEPTH)
 * is recorded, not fatal: sg_json_error() reports it once the value is done.
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define SG_JSON_MAX_DEPTH 16

struct sg_json {
	FILE *f;
	int depth;
	int err;          /* first misuse, as a negative errno */
	bool need_comma;  /* a value was written at this level */
	char open[SG_JSON_MAX_DEPTH]; /* '{' or '[' per level */
};

/*
 * Escape inlen bytes of in (NUL bytes included) as the inside of a JSON string:
 * '"' '\\' and \n \r \t \b \f by name, every other byte below 0x20, 0x7f and
 * every byte >= 0x80 as \u00XX, so the result is pure printable ASCII whatever
 * the input. Writes at most outlen - 1 bytes and a NUL, never half an escape.
 * Returns the length the whole escaped text needs (excluding the NUL), so
 * a result >= outlen means it was truncated.
 */
size_t sg_json_escape(const char *in, size_t inlen, char *out, size_t outlen);

void sg_json_init(struct sg_json *j, FILE *f);
void sg_json_begin_object(struct sg_json *j);
void sg_json_end_object(struct sg_json *j);
void sg_json_begin_array(struct sg_json *j);
void sg_json_end_array(struct sg_json *j);
void sg_json_key(struct sg_json *j, const char *key);
void sg_json_string(struct sg_json *j, const char *s);
void sg_json_string_len(struct sg_json *j, const char *s, size_t len);
void sg_json_uint(struct sg_json *j, __u64 v);
void sg_json_int(struct sg_json *j, __s64 v);
void sg_json_bool(struct sg_json *j, bool v);
void sg_json_null(struct sg_json *j);

/* key and value in one call, for the common case */
void sg_json_kv_string(struct sg_json *j, const char *key, const char *s);
void sg_json_kv_uint(struct sg_json *j, const char *key, __u64 v);
void sg_json_kv_int(struct sg_json *j, const char *key, __s64 v);
void sg_json_kv_bool(struct sg_json *j, const char *key, bool v);

/* 0 when everything opened was closed and the stream took every byte;
 * -EINVAL on misuse, -EIO on a write error */
int sg_json_error(const struct sg_json *j);

#endif /* SG_JSON_H */
