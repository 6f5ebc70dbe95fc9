// SPDX-License-Identifier: GPL-2.0
/* test_config.c - smtpguard.conf: every directive, every kind of bad line, bad-hosts files */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "config.h"
#include "domain.h"

#define CONF "smtpguard.conf"

static char tmpdir[64];

static const char *sub(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", name, what);
	return buf;
}

static const char *in_tmp(const char *file)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, file);
	return buf[k];
}

/* Write a fixture, gzip-compressed when gz; len -1 means strlen. */
static void write_file(const char *file, const char *text, long len, bool gz)
{
	size_t n = len < 0 ? strlen(text) : (size_t)len;
	gzFile g;
	FILE *f;

	if (gz) {
		g = gzopen(in_tmp(file), "wb");
		gzwrite(g, text, (unsigned int)n);
		gzclose(g);
	} else {
		f = fopen(in_tmp(file), "w");
		fwrite(text, 1, n, f);
		fclose(f);
	}
}

/* A policy with marks that no parse would set, to see that a failed parse
 * leaves the caller's policy alone. */
static void marked(struct sg_policy *p)
{
	sg_policy_init(p);
	p->rate_limit_per_min = 4242;
	p->nports = 3;
	p->duplicates = 77;
}

static bool untouched(const struct sg_policy *p)
{
	return p->rate_limit_per_min == 4242 && p->nports == 3 && p->duplicates == 77 &&
	       !p->own_domains && !p->bad_hosts && !p->trusted_nets && !p->blocked_sources;
}

static void check_bad(const char *text, const char *want, const char *name)
{
	struct sg_policy p;
	char err[512] = "";

	marked(&p);
	CHECK(sg_config_parse_string(text, CONF, &p, err, sizeof(err)) < 0, sub(name, "refused"));
	CHECK_EQ_STR(err, want, sub(name, "message"));
	CHECK(untouched(&p), sub(name, "nothing returned"));
}

static void test_defaults(void)
{
	struct sg_policy p;
	char err[256];

	marked(&p);
	CHECK_EQ_INT(sg_config_parse_string("# nothing\n\n   \n", CONF, &p, err, sizeof(err)), 0,
		     "defaults: comments and blank lines parse");
	CHECK_EQ_INT(p.nports, 1, "defaults: one port");
	CHECK_EQ_INT(p.ports[0], 25, "defaults: port 25");
	CHECK_EQ_INT(p.actions[SG_REASON_SPOOFED_INTERNAL_DOMAIN], SG_ACTION_ALERT,
		     "defaults: spoofing alerts");
	CHECK_EQ_INT(p.actions[SG_REASON_BAD_REDIRECT_HOST], SG_ACTION_ALERT,
		     "defaults: bad host alerts");
	CHECK_EQ_INT(p.actions[SG_REASON_RATE_EXCEEDED], SG_ACTION_ALERT,
		     "defaults: rate alerts");
	CHECK_EQ_INT(p.actions[SG_REASON_STREAM_ANOMALY], SG_ACTION_ALERT,
		     "defaults: stream anomaly alerts");
	CHECK_EQ_INT(p.rate_limit_per_min, 0, "defaults: no rate limit");
	CHECK_EQ_INT(p.duplicates, 0, "defaults: no duplicates");
	CHECK(!p.n_own_domains && !p.n_bad_hosts && !p.n_trusted_nets && !p.n_blocked_sources,
	      "defaults: empty lists");
	sg_policy_free(&p);

	CHECK_EQ_INT(sg_config_parse_string("", CONF, &p, err, sizeof(err)), 0,
		     "defaults: empty text parses");
	sg_policy_free(&p);
}

static const char full_conf[] =
	"# smtpguard.conf\n"
	"\n"
	"port 25\n"
	"\tport   587   # submission\r\n"
	"internal-domain Corp.Example.\n"
	"internal-domain corp.example\n"
	"internal-domain hr.corp.example   \n"
	"trusted-net 203.0.113.0/24\n"
	"trusted-net 2001:DB8::/32\n"
	"trusted-net 203.0.113.0/24\n"
	"bad-host redir.badcdn.test#no space before the comment\n"
	"blocked-source 192.0.2.66\n"
	"blocked-source 198.51.100.0/24 for 10m\n"
	"blocked-source 2001:db8:bad::/48 for 7d\n"
	"blocked-source 192.0.2.67 for 30s\n"
	"blocked-source 192.0.2.68 for 2h\n"
	"action spoofed_internal_domain block\n"
	"action bad_redirect_host off\n"
	"action stream_anomaly alert\n"
	"rate-limit 200/min"; /* no newline at the end */

