/*
 * The DNS wire format of the stub resolver (RFC 1035 4, RFC 2181, RFC
 * 2308): host name checks, the query message, and the answer parser.
 *
 * The parser trusts nothing: every read is bounds-checked against the
 * message, compressed names follow at most DNS_PTR_MAX pointers and grow
 * to at most DNS_WIRE_MAX bytes (so a pointer loop ends), and a CNAME
 * chain is followed for at most DNS_CNAME_MAX links.  Names are compared
 * in lowercased wire form, so case and compression do not matter.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "dns/dns_priv.h"

static inline uint8_t
dns_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static inline int
dns_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline int
dns_is_label_char(uint8_t c)
{
	return dns_is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static inline uint16_t
dns_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
dns_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
dns_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Strict dotted quad: four parts of 1..3 digits, each 0..255, no leading
 * zero except "0" itself (so "010.1.1.1" is neither octal nor decimal
 * here: it is refused).  Returns 0 and sets *ip_be, or -EINVAL.
 */
static int
dns_literal_parse(const char *s, uint32_t len, uint32_t *ip_be)
{
	uint32_t i, part = 0, val = 0, digits = 0, ip = 0;

	for (i = 0; i <= len; i++) {
		uint8_t c = i < len ? (uint8_t)s[i] : '.';

		if (dns_is_digit(c)) {
			if (digits == 1 && val == 0)
				return -EINVAL; /* leading zero */
			val = val * 10 + (uint32_t)(c - '0');
			if (++digits > 3 || val > 255)
				return -EINVAL;
			continue;
		}
		if (c != '.' || digits == 0 || part == 4)
			return -EINVAL;
		ip = ip << 8 | val;
		part++;
		val = 0;
		digits = 0;
	}
	if (part != 4)
		return -EINVAL;
	*ip_be = rte_cpu_to_be_32(ip);
	return 0;
}

int
dns_name_normalise(const char *name, uint32_t len, char *out, uint32_t *ip_be)
{
	uint32_t i, label = 0;
	int last_numeric = 1;

	if (name == NULL)
		return -EINVAL;
	if (len > 0 && name[len - 1] == '.')
		len--; /* the root: "example.com." is "example.com" */
	if (len == 0 || len > DNS_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)name[i];

		if (c == '.') {
			/* empty label, or one ending with '-' */
			if (label == 0 || name[i - 1] == '-')
				return -EINVAL;
			label = 0;
			last_numeric = 1;
			out[i] = '.';
			continue;
		}
		if (!dns_is_label_char(c))
			return -EINVAL;
		if (label == 0 && c == '-')
			return -EINVAL;
		if (++label > DNS_LABEL_MAX)
			return -EINVAL;
		if (!dns_is_digit(c))
			last_numeric = 0;
		out[i] = (char)dns_lower(c);
	}
	if (name[len - 1] == '-')
		return -EINVAL;
	out[len] = '\0';
	if (last_numeric)
		return dns_literal_parse(name, len, ip_be);
	return (int)len;
}

uint32_t
dns_name_to_wire(const char *name, uint32_t len, uint8_t *wire)
{
	uint32_t i, lab = 0;

	GH_ASSERT(len >= 1 && len <= DNS_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			wire[lab] = (uint8_t)(i - lab);
			lab = i + 1;
		} else {
			wire[i + 1] = (uint8_t)name[i];
		}
	}
	wire[lab] = (uint8_t)(len - lab);
	wire[len + 1] = 0;
	return len + 2;
}

uint32_t
dns_query_write(uint8_t *buf, uint16_t id, const char *name, uint32_t len)
{
	uint32_t n;

	dns_wr16(buf, id);
	dns_wr16(buf + 2, DNS_FLAG_RD);
	dns_wr16(buf + 4, 1); /* QDCOUNT */
	dns_wr16(buf + 6, 0);
	dns_wr16(buf + 8, 0);
	dns_wr16(buf + 10, 0);
	n = DNS_HDR_LEN + dns_name_to_wire(name, len, buf + DNS_HDR_LEN);
	dns_wr16(buf + n, DNS_TYPE_A);
	dns_wr16(buf + n + 2, DNS_CLASS_IN);
	return n + 4;
}

/*
 * Read the name at *off in <msg> (<len> bytes), following compression
 * pointers: its uncompressed wire form, lowercased, goes to <out>
 * (DNS_WIRE_MAX bytes) unless NULL.  *off moves past the name as written
 * there (a pointer ends it).  Returns the wire length or -EPROTO when the
 * name runs out of the message, uses a reserved label type, exceeds
 * DNS_WIRE_MAX bytes or DNS_PTR_MAX pointers (a loop).
 */
