/*
 * The SOCKS5 wire format (socks_wire.c, RFC 1928 / RFC 1929): tables of
 * messages with every field right and wrong, every address type, each
 * message cut at every length (a prefix of a valid message is SOCKS_MORE,
 * never an error and never a message), and the longest of each.
 */
#include <string.h>

#include <arpa/inet.h>
#include <criterion/criterion.h>

#include "proxy/socks_wire.h"

TestSuite(socks_wire);

struct wire_case {
	const char *name;
	const uint8_t *p;
	size_t n;
	int want;    /* result of the whole buffer */
	size_t used; /* with SOCKS_OK */
};

#define B(...) \
	(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* ---- greeting ---- */

static const struct wire_case greetings[] = {
    {"no-auth", B(5, 1, 0), SOCKS_OK, 3},
    {"userpass", B(5, 1, 2), SOCKS_OK, 3},
    {"both", B(5, 2, 0, 2), SOCKS_OK, 4},
    {"gssapi only", B(5, 1, 1), SOCKS_OK, 3},
    {"pipelined request behind", B(5, 1, 0, 5, 1, 0, 1), SOCKS_OK, 3},
    {"version 4", B(4, 1, 0), SOCKS_E_VERSION, 0},
    {"version 0", B(0), SOCKS_E_VERSION, 0},
    {"http", B('G', 'E', 'T'), SOCKS_E_VERSION, 0},
    {"zero methods", B(5, 0), SOCKS_E_NMETHODS, 0},
    {"zero methods, more", B(5, 0, 0, 0), SOCKS_E_NMETHODS, 0},
    {"short list", B(5, 3, 0, 2), SOCKS_MORE, 0},
    {"empty", B(5), SOCKS_MORE, 0},
};

Test(socks_wire, greeting_table)
{
	size_t i;

	for (i = 0; i < sizeof(greetings) / sizeof(greetings[0]); i++) {
		const struct wire_case *c = &greetings[i];
		struct socks_greeting g;
		size_t used = 0;
		int rc = socks_greeting_parse(c->p, c->n, &g, &used);

		cr_expect_eq(rc, c->want, "%s: %d (%s)", c->name, rc,
		             socks_parse_name(rc));
		if (rc == SOCKS_OK)
			cr_expect_eq(used, c->used, "%s: used %zu", c->name,
			             used);
	}
}

Test(socks_wire, greeting_methods)
{
	struct socks_greeting g;
	size_t used = 0;

	cr_assert_eq(socks_greeting_parse(B(5, 3, 1, 2, 0x80), &g, &used),
	             SOCKS_OK);
	cr_expect_eq(g.n_methods, 3);
	cr_expect(g.userpass && !g.no_auth);
	cr_assert_eq(socks_greeting_parse(B(5, 1, 0), &g, &used), SOCKS_OK);
	cr_expect(!g.userpass && g.no_auth);
}

/* 255 methods (the longest greeting), every prefix MORE, the whole OK. */
Test(socks_wire, greeting_longest_and_every_prefix)
{
	uint8_t p[SOCKS_GREETING_MAX];
	struct socks_greeting g;
	size_t i, used = 0;

	p[0] = 5;
	p[1] = 255;
	for (i = 2; i < sizeof(p); i++)
		p[i] = (uint8_t)(i == sizeof(p) - 1 ? 2 : 0x80);
	for (i = 0; i < sizeof(p); i++)
		cr_assert_eq(socks_greeting_parse(p, i, &g, &used), SOCKS_MORE,
		             "prefix %zu", i);
	cr_assert_eq(socks_greeting_parse(p, sizeof(p), &g, &used), SOCKS_OK);
	cr_expect_eq(used, SOCKS_GREETING_MAX);
	cr_expect(g.userpass && !g.no_auth);
}

/* ---- username/password ---- */

static const struct wire_case userpasses[] = {
    {"alice:pw", B(1, 5, 'a', 'l', 'i', 'c', 'e', 2, 'p', 'w'), SOCKS_OK, 10},
    {"1-byte each", B(1, 1, 'a', 1, 'b'), SOCKS_OK, 5},
    {"version 5", B(5, 1, 'a', 1, 'b'), SOCKS_E_VERSION, 0},
    {"version 0", B(0), SOCKS_E_VERSION, 0},
    {"ulen 0", B(1, 0, 1, 'b'), SOCKS_E_ULEN, 0},
    {"plen 0", B(1, 1, 'a', 0), SOCKS_E_PLEN, 0},
    {"short user", B(1, 5, 'a', 'l'), SOCKS_MORE, 0},
    {"no plen", B(1, 1, 'a'), SOCKS_MORE, 0},
    {"short pass", B(1, 1, 'a', 3, 'x'), SOCKS_MORE, 0},
};

Test(socks_wire, userpass_table)
{
	size_t i;

	for (i = 0; i < sizeof(userpasses) / sizeof(userpasses[0]); i++) {
		const struct wire_case *c = &userpasses[i];
		struct socks_userpass u;
		size_t used = 0;
		int rc = socks_userpass_parse(c->p, c->n, &u, &used);

		cr_expect_eq(rc, c->want, "%s: %d (%s)", c->name, rc,
		             socks_parse_name(rc));
		if (rc == SOCKS_OK)
			cr_expect_eq(used, c->used, "%s", c->name);
	}
}

Test(socks_wire, userpass_fields_longest_every_prefix)
{
	uint8_t p[SOCKS_USERPASS_MAX];
	struct socks_userpass u;
	size_t i, used = 0;

	p[0] = 1;
	p[1] = 255;
	memset(p + 2, 'u', 255);
	p[257] = 255;
	memset(p + 258, 'p', 255);
	for (i = 0; i < sizeof(p); i++)
		cr_assert_eq(socks_userpass_parse(p, i, &u, &used), SOCKS_MORE,
		             "prefix %zu", i);
	cr_assert_eq(socks_userpass_parse(p, sizeof(p), &u, &used), SOCKS_OK);
	cr_expect_eq(used, SOCKS_USERPASS_MAX);
	cr_expect_eq(u.user_len, 255);
	cr_expect_eq(u.pass_len, 255);
	cr_expect_eq(u.user, p + 2);
	cr_expect_eq(u.pass, p + 258);
	cr_assert_eq(
	    socks_userpass_parse(B(1, 5, 'a', 'l', 'i', 'c', 'e', 2, 'p', 'w'),
	                         &u, &used),
	    SOCKS_OK);
	cr_expect_eq(memcmp(u.user, "alice", 5), 0);
	cr_expect_eq(memcmp(u.pass, "pw", 2), 0);
}

/* ---- request ---- */

static const struct wire_case requests[] = {
    {"connect ipv4", B(5, 1, 0, 1, 198, 18, 2, 10, 0, 80), SOCKS_OK, 10},
    {"connect domain", B(5, 1, 0, 3, 3, 'a', '.', 'b', 1, 187), SOCKS_OK, 10},
    {"connect ipv6",
     B(5, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
       80),
     SOCKS_OK, 22},
    {"bind", B(5, 2, 0, 1, 1, 2, 3, 4, 0, 80), SOCKS_OK, 10},
    {"udp", B(5, 3, 0, 1, 1, 2, 3, 4, 0, 80), SOCKS_OK, 10},
    {"cmd 9 parses (answered 07)", B(5, 9, 0, 1, 1, 2, 3, 4, 0, 80), SOCKS_OK,
     10},
    {"optimistic data behind", B(5, 1, 0, 1, 1, 2, 3, 4, 0, 80, 'G', 'E'),
     SOCKS_OK, 10},
    {"version 4", B(4, 1, 0, 1, 1, 2, 3, 4, 0, 80), SOCKS_E_VERSION, 0},
    {"version 4, 1 byte", B(4), SOCKS_E_VERSION, 0},
    {"rsv 1", B(5, 1, 1, 1, 1, 2, 3, 4, 0, 80), SOCKS_E_RSV, 0},
    {"rsv ff, short", B(5, 1, 0xff), SOCKS_E_RSV, 0},
    {"atyp 0", B(5, 1, 0, 0, 1, 2, 3, 4, 0, 80), SOCKS_E_ATYP, 0},
    {"atyp 2", B(5, 1, 0, 2), SOCKS_E_ATYP, 0},
    {"atyp 5", B(5, 1, 0, 5, 1, 2, 3, 4, 0, 80), SOCKS_E_ATYP, 0},
    {"atyp ff", B(5, 1, 0, 0xff), SOCKS_E_ATYP, 0},
    {"domain len 0", B(5, 1, 0, 3, 0, 0, 80), SOCKS_E_DOMAIN_LEN, 0},
    {"ipv4 no port", B(5, 1, 0, 1, 1, 2, 3, 4), SOCKS_MORE, 0},
    {"ipv4 half port", B(5, 1, 0, 1, 1, 2, 3, 4, 0), SOCKS_MORE, 0},
    {"domain short", B(5, 1, 0, 3, 10, 'a'), SOCKS_MORE, 0},
    {"domain no len", B(5, 1, 0, 3), SOCKS_MORE, 0},
    {"ipv6 short", B(5, 1, 0, 4, 1, 2, 3), SOCKS_MORE, 0},
    {"no atyp", B(5, 1, 0), SOCKS_MORE, 0},
    {"two bytes", B(5, 1), SOCKS_MORE, 0},
};

Test(socks_wire, request_table)
{
	size_t i;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		const struct wire_case *c = &requests[i];
		struct socks_request r;
		size_t used = 0;
		int rc = socks_request_parse(c->p, c->n, &r, &used);

		cr_expect_eq(rc, c->want, "%s: %d (%s)", c->name, rc,
		             socks_parse_name(rc));
		if (rc == SOCKS_OK)
			cr_expect_eq(used, c->used, "%s: used %zu", c->name,
			             used);
	}
}

