/*
 * lib/lb pools: the immutable shape of a backend pool and, for
 * LB_URI_HASH, its Maglev lookup table (Eisenbud et al., "Maglev: A Fast
 * and Reliable Software Network Load Balancer", NSDI 2016, section 3.4),
 * with weights.  Built by the control thread; read by any number of
 * workers at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/gh_siphash.h"
#include "lb_priv.h"

/* Fixed keys: a server's permutation must be the same in every process
 * and every build, so it depends on its id only. */
static const uint8_t lb_key_offset[16] = {
    0x47, 0x61, 0x74, 0x65, 0x68, 0x6f, 0x75, 0x73,
    0x65, 0x20, 0x6c, 0x62, 0x20, 0x6f, 0x66, 0x66,
};
static const uint8_t lb_key_skip[16] = {
    0x47, 0x61, 0x74, 0x65, 0x68, 0x6f, 0x75, 0x73,
    0x65, 0x20, 0x6c, 0x62, 0x20, 0x73, 0x6b, 0x70,
};

static uint64_t
lb_id_hash(const uint8_t key[16], uint64_t id)
{
	uint8_t b[8];

	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(id >> (8 * i));
	return gh_siphash(key, b, sizeof(b));
}

/*
 * Fills <p>->table (paper's Algorithm 1, weighted).  Each server i walks
 * its own permutation of the slots (offset_i, offset_i + skip_i, ...,
 * mod M) and takes the first slot still empty when its turn comes.  Turns
 * are weighted: in each round every server earns its weight in credit and
 * takes one turn per wmax of credit, so the heaviest server takes one turn
 * a round and the others in proportion.  Servers take their turns in the
 * order of their ids, not of their indexes, so the same ids listed in
 * another order give the same table (mapped through the indexes).
 */
static void
lb_maglev_fill(struct lb_pool *p)
{
	const uint32_t m = p->table_size;
	uint32_t pos[LB_SERVERS_MAX], skip[LB_SERVERS_MAX];
	uint32_t credit[LB_SERVERS_MAX] = {0}, slots[LB_SERVERS_MAX] = {0};
	unsigned order[LB_SERVERS_MAX];
	uint32_t wmax = 0, filled = 0;

	for (unsigned i = 0; i < p->n; i++) {
		unsigned j = i;

		pos[i] = (uint32_t)(lb_id_hash(lb_key_offset, p->ids[i]) % m);
		skip[i] =
		    (uint32_t)(lb_id_hash(lb_key_skip, p->ids[i]) % (m - 1)) +
		    1;
		if (p->weights[i] > wmax)
			wmax = p->weights[i];
		/* insertion sort of the indexes by id */
		while (j > 0 && p->ids[order[j - 1]] > p->ids[i]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	memset(p->table, LB_MAGLEV_EMPTY, m);
	/* Every round fills at least one slot (the heaviest server's turn)
	 * and each turn's walk ends on an empty slot, so this ends; <m>
	 * rounds is a bound no input reaches. */
	for (uint32_t round = 0; filled < m; round++) {
		GH_VERIFY(round < m);
		for (unsigned k = 0; k < p->n && filled < m; k++) {
			unsigned i = order[k];

			credit[i] += p->weights[i];
			if (credit[i] < wmax)
				continue;
			credit[i] -= wmax;
			while (p->table[pos[i]] != LB_MAGLEV_EMPTY) {
				pos[i] += skip[i];
				if (pos[i] >= m)
					pos[i] -= m;
			}
			p->table[pos[i]] = (uint8_t)i;
			slots[i]++;
			filled++;
		}
	}
	/* lb_pick's walk relies on every server owning a slot. */
	for (unsigned i = 0; i < p->n; i++)
		GH_VERIFY(slots[i] > 0);
}

struct lb_pool *
lb_pool_new(enum lb_algo algo, const uint32_t *weights, const uint64_t *ids,
            unsigned n)
{
	struct lb_pool *p;
	uint32_t m = 0;

	if (weights == NULL || n == 0 || n > LB_SERVERS_MAX ||
	    (algo != LB_ROUND_ROBIN && algo != LB_LEAST_OUTSTANDING &&
	     algo != LB_URI_HASH))
		goto einval;
	if (algo == LB_URI_HASH) {
		if (ids == NULL)
			goto einval;
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = 0; j < i; j++)
				if (ids[i] == ids[j])
					goto einval;
		m = LB_MAGLEV_M;
	}
	for (unsigned i = 0; i < n; i++)
		if (weights[i] < 1 || weights[i] > 256)
			goto einval;
	p = calloc(1, sizeof(*p) + m);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->magic = LB_POOL_MAGIC;
	p->algo = algo;
	p->n = n;
	p->table_size = m;
	for (unsigned i = 0; i < n; i++) {
		p->weights[i] = weights[i];
		p->ids[i] = ids != NULL ? ids[i] : i;
		p->total_weight += weights[i];
	}
	if (m != 0)
		lb_maglev_fill(p);
	return p;
einval:
	errno = EINVAL;
	return NULL;
}

void
lb_pool_free(struct lb_pool *p)
{
	if (p == NULL)
		return;
	GH_CHECK_OBJ(p, LB_POOL_MAGIC);
	p->magic = 0;
	free(p);
}

unsigned
lb_pool_servers(const struct lb_pool *p)
{
	GH_CHECK_OBJ_NOTNULL(p, LB_POOL_MAGIC);
	return p->n;
}

enum lb_algo
lb_pool_algo(const struct lb_pool *p)
{
	GH_CHECK_OBJ_NOTNULL(p, LB_POOL_MAGIC);
	return p->algo;
}
