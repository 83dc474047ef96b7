/*
 * Helpers of the lib/cache suites: parse a request or response head
 * written as a string with lib/http, as the cache will see it.
 */
#ifndef GH_CACHE_TEST_UTIL_H
#define GH_CACHE_TEST_UTIL_H

#include "http/http.h"

/* Parse <raw> (a whole head, CRLFs included) into <msg>; the test fails
 * unless lib/http accepts it.  <raw> must outlive <msg>'s use. */
void ct_parse_req(struct http_msg *msg, const char *raw);
void ct_parse_resp(struct http_msg *msg, const char *raw);

/* "Sun, 06 Nov 1994 08:49:37 GMT": the RFC 9110 example date */
#define CT_T0 784111777

#endif /* GH_CACHE_TEST_UTIL_H */
