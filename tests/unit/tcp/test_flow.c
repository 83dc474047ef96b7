/*
 * lib/tcp flow table: insert, lookup, delete and their refusals; every key
 * field counts; listeners beside flows; the load limit; the probe bound;
 * random operations on small tables against a model with the Robin Hood
 * invariants audited after each; probe counts at 90% load through
 * millions of insert/delete cycles (they stay what a fresh table has);
 * the table as the port choice's in-use predicate.
 *
 * EAL (for rte_zmalloc_socket) starts once per Criterion process with
 * --no-huge --no-shconf, as in tests/unit/net.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_memory.h>

#include "common/gh_common.h"
#include "tcp/tcp_flow.h"
#include "net/net_flow_owner.h"
#include "tests/unit/common/gh_test_eal.h"

static void
eal_init(void)
{
	gh_test_eal_start(256);
}

TestSuite(tcp_flow, .init = eal_init);

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct tcp_flow_table *
table(uint32_t capacity, uint64_t seed)
{
	struct tcp_flow_params p = {"test_flow", capacity, SOCKET_ID_ANY, seed};
	struct tcp_flow_table *t = tcp_flow_table_create(&p);

	cr_assert_not_null(t, "create %u: errno %d", capacity, errno);
	return t;
}

/* A random flow on port 0..3 to a random peer (never a listener key). */
static void
rand_key(struct tcp_flow_key *k, uint64_t *seed)
{
	uint64_t x = rnd(seed), y = rnd(seed);

	tcp_flow_key_set(k, (uint8_t)(x & 3), (uint32_t)(y >> 32),
	                 (uint16_t)(x >> 8), (uint32_t)y | 1,
	                 (uint16_t)(x >> 24));
}

static void
audit(const struct tcp_flow_table *t, struct tcp_flow_audit *a)
{
	cr_assert_eq(tcp_flow_table_audit(t, a), 0, "invariants broken");
}

Test(tcp_flow, create_rejects_bad_params)
{
	struct tcp_flow_params p = {"x", 1000, SOCKET_ID_ANY, 1};

	errno = 0;
	cr_assert_null(tcp_flow_table_create(&p));
	cr_assert_eq(errno, EINVAL);
	p.capacity = 8;
	cr_assert_null(tcp_flow_table_create(&p));
	p.capacity = 1u << 31;
	cr_assert_null(tcp_flow_table_create(&p));
	cr_assert_null(tcp_flow_table_create(NULL));
	p.capacity = 16;
	p.seed = 0; /* random keys */
	tcp_flow_table_free(tcp_flow_table_create(&p));
	tcp_flow_table_free(NULL);
}

Test(tcp_flow, insert_lookup_delete)
{
	struct tcp_flow_table *t = table(1024, 1);
	const struct tcp_flow_counters *c = tcp_flow_table_counters(t);
	struct tcp_flow_key k;
	struct net_flow_key nk;
	uint32_t v = 0;

	tcp_flow_key_set(&k, 1, RTE_BE32(0x0a000001), RTE_BE16(80),
	                 RTE_BE32(0x0a000002), RTE_BE16(40000));
	tcp_flow_key_to_net(&nk, &k);
	cr_assert_eq(tcp_flow_lookup(t, &k, &v), -ENOENT);
	cr_assert_eq(tcp_flow_insert(t, &k, 0xdeadbeef), 0);
	cr_assert_eq(tcp_flow_insert(t, &k, 7), -EEXIST);
	cr_assert_eq(tcp_flow_lookup(t, &k, &v), 0);
	cr_assert_eq(v, 0xdeadbeef, "value kept after -EEXIST");
	cr_assert(tcp_flow_busy(t, &nk));
	cr_assert_eq(tcp_flow_count(t), 1);
	cr_assert_eq(tcp_flow_delete(t, &k, &v), 0);
	cr_assert_eq(v, 0xdeadbeef);
	cr_assert_eq(tcp_flow_delete(t, &k, NULL), -ENOENT);
	cr_assert_eq(tcp_flow_lookup(t, &k, &v), -ENOENT);
	cr_assert(!tcp_flow_busy(t, &nk));
	cr_assert_eq(tcp_flow_count(t), 0);
	cr_assert_eq(c->flow_inserted, 1);
	cr_assert_eq(c->flow_deleted, 1);
	cr_assert_eq(c->flow_exists, 1);
	cr_assert_eq(c->flow_table_full, 0);
	cr_assert_eq(tcp_flow_counters_desc.n, 5);
	cr_assert_str_eq(tcp_flow_counters_desc.name, "tcp_flow");
	tcp_flow_table_free(t);
}