static void test_full(void)
{
	struct sg_policy p;
	char err[256] = "";

	sg_policy_init(&p);
	if (!CHECK_EQ_INT(sg_config_parse_string(full_conf, CONF, &p, err, sizeof(err)), 0,
			  "full: every directive parses")) {
		printf("# %s\n", err);
		return;
	}
	CHECK_EQ_INT(p.nports, 2, "port: two ports");
	CHECK(p.ports[0] == 25 && p.ports[1] == 587, "port: 25 and 587 in order");

	CHECK_EQ_INT(p.n_own_domains, 2, "internal-domain: duplicate kept once");
	CHECK_EQ_STR(p.own_domains[0].name, "corp.example", "internal-domain: normalised");
	CHECK_EQ_INT(p.own_domains[0].id, 1, "internal-domain: first id");
	CHECK_EQ_INT(p.own_domains[0].labels, 2, "internal-domain: labels");
	CHECK(p.own_domains[0].hash == sg_domain_hash("corp.example"),
	      "internal-domain: kernel hash");
	CHECK_EQ_STR(p.own_domains[1].name, "hr.corp.example", "internal-domain: second name");
	CHECK_EQ_INT(p.own_domains[1].id, 2, "internal-domain: ids are positions");
	CHECK_EQ_INT(p.own_domains[1].labels, 3, "internal-domain: second labels");

	CHECK_EQ_INT(p.n_trusted_nets, 2, "trusted-net: duplicate kept once");
	CHECK_EQ_STR(p.trusted_nets[0].text, "203.0.113.0/24", "trusted-net: IPv4 text");
	CHECK_EQ_INT(p.trusted_nets[0].mapped_prefix, 120, "trusted-net: IPv4 mapped prefix");
	CHECK_EQ_INT(p.trusted_nets[0].config_prefix, 24, "trusted-net: IPv4 config prefix");
	CHECK(p.trusted_nets[0].addr.a[10] == 0xff && p.trusted_nets[0].addr.a[12] == 203,
	      "trusted-net: IPv4 stored mapped");
	CHECK_EQ_STR(p.trusted_nets[1].text, "2001:db8::/32", "trusted-net: IPv6 text");
	CHECK_EQ_INT(p.trusted_nets[1].mapped_prefix, 32, "trusted-net: IPv6 prefix");
	CHECK_EQ_INT(p.trusted_nets[1].id, 2, "trusted-net: ids");

	CHECK_EQ_INT(p.n_bad_hosts, 1, "bad-host: one");
	CHECK_EQ_STR(p.bad_hosts[0].name, "redir.badcdn.test", "bad-host: comment stripped");
	CHECK(p.bad_hosts[0].hash == sg_domain_hash("redir.badcdn.test"), "bad-host: hash");

	CHECK_EQ_INT(p.n_blocked_sources, 5, "blocked-source: five");
	CHECK_EQ_STR(p.blocked_sources[0].text, "192.0.2.66/32", "blocked-source: host is /32");
	CHECK_EQ_INT(p.blocked_sources[0].duration_s, 0, "blocked-source: forever");
	CHECK_EQ_INT(p.blocked_sources[1].duration_s, 600, "blocked-source: 10m");
	CHECK_EQ_STR(p.blocked_sources[2].text, "2001:db8:bad::/48", "blocked-source: IPv6");
	CHECK_EQ_INT(p.blocked_sources[2].duration_s, 7 * 86400, "blocked-source: 7d");
	CHECK_EQ_INT(p.blocked_sources[3].duration_s, 30, "blocked-source: 30s");
	CHECK_EQ_INT(p.blocked_sources[4].duration_s, 7200, "blocked-source: 2h");
	CHECK_EQ_INT(p.blocked_sources[4].id, 5, "blocked-source: ids");

	CHECK_EQ_INT(p.actions[SG_REASON_SPOOFED_INTERNAL_DOMAIN], SG_ACTION_BLOCK,
		     "action: block");
	CHECK_EQ_INT(p.actions[SG_REASON_BAD_REDIRECT_HOST], SG_ACTION_OFF, "action: off");
	CHECK_EQ_INT(p.actions[SG_REASON_STREAM_ANOMALY], SG_ACTION_ALERT, "action: alert");
	CHECK_EQ_INT(p.actions[SG_REASON_RATE_EXCEEDED], SG_ACTION_ALERT,
		     "action: unset stays alert");
	CHECK_EQ_INT(p.rate_limit_per_min, 200, "rate-limit: 200/min");
	CHECK_EQ_INT(p.duplicates, 2, "duplicates counted");
	sg_policy_free(&p);
	CHECK(!p.own_domains && p.nports == 1 && !p.n_trusted_nets, "free: back to defaults");
}

