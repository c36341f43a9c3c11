/* alloc.c - the balancer's allocation rule (see alloc.h).
 *
 * The directed guests may hold, together, what they hold now plus what
 * is free beyond the free memory to keep (the reserve, or more while a
 * `--free` is held): the pool. Each asks for its goal, taken within the
 * bounds its administrator set: its want.
 *
 *   - Plentiful (the wants fit the pool): each gets its want; the rest
 *     stays free for new domains, or, with share_surplus, is given out by
 *     weight up to each guest's maximum.
 *   - Short: each gets its minimum, and what is left is shared by
 *     weight, max-min fair (water-filling): a guest that asks for less
 *     than its weighted part gets what it asks, and what it leaves goes
 *     to the others in proportion to their weights. A guest above its
 *     goal therefore gives first, and a guest that claims its maximum
 *     (a liar) gets its weighted part and no more.
 *
 * Moves: a guest above its share is shrunk at once (by at least the
 * deadband, so a steady host stops writing); a guest below it grows by
 * what the hypervisor has free above the free memory to keep now, less
 * the growth already granted and not yet taken, the stalling guests
 * first (for a frozen guest that rejoins, a rise up to what it still
 * holds takes nothing from it). The rest comes on a later call, as the
 * donors release memory.
 * A frozen guest is not moved, and what it holds (or was granted) is not
 * in the pool.
 */
#include "alloc.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

const char *
alloc_why_name(int why)
{
	switch (why) {
	case ALLOC_WHY_STEADY:
		return "steady";
	case ALLOC_WHY_GOAL:
		return "goal";
	case ALLOC_WHY_SHARE:
		return "share";
	case ALLOC_WHY_SURPLUS:
		return "surplus";
	case ALLOC_WHY_FLOOR:
		return "floor";
	case ALLOC_WHY_WAIT:
		return "waiting for free memory";
	case ALLOC_WHY_FROZEN:
		return "frozen";
	default:
		return "?";
	}
}

static uint64_t
clamp_kb(uint64_t v)
{
	return MIN(v, ALLOC_KB_MAX);
}

/* a - b, or 0 when b is larger. */
static uint64_t
sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Bring a guest's inputs within bounds and work out its want. */
static void
sanitize(struct alloc_guest *x)
{
	x->cur_kb = clamp_kb(x->cur_kb);
	x->extra_kb = MIN(x->extra_kb, x->cur_kb);
	x->target_kb = clamp_kb(x->target_kb);
	x->goal_kb = clamp_kb(x->goal_kb);
	x->max_kb = clamp_kb(x->max_kb);
	x->min_kb = MIN(clamp_kb(x->min_kb), x->max_kb);
	if (x->weight == 0)
		x->weight = 1;
	if (x->weight > ALLOC_WEIGHT_MAX)
		x->weight = ALLOC_WEIGHT_MAX;
	x->want_kb = x->have_goal ? x->goal_kb : x->target_kb;
	x->want_kb = MAX(x->want_kb, x->min_kb);
	x->want_kb = MIN(x->want_kb, x->max_kb);
	x->new_target_kb = x->target_kb;
	x->why = x->frozen ? ALLOC_WHY_FROZEN : ALLOC_WHY_STEADY;
	x->rank = 0;
}

/*
 * Share avail among the guests not yet done, max-min fair by weight:
 * guest i may take at most its demand_kb; what it gets is added to its
 * share_kb. Rounds: each guest still unserved is offered its weighted
 * part of what is left; those that need no more take their demand and
 * drop out, and the others share again what these left. When a round
 * serves nobody, each remaining guest takes its part. At most n rounds.
 */
static void
waterfill(struct alloc_guest *g, size_t n, uint64_t avail)
{
	for (;;) {
		unsigned __int128 wsum = 0;
		bool served = false;

		for (size_t i = 0; i < n; i++)
			if (!g[i].done)
				wsum += g[i].weight;
		if (wsum == 0)
			return;
		for (size_t i = 0; i < n; i++) {
			uint64_t part;

			if (g[i].done)
				continue;
			part = (uint64_t)((unsigned __int128)avail * g[i].weight / wsum);
			if (g[i].demand_kb <= part) {
				g[i].share_kb += g[i].demand_kb;
				avail -= g[i].demand_kb;
				g[i].done = true;
				served = true;
			}
		}
		if (served)
			continue;
		/* Everyone left wants more than its part: each takes its part
		 * of the same total (rounding leaves a few kB free). */
		{
			uint64_t total = avail;

			for (size_t i = 0; i < n; i++) {
				if (g[i].done)
					continue;
				g[i].share_kb += (uint64_t)((unsigned __int128)total * g[i].weight / wsum);
				g[i].done = true;
			}
		}
		return;
	}
}

/* Every unfrozen guest's share of the pool. */
static void
share_pool(const struct alloc_host *h, struct alloc_guest *g, size_t n,
	   struct alloc_result *r)
{
	uint64_t sum_min = 0;
	bool plenty = r->want_kb <= r->pool_kb;

