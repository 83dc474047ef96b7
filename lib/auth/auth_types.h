/*
 * lib/auth's types: the users table an htpasswd file becomes, a decoded
 * Basic credential, the verification cache's answer, and what goes to and
 * comes back from the verifier thread.  Kept apart from auth.h so that
 * lib/conf and lib/proxy can hold them without the API (HAProxy's -t.h
 * rule).  Every bound an attacker or an operator could push is here.
 */
#ifndef GH_AUTH_TYPES_H
#define GH_AUTH_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A user name and a password as a client may send them (RFC 7617 puts
 * no bound: ours refuse longer ones, never truncate them). */
#define AUTH_USER_MAX_BYTES 64
#define AUTH_PASS_MAX_BYTES 128
/* The decoded "user:pass", and the base64 text that can hold it. */
#define AUTH_CRED_MAX_BYTES (AUTH_USER_MAX_BYTES + 1 + AUTH_PASS_MAX_BYTES)
#define AUTH_B64_MAX_BYTES  (((AUTH_CRED_MAX_BYTES + 2) / 3) * 4)
/* A crypt(3) hash as stored (bcrypt 60, yescrypt ~73, sha512-crypt ~106
 * plus "rounds=N$"). */
#define AUTH_HASH_MAX_BYTES 192
/* Bounds of the files. */
#define AUTH_USERS_MAX       (1u << 20)
#define AUTH_GROUPS_MAX      4096
#define AUTH_USER_GROUPS_MAX 32 /* == ACL_REQ_GROUPS_MAX */
#define AUTH_GROUP_MAX_BYTES 63
#define AUTH_FILE_MAX_BYTES  (64u << 20)
#define AUTH_LINE_MAX_BYTES  4095u

/* A name that need not end in NUL (a user's, a group's). */
struct auth_name {
	const char *p;
	uint32_t len;
};

/* One line of the users file, with the groups the groups file gives it
 * (its own list of names that live in the table). */
struct auth_user {
	struct auth_name name;
	const char *hash; /* NUL-terminated crypt(3) string */
	uint32_t n_groups;
	struct auth_name *groups; /* n_groups of them, NULL when 0 */
};

struct auth_users; /* opaque: the table (auth.h) */

/* A Basic credential as decoded from Proxy-Authorization. */
struct auth_cred {
	uint32_t user_len;
	uint32_t pass_len;
	/* "user:pass" decoded; the user is buf[0 .. user_len), the password
	 * buf[user_len + 1 .. user_len + 1 + pass_len) */
	char buf[AUTH_CRED_MAX_BYTES];
};

/* What the verification cache knows of a credential. */
enum auth_cache_result {
	AUTH_CACHE_MISS = 0, /* nothing (or expired, or another table) */
	AUTH_CACHE_OK = 1,   /* verified: the user index is set */
	AUTH_CACHE_BAD = 2,  /* refused recently (unknown user, bad pass) */
};

struct auth_cache;    /* opaque: one worker's (auth.h) */
struct auth_verifier; /* opaque: the verifier thread and its queues */

/* A credential to check, as a worker hands it to the verifier. */
struct auth_job {
	struct auth_users *users; /* a reference auth_verify_submit takes */
	uint64_t key;             /* the cache key of the credential */
	uint64_t cookie;          /* the worker's, returned as is */
	uint32_t seq;             /* the worker's, returned as is */
	struct auth_cred cred;
};

/* The verdict on a job, as a worker reads it back. */
struct auth_answer {
	uint64_t key;
	uint64_t users_gen; /* the table it was checked against */
	uint64_t cookie;
	uint32_t seq;
	int32_t user_idx; /* >= 0: verified; -1: refused */
};

#endif /* GH_AUTH_TYPES_H */
