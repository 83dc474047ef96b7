/*
 * lib/acl element values: what each kind accepts, and that every bad value
 * is refused with a message naming it (the config layer prefixes
 * file:line).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "acl_test_util.h"

TestSuite(acl_values);

/* <spec> must fail with -EINVAL and exactly <want> as the message. */
static void
refused(const char *spec, const char *want)
{
	char msg[ACL_ERR_MAX_BYTES];
	int rc = acl_t_try(spec, msg);

	cr_assert_eq(rc, -EINVAL, "%s: rc %d", spec, rc);
	cr_assert_str_eq(msg, want, "%s", spec);
}

Test(acl_values, bad_cidrs)
{
	refused("acl a src 10.0.0.0/33", "bad CIDR '10.0.0.0/33'");
	refused("acl a src 10.0.0.0/", "bad CIDR '10.0.0.0/'");
	refused("acl a dst 10.0.0/8", "bad CIDR '10.0.0/8'");
	refused("acl a dst 256.0.0.0/8", "bad CIDR '256.0.0.0/8'");
	refused("acl a src 10.0.0.0/-1", "bad CIDR '10.0.0.0/-1'");
	refused("acl a src 10.0.0.0/+8", "bad CIDR '10.0.0.0/+8'");
	refused("acl a src 10.0.0.1/8",
	        "bad CIDR '10.0.0.1/8': bits set past the prefix length");
	refused("acl a src /8", "bad CIDR '/8'");
}

Test(acl_values, bad_ports)
{
	refused("acl p port 0", "bad port '0'");
	refused("acl p port 65536", "bad port '65536'");
	refused("acl p port http", "bad port 'http'");
	refused("acl p port 200-100", "bad port range '200-100'");
	refused("acl p port 1024-", "bad port range '1024-'");
	refused("acl p port -5", "bad port range '-5'");
	refused("acl p port 1-2-3", "bad port range '1-2-3'");
}

Test(acl_values, bad_domains_methods_schemes)
{
	refused("acl d dstdomain a..b", "bad domain 'a..b': empty label");
	refused("acl d dstdomain .", "bad domain '.'");
	refused("acl d dstdomain exa/mple.com", "bad domain 'exa/mple.com'");
	refused("acl m method GE(T", "bad method 'GE(T'");
	refused("acl s scheme 1http", "bad scheme '1http'");
	refused("acl s scheme ht_tp", "bad scheme 'ht_tp'");
}

Test(acl_values, bad_time_header_regex)
{
	refused("acl t time X",
	        "bad time 'X' (days SMTWHFAD, then HH:MM-HH:MM)");
	refused("acl t time MTW 25:00-26:00", "bad time window '25:00-26:00'");
	refused("acl t time 08:00-08:00", "bad time window '08:00-08:00'");
	refused("acl t time 08:60-09:00", "bad time window '08:60-09:00'");
	refused("acl t time 24:00-01:00", "bad time window '24:00-01:00'");
	refused("acl r url_regex ^http://(a",
	        "bad regex '^http://(a': "
	        "missing closing parenthesis at offset 10");
	refused("acl h header User-Agent", "bad header match 'User-Agent' "
	                                   "(Name regex)");
	refused("acl c connect x", "connect takes no value, got 'x'");
}

Test(acl_values, bad_names_and_rules)
{
	char msg[ACL_ERR_MAX_BYTES];

	refused("acl a src 10.0.0.0/8\nacl a dst 10.0.0.0/8",
	        "acl 'a' is a src, not a dst");
	refused("acl a src 10.0.0.0/8\nallow a b", "unknown acl 'b'");
	refused("acl bad/name src 10.0.0.0/8",
	        "bad acl name 'bad/name' (1-63 of A-Z a-z 0-9 _ - .)");
	refused("acl a src", "acl needs at least one value");
	cr_assert_eq(acl_t_try("acl a src 1.0.0.0/8\nallow a a a a a a a a a "
	                       "a a a a a a a a",
	                       msg),
	             -E2BIG);
	cr_assert_str_eq(msg, "too many acl names in one rule (max 16)");
}

/* The values that must be taken, with their edges. */
Test(acl_values, accepted)
{
	char msg[ACL_ERR_MAX_BYTES];
	static const char *const ok[] = {
	    "acl a src 0.0.0.0/0 255.255.255.255/32 10.0.0.0/8",
	    "acl a dst 192.168.1.1 169.254.0.0/16",
	    "acl p port 1 65535 1024-65535 80-80",
	    "acl d dstdomain example.com .Example.ORG. a-b_c.d",
	    "acl m method GET CONNECT PROPFIND",
	    "acl s scheme http HTTPS coap+tcp",
	    "acl u user alice bob@example.com",
	    "acl g group staff",
	    "acl x url_prefix http://a/",
	    "acl r url_regex -i \\.exe$ +i ^ftp:",
	    "acl t time MTWHF 08:00-17:30",
	    "acl t time D 22:00-06:00 S A",
	    "acl t time 00:00-24:00",
	    "acl h header User-Agent: -i ^curl/",
	    "acl c connect",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(acl_t_try(ok[i], msg), 0, "%s: %s", ok[i], msg);
}

Test(acl_values, kinds_by_name)
{
	cr_assert_eq(acl_kind_parse("dstdomain"), ACL_KIND_DSTDOMAIN);
	cr_assert_eq(acl_kind_parse("header"), ACL_KIND_HEADER);
	cr_assert_eq(acl_kind_parse("srcdomain"), -EINVAL);
	cr_assert_str_eq(acl_kind_name(ACL_KIND_URL_REGEX), "url_regex");
	cr_assert_str_eq(acl_kind_name(ACL_KIND_COUNT), "?");
}
