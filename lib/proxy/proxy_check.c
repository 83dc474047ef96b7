/*
 * Active health checks (see proxy_check.h).  Each target has at most one
 * check running: a connection from the appliance's address, then for
 * HTTP the request and the first line of the answer.  A check ends with
 * a reset of its connection (no TIME_WAIT on our side, as HAProxy's
 * checks do), whatever it found; its result goes to the report.
 *
 * Time: pchk_run() is the clock.  It walks the targets only when the
 * earliest due time has come (a check to start or one to give up), so a
 * worker with nothing due pays one comparison per call.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include <jemalloc/jemalloc.h>

#include "common/gh_common.h"
#include "proxy/proxy_check.h"
#include "tcp/tcp.h"

#define PCHK_MAGIC        0x70636b01u
#define PCHK_TARGET_MAGIC 0x70636b02u

enum pchk_phase {
	PH_IDLE = 0,    /* waiting for its next start */
	PH_CONNECT = 1, /* SYN sent */
	PH_REPLY = 2,   /* HTTP: the request sent, reading the status line */
};

struct pchk_one {
	unsigned magic;
	uint8_t phase; /* enum pchk_phase */
	uint8_t last;  /* enum pchk_result, read by any thread */
	unsigned idx;  /* in pc->t */
	struct pchk_ctx *pc;
	struct pchk_target t; /* request points into req[] */
	struct tcp_conn *conn;
	uint64_t next_ms; /* PH_IDLE: when it starts; else its deadline */
	uint32_t rx_len;
	char rx[PCHK_REPLY_MAX];
	char req[PCHK_REQUEST_MAX];
};

struct pchk_ctx {
	unsigned magic;
	struct tcp_stack *tcp;
	struct rte_mempool *pool;
	pchk_report_fn report;
	void *report_arg;
	uint64_t now_ms; /* the last pchk_run()'s */
	uint64_t due_ms; /* no target is due before it */
	unsigned n;
	struct pchk_counters cnt;
	struct pchk_one t[];
};

/* The argument of a finished check's connection: callbacks ignored. */
static unsigned pchk_orphan;

static const struct stats_counter_desc pchk_descs[] = {
    PCHK_COUNTERS(STATS_DESC)};
const struct stats_group_desc pchk_counters_desc = {"health", pchk_descs,
                                                    GH_ARRAY_SIZE(pchk_descs)};
_Static_assert(sizeof(struct pchk_counters) ==
                   GH_ARRAY_SIZE(pchk_descs) * sizeof(uint64_t),
               "health counters and descriptors out of step");

static const char *const result_names[] = {
    [PCHK_NONE] = "none",
    [PCHK_OK] = "ok",
    [PCHK_REFUSED] = "refused",
    [PCHK_TIMEOUT] = "timeout",
    [PCHK_RESET] = "reset",
    [PCHK_UNREACHABLE] = "unreachable",
    [PCHK_STATUS] = "status",
    [PCHK_BAD_REPLY] = "bad-reply",
    [PCHK_NO_CONN] = "no-connection",
};

const char *
pchk_result_name(enum pchk_result r)
{
	if ((unsigned)r >= GH_ARRAY_SIZE(result_names))
		return "?";
	return result_names[r];
}

static void
count(struct pchk_counters *c, enum pchk_result r)
{
	switch (r) {
	case PCHK_OK:
		c->passed++;
		break;
	case PCHK_REFUSED:
		c->failed_refused++;
		break;
	case PCHK_TIMEOUT:
		c->failed_timeout++;
		break;
	case PCHK_RESET:
		c->failed_reset++;
		break;
	case PCHK_UNREACHABLE:
		c->failed_unreachable++;
		break;
	case PCHK_STATUS:
		c->failed_status++;
		break;
	case PCHK_BAD_REPLY:
		c->failed_reply++;
		break;
	case PCHK_NO_CONN:
		c->no_conn++;
		break;
	case PCHK_NONE:
		break;
	}
}

/* The check of <o> is over with <r>: its connection reset (when it has
 * one), its next start set, the report called. */
static void
check_end(struct pchk_one *o, enum pchk_result r)
{
	struct pchk_ctx *pc = o->pc;
	struct tcp_conn *c = o->conn;

	o->conn = NULL;
	o->phase = PH_IDLE;
	o->rx_len = 0;
	if (c != NULL) {
		tcp_conn_set_arg(c, &pchk_orphan);
		tcp_abort(c);
	}
	__atomic_store_n(&o->last, (uint8_t)r, __ATOMIC_RELAXED);
	count(&pc->cnt, r);
	if (o->next_ms < pc->due_ms)
		pc->due_ms = o->next_ms;
	pc->report(pc->report_arg, o->idx, r, pc->now_ms);
}

