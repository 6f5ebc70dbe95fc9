// SPDX-License-Identifier: GPL-2.0
/* test_domain.c - name normalisation, the kernel's suffix hash, prefixes, addresses */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "domain.h"

static int norm(const char *in, char *out, char *err)
{
	return sg_domain_normalise(in, strlen(in), out, err, 256);
}

/* "name: what" for the several checks one case makes */
static const char *sub(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", name, what);
	return buf;
}

static void check_norm_ok(const char *in, const char *want, int labels, const char *name)
{
	char out[SG_NAME_MAX] = "", err[256] = "";

	CHECK_EQ_INT(norm(in, out, err), labels, sub(name, "labels"));
	CHECK_EQ_STR(out, want, sub(name, "text"));
}

static void check_norm_err(const char *in, size_t len, const char *want, const char *name)
{
	char out[SG_NAME_MAX] = "untouched", err[256] = "";

	CHECK_EQ_INT(sg_domain_normalise(in, len, out, err, sizeof(err)), -EINVAL,
		     sub(name, "refused"));
	CHECK_EQ_STR(err, want, sub(name, "message"));
	CHECK_EQ_STR(out, "untouched", sub(name, "output untouched"));
}

static void test_normalise(void)
{
	char long_label[80], long_name[200], nine[64];

	check_norm_ok("Corp.Example.", "corp.example", 2, "normalise: case and trailing dot");
	check_norm_ok("MAIL.CORP.EXAMPLE", "mail.corp.example", 3, "normalise: upper case");
	check_norm_ok("a_b-c.x9", "a_b-c.x9", 2, "normalise: digits, '-' and '_'");
	check_norm_ok("localhost", "localhost", 1, "normalise: one label");
	check_norm_ok("a.b.c.d.e.f.g.h", "a.b.c.d.e.f.g.h", 8, "normalise: 8 labels");

	check_norm_err("", 0, "empty domain", "normalise: empty");
	check_norm_err(".", 1, "empty domain", "normalise: only a dot");
	check_norm_err("x..y", 4, "invalid domain \"x..y\": empty label", "normalise: x..y");
	check_norm_err(".x", 2, "invalid domain \".x\": empty label", "normalise: leading dot");
	check_norm_err("x..", 3, "invalid domain \"x.\": empty label",
		       "normalise: only one trailing dot dropped");
	check_norm_err("ex ample.com", 12, "invalid domain \"ex ample.com\": character ' ' not "
		       "allowed (use a-z, 0-9, '-' and '_')", "normalise: space");
	check_norm_err("a@b.c", 5, "invalid domain \"a@b.c\": character '@' not allowed "
		       "(use a-z, 0-9, '-' and '_')", "normalise: at sign");
	check_norm_err("exa\x01mple", 8, "invalid domain \"exa\\u0001mple\": byte 0x01 not "
		       "allowed (use a-z, 0-9, '-' and '_')", "normalise: control byte escaped");
	check_norm_err("caf\xc3\xa9.test", 10, "invalid domain \"caf\xc3\xa9.test\": byte "
		       "0xc3 not allowed (use a-z, 0-9, '-' and '_')", "normalise: UTF-8 refused");
	check_norm_err("corp\0.example", 13, "invalid domain \"corp\\u0000.example\": byte 0x00 "
		       "not allowed (use a-z, 0-9, '-' and '_')", "normalise: embedded NUL");

	/* the explicit length bounds the name, not the NUL */
	{
		char out[SG_NAME_MAX] = "", err[256];

		CHECK_EQ_INT(sg_domain_normalise("corp.example.evil", 12, out, err, sizeof(err)), 2,
			     "normalise: length bounds the input: labels");
		CHECK_EQ_STR(out, "corp.example", "normalise: length bounds the input: text");
	}

	memset(long_label, 'a', 63);
	strcpy(long_label + 63, ".test");
	check_norm_ok(long_label, long_label, 2, "normalise: 63-character label");
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".test");
	check_norm_err(long_label, strlen(long_label), "invalid domain \"aaaaaaaaaaaaaaaaaaaaa"
		       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test\": label longer than 63 "
		       "characters", "normalise: 64-character label");

	/* 127 characters: 2 labels of 63 and a dot */
	memset(long_name, 'b', 127);
	long_name[63] = '.';
	long_name[127] = '\0';
	check_norm_ok(long_name, long_name, 2, "normalise: 127 characters");
	strcpy(long_name + 127, ".");
	{
		char out[SG_NAME_MAX], err[256];

		CHECK_EQ_INT(norm(long_name, out, err), 2,
			     "normalise: 127 characters and a trailing dot");
	}
	long_name[127] = 'b';
	long_name[128] = '\0';
	check_norm_err(long_name, 128, "domain longer than 127 characters",
		       "normalise: 128 characters");
	memset(long_name, 'c', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	check_norm_err(long_name, strlen(long_name), "domain longer than 127 characters",
		       "normalise: 199 characters");

	strcpy(nine, "a.b.c.d.e.f.g.h.i");
	check_norm_err(nine, strlen(nine), "invalid domain \"a.b.c.d.e.f.g.h.i\": more than 8 "
		       "labels", "normalise: 9 labels");
	{
		char err[8] = "", out[SG_NAME_MAX];

		CHECK_EQ_INT(sg_domain_normalise("x..y", 4, out, err, sizeof(err)), -EINVAL,
			     "normalise: short err buffer");
		CHECK_EQ_STR(err, "invalid", "normalise: short err buffer truncates");
		CHECK_EQ_INT(sg_domain_normalise(NULL, 5, out, NULL, 0), -EINVAL,
			     "normalise: NULL input and no err buffer");
	}
}

