/*
 * The access-log writer thread (see logger.h).  It is the only consumer of
 * the workers' alog rings and the only user of the log file descriptor;
 * the control thread talks to it through a mutex and two condition
 * variables (stop, reopen) and reads its counters with relaxed atomics.
 * Records a pass drains are formatted into one 64 KiB buffer that is
 * written out when full and at the end of every pass, so a quiet proxy's
 * lines reach the file within about 20 ms and a busy one's in large
 * writes.  No DPDK call is made here: this is a plain pthread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/gh_common.h"
#include "log/alog.h"
#include "logger.h"

#define LOGGER_MAGIC      0x6c6f6767u /* "logg" */
#define LOGGER_BUF_BYTES  (64 * 1024)
#define LOGGER_BURST      64   /* records peeked at a time */
#define LOGGER_IDLE_MS    20   /* sleep between passes when not busy */
#define LOGGER_REOPEN_MS  2000 /* logger_reopen() waits this long */
#define LOGGER_FINAL_PASS 64   /* bound of the drain in logger_stop() */
#define LOGGER_MSG_MAX    256

struct logger {
	unsigned magic;
	enum alog_fmt fmt;
	char path[PATH_MAX];
	unsigned n_rings;
	struct alog_ring **rings; /* the caller's rings; we only consume */
	pthread_t thread;

	/* Control thread <-> logger thread, all under mu. */
	pthread_mutex_t mu;
	pthread_cond_t wake;     /* to the thread: stop or reopen asked */
	pthread_cond_t reopened; /* from the thread: reopen_done moved */
	bool stop;
	uint64_t reopen_asked;
	uint64_t reopen_done;
	int reopen_rc;
	char reopen_msg[LOGGER_MSG_MAX];

	/* Written by the thread only, read by anyone (relaxed). */
	uint64_t lines;
	uint64_t write_errors;
	uint64_t bytes;
	uint64_t reopens;
	uint64_t reopen_errors;

	/* The thread's own (the caller's until the thread starts). */
	int fd;
	size_t buf_len;
	uint64_t buf_lines;
	char buf[LOGGER_BUF_BYTES];
};

/* Create the folders above <path> that are missing (mkdir -p of its
 * dirname, mode 0750).  Errors are left to the open() that follows. */
static void
logger_mkdir_parents(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(dir, 0750);
		*p = '/';
	}
	(void)mkdir(dir, 0750);
}

/* Open the log file.  Returns the fd, or -errno with a message in <err>. */
static int
logger_open(const char *path, char *err, size_t errlen)
{
	int fd;

	logger_mkdir_parents(path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		int rc = -errno;

		snprintf(err, errlen, "access log %s: %s", path,
		         strerror(errno));
		return rc;
	}
	return fd;
}

/* Write the buffer out, across partial writes and EINTR.  A failed write
 * loses the rest of the batch and counts one write error. */
