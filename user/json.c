// SPDX-License-Identifier: GPL-2.0
/* json.c - streaming JSON writer and the project's only string escaper */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

/* Escape one byte into buf (at least 7 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	char named = 0;

	switch (c) {
	case '"':  named = '"'; break;
	case '\\': named = '\\'; break;
	case '\n': named = 'n'; break;
	case '\r': named = 'r'; break;
	case '\t': named = 't'; break;
	case '\b': named = 'b'; break;
	case '\f': named = 'f'; break;
	}
	if (named) {
		buf[0] = '\\';
		buf[1] = named;
		return 2;
	}
	/* bytes >= 0x80 too: a wire byte is not necessarily UTF-8, and a line
	 * of pure ASCII is valid JSON and valid UTF-8 whatever the wire carried */
	if (c < 0x20 || c >= 0x7f) {
		memcpy(buf, "\\u00", 4);
		buf[4] = hex[c >> 4];
		buf[5] = hex[c & 0xf];
		return 6;
	}
	buf[0] = (char)c;
	return 1;
}

size_t sg_json_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, k, need = 0, used = 0;
	char buf[8];

	for (i = 0; in && i < inlen; i++) {
		k = escape_byte((unsigned char)in[i], buf);
		/* need == used: nothing dropped yet, so the output stays a prefix */
		if (need == used && used + k < outlen) {
			memcpy(out + used, buf, k);
			used += k;
		}
		need += k;
	}
	if (outlen)
		out[used] = '\0';
	return need;
}

void sg_json_init(struct sg_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void fail(struct sg_json *j, int err)
{
	if (!j->err)
		j->err = err;
}

/* Before a key or a value: the comma that separates it from the previous one. */
static void sep(struct sg_json *j)
{
	if (j->need_comma)
		fputc(',', j->f);
}

static void begin(struct sg_json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth >= SG_JSON_MAX_DEPTH)
		fail(j, -EINVAL);
	else
		j->open[j->depth] = c;
	j->depth++;
	j->need_comma = false;
}

static void end(struct sg_json *j, char open, char close)
{
	if (j->depth <= 0) {
		fail(j, -EINVAL);
		return;
	}
	j->depth--;
	if (j->depth < SG_JSON_MAX_DEPTH && j->open[j->depth] != open)
		fail(j, -EINVAL);
	fputc(close, j->f);
	j->need_comma = true;
}

void sg_json_begin_object(struct sg_json *j)
{
	begin(j, '{');
}

void sg_json_end_object(struct sg_json *j)
{
	end(j, '{', '}');
}

void sg_json_begin_array(struct sg_json *j)
{
	begin(j, '[');
}

void sg_json_end_array(struct sg_json *j)
{
	end(j, '[', ']');
}

/* Escape in slices: 32 input bytes are at most 192 escaped ones. */
static void put_string(struct sg_json *j, const char *s, size_t len)
{
	char buf[256];
	size_t n;

	fputc('"', j->f);
	while (s && len) {
		n = len < 32 ? len : 32;
		sg_json_escape(s, n, buf, sizeof(buf));
		fputs(buf, j->f);
		s += n;
		len -= n;
	}
	fputc('"', j->f);
}

void sg_json_key(struct sg_json *j, const char *key)
{
	sep(j);
	put_string(j, key, key ? strlen(key) : 0);
	fputc(':', j->f);
	j->need_comma = false;
}

void sg_json_string_len(struct sg_json *j, const char *s, size_t len)
{
	sep(j);
	put_string(j, s, len);
	j->need_comma = true;
}

void sg_json_string(struct sg_json *j, const char *s)
{
	sg_json_string_len(j, s, s ? strlen(s) : 0);
}

void sg_json_uint(struct sg_json *j, __u64 v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, (uint64_t)v);
	j->need_comma = true;
}

void sg_json_int(struct sg_json *j, __s64 v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, (int64_t)v);
	j->need_comma = true;
}

void sg_json_bool(struct sg_json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
	j->need_comma = true;
}

void sg_json_null(struct sg_json *j)
{
	sep(j);
	fputs("null", j->f);
	j->need_comma = true;
}

void sg_json_kv_string(struct sg_json *j, const char *key, const char *s)
{
	sg_json_key(j, key);
	sg_json_string(j, s);
}

void sg_json_kv_uint(struct sg_json *j, const char *key, __u64 v)
{
	sg_json_key(j, key);
	sg_json_uint(j, v);
}

void sg_json_kv_int(struct sg_json *j, const char *key, __s64 v)
{
	sg_json_key(j, key);
	sg_json_int(j, v);
}

void sg_json_kv_bool(struct sg_json *j, const char *key, bool v)
{
	sg_json_key(j, key);
	sg_json_bool(j, v);
}

int sg_json_error(const struct sg_json *j)
{
	if (j->err)
		return j->err;
	if (j->depth)
		return -EINVAL;
	return ferror(j->f) ? -EIO : 0;
}