/* The status line in o->rx[0 .. n) (no line end): its verdict. */
static enum pchk_result
status_verdict(const struct pchk_one *o, uint32_t n)
{
	const char *p = o->rx;
	unsigned st;

	/* HTTP-version SP 3DIGIT (RFC 9112 4) */
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ')
		return PCHK_BAD_REPLY;
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' '))
		return PCHK_BAD_REPLY;
	st = (unsigned)(p[9] - '0') * 100 + (unsigned)(p[10] - '0') * 10 +
	     (unsigned)(p[11] - '0');
	return st == o->t.expect_status ? PCHK_OK : PCHK_STATUS;
}

static void
on_connected(void *arg, struct tcp_conn *c)
{
	struct pchk_one *o = arg;
	struct rte_mbuf *m;
	char *dst;

	(void)c;
	if (arg == &pchk_orphan)
		return;
	GH_CHECK_OBJ(o, PCHK_TARGET_MAGIC);
	if (o->t.kind == PCHK_TCP) {
		check_end(o, PCHK_OK);
		return;
	}
	m = rte_pktmbuf_alloc(o->pc->pool);
	dst = m != NULL ? rte_pktmbuf_append(m, (uint16_t)o->t.request_len)
	                : NULL;
	if (dst == NULL) {
		rte_pktmbuf_free(m);
		check_end(o, PCHK_NO_CONN);
		return;
	}
	memcpy(dst, o->t.request, o->t.request_len);
	if (tcp_send(o->conn, m) < 0) { /* a fresh connection takes 1 KiB */
		rte_pktmbuf_free(m);
		check_end(o, PCHK_NO_CONN);
		return;
	}
	o->phase = PH_REPLY;
}

static void
on_data(void *arg, struct tcp_conn *c, struct rte_mbuf *m)
{
	struct pchk_one *o = arg;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t i, from, k;
	const char *p;

	if (arg == &pchk_orphan) {
		rte_pktmbuf_free(m);
		return;
	}
	GH_CHECK_OBJ(o, PCHK_TARGET_MAGIC);
	tcp_recved(c, len);
	from = o->rx_len;
	k = len < PCHK_REPLY_MAX - from ? len : PCHK_REPLY_MAX - from;
	p = rte_pktmbuf_read(m, 0, k, o->rx + from); /* across segments */
	if (p != NULL && p != o->rx + from)
		memcpy(o->rx + from, p, k);
	o->rx_len += k;
	rte_pktmbuf_free(m);
	if (o->phase != PH_REPLY) { /* bytes before our request went */
		check_end(o, PCHK_BAD_REPLY);
		return;
	}
	for (i = from; i < o->rx_len; i++) {
		if (o->rx[i] == '\n') {
			uint32_t n = i > 0 && o->rx[i - 1] == '\r' ? i - 1 : i;

			check_end(o, status_verdict(o, n));
			return;
		}
	}
	if (o->rx_len == PCHK_REPLY_MAX)
		check_end(o, PCHK_BAD_REPLY);
}

static void
on_writable(void *arg, struct tcp_conn *c)
{
	(void)arg;
	(void)c;
}

static void
on_peer_fin(void *arg, struct tcp_conn *c)
{
	struct pchk_one *o = arg;

	(void)c;
	if (arg == &pchk_orphan)
		return;
	GH_CHECK_OBJ(o, PCHK_TARGET_MAGIC);
	check_end(o, o->phase == PH_REPLY && o->rx_len > 0 ? PCHK_BAD_REPLY
	                                                   : PCHK_RESET);
}

static void
on_close(void *arg, struct tcp_conn *c, enum tcp_close_reason why)
{
	struct pchk_one *o = arg;
	enum pchk_result r;

	(void)c;
	if (arg == &pchk_orphan)
		return;
	GH_CHECK_OBJ(o, PCHK_TARGET_MAGIC);
	if (why == TCP_CLOSE_STACK_STOP) { /* the worker stops: no verdict */
		o->conn = NULL;
		o->phase = PH_IDLE;
		return;
	}
	switch (why) {
	case TCP_CLOSE_REFUSED:
		r = PCHK_REFUSED;
		break;
	case TCP_CLOSE_CONNECT_TIMEOUT:
	case TCP_CLOSE_TIMEOUT:
		r = PCHK_TIMEOUT;
		break;
	case TCP_CLOSE_UNREACHABLE:
		r = PCHK_UNREACHABLE;
		break;
	default:
		r = PCHK_RESET;
		break;
	}
	o->conn = NULL; /* gone: nothing to reset */
	check_end(o, r);
}

static const struct tcp_callbacks pchk_cb = {
    .on_connected = on_connected,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_peer_fin = on_peer_fin,
    .on_close = on_close,
};

