/*
 * See cache_test_util.h.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "cache_test_util.h"

static void
parse(struct http_msg *msg, const char *raw, bool request)
{
	struct http_limits lim;
	int rc;

	http_limits_default(&lim);
	lim.max_header_bytes = 1u << 20;
	lim.max_headers = HTTP_HEADERS_MAX;
	http_msg_init(msg, request, HTTP_M_GET);
	rc = http_parse_head(msg, raw, (uint32_t)strlen(raw), &lim);
	cr_assert_eq(rc, HTTP_OK, "lib/http refused the head (%s): %s",
	             msg->error != NULL ? msg->error : "?", raw);
}

void
ct_parse_req(struct http_msg *msg, const char *raw)
{
	parse(msg, raw, true);
}

void
ct_parse_resp(struct http_msg *msg, const char *raw)
{
	parse(msg, raw, false);
}