	for (size_t i = 0; i < n; i++) {
		if (!g[i].frozen)
			sum_min += g[i].min_kb;
		g[i].share_kb = g[i].frozen ? 0 : plenty ? g[i].want_kb : g[i].min_kb;
	}
	if (plenty) {
		if (!h->share_surplus || r->pool_kb == r->want_kb)
			return;
		for (size_t i = 0; i < n; i++) {
			g[i].demand_kb = g[i].frozen ? 0 : g[i].max_kb - g[i].want_kb;
			g[i].done = g[i].demand_kb == 0;
		}
		waterfill(g, n, r->pool_kb - r->want_kb);
		return;
	}
	r->short_of_memory = true;
	if (sum_min >= r->pool_kb) {
		r->floors_unmet = sum_min > r->pool_kb;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		g[i].demand_kb = g[i].frozen ? 0 : g[i].want_kb - g[i].min_kb;
		g[i].done = g[i].demand_kb == 0;
	}
	waterfill(g, n, r->pool_kb - sum_min);
}

/* Growth order: stalling guests first, then the one furthest below its
 * share for its weight; ties to the lower index. True when a should be
 * served before b. */
static bool
grows_before(const struct alloc_guest *a, const struct alloc_guest *b)
{
	unsigned __int128 la, lb;

	if (a->stalling != b->stalling)
		return a->stalling;
	la = (unsigned __int128)(a->share_kb - a->target_kb) * b->weight;
	lb = (unsigned __int128)(b->share_kb - b->target_kb) * a->weight;
	return la > lb;
}

void
alloc_run(const struct alloc_host *h, struct alloc_guest *g, size_t n,
	  struct alloc_result *r)
{
	uint64_t held = 0, frozen_extra = 0, inflight = 0, want_more = 0, budget;
	bool host_short;
	uint64_t free_kb = clamp_kb(h->free_kb), keep_kb = clamp_kb(h->keep_free_kb);

	*r = (struct alloc_result){ 0 };
	for (size_t i = 0; i < n; i++) {
		sanitize(&g[i]);
		if (g[i].frozen) {
			/* What it was granted and may still take is not free. */
			frozen_extra += sub0(g[i].target_kb, g[i].cur_kb);
			continue;
		}
		/* What no target directs is not in the pool: with it, the
		 * host would end short of what it keeps free by that much. */
		held += sub0(g[i].cur_kb, g[i].extra_kb);
		r->want_kb += g[i].want_kb;
		inflight += sub0(g[i].target_kb, g[i].cur_kb);
		r->can_free_kb += sub0(g[i].cur_kb, g[i].min_kb);
	}
	r->can_free_kb += sub0(free_kb, frozen_extra);
	r->pool_kb = sub0(free_kb + held, keep_kb + frozen_extra);
	share_pool(h, g, n, r);

	/* What may be granted now, and what growth asks for. */
	budget = sub0(free_kb, keep_kb + inflight + frozen_extra);
	r->budget_kb = budget;
	for (size_t i = 0; i < n; i++)
		if (!g[i].frozen)
			want_more += sub0(g[i].share_kb, g[i].target_kb);

	/* Shrinks, at once. Small ones only when growth is starved, or the
	 * host has less free than it must keep (a --free waits on them). */
	host_short = free_kb < keep_kb + frozen_extra;
	for (size_t i = 0; i < n; i++) {
		struct alloc_guest *x = &g[i];
		uint64_t less;

		if (x->frozen || x->share_kb >= x->target_kb)
			continue;
		less = x->target_kb - x->share_kb;
		if (less < h->deadband_kb && want_more <= budget && !host_short)
			continue;
		x->new_target_kb = x->share_kb;
		x->why = x->share_kb == x->min_kb && r->floors_unmet ? ALLOC_WHY_FLOOR :
		    r->short_of_memory ? ALLOC_WHY_SHARE : ALLOC_WHY_GOAL;
		r->moves++;
	}

	/* Growth, from the budget, in order. Each pass serves the first
	 * grower not yet served. */
	for (size_t i = 0; i < n; i++)
		g[i].done = g[i].frozen || g[i].share_kb <= g[i].target_kb;
	for (;;) {
		struct alloc_guest *x = NULL;
		uint64_t more, give, held_up;

		for (size_t i = 0; i < n; i++)
			if (!g[i].done && (x == NULL || grows_before(&g[i], x)))
				x = &g[i];
		if (x == NULL)
			break;
		x->done = true;
		more = x->share_kb - x->target_kb;
		/* A guest that rejoins above its target: up to what it holds,
		 * a rise takes nothing from the host. (Not for one that is
		 * shrinking: what it still holds is on its way to others.) */
		held_up = x->rejoining ? sub0(x->cur_kb, x->target_kb) : 0;
		give = MIN(more, budget + held_up);
		/* A tiny step is not worth a write, unless the guest stalls
		 * or it completes the move. */
		if (give == 0 || (give < h->step_min_kb && !x->stalling && give < more) ||
		    (more < h->step_min_kb && !x->stalling)) {
			if (give < more && more >= h->step_min_kb)
				x->why = ALLOC_WHY_WAIT;
			continue;
		}
		budget -= sub0(give, held_up);
		x->new_target_kb = x->target_kb + give;
		x->rank = ++r->growers;
		x->why = give < more ? ALLOC_WHY_WAIT :
		    x->share_kb > x->want_kb ? ALLOC_WHY_SURPLUS :
		    r->short_of_memory ? ALLOC_WHY_SHARE : ALLOC_WHY_GOAL;
		r->moves++;
	}
}