/* FNV-1a of one label, with the header's step, as the kernel's byte loop does */
static __u64 label_hash(const char *s)
{
	__u64 h = SG_FNV_BASIS;

	for (; *s; s++)
		h = sg_label_step(h, (__u8)*s);
	return h;
}

static void test_hash(void)
{
	__u64 h_hr = label_hash("hr"), h_corp = label_hash("corp");
	__u64 h_example = label_hash("example");
	__u64 s1, s2, s3;

	CHECK(sg_domain_hash("Corp.Example.") == sg_domain_hash("corp.example"),
	      "hash: case and trailing dot do not matter");
	CHECK(sg_domain_hash("corp.example") ==
	      sg_suffix_step(sg_suffix_step(0, h_example), h_corp),
	      "hash: labels combined right to left");
	CHECK(sg_domain_hash("corp.example") !=
	      sg_suffix_step(sg_suffix_step(0, h_corp), h_example),
	      "hash: order matters");
	CHECK(sg_domain_hash("example") == sg_suffix_step(0, h_example), "hash: one label");
	CHECK(sg_domain_hash("notcorp.example") != sg_domain_hash("corp.example"),
	      "hash: notcorp.example differs");
	CHECK(sg_domain_hash("corp.example.evil.test") != sg_domain_hash("corp.example"),
	      "hash: corp.example.evil.test differs");
	CHECK(sg_domain_hash("example") != sg_domain_hash("corp.example"),
	      "hash: a suffix alone differs");
	CHECK(sg_domain_hash("corpexample") != sg_domain_hash("corp.example"),
	      "hash: label boundary matters");

	/* the kernel walks hr.corp.example right to left and looks up every suffix:
	 * the second one must be the policy entry's key */
	s1 = sg_suffix_step(0, h_example);
	s2 = sg_suffix_step(s1, h_corp);
	s3 = sg_suffix_step(s2, h_hr);
	CHECK(s2 == sg_domain_hash("corp.example"), "hash: subdomain suffix matches the entry");
	CHECK(s3 == sg_domain_hash("hr.corp.example"), "hash: whole subdomain");
	CHECK(s1 != sg_domain_hash("corp.example"), "hash: TLD alone does not match");

	/* longer names keep their last SG_MAX_LABELS labels, as the kernel does */
	CHECK(sg_domain_hash("a.b.c.d.e.f.g.h.i.j.corp.example") ==
	      sg_domain_hash("e.f.g.h.i.j.corp.example"), "hash: last 8 labels kept");
	CHECK(sg_domain_hash("a.b.c.d.e.f.g.h.i.j.corp.example") !=
	      sg_domain_hash("f.g.h.i.j.corp.example"), "hash: 7 labels are not 8");
	CHECK_EQ_INT(sg_domain_hash(NULL), 0, "hash: NULL is 0");
}

