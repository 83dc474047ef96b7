/*
 * app/gatehouse/logger.c: the access-log writer thread, without the rest
 * of the appliance.  Records go in through real alog rings; the tests read
 * the files back: batching across rings, reopen after a rename (log
 * rotation), a failed reopen that keeps the old file, the final drain in
 * logger_stop(), and the counters.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/alog.h"
#include "logger.h"

TestSuite(logger);

static char dir[64];
static char path[128];

static void
tmp_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gh-logger-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* a missing parent folder the logger creates */
	snprintf(path, sizeof(path), "%s/sub/access.log", dir);
}

static void
tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

static void
push(struct alog_ring *r, const char *url)
{
	struct alog_record *rec = alog_ring_reserve(r);

	cr_assert_not_null(rec);
	alog_record_reset(rec);
	rec->time_us = 1732363200123456ull;
	rec->elapsed_ms = 3;
	rec->status = 200;
	rec->result = ALOG_TCP_MISS;
	rec->version_minor = 1;
	alog_field_set(rec->method, sizeof(rec->method), "GET", 3);
	alog_field_set(rec->url, sizeof(rec->url), url, (uint32_t)strlen(url));
	alog_ring_commit(r);
}

/* The file's contents, NUL-terminated; valid until the next call. */
static const char *
slurp(const char *p)
{
	static char *buf;
	struct stat st;
	size_t got = 0;
	int fd = open(p, O_RDONLY);

	cr_assert_geq(fd, 0, "open %s: %s", p, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	free(buf);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		cr_assert_gt(n, 0);
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return buf;
}

/* The size of file <p>. */
static uint64_t
file_bytes(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "stat %s: %s", p, strerror(errno));
	return (uint64_t)st.st_size;
}

static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Wait up to 5 s until the logger has written <want> lines. */
static void
wait_lines(struct logger *lg, uint64_t want)
{
	struct timespec ms = {0, 1000000};
	struct logger_totals t = {0};
	unsigned i;

	for (i = 0; i < 5000; i++) {
		logger_counters(lg, &t);
		if (t.lines >= want)
			break;
		nanosleep(&ms, NULL);
	}
	cr_assert_eq(t.lines, want);
}

