/*
 * libFuzzer harness of lib/http's conditional and range field values
 * (http_cond.h), which clients send: Range, If-None-Match, If-Range's
 * entity-tag.  Input: one control byte, then the text.
 *   byte 0: where the text splits into a list (before) and a tag (after),
 *           as a fraction of its length (byte 0 / 256);
 *   the rest: read as a Range value and as an If-None-Match list against
 *           the tag, each from a heap buffer of exactly its length (ASan
 *           sees any read past it).
 * Checked: a single range has first <= last unless one end is open; an
 * entity-tag matches itself under the weak comparison, and under the
 * strong one exactly when it is not weak; strong equality is symmetric.
 * A broken contract aborts (GH_VERIFY), which libFuzzer reports as a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "http/http_cond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
dup_bytes(const uint8_t *p, size_t n)
{
	char *b = malloc(n > 0 ? n : 1);

	GH_VERIFY(b != NULL);
	if (n > 0)
		memcpy(b, p, n);
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t first = 0, last = 0;
	uint32_t n, cut;
	char *all, *list, *tag;
	bool weak;

	if (size < 1 || size > 4096)
		return 0;
	n = (uint32_t)(size - 1);
	cut = (uint32_t)(((uint64_t)n * data[0]) / 256);
	all = dup_bytes(data + 1, n);
	if (http_range_parse(all, n, &first, &last) == HTTP_RANGE_ONE)
		GH_VERIFY(first == HTTP_RANGE_OPEN || last == HTTP_RANGE_OPEN ||
		          first <= last);
	if (http_etag_valid(all, n, &weak)) {
		GH_VERIFY(http_inm_match(all, n, all, n));
		GH_VERIFY(http_etag_strong_eq(all, n, all, n) == !weak);
	}
	list = dup_bytes(data + 1, cut);
	tag = dup_bytes(data + 1 + cut, n - cut);
	(void)http_inm_match(list, cut, tag, n - cut);
	GH_VERIFY(http_etag_strong_eq(list, cut, tag, n - cut) ==
	          http_etag_strong_eq(tag, n - cut, list, cut));
	free(tag);
	free(list);
	free(all);
	return 0;
}