static int
dns_name_read(const uint8_t *msg, uint32_t len, uint32_t *off, uint8_t *out)
{
	uint32_t p = *off, n = 0, hops = 0, i, j;
	int jumped = 0;

	/* each turn adds a label to <n> or follows a pointer: bounded */
	for (i = 0; i < DNS_WIRE_MAX + DNS_PTR_MAX + 1; i++) {
		uint8_t c;

		if (p >= len)
			return -EPROTO;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > DNS_PTR_MAX)
				return -EPROTO;
			if (!jumped)
				*off = p + 2;
			jumped = 1;
			p = (uint32_t)(c & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if ((c & 0xc0) != 0) /* 0x40, 0x80: reserved (RFC 6891) */
			return -EPROTO;
		if (n + 1 + c > DNS_WIRE_MAX || p + 1 + c > len)
			return -EPROTO;
		if (out != NULL) {
			out[n] = c;
			for (j = 0; j < c; j++)
				out[n + 1 + j] = dns_lower(msg[p + 1 + j]);
		}
		n += 1u + c;
		if (c == 0) {
			if (!jumped)
				*off = p + 1;
			return (int)n;
		}
		p += 1u + c;
	}
	return -EPROTO;
}

/* The fixed part of a resource record after its owner name. */
struct dns_rr {
	uint16_t type;
	uint16_t class;
	uint32_t ttl_s;
	uint32_t rdata; /* offset */
	uint32_t rdlen;
};

/*
 * Read the record at *off: its owner into <owner> (may be NULL), the
 * fixed fields into <rr>; *off moves past the record.  Returns the owner's
 * wire length or -EPROTO when the record does not fit the message.
 */
static int
dns_rr_read(const uint8_t *msg, uint32_t len, uint32_t *off, uint8_t *owner,
            struct dns_rr *rr)
{
	int n = dns_name_read(msg, len, off, owner);
	uint32_t p = *off;

	if (n < 0 || len - p < 10)
		return -EPROTO;
	rr->type = dns_rd16(msg + p);
	rr->class = dns_rd16(msg + p + 2);
	rr->ttl_s = dns_rd32(msg + p + 4);
	if (rr->ttl_s > INT32_MAX) /* RFC 2181 8: treat as zero */
		rr->ttl_s = 0;
	rr->rdlen = dns_rd16(msg + p + 8);
	rr->rdata = p + 10;
	if (rr->rdlen > len - rr->rdata)
		return -EPROTO;
	*off = rr->rdata + rr->rdlen;
	return n;
}

static inline int
dns_name_eq(const uint8_t *a, int alen, const uint8_t *b, uint32_t blen)
{
	return alen >= 0 && (uint32_t)alen == blen && memcmp(a, b, blen) == 0;
}

/*
 * Walk the answer section (<an> records from <start>) for an A record of
 * the name <qwire>, following CNAMEs whose owner is the name or a target
 * already reached.  One pass suffices when the chain comes in order, as
 * servers write it; further passes (at most DNS_CNAME_MAX) take it in any
 * order.  Returns 1 (found: a->ip_be, a->ttl_s), 0 (no A record), -EPROTO
 * (malformed or a chain too long).  *end is set past the section.
 */
static int
dns_answers_walk(const uint8_t *msg, uint32_t len, uint32_t start, uint16_t an,
                 const uint8_t *qwire, uint32_t qwire_len, struct dns_answer *a,
                 uint32_t *end)
{
	uint8_t cur[DNS_WIRE_MAX], owner[DNS_WIRE_MAX];
	uint32_t cur_len = qwire_len, ttl = UINT32_MAX, links = 0, pass, i;
	int changed = 1;

	memcpy(cur, qwire, qwire_len);
	*end = 0;
	for (pass = 0; pass <= DNS_CNAME_MAX && changed; pass++) {
		uint32_t off = start;

		changed = 0;
		for (i = 0; i < an; i++) {
			struct dns_rr rr;
			int n = dns_rr_read(msg, len, &off, owner, &rr);

			if (n < 0)
				return -EPROTO;
			if (rr.class != DNS_CLASS_IN ||
			    !dns_name_eq(owner, n, cur, cur_len))
				continue;
			if (rr.type == DNS_TYPE_A && rr.rdlen == 4) {
				memcpy(&a->ip_be, msg + rr.rdata, 4);
				a->ttl_s = RTE_MIN(ttl, rr.ttl_s);
				return 1;
			}
			if (rr.type == DNS_TYPE_CNAME) {
				uint32_t t = rr.rdata;
				int tn = dns_name_read(msg, len, &t, cur);

				if (tn < 0 || t > rr.rdata + rr.rdlen)
					return -EPROTO;
				if (++links > DNS_CNAME_MAX)
					return -EPROTO;
				cur_len = (uint32_t)tn;
				ttl = RTE_MIN(ttl, rr.ttl_s);
				changed = 1;
			}
		}
		*end = off;
	}
	return changed ? -EPROTO : 0;
}

