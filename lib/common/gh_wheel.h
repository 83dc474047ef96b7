/*
 * Per-worker hierarchical timing wheel, shared by the TCP timers
 * (retransmission, delayed ACK, keepalive, TIME-WAIT) and the proxy's
 * session and idle-upstream timeouts, after Varghese and Lauck's scheme 7
 * with Linux's (pre-4.8) exact cascading, plus occupancy bitmaps so time
 * can leap over empty slots.
 *
 * Time is in ticks, a 64-bit count the caller chooses (the worker uses
 * 1 tick = 1 ms) and passes to gh_wheel_advance(); the wheel reads no
 * clock.  Deadlines are absolute ticks.  Level L (0..5) has 64 slots of
 * 64^L ticks each; a timer sits at the lowest level whose range reaches its
 * deadline and moves down a level each time the wheel reaches the start of
 * its slot.  Deadlines more than 2^36 ticks away park in the top level and
 * are re-placed when it turns (every 2^36 ticks), so every deadline up to
 * 2^63 works.
 *
 * Cost: start, stop and restart are O(1) (a list insert or unlink and one
 * bitmap bit).  advance() costs O(levels) per slot it visits that holds
 * timers, plus O(1) per timer it fires, plus O(1) per timer it moves down a
 * level; a timer moves down at most 5 times in its life, so that is O(1)
 * amortised per timer.  Ticks with nothing to do are skipped with a
 * bitmap scan (6 count-trailing-zeros), so a wheel idle for 2^32 ticks
 * catches up in one step.  Nothing depends on the number of armed timers.
 *
 * Guarantees:
 *  - a timer never fires before its deadline: it fires in an advance(now)
 *    call with now >= deadline;
 *  - it fires in the first such call, unless that call reached max_expire,
 *    in which case it fires in a following call, before any timer whose
 *    deadline is later (the wheel does not move past a tick until every
 *    timer of that tick has fired);
 *  - timers fire in non-decreasing order of deadline; timers with the same
 *    deadline fire in no particular order.  The one exception: a timer
 *    started with a deadline already passed (deadline < next tick) goes on
 *    the due list and fires in the next advance() call, possibly before
 *    timers left over from an earlier deadline.
 *
 * Memory: 32 bytes per timer node (in the caller's object), 3,144 bytes
 * per wheel.
 *
 * Threading: a wheel and its timers belong to one worker.  No locks, no
 * allocation, no system calls.  The callback may start, stop or restart
 * any timer, including the one that fired, on the same wheel, but must not
 * call advance().
 */
#ifndef GH_WHEEL_H
#define GH_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/gh_wheel_types.h"

/* Initialise <w> with every tick up to and including <now_tick> done. */
void gh_wheel_init(struct gh_wheel *w, uint64_t now_tick);

/* Make <t> an idle timer (same as zeroing it; keeps nothing, not `user`). */
void gh_wheel_timer_init(struct gh_timer *t);

/* True while <t> is armed (in a slot or waiting on the due list). */
static inline bool
gh_wheel_armed(const struct gh_timer *t)
{
	return t->where != 0;
}

/*
 * Arm the idle timer <t> to fire at <deadline_tick>.  <t> must not be
 * armed (GH_VERIFY: linking a node twice would corrupt the wheel); use
 * gh_wheel_restart() when it may be.  A deadline before the wheel's next
 * tick fires in the next advance() call.
 */
void gh_wheel_start(struct gh_wheel *w, struct gh_timer *t,
                    uint64_t deadline_tick);

/* Disarm <t>. Returns 0, or -ENOENT when it was not armed. */
int gh_wheel_stop(struct gh_wheel *w, struct gh_timer *t);

/* Disarm <t> if armed, then arm it for <deadline_tick>. */
void gh_wheel_restart(struct gh_wheel *w, struct gh_timer *t,
                      uint64_t deadline_tick);

/*
 * Move the wheel's time to <now_tick> and call <cb>(<arg>, t) for each
 * timer whose deadline is <= now_tick, at most <max_expire> of them; the
 * rest fire in later calls (see the guarantees above).  A <now_tick>
 * behind the wheel's time only fires what is already due.  Returns the
 * number of callbacks made.
 */
unsigned gh_wheel_advance(struct gh_wheel *w, uint64_t now_tick, gh_wheel_cb cb,
                          void *arg, unsigned max_expire);

/* The last tick the wheel has processed. */
static inline uint64_t
gh_wheel_now(const struct gh_wheel *w)
{
	return w->next_tick - 1;
}

/* Timers armed on <w>. */
static inline uint32_t
gh_wheel_count(const struct gh_wheel *w)
{
	return w->n_armed;
}

#endif /* GH_WHEEL_H */
