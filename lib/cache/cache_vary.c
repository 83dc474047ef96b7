/*
 * Vary (RFC 9111 4.1): does a stored response, selected by the fields its
 * Vary names, fit a new request?
 *
 * The selecting fields of two requests match when one can be turned into
 * the other by adding or removing whitespace where the syntax allows it,
 * by combining field lines (RFC 9110 5.3), or by a normalisation known to
 * keep the meaning.  We do the first two and no more: each request's lines
 * of the field are read as one list, empty elements and the OWS around
 * elements are dropped, and the elements must be equal byte for byte, in
 * order (a comma inside a quoted-string is not a separator).  Values are
 * not case-folded nor reordered: a field whose values differ only that way
 * is a miss, never a wrong hit.  A field absent from one request matches
 * only a field absent from the other.
 *
 * Cost: at most CACHE_VARY_NAMES_MAX names, each one walk over both
 * requests' headers; a Vary with more names never matches.
 */
#include <errno.h>
#include <string.h>

#include "cache/cache_policy.h"
#include "cache/cache_priv.h"
#include "common/gh_common.h"
#include "http/http.h"

/* The elements of every line of one field of a request, in order. */
struct field_iter {
	const struct http_msg *msg;
	const char *buf;
	const char *name;
	uint32_t name_len;
	unsigned next_hdr; /* the header to look at after the current one */
	int cur;           /* the current header, or -1 */
	uint32_t pos;      /* in the current header's value */
	bool present;      /* a line of the field was seen */
};

static void
iter_init(struct field_iter *it, const struct http_msg *msg, const char *buf,
          const char *name, uint32_t name_len)
{
	memset(it, 0, sizeof(*it));
	it->msg = msg;
	it->buf = buf;
	it->name = name;
	it->name_len = name_len;
	it->cur = -1;
}

/* The next element: true and *p, *len; false after the last.  Each call
 * moves forward through the headers or within a value. */
static bool
iter_next(struct field_iter *it, const char **p, uint32_t *len)
{
	while (it->cur >= 0 || it->next_hdr < it->msg->n_headers) {
		if (it->cur >= 0) {
			const struct http_header *h = &it->msg->hdr[it->cur];
			const char *v = it->buf + h->value.off;
			uint32_t off;

			if (cache_list_next(v, h->value.len, &it->pos, &off,
			                    len)) {
				GH_VERIFY(off + *len <= h->value.len);
				*p = v + off;
				return true;
			}
			it->cur = -1;
			continue;
		}
		for (; it->next_hdr < it->msg->n_headers; it->next_hdr++) {
			const struct http_header *h =
			    &it->msg->hdr[it->next_hdr];

			if (cache_span_eq_nocase(it->buf + h->name.off,
			                         h->name.len, it->name,
			                         it->name_len))
				break;
		}
		if (it->next_hdr < it->msg->n_headers) {
			it->cur = (int)it->next_hdr++;
			it->pos = 0;
			it->present = true;
		}
	}
	return false;
}

/* Field <name> of <a> and of <b> match (see the top of this file). */
static bool
field_match(const struct http_msg *a, const char *abuf,
            const struct http_msg *b, const char *bbuf, const char *name,
            uint32_t name_len)
{
	struct field_iter ia, ib;
	const char *pa, *pb;
	uint32_t la, lb;

	iter_init(&ia, a, abuf, name, name_len);
	iter_init(&ib, b, bbuf, name, name_len);
	for (;;) {
		bool more_a = iter_next(&ia, &pa, &la);
		bool more_b = iter_next(&ib, &pb, &lb);

		if (more_a != more_b)
			return false;
		if (!more_a)
			return ia.present == ib.present;
		if (la != lb || memcmp(pa, pb, la) != 0)
			return false;
	}
}

