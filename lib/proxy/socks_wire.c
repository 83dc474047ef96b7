/*
 * The SOCKS5 wire format (see socks_wire.h): fields checked in the order
 * they arrive, so a prefix that is already wrong is refused at once
 * rather than waited on, and a prefix that may still become valid says
 * SOCKS_MORE.
 */
#include <stdio.h>
#include <string.h>

#include "socks_wire.h"

int
socks_greeting_parse(const uint8_t *p, size_t n, struct socks_greeting *g,
                     size_t *used)
{
	size_t i, len;

	if (n < 1)
		return SOCKS_MORE;
	if (p[0] != SOCKS_VERSION)
		return SOCKS_E_VERSION;
	if (n < 2)
		return SOCKS_MORE;
	if (p[1] == 0)
		return SOCKS_E_NMETHODS;
	len = 2 + (size_t)p[1];
	if (n < len)
		return SOCKS_MORE;
	memset(g, 0, sizeof(*g));
	g->n_methods = p[1];
	for (i = 2; i < len; i++) {
		if (p[i] == SOCKS_M_NONE)
			g->no_auth = 1;
		else if (p[i] == SOCKS_M_USERPASS)
			g->userpass = 1;
	}
	*used = len;
	return SOCKS_OK;
}

int
socks_userpass_parse(const uint8_t *p, size_t n, struct socks_userpass *u,
                     size_t *used)
{
	size_t ulen, plen;

	if (n < 1)
		return SOCKS_MORE;
	if (p[0] != SOCKS_AUTH_VERSION)
		return SOCKS_E_VERSION;
	if (n < 2)
		return SOCKS_MORE;
	ulen = p[1];
	if (ulen == 0)
		return SOCKS_E_ULEN;
	if (n < 3 + ulen)
		return SOCKS_MORE;
	plen = p[2 + ulen];
	if (plen == 0)
		return SOCKS_E_PLEN;
	if (n < 3 + ulen + plen)
		return SOCKS_MORE;
	u->user = p + 2;
	u->user_len = (uint8_t)ulen;
	u->pass = p + 3 + ulen;
	u->pass_len = (uint8_t)plen;
	*used = 3 + ulen + plen;
	return SOCKS_OK;
}

int
socks_request_parse(const uint8_t *p, size_t n, struct socks_request *r,
                    size_t *used)
{
	size_t alen, off;

	if (n < 1)
		return SOCKS_MORE;
	if (p[0] != SOCKS_VERSION)
		return SOCKS_E_VERSION;
	if (n < 3)
		return SOCKS_MORE;
	if (p[2] != 0)
		return SOCKS_E_RSV;
	if (n < 4)
		return SOCKS_MORE;
	switch (p[3]) {
	case SOCKS_ATYP_IPV4:
		alen = 4;
		off = 4;
		break;
	case SOCKS_ATYP_IPV6:
		alen = 16;
		off = 4;
		break;
	case SOCKS_ATYP_DOMAIN:
		if (n < 5)
			return SOCKS_MORE;
		if (p[4] == 0)
			return SOCKS_E_DOMAIN_LEN;
		alen = p[4];
		off = 5;
		break;
	default:
		return SOCKS_E_ATYP;
	}
	if (n < off + alen + 2)
		return SOCKS_MORE;
	memset(r, 0, sizeof(*r));
	r->cmd = p[1];
	r->atyp = p[3];
	if (r->atyp == SOCKS_ATYP_IPV4) {
		memcpy(&r->ip_be, p + off, 4);
		r->host_len = (uint8_t)snprintf(
		    r->host, sizeof(r->host), "%u.%u.%u.%u", p[off], p[off + 1],
		    p[off + 2], p[off + 3]);
	} else if (r->atyp == SOCKS_ATYP_IPV6) {
		memcpy(r->ip6, p + off, 16);
	} else {
		memcpy(r->host, p + off, alen);
		r->host[alen] = '\0';
		r->host_len = (uint8_t)alen;
	}
	memcpy(&r->port_be, p + off + alen, 2);
	*used = off + alen + 2;
	return SOCKS_OK;
}

size_t
socks_reply_write(uint8_t *out, enum socks_rep rep, uint32_t ip_be,
                  uint16_t port_be)
{
	out[0] = SOCKS_VERSION;
	out[1] = (uint8_t)rep;
	out[2] = 0;
	out[3] = SOCKS_ATYP_IPV4;
	memcpy(out + 4, &ip_be, 4);
	memcpy(out + 8, &port_be, 2);
	return SOCKS_REPLY_LEN;
}

const char *
socks_parse_name(int rc)
{
	switch (rc) {
	case SOCKS_OK:
		return "ok";
	case SOCKS_MORE:
		return "truncated";
	case SOCKS_E_VERSION:
		return "bad version";
	case SOCKS_E_NMETHODS:
		return "no methods";
	case SOCKS_E_RSV:
		return "reserved byte not 0";
	case SOCKS_E_ATYP:
		return "unknown address type";
	case SOCKS_E_DOMAIN_LEN:
		return "empty domain name";
	case SOCKS_E_ULEN:
		return "empty user name";
	case SOCKS_E_PLEN:
		return "empty password";
	default:
		return "?";
	}
}
