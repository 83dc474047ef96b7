/*
 * Selective acknowledgment (RFC 2018) and the loss-recovery bookkeeping
 * of RFC 6675.
 *
 * Sender side: the scoreboard is a sorted array of at most TCP_SB_MAX
 * disjoint ranges the peer reported holding above snd_una; a block that
 * would need one more range replaces the lowest (the recovery then only
 * retransmits a little more than needed).  A hole (a range between
 * snd_una and the highest SACKed byte that the peer does not hold) is
 * lost, RFC 6675 IsLost(), when more than (DupThresh - 1) * MSS bytes or
 * DupThresh ranges above it are SACKed: lost holes are always a prefix of
 * the holes.  Holes not lost yet are taken as reordered and left alone.
 * pipe counts the bytes outstanding that are neither SACKed nor
 * lost-and-not-yet-retransmitted.
 *
 * Receiver side: blocks come from the out-of-order queue, the one holding
 * the latest arrival first, then the others in sequence order.
 */
#include <errno.h>

#include "tcp/tcp_priv.h"

void
tcp_sack_clear(struct tcp_conn *c)
{
	c->n_sb = 0;
	c->sacked_bytes = 0;
}

static void
tcp_sack_recount(struct tcp_conn *c)
{
	uint32_t sum = 0;
	unsigned i;

	for (i = 0; i < c->n_sb; i++)
		sum += c->sb[i].end - c->sb[i].start;
	c->sacked_bytes = sum;
}

void
tcp_sack_trim(struct tcp_conn *c)
{
	unsigned i, j = 0;

	for (i = 0; i < c->n_sb; i++) {
		struct tcp_seq_range r = c->sb[i];

		if (SEQ_LEQ(r.end, c->snd_una))
			continue;
		if (SEQ_LT(r.start, c->snd_una))
			r.start = c->snd_una;
		c->sb[j++] = r;
	}
	c->n_sb = (uint8_t)j;
	tcp_sack_recount(c);
}

/* Merge [start, end) into the sorted scoreboard. */
static void
tcp_sack_add(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	struct tcp_seq_range nb[TCP_SB_MAX + 1];
	unsigned i, n = 0;
	bool placed = false;

	for (i = 0; i < c->n_sb; i++) {
		struct tcp_seq_range r = c->sb[i];

		if (SEQ_LT(r.end, start)) {
			nb[n++] = r;
			continue;
		}
		if (SEQ_GT(r.start, end)) {
			if (!placed) {
				nb[n++] = (struct tcp_seq_range){start, end};
				placed = true;
			}
			nb[n++] = r;
			continue;
		}
		/* overlaps or touches: absorb */
		start = SEQ_MIN(start, r.start);
		end = SEQ_MAX(end, r.end);
	}
	if (!placed)
		nb[n++] = (struct tcp_seq_range){start, end};
	GH_VERIFY(n <= TCP_SB_MAX + 1);
	if (n > TCP_SB_MAX) { /* lose the lowest range */
		for (i = 0; i < TCP_SB_MAX; i++)
			c->sb[i] = nb[i + 1];
		n = TCP_SB_MAX;
	} else {
		for (i = 0; i < n; i++)
			c->sb[i] = nb[i];
	}
	c->n_sb = (uint8_t)n;
}

bool
tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *g)
{
	uint32_t before = c->sacked_bytes;
	unsigned i;

	for (i = 0; i < g->n_sack; i++) {
		uint32_t st = g->sack[i].start, en = g->sack[i].end;

		/* RFC 2018 / 6675: only blocks within (snd_una, snd_max] */
		if (!SEQ_LT(st, en) || SEQ_GT(en, c->snd_max) ||
		    SEQ_LEQ(en, c->snd_una))
			continue;
		if (SEQ_LT(st, c->snd_una))
			st = c->snd_una;
		c->s->cnt.sack_blocks_rx++;
		tcp_sack_add(c, st, en);
	}
	tcp_sack_recount(c);
	return c->sacked_bytes > before;
}

/* IsLost() of a hole just below scoreboard range <i>. */
static bool
tcp_sack_lost_below(const struct tcp_conn *c, unsigned i)
{
	uint32_t above = 0;
	unsigned j;

	if (c->n_sb - i >= TCP_DUPTHRESH)
		return true;
	for (j = i; j < c->n_sb; j++)
		above += c->sb[j].end - c->sb[j].start;
	return above > (TCP_DUPTHRESH - 1) * (uint32_t)c->mss;
}