/* Keys that differ in one field only are different flows; the values
 * come back per key; 0 and UINT32_MAX are ordinary values. */
Test(tcp_flow, every_key_field_counts)
{
	struct tcp_flow_table *t = table(64, 2);
	struct tcp_flow_key k[6];
	uint32_t v;
	unsigned i;

	for (i = 0; i < 6; i++)
		tcp_flow_key_set(&k[i], 0, RTE_BE32(0x0a000001), RTE_BE16(80),
		                 RTE_BE32(0x0a000002), RTE_BE16(40000));
	k[1].port_idx = 1;
	k[2].local_ip_be = RTE_BE32(0x0a000003);
	k[3].local_port_be = RTE_BE16(81);
	k[4].remote_ip_be = RTE_BE32(0x0a000004);
	k[5].remote_port_be = RTE_BE16(40001);
	for (i = 0; i < 6; i++)
		cr_assert_eq(tcp_flow_insert(t, &k[i], i == 5 ? UINT32_MAX : i),
		             0);
	for (i = 0; i < 6; i++) {
		cr_assert_eq(tcp_flow_lookup(t, &k[i], &v), 0);
		cr_assert_eq(v, i == 5 ? UINT32_MAX : i);
	}
	tcp_flow_table_free(t);
}

/* A listener is the same table with the remote fields zero. */
Test(tcp_flow, listener_beside_flows)
{
	struct tcp_flow_table *t = table(64, 3);
	struct tcp_flow_key lk, fk, other;
	uint32_t v;

	tcp_flow_key_set(&lk, 0, RTE_BE32(0x0a000001), RTE_BE16(3128), 0, 0);
	tcp_flow_key_set(&fk, 0, RTE_BE32(0x0a000001), RTE_BE16(3128),
	                 RTE_BE32(0x0a000002), RTE_BE16(50000));
	tcp_flow_key_set(&other, 0, RTE_BE32(0x0a000001), RTE_BE16(3128),
	                 RTE_BE32(0x0a000009), RTE_BE16(50000));
	cr_assert_eq(tcp_flow_insert(t, &lk, 100), 0);
	cr_assert_eq(tcp_flow_insert(t, &fk, 200), 0);
	cr_assert_eq(tcp_flow_lookup(t, &fk, &v), 0);
	cr_assert_eq(v, 200);
	/* a segment of an unknown flow: miss, then the listener */
	cr_assert_eq(tcp_flow_lookup(t, &other, &v), -ENOENT);
	other.remote_ip_be = 0;
	other.remote_port_be = 0;
	cr_assert_eq(tcp_flow_lookup(t, &other, &v), 0);
	cr_assert_eq(v, 100);
	tcp_flow_table_free(t);
}

/* Up to 15/16 of the capacity, then -ENOSPC, counted; room again after a
 * delete. */
Test(tcp_flow, full_table_says_enospc)
{
	struct tcp_flow_table *t = table(1024, 4);
	const struct tcp_flow_counters *c = tcp_flow_table_counters(t);
	struct tcp_flow_key keys[1024], extra;
	struct tcp_flow_audit a;
	uint64_t seed = 4;
	unsigned i;
	int rc;

	cr_assert_eq(tcp_flow_limit(t), 960);
	for (i = 0; i < 960; i++) {
		rand_key(&keys[i], &seed);
		cr_assert_eq(tcp_flow_insert(t, &keys[i], i), 0);
	}
	rand_key(&extra, &seed);
	rc = tcp_flow_insert(t, &extra, 1);
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(tcp_flow_insert(t, &keys[0], 1), -ENOSPC,
	             "the limit is checked first");
	cr_assert_eq(c->flow_table_full, 2);
	cr_assert_eq(tcp_flow_count(t), 960);
	audit(t, &a);
	cr_assert_eq(a.count, 960);
	for (i = 0; i < 960; i++) {
		uint32_t v;

		cr_assert_eq(tcp_flow_lookup(t, &keys[i], &v), 0);
		cr_assert_eq(v, i);
	}
	cr_assert_eq(tcp_flow_delete(t, &keys[7], NULL), 0);
	cr_assert_eq(tcp_flow_insert(t, &extra, 1), 0);
	cr_assert_eq(tcp_flow_insert(t, &keys[7], 1), -ENOSPC);
	audit(t, &a);
	tcp_flow_table_free(t);
}

