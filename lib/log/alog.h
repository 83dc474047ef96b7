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

/* Create a ring of <slots> records (a power of two, 2 ..
 * ALOG_RING_SLOTS_MAX); the records are allocated and touched here.
 * Returns the ring, or NULL with errno EINVAL or ENOMEM. */
struct alog_ring *alog_ring_create(uint32_t slots);
/* Free <r> (NULL ok); neither side may use it any more. */
void alog_ring_destroy(struct alog_ring *r);

/* Records the ring holds: its <slots>. */
uint32_t alog_ring_slots(const struct alog_ring *r);

/* Producer: a slot to fill, or NULL when the ring is full (the drop is
 * counted).  The slot holds an old record: alog_record_reset() it, fill
 * it, then alog_ring_commit().  Reserving again before the commit returns
 * the same slot; committing without a successful reserve is a GH_VERIFY
 * failure. */
struct alog_record *alog_ring_reserve(struct alog_ring *r);
void alog_ring_commit(struct alog_ring *r);

/* Consumer: up to <max> committed records, oldest first, in *recs (they
 * stay valid until alog_ring_release()); returns how many. */
uint32_t alog_ring_peek(struct alog_ring *r, const struct alog_record **recs,
                        uint32_t max);
void alog_ring_release(struct alog_ring *r, uint32_t n);

/* Records dropped because the ring was full (read by anyone). */
uint64_t alog_ring_dropped(const struct alog_ring *r);

/* Clear a record to "nothing known": numbers 0, strings empty (the
 * formats print an empty string as "-", or "" in JSON).  Only the first
 * byte of each string is cleared; the formats never read past a NUL or
 * past a field's size, so a producer may also fill fields by hand. */
void alog_record_reset(struct alog_record *rec);

/* Copy <len> bytes of <s> into the fixed field <dst> of <cap> bytes,
 * truncating, NUL-terminated; returns the bytes kept. */
uint32_t alog_field_set(char *dst, uint32_t cap, const char *s, uint32_t len);

/*
 * Wall clock from the TSC: alog_clock_init() once per worker on start, with
 * the TSC read just now (rte_rdtsc()) and its rate (rte_get_tsc_hz(), > 0).
 * It reads CLOCK_REALTIME, so call it off the fast path only; calling it
 * again now and then (every few seconds) bounds the drift between the
 * TSC's nominal rate and NTP time.  alog_clock_us() is pure arithmetic
 * (multiplies, no division) and gives the exact quotient or 1 us more over
 * any uptime; a <tsc> before the base counts backwards.
 */
void alog_clock_init(struct alog_clock *clk, uint64_t now_tsc, uint64_t tsc_hz);
uint64_t alog_clock_us(const struct alog_clock *clk, uint64_t tsc);

/*
 * Format <rec> as one line in <fmt> ending with '\n' into buf[0 .. cap),
 * NUL-terminated after the '\n'.  Returns the length (without the NUL), or
 * 0 when it does not fit (cap >= ALOG_LINE_MAX always fits: a line is at
 * most ALOG_LINE_MAX - 1 bytes).  Strings are escaped as the format needs
 * and an escape is never cut in half; a long field is truncated to its
 * share of the line:
 *  - squid: bytes <= 0x20, 0x7f and >= 0x80 as %HH (as Squid's own
 *    rfc1738 escaping shows "text/html;%20charset=utf-8"); '%' is kept;
 *  - combined: '"', '\\', bytes < 0x20 and >= 0x7f as \xHH (as nginx);
 *  - json: '"' and '\\' as \" and \\, control bytes and 0x7f as \u00HH;
 *    well-formed UTF-8 is passed through, every byte that is not part of a
 *    well-formed UTF-8 sequence is written as \u00HH (its Latin-1 reading),
 *    so the line is always valid UTF-8 and valid JSON.
 * Empty strings print as "-" (squid, combined) or "" (json); a status of 0
 * as 000 (squid, combined).  Time is UTC.
 */
size_t alog_format(const struct alog_record *rec, enum alog_fmt fmt, char *buf,
                   size_t cap);

/*
 * The access-rule field of <rec> as every format shows it: "-" when the
 * request was not judged, <acl_tag> when set (a decision that is no
 * written rule), else "rule:LINE".  Written into buf[0 .. cap) (cap >= 32
 * always fits: tags are short static strings, cut to fit); returns it.
 */
const char *alog_acl_token(const struct alog_record *rec, char *buf,
                           size_t cap);

/* "squid", "combined", "json" -> the format; returns 0 or -EINVAL. */
int alog_fmt_parse(const char *name, enum alog_fmt *fmt);

/* The format's name as alog_fmt_parse() takes it ("?" if unknown). */
const char *alog_fmt_name(enum alog_fmt fmt);

#endif /* GH_ALOG_H */
