/*
 * libFuzzer harness of lib/cache's cache_key_from_url (cache_key.h), what
 * `gatehousectl cache purge URL` feeds the appliance.  Input: one control
 * byte, then the URL.
 *   byte 0: the key buffer's size, 12 + byte0 * 17 (so small buffers too);
 *   the rest: the URL, from a heap buffer of exactly its length (ASan sees
 *           any read past it).
 * Checked: an accepted URL gives a key of at most the buffer's size that
 * starts "GET http://" or "GET ftp://" and then holds only visible ASCII, no
 * upper-case letter
 * in its host, and is a fixed point: the key's URL gives the same key
 * again (so every URL `cache list` shows can be purged as shown).  A
 * refusal has a reason and one of the documented errors.
 * A broken contract aborts (GH_VERIFY), which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_index_types.h"
#include "cache/cache_key.h"
#include "common/gh_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t key[CACHE_KEY_MAX_BYTES + 8], again[CACHE_KEY_MAX_BYTES];
	const char *why = NULL;
	size_t cap, i, h;
	char *url;
	int n, m;

	if (size < 1)
		return 0;
	cap = 12 + (size_t)data[0] * 17;
	url = malloc(size - 1 ? size - 1 : 1);
	GH_VERIFY(url != NULL);
	memcpy(url, data + 1, size - 1);
	n = cache_key_from_url(url, size - 1, key, cap, &why);
	free(url);
	GH_VERIFY(why != NULL || n > 0);
	if (n < 0) {
		GH_VERIFY(n == -EINVAL || n == -EPROTONOSUPPORT ||
		          n == -ENAMETOOLONG);
		return 0;
	}
	GH_VERIFY((size_t)n <= cap && (size_t)n <= CACHE_KEY_MAX_BYTES);
	/* the host starts after the scheme's "://" */
	if (n > 11 && memcmp(key, "GET http://", 11) == 0)
		h = 11;
	else if (n > 10 && memcmp(key, "GET ftp://", 10) == 0)
		h = 10;
	else
		GH_VERIFY(!"a key of another scheme");
	for (i = 4; i < (size_t)n; i++)
		GH_VERIFY(key[i] > 0x20 && key[i] < 0x7f && key[i] != '#');
	for (i = h; i < (size_t)n && key[i] != '/'; i++)
		GH_VERIFY(!(key[i] >= 'A' && key[i] <= 'Z'));
	m = cache_key_from_url((const char *)key + 4, (size_t)n - 4, again,
	                       sizeof(again), &why);
	GH_VERIFY(m == n && memcmp(key, again, (size_t)n) == 0);
	return 0;
}
