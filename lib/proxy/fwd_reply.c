/*
 * The forward proxy's replies of its own (see fwd_priv.h): a status, a
 * few header lines and a short HTML page naming Gatehouse and the reason,
 * then the client connection closes; and the per-status error counters.
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "common/gh_common.h"
#include "fwd_priv.h"

static void
count_error(struct proxy_counters *cnt, unsigned status)
{
	switch (status) {
	case 400:
	case 408:
		cnt->fwd_err_400++;
		break;
	case 405:
		cnt->fwd_err_405++;
		break;
	case 413:
		cnt->fwd_err_413++;
		break;
	case 414:
		cnt->fwd_err_414++;
		break;
	case 431:
		cnt->fwd_err_431++;
		break;
	case 501:
		cnt->fwd_err_501++;
		break;
	case 503:
		cnt->fwd_err_503++;
		break;
	case 504:
		cnt->fwd_err_504++;
		break;
	case 505:
		cnt->fwd_err_505++;
		break;
	default:
		break;
	}
}

/*
 * Answer the current request ourselves: <status>, the header lines
 * <extra> ("" or lines ending in CRLF), and <n> bytes of <body> (not for
 * HEAD), then close the client (after reading what it still sends for a
 * moment, so the reply is not lost to a reset).  Mid-response, when the
 * client has had a head already, resets both legs instead.
 */
void
fwd_reply(struct fwd_session *s, unsigned status, enum alog_result result,
          const char *extra, const char *body, uint32_t n)
{
	struct fwd_ctx *fc = s->l->fc;
	struct fwd_head_writer w = {.pool = fc->p.pool};
	char line[160];
	struct rte_mbuf *m;

	if (fwd_cache_bg_error(s, status)) /* nobody to answer */
		return;
	if (s->flags & SF_RESP_HEAD) {
		fc->cnt->fwd_aborted++;
		fwd_session_end(s, true);
		return;
	}
	if (s->dw.query != NULL)
		dns_cancel(fc->p.dns, &s->dw);
	rte_pktmbuf_free(s->up_out);
	s->up_out = NULL;
	rte_pktmbuf_free(s->up_in);
	s->up_in = NULL;
	fwd_retry_drop(s);
	fwd_leg_close(&s->up, true);
	/* a validation that failed: the stale object, or the error */
	if (status >= 500 && s->reval != NULL) {
		if (fwd_cache_reval_failed(s, status))
			return;
		result = ALOG_TCP_REFRESH_FAIL_ERR;
	}
	snprintf(line, sizeof(line), "HTTP/1.1 %u %s\r\n", status,
	         http_reason(status));
	fwd_hw_str(&w, line);
	fwd_hw_str(&w, "Server: Gatehouse\r\nConnection: close\r\n");
	fwd_hw_str(&w, extra);
	snprintf(line, sizeof(line), "Content-Length: %u\r\n\r\n", n);
	fwd_hw_str(&w, line);
	if (s->req_method != HTTP_M_HEAD)
		fwd_hw_put(&w, body, n);
	m = fwd_hw_done(&w, fc->cnt);
	if (s->txn != NULL) {
		s->txn->rec.status = (uint16_t)status;
		s->txn->rec.result = (uint8_t)result;
		if (n > 0)
			alog_field_set(s->txn->rec.ctype,
			               sizeof(s->txn->rec.ctype), "text/html",
			               9);
	}
	s->flags |= SF_RESP_HEAD | SF_RESP_DONE | SF_CLOSE_CLI;
	if (m != NULL)
		fwd_cli_queue(s, m);
	fwd_txn_end(s);
	fwd_drain(s, FWD_LINGER_MS);
}

/*
 * Answer the current request with the error <status> and the reason <why>
 * in a short page naming Gatehouse (see fwd_reply()), with the header
 * lines <extra> too.  Counters other than the per-status ones are the
 * caller's.
 */
void
fwd_error_extra(struct fwd_session *s, unsigned status, enum alog_result result,
                const char *why, const char *extra)
{
	char body[FWD_ERR_BODY_MAX];
	char hdrs[512];
	int n;

	count_error(s->l->fc->cnt, status);
	if (result != ALOG_TCP_DENIED && !(s->flags & SF_BG))
		s->l->cnt.errors++;
	n = snprintf(body, sizeof(body),
	             "<html><head><title>%u %s</title></head><body>\n"
	             "<h1>%u %s</h1>\n<p>Gatehouse: %s</p>\n</body></html>\n",
	             status, http_reason(status), status, http_reason(status),
	             why);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)strlen(body);
	snprintf(hdrs, sizeof(hdrs),
	         "Content-Type: text/html; charset=utf-8\r\n"
	         "Cache-Control: no-store\r\n%s%s",
	         status != 405       ? ""
	         : s->l->cfg.reverse ? "Allow: " FWD_REV_ALLOW "\r\n"
	                             : "Allow: " FWD_ALLOW "\r\n",
	         extra);
	fwd_reply(s, status, result, hdrs, body, (uint32_t)n);
}

void
fwd_error(struct fwd_session *s, unsigned status, enum alog_result result,
          const char *why)
{
	fwd_error_extra(s, status, result, why, "");
}