static void
check_start(struct pchk_one *o)
{
	struct pchk_ctx *pc = o->pc;
	int rc;

	pc->cnt.checks++;
	/* intervals from start to start, never two at once */
	o->next_ms = pc->now_ms + o->t.interval_ms;
	o->rx_len = 0;
	rc = tcp_connect(pc->tcp, o->t.port_idx, o->t.local_ip_be, o->t.ip_be,
	                 o->t.port_be, TCP_CC_CUBIC, &pchk_cb, o, &o->conn);
	if (rc < 0) {
		o->conn = NULL;
		check_end(o, PCHK_NO_CONN);
		return;
	}
	o->phase = PH_CONNECT;
}

unsigned
pchk_run(struct pchk_ctx *pc, uint64_t now_ms)
{
	unsigned i, n = 0;
	uint64_t due = UINT64_MAX;

	GH_CHECK_OBJ(pc, PCHK_MAGIC);
	pc->now_ms = now_ms;
	if (now_ms < pc->due_ms)
		return 0;
	for (i = 0; i < pc->n; i++) {
		struct pchk_one *o = &pc->t[i];
		uint64_t at;

		if (o->phase == PH_IDLE && now_ms >= o->next_ms) {
			check_start(o);
			n++;
		} else if (o->phase != PH_IDLE &&
		           now_ms >= o->next_ms - o->t.interval_ms +
		                         o->t.timeout_ms) {
			check_end(o, PCHK_TIMEOUT);
			n++;
		}
		/* what is due next: a start, or a running check's deadline */
		at = o->phase == PH_IDLE
		         ? o->next_ms
		         : o->next_ms - o->t.interval_ms + o->t.timeout_ms;
		if (at < due)
			due = at;
	}
	pc->due_ms = due;
	return n;
}

static bool
target_ok(const struct pchk_target *t)
{
	if (t->interval_ms == 0 || t->timeout_ms == 0 || t->port_be == 0)
		return false;
	if (t->kind == PCHK_TCP)
		return true;
	return t->kind == PCHK_HTTP && t->expect_status >= 100 &&
	       t->expect_status <= 599 && t->request != NULL &&
	       t->request_len > 0 && t->request_len <= PCHK_REQUEST_MAX;
}

struct pchk_ctx *
pchk_create(struct tcp_stack *tcp, struct rte_mempool *pool,
            const struct pchk_target *t, unsigned n, pchk_report_fn report,
            void *report_arg, uint64_t now_ms)
{
	struct pchk_ctx *pc;
	unsigned i;

	if (tcp == NULL || pool == NULL || t == NULL || report == NULL ||
	    n == 0 || n > PCHK_TARGETS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!target_ok(&t[i])) {
			errno = EINVAL;
			return NULL;
		}
	}
	pc = calloc(1, sizeof(*pc) + n * sizeof(pc->t[0]));
	if (pc == NULL)
		return NULL;
	pc->magic = PCHK_MAGIC;
	pc->tcp = tcp;
	pc->pool = pool;
	pc->report = report;
	pc->report_arg = report_arg;
	pc->now_ms = now_ms;
	pc->due_ms = now_ms;
	pc->n = n;
	for (i = 0; i < n; i++) {
		struct pchk_one *o = &pc->t[i];

		o->magic = PCHK_TARGET_MAGIC;
		o->idx = i;
		o->pc = pc;
		o->t = t[i];
		if (t[i].kind == PCHK_HTTP) {
			memcpy(o->req, t[i].request, t[i].request_len);
			o->t.request = o->req;
		}
		/* the first checks spread over the interval: n servers of
		 * one pool are not all asked in the same ms */
		o->next_ms = now_ms + (uint64_t)t[i].interval_ms * i / n;
	}
	return pc;
}

void
pchk_destroy(struct pchk_ctx *pc)
{
	unsigned i;

	if (pc == NULL)
		return;
	GH_CHECK_OBJ(pc, PCHK_MAGIC);
	for (i = 0; i < pc->n; i++) {
		struct tcp_conn *c = pc->t[i].conn;

		pc->t[i].conn = NULL;
		if (c != NULL) {
			tcp_conn_set_arg(c, &pchk_orphan);
			tcp_abort(c);
		}
		pc->t[i].magic = 0;
	}
	pc->magic = 0;
	free(pc);
}

enum pchk_result
pchk_last(const struct pchk_ctx *pc, unsigned i)
{
	GH_VERIFY(i < pc->n);
	return (enum pchk_result)__atomic_load_n(&pc->t[i].last,
	                                         __ATOMIC_RELAXED);
}

const struct pchk_counters *
pchk_counters(const struct pchk_ctx *pc)
{
	return &pc->cnt;
}