static void test_small_forms(void)
{
	struct sg_policy p;
	char err[256];

	/* a failed parse leaves p alone: start each from the defaults */
	sg_policy_init(&p);

	CHECK_EQ_INT(sg_config_parse_string("port 587\n", CONF, &p, err, sizeof(err)), 0,
		     "port: one port parses");
	CHECK(p.nports == 1 && p.ports[0] == 587, "port: replaces the default 25");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("port 65535\nport 1\n", CONF, &p, err, sizeof(err)),
		     0, "port: 1 and 65535 parse");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("rate-limit 5/minute\n", CONF, &p, err, sizeof(err)),
		     0, "rate-limit: N/minute parses");
	CHECK_EQ_INT(p.rate_limit_per_min, 5, "rate-limit: N/minute");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("rate-limit 10000000/min", CONF, &p, err,
					    sizeof(err)), 0, "rate-limit: the maximum parses");
	CHECK_EQ_INT(p.rate_limit_per_min, 10000000, "rate-limit: the maximum");
	sg_policy_free(&p);
	CHECK(!p.fail_closed && !p.quarantine_blocks, "fail open, no quarantine by default");
	CHECK_EQ_INT(sg_config_parse_string("fail-closed yes\nquarantine 3/10m for 2h\n", CONF, &p,
					    err, sizeof(err)), 0, "fail-closed, quarantine parse");
	CHECK(p.fail_closed && p.actions[SG_REASON_STREAM_ANOMALY] == SG_ACTION_BLOCK,
	      "fail-closed: stream anomalies block");
	CHECK(p.quarantine_blocks == 3 && p.quarantine_within_s == 600 &&
	      p.quarantine_for_s == 7200, "quarantine: 3 within 600 s for 7200 s");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("action stream_anomaly block\nfail-closed yes\n",
					    CONF, &p, err, sizeof(err)), 0,
		     "fail-closed with action stream_anomaly block parses");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("fail-closed no\naction stream_anomaly off\n", CONF,
					    &p, err, sizeof(err)), 0, "fail-closed no: any action");
	CHECK(!p.fail_closed && p.actions[SG_REASON_STREAM_ANOMALY] == SG_ACTION_OFF,
	      "fail-closed no: the action stays off");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("action bad_redirect_host block\n", CONF, &p, err,
					    sizeof(err)), 0, "a block rule parses");
	CHECK_EQ_INT(p.actions[SG_REASON_STREAM_ANOMALY], SG_ACTION_BLOCK,
		     "a block rule makes stream_anomaly block unless it has its own line");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("action rate_exceeded block\n"
					    "action stream_anomaly alert\n", CONF, &p, err,
					    sizeof(err)), 0, "a block rule, stream_anomaly alert");
	CHECK_EQ_INT(p.actions[SG_REASON_STREAM_ANOMALY], SG_ACTION_ALERT,
		     "an explicit stream_anomaly line is kept");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("action bad_redirect_host alert\n", CONF, &p, err,
					    sizeof(err)), 0, "no block rule");
	CHECK_EQ_INT(p.actions[SG_REASON_STREAM_ANOMALY], SG_ACTION_ALERT,
		     "no block rule: stream_anomaly alerts by default");
	sg_policy_free(&p);
	CHECK_EQ_INT(p.csum_mode, SG_CSUM_AUTO, "checksum-validation: auto by default");
	for (int m = SG_CSUM_AUTO; m <= SG_CSUM_OFF; m++) {
		char line[64];

		snprintf(line, sizeof(line), "checksum-validation %s\n", sg_csum_mode_name(m));
		sg_policy_free(&p);
		CHECK(sg_config_parse_string(line, CONF, &p, err, sizeof(err)) == 0 &&
		      p.csum_mode == (__u32)m, "checksum-validation: each value parses");
	}
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("port 1\nport 2\nport 3\nport 4\nport 5\nport 6\n"
					    "port 7\nport 8\n", CONF, &p, err, sizeof(err)), 0,
		     "port: 8 ports parse");
	CHECK_EQ_INT(p.nports, 8, "port: 8 ports");
	sg_policy_free(&p);
}

