/*
 * Gatehouse common definitions: the two assert tiers, object magic numbers
 * and the return convention every module follows.
 *
 * Return convention (written once, used everywhere; see docs/architecture.md):
 * 0 means done, as asked; < 0 a failure; > 0 a result or "not yet".
 *  - constructors return a pointer, or NULL and set errno;
 *  - operations return 0 on success or a negative errno value (-EINVAL, ...);
 *  - lookups return 0 (out-parameter filled) or an index >= 0, else a
 *    negative errno value (-ENOENT, ...);
 *  - burst calls return the number of items handled;
 *  - incremental parsers and calls that may finish later return 0 when done,
 *    1 when not yet (more bytes needed, answer pending), < 0 on error
 *    (HTTP_OK / HTTP_AGAIN / HTTP_ERROR in lib/http, whose error is -1 with
 *    the HTTP status in the message; dns_resolve's 0 / 1 / -errno).
 *
 * Asserts: GH_VERIFY is always on and is for invariants whose breach would
 * corrupt data; GH_ASSERT is compiled in only with -Dasserts=true and
 * otherwise type-checks its argument without evaluating it.  Neither is for
 * input validation: bad input is counted and dropped, never asserted.
 */
#ifndef GH_COMMON_H
#define GH_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define GH_LIKELY(x)   __builtin_expect(!!(x), 1)
#define GH_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define GH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Called when a GH_VERIFY fails.  Prints the failed expression with its
 * location to stderr and aborts: a process whose invariants are broken must
 * not go on moving packets.  This is the one place in lib/ that writes to
 * the terminal, because it is the one place that ends the process.
 */
__attribute__((noreturn, cold)) static inline void
gh_verify_failed(const char *expr, const char *file, int line, const char *func)
{
	fprintf(stderr, "%s:%d: %s: GH_VERIFY(%s) failed\n", file, line, func,
	        expr);
	abort();
}

#define GH_VERIFY(exp)                                                        \
	do {                                                                  \
		if (GH_UNLIKELY(!(exp)))                                      \
			gh_verify_failed(#exp, __FILE__, __LINE__, __func__); \
	} while (0)

#ifdef GH_ENABLE_ASSERT
#define GH_ASSERT(exp) GH_VERIFY(exp)
#else
#define GH_ASSERT(exp) ((void)sizeof((exp) ? 1 : 0))
#endif

/* Varnish-style shorthands: not-null / zero. */
#define GH_AN(x) GH_VERIFY((x) != 0)
#define GH_AZ(x) GH_VERIFY((x) == 0)
#define GH_WRONG(why) \
	gh_verify_failed("WRONG: " why, __FILE__, __LINE__, __func__)

/*
 * Magic numbers on long-lived objects (after Varnish miniobj.h): the first
 * member of the struct is `unsigned magic`, set at creation and zeroed when
 * the object is released, and checked where the object is used.
 */
#define GH_CHECK_OBJ(ptr, type_magic) GH_VERIFY((ptr)->magic == (type_magic))
#define GH_CHECK_OBJ_NOTNULL(ptr, type_magic)            \
	do {                                             \
		GH_VERIFY((ptr) != NULL);                \
		GH_VERIFY((ptr)->magic == (type_magic)); \
	} while (0)

#endif /* GH_COMMON_H */