bool
cache_vary_usable(const struct http_msg *msg, const char *buf)
{
	unsigned names = 0, i;

	for (i = 0; i < msg->n_headers; i++) {
		const struct http_header *h = &msg->hdr[i];
		const char *v = buf + h->value.off;
		uint32_t pos = 0, off, len;

		if (!cache_eq_nocase(buf + h->name.off, h->name.len, "vary"))
			continue;
		while (cache_list_next(v, h->value.len, &pos, &off, &len)) {
			if (!cache_is_token(v + off, len) ||
			    (len == 1 && v[off] == '*'))
				return false;
			if (++names > CACHE_VARY_NAMES_MAX)
				return false;
		}
	}
	return true;
}

bool
cache_vary_match(const struct http_msg *resp, const char *resp_buf,
                 const struct http_msg *sreq, const char *sreq_buf,
                 const struct http_msg *nreq, const char *nreq_buf)
{
	unsigned i;

	if (!cache_vary_usable(resp, resp_buf))
		return false;
	for (i = 0; i < resp->n_headers; i++) {
		const struct http_header *h = &resp->hdr[i];
		const char *v = resp_buf + h->value.off;
		uint32_t pos = 0, off, len;

		if (!cache_eq_nocase(resp_buf + h->name.off, h->name.len,
		                     "vary"))
			continue;
		/* usable: at most CACHE_VARY_NAMES_MAX names, all tokens */
		while (cache_list_next(v, h->value.len, &pos, &off, &len))
			if (!field_match(sreq, sreq_buf, nreq, nreq_buf,
			                 v + off, len))
				return false;
	}
	return true;
}

/* The element p[0 .. len) ends inside a quoted-string (cache_list_next's
 * rules: a backslash inside quotes takes the next byte). */
static bool
quote_unterminated(const char *p, uint32_t len)
{
	bool quoted = false;
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (quoted && p[i] == '\\' && i + 1 < len)
			i++;
		else if (p[i] == '"')
			quoted = !quoted;
	}
	return quoted;
}

int
cache_list_join(const char *v, uint32_t len, char *out, uint32_t cap)
{
	uint32_t pos = 0, off, elen, n = 0;

	while (cache_list_next(v, len, &pos, &off, &elen)) {
		/* it would run into the next element once joined: two
		 * different lists could give one string */
		if (quote_unterminated(v + off, elen))
			return -EINVAL;
		if (elen + (n > 0 ? 1u : 0u) > cap - n)
			return -ENOSPC;
		if (n > 0)
			out[n++] = ',';
		memcpy(out + n, v + off, elen);
		n += elen;
	}
	return (int)n;
}

/* <name> of <len> bytes, lower case, is among the '\n'-ended names of
 * out[0 .. n). */
static bool
name_listed(const char *out, uint32_t n, const char *name, uint32_t len)
{
	uint32_t i = 0;

	while (i < n) {
		const char *e = memchr(out + i, '\n', n - i);
		uint32_t l = (uint32_t)(e - (out + i));

		GH_VERIFY(e != NULL);
		if (cache_span_eq_nocase(out + i, l, name, len))
			return true;
		i += l + 1;
	}
	return false;
}

int
cache_vary_names(const struct http_msg *resp, const char *buf, char *out,
                 uint32_t cap)
{
	uint32_t n = 0, i, k;

	if (!cache_vary_usable(resp, buf))
		return -EINVAL;
	for (i = 0; i < resp->n_headers; i++) {
		const struct http_header *h = &resp->hdr[i];
		const char *v = buf + h->value.off;
		uint32_t pos = 0, off, len;

		if (!cache_eq_nocase(buf + h->name.off, h->name.len, "vary"))
			continue;
		/* usable: at most CACHE_VARY_NAMES_MAX names, all tokens */
		while (cache_list_next(v, h->value.len, &pos, &off, &len)) {
			if (name_listed(out, n, v + off, len))
				continue;
			if (len + 1 > cap - n)
				return -ENOSPC;
			for (k = 0; k < len; k++) {
				char c = v[off + k];

				out[n++] = (c >= 'A' && c <= 'Z')
				               ? (char)(c - 'A' + 'a')
				               : c;
			}
			out[n++] = '\n';
		}
	}
	return (int)n;
}