static void check_prefix_ok(const char *s, const char *addr6, __u32 mapped, __u32 config,
			    const char *canon, const char *name)
{
	struct sg_addr a, want = { { 0 } };
	__u32 m = 0, c = 0;
	char err[256] = "", text[64];

	inet_pton(AF_INET6, addr6, want.a);
	CHECK_EQ_INT(sg_prefix_parse(s, &a, &m, &c, err, sizeof(err)), 0, sub(name, "parsed"));
	CHECK(!memcmp(&a, &want, sizeof(a)), sub(name, "address"));
	CHECK_EQ_INT(m, mapped, sub(name, "mapped prefix"));
	CHECK_EQ_INT(c, config, sub(name, "config prefix"));
	sg_prefix_format(&a, m, c, text, sizeof(text));
	CHECK_EQ_STR(text, canon, sub(name, "canonical text"));
}

static void check_prefix_err(const char *s, const char *want, const char *name)
{
	struct sg_addr a;
	__u32 m = 7, c = 7;
	char err[256] = "";

	memset(&a, 0xaa, sizeof(a));
	CHECK_EQ_INT(sg_prefix_parse(s, &a, &m, &c, err, sizeof(err)), -EINVAL,
		     sub(name, "refused"));
	CHECK_EQ_STR(err, want, sub(name, "message"));
	CHECK(a.a[0] == 0xaa && a.a[15] == 0xaa && m == 7 && c == 7,
	      sub(name, "outputs untouched"));
}