static void
logger_flush(struct logger *lg)
{
	const char *p = lg->buf;
	size_t left = lg->buf_len;

	while (left > 0) {
		ssize_t n = write(lg->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			__atomic_store_n(&lg->write_errors,
			                 lg->write_errors + 1,
			                 __ATOMIC_RELAXED);
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (left == 0 && lg->buf_lines > 0)
		__atomic_store_n(&lg->lines, lg->lines + lg->buf_lines,
		                 __ATOMIC_RELAXED);
	__atomic_store_n(&lg->bytes, lg->bytes + (lg->buf_len - left),
	                 __ATOMIC_RELAXED);
	lg->buf_len = 0;
	lg->buf_lines = 0;
}

/*
 * One pass over every ring: drain at most one ring's size from each (so a
 * busy worker cannot starve the others' rings), format, write.  Returns
 * true when some ring delivered at least half its size, i.e. it fills
 * fast enough that the next pass should not wait.
 */
static bool
logger_drain(struct logger *lg)
{
	const struct alog_record *recs[LOGGER_BURST];
	bool busy = false;
	unsigned i;

	for (i = 0; i < lg->n_rings; i++) {
		struct alog_ring *r = lg->rings[i];
		uint32_t slots = alog_ring_slots(r), done = 0, n, k;

		while (done < slots) {
			n = alog_ring_peek(r, recs, LOGGER_BURST);
			if (n == 0)
				break;
			for (k = 0; k < n; k++) {
				size_t len;

				if (sizeof(lg->buf) - lg->buf_len <
				    ALOG_LINE_MAX)
					logger_flush(lg);
				len = alog_format(
				    recs[k],
				    __atomic_load_n(&lg->fmt, __ATOMIC_RELAXED),
				    lg->buf + lg->buf_len, ALOG_LINE_MAX);
				/* 0 cannot happen: a line always fits
				 * ALOG_LINE_MAX (alog.h). */
				GH_ASSERT(len > 0);
				lg->buf_len += len;
				lg->buf_lines += len > 0;
			}
			alog_ring_release(r, n);
			done += n;
		}
		if (done >= slots / 2)
			busy = true;
	}
	logger_flush(lg);
	return busy;
}

/* The thread's side of logger_reopen(). */
static void
logger_do_reopen(struct logger *lg, uint64_t ticket)
{
	char msg[LOGGER_MSG_MAX] = "";
	int fd, rc = 0;

	/* Lines formatted before the request belong to the old file. */
	logger_flush(lg);
	fd = logger_open(lg->path, msg, sizeof(msg));
	__atomic_store_n(&lg->reopens, lg->reopens + 1, __ATOMIC_RELAXED);
	if (fd < 0) {
		rc = fd; /* keep writing to the old file */
		__atomic_store_n(&lg->reopen_errors, lg->reopen_errors + 1,
		                 __ATOMIC_RELAXED);
	} else {
		close(lg->fd);
		lg->fd = fd;
	}
	pthread_mutex_lock(&lg->mu);
	lg->reopen_rc = rc;
	snprintf(lg->reopen_msg, sizeof(lg->reopen_msg), "%s", msg);
	lg->reopen_done = ticket;
	pthread_cond_broadcast(&lg->reopened);
	pthread_mutex_unlock(&lg->mu);
}

/* now + <ms> on CLOCK_MONOTONIC, the clock of both condition variables. */
static struct timespec
logger_deadline(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void *
logger_main(void *arg)
{
	struct logger *lg = arg;
	unsigned pass;

	GH_CHECK_OBJ_NOTNULL(lg, LOGGER_MAGIC);
	for (;;) {
		bool busy = logger_drain(lg);
		uint64_t ticket;
		bool stop;

		pthread_mutex_lock(&lg->mu);
		if (!busy && !lg->stop && lg->reopen_asked == lg->reopen_done) {
			struct timespec until = logger_deadline(LOGGER_IDLE_MS);

			pthread_cond_timedwait(&lg->wake, &lg->mu, &until);
		}
		ticket = lg->reopen_asked;
		stop = lg->stop;
		pthread_mutex_unlock(&lg->mu);
		if (ticket != lg->reopen_done)
			logger_do_reopen(lg, ticket);
		if (stop)
			break;
	}
	/* The workers are stopped: what is left in the rings is all there
	 * will be.  Bounded, in case one is not. */
	for (pass = 0; pass < LOGGER_FINAL_PASS; pass++)
		if (!logger_drain(lg))
			break;
	return NULL;
}

struct logger *
logger_start(const char *path, enum alog_fmt fmt,
             struct alog_ring *const *rings, unsigned n_rings, char *err,
             size_t errlen)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	struct logger *lg;
	bool ca_ok = false;
	unsigned i;
	int rc;

	if (path == NULL || path[0] == '\0' || strlen(path) >= PATH_MAX ||
	    strcmp(alog_fmt_name(fmt), "?") == 0 ||
	    (n_rings > 0 && rings == NULL)) {
		snprintf(err, errlen, "access log: bad path, format or rings");
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n_rings; i++) {
		if (rings[i] == NULL) {
			snprintf(err, errlen, "access log: ring %u missing", i);
			errno = EINVAL;
			return NULL;
		}
	}
	lg = calloc(1, sizeof(*lg));
	if (lg == NULL) {
		snprintf(err, errlen, "access log: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	lg->fd = -1;
	lg->fmt = fmt;
	snprintf(lg->path, sizeof(lg->path), "%s", path);
	lg->n_rings = n_rings;
	if (n_rings > 0) {
		lg->rings = calloc(n_rings, sizeof(*lg->rings));
		if (lg->rings == NULL) {
			rc = -ENOMEM;
			snprintf(err, errlen, "access log: out of memory");
			goto out_free;
		}
		memcpy(lg->rings, rings, n_rings * sizeof(*lg->rings));
	}
	rc = logger_open(path, err, errlen);
	if (rc < 0)
		goto out_free;
	lg->fd = rc;

	rc = -pthread_condattr_init(&ca);
	if (rc == 0) {
		ca_ok = true;
		rc = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	}
	if (rc == 0)
		rc = -pthread_mutex_init(&lg->mu, NULL);
	if (rc == 0)
		rc = -pthread_cond_init(&lg->wake, &ca);
	if (rc == 0)
		rc = -pthread_cond_init(&lg->reopened, &ca);
	if (ca_ok)
		pthread_condattr_destroy(&ca);
	if (rc < 0) {
		snprintf(err, errlen, "access log: %s", strerror(-rc));
		goto out_close;
	}

	lg->magic = LOGGER_MAGIC;
	/* Signals are for the control thread: the new thread inherits a
	 * mask that blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&lg->thread, NULL, logger_main, lg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "access log: thread: %s", strerror(-rc));
		goto out_close;
	}
	(void)pthread_setname_np(lg->thread, "gh-logger");
	return lg;

out_close:
	/* The mutex and conditions need no destroy on Linux when unused. */
	close(lg->fd);
out_free:
	free(lg->rings);
	free(lg);
	errno = -rc;
	return NULL;
}

void
logger_format_set(struct logger *lg, enum alog_fmt fmt)
{
	GH_VERIFY(strcmp(alog_fmt_name(fmt), "?") != 0);
	__atomic_store_n(&lg->fmt, fmt, __ATOMIC_RELAXED);
}

int
logger_reopen(struct logger *lg, char *err, size_t errlen)
{
	struct timespec until = logger_deadline(LOGGER_REOPEN_MS);
	uint64_t ticket;
	int rc = 0;

	GH_CHECK_OBJ_NOTNULL(lg, LOGGER_MAGIC);
	pthread_mutex_lock(&lg->mu);
	ticket = ++lg->reopen_asked;
	pthread_cond_signal(&lg->wake);
	while (lg->reopen_done < ticket && rc == 0)
		rc = pthread_cond_timedwait(&lg->reopened, &lg->mu, &until);
	if (lg->reopen_done >= ticket) {
		rc = lg->reopen_rc;
		if (rc < 0)
			snprintf(err, errlen, "%s", lg->reopen_msg);
	} else {
		rc = -ETIMEDOUT;
		snprintf(err, errlen,
		         "access log %s: not reopened within %d ms", lg->path,
		         LOGGER_REOPEN_MS);
	}
	pthread_mutex_unlock(&lg->mu);
	return rc;
}

void
logger_stop(struct logger *lg)
{
	if (lg == NULL)
		return;
	GH_CHECK_OBJ(lg, LOGGER_MAGIC);
	pthread_mutex_lock(&lg->mu);
	lg->stop = true;
	pthread_cond_signal(&lg->wake);
	pthread_mutex_unlock(&lg->mu);
	GH_AZ(pthread_join(lg->thread, NULL));
	close(lg->fd);
	pthread_cond_destroy(&lg->reopened);
	pthread_cond_destroy(&lg->wake);
	pthread_mutex_destroy(&lg->mu);
	lg->magic = 0;
	free(lg->rings);
	free(lg);
}

void
logger_counters(const struct logger *lg, struct logger_totals *t)
{
	uint64_t sum = 0;
	unsigned i;

	GH_CHECK_OBJ_NOTNULL(lg, LOGGER_MAGIC);
	for (i = 0; i < lg->n_rings; i++)
		sum += alog_ring_dropped(lg->rings[i]);
	t->lines = __atomic_load_n(&lg->lines, __ATOMIC_RELAXED);
	t->dropped = sum;
	t->write_errors = __atomic_load_n(&lg->write_errors, __ATOMIC_RELAXED);
	t->bytes = __atomic_load_n(&lg->bytes, __ATOMIC_RELAXED);
	t->reopens = __atomic_load_n(&lg->reopens, __ATOMIC_RELAXED);
	t->reopen_errors =
	    __atomic_load_n(&lg->reopen_errors, __ATOMIC_RELAXED);
}