/*
 * Random insert / delete / lookup on tiny tables (every probe sequence
 * wraps around the end) against a plain array, auditing the Robin Hood
 * invariants after every operation.
 */
Test(tcp_flow, small_tables_match_model)
{
	static const uint32_t caps[] = {16, 64, 256};
	unsigned ci;

	for (ci = 0; ci < GH_ARRAY_SIZE(caps); ci++) {
		struct tcp_flow_table *t = table(caps[ci], 5 + ci);
		struct tcp_flow_key pool[512];
		bool in[512];
		uint32_t val[512], n = 0;
		uint64_t seed = 55;
		unsigned i, op, npool = caps[ci] * 2;

		memset(in, 0, sizeof(in));
		for (i = 0; i < npool; i++)
			rand_key(&pool[i], &seed);
		for (op = 0; op < 200000; op++) {
			uint64_t x = rnd(&seed);
			unsigned id = (unsigned)(x % npool);
			struct tcp_flow_audit a;
			uint32_t v;
			int rc;

			switch ((x >> 32) % 3) {
			case 0:
				rc = tcp_flow_insert(t, &pool[id], (uint32_t)x);
				if (n >= tcp_flow_limit(t)) {
					cr_assert_eq(rc, -ENOSPC);
				} else if (in[id]) {
					cr_assert_eq(rc, -EEXIST);
				} else {
					cr_assert_eq(rc, 0);
					in[id] = true;
					val[id] = (uint32_t)x;
					n++;
				}
				break;
			case 1:
				rc = tcp_flow_delete(t, &pool[id], &v);
				cr_assert_eq(rc, in[id] ? 0 : -ENOENT);
				if (in[id]) {
					cr_assert_eq(v, val[id]);
					in[id] = false;
					n--;
				}
				break;
			default:
				rc = tcp_flow_lookup(t, &pool[id], &v);
				cr_assert_eq(rc, in[id] ? 0 : -ENOENT);
				if (in[id])
					cr_assert_eq(v, val[id]);
				break;
			}
			audit(t, &a);
			cr_assert_eq(a.count, n);
		}
		tcp_flow_table_free(t);
	}
}

/* Mean slots per op since the last reset. */
struct probe_means {
	double hit, miss, insert_slots, insert_moves, delete_moves;
};

/*
 * 2^20 slots at 90% load; 3 million cycles of: delete a random flow, look
 * it up again (a miss), insert a new one, look up a random flow.  Probe
 * counts per operation stay what a fresh table has at that load, since
 * there are no tombstones to pile up: lookups are compared with the
 * freshly filled table, every window with the first, and all with the
 * linear-probing expectations at 0.9 (hit 5.5 slots, insert 50.5).
 */
