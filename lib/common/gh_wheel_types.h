/*
 * Types of the hierarchical timer wheel (gh_wheel.h has the functions and
 * the contract): the node an object embeds and the per-worker wheel.  TCBs,
 * proxy sessions and idle upstream entries embed struct gh_timer, so the
 * types stand apart from the functions.
 */
#ifndef GH_WHEEL_TYPES_H
#define GH_WHEEL_TYPES_H

#include <stdint.h>

#define GH_WHEEL_MAGIC 0x74776801u
/* 6 levels of 64 slots: 64-bit occupancy bitmaps, horizon 2^36 ticks. */
#define GH_WHEEL_LEVEL_BITS   6
#define GH_WHEEL_LEVEL_SLOTS  (1u << GH_WHEEL_LEVEL_BITS)
#define GH_WHEEL_LEVELS       6
#define GH_WHEEL_SLOTS        (GH_WHEEL_LEVELS * GH_WHEEL_LEVEL_SLOTS)
#define GH_WHEEL_HORIZON_BITS (GH_WHEEL_LEVEL_BITS * GH_WHEEL_LEVELS)

/*
 * One timer, embedded in the object it times (container_of finds the
 * object from the node given to the expiry callback).  A zeroed node is a
 * valid idle timer, so objects from a zeroed pool need no set-up.  Every
 * field but `user` belongs to the wheel while the timer is armed.
 */
struct gh_timer {
	struct gh_timer *next;
	struct gh_timer **pprev; /* the pointer that points at this node */
	uint64_t deadline_tick;
	uint32_t where; /* 0 idle, 1..GH_WHEEL_SLOTS slot + 1, or DUE */
	uint32_t user;  /* the owner's: the wheel never reads or writes it */
};

/*
 * A hierarchical timing wheel (Varghese and Lauck scheme 7, cascading as
 * Linux did before 4.8).  One per worker, embedded in its context; the
 * wheel allocates nothing.  next_tick is the first tick not yet processed:
 * every timer with a deadline before it has been handed to the callback or
 * sits on the `due` list.
 */
struct gh_wheel {
	unsigned magic;
	uint32_t n_armed; /* timers in slots or on the due list */
	uint64_t next_tick;
	uint64_t occupied[GH_WHEEL_LEVELS]; /* bit s: slot s not empty */
	struct gh_timer *due; /* expired, waiting for the callback */
	struct gh_timer *slot[GH_WHEEL_SLOTS];
};

/* Called once per expired timer; the node is idle again when it runs. */
typedef void (*gh_wheel_cb)(void *arg, struct gh_timer *t);

#endif /* GH_WHEEL_TYPES_H */
