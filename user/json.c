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

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0. Valid text is written as it is,
 * so "Geschäftsführer" reads as such in every eve consumer. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned int cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

size_t sg_json_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, k, need = 0, used = 0;
	char buf[8];

	for (i = 0; in && i < inlen; i++) {
		size_t u = (unsigned char)in[i] >= 0x80 ?
				   utf8_len((const unsigned char *)in + i, inlen - i) : 0;

		if (u) {
			if (need == used && used + u < outlen) {
				memcpy(out + used, in + i, u);
				used += u;
			}
			need += u;
			i += u - 1;
			continue;
		}
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