Test(socks_wire, request_fields)
{
	struct socks_request r;
	size_t used = 0;

	cr_assert_eq(socks_request_parse(
	                 B(5, 1, 0, 1, 198, 18, 2, 10, 0x1f, 0x90), &r, &used),
	             SOCKS_OK);
	cr_expect_eq(r.cmd, SOCKS_CMD_CONNECT);
	cr_expect_eq(r.atyp, SOCKS_ATYP_IPV4);
	cr_expect_eq(r.ip_be, htonl(0xc612020a));
	cr_expect_eq(r.port_be, htons(8080));
	cr_expect_str_eq(r.host, "198.18.2.10");
	cr_expect_eq(r.host_len, strlen("198.18.2.10"));

	cr_assert_eq(socks_request_parse(
	                 B(5, 1, 0, 3, 6, 'o', 'r', 'i', 'g', 'i', 'n', 0, 80),
	                 &r, &used),
	             SOCKS_OK);
	cr_expect_eq(r.atyp, SOCKS_ATYP_DOMAIN);
	cr_expect_str_eq(r.host, "origin");
	cr_expect_eq(r.host_len, 6);
	cr_expect_eq(r.port_be, htons(80));

	cr_assert_eq(
	    socks_request_parse(B(5, 3, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0,
	                          0, 0, 0, 0, 0, 0, 1, 1, 0xbb),
	                        &r, &used),
	    SOCKS_OK);
	cr_expect_eq(r.cmd, SOCKS_CMD_UDP);
	cr_expect_eq(r.atyp, SOCKS_ATYP_IPV6);
	cr_expect_eq(r.ip6[0], 0x20);
	cr_expect_eq(r.ip6[15], 1);
	cr_expect_eq(r.port_be, htons(443));
	cr_expect_eq(r.host_len, 0);
}

