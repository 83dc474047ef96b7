/*
 * libFuzzer harness of the resolver's wire format (lib/dns/dns_wire.c).
 * Input: one control byte, then a DNS message.
 *   byte 0: bits 0-1 pick the name asked for (below).
 * The message is parsed as the answer to a query for that name whose ID
 * is the message's own (so the fuzzer gets past the ID check), from an
 * exact heap buffer: the parser must answer 0, -EBADMSG or -EPROTO with a
 * status the resolver knows.  The same bytes are also a host name for
 * dns_name_normalise(): a valid one must normalise to itself again, and
 * the query written for it must parse as "not an answer" (-EBADMSG).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_common.h"
#include "dns/dns_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"www.example.com", "example.com", "a",
                                    "x-1.b_2.example"};

static void
check_answer(const uint8_t *msg, uint32_t len, const char *name)
{
	uint8_t qwire[DNS_WIRE_MAX];
	uint32_t qlen = dns_name_to_wire(name, (uint32_t)strlen(name), qwire);
	uint16_t id = len >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0;
	uint8_t *b = malloc(len > 0 ? len : 1);
	struct dns_answer a;
	int rc;

	GH_VERIFY(b != NULL);
	memcpy(b, msg, len);
	rc = dns_answer_parse(b, len, id, qwire, qlen, &a);
	free(b);
	GH_VERIFY(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
	if (rc != 0)
		return;
	GH_VERIFY(a.status == 0 || a.status == -ENOENT || a.status == -EIO);
	if (a.truncated)
		GH_VERIFY(a.status == -EIO);
	if (a.status != 0)
		GH_VERIFY(a.ip_be == 0);
}

static void
check_name(const uint8_t *p, uint32_t len)
{
	char out[DNS_NAME_MAX + 1], again[DNS_NAME_MAX + 1];
	uint8_t q[DNS_HDR_LEN + DNS_WIRE_MAX + 4], qwire[DNS_WIRE_MAX];
	uint32_t ip = 0, ip2 = 0, qlen, wlen;
	char *b = malloc(len > 0 ? len : 1);
	struct dns_answer a;
	int rc, rc2;

	GH_VERIFY(b != NULL);
	memcpy(b, p, len);
	rc = dns_name_normalise(b, len, out, &ip);
	free(b);
	GH_VERIFY(rc == -EINVAL || (rc >= 0 && rc <= DNS_NAME_MAX));
	if (rc <= 0)
		return;
	GH_VERIFY(out[rc] == '\0' && strlen(out) == (size_t)rc);
	rc2 = dns_name_normalise(out, (uint32_t)rc, again, &ip2);
	GH_VERIFY(rc2 == rc && memcmp(out, again, (size_t)rc + 1) == 0);
	wlen = dns_name_to_wire(out, (uint32_t)rc, qwire);
	GH_VERIFY(wlen == (uint32_t)rc + 2 && wlen <= DNS_WIRE_MAX);
	qlen = dns_query_write(q, 0x1234, out, (uint32_t)rc);
	GH_VERIFY(qlen == DNS_HDR_LEN + (uint32_t)rc + 6);
	GH_VERIFY(dns_answer_parse(q, qlen, 0x1234, qwire, wlen, &a) ==
	          -EBADMSG);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	check_answer(data + 1, (uint32_t)size - 1, names[data[0] & 3]);
	if (size - 1 <= DNS_NAME_MAX + 8)
		check_name(data + 1, (uint32_t)size - 1);
	return 0;
}
