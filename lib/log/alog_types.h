/*
 * Types of lib/log (see alog.h).
 */
#ifndef GH_ALOG_TYPES_H
#define GH_ALOG_TYPES_H

#include <stdint.h>

#define ALOG_URL_MAX    512 /* bytes kept of the URL, with its NUL */
#define ALOG_METHOD_MAX 16
#define ALOG_CTYPE_MAX  64
#define ALOG_HDR_MAX    192  /* Referer, User-Agent */
#define ALOG_USER_MAX   65   /* an authenticated user name, with its NUL */
#define ALOG_PEER_MAX   66   /* "pool/server", with its NUL */
#define ALOG_LINE_MAX   2560 /* a formatted line with its '\n' and NUL */

#define ALOG_RING_SLOTS_MAX (1u << 20) /* 1 GiB of records */

struct alog_ring; /* opaque */

enum alog_fmt {
	ALOG_FMT_SQUID = 0,    /* Squid's native access.log */
	ALOG_FMT_COMBINED = 1, /* NCSA combined (Apache, nginx) */
	ALOG_FMT_JSON = 2,     /* one JSON object per line */
};

/* What Squid calls the result code: how the request was handled. */
enum alog_result {
	ALOG_NONE = 0,       /* "NONE": no answer was produced */
	ALOG_TCP_MISS = 1,   /* fetched from the origin */
	ALOG_TCP_TUNNEL = 2, /* CONNECT */
	ALOG_TCP_DENIED = 3, /* refused by policy (403) */
	ALOG_TCP_HIT = 4,    /* served from the cache (a tier on disk, later) */
	ALOG_TAG_NONE = 5,   /* "TAG_NONE": bad request, answered by us */
	ALOG_TCP_MEM_HIT = 6, /* served from the cache's memory */
	/* stale, validated with the origin: 304, served from the cache */
	ALOG_TCP_REFRESH_UNMODIFIED = 7,
	/* stale, validated: the origin sent a new response */
	ALOG_TCP_REFRESH_MODIFIED = 8,
	/* validation failed (5xx, no answer): the stale one served
	 * (stale-if-error) */
	ALOG_TCP_REFRESH_FAIL_OLD = 9,
	/* validation failed: the error passed on */
	ALOG_TCP_REFRESH_FAIL_ERR = 10,
	/* the client's If-None-Match answered 304 from the cache */
	ALOG_TCP_INM_HIT = 11,
	/* the client's If-Modified-Since answered 304 from the cache */
	ALOG_TCP_IMS_HIT = 12,
	/* stale, served at once while a validation runs in the background
	 * (stale-while-revalidate; Squid 2.7's TCP_STALE_HIT) */
	ALOG_TCP_STALE_HIT = 13,
};

/* Squid's hierarchy code. */
enum alog_hier {
	ALOG_HIER_NONE = 0,   /* HIER_NONE/- */
	ALOG_HIER_DIRECT = 1, /* HIER_DIRECT/<server> */
	ALOG_HIER_PARENT = 2, /* FIRST_UP_PARENT/<pool>/<server>: a reverse
	                         listener's backend (peer names it) */
};

struct alog_record {
	uint64_t time_us;    /* end of the transaction, Unix microseconds */
	uint32_t elapsed_ms; /* from the first request byte to the end */
	uint32_t client_ip_be;
	uint16_t client_port_be;
	uint16_t status;          /* sent to the client; 0: none */
	uint32_t server_ip_be;    /* origin, 0: none */
	uint64_t bytes_to_client; /* head and body, as Squid counts */
	uint64_t bytes_from_client;
	uint8_t result;        /* enum alog_result */
	uint8_t hier;          /* enum alog_hier */
	uint8_t version_minor; /* HTTP/1.x of the request */
	uint8_t pad;
	/* Which access rule decided (issue 13): the config line of the
	 * http-access rule, 0 if none; <acl_tag> a static string naming a
	 * decision that is no written rule ("default", "implicit:allow-src",
	 * "builtin:loopback", ...; see alog_acl_token), or NULL. */
	uint32_t acl_line;
	const char *acl_tag;
	char method[ALOG_METHOD_MAX];
	char url[ALOG_URL_MAX];     /* absolute URL, or host:port (CONNECT) */
	char ctype[ALOG_CTYPE_MAX]; /* response Content-Type, "" none */
	char referer[ALOG_HDR_MAX];
	char user_agent[ALOG_HDR_MAX];
	/* the user whose credentials were verified, "" none (never the
	 * password, never a name that did not verify) */
	char user[ALOG_USER_MAX];
	/* ALOG_HIER_PARENT: "pool/server", the names of the configuration
	 * (never the server's address: operators read names) */
	char peer[ALOG_PEER_MAX];
};

/* TSC -> wall clock, per worker. */
struct alog_clock {
	uint64_t base_tsc;
	uint64_t base_us;
	uint64_t tsc_hz;
	/* 10^6 / tsc_hz as an integer part and a 0.64 fixed-point fraction */
	uint64_t us_per_tsc_int;
	uint64_t us_per_tsc_frac;
};

#endif /* GH_ALOG_TYPES_H */
