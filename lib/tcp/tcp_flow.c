/*
 * The per-worker flow table (see tcp_flow.h for the contract): Robin Hood
 * linear probing with backward-shift deletion over one array of 20-byte
 * slots allocated at creation.
 *
 * A slot stores its displacement plus one in `dist` (0 means empty), so
 * probing never rehashes a stored key: the home of the entry in slot i is
 * i - (dist - 1).  The Robin Hood invariant is that along any probe
 * sequence dist grows by at most one per slot; a lookup for a key with
 * probe distance d can stop at the first slot whose dist is below d.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "common/gh_common.h"
#include "tcp/tcp_flow.h"

struct tcp_flow_slot {
	uint32_t local_ip_be;
	uint32_t remote_ip_be;
	uint16_t local_port_be;
	uint16_t remote_port_be;
	uint8_t port_idx;
	uint8_t spare;
	uint16_t dist; /* 0 empty, else displacement from the home slot + 1 */
	uint32_t value;
};

_Static_assert(sizeof(struct tcp_flow_slot) == 20, "a slot is 20 bytes");
_Static_assert(sizeof(struct tcp_flow_key) == 16, "a key is 16 bytes");
_Static_assert(TCP_FLOW_PROBE_MAX < UINT16_MAX, "dist holds PROBE_MAX + 1");

struct tcp_flow_table {
	unsigned magic;
	uint32_t mask;    /* capacity - 1 */
	uint32_t count;   /* occupied slots */
	uint32_t limit;   /* most flows accepted */
	unsigned shift;   /* 64 - log2(capacity): home = hash >> shift */
	uint64_t hkey[5]; /* pair-multiply-shift keys */
	struct tcp_flow_counters cnt;
	struct tcp_flow_probes probes;
	struct tcp_flow_slot slots[] __rte_cache_aligned;
};

static const struct stats_counter_desc tcp_flow_counter_descs[] = {
    TCP_FLOW_COUNTERS(STATS_DESC)};

const struct stats_group_desc tcp_flow_counters_desc = {
    "tcp_flow", tcp_flow_counter_descs, GH_ARRAY_SIZE(tcp_flow_counter_descs)};

_Static_assert(sizeof(struct tcp_flow_counters) ==
                   GH_ARRAY_SIZE(tcp_flow_counter_descs) * sizeof(uint64_t),
               "struct tcp_flow_counters must be exactly TCP_FLOW_COUNTERS");

/* splitmix64: spreads one seed into independent-looking hash keys. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Home slot of <k>: Thorup's pair-multiply-shift over the four 32-bit words
 * of the key, ((a0 + x1)(a1 + x0) + (a2 + x3)(a3 + x2) + a4) mod 2^64, top
 * log2(capacity) bits.  Universal for random a_i.
 */
static inline uint32_t
flow_home(const struct tcp_flow_table *t, const struct tcp_flow_key *k)
{
	uint32_t ports;
	uint64_t h;

	memcpy(&ports, &k->local_port_be, sizeof(ports));
	h = (t->hkey[0] + k->remote_ip_be) * (t->hkey[1] + k->local_ip_be) +
	    (t->hkey[2] + k->port_idx) * (t->hkey[3] + ports) + t->hkey[4];
	return (uint32_t)(h >> t->shift);
}

static inline bool
slot_is(const struct tcp_flow_slot *s, const struct tcp_flow_key *k)
{
	return s->local_ip_be == k->local_ip_be &&
	       s->remote_ip_be == k->remote_ip_be &&
	       s->local_port_be == k->local_port_be &&
	       s->remote_port_be == k->remote_port_be &&
	       s->port_idx == k->port_idx;
}