static void test_prefix(void)
{
	check_prefix_ok("198.51.100.0/24", "::ffff:198.51.100.0", 120, 24, "198.51.100.0/24",
			"prefix: IPv4 /24 is mapped");
	check_prefix_ok("192.0.2.66", "::ffff:192.0.2.66", 128, 32, "192.0.2.66/32",
			"prefix: IPv4 host is /32");
	check_prefix_ok("0.0.0.0/0", "::ffff:0.0.0.0", 96, 0, "0.0.0.0/0", "prefix: IPv4 /0");
	check_prefix_ok("2001:db8::/32", "2001:db8::", 32, 32, "2001:db8::/32",
			"prefix: IPv6 /32");
	check_prefix_ok("2001:DB8:0:0::1", "2001:db8::1", 128, 128, "2001:db8::1/128",
			"prefix: IPv6 host is /128");
	check_prefix_ok("::/0", "::", 0, 0, "::/0", "prefix: IPv6 /0");
	check_prefix_ok("::ffff:192.0.2.0/120", "::ffff:192.0.2.0", 120, 120,
			"::ffff:192.0.2.0/120", "prefix: mapped form written as IPv6 stays IPv6");

	check_prefix_err("198.51.100.7/24", "198.51.100.7/24 has host bits set; did you mean "
			 "198.51.100.0/24?", "prefix: IPv4 host bits");
	check_prefix_err("2001:db8::1/32", "2001:db8::1/32 has host bits set; did you mean "
			 "2001:db8::/32?", "prefix: IPv6 host bits");
	check_prefix_ok("10.0.0.128/25", "::ffff:10.0.0.128", 121, 25, "10.0.0.128/25",
			"prefix: network bit inside a byte");
	check_prefix_err("10.0.0.64/25", "10.0.0.64/25 has host bits set; did you mean "
			 "10.0.0.0/25?", "prefix: host bit inside a byte");
	check_prefix_err("198.51.100.0/33", "invalid prefix length in \"198.51.100.0/33\": use 0 "
			 "to 32 for IPv4", "prefix: IPv4 /33");
	check_prefix_err("2001:db8::/129", "invalid prefix length in \"2001:db8::/129\": use 0 "
			 "to 128 for IPv6", "prefix: IPv6 /129");
	check_prefix_err("192.0.2.0/", "invalid prefix length in \"192.0.2.0/\": use 0 to 32 "
			 "for IPv4", "prefix: empty length");
	check_prefix_err("192.0.2.0/-1", "invalid prefix length in \"192.0.2.0/-1\": use 0 to 32 "
			 "for IPv4", "prefix: negative length");
	check_prefix_err("192.0.2.0/24x", "invalid prefix length in \"192.0.2.0/24x\": use 0 to "
			 "32 for IPv4", "prefix: trailing junk");
	check_prefix_err("192.0.2.0/0024", "invalid prefix length in \"192.0.2.0/0024\": use 0 "
			 "to 32 for IPv4", "prefix: over-long length");
	check_prefix_err("garbage", "invalid address \"garbage\": expected an IPv4 or IPv6 "
			 "address, optionally with /prefix", "prefix: garbage");
	check_prefix_err("1.2.3", "invalid address \"1.2.3\": expected an IPv4 or IPv6 address, "
			 "optionally with /prefix", "prefix: three octets");
	check_prefix_err("1.2.3.256/32", "invalid address \"1.2.3.256/32\": expected an IPv4 or "
			 "IPv6 address, optionally with /prefix", "prefix: octet over 255");
	check_prefix_err("", "invalid address \"\": expected an IPv4 or IPv6 address, optionally "
			 "with /prefix", "prefix: empty");
	check_prefix_err("/24", "invalid address \"/24\": expected an IPv4 or IPv6 address, "
			 "optionally with /prefix", "prefix: length alone");
	check_prefix_err("fe80::1%eth0", "invalid address \"fe80::1%eth0\": expected an IPv4 or "
			 "IPv6 address, optionally with /prefix", "prefix: zone id");
	check_prefix_err("1.2.3.4\n", "invalid address \"1.2.3.4\\n\": expected an IPv4 or IPv6 "
			 "address, optionally with /prefix", "prefix: newline escaped in message");
	{
		char huge[300];

		memset(huge, '1', sizeof(huge) - 1);
		huge[sizeof(huge) - 1] = '\0';
		CHECK_EQ_INT(sg_prefix_parse(huge, &(struct sg_addr){ { 0 } }, &(__u32){ 0 },
					     &(__u32){ 0 }, NULL, 0), -EINVAL,
			     "prefix: 300 digits, no err buffer");
	}
}

static void check_format(const char *addr6, const char *want, const char *name)
{
	struct sg_addr a = { { 0 } };
	char out[INET6_ADDRSTRLEN] = "x";

	inet_pton(AF_INET6, addr6, a.a);
	CHECK_EQ_INT(sg_addr_format(&a, out, sizeof(out)), 0, sub(name, "formatted"));
	CHECK_EQ_STR(out, want, sub(name, "text"));
}

static void test_format(void)
{
	struct sg_addr a = { { 0 } };
	char small[8] = "x";

	check_format("::ffff:198.51.100.7", "198.51.100.7", "format: mapped is dotted");
	check_format("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1",
		     "format: RFC 5952 longest zero run");
	check_format("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1",
		     "format: RFC 5952 first of equal runs");
	check_format("2001:DB8::A", "2001:db8::a", "format: RFC 5952 lower case");
	check_format("::", "::", "format: unspecified");
	check_format("::1", "::1", "format: loopback is not mapped");

	inet_pton(AF_INET6, "2001:db8::1", a.a);
	CHECK_EQ_INT(sg_addr_format(&a, small, sizeof(small)), -ENOSPC, "format: short buffer");
	CHECK_EQ_STR(small, "", "format: short buffer left empty");
}

int main(void)
{
	test_normalise();
	test_hash();
	test_prefix();
	test_format();
	return check_done();
}
