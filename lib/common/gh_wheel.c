/*
 * The hierarchical timing wheel (see gh_wheel.h for the contract).
 *
 * Placement: a timer with deadline d, placed when the wheel's next tick is
 * n, goes to level L = floor(log64(d - n)) (0 when d - n < 64), slot
 * (d >> 6L) & 63.  Level L's slot s is visited at the start of each block
 * of 64^L ticks whose index is s mod 64 (for level 0, every tick); a visit
 * to a level L > 0 slot re-places its timers with the wheel at that tick,
 * which puts each one at a lower level, and a visit to a level-0 slot moves
 * its timers, all with deadline equal to that tick, to the due list.
 * Because d - n < 64^(L+1), the first visit to the slot is no later than
 * the start of d's block at level L, so no timer is visited late; Linux ran
 * this argument for twenty years.
 *
 * Lists are singly headed, doubly linked (`pprev` points at whatever points
 * at the node), so a slot head is one pointer and unlinking needs no head.
 * Bitmaps say which slots are occupied so the next tick with work can be
 * found without walking empty ones.
 */
#include <errno.h>
#include <string.h>

#include "common/gh_common.h"
#include "common/gh_wheel.h"

/* `where` of a timer on the due list; slots are 1..GH_WHEEL_SLOTS. */
#define GH_WHEEL_DUE   (GH_WHEEL_SLOTS + 1u)
#define GH_WHEEL_MASK  (GH_WHEEL_LEVEL_SLOTS - 1u)
#define GH_WHEEL_RANGE (1ull << GH_WHEEL_HORIZON_BITS)

_Static_assert(sizeof(struct gh_timer) == 32, "timer node is 32 bytes");
_Static_assert(GH_WHEEL_LEVEL_SLOTS == 64, "one uint64_t bitmap per level");

static inline unsigned
level_shift(unsigned level)
{
	return level * GH_WHEEL_LEVEL_BITS;
}

static inline void
list_push(struct gh_timer **head, struct gh_timer *t)
{
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
}

static inline void
list_unlink(struct gh_timer *t)
{
	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
}

/* Put the idle-marked <t> in the slot or due list its deadline calls for. */
static void
timer_place(struct gh_wheel *w, struct gh_timer *t)
{
	uint64_t d = t->deadline_tick;
	uint64_t delta;
	unsigned level, idx;

	if (d < w->next_tick) {
		t->where = GH_WHEEL_DUE;
		list_push(&w->due, t);
		return;
	}
	delta = d - w->next_tick;
	if (delta >= GH_WHEEL_RANGE) {
		/* Beyond the horizon: park in the top-level slot visited
		 * last; the visit re-places it with its true deadline. */
		d = w->next_tick + GH_WHEEL_RANGE - 1;
		delta = GH_WHEEL_RANGE - 1;
	}
	level =
	    delta < GH_WHEEL_LEVEL_SLOTS
	        ? 0
	        : (unsigned)(63 - __builtin_clzll(delta)) / GH_WHEEL_LEVEL_BITS;
	GH_ASSERT(level < GH_WHEEL_LEVELS);
	idx = (unsigned)(d >> level_shift(level)) & GH_WHEEL_MASK;
	t->where = level * GH_WHEEL_LEVEL_SLOTS + idx + 1;
	list_push(&w->slot[t->where - 1], t);
	w->occupied[level] |= 1ull << idx;
}

void
gh_wheel_init(struct gh_wheel *w, uint64_t now_tick)
{
	GH_VERIFY(w != NULL);
	GH_VERIFY(now_tick < UINT64_MAX / 2);
	memset(w, 0, sizeof(*w));
	w->next_tick = now_tick + 1;
	w->magic = GH_WHEEL_MAGIC;
}

void
gh_wheel_timer_init(struct gh_timer *t)
{
	GH_VERIFY(t != NULL);
	memset(t, 0, sizeof(*t));
}

void
gh_wheel_start(struct gh_wheel *w, struct gh_timer *t, uint64_t deadline_tick)
{
	GH_CHECK_OBJ_NOTNULL(w, GH_WHEEL_MAGIC);
	GH_VERIFY(t != NULL);
	GH_VERIFY(t->where == 0);
	GH_VERIFY(deadline_tick < UINT64_MAX / 2);
	t->deadline_tick = deadline_tick;
	timer_place(w, t);
	w->n_armed++;
}

