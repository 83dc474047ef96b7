/*
 * Checking passwords (see auth.h): auth_check() runs crypt(3) through
 * libcrypt's crypt_rn and compares in constant time; the verifier is the
 * plain pthread that does it for the workers.  Each worker has a pair of
 * single-producer single-consumer rings of fixed slots: jobs from the
 * worker to the thread, answers back.  The thread takes a job only when
 * its answer ring has room, so neither ring ever overflows and a worker
 * that stops reading its answers only stops its own jobs.  The thread
 * polls: 1 ms sleeps while idle, 10 ms after a second of nothing (the
 * first check after a quiet spell waits up to 10 ms more; crypt itself
 * costs more).  Slots are wiped after use: no password stays in memory.
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "common/gh_common.h"

#define AUTH_VERIFIER_MAGIC 0x61757601u
#define AUTH_QUEUES_MAX     64
#define AUTH_CACHE_LINE     64
#define AUTH_IDLE_SHORT_NS  1000000L  /* 1 ms */
#define AUTH_IDLE_LONG_NS   10000000L /* 10 ms */
#define AUTH_IDLE_PASSES    1000      /* short sleeps before long ones */

/* What an unknown user's password is checked against, so that the
 * answer takes as long as for a known one (a yescrypt hash of random
 * bytes nobody knows). */
static const char auth_dummy_hash[] =
    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$5fKzd8BCD1GejpFPQp4xeJYKUa4UvAVsSv5iXCGY"
    "IE7";

/* A single-producer single-consumer ring of <mask> + 1 slots of
 * <esize> bytes; head and tail count up and are taken modulo. */
struct auth_ring {
	uint32_t head __attribute__((aligned(AUTH_CACHE_LINE))); /* producer */
	uint32_t tail __attribute__((aligned(AUTH_CACHE_LINE))); /* consumer */
	uint32_t mask __attribute__((aligned(AUTH_CACHE_LINE)));
	uint32_t esize;
	uint8_t *slots;
};

struct auth_queue {
	struct auth_ring jobs;
	struct auth_ring answers;
};

struct auth_verifier {
	unsigned magic;
	unsigned n_queues;
	bool started;
	int stop; /* __atomic */
	pthread_t thread;
	struct crypt_data *cd; /* the thread's crypt_rn scratch */
	struct auth_queue *q;
};

static int
ring_init(struct auth_ring *r, uint32_t depth, uint32_t esize)
{
	r->head = r->tail = 0;
	r->mask = depth - 1;
	r->esize = esize;
	r->slots = calloc(depth, esize);
	return r->slots != NULL ? 0 : -ENOMEM;
}

/* The slot the producer fills next, or NULL when full. */
static void *
ring_slot_in(struct auth_ring *r)
{
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (r->head - tail > r->mask)
		return NULL;
	return r->slots + (size_t)(r->head & r->mask) * r->esize;
}

static void
ring_commit_in(struct auth_ring *r)
{
	__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
}

/* The slot the consumer reads next, or NULL when empty. */
static void *
ring_slot_out(struct auth_ring *r)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	if (head == r->tail)
		return NULL;
	return r->slots + (size_t)(r->tail & r->mask) * r->esize;
}

static void
ring_commit_out(struct auth_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

/* ---- one check ---- */

/* Equal strings, in time that depends on their lengths only. */
static bool
ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb)
		return false;
	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* auth_check() with the caller's crypt scratch. */
static int
check_with(const struct auth_users *u, const struct auth_cred *c,
           struct crypt_data *cd)
{
	char pass[AUTH_PASS_MAX_BYTES + 1];
	int idx = auth_user_find(u, c->buf, c->user_len);
	const char *hash =
	    idx >= 0 ? auth_user_at(u, (uint32_t)idx)->hash : auth_dummy_hash;
	const char *out;
	bool ok;

	GH_VERIFY(c->pass_len <= AUTH_PASS_MAX_BYTES);
	memcpy(pass, c->buf + c->user_len + 1, c->pass_len);
	pass[c->pass_len] = '\0';
	/* a password with a NUL in it is not the one hashed */
	ok = memchr(pass, '\0', c->pass_len) == NULL;
	out = crypt_rn(pass, hash, cd, (int)sizeof(*cd));
	ok = ok && out != NULL && out[0] != '*' && ct_equal(out, hash);
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(cd->output, sizeof(cd->output));
	return ok && idx >= 0 ? idx : -EACCES;
}

int
auth_check(const struct auth_users *u, const struct auth_cred *c)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	int rc;

	if (cd == NULL)
		return -ENOMEM;
	rc = check_with(u, c, cd);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

/* ---- the verifier ---- */