Test(tcp_flow, churn_at_90_percent_stays_o1, .timeout = 60)
{
	const uint32_t cap = 1u << 20, n = cap / 10 * 9;
	struct tcp_flow_table *t = table(cap, 6);
	struct tcp_flow_key *keys = calloc(n, sizeof(*keys));
	const struct tcp_flow_probes *p = tcp_flow_table_probes(t);
	struct probe_means first = {0};
	struct tcp_flow_audit a;
	double fresh_hit;
	uint64_t seed = 6;
	uint32_t i, v, w;

	cr_assert_not_null(keys);
	for (i = 0; i < n; i++) {
		rand_key(&keys[i], &seed);
		cr_assert_eq(tcp_flow_insert(t, &keys[i], i), 0);
	}
	tcp_flow_table_probes_reset(t);
	for (i = 0; i < n; i += 7)
		cr_assert_eq(tcp_flow_lookup(t, &keys[i], &v), 0);
	fresh_hit = (double)p->lookup_slots / (double)p->lookups;
	audit(t, &a);
	cr_log_info("fresh at 90%%: hit %.2f slots, max displacement %u",
	            fresh_hit, a.max_dist);
	cr_assert_leq(fresh_hit, 5.5 * 1.1);

	for (w = 0; w < 3; w++) {
		struct probe_means m;
		uint64_t miss_lookups = 0, miss_slots = 0;

		tcp_flow_table_probes_reset(t);
		for (i = 0; i < 1000000; i++) {
			uint32_t id = (uint32_t)(rnd(&seed) % n);
			uint64_t before_slots;

			cr_assert_eq(tcp_flow_delete(t, &keys[id], &v), 0);
			cr_assert_eq(v, id);
			before_slots = p->lookup_slots;
			cr_assert_eq(tcp_flow_lookup(t, &keys[id], &v),
			             -ENOENT);
			miss_slots += p->lookup_slots - before_slots;
			miss_lookups++;
			rand_key(&keys[id], &seed);
			cr_assert_eq(tcp_flow_insert(t, &keys[id], id), 0);
			id = (uint32_t)(rnd(&seed) % n);
			cr_assert_eq(tcp_flow_lookup(t, &keys[id], &v), 0);
			cr_assert_eq(v, id);
		}
		m.hit = (double)(p->lookup_slots - miss_slots) /
		        (double)(p->lookups - miss_lookups);
		m.miss = (double)miss_slots / (double)miss_lookups;
		m.insert_slots = (double)p->insert_slots / (double)p->inserts;
		m.insert_moves = (double)p->insert_moves / (double)p->inserts;
		m.delete_moves = (double)p->delete_moves / (double)p->deletes;
		audit(t, &a);
		cr_log_info(
		    "window %u: hit %.2f, miss %.2f, insert %.1f slots "
		    "%.1f moves, delete %.1f moves, max displacement %u",
		    w, m.hit, m.miss, m.insert_slots, m.insert_moves,
		    m.delete_moves, a.max_dist);
		cr_assert_eq(a.count, n);
		if (w == 0)
			first = m;
		/* no drift: not the fresh table's lookups, not window 0 */
		cr_assert_leq(m.hit, fresh_hit * 1.05);
		cr_assert_leq(m.miss, first.miss * 1.1);
		cr_assert_leq(m.insert_slots, first.insert_slots * 1.1);
		cr_assert_leq(m.delete_moves, first.delete_moves * 1.1);
		/* the linear probing expectations at 0.9 */
		cr_assert_leq(m.hit, 5.5 * 1.1);
		cr_assert_leq(m.miss, 5.5 * 1.3);
		cr_assert_leq(m.insert_slots, 50.5 * 1.2);
		cr_assert_leq(m.delete_moves, 50.5 * 1.2);
		cr_assert_lt(a.max_dist, 256);
	}
	cr_assert_eq(tcp_flow_table_counters(t)->flow_probe_limit, 0);
	free(keys);
	tcp_flow_table_free(t);
}

/* Mean probes at lower loads: close to the linear probing expectations. */
Test(tcp_flow, probe_counts_by_load)
{
	static const double loads[] = {0.25, 0.5, 0.75};
	const uint32_t cap = 1u << 16;
	unsigned li;

	for (li = 0; li < GH_ARRAY_SIZE(loads); li++) {
		struct tcp_flow_table *t = table(cap, 10 + li);
		const struct tcp_flow_probes *p = tcp_flow_table_probes(t);
		uint32_t n = (uint32_t)(cap * loads[li]), i, v;
		struct tcp_flow_key *keys = calloc(n, sizeof(*keys));
		double hit, expect_hit, ins, expect_ins, del, q = 1 - loads[li];
		uint64_t seed = 77;

		cr_assert_not_null(keys);
		for (i = 0; i < n; i++) {
			rand_key(&keys[i], &seed);
			cr_assert_eq(tcp_flow_insert(t, &keys[i], i), 0);
		}
		ins = (double)p->insert_slots / (double)p->inserts;
		tcp_flow_table_probes_reset(t);
		for (i = 0; i < n; i++)
			cr_assert_eq(tcp_flow_lookup(t, &keys[i], &v), 0);
		hit = (double)p->lookup_slots / (double)p->lookups;
		expect_hit = (1 + 1 / q) / 2;
		/* inserting n keys one by one: the mean over loads 0..alpha */
		expect_ins = 1 + loads[li] / (2 * q);
		cr_log_info("load %.2f: hit %.2f (expect %.2f), insert %.2f",
		            loads[li], hit, expect_hit, ins);
		cr_assert_leq(hit, expect_hit * 1.1 + 0.05);
		cr_assert_leq(ins, expect_ins * 1.3 + 0.5);
		/* steady state: delete one, insert one, n times */
		tcp_flow_table_probes_reset(t);
		for (i = 0; i < n; i++) {
			uint32_t id = (uint32_t)(rnd(&seed) % n);

			cr_assert_eq(tcp_flow_delete(t, &keys[id], NULL), 0);
			rand_key(&keys[id], &seed);
			cr_assert_eq(tcp_flow_insert(t, &keys[id], id), 0);
		}
		ins = (double)p->insert_slots / (double)p->inserts;
		del = (double)p->delete_moves / (double)p->deletes;
		expect_ins = (1 + 1 / (q * q)) / 2;
		cr_log_info("load %.2f churn: insert %.2f slots (expect %.2f), "
		            "%.2f moves; delete %.2f moves",
		            loads[li], ins, expect_ins,
		            (double)p->insert_moves / (double)p->inserts, del);
		cr_assert_leq(ins, expect_ins * 1.2 + 0.5);
		cr_assert_leq(del, expect_ins * 1.2 + 0.5);
		free(keys);
		tcp_flow_table_free(t);
	}
}