static void test_bad_lines(void)
{
	check_bad("port 25\n# fine\nbad-hosst x\n", CONF ":3: unknown directive \"bad-hosst\"",
		  "unknown directive");
	check_bad("\x1b[2J 1\n", CONF ":1: unknown directive \"\\u001b[2J\"",
		  "unknown directive escaped");
	check_bad("Port 25\n", CONF ":1: unknown directive \"Port\"", "directives are lower case");
	check_bad("port\n", CONF ":1: port: missing argument (usage: port NUMBER)",
		  "missing argument");
	check_bad("action block\n", CONF ":1: action: missing argument (usage: action REASON "
		  "off|alert|block)", "action: missing argument");
	check_bad("port 25 26\n", CONF ":1: port: unexpected argument \"26\" (usage: port "
		  "NUMBER)", "extra argument");
	check_bad("internal-domain a.test b.test\n", CONF ":1: internal-domain: unexpected "
		  "argument \"b.test\" (usage: internal-domain NAME)", "extra name");
	check_bad("blocked-source 192.0.2.1 for 1d extra\n", CONF ":1: blocked-source: unexpected "
		  "argument \"extra\" (usage: blocked-source CIDR [for DURATION])",
		  "blocked-source: extra argument");

	check_bad("port 0\n", CONF ":1: port needs a number from 1 to 65535", "port 0");
	check_bad("port 65536\n", CONF ":1: port needs a number from 1 to 65535", "port 65536");
	check_bad("port smtp\n", CONF ":1: port needs a number from 1 to 65535", "port name");
	check_bad("port -25\n", CONF ":1: port needs a number from 1 to 65535", "port negative");
	check_bad("port 25x\n", CONF ":1: port needs a number from 1 to 65535", "port junk");
	check_bad("port 99999999999999999999999\n", CONF ":1: port needs a number from 1 to "
		  "65535", "port overflow");
	check_bad("port 1\nport 2\nport 3\nport 4\nport 5\nport 6\nport 7\nport 8\nport 9\n",
		  CONF ":9: more than 8 ports (the limit, SG_MAX_PORTS)", "too many ports");
	check_bad("port 25\nport 587\n\nport 25\n", CONF ":4: port 25 is already listed on line 1",
		  "duplicate port");

	check_bad("trusted-net 203.0.113.0/33\n", CONF ":1: trusted-net: invalid prefix length "
		  "in \"203.0.113.0/33\": use 0 to 32 for IPv4", "bad CIDR length");
	check_bad("trusted-net my-office\n", CONF ":1: trusted-net: invalid address "
		  "\"my-office\": expected an IPv4 or IPv6 address, optionally with /prefix",
		  "bad CIDR address");
	check_bad("blocked-source 198.51.100.7/24\n", CONF ":1: blocked-source: 198.51.100.7/24 "
		  "has host bits set; did you mean 198.51.100.0/24?", "host bits");

	check_bad("action spoofed_internal_domain drop\n", CONF ":1: action: unknown action "
		  "\"drop\" for spoofed_internal_domain (expected off, alert or block)",
		  "bad action value");
	check_bad("action foo alert\n", CONF ":1: action: unknown reason \"foo\" (expected one of "
		  "spoofed_internal_domain, bad_redirect_host, rate_exceeded, stream_anomaly)",
		  "unknown reason");
	check_bad("action none alert\n", CONF ":1: action: unknown reason \"none\" (expected one "
		  "of spoofed_internal_domain, bad_redirect_host, rate_exceeded, stream_anomaly)",
		  "reason none");
	check_bad("action rate_exceeded block\naction rate_exceeded off\n", CONF ":2: action: "
		  "rate_exceeded is already set on line 1", "action set twice");

	check_bad("action source_quarantined block\n", CONF ":1: action: unknown reason "
		  "\"source_quarantined\" (expected one of spoofed_internal_domain, "
		  "bad_redirect_host, rate_exceeded, stream_anomaly)",
		  "quarantine has no action line");
	check_bad("fail-closed maybe\n", CONF ":1: fail-closed: expected yes or no, not "
		  "\"maybe\"", "fail-closed with a bad value");
	check_bad("fail-closed no\nfail-closed yes\n", CONF ":2: fail-closed: already set on "
		  "line 1", "fail-closed set twice");
	check_bad("action stream_anomaly alert\nfail-closed yes\n", CONF ":1: action "
		  "stream_anomaly alert contradicts fail-closed yes on line 2 (which blocks the "
		  "sessions smtpguard cannot follow): use block, or leave the line out",
		  "fail-closed with a weaker stream_anomaly action");
	check_bad("quarantine 3 for 1h\n", CONF ":1: quarantine: expected N/DURATION (N "
		  "blocked sessions, 1 to 1000000, within a duration such as 10m, at most 365d), "
		  "not \"3\"", "quarantine without its window");
	check_bad("quarantine 3/10m\n", CONF ":1: quarantine: missing argument (usage: "
		  "quarantine N/DURATION for DURATION)", "quarantine without its length");
	check_bad("quarantine 0/10m for 1h\n", CONF ":1: quarantine: expected N/DURATION (N "
		  "blocked sessions, 1 to 1000000, within a duration such as 10m, at most 365d), "
		  "not \"0/10m\"", "quarantine of 0 sessions");
	check_bad("quarantine 3/10x for 1h\n", CONF ":1: quarantine: expected N/DURATION (N "
		  "blocked sessions, 1 to 1000000, within a duration such as 10m, at most 365d), "
		  "not \"3/10x\"", "quarantine with a bad window");
	check_bad("quarantine 3/10m during 1h\n", CONF ":1: quarantine: expected \"for "
		  "DURATION\" after 3/10m, not \"during\"", "quarantine without for");
	check_bad("quarantine 3/10m for 366d\n", CONF ":1: quarantine: bad duration \"366d\" "
		  "(use a number and s, m, h or d: 30s, 10m, 2h, 7d; at most 365d)",
		  "quarantine longer than a year");
	check_bad("quarantine 3/10m for 1h\nquarantine 2/1m for 1m\n", CONF ":2: quarantine: "
		  "already set on line 1", "quarantine set twice");

	check_bad("checksum-validation maybe\n", CONF ":1: checksum-validation: expected auto, "
		  "yes or no, not \"maybe\"", "checksum-validation with a bad value");
	check_bad("checksum-validation no\nchecksum-validation yes\n", CONF ":2: "
		  "checksum-validation: already set on line 1", "checksum-validation set twice");
	check_bad("checksum-validation auto (offload)\n", CONF ":1: checksum-validation: "
		  "unexpected argument \"(offload)\" (usage: checksum-validation auto|yes|no)",
		  "checksum-validation: replay's mode is not a config value");
	check_bad("rate-limit 200\n", CONF ":1: rate-limit: expected N/min with N from 1 to "
		  "10000000, not \"200\"", "rate-limit without /min");
	check_bad("rate-limit 0/min\n", CONF ":1: rate-limit: expected N/min with N from 1 to "
		  "10000000, not \"0/min\"", "rate-limit 0");
	check_bad("rate-limit 10000001/min\n", CONF ":1: rate-limit: expected N/min with N from 1 "
		  "to 10000000, not \"10000001/min\"", "rate-limit over the maximum");
	check_bad("rate-limit 200/hour\n", CONF ":1: rate-limit: expected N/min with N from 1 to "
		  "10000000, not \"200/hour\"", "rate-limit per hour");
	check_bad("rate-limit /min\n", CONF ":1: rate-limit: expected N/min with N from 1 to "
		  "10000000, not \"/min\"", "rate-limit without N");
	check_bad("rate-limit 1/min\nrate-limit 2/min\n", CONF ":2: rate-limit: already set on "
		  "line 1", "rate-limit twice");

	check_bad("blocked-source 192.0.2.66 for 10x\n", CONF ":1: blocked-source: bad duration "
		  "\"10x\" (use a number and s, m, h or d: 30s, 10m, 2h, 7d)", "bad duration unit");
	check_bad("blocked-source 192.0.2.66 for 10\n", CONF ":1: blocked-source: bad duration "
		  "\"10\" (use a number and s, m, h or d: 30s, 10m, 2h, 7d)",
		  "duration without unit");
	check_bad("blocked-source 192.0.2.66 for 0s\n", CONF ":1: blocked-source: bad duration "
		  "\"0s\" (use a number and s, m, h or d: 30s, 10m, 2h, 7d)", "duration 0");
	check_bad("blocked-source 192.0.2.66 for 10mm\n", CONF ":1: blocked-source: bad duration "
		  "\"10mm\" (use a number and s, m, h or d: 30s, 10m, 2h, 7d)", "duration junk");
	check_bad("blocked-source 192.0.2.66 for m\n", CONF ":1: blocked-source: bad duration "
		  "\"m\" (use a number and s, m, h or d: 30s, 10m, 2h, 7d)", "duration without N");
	check_bad("blocked-source 192.0.2.66 10m\n", CONF ":1: blocked-source: expected \"for "
		  "DURATION\" after the prefix, not \"10m\"", "duration without for");
	check_bad("blocked-source 192.0.2.66 during 10m\n", CONF ":1: blocked-source: expected "
		  "\"for DURATION\" after the prefix, not \"during\"",
		  "duration with another word");

	check_bad("internal-domain aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aa\n",
		  CONF ":1: internal-domain: domain longer than 127 characters",
		  "over-long domain");
	check_bad("bad-host a.b.c.d.e.f.g.h.i\n", CONF ":1: bad-host: invalid domain "
		  "\"a.b.c.d.e.f.g.h.i\": more than 8 labels", "too many labels");
	check_bad("internal-domain corp!.example\n", CONF ":1: internal-domain: invalid domain "
		  "\"corp!.example\": character '!' not allowed (use a-z, 0-9, '-' and '_')",
		  "bad characters");
	check_bad("bad-host ex\xc3\xa4mple.test\n", CONF ":1: bad-host: invalid domain "
		  "\"ex\xc3\xa4mple.test\": byte 0xc3 not allowed (use a-z, 0-9, '-' and "
		  "'_')", "non-ASCII name");
	check_bad("internal-domain corp..example\n", CONF ":1: internal-domain: invalid domain "
		  "\"corp..example\": empty label", "empty label");

	/* the line number survives CRLF, comments and blank lines */
	check_bad("# a\r\n\r\nport 25\r\n  # b\r\nport x\r\n", CONF ":5: port needs a number "
		  "from 1 to 65535", "line number with CRLF");
	/* the first bad line is the one reported, and later good lines do not count */
	check_bad("port 25\nport 0\nbad-host ok.test\n", CONF ":2: port needs a number from 1 "
		  "to 65535", "first bad line wins");
}

