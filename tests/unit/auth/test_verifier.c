/*
 * lib/auth's verifier: jobs in, answers out, per worker queue; a full
 * queue refuses at once; the thread itself; references on the table.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth_test_util.h"

TestSuite(auth_verifier);

static struct auth_job
job_of(struct auth_users *u, const char *user, const char *pass, uint32_t seq)
{
	struct auth_job j = {
	    .users = u, .key = 1000 + seq, .cookie = 77, .seq = seq};

	j.cred = cred_of(user, pass);
	return j;
}

Test(auth_verifier, answers_in_order_per_queue)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u =
	    users_of("alice:" FIX_SHA256 "\nbob:" FIX_SHA256 "\n", NULL, err);
	struct auth_verifier *v = auth_verifier_new(2, 4);
	struct auth_answer a[8];
	struct auth_job j;

	cr_assert_not_null(u, "%s", err);
	cr_assert_not_null(v);
	j = job_of(u, "bob", FIX_PASS, 1);
	cr_assert_eq(auth_verify_submit(v, 1, &j), 0);
	j = job_of(u, "alice", "nope", 2);
	cr_assert_eq(auth_verify_submit(v, 1, &j), 0);
	j = job_of(u, "alice", FIX_PASS, 3);
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	cr_assert_eq(auth_verify_drain(v, 1, a, 8), 0);
	/* one job per queue per pass */
	cr_assert_eq(auth_verifier_run_once(v), 2);
	cr_assert_eq(auth_verifier_run_once(v), 1);
	cr_assert_eq(auth_verifier_run_once(v), 0);
	cr_assert_eq(auth_verify_drain(v, 1, a, 8), 2);
	cr_assert_eq(a[0].seq, 1);
	cr_assert_eq(a[0].user_idx, 1); /* bob */
	cr_assert_eq(a[0].key, 1001);
	cr_assert_eq(a[0].cookie, 77);
	cr_assert_eq(a[0].users_gen, auth_users_gen(u));
	cr_assert_eq(a[1].seq, 2);
	cr_assert_eq(a[1].user_idx, -1);
	cr_assert_eq(auth_verify_drain(v, 0, a, 8), 1);
	cr_assert_eq(a[0].user_idx, 0); /* alice */
	auth_verifier_free(v);
	auth_users_put(u);
}

Test(auth_verifier, full_queue_refuses_and_unread_answers_hold_jobs)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u = users_of("a:" FIX_SHA256 "\n", NULL, err);
	struct auth_verifier *v = auth_verifier_new(1, 2);
	struct auth_answer a[4];
	struct auth_job j = job_of(u, "a", FIX_PASS, 1);

	cr_assert_not_null(v);
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	cr_assert_eq(auth_verify_submit(v, 0, &j), -ENOBUFS);
	cr_assert_eq(auth_verifier_run_once(v), 1);
	cr_assert_eq(auth_verifier_run_once(v), 1);
	/* two answers unread fill the answer ring: the next job waits */
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	cr_assert_eq(auth_verifier_run_once(v), 0);
	cr_assert_eq(auth_verify_drain(v, 0, a, 1), 1);
	cr_assert_eq(auth_verifier_run_once(v), 1);
	cr_assert_eq(auth_verify_drain(v, 0, a, 4), 2);
	auth_verifier_free(v);
	auth_users_put(u);
}

/* A job holds a reference: the table outlives its snapshot's put. */
Test(auth_verifier, a_job_keeps_its_table)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u = users_of("a:" FIX_SHA256 "\n", NULL, err);
	struct auth_verifier *v = auth_verifier_new(1, 4);
	struct auth_job j = job_of(u, "a", FIX_PASS, 1);
	struct auth_answer a;

	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	auth_users_put(u); /* the snapshot retired */
	cr_assert_eq(auth_verifier_run_once(v), 1);
	cr_assert_eq(auth_verify_drain(v, 0, &a, 1), 1);
	cr_assert_eq(a.user_idx, 0);
	/* the other job's reference is dropped with the verifier (ASan
	 * and LSan see a leak or a use after free otherwise) */
	auth_verifier_free(v);
}

Test(auth_verifier, the_thread_answers)
{
	char err[AUTH_TEST_ERR_MAX];
	struct auth_users *u = users_of("a:" FIX_YESCRYPT "\n", NULL, err);
	struct auth_verifier *v = auth_verifier_new(1, 4);
	struct auth_job j = job_of(u, "a", FIX_PASS, 9);
	struct timespec ts = {0, 10000000};
	struct auth_answer a;
	int i;

	cr_assert_eq(auth_verifier_start(v), 0);
	cr_assert_eq(auth_verify_submit(v, 0, &j), 0);
	for (i = 0; i < 1000 && auth_verify_drain(v, 0, &a, 1) == 0; i++)
		nanosleep(&ts, NULL);
	cr_assert_lt(i, 1000, "no answer in 10 s");
	cr_assert_eq(a.seq, 9);
	cr_assert_eq(a.user_idx, 0);
	auth_verifier_free(v);
	auth_users_put(u);
}

Test(auth_verifier, bad_sizes)
{
	cr_assert_null(auth_verifier_new(0, 4));
	cr_assert_null(auth_verifier_new(1, 3));
	cr_assert_null(auth_verifier_new(1, 1));
	cr_assert_eq(errno, EINVAL);
	auth_verifier_free(NULL);
}