/* The longest request (a 255-byte name): every prefix MORE. */
Test(socks_wire, request_longest_every_prefix)
{
	uint8_t p[SOCKS_REQUEST_MAX];
	struct socks_request r;
	size_t i, used = 0;

	p[0] = 5;
	p[1] = 1;
	p[2] = 0;
	p[3] = 3;
	p[4] = 255;
	memset(p + 5, 'a', 255);
	p[260] = 0;
	p[261] = 80;
	for (i = 0; i < sizeof(p); i++)
		cr_assert_eq(socks_request_parse(p, i, &r, &used), SOCKS_MORE,
		             "prefix %zu", i);
	cr_assert_eq(socks_request_parse(p, sizeof(p), &r, &used), SOCKS_OK);
	cr_expect_eq(used, SOCKS_REQUEST_MAX);
	cr_expect_eq(r.host_len, 255);
	cr_expect_eq(strlen(r.host), 255);
	cr_expect(SOCKS_MSG_MAX >= SOCKS_REQUEST_MAX &&
	          SOCKS_MSG_MAX >= SOCKS_GREETING_MAX && SOCKS_MSG_MAX < 600);
}

Test(socks_wire, reply)
{
	uint8_t out[SOCKS_REPLY_LEN];
	static const uint8_t want[] = {5, 0, 0, 1, 198, 18, 3, 1, 0xc3, 0x50};

	cr_assert_eq(socks_reply_write(out, SOCKS_REP_OK, htonl(0xc6120301),
	                               htons(50000)),
	             SOCKS_REPLY_LEN);
	cr_expect_eq(memcmp(out, want, sizeof(want)), 0);
	socks_reply_write(out, SOCKS_REP_ATYP, 0, 0);
	cr_expect_eq(out[1], 8);
	cr_expect_eq(out[3], SOCKS_ATYP_IPV4);
}