static void test_nul_line(void)
{
	struct sg_policy p;
	char err[512];

	write_file("nul.conf", "port 25\nport 2\0 5\n", 16, false);
	marked(&p);
	CHECK(sg_config_load(in_tmp("nul.conf"), &p, err, sizeof(err)) < 0, "NUL byte: refused");
	CHECK_EQ_STR(err, in_tmp("nul.conf:2: line holds a NUL byte"), "NUL byte: message");
	CHECK(untouched(&p), "NUL byte: nothing returned");
}

static void test_load(void)
{
	struct sg_policy p;
	char err[512];
	int ret;

	marked(&p);
	ret = sg_config_load(in_tmp("none.conf"), &p, err, sizeof(err));
	CHECK_EQ_INT(ret, -ENOENT, "load: missing file is -ENOENT");
	CHECK_EQ_STR(err, in_tmp("none.conf: cannot open: No such file or directory"),
		     "load: missing file message");
	CHECK(untouched(&p), "load: missing file returns nothing");

	sg_policy_init(&p);
	write_file("plain.conf", "port 2525\ninternal-domain corp.example\n", -1, false);
	CHECK_EQ_INT(sg_config_load(in_tmp("plain.conf"), &p, err, sizeof(err)), 0,
		     "load: a file");
	CHECK(p.nports == 1 && p.ports[0] == 2525 && p.n_own_domains == 1,
	      "load: the file's directives");
	sg_policy_free(&p);

	write_file("bad.conf", "port 25\nport 25\n", -1, false);
	marked(&p);
	CHECK(sg_config_load(in_tmp("bad.conf"), &p, err, sizeof(err)) < 0, "load: bad file");
	CHECK_EQ_STR(err, in_tmp("bad.conf:2: port 25 is already listed on line 1"),
		     "load: FILE:LINE is the path given");
	CHECK(untouched(&p), "load: bad file returns nothing");
}

