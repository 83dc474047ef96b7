/*
 * Access log: one fixed-size record per finished transaction, written by a
 * worker into its own single-producer single-consumer ring and read by the
 * logger thread, which formats records as Squid's native access.log
 * (default), the NCSA combined format, or one JSON object per line.
 *
 * A worker never waits for the logger: when its ring is full the record is
 * dropped and counted (alog_ring_dropped()).  The ring is lock-free with
 * one producer (the worker) and one consumer (the logger).
 *
 * Time: records carry wall-clock microseconds computed by the worker from
 * its TSC (struct alog_clock), so the worker makes no system call.
 *
 * Threading: alog_ring_reserve/commit by the ring's one worker;
 * alog_ring_peek/release by the logger thread only; alog_format by anyone.
 * Nothing here prints; only alog_ring_create/destroy allocate.
 */
#ifndef GH_ALOG_H
#define GH_ALOG_H

#include <stddef.h>
#include <stdint.h>

#include "log/alog_types.h"

/* Create a ring of <slots> records (a power of two >= 2).  NULL + errno. */
struct alog_ring *alog_ring_create(uint32_t slots);
void alog_ring_destroy(struct alog_ring *r);

/* Producer: a slot to fill, or NULL when the ring is full (the drop is
 * counted).  The slot holds an old record: alog_record_reset() it, fill
 * it, then alog_ring_commit(). */
struct alog_record *alog_ring_reserve(struct alog_ring *r);
void alog_ring_commit(struct alog_ring *r);

/* Consumer: up to <max> committed records, oldest first, in *recs (they
 * stay valid until alog_ring_release()); returns how many. */
uint32_t alog_ring_peek(struct alog_ring *r, const struct alog_record **recs,
                        uint32_t max);
void alog_ring_release(struct alog_ring *r, uint32_t n);

/* Records dropped because the ring was full (read by anyone). */
uint64_t alog_ring_dropped(const struct alog_ring *r);

/* Clear a record to "nothing known" (zero, '-' strings). */
void alog_record_reset(struct alog_record *rec);

/* Copy <len> bytes of <s> into the fixed field <dst> of <cap> bytes,
 * truncating, NUL-terminated; returns the bytes kept. */
uint32_t alog_field_set(char *dst, uint32_t cap, const char *s, uint32_t len);

/* Wall clock from the TSC: alog_clock_init() once per worker on start
 * (reads CLOCK_REALTIME, may be called off the fast path only). */
void alog_clock_init(struct alog_clock *clk, uint64_t tsc_hz);
uint64_t alog_clock_us(const struct alog_clock *clk, uint64_t tsc);

/*
 * Format <rec> as one line in <fmt> ending with '\n' into buf[0 .. cap).
 * Returns the length, or 0 when it does not fit (cap >= ALOG_LINE_MAX
 * always fits).  Strings are escaped as the format needs (JSON escapes,
 * quotes in combined).
 */
size_t alog_format(const struct alog_record *rec, enum alog_fmt fmt, char *buf,
                   size_t cap);

/* "squid", "combined", "json" -> the format; returns 0 or -EINVAL. */
int alog_fmt_parse(const char *name, enum alog_fmt *fmt);

#endif /* GH_ALOG_H */
