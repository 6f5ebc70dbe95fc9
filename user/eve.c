// SPDX-License-Identifier: GPL-2.0
/* eve.c - struct sg_event -> one Suricata eve "alert" JSON line */
#define _GNU_SOURCE /* open_memstream */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "eve.h"
#include "json.h"

#define NSEC_PER_SEC 1000000000LL

/* Fixed per signature id, so text, category and severity always agree with
 * sg_signature_id(). Categories are Suricata classification.config names. */
struct signature {
	__u32 id;
	const char *text;
	const char *category;
	int severity;
};

static const struct signature signatures[] = {
	{ 9100001, "SMTPGUARD outside source claims an internal domain in MAIL FROM",
	  "Possible Social Engineering Attempted", 1 },
	{ 9100002, "SMTPGUARD outside source claims an internal domain in EHLO/HELO",
	  "Possible Social Engineering Attempted", 1 },
	{ 9100003, "SMTPGUARD outside source claims an internal domain in the From: header",
	  "Possible Social Engineering Attempted", 1 },
	{ 9100004, "SMTPGUARD link to a known-bad redirect host",
	  "Possible Social Engineering Attempted", 1 },
	{ 9100005, "SMTPGUARD sender over its rate limit", "Potentially Bad Traffic", 2 },
	/* Suricata's own stream events use protocol-command-decode */
	{ 9100006, "SMTPGUARD TCP stream anomaly", "Generic Protocol Command Decode", 3 },
	{ 9100007, "SMTPGUARD source quarantined after blocked sessions",
	  "Potentially Bad Traffic", 2 },
};

/* An event from a newer kernel object, with a reason this binary lacks. */
static const struct signature unknown_signature = {
	9100000, "SMTPGUARD unknown alert", "Misc activity", 3
};

static const struct signature *signature_of(__u8 reason, __u8 where)
{
	__u32 id = sg_signature_id(reason, where);
	size_t i;

	for (i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
		if (signatures[i].id == id)
			return &signatures[i];
	return &unknown_signature;
}

const char *sg_eve_signature(__u8 reason, __u8 where)
{
	return signature_of(reason, where)->text;
}

/* "2026-11-22T15:32:56.123456+0000"; years 0..9999 only, as the schema's \d{4} */
static int format_timestamp(const struct timespec *ts, char *buf, size_t n)
{
	time_t sec = ts->tv_sec;
	struct tm tm;

	if (ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC || !gmtime_r(&sec, &tm))
		return -EINVAL;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ts->tv_nsec / 1000));
	return 0;
}

/* What the traffic said, bounded; "..." marks a value the kernel cut. */
static size_t event_value(const struct sg_event *ev, char *buf)
{
	size_t n = ev->value_len < SG_TOKEN_MAX ? ev->value_len : SG_TOKEN_MAX;
	int w = -1;

	/* the numbers the kernel counted, said in words */
	if (ev->reason == SG_REASON_RATE_EXCEEDED)
		w = snprintf(buf, SG_TOKEN_MAX, "%u messages in the last minute, limit %u/min",
			     ev->count, ev->limit);
	else if (ev->reason == SG_REASON_SOURCE_QUARANTINED)
		w = snprintf(buf, SG_TOKEN_MAX, "%u blocked sessions: connections refused for %u s",
			     ev->count, ev->limit);
	if (w > 0)
		return (size_t)w < SG_TOKEN_MAX ? (size_t)w : SG_TOKEN_MAX - 1;

	memcpy(buf, ev->value, n);
	if (ev->truncated) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	return n;
}

static void kv_one_string_array(struct sg_json *j, const char *key, const char *s, size_t len)
{
	sg_json_key(j, key);
	sg_json_begin_array(j);
	sg_json_string_len(j, s, len);
	sg_json_end_array(j);
}

static void write_alert(struct sg_json *j, const struct sg_event *ev, const char *value,
			size_t vlen)
{
	const struct signature *sig = signature_of(ev->reason, ev->where);
	size_t mlen = strnlen(ev->match, SG_NAME_MAX);
	const char *s;

	sg_json_key(j, "alert");
	sg_json_begin_object(j);
	/* Suricata's words: a rule that only alerts "allowed" the packet */
	sg_json_kv_string(j, "action", ev->action == SG_ACTION_BLOCK ? "blocked" : "allowed");
	sg_json_kv_uint(j, "gid", 1);
	sg_json_kv_uint(j, "signature_id", sig->id);
	sg_json_kv_uint(j, "rev", 1);
	sg_json_kv_string(j, "signature", sig->text);
	sg_json_kv_string(j, "category", sig->category);
	sg_json_kv_uint(j, "severity", (__u64)sig->severity);
	sg_json_key(j, "metadata");
	sg_json_begin_object(j);
	s = sg_reason_name(ev->reason);
	kv_one_string_array(j, "reason", s, strlen(s));
	s = sg_where_name(ev->where);
	kv_one_string_array(j, "where", s, strlen(s));
	if (mlen)
		kv_one_string_array(j, "match", ev->match, mlen);
	if (vlen)
		kv_one_string_array(j, "value", value, vlen);
	sg_json_end_object(j);
	sg_json_end_object(j);
}