int
gh_wheel_stop(struct gh_wheel *w, struct gh_timer *t)
{
	unsigned s;

	GH_CHECK_OBJ_NOTNULL(w, GH_WHEEL_MAGIC);
	GH_VERIFY(t != NULL);
	if (t->where == 0)
		return -ENOENT;
	GH_VERIFY(t->where <= GH_WHEEL_DUE);
	GH_VERIFY(w->n_armed > 0);
	list_unlink(t);
	if (t->where != GH_WHEEL_DUE) {
		s = t->where - 1;
		if (w->slot[s] == NULL)
			w->occupied[s / GH_WHEEL_LEVEL_SLOTS] &=
			    ~(1ull << (s % GH_WHEEL_LEVEL_SLOTS));
	}
	t->where = 0;
	t->next = NULL;
	t->pprev = NULL;
	w->n_armed--;
	return 0;
}

void
gh_wheel_restart(struct gh_wheel *w, struct gh_timer *t, uint64_t deadline_tick)
{
	(void)gh_wheel_stop(w, t);
	gh_wheel_start(w, t, deadline_tick);
}

/*
 * The first tick >= next_tick at which some occupied slot is visited, or
 * UINT64_MAX when the wheel holds no timer in a slot.
 */
static uint64_t
next_event_tick(const struct gh_wheel *w)
{
	uint64_t best = UINT64_MAX;
	unsigned level;

	for (level = 0; level < GH_WHEEL_LEVELS; level++) {
		unsigned sh = level_shift(level);
		uint64_t bm = w->occupied[level];
		uint64_t block, t;
		unsigned c, off;

		if (bm == 0)
			continue;
		/* first block of this level starting at or after next_tick */
		block = (w->next_tick + (1ull << sh) - 1) >> sh;
		c = (unsigned)block & GH_WHEEL_MASK;
		bm = c == 0 ? bm : (bm >> c) | (bm << (64 - c));
		off = (unsigned)__builtin_ctzll(bm);
		t = (block + off) << sh;
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * Detach the list of slot <idx> of <level> and return it.  The first node's
 * pprev is stale until the caller links the nodes somewhere else, which it
 * does before anything else can see them.
 */
static struct gh_timer *
slot_take(struct gh_wheel *w, unsigned level, unsigned idx)
{
	unsigned s = level * GH_WHEEL_LEVEL_SLOTS + idx;
	struct gh_timer *head = w->slot[s];

	w->slot[s] = NULL;
	w->occupied[level] &= ~(1ull << idx);
	return head;
}

/*
 * Process tick <tick> (== next_tick): move timers down from every level
 * whose block starts here, lowest first, then move level 0's slot to the
 * due list.  The due list is empty on entry.
 */
static void
wheel_tick(struct gh_wheel *w, uint64_t tick)
{
	unsigned level, idx0;

	GH_ASSERT(tick == w->next_tick);
	GH_ASSERT(w->due == NULL);
	for (level = 1; level < GH_WHEEL_LEVELS; level++) {
		unsigned sh = level_shift(level);
		unsigned idx = (unsigned)(tick >> sh) & GH_WHEEL_MASK;
		struct gh_timer *t, *next;

		if ((tick & ((1ull << sh) - 1)) != 0)
			break;
		if ((w->occupied[level] & (1ull << idx)) == 0)
			continue;
		for (t = slot_take(w, level, idx); t != NULL; t = next) {
			next = t->next;
			GH_VERIFY(t->deadline_tick >= tick);
			timer_place(w, t);
		}
	}
	idx0 = (unsigned)tick & GH_WHEEL_MASK;
	if (w->occupied[0] & (1ull << idx0)) {
		struct gh_timer *t = slot_take(w, 0, idx0);

		w->due = t;
		t->pprev = &w->due;
		for (; t != NULL; t = t->next) {
			GH_VERIFY(t->deadline_tick == tick);
			t->where = GH_WHEEL_DUE;
		}
	}
	w->next_tick = tick + 1;
}

unsigned
gh_wheel_advance(struct gh_wheel *w, uint64_t now_tick, gh_wheel_cb cb,
                 void *arg, unsigned max_expire)
{
	unsigned fired = 0;
	uint64_t ev;

	GH_CHECK_OBJ_NOTNULL(w, GH_WHEEL_MAGIC);
	GH_VERIFY(cb != NULL);
	GH_VERIFY(now_tick < UINT64_MAX / 2);

	/* Each pass fires what is due, then processes one tick with work;
	 * a pass either fires, or moves next_tick forward, or returns. */
	for (;;) {
		while (w->due != NULL) {
			struct gh_timer *t = w->due;

			if (fired == max_expire)
				return fired;
			list_unlink(t);
			t->where = 0;
			t->next = NULL;
			t->pprev = NULL;
			w->n_armed--;
			fired++;
			cb(arg, t);
		}
		if (w->next_tick > now_tick)
			return fired;
		ev = next_event_tick(w);
		if (ev > now_tick) {
			w->next_tick = now_tick + 1;
			return fired;
		}
		GH_VERIFY(ev >= w->next_tick);
		w->next_tick = ev;
		wheel_tick(w, ev);
	}
}