bool
tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq)
{
	unsigned i;

	for (i = 0; i < c->n_sb; i++) {
		if (SEQ_LT(seq, c->sb[i].start))
			return tcp_sack_lost_below(c, i);
		if (SEQ_LT(seq, c->sb[i].end))
			return false; /* SACKed, not lost */
	}
	return false;
}

uint32_t
tcp_sack_above(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t sum = 0;
	unsigned i;

	for (i = 0; i < c->n_sb; i++)
		if (SEQ_GT(c->sb[i].end, seq))
			sum += c->sb[i].end - SEQ_MAX(c->sb[i].start, seq);
	return sum;
}

uint32_t
tcp_sack_high(const struct tcp_conn *c)
{
	return c->n_sb > 0 ? c->sb[c->n_sb - 1].end : c->snd_una;
}

bool
tcp_sack_covered(const struct tcp_conn *c, uint32_t seq, uint32_t *end)
{
	unsigned i;

	for (i = 0; i < c->n_sb; i++)
		if (SEQ_GEQ(seq, c->sb[i].start) && SEQ_LT(seq, c->sb[i].end)) {
			*end = c->sb[i].end;
			return true;
		}
	return false;
}

int
tcp_sack_next_hole(const struct tcp_conn *c, uint32_t from,
                   struct tcp_seq_range *h)
{
	uint32_t at = SEQ_MAX(from, c->snd_una);
	unsigned i;

	for (i = 0; i < c->n_sb; i++) {
		if (SEQ_LT(at, c->sb[i].start)) {
			if (!tcp_sack_lost_below(c, i))
				return -ENOENT;
			h->start = at;
			h->end = c->sb[i].start;
			return 0;
		}
		if (SEQ_LT(at, c->sb[i].end))
			at = c->sb[i].end;
	}
	return -ENOENT;
}

uint32_t
tcp_sack_pipe(const struct tcp_conn *c)
{
	uint32_t out = c->snd_max - c->snd_una;
	uint32_t lost = 0, at = c->snd_una, pipe;
	unsigned i;

	/* lost holes beyond high_rxt: neither held nor in flight */
	for (i = 0; i < c->n_sb && tcp_sack_lost_below(c, i); i++) {
		uint32_t hs = SEQ_MAX(at, c->high_rxt);

		if (SEQ_LT(hs, c->sb[i].start))
			lost += c->sb[i].start - hs;
		at = c->sb[i].end;
	}
	pipe = out - c->sacked_bytes;
	return pipe > lost ? pipe - lost : 0;
}

unsigned
tcp_sack_blocks(const struct tcp_conn *c, struct tcp_seq_range *b, unsigned max)
{
	struct tcp_seq_range r[TCP_OOO_MAX];
	const struct rte_mbuf *m;
	unsigned n = 0, i, out = 0, first = TCP_NONE;

	for (m = c->ooo_head; m != NULL && n < TCP_OOO_MAX; m = m->next) {
		uint32_t st = m->hash.usr, en = st + m->data_len;

		if (n > 0 && r[n - 1].end == st)
			r[n - 1].end = en;
		else
			r[n++] = (struct tcp_seq_range){st, en};
	}
	for (i = 0; i < n; i++)
		if (SEQ_GEQ(c->ooo_last, r[i].start) &&
		    SEQ_LT(c->ooo_last, r[i].end))
			first = i;
	if (first != TCP_NONE && out < max)
		b[out++] = r[first];
	for (i = 0; i < n && out < max; i++)
		if (i != first)
			b[out++] = r[i];
	return out;
}

uint32_t
tcp_sack_optlen(const struct tcp_conn *c)
{
	struct tcp_seq_range b[TCP_RSACK_MAX];
	unsigned nb;

	if (!(c->flags & TCP_CF_SACK) || c->ooo_head == NULL)
		return 0;
	/* the blocks tcp_opts_est() will send: two NOPs, kind, length */
	nb = tcp_sack_blocks(c, b, tcp_sack_blocks_max(c));
	return nb > 0 ? 4 + 8 * nb : 0;
}