/*
 * The probe bound: keys whose home slots all fall in the first 16 slots
 * pile into one cluster; once an insert would scan more than
 * TCP_FLOW_PROBE_MAX slots it is refused and counted, long before the
 * load limit, and the table stays sound.
 */
Test(tcp_flow, probe_bound_refuses, .timeout = 60)
{
	const uint32_t cap = 1u << 14;
	struct tcp_flow_table *t = table(cap, 12);
	const struct tcp_flow_counters *c = tcp_flow_table_counters(t);
	struct tcp_flow_key *keys =
	    calloc(TCP_FLOW_PROBE_MAX + 64, sizeof(*keys));
	struct tcp_flow_audit a;
	struct tcp_flow_key k;
	uint64_t seed = 12;
	uint32_t n = 0, i, v;
	int rc = 0;

	cr_assert_not_null(keys);
	while (n < TCP_FLOW_PROBE_MAX + 64) {
		rand_key(&k, &seed);
		if (tcp_flow_home_slot(t, &k) >= 16)
			continue;
		rc = tcp_flow_insert(t, &k, n);
		if (rc != 0)
			break;
		keys[n++] = k;
	}
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(c->flow_probe_limit, 1);
	cr_assert_eq(c->flow_table_full, 0);
	cr_assert_geq(n, TCP_FLOW_PROBE_MAX - 16);
	cr_assert_leq(n, TCP_FLOW_PROBE_MAX + 16);
	cr_assert_lt(n, tcp_flow_limit(t));
	audit(t, &a);
	cr_assert_eq(a.count, n);
	cr_assert_lt(a.max_dist, TCP_FLOW_PROBE_MAX);
	for (i = 0; i < n; i++) {
		cr_assert_eq(tcp_flow_lookup(t, &keys[i], &v), 0);
		cr_assert_eq(v, i);
	}
	/* a key at home beyond the cluster is unaffected */
	do
		rand_key(&k, &seed);
	while (tcp_flow_home_slot(t, &k) < cap / 2);
	cr_assert_eq(tcp_flow_insert(t, &k, 1), 0);
	free(keys);
	tcp_flow_table_free(t);
}

/* The flow table as the port choice's in-use predicate. */
Test(tcp_flow, port_choice_skips_flows_in_table)
{
	struct tcp_flow_table *t = table(1u << 16, 13);
	struct net_flow_owner rss;
	struct net_flow_ports pp;
	struct net_flow_key nk;
	struct tcp_flow_key k;
	unsigned n = 0;
	int rc;

	cr_assert_eq(net_flow_owner_init(&rss, 4, NULL, 0), 0);
	cr_assert_eq(net_flow_ports_init(&pp, &rss, 2, 40000, 40999), 0);
	for (;;) {
		tcp_flow_key_set(&k, 0, RTE_BE32(0x0a000001), 0,
		                 RTE_BE32(0xc0a80105), RTE_BE16(443));
		tcp_flow_key_to_net(&nk, &k);
		rc = net_flow_port_choose(&rss, &pp, &nk, tcp_flow_busy, t);
		if (rc != 0)
			break;
		cr_assert_eq(net_flow_owner_of_flow(&rss, &nk), 2);
		tcp_flow_key_from_net(&k, &nk);
		cr_assert_eq(tcp_flow_insert(t, &k, n), 0, "port chosen twice");
		n++;
	}
	cr_assert_eq(rc, -EADDRNOTAVAIL);
	cr_log_info("%u of 1000 ports map to worker 2 of 4", n);
	cr_assert_gt(n, 150);
	cr_assert_lt(n, 350);
	tcp_flow_table_free(t);
}

Test(tcp_flow, verify_fires_on_bad_table, .signal = SIGABRT)
{
	static char junk[256] __attribute__((aligned(64)));
	struct tcp_flow_key k;
	uint32_t v;

	memset(junk, 0, sizeof(junk));
	tcp_flow_key_set(&k, 0, 1, 2, 3, 4);
	tcp_flow_lookup((struct tcp_flow_table *)junk, &k, &v);
}