struct tcp_flow_table *
tcp_flow_table_create(const struct tcp_flow_params *p)
{
	struct tcp_flow_table *t;
	uint64_t seed;
	size_t size;
	unsigned i;

	if (p == NULL || p->capacity < TCP_FLOW_CAPACITY_MIN ||
	    p->capacity > TCP_FLOW_CAPACITY_MAX ||
	    (p->capacity & (p->capacity - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	size = sizeof(*t) + (size_t)p->capacity * sizeof(struct tcp_flow_slot);
	t = rte_zmalloc_socket(p->name != NULL ? p->name : "tcp_flow", size,
	                       RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->mask = p->capacity - 1;
	t->limit = p->capacity - p->capacity / 16;
	t->shift = 64 - (unsigned)__builtin_ctz(p->capacity);
	seed = p->seed != 0 ? p->seed : rte_rand();
	for (i = 0; i < GH_ARRAY_SIZE(t->hkey); i++)
		t->hkey[i] = splitmix64(&seed);
	t->magic = TCP_FLOW_TABLE_MAGIC;
	return t;
}

void
tcp_flow_table_free(struct tcp_flow_table *t)
{
	if (t == NULL)
		return;
	GH_CHECK_OBJ(t, TCP_FLOW_TABLE_MAGIC);
	t->magic = 0;
	rte_free(t);
}

/*
 * Slot index holding <k>, or -ENOENT.  Bounded: no entry sits more than
 * TCP_FLOW_PROBE_MAX slots from home (inserts refuse to put one there).
 */
static int
flow_find(struct tcp_flow_table *t, const struct tcp_flow_key *k)
{
	uint32_t i = flow_home(t, k);
	uint32_t d;

	t->probes.lookups++;
	for (d = 1; d <= TCP_FLOW_PROBE_MAX + 1; d++) {
		const struct tcp_flow_slot *s = &t->slots[i];

		t->probes.lookup_slots++;
		if (s->dist < d)
			return -ENOENT;
		if (s->dist == d && slot_is(s, k))
			return (int)i;
		i = (i + 1) & t->mask;
	}
	return -ENOENT;
}

int
tcp_flow_insert(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                uint32_t value)
{
	uint32_t home, i, j, at = 0, at_dist = 0, d;
	struct tcp_flow_slot *s;

	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(k != NULL);
	if (t->count >= t->limit) {
		t->cnt.flow_table_full++;
		return -ENOSPC;
	}
	t->probes.inserts++;
	home = flow_home(t, k);
	/* Pass 1, read only: find where the key belongs (the first slot
	 * whose entry is closer to home than we would be) and the first
	 * empty slot after it; check nothing would end up too far from
	 * home.  Past the key's place the key cannot be in the table. */
	i = home;
	for (d = 1;; d++) {
		if (d > TCP_FLOW_PROBE_MAX) {
			t->cnt.flow_probe_limit++;
			return -ENOSPC;
		}
		s = &t->slots[i];
		t->probes.insert_slots++;
		if (at_dist == 0) {
			if (s->dist == d && slot_is(s, k)) {
				t->cnt.flow_exists++;
				return -EEXIST;
			}
			if (s->dist < d) {
				at = i;
				at_dist = d;
			}
		}
		if (s->dist == 0)
			break;
		if (at_dist != 0 && s->dist >= TCP_FLOW_PROBE_MAX) {
			t->cnt.flow_probe_limit++;
			return -ENOSPC;
		}
		i = (i + 1) & t->mask;
	}
	/* Pass 2: shift [at, i) one slot up, each a step further from home,
	 * and write the key at `at`. */
	for (j = i; j != at; j = (j - 1) & t->mask) {
		t->slots[j] = t->slots[(j - 1) & t->mask];
		t->slots[j].dist++;
		t->probes.insert_moves++;
	}
	s = &t->slots[at];
	s->local_ip_be = k->local_ip_be;
	s->remote_ip_be = k->remote_ip_be;
	s->local_port_be = k->local_port_be;
	s->remote_port_be = k->remote_port_be;
	s->port_idx = k->port_idx;
	s->spare = 0;
	s->dist = (uint16_t)at_dist;
	s->value = value;
	t->count++;
	t->cnt.flow_inserted++;
	return 0;
}

int
tcp_flow_lookup(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                uint32_t *value)
{
	int i;

	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(k != NULL && value != NULL);
	i = flow_find(t, k);
	if (i < 0)
		return i;
	*value = t->slots[i].value;
	return 0;
}

int
tcp_flow_delete(struct tcp_flow_table *t, const struct tcp_flow_key *k,
                uint32_t *value)
{
	uint32_t i, next, n;
	int found;

	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(k != NULL);
	found = flow_find(t, k);
	if (found < 0)
		return found;
	t->probes.deletes++;
	i = (uint32_t)found;
	if (value != NULL)
		*value = t->slots[i].value;
	/* Backward shift: pull each following displaced entry one slot
	 * closer to home until an empty slot or an entry at home.  Bounded
	 * by the capacity: the table always has an empty slot. */
	for (n = 0; n <= t->mask; n++) {
		next = (i + 1) & t->mask;
		if (t->slots[next].dist <= 1)
			break;
		t->slots[i] = t->slots[next];
		t->slots[i].dist--;
		t->probes.delete_moves++;
		i = next;
	}
	GH_VERIFY(n <= t->mask);
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->count--;
	t->cnt.flow_deleted++;
	return 0;
}

bool
tcp_flow_busy(void *table, const struct net_flow_key *nk)
{
	struct tcp_flow_table *t = table;
	struct tcp_flow_key k;

	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(nk != NULL);
	tcp_flow_key_from_net(&k, nk);
	return flow_find(t, &k) >= 0;
}

uint32_t
tcp_flow_count(const struct tcp_flow_table *t)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	return t->count;
}

uint32_t
tcp_flow_limit(const struct tcp_flow_table *t)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	return t->limit;
}

const struct tcp_flow_counters *
tcp_flow_table_counters(const struct tcp_flow_table *t)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	return &t->cnt;
}

const struct tcp_flow_probes *
tcp_flow_table_probes(const struct tcp_flow_table *t)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	return &t->probes;
}

