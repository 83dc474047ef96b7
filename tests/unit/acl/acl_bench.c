/*
 * acl_bench: nanoseconds per acl_check() on one core, for a small office
 * rule set (10 rules), the same 10 rules whose blocklists hold 100,000
 * addresses and 100,000 domains, and 100,000 rules of one element each.
 * Not a test: run it by hand (build/tests/unit/acl/acl_bench [checks]) and
 * see docs/benchmarks.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"

#define N_BIG  100000u
#define N_REQS 1024u

static void
die(const char *what, const struct acl_err *err)
{
	fprintf(stderr, "acl_bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void
add(struct acl_build *b, const char *name, const char *kind, const char *v)
{
	struct acl_err err;

	if (acl_elem_add(b, name, (enum acl_kind)acl_kind_parse(kind), v,
	                 &err) < 0)
		die(name, &err);
}

/* A rule from "allow a !b ..." text. */
static void
rule(struct acl_build *b, uint32_t line, char *text)
{
	const char *names[ACL_RULE_ELEMS_MAX];
	int neg[ACL_RULE_ELEMS_MAX];
	unsigned n = 0;
	char *save = NULL;
	char *w = strtok_r(text, " ", &save);
	enum acl_action a = strcmp(w, "allow") == 0 ? ACL_ALLOW : ACL_DENY;
	struct acl_err err;

	while ((w = strtok_r(NULL, " ", &save)) != NULL && n < 16) {
		neg[n] = w[0] == '!';
		names[n] = w + neg[n];
		n++;
	}
	if (acl_rule_add(b, a, line, names, neg, n, &err) < 0)
		die(text, &err);
}

/* The office set: 10 rules; with <big>, blocklists of 100,000 each. */
static struct acl_set *
office(int big)
{
	struct acl_build *b = acl_build_new();
	char *rules[] = {
	    "deny !safe",      "deny connect !ssl", "deny badsrc",
	    "deny baddom",     "deny inside",       "deny !methods",
	    "allow lan hours", "allow lan staff",   "allow guests web",
	    "deny all",
	};
	char v[64];
	struct acl_err err;

	if (b == NULL)
		die("acl_build_new", NULL);
	add(b, "safe", "port", "80 443 21 70 210 280 488 591 777 1025-65535");
	add(b, "ssl", "port", "443");
	add(b, "connect", "connect", "");
	add(b, "badsrc", "src", "192.0.2.1");
	add(b, "baddom", "dstdomain", ".ads.example badhost.example");
	add(b, "inside", "dst", "127.0.0.0/8 10.0.0.0/8 169.254.0.0/16");
	add(b, "methods", "method", "GET HEAD POST PUT DELETE CONNECT OPTIONS");
	add(b, "lan", "src", "10.0.0.0/8 192.168.0.0/16");
	add(b, "hours", "time", "D 08:00-18:00");
	add(b, "staff", "user", "alice bob carol");
	add(b, "guests", "src", "172.16.0.0/12");
	add(b, "web", "scheme", "http https");
	add(b, "all", "src", "0.0.0.0/0");
	for (uint32_t i = 0; big && i < N_BIG; i++) {
		snprintf(v, sizeof(v), "198.%u.%u.%u", (i >> 16) & 255,
		         (i >> 8) & 255, i & 255);
		add(b, "badsrc", "src", v);
		snprintf(v, sizeof(v), ".tracker%u.example", i);
		add(b, "baddom", "dstdomain", v);
	}
	for (uint32_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char text[64];

		snprintf(text, sizeof(text), "%s", rules[i]);
		rule(b, i + 1, text);
	}
	struct acl_set *s = acl_compile(b, &err);

	if (s == NULL)
		die("compile", &err);
	return s;
}

/*
 * 100,000 rules `deny eN`, one element each: 50,000 /32s, then 50,000
 * domains (a blocklist written one rule per entry), then `allow all`.
 */
static struct acl_set *
many_rules(void)
{
	struct acl_build *b = acl_build_new();
	struct acl_err err;
	char name[32], v[64];

	if (b == NULL)
		die("acl_build_new", NULL);
	for (uint32_t i = 0; i < N_BIG; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		if (i >= N_BIG / 2) {
			snprintf(v, sizeof(v), ".tracker%u.example", i);
			add(b, name, "dstdomain", v);
		} else {
			snprintf(v, sizeof(v), "10.%u.%u.%u", (i >> 16) & 255,
			         (i >> 8) & 255, i & 255);
			add(b, name, "src", v);
		}
		snprintf(v, sizeof(v), "deny %s", name);
		rule(b, i + 1, v);
	}
	add(b, "all", "src", "0.0.0.0/0");
	snprintf(v, sizeof(v), "allow all");
	rule(b, N_BIG + 1, v);
	struct acl_set *s = acl_compile(b, &err);

	if (s == NULL)
		die("compile", &err);
	return s;
}

static char hosts[N_REQS][64];

/* Requests from the LAN, to allowed and blocked hosts, weekday noon. */
static void
reqs_make(struct acl_req *r)
{
	static const char *const users[] = {"alice", "dave"};

	srand(1);
	for (uint32_t i = 0; i < N_REQS; i++) {
		unsigned k = (unsigned)rand();

		snprintf(hosts[i], sizeof(hosts[i]), "%s%u.example",
		         k % 4 == 0 ? "a.tracker" : "www.site", k % N_BIG);
		r[i] = (struct acl_req){
		    .flags = ACL_REQ_DST | ACL_REQ_USER,
		    .src_ip = (10u << 24) | (k & 0xffffffu),
		    .dst_ip = (93u << 24) | (k & 0xffffu),
		    .dst_port = k % 8 ? 80 : 443,
		    .week_sec = 2 * 86400 + 12 * 3600,
		    .method = {"GET", 3},
		    .scheme = {"http", 4},
		    .host = {hosts[i], strlen(hosts[i])},
		    .url = {"http://x/", 9},
		    .user = {users[k % 2], strlen(users[k % 2])},
		};
	}
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per check over <n> checks of the requests in turn. */
static void
measure(const char *what, const struct acl_set *s, const struct acl_req *r,
        unsigned long n)
{
	struct acl_verdict v;
	unsigned long allow = 0;
	double t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		acl_check(s, &r[i % N_REQS], &v);
		allow += v.action == ACL_ALLOW;
	}
	double t1 = now_ns();

	printf("%-44s %7u rules %9.1f ns/check  (%lu checks, %.0f%% allowed)\n",
	       what, acl_set_rules(s), (t1 - t0) / (double)n, n,
	       100.0 * (double)allow / (double)n);
}

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000ul;
	static struct acl_req r[N_REQS];
	struct acl_set *small = office(0), *big = office(1), *many;

	if (n == 0)
		n = 1;
	reqs_make(r);
	measure("office, 10 rules", small, r, n);
	measure("office, 10 rules, 100,000 src + 100,000 dom", big, r, n);
	many = many_rules();
	measure("100,000 rules of one element each", many, r, n);
	acl_set_free(small);
	acl_set_free(big);
	acl_set_free(many);
	return 0;
}
