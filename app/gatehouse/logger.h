/*
 * The access-log writer: one plain pthread ("gh-logger", not an lcore, no
 * DPDK call) that drains every worker's alog ring about every 20 ms (at
 * once while they keep it busy), formats the records and appends them to
 * one file in batches of up to 64 KiB.  It owns the file; the control
 * thread asks it to reopen the file after log rotation.
 *
 * Threading: logger_start/reopen/stop on the control thread (one caller at
 * a time); logger_counters from any thread.  The rings stay the caller's:
 * they must outlive the logger (destroy them after logger_stop()).
 */
#ifndef GH_APP_LOGGER_H
#define GH_APP_LOGGER_H

#include <stddef.h>
#include <stdint.h>

#include "log/alog_types.h"
#include "stats/stats_types.h"

/*
 * The writer's counters, declared once: one set for the process (the
 * thread drains every worker's ring), shown as group "access_log" on every
 * stats surface.  logger_counters() fills them field by field.
 */
/* clang-format off */
#define LOGGER_COUNTERS(X)                                                    \
	X(lines,        "access-log lines written to the file")               \
	X(dropped,      "records lost: a worker's ring was full")             \
	X(write_errors, "failed writes (each loses the batch it carried)")    \
	X(bytes,        "bytes written to the file")                          \
	X(reopens,      "reopens of the file by its path (log reopen)")       \
	X(reopen_errors, "reopens that failed (the old file kept)")
/* clang-format on */

struct logger_totals {
	LOGGER_COUNTERS(STATS_FIELD)
};

struct logger;

/*
 * Open <path> (O_WRONLY | O_APPEND | O_CREAT, mode 0640, creating missing
 * parent folders with mode 0750) and start the thread draining
 * rings[0 .. n_rings), writing lines in <fmt>.  The ring pointers are
 * copied.  Returns the logger, or NULL with errno set and a one-line
 * message in <err>.
 */
struct logger *logger_start(const char *path, enum alog_fmt fmt,
                            struct alog_ring *const *rings, unsigned n_rings,
                            char *err, size_t errlen);

/*
 * Lines formatted from now on are in <fmt> (a reload's format): records
 * still in the rings are not lost, they are written in the new format.
 * Control thread.
 */
void logger_format_set(struct logger *lg, enum alog_fmt fmt);

/*
 * Have the thread write out what it has formatted, then close and reopen
 * the file by its path (after `mv access.log access.log.1`), and wait up
 * to 2 s until it did.  Returns 0, or -errno with a message in <err>: the
 * open's error (the thread then keeps writing to the old file) or
 * -ETIMEDOUT.
 */
int logger_reopen(struct logger *lg, char *err, size_t errlen);

/*
 * Stop the thread after it drained every ring (the workers must be stopped
 * already, or their last records are lost), join it, close the file and
 * free <lg>.  NULL is ignored.
 */
void logger_stop(struct logger *lg);

/*
 * The writer's counters (LOGGER_COUNTERS) into <t>: lines and bytes
 * written to the file, records the workers dropped because their ring was
 * full, failed writes (each loses the batch of lines it carried), reopens
 * and failed reopens.  Safe from any thread.
 */
void logger_counters(const struct logger *lg, struct logger_totals *t);

#endif /* GH_APP_LOGGER_H */