/*
 * The negative TTL of RFC 2308 5 from the authority section (<ns>
 * records from <off>): min(SOA TTL, SOA MINIMUM) of the first SOA.
 * Returns 0 (a->has_soa, a->ttl_s set if one was found) or -EPROTO when
 * malformed.
 */
static int
dns_authority_walk(const uint8_t *msg, uint32_t len, uint32_t off, uint16_t ns,
                   struct dns_answer *a)
{
	uint32_t i;

	for (i = 0; i < ns; i++) {
		struct dns_rr rr;
		uint32_t p, rdend;

		if (dns_rr_read(msg, len, &off, NULL, &rr) < 0)
			return -EPROTO;
		if (rr.type != DNS_TYPE_SOA || rr.class != DNS_CLASS_IN)
			continue;
		p = rr.rdata;
		rdend = rr.rdata + rr.rdlen;
		/* MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM */
		if (dns_name_read(msg, len, &p, NULL) < 0 || p > rdend ||
		    dns_name_read(msg, len, &p, NULL) < 0 || p > rdend ||
		    rdend - p < 20)
			return -EPROTO;
		a->has_soa = true;
		a->ttl_s = RTE_MIN(rr.ttl_s, dns_rd32(msg + p + 16));
		return 0;
	}
	return 0;
}

int
dns_answer_parse(const uint8_t *msg, uint32_t len, uint16_t id,
                 const uint8_t *qwire, uint32_t qwire_len, struct dns_answer *a)
{
	uint8_t qn[DNS_WIRE_MAX];
	uint16_t flags, qd, an, ns;
	uint32_t off = DNS_HDR_LEN, end;
	int n, rc;

	memset(a, 0, sizeof(*a));
	if (len < DNS_HDR_LEN || dns_rd16(msg) != id)
		return -EBADMSG;
	flags = dns_rd16(msg + 2);
	if (!(flags & DNS_FLAG_QR) || (flags & DNS_OPCODE_MASK) != 0)
		return -EBADMSG;
	a->rcode = (uint8_t)(flags & DNS_RCODE_MASK);
	qd = dns_rd16(msg + 4);
	an = dns_rd16(msg + 6);
	ns = dns_rd16(msg + 8);
	if (qd == 1) {
		n = dns_name_read(msg, len, &off, qn);
		if (n < 0 || len - off < 4 ||
		    !dns_name_eq(qn, n, qwire, qwire_len) ||
		    dns_rd16(msg + off) != DNS_TYPE_A ||
		    dns_rd16(msg + off + 2) != DNS_CLASS_IN)
			return -EBADMSG;
		off += 4;
	} else if (qd != 0 || a->rcode == DNS_RCODE_OK ||
	           a->rcode == DNS_RCODE_NXDOM) {
		/* only an error (FORMERR, REFUSED...) may omit the question */
		return -EBADMSG;
	}
	if (flags & DNS_FLAG_TC) {
		/* No TCP fallback: an A answer that does not fit 512 bytes is
		 * rare enough that the lookup just fails. */
		a->truncated = true;
		a->status = -EIO;
		return 0;
	}
	if (a->rcode != DNS_RCODE_OK && a->rcode != DNS_RCODE_NXDOM) {
		a->status = -EIO;
		return 0;
	}
	rc = dns_answers_walk(msg, len, off, an, qwire, qwire_len, a, &end);
	if (rc < 0)
		return -EPROTO;
	if (rc > 0 && a->rcode == DNS_RCODE_OK) {
		a->status = 0;
		return 0;
	}
	/* NXDOMAIN, or NOERROR without an A record (NODATA) */
	a->status = -ENOENT;
	a->ip_be = 0;
	a->ttl_s = 0;
	if (rc > 0) {
		/* NXDOMAIN with an A record: the walk stopped early; find the
		 * end of the section without looking at the records */
		uint32_t i;

		end = off;
		for (i = 0; i < an; i++) {
			struct dns_rr rr;

			if (dns_rr_read(msg, len, &end, NULL, &rr) < 0)
				return -EPROTO;
		}
	}
	if (dns_authority_walk(msg, len, end, ns, a) < 0)
		return -EPROTO;
	return 0;
}