Test(logger, writes_reopens_after_rename_and_drains_on_stop, .init = tmp_setup,
     .fini = tmp_teardown, .timeout = 30)
{
	struct alog_ring *rings[2] = {alog_ring_create(64),
	                              alog_ring_create(64)};
	char err[256] = "", old[160], url[64];
	struct logger_totals t;
	const char *s, *a, *b;
	struct logger *lg;
	struct stat st;
	unsigned i;

	lg = logger_start(path, ALOG_FMT_SQUID, rings, 2, err, sizeof(err));
	cr_assert_not_null(lg, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640 & ~(mode_t)0);
	for (i = 0; i < 10; i++) {
		snprintf(url, sizeof(url), "http://a.test/%u", i);
		push(rings[0], url);
	}
	for (i = 0; i < 5; i++) {
		snprintf(url, sizeof(url), "http://b.test/%u", i);
		push(rings[1], url);
	}
	wait_lines(lg, 15);

	/* mv access.log access.log.1; gatehousectl log reopen */
	snprintf(old, sizeof(old), "%s.1", path);
	cr_assert_eq(rename(path, old), 0);
	cr_assert_eq(logger_reopen(lg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(access(path, F_OK), 0, "reopen created the new file");
	for (i = 0; i < 7; i++) {
		snprintf(url, sizeof(url), "http://c.test/%u", i);
		push(rings[i % 2], url);
	}
	wait_lines(lg, 22);
	logger_counters(lg, &t);
	cr_assert_eq(t.dropped, 0);
	cr_assert_eq(t.write_errors, 0);
	cr_assert_eq(t.reopens, 1);
	cr_assert_eq(t.reopen_errors, 0);
	/* every byte of both files was counted */
	cr_assert_eq(t.bytes, file_bytes(old) + file_bytes(path));
	/* Left in the rings at stop: written by the final drain. */
	push(rings[1], "http://d.test/last");
	logger_stop(lg);

	s = slurp(old);
	cr_assert_eq(count_lines(s), 15, "%s", s);
	cr_assert_null(strstr(s, "c.test"));
	/* Each ring's records in order. */
	a = strstr(s, "http://a.test/0 ");
	b = strstr(s, "http://a.test/9 ");
	cr_assert(a != NULL && b != NULL && a < b, "%s", s);
	cr_assert_not_null(strstr(s, "1732363200.123      3 0.0.0.0 "
	                             "TCP_MISS/200 0 GET http://b.test/4 - "
	                             "HIER_NONE/- - -\n"),
	                   "%s", s);

	s = slurp(path);
	cr_assert_eq(count_lines(s), 8, "%s", s);
	cr_assert_null(strstr(s, "a.test"));
	cr_assert_not_null(strstr(s, "http://c.test/6 "));
	cr_assert_not_null(strstr(s, "http://d.test/last "));
	alog_ring_destroy(rings[0]);
	alog_ring_destroy(rings[1]);
}

Test(logger, failed_reopen_keeps_the_old_file, .init = tmp_setup,
     .fini = tmp_teardown, .timeout = 30)
{
	struct alog_ring *ring = alog_ring_create(16);
	char err[256] = "", old[160];
	struct logger *lg;
	const char *s;

	lg = logger_start(path, ALOG_FMT_JSON, &ring, 1, err, sizeof(err));
	cr_assert_not_null(lg, "%s", err);
	push(ring, "http://a.test/before");
	wait_lines(lg, 1);
	snprintf(old, sizeof(old), "%s.1", path);
	cr_assert_eq(rename(path, old), 0);
	/* A folder where the file should be: open() fails with EISDIR. */
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(logger_reopen(lg, err, sizeof(err)), -EISDIR);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_not_null(strstr(err, "Is a directory"), "%s", err);
	push(ring, "http://a.test/after");
	wait_lines(lg, 2);
	/* Once the folder is gone, the next reopen succeeds. */
	cr_assert_eq(rmdir(path), 0);
	cr_assert_eq(logger_reopen(lg, err, sizeof(err)), 0, "%s", err);
	push(ring, "http://a.test/new");
	logger_stop(lg);

	s = slurp(old);
	cr_assert_eq(count_lines(s), 2, "%s", s);
	cr_assert_not_null(strstr(s, "\"url\":\"http://a.test/before\""));
	cr_assert_not_null(strstr(s, "\"url\":\"http://a.test/after\""));
	s = slurp(path);
	cr_assert_eq(count_lines(s), 1, "%s", s);
	cr_assert_not_null(strstr(s, "{\"time\":\"2024-11-23T12:00:00.123Z\""));
	cr_assert_not_null(strstr(s, "\"url\":\"http://a.test/new\""));
	alog_ring_destroy(ring);
}

Test(logger, counts_drops_of_full_rings, .init = tmp_setup,
     .fini = tmp_teardown, .timeout = 30)
{
	struct alog_ring *rings[2] = {alog_ring_create(4), alog_ring_create(2)};
	struct logger_totals t;
	char err[256] = "";
	struct logger *lg;
	unsigned i;

	/* Filled before the logger runs: 2 + 3 refusals. */
	for (i = 0; i < 4; i++)
		push(rings[0], "http://a.test/");
	cr_assert_null(alog_ring_reserve(rings[0]));
	cr_assert_null(alog_ring_reserve(rings[0]));
	push(rings[1], "http://b.test/");
	push(rings[1], "http://b.test/");
	for (i = 0; i < 3; i++)
		cr_assert_null(alog_ring_reserve(rings[1]));

	lg = logger_start(path, ALOG_FMT_COMBINED, rings, 2, err, sizeof(err));
	cr_assert_not_null(lg, "%s", err);
	wait_lines(lg, 6);
	logger_counters(lg, &t);
	cr_assert_eq(t.dropped, 5);
	cr_assert_eq(t.write_errors, 0);
	logger_stop(lg);
	logger_stop(NULL);
	cr_assert_eq(count_lines(slurp(path)), 6);
	alog_ring_destroy(rings[0]);
	alog_ring_destroy(rings[1]);
}

Test(logger, busy_rings_lose_nothing, .init = tmp_setup, .fini = tmp_teardown,
     .timeout = 60)
{
	struct alog_ring *ring = alog_ring_create(256);
	struct timespec us = {0, 1000};
	uint64_t dropped, refused = 0;
	char err[256] = "";
	struct logger *lg;
	unsigned i;

	lg = logger_start(path, ALOG_FMT_SQUID, &ring, 1, err, sizeof(err));
	cr_assert_not_null(lg, "%s", err);
	/* 20,000 records through 256 slots: several 64 KiB batches. */
	for (i = 0; i < 20000; i++) {
		struct alog_record *rec;

		while ((rec = alog_ring_reserve(ring)) == NULL) {
			refused++;
			nanosleep(&us, NULL);
		}
		alog_record_reset(rec);
		rec->time_us = i;
		alog_ring_commit(ring);
	}
	logger_stop(lg);
	dropped = alog_ring_dropped(ring);
	cr_assert_eq(dropped, refused);
	cr_assert_eq(count_lines(slurp(path)), 20000);
	alog_ring_destroy(ring);
}

Test(logger, start_refuses_bad_arguments, .init = tmp_setup,
     .fini = tmp_teardown)
{
	struct alog_ring *ring = alog_ring_create(4);
	struct alog_ring *none[1] = {NULL};
	char err[256] = "";
	char file_as_dir[160];
	int fd;

	errno = 0;
	cr_assert_null(
	    logger_start("", ALOG_FMT_SQUID, &ring, 1, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(
	    logger_start(path, (enum alog_fmt)9, &ring, 1, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(
	    logger_start(path, ALOG_FMT_SQUID, none, 1, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	/* A parent that is a file. */
	snprintf(file_as_dir, sizeof(file_as_dir), "%s/f", dir);
	fd = open(file_as_dir, O_WRONLY | O_CREAT, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(file_as_dir, sizeof(file_as_dir), "%s/f/access.log", dir);
	errno = 0;
	cr_assert_null(logger_start(file_as_dir, ALOG_FMT_SQUID, &ring, 1, err,
	                            sizeof(err)));
	cr_assert_eq(errno, ENOTDIR);
	cr_assert_not_null(strstr(err, file_as_dir), "%s", err);
	alog_ring_destroy(ring);
}

Test(logger, zero_rings_is_an_idle_logger, .init = tmp_setup,
     .fini = tmp_teardown)
{
	char err[256] = "";
	struct logger *lg;
	struct logger_totals t;

	memset(&t, 0xff, sizeof(t));
	lg = logger_start(path, ALOG_FMT_SQUID, NULL, 0, err, sizeof(err));
	cr_assert_not_null(lg, "%s", err);
	cr_assert_eq(logger_reopen(lg, err, sizeof(err)), 0, "%s", err);
	logger_counters(lg, &t);
	cr_assert_eq(t.lines + t.dropped + t.write_errors + t.bytes, 0);
	cr_assert_eq(t.reopens, 1);
	logger_stop(lg);
}
