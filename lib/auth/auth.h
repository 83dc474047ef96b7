/*
 * lib/auth: proxy users (issue 13 item 3, reused by SOCKS5 in issue 15).
 *
 * - The users table: an htpasswd file ("user:crypt-hash" lines) and an
 *   optional groups file ("group: user1 user2" lines), read on the control
 *   thread into one immutable, reference-counted table.  lib/conf loads it
 *   into the configuration snapshot, which holds one reference; the
 *   verifier holds one per job in flight, so a reload that retires the
 *   snapshot never frees a table a check still reads.
 * - Basic credentials (RFC 7617): the base64 of Proxy-Authorization,
 *   decoded strictly and bounded.
 * - The verification cache: one per worker, fixed size, keyed by a keyed
 *   SipHash of the whole credential and tagged with the table it was
 *   checked against, positive and (bounded) negative entries with a TTL.
 *   Never allocates after creation, never locks: a worker's own.
 * - The verifier: a plain pthread that runs crypt(3) (milliseconds for
 *   yescrypt and bcrypt), fed by one bounded single-producer queue per
 *   worker and answering on another the worker polls.  A worker never
 *   calls crypt(3).
 *
 * Returns: 0 or a count, or -errno; constructors NULL with errno.
 */
#ifndef GH_AUTH_H
#define GH_AUTH_H

#include "auth/auth_types.h"

/* ---- the users table (auth_users.c): control thread ---- */

/*
 * Parses the users file <text> (<len> bytes, named <name> in messages)
 * and, when <gtext> is not NULL, the groups file <gtext> (<glen> bytes,
 * named <gname>).  Returns the table with one reference, or NULL with
 * errno (EINVAL, ENOMEM, E2BIG) and "<file>:<line>: what is wrong" in
 * <err>.  Refused: a hash of a format other than yescrypt ($y$), bcrypt
 * ($2b$ $2y$ $2a$), sha512-crypt ($6$) or sha256-crypt ($5$), or one
 * libcrypt cannot check (MD5 $1$, Apache's $apr1$, DES and {SHA}
 * included), a user listed twice, a group naming an unknown user.
 */
struct auth_users *auth_users_parse(const char *name, const char *text,
                                    size_t len, const char *gname,
                                    const char *gtext, size_t glen, char *err,
                                    size_t errlen);

/* The same from files (<groups_path> may be NULL); file errors are
 * "<path>: cannot open: ..." */
struct auth_users *auth_users_load(const char *users_path,
                                   const char *groups_path, char *err,
                                   size_t errlen);

/* Another reference (any thread); the table is freed with the last
 * auth_users_put() (NULL is fine). */
void auth_users_get(struct auth_users *u);
void auth_users_put(struct auth_users *u);

/* A number no other table of this process has: what cache entries are
 * tagged with. */
uint64_t auth_users_gen(const struct auth_users *u);

/* Users in the table. */
uint32_t auth_users_count(const struct auth_users *u);

/* The index of user <name> (<len> bytes), or -ENOENT. */
int auth_user_find(const struct auth_users *u, const char *name, size_t len);

/* User <idx> (0 <= idx < auth_users_count). */
const struct auth_user *auth_user_at(const struct auth_users *u, uint32_t idx);

/* ---- credentials (auth_basic.c): any thread ---- */

/*
 * Decodes the value of a Proxy-Authorization (or Authorization) field:
 * "Basic" (any case), one or more spaces, token68 in base64 with its
 * padding (RFC 4648 section 4, no line breaks, no bits after the last
 * character).  Returns 0 and <out> filled; -ENOENT when the scheme is not
 * Basic; -EINVAL for bad base64, no ':' in the decoded text, an empty user
 * or control characters in it (RFC 7617 section 2); -E2BIG when the user
 * or the password is over its bound.
 */
int auth_basic_parse(const char *val, size_t len, struct auth_cred *out);

/* ---- checking a password (auth_verify.c): the verifier thread ---- */

/*
 * Checks <c> against <u>: the user's crypt(3) hash recomputed with its
 * salt (crypt_rn) and compared in constant time.  An unknown user costs
 * one crypt too, on a dummy hash.  Returns the user's index, or -EACCES
 * (unknown user, wrong password), or -ENOMEM.  Costs milliseconds: never
 * on a worker.
 */
int auth_check(const struct auth_users *u, const struct auth_cred *c);

/* ---- the verification cache (auth_cache.c): one worker ---- */

/*
 * A cache of <entries> (rounded up to a power of two, 16 .. 1<<20)
 * credentials, <ok_ttl_ms> for verified ones and <bad_ttl_ms> for refused
 * ones; its SipHash key drawn from getrandom(2).  NULL and errno.
 */
struct auth_cache *auth_cache_new(uint32_t entries, uint32_t ok_ttl_ms,
                                  uint32_t bad_ttl_ms);
void auth_cache_free(struct auth_cache *c);

/* The key of credential <c> in cache <ac> (SipHash of "user:pass"). */
uint64_t auth_cache_key(const struct auth_cache *ac, const struct auth_cred *c);

/*
 * What the cache holds for <key> checked against the table <users_gen>
 * at <now_ms>; with AUTH_CACHE_OK, the user's index in <*user_idx>.
 */
enum auth_cache_result auth_cache_lookup(struct auth_cache *ac, uint64_t key,
                                         uint64_t users_gen, uint64_t now_ms,
                                         uint32_t *user_idx);

/*
 * Records a verdict (<user_idx> >= 0 verified, < 0 refused).  A set holds
 * 4 entries; a refused credential may take at most 2 of them, so a client
 * spraying wrong passwords cannot push verified ones out.
 */
void auth_cache_put(struct auth_cache *ac, uint64_t key, uint64_t users_gen,
                    uint64_t now_ms, int32_t user_idx);

/* ---- the verifier (auth_verify.c) ---- */

/*
 * A verifier with <n_queues> pairs of queues (one per worker) of
 * <depth> jobs each (a power of two, 2 .. 65536).  Not started.  NULL
 * and errno (EINVAL, ENOMEM).
 */
struct auth_verifier *auth_verifier_new(unsigned n_queues, uint32_t depth);

/* Starts its thread: 0 or -errno. */
int auth_verifier_start(struct auth_verifier *v);

/* Stops the thread (waits for the job it is on), then frees everything,
 * dropping the table references of jobs not done.  NULL is fine. */
void auth_verifier_free(struct auth_verifier *v);

/*
 * Worker <q> (the queue's only producer) hands job <j> over (copied; a
 * reference on j->users taken).  Returns 0, or -ENOBUFS when the queue is
 * full (nothing taken: the caller answers at once).
 */
int auth_verify_submit(struct auth_verifier *v, unsigned q,
                       const struct auth_job *j);

/* Worker <q> (the only consumer of its answers) takes up to <n>. */
unsigned auth_verify_drain(struct auth_verifier *v, unsigned q,
                           struct auth_answer *out, unsigned n);

/*
 * One pass of the verifier over every queue, checking at most one job per
 * queue: the jobs done.  The thread runs this in a loop; tests call it
 * directly instead of starting the thread.
 */
unsigned auth_verifier_run_once(struct auth_verifier *v);

#endif /* GH_AUTH_H */