static void test_hosts_files(void)
{
	struct sg_policy p;
	char err[512] = "", text[512];
	int ret;

	write_file("hosts.txt", "# bad hosts\n\nredir.badcdn.test\n  Evil.Example.  # yes\r\n"
		   "redir.badcdn.test\n", -1, false);
	write_file("hosts.txt.gz", "a.test\n# gz comment\nb.test", -1, true);
	write_file("smtpguard.conf", "bad-host first.test\nbad-hosts-file hosts.txt\n"
		   "bad-hosts-file hosts.txt.gz\nbad-host last.test\n", -1, false);
	sg_policy_init(&p);
	ret = sg_config_load(in_tmp("smtpguard.conf"), &p, err, sizeof(err));
	if (!CHECK_EQ_INT(ret, 0, "bad-hosts-file: plain and gzip, relative paths"))
		printf("# %s\n", err);
	if (CHECK_EQ_INT(p.n_bad_hosts, 6, "bad-hosts-file: all hosts")) {
		CHECK_EQ_STR(p.bad_hosts[0].name, "first.test", "bad-hosts-file: order 1");
		CHECK_EQ_STR(p.bad_hosts[1].name, "redir.badcdn.test", "bad-hosts-file: plain");
		CHECK_EQ_STR(p.bad_hosts[2].name, "evil.example", "bad-hosts-file: normalised");
		CHECK_EQ_STR(p.bad_hosts[3].name, "a.test", "bad-hosts-file: gzip line 1");
		CHECK_EQ_STR(p.bad_hosts[4].name, "b.test", "bad-hosts-file: gzip last line");
		CHECK_EQ_STR(p.bad_hosts[5].name, "last.test", "bad-hosts-file: order 6");
		CHECK_EQ_INT(p.bad_hosts[4].id, 5, "bad-hosts-file: ids run on");
		CHECK(p.bad_hosts[3].hash == sg_domain_hash("a.test"), "bad-hosts-file: hash");
	}
	CHECK_EQ_INT(p.duplicates, 1, "bad-hosts-file: duplicate counted");
	sg_policy_free(&p);

	/* the same file by absolute path, and relative to a name given for errors */
	snprintf(text, sizeof(text), "bad-hosts-file %s\n", in_tmp("hosts.txt.gz"));
	CHECK_EQ_INT(sg_config_parse_string(text, CONF, &p, err, sizeof(err)), 0,
		     "bad-hosts-file: absolute path");
	CHECK_EQ_INT(p.n_bad_hosts, 2, "bad-hosts-file: absolute path hosts");
	sg_policy_free(&p);
	CHECK_EQ_INT(sg_config_parse_string("bad-hosts-file hosts.txt\n", in_tmp("x.conf"), &p,
					    err, sizeof(err)), 0,
		     "bad-hosts-file: relative to the name for errors");
	CHECK_EQ_INT(p.n_bad_hosts, 2, "bad-hosts-file: relative path hosts");
	sg_policy_free(&p);
}

static void check_bad_file(const char *conf, const char *want, const char *name)
{
	struct sg_policy p;
	char err[512] = "";

	write_file("c.conf", conf, -1, false);
	marked(&p);
	CHECK(sg_config_load(in_tmp("c.conf"), &p, err, sizeof(err)) < 0, sub(name, "refused"));
	CHECK_EQ_STR(err, want, sub(name, "message"));
	CHECK(untouched(&p), sub(name, "nothing returned"));
}

