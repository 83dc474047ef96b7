/*
 * Regexes of url_regex and header elements: PCRE2 (Perl syntax), compiled
 * once on the control thread and JIT-compiled when the platform allows
 * (else PCRE2's interpreter runs the same pattern).  A match is bounded by
 * ACL_REGEX_MATCH_LIMIT and ACL_REGEX_DEPTH_LIMIT, so no URL can make a
 * check backtrack without end; hitting a limit is an error the check turns
 * into a deny.  The match data lives in a per-thread acl_scratch, since
 * PCRE2 writes into it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl_priv.h"

int
acl_rx_compile(const char *pat, size_t len, bool icase, pcre2_code **out,
               struct acl_err *err)
{
	int ecode;
	PCRE2_SIZE eoff;
	uint32_t opts = PCRE2_NEVER_BACKSLASH_C | (icase ? PCRE2_CASELESS : 0);
	pcre2_code *code =
	    pcre2_compile((PCRE2_SPTR)pat, len, opts, &ecode, &eoff, NULL);

	if (code == NULL) {
		PCRE2_UCHAR msg[96];
		char tail[128];

		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		snprintf(tail, sizeof(tail), ": %s at offset %zu",
		         (const char *)msg, (size_t)eoff);
		return acl_errf(err, -EINVAL, "bad regex", pat, len, tail);
	}
	/* No JIT (a platform without it, or W^X refusals): the interpreter. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	*out = code;
	return 0;
}

int
acl_rx_match(const struct acl_set *s, const pcre2_code *code, const char *subj,
             size_t len, struct acl_scratch *sc)
{
	if (sc == NULL)
		return -EINVAL;
	int rc = pcre2_match(code, (PCRE2_SPTR)(subj != NULL ? subj : ""), len,
	                     0, 0, sc->md, s->mctx);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -EAGAIN;
}

struct acl_scratch *
acl_scratch_new(void)
{
	struct acl_scratch *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		goto nomem;
	sc->md = pcre2_match_data_create(1, NULL);
	if (sc->md == NULL)
		goto nomem;
	return sc;
nomem:
	free(sc);
	errno = ENOMEM;
	return NULL;
}

void
acl_scratch_free(struct acl_scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	free(sc);
}
