/*
 * lib/acl's types: element kinds, rule actions, the request a rule set is
 * asked about and the verdict it gives.  Kept apart from acl.h so that
 * lib/conf and lib/proxy can hold these without the API (HAProxy's -t.h
 * rule).  Every limit an attacker or an operator could push is here.
 */
#ifndef GH_ACL_TYPES_H
#define GH_ACL_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Bounds of the configuration side (an element name, one value's text). */
#define ACL_NAME_MAX_BYTES  63
#define ACL_VALUE_MAX_BYTES 1024
#define ACL_RULE_ELEMS_MAX  16
#define ACL_ELEMS_MAX       (1u << 20)
#define ACL_RULES_MAX       (1u << 20)
#define ACL_VALUES_MAX      (1u << 22) /* per element */
/* Bounds of the request side: what a check reads of attacker input. */
#define ACL_HOST_MAX_BYTES 253 /* after the trailing dot is dropped */
/* 253 bytes hold at most 127 labels */
#define ACL_HOST_LABELS_MAX    127
#define ACL_NAME_ARG_MAX_BYTES 64 /* method, scheme: longer never matches */
#define ACL_REQ_GROUPS_MAX     32
#define ACL_ERR_MAX_BYTES      192
/* PCRE2's match limit per regex per check: bounds backtracking. */
#define ACL_REGEX_MATCH_LIMIT 100000u
#define ACL_REGEX_DEPTH_LIMIT 10000u

enum acl_kind {
	ACL_KIND_SRC = 1,    /* client IPv4 CIDR */
	ACL_KIND_DST,        /* connected-to IPv4 CIDR (per A record) */
	ACL_KIND_DSTDOMAIN,  /* host name, exact or .suffix */
	ACL_KIND_PORT,       /* destination port or lo-hi range */
	ACL_KIND_METHOD,     /* request method, case-sensitive */
	ACL_KIND_URL_PREFIX, /* the request URL starts with the value */
	ACL_KIND_URL_REGEX,  /* PCRE2 on the request URL ("-i": no case) */
	ACL_KIND_SCHEME,     /* URL scheme, case-insensitive */
	ACL_KIND_CONNECT,    /* method is CONNECT; takes no value */
	ACL_KIND_USER,       /* authenticated user name */
	ACL_KIND_GROUP,      /* one of the user's groups */
	ACL_KIND_TIME,       /* weekday letters and HH:MM-HH:MM windows */
	ACL_KIND_HEADER,     /* request header NAME matches a PCRE2 regex */
	ACL_KIND_COUNT
};

enum acl_action {
	ACL_DENY = 0,
	ACL_ALLOW = 1,
};

/* Why a verdict is what it is. */
enum acl_reason {
	ACL_R_RULE = 0,    /* rule <rule> matched */
	ACL_R_DEFAULT,     /* no rule matched: deny */
	ACL_R_NEED_DST,    /* a dst element was reached without a dst address */
	ACL_R_BAD_HOST,    /* host over ACL_HOST_MAX_BYTES or labels: deny */
	ACL_R_REGEX_ERROR, /* a regex hit its match limit (or no scratch): deny
	                    */
};

/* Bits of acl_req.flags: which optional fields are filled. */
#define ACL_REQ_DST  0x1u /* dst_ip is the address connected to */
#define ACL_REQ_USER 0x2u /* user (and groups) are authenticated names */

/*
 * Looks up the first value of request header <name> (<name_len> bytes,
 * compared without case): 0 and <*val>/<*val_len> set, or -ENOENT.
 */
typedef int (*acl_header_fn)(const void *ctx, const char *name, size_t name_len,
                             const char **val, size_t *val_len);

/* A byte string that need not end in NUL. */
struct acl_str {
	const char *p;
	size_t len;
};

struct acl_scratch; /* per-thread regex match data (acl_scratch_new) */

/*
 * One request as the rules see it, filled by the caller; nothing in it is
 * kept.  Addresses are in host byte order.  <week_sec> is the local time as
 * seconds since Sunday 00:00 (acl_week_sec() from a struct tm): the library
 * never reads a clock.
 */
struct acl_req {
	uint32_t flags; /* ACL_REQ_* */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t dst_port;
	uint32_t week_sec; /* 0 .. 604799 */
	struct acl_str method;
	struct acl_str scheme;
	struct acl_str host; /* as sent: case and a trailing dot allowed */
	struct acl_str url;
	struct acl_str user;
	const struct acl_str *groups;
	unsigned n_groups; /* at most ACL_REQ_GROUPS_MAX are read */
	acl_header_fn header;
	const void *header_ctx;
	struct acl_scratch *scratch; /* needed when the set has regexes */
};

/* The decision and what made it (for the access log and `acl test`). */
struct acl_verdict {
	enum acl_action action;
	enum acl_reason reason;
	int32_t rule;  /* index of the deciding rule, -1 if none */
	uint32_t line; /* that rule's config line, 0 if none */
};

/* A clear message for the operator when building fails. */
struct acl_err {
	char msg[ACL_ERR_MAX_BYTES];
};

#endif /* GH_ACL_TYPES_H */