static void test_bad_hosts_files(void)
{
	char want[512], conf[128];
	unsigned char trunc[64];
	FILE *f;
	size_t n;

	write_file("bad.txt", "ok.test\n\nnot..ok\n", -1, false);
	snprintf(want, sizeof(want), "%s:3: invalid domain \"not..ok\": empty label",
		 in_tmp("bad.txt"));
	check_bad_file("bad-host a.test\nbad-hosts-file bad.txt\n", want,
		       "hosts file: bad line names its own file and line");

	write_file("bad.txt.gz", "# two\nok.test\ntwo words\n", -1, true);
	snprintf(want, sizeof(want), "%s:3: one host a line: unexpected \"words\"",
		 in_tmp("bad.txt.gz"));
	check_bad_file("bad-hosts-file bad.txt.gz\n", want, "hosts file: gzip bad line");

	write_file("nul.txt", "a.test\nb\0.test\n", 15, false);
	snprintf(want, sizeof(want), "%s:2: line holds a NUL byte", in_tmp("nul.txt"));
	check_bad_file("bad-hosts-file nul.txt\n", want, "hosts file: NUL byte");

	snprintf(want, sizeof(want), "%s:2: bad-hosts-file: %s: cannot open: No such file or "
		 "directory", in_tmp("c.conf"), in_tmp("missing.txt"));
	check_bad_file("\nbad-hosts-file missing.txt\n", want, "hosts file: missing");

	snprintf(want, sizeof(want), "%s:1: bad-hosts-file: %s: cannot read: Is a directory",
		 in_tmp("c.conf"), tmpdir);
	snprintf(conf, sizeof(conf), "bad-hosts-file %s\n", tmpdir);
	check_bad_file(conf, want, "hosts file: a directory");

	/* a gzip stream cut short is an error, not a shorter list */
	write_file("whole.gz", "a.test\nb.test\nc.test\nd.test\n", -1, true);
	f = fopen(in_tmp("whole.gz"), "r");
	n = fread(trunc, 1, sizeof(trunc), f);
	fclose(f);
	write_file("cut.gz", (char *)trunc, (long)n - 6, false);
	snprintf(want, sizeof(want), "%s:1: bad-hosts-file: %s: cannot read: unexpected end of "
		 "file", in_tmp("c.conf"), in_tmp("cut.gz"));
	check_bad_file("bad-hosts-file cut.gz\n", want, "hosts file: truncated gzip");
}

/* n lines of fmt(i), through a file */
static void write_lines(const char *file, const char *fmt, long n, bool gz)
{
	size_t cap = (size_t)n * 64 + 1, len = 0;
	char *buf = malloc(cap);
	long i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, fmt, i >> 8, i & 0xff);
	write_file(file, buf, (long)len, gz);
	free(buf);
}

static void check_limit(const char *file, const char *fmt, long limit, const char *want,
			const char *name)
{
	struct sg_policy p;
	char err[512] = "";

	sg_policy_init(&p);
	write_lines(file, fmt, limit, false);
	CHECK_EQ_INT(sg_config_load(in_tmp(file), &p, err, sizeof(err)), 0, sub(name, "at"));
	sg_policy_free(&p);
	write_lines(file, fmt, limit + 1, false);
	CHECK(sg_config_load(in_tmp(file), &p, err, sizeof(err)) < 0, sub(name, "over"));
	CHECK_EQ_STR(err, want, sub(name, "message"));
}

static void test_limits(void)
{
	char want[512];
	struct sg_policy p;
	char err[512] = "";

	snprintf(want, sizeof(want), "%s:%d: internal-domain: more than %d internal domains "
		 "(the limit, SG_MAX_OWN_DOMAINS)", in_tmp("own.conf"), SG_MAX_OWN_DOMAINS + 1,
		 SG_MAX_OWN_DOMAINS);
	check_limit("own.conf", "internal-domain d%ld-%ld.test\n", SG_MAX_OWN_DOMAINS, want,
		    "limit: internal domains");
	snprintf(want, sizeof(want), "%s:%d: trusted-net: more than %d trusted nets (the limit, "
		 "SG_MAX_NETS)", in_tmp("nets.conf"), SG_MAX_NETS + 1, SG_MAX_NETS);
	check_limit("nets.conf", "trusted-net 2001:db8::%lx:%lx/128\n", SG_MAX_NETS, want,
		    "limit: trusted nets");

	/* a million names also shows that duplicates are found without a quadratic scan */
	sg_policy_init(&p);
	write_lines("million.gz", "h%ld.b%ld.test\n", SG_MAX_BAD_HOSTS + 1, true);
	write_file("million.conf", "bad-hosts-file million.gz\n", -1, false);
	snprintf(want, sizeof(want), "%s:%d: more than %d bad hosts (the limit, SG_MAX_BAD_HOSTS)",
		 in_tmp("million.gz"), SG_MAX_BAD_HOSTS + 1, SG_MAX_BAD_HOSTS);
	CHECK(sg_config_load(in_tmp("million.conf"), &p, err, sizeof(err)) < 0,
	      "limit: bad hosts: over");
	CHECK_EQ_STR(err, want, "limit: bad hosts: message");
}

