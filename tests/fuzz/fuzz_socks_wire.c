/*
 * libFuzzer harness of the SOCKS5 wire format (lib/proxy/socks_wire.c).
 * Input: one control byte, then a message.
 *   byte 0: bits 0-1 pick the parser (greeting, username/password,
 *   request; 3: all three, in turn, on what the previous one left).
 * Each parser reads an exact heap copy: it must answer SOCKS_OK with a
 * length within the input and the message's bound, SOCKS_MORE, or a
 * SOCKS_E_* error; every prefix of a whole message must be SOCKS_MORE;
 * what it filled in must agree with the bytes (lengths, ATYP, the
 * host's NUL).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "proxy/socks_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parser <which> on p[0 .. n): the result, the length in *used. */
static int
parse_one(unsigned which, const uint8_t *p, size_t n, size_t *used)
{
	struct socks_greeting g;
	struct socks_userpass u;
	struct socks_request r;
	int rc;

	switch (which) {
	case 0:
		rc = socks_greeting_parse(p, n, &g, used);
		if (rc == SOCKS_OK)
			GH_VERIFY(*used == 2u + g.n_methods &&
			          *used <= SOCKS_GREETING_MAX);
		return rc;
	case 1:
		rc = socks_userpass_parse(p, n, &u, used);
		if (rc == SOCKS_OK)
			GH_VERIFY(*used == 3u + u.user_len + u.pass_len &&
			          u.user_len > 0 && u.pass_len > 0 &&
			          u.user == p + 2 &&
			          *used <= SOCKS_USERPASS_MAX);
		return rc;
	default:
		rc = socks_request_parse(p, n, &r, used);
		if (rc == SOCKS_OK) {
			GH_VERIFY(*used <= SOCKS_REQUEST_MAX);
			GH_VERIFY(r.atyp == SOCKS_ATYP_IPV4 ||
			          r.atyp == SOCKS_ATYP_DOMAIN ||
			          r.atyp == SOCKS_ATYP_IPV6);
			GH_VERIFY(r.host[r.host_len] == '\0');
			if (r.atyp == SOCKS_ATYP_DOMAIN)
				GH_VERIFY(r.host_len > 0 &&
				          *used == 7u + r.host_len);
		}
		return rc;
	}
}

static void
check(unsigned which, const uint8_t *data, size_t size, size_t *used)
{
	uint8_t *b = malloc(size > 0 ? size : 1);
	size_t i, u2 = 0;
	int rc;

	GH_VERIFY(b != NULL);
	memcpy(b, data, size);
	*used = 0;
	rc = parse_one(which, b, size, used);
	GH_VERIFY(rc == SOCKS_OK || rc == SOCKS_MORE ||
	          (rc <= SOCKS_E_VERSION && rc >= SOCKS_E_PLEN));
	GH_VERIFY(socks_parse_name(rc)[0] != '?');
	if (rc == SOCKS_OK) {
		GH_VERIFY(*used > 0 && *used <= size);
		/* every prefix of a whole message waits for more */
		for (i = 0; i < *used; i++)
			GH_VERIFY(parse_one(which, b, i, &u2) == SOCKS_MORE);
	} else {
		*used = 0;
	}
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used = 0, off = 0;
	unsigned which;

	if (size < 1 || size > 4096)
		return 0;
	which = data[0] & 3u;
	data++;
	size--;
	if (which != 3) {
		check(which, data, size, &used);
		return 0;
	}
	for (which = 0; which < 3 && off <= size; which++) {
		check(which, data + off, size - off, &used);
		if (used == 0)
			break;
		off += used;
	}
	return 0;
}