struct auth_verifier *
auth_verifier_new(unsigned n_queues, uint32_t depth)
{
	struct auth_verifier *v;
	unsigned i;

	if (n_queues == 0 || n_queues > AUTH_QUEUES_MAX || depth < 2 ||
	    depth > 65536 || (depth & (depth - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->magic = AUTH_VERIFIER_MAGIC;
	v->n_queues = n_queues;
	v->cd = calloc(1, sizeof(*v->cd));
	v->q = aligned_alloc(AUTH_CACHE_LINE, n_queues * sizeof(*v->q));
	if (v->cd == NULL || v->q == NULL)
		goto nomem;
	memset(v->q, 0, n_queues * sizeof(*v->q));
	for (i = 0; i < n_queues; i++)
		if (ring_init(&v->q[i].jobs, depth, sizeof(struct auth_job)) <
		        0 ||
		    ring_init(&v->q[i].answers, depth,
		              sizeof(struct auth_answer)) < 0)
			goto nomem;
	return v;
nomem:
	auth_verifier_free(v);
	errno = ENOMEM;
	return NULL;
}

int
auth_verify_submit(struct auth_verifier *v, unsigned q,
                   const struct auth_job *j)
{
	struct auth_job *slot;

	GH_CHECK_OBJ_NOTNULL(v, AUTH_VERIFIER_MAGIC);
	GH_VERIFY(q < v->n_queues && j->users != NULL);
	slot = ring_slot_in(&v->q[q].jobs);
	if (slot == NULL)
		return -ENOBUFS;
	*slot = *j;
	auth_users_get(j->users);
	ring_commit_in(&v->q[q].jobs);
	return 0;
}

unsigned
auth_verify_drain(struct auth_verifier *v, unsigned q, struct auth_answer *out,
                  unsigned n)
{
	struct auth_answer *a;
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(v, AUTH_VERIFIER_MAGIC);
	GH_VERIFY(q < v->n_queues);
	for (i = 0; i < n; i++) {
		a = ring_slot_out(&v->q[q].answers);
		if (a == NULL)
			break;
		out[i] = *a;
		ring_commit_out(&v->q[q].answers);
	}
	return i;
}

/* Checks the next job of queue <q> when its answer has room: 1 or 0. */
static unsigned
run_queue(struct auth_verifier *v, struct auth_queue *q)
{
	struct auth_answer *a = ring_slot_in(&q->answers);
	struct auth_job *j;
	int rc;

	if (a == NULL)
		return 0; /* the worker has not read its answers yet */
	j = ring_slot_out(&q->jobs);
	if (j == NULL)
		return 0;
	rc = check_with(j->users, &j->cred, v->cd);
	*a = (struct auth_answer){.key = j->key,
	                          .users_gen = auth_users_gen(j->users),
	                          .cookie = j->cookie,
	                          .seq = j->seq,
	                          .user_idx = rc >= 0 ? rc : -1};
	auth_users_put(j->users);
	explicit_bzero(j, sizeof(*j));
	ring_commit_out(&q->jobs);
	ring_commit_in(&q->answers);
	return 1;
}

unsigned
auth_verifier_run_once(struct auth_verifier *v)
{
	unsigned i, n = 0;

	GH_CHECK_OBJ_NOTNULL(v, AUTH_VERIFIER_MAGIC);
	for (i = 0; i < v->n_queues; i++)
		n += run_queue(v, &v->q[i]);
	return n;
}

static void *
verifier_main(void *arg)
{
	struct auth_verifier *v = arg;
	unsigned idle = 0;
	struct timespec ts;

	while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
		if (auth_verifier_run_once(v) != 0) {
			idle = 0;
			continue;
		}
		if (idle < AUTH_IDLE_PASSES)
			idle++;
		ts.tv_sec = 0;
		ts.tv_nsec = idle < AUTH_IDLE_PASSES ? AUTH_IDLE_SHORT_NS
		                                     : AUTH_IDLE_LONG_NS;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int
auth_verifier_start(struct auth_verifier *v)
{
	int rc;

	GH_CHECK_OBJ_NOTNULL(v, AUTH_VERIFIER_MAGIC);
	GH_VERIFY(!v->started);
	rc = pthread_create(&v->thread, NULL, verifier_main, v);
	if (rc != 0)
		return -rc;
	v->started = true;
	return 0;
}

void
auth_verifier_free(struct auth_verifier *v)
{
	struct auth_job *j;
	unsigned i;

	if (v == NULL)
		return;
	GH_CHECK_OBJ(v, AUTH_VERIFIER_MAGIC);
	if (v->started) {
		__atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
		pthread_join(v->thread, NULL);
	}
	for (i = 0; v->q != NULL && i < v->n_queues; i++) {
		while (v->q[i].jobs.slots != NULL &&
		       (j = ring_slot_out(&v->q[i].jobs)) != NULL) {
			auth_users_put(j->users);
			explicit_bzero(j, sizeof(*j));
			ring_commit_out(&v->q[i].jobs);
		}
		free(v->q[i].jobs.slots);
		free(v->q[i].answers.slots);
	}
	free(v->q);
	free(v->cd);
	v->magic = 0;
	free(v);
}