static void test_add_item(void)
{
	struct sg_policy p;
	char err[512] = "";

	sg_policy_init(&p);
	CHECK_EQ_INT(sg_policy_add_item(&p, "internal-domain", "Corp.Example", err, sizeof(err)),
		     0, "add: internal-domain");
	CHECK(p.n_own_domains == 1 && !strcmp(p.own_domains[0].name, "corp.example") &&
	      p.own_domains[0].id == 1, "add: internal-domain normalised with id 1");
	CHECK_EQ_INT(sg_policy_add_item(&p, "internal-domain", "corp.example.", err, sizeof(err)),
		     -EEXIST, "add: duplicate name is -EEXIST");
	CHECK_EQ_STR(err, "internal-domain: \"corp.example\" is already in the policy (id 1)",
		     "add: duplicate name message");
	CHECK_EQ_INT(p.n_own_domains, 1, "add: duplicate not added");

	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", "a.test", err, sizeof(err)), 0,
		     "add: bad-host 1");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", "b.test", err, sizeof(err)), 0,
		     "add: bad-host 2");
	CHECK(p.n_bad_hosts == 2 && p.bad_hosts[1].id == 2 &&
	      p.bad_hosts[1].hash == sg_domain_hash("b.test"), "add: bad-host ids and hash");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", "a..test", err, sizeof(err)), -EINVAL,
		     "add: bad name refused");
	CHECK_EQ_STR(err, "bad-host: invalid domain \"a..test\": empty label",
		     "add: bad name message");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", "a.test#x", err, sizeof(err)), -EINVAL,
		     "add: no comments in a value");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", "", err, sizeof(err)), -EINVAL,
		     "add: empty value");
	CHECK_EQ_STR(err, "bad-host: missing argument (usage: bad-host NAME)",
		     "add: empty value message");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-host", NULL, err, sizeof(err)), -EINVAL,
		     "add: NULL value");
	CHECK_EQ_INT(p.n_bad_hosts, 2, "add: failures add nothing");

	CHECK_EQ_INT(sg_policy_add_item(&p, "trusted-net", "203.0.113.0/24", err, sizeof(err)), 0,
		     "add: trusted-net");
	CHECK_EQ_INT(sg_policy_add_item(&p, "trusted-net", "203.0.113.0/24", err, sizeof(err)),
		     -EEXIST, "add: duplicate prefix");
	CHECK_EQ_STR(err, "trusted-net: \"203.0.113.0/24\" is already in the policy (id 1)",
		     "add: duplicate prefix message");
	CHECK_EQ_INT(sg_policy_add_item(&p, "trusted-net", "203.0.113.0/25", err, sizeof(err)), 0,
		     "add: same address, other length");
	CHECK_EQ_INT(sg_policy_add_item(&p, "blocked-source", "192.0.2.66 for 10m", err,
					sizeof(err)), 0, "add: blocked-source for a while");
	CHECK(p.n_blocked_sources == 1 && p.blocked_sources[0].duration_s == 600 &&
	      !strcmp(p.blocked_sources[0].text, "192.0.2.66/32"), "add: blocked-source fields");
	CHECK_EQ_INT(sg_policy_add_item(&p, "blocked-source", "192.0.2.0/33", err, sizeof(err)),
		     -EINVAL, "add: bad prefix");
	CHECK_EQ_STR(err, "blocked-source: invalid prefix length in \"192.0.2.0/33\": use 0 to 32 "
		     "for IPv4", "add: bad prefix message");

	CHECK_EQ_INT(sg_policy_add_item(&p, "port", "25", err, sizeof(err)), -EINVAL,
		     "add: port is not a kind");
	CHECK_EQ_STR(err, "unknown kind \"port\" (expected internal-domain, trusted-net, bad-host "
		     "or blocked-source)", "add: unknown kind message");
	CHECK_EQ_INT(sg_policy_add_item(&p, "bad-hosts-file", "/etc/passwd", err, sizeof(err)),
		     -EINVAL, "add: bad-hosts-file is not a kind");
	CHECK_EQ_INT(sg_policy_add_item(&p, NULL, "x", err, sizeof(err)), -EINVAL,
		     "add: NULL kind");
	CHECK_EQ_INT(p.duplicates, 0, "add: duplicates are errors, not counted");
	sg_policy_free(&p);
}

static void test_names(void)
{
	CHECK_EQ_INT(sg_reason_from_name("spoofed_internal_domain"),
		     SG_REASON_SPOOFED_INTERNAL_DOMAIN, "reason: spoofed_internal_domain");
	CHECK_EQ_INT(sg_reason_from_name("stream_anomaly"), SG_REASON_STREAM_ANOMALY,
		     "reason: stream_anomaly");
	CHECK_EQ_INT(sg_reason_from_name("none"), -1, "reason: none is not configurable");
	CHECK_EQ_INT(sg_reason_from_name("Stream_Anomaly"), -1, "reason: case matters");
	CHECK_EQ_INT(sg_reason_from_name(NULL), -1, "reason: NULL");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	strcpy(tmpdir, "/tmp/sg-test-config.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		SKIP("config files", "cannot make a temporary directory");
		tmpdir[0] = '\0';
	}
	test_defaults();
	test_full();
	test_small_forms();
	test_bad_lines();
	test_add_item();
	test_names();
	if (tmpdir[0]) {
		test_nul_line();
		test_load();
		test_hosts_files();
		test_bad_hosts_files();
		test_limits();
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
	return check_done();
}