void
tcp_flow_table_probes_reset(struct tcp_flow_table *t)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	memset(&t->probes, 0, sizeof(t->probes));
}

uint32_t
tcp_flow_home_slot(const struct tcp_flow_table *t, const struct tcp_flow_key *k)
{
	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(k != NULL);
	return flow_home(t, k);
}

int
tcp_flow_table_audit(const struct tcp_flow_table *t, struct tcp_flow_audit *out)
{
	struct tcp_flow_audit a = {0, 0, 0};
	uint32_t i, prev;

	GH_CHECK_OBJ_NOTNULL(t, TCP_FLOW_TABLE_MAGIC);
	GH_VERIFY(out != NULL);
	for (i = 0; i <= t->mask; i++) {
		const struct tcp_flow_slot *s = &t->slots[i];
		struct tcp_flow_key k;

		prev = t->slots[(i - 1) & t->mask].dist;
		if (s->dist == 0)
			continue;
		tcp_flow_key_set(&k, s->port_idx, s->local_ip_be,
		                 s->local_port_be, s->remote_ip_be,
		                 s->remote_port_be);
		if (s->dist > TCP_FLOW_PROBE_MAX ||
		    ((flow_home(t, &k) + s->dist - 1) & t->mask) != i)
			return -EUCLEAN;
		/* Robin Hood: at most one step further than the slot before,
		 * and only an entry at home may follow an empty slot. */
		if (s->dist > prev + 1)
			return -EUCLEAN;
		a.count++;
		a.sum_dist += s->dist - 1u;
		if (s->dist - 1u > a.max_dist)
			a.max_dist = s->dist - 1u;
	}
	if (a.count != t->count)
		return -EUCLEAN;
	*out = a;
	return 0;
}