/* smtp.helo and smtp.mail_from, where Suricata puts them */
static void write_smtp(struct sg_json *j, const struct sg_event *ev, const char *value,
		       size_t vlen)
{
	size_t hlen = ev->helo_len < SG_HELO_MAX ? ev->helo_len : SG_HELO_MAX;
	bool helo = ev->where == SG_WHERE_HELO || hlen;
	char from[SG_TOKEN_MAX + 8];

	if (!helo && ev->where != SG_WHERE_MAIL_FROM)
		return;
	sg_json_key(j, "smtp");
	sg_json_begin_object(j);
	if (ev->where == SG_WHERE_HELO) {
		sg_json_key(j, "helo");
		sg_json_string_len(j, value, vlen);
	} else if (hlen) {
		sg_json_key(j, "helo");
		sg_json_string_len(j, ev->helo, hlen);
	}
	if (ev->where == SG_WHERE_MAIL_FROM) {
		from[0] = '<';
		memcpy(from + 1, value, vlen);
		from[vlen + 1] = '>';
		sg_json_key(j, "mail_from");
		sg_json_string_len(j, from, vlen + 2);
	}
	sg_json_end_object(j);
}

/* email.from for the From: header, email.url for a link in the body */
static void write_email(struct sg_json *j, const struct sg_event *ev, const char *value,
			size_t vlen)
{
	if (ev->where != SG_WHERE_HEADER_FROM && ev->where != SG_WHERE_BODY)
		return;
	sg_json_key(j, "email");
	sg_json_begin_object(j);
	if (ev->where == SG_WHERE_HEADER_FROM) {
		sg_json_key(j, "from");
		sg_json_string_len(j, value, vlen);
	} else {
		kv_one_string_array(j, "url", value, vlen);
	}
	sg_json_end_object(j);
}

static void write_event(struct sg_json *j, const struct sg_event *ev, const char *ts)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], value[SG_TOKEN_MAX + 4];
	size_t vlen = event_value(ev, value);

	sg_addr_format(&ev->saddr, src, sizeof(src));
	sg_addr_format(&ev->daddr, dst, sizeof(dst));
	sg_json_begin_object(j);
	sg_json_kv_string(j, "timestamp", ts);
	sg_json_kv_uint(j, "flow_id", ev->flow_id);
	sg_json_kv_string(j, "event_type", "alert");
	sg_json_kv_string(j, "src_ip", src);
	sg_json_kv_uint(j, "src_port", ev->sport);
	sg_json_kv_string(j, "dest_ip", dst);
	sg_json_kv_uint(j, "dest_port", ev->dport);
	sg_json_kv_string(j, "proto", "TCP");
	sg_json_kv_string(j, "app_proto", "smtp");
	write_alert(j, ev, value, vlen);
	write_smtp(j, ev, value, vlen);
	write_email(j, ev, value, vlen);
	sg_json_end_object(j);
}

int sg_eve_write(FILE *f, const struct sg_event *ev, const struct timespec *wall)
{
	char ts[96], *line = NULL;
	struct sg_json j;
	size_t len = 0;
	FILE *mem;
	int ret;

	if (!f || !ev || !wall || format_timestamp(wall, ts, sizeof(ts)))
		return -EINVAL;
	mem = open_memstream(&line, &len);
	if (!mem)
		return -ENOMEM;
	sg_json_init(&j, mem);
	write_event(&j, ev, ts);
	fputc('\n', mem);
	ret = sg_json_error(&j);
	if (fclose(mem) && !ret)
		ret = -ENOMEM;
	if (!ret && fwrite(line, 1, len, f) != len)
		ret = -EIO;
	free(line);
	return ret;
}

static __s64 timespec_ns(const struct timespec *t)
{
	return (__s64)t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

void sg_eve_monotonic_to_wall(__u64 mono_ns, struct timespec *wall)
{
	struct timespec rt, mt;
	__s64 off, ns;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	off = timespec_ns(&rt) - timespec_ns(&mt);
	/* a garbage timestamp saturates rather than wraps */
	if (mono_ns > INT64_MAX || __builtin_add_overflow((__s64)mono_ns, off, &ns))
		ns = INT64_MAX;
	if (ns < 0)
		ns = 0;
	wall->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	wall->tv_nsec = (long)(ns % NSEC_PER_SEC);
}
