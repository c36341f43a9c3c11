/* pressure.c - the pressure-aware selfballooning goal, free of I/O.
 *
 * The 2009 goal, Committed_AS, misses every page the kernel uses
 * without committing it (slab, page tables, a compressed swap's own
 * store): a guest held there thrashes. This goal starts instead from
 * the memory really in use, MemTotal - MemAvailable, plus the page
 * cache still in use (MemAvailable counts all cache as free: the part
 * to keep is workingset.c's), and adds a headroom sized by how fast
 * that use grew recently: the fastest rise seen in the last
 * PRESSURE_WINDOW_MS, times the time it takes us to react
 * (PRESSURE_HORIZON_MS; three quarters of it for a burst, watched every
 * 250 ms, unless a hot cache is kept), never less than a minimum. Then,
 * as senpai does with PSI, the two moves are asymmetric:
 *
 *   grow at once, and generously (to the goal plus the growth to come
 *   before the next sample: a horizon of it from the tick, a fast
 *   sample's worth between fast samples, a horizon again while a hot
 *   cache is kept, which a short grow would evict), when MemAvailable
 *   beyond the kept cache falls under the headroom or tasks start to
 *   stall for memory (0.5 % of the time, or 0.1 % while use rises:
 *   an allocation that stalls has already met
 *   reclaim; so has one while the kernel reclaims pages, which a guest
 *   without PSI shows too); a stall of the cache's own refaults grows
 *   by what was read back (the goal has it), not by a headroom more
 *   each time, and so does a stall while the balloon is still handing
 *   the guest the memory of a grow, or did during the sample: the stall
 *   came before that memory (or is swap-ins it cannot spare), and a
 *   headroom stacked on each such sample grew a 96 MB burst by 380 MB;
 *
 *   while the balloon is taking the memory of a shrink (it did since
 *   the last sample, or is still above its target), a stall or reclaim
 *   without refaults or swap-ins is the balloon's own reclaim evicting
 *   cache for its pages: it grows nothing, or every shrink of a cached
 *   guest would bounce back;
 *
 *   shrink quickly while it is safe (no stall, no refaults or swap-ins,
 *   use not rising, even slowly, over the last 2 s, a few seconds after
 *   the last grow): three quarters of the gap a second, so free memory
 *   goes back within seconds; an eighth while a little stall shows; not at all
 *   above PRESSURE_STALL_STOP_PPM. Memory the guest's tasks have just
 *   given back (use fell by a headroom within 2 s: a burst unmapped)
 *   is free pages: while nothing stalls it goes at once, all of it,
 *   hold-off or not.
 *
 * A move smaller than the deadband is not made, so a settled guest
 * stops writing the balloon. Targets stay within the floor and the
 * maximum of policy_decide. The caller samples again after
 * next_sample_ms while use rises, a burst is remembered or MemAvailable
 * is within two headrooms, so a burst is met within a fraction of a
 * second rather than at the next tick.
 */
#include "pressure.h"
#include "satmath.h"



void
pressure_init(struct pressure_state *st)
{
	*st = (struct pressure_state){ 0 };
}

const char *
pressure_action_name(enum pressure_action a)
{
	switch (a) {
	case PRESSURE_GROW:
		return "grow";
	case PRESSURE_SHRINK:
		return "shrink";
	case PRESSURE_HOLD:
	default:
		return "hold";
	}
}

static void
ring_push(struct pressure_state *st, uint64_t t_ms, uint64_t inuse_kb)
{
	if (st->count > 0)
		st->head = (st->head + 1) % PRESSURE_RING;
	st->ring[st->head] = (struct pressure_sample){ t_ms, inuse_kb };
	if (st->count < PRESSURE_RING)
		st->count++;
}

/* The i-th newest sample (0: ring[head]); i < st->count. */
static const struct pressure_sample *
ring_back(const struct pressure_state *st, unsigned i)
{
	return &st->ring[(st->head + PRESSURE_RING - i) % PRESSURE_RING];
}

/* The fastest rise of use between two successive samples of the
 * window, in kB a second. Intervals shorter than a fast sample count
 * as one, so two readings close together do not make a huge rate. */
static uint64_t
window_rate(const struct pressure_state *st, uint64_t now_ms)
{
	uint64_t best = 0;

	for (unsigned i = 0; i + 1 < st->count; i++) {
		const struct pressure_sample *a = ring_back(st, i + 1);
		const struct pressure_sample *b = ring_back(st, i);
		uint64_t dt = sub0(b->t_ms, a->t_ms), r;

		if (sub0(now_ms, b->t_ms) > PRESSURE_WINDOW_MS)
			break;
		if (b->inuse_kb <= a->inuse_kb)
			continue;
		if (dt < PRESSURE_FAST_SAMPLE_MS)
			dt = PRESSURE_FAST_SAMPLE_MS;
		r = (b->inuse_kb - a->inuse_kb) * 1000 / dt;
		if (r > best)
			best = r;
	}
	return best;
}

/* The lowest (or highest) in-use reading of the last
 * PRESSURE_GROWING_MS, now's included. */
static uint64_t
recent_extreme(const struct pressure_state *st, uint64_t now_ms, uint64_t inuse_kb,
	       bool highest)
{
	uint64_t x = inuse_kb;

	for (unsigned i = 1; i < st->count; i++) {
		const struct pressure_sample *a = ring_back(st, i);

		if (sub0(now_ms, a->t_ms) > PRESSURE_GROWING_MS)
			break;
		if (highest ? a->inuse_kb > x : a->inuse_kb < x)
			x = a->inuse_kb;
	}
	return x;
}

/* The in-use reading "use rising" is judged against: the newest
 * sample at least half a fast sample older than now (ring[head]), or
 * the oldest there is. Two samples a few ms apart (the tick and a fast
 * sample land together about once a second) cannot tell a rise from a
 * stop: judged against each other, a load reading 30 MB/s looked
 * settled, sampling fell back to the tick, and the kernel reclaimed the
 * load's pages for the second that followed. */
static uint64_t
rise_base(const struct pressure_state *st, uint64_t now_ms)
{
	uint64_t base = st->ring[st->head].inuse_kb;

	for (unsigned i = 1; i < st->count; i++) {
		const struct pressure_sample *a = ring_back(st, i);

		base = a->inuse_kb;
		if (sub0(now_ms, a->t_ms) >= PRESSURE_FAST_SAMPLE_MS / 2)
			break;
	}
	return base;
}

/* Whether use rose by PRESSURE_RISE_KB or more within the last
 * PRESSURE_GROWING_MS, from the lowest reading of that time to now: an
 * allocation too slow to rise by that much between two samples. */
static bool
growing(const struct pressure_state *st, uint64_t now_ms, uint64_t inuse_kb)
{
	return inuse_kb >= sat_add(recent_extreme(st, now_ms, inuse_kb, false),
	    PRESSURE_RISE_KB);
}

/* Whether use fell by `by` kB or more within the last
 * PRESSURE_GROWING_MS, from the highest reading of that time to now:
 * memory the guest's tasks gave back (a burst unmapped, a build's
 * compiler gone), free pages the balloon takes without reclaim. */
static bool
fell(const struct pressure_state *st, uint64_t now_ms, uint64_t inuse_kb, uint64_t by)
{
	return recent_extreme(st, now_ms, inuse_kb, true) >= sat_add(inuse_kb, by);
}

/* Stall and refaults since the previous sample. */
static void
rates(struct pressure_state *st, const struct pressure_in *in, struct pressure_out *out)
{
	uint64_t dt = st->have_prev ? sub0(in->now_ms, st->prev_ms) : 0;

	if (dt > 0 && in->have_psi && st->prev_had_psi && in->some_us >= st->prev_some_us) {
		uint64_t ppm = (in->some_us - st->prev_some_us) * 1000 / dt;

		out->stall_ppm = ppm > 1000000 ? 1000000 : (unsigned)ppm;
	}
	if (dt > 0 && in->have_refaults && st->prev_had_refault &&
	    in->refault_pages >= st->prev_refault_pages)
		out->refault_pages_s = (in->refault_pages - st->prev_refault_pages) * 1000 / dt;
	if (dt > 0 && in->have_reclaim && st->prev_had_reclaim &&
	    in->reclaim_pages >= st->prev_reclaim_pages)
		out->reclaim_pages_s = (in->reclaim_pages - st->prev_reclaim_pages) * 1000 / dt;
	st->have_prev = true;
	st->prev_ms = in->now_ms;
	st->prev_had_psi = in->have_psi;
	st->prev_some_us = in->some_us;
	st->prev_had_refault = in->have_refaults;
	st->prev_refault_pages = in->refault_pages;
	st->prev_had_reclaim = in->have_reclaim;
	st->prev_reclaim_pages = in->reclaim_pages;
}

void
pressure_decide(struct pressure_state *st, const struct pressure_in *in,
		struct pressure_out *out)
{
	const struct policy_out *b = in->bounds;
	uint64_t avail, burst_kb, gap, ahead_kb;
	bool rising, stalling, inflating, own_reclaim, answering, given_back, short_lead;
	bool hot_cache, burst;
	bool had_sample = st->count > 0;

	*out = (struct pressure_out){ .action = PRESSURE_HOLD, .why = "settled" };
	out->used_kb = in->used_kb < in->mem_total_kb ? in->used_kb : in->mem_total_kb;
	avail = in->mem_total_kb - out->used_kb;
	/* The kept cache is in use, not available. */
	out->cache_kb = in->cache_keep_kb < avail ? in->cache_keep_kb : avail;
	avail -= out->cache_kb;
	out->inuse_kb = out->used_kb + out->cache_kb;
	hot_cache = out->cache_kb >= PRESSURE_HOT_CACHE_KB;
	/* A grow runs ahead of use by what use may add before the next
	 * look at it: a whole horizon from the tick or a settled guest's
	 * sample, a fast sample's worth while growth is paced by samples
	 * every PRESSURE_FAST_SAMPLE_MS (use rising, a burst remembered,
	 * a grow just made; a burst grown two horizons ahead at every
	 * fast sample held twice what it needed at its top). Not while a
	 * hot cache is kept: there a grow that falls short has the kernel
	 * reclaim that cache, and each page of it comes back as a disk
	 * read (a service reading its data at 30 MB/s, grown 7.5 MB ahead
	 * at a time, read 4-8 MB of it back when it served): there it runs
	 * a whole horizon ahead. */
	short_lead = had_sample && st->watching && !hot_cache &&
	    sub0(in->now_ms, st->ring[st->head].t_ms) <= 2ULL * PRESSURE_FAST_SAMPLE_MS;

	ring_push(st, in->now_ms, out->inuse_kb);
	rates(st, in, out);
	rising = had_sample &&
	    out->inuse_kb >= sat_add(rise_base(st, in->now_ms), PRESSURE_RISE_KB);

	out->rate_kb_s = window_rate(st, in->now_ms);
	burst_kb = out->rate_kb_s * PRESSURE_HORIZON_MS / 1000;
	burst = burst_kb > PRESSURE_MIN_HEADROOM_KB;
	/* The headroom lasts until the rule has reacted: a horizon from
	 * the tick. Growth faster than the minimum headroom a horizon is a
	 * burst, remembered for the window with samples every 250 ms, so
	 * a grow lands a sample and the balloon's hand-over (0.1-0.25 s)
	 * after the next burst starts (bursts of 75 MB/s used 14-28 MB of a
	 * 75 MB headroom before it did): three quarters of the horizon
	 * cover it. While a hot cache is kept, the whole horizon: a
	 * headroom that falls short is cache evicted, read back from the
	 * disk. */
	out->headroom_kb = hot_cache ? burst_kb :
	    out->rate_kb_s * PRESSURE_FAST_HORIZON_MS / 1000;
	if (out->headroom_kb < PRESSURE_MIN_HEADROOM_KB)
		out->headroom_kb = PRESSURE_MIN_HEADROOM_KB;
	out->goal_kb = policy_clamp(b,
	    sat_add(sat_add(out->inuse_kb, out->headroom_kb), b->offset_kb));
	out->deadband_kb = in->target_kb / PRESSURE_DEADBAND_DIV;
	if (out->deadband_kb < PRESSURE_DEADBAND_MIN_KB)
		out->deadband_kb = PRESSURE_DEADBAND_MIN_KB;
	out->new_kb = in->target_kb;
	/* Watch closely while use rises, just after a grow, while the
	 * window remembers a burst (growth faster than the minimum headroom
	 * a horizon), and while MemAvailable is within two headrooms (a
	 * guest sized to its goal, able to grow): the headroom is sized for
	 * a reaction within the horizon, and the next burst is seen within
	 * a fast sample rather than at the tick, as is its memory given
	 * back. From the tick, a burst of 74 MB a second met a guest held at
	 * the minimum headroom half a second in, out of memory: the kernel
	 * stalled it 0.35 s swapping. A settled guest with memory to spare
	 * (at its floor, say) waits for the tick. */
	if (rising)
		out->sampling_why = "use rising";
	else if (burst)
		out->sampling_why = "a burst remembered";
	else if (avail < PRESSURE_NEAR_HEADROOMS * out->headroom_kb && in->target_kb < b->max_kb)
		out->sampling_why = "MemAvailable within two headrooms";
	out->next_sample_ms = out->sampling_why ? PRESSURE_FAST_SAMPLE_MS : 0;
	/* Growth paced by fast samples: a guest sampled fast only for being
	 * near its headroom is settled, and the first grow of a burst it
	 * meets runs a whole horizon ahead, as from the tick. */
	st->watching = rising || burst;
	ahead_kb = short_lead ? burst_kb * PRESSURE_FAST_SAMPLE_MS / PRESSURE_HORIZON_MS : burst_kb;

	/* Grow: the headroom is running out, or tasks stall. */
	inflating = in->current_kb > sat_add(in->target_kb, PRESSURE_INFLATING_KB);
	/* The balloon took memory since the last sample: the stall of that
	 * interval is its reclaim's. */
	own_reclaim = (inflating || (in->current_kb != 0 && had_sample &&
	    sat_add(in->current_kb, PRESSURE_INFLATING_KB) < st->prev_current_kb)) &&
	    out->refault_pages_s <= PRESSURE_REFAULT_QUIET_PAGES_S;
	/* The balloon is handing the guest memory: a grow is still on its
	 * way, or came in during this sample (its stall was before). */
	answering = in->current_kb != 0 &&
	    (sat_add(in->current_kb, PRESSURE_INFLATING_KB) < in->target_kb ||
	    (had_sample && st->prev_current_kb != 0 &&
	    in->current_kb >= sat_add(st->prev_current_kb, PRESSURE_INFLATING_KB)));
	st->prev_current_kb = in->current_kb;
	stalling = !own_reclaim && (out->stall_ppm >= PRESSURE_STALL_GROW_PPM ||
	    (rising && (out->stall_ppm >= PRESSURE_STALL_RISING_PPM ||
	    out->reclaim_pages_s >= PRESSURE_RECLAIM_RISING_PAGES_S)));
	if (avail < out->headroom_kb || stalling) {
		uint64_t want = sat_add(out->goal_kb, ahead_kb);

		if (stalling && !in->cache_refaulting && !answering) {
			uint64_t more = sat_add(in->target_kb, out->headroom_kb);

			if (more > want)
				want = more;
		}
		want = policy_clamp(b, want);
		out->why = stalling ? "stall" : "low MemAvailable";
		/* Small moves wait, unless half the headroom is gone. */
		if (want > in->target_kb && (want - in->target_kb >= out->deadband_kb ||
		    avail < out->headroom_kb / 2 || stalling)) {
			out->action = PRESSURE_GROW;
			out->new_kb = want;
			out->write = true;
			out->next_sample_ms = PRESSURE_FAST_SAMPLE_MS;
			out->sampling_why = "after a grow";
			st->watching = true;
			st->last_grow_ms = in->now_ms;
			st->grown = true;
		}
		return;
	}

	/* Below the floor (dom0 or the kernel put it there): back up. */
	if (in->target_kb < b->floor_kb) {
		out->action = PRESSURE_GROW;
		out->why = "below the floor";
		out->new_kb = out->goal_kb;
		out->write = true;
		return;
	}
	/* Shrink, only while it is safe. */
	if (in->target_kb <= out->goal_kb) {
		out->why = "at the goal";
		return;
	}
	gap = in->target_kb - out->goal_kb;
	if (rising || growing(st, in->now_ms, out->inuse_kb)) {
		out->why = "use rising";
		return;
	}
	if (inflating) {
		out->why = "the balloon is still taking the last shrink";
		return;
	}
	if (out->stall_ppm > PRESSURE_STALL_STOP_PPM) {
		out->why = own_reclaim ? "the balloon's own reclaim" : "stall";
		return;
	}
	if (out->refault_pages_s > PRESSURE_REFAULT_QUIET_PAGES_S) {
		out->why = "refaults";
		return;
	}
	/* The hold-off keeps a grow that use may still need; once use has
	 * just fallen by a whole headroom, the burst the grow answered is
	 * over and given back. */
	given_back = fell(st, in->now_ms, out->inuse_kb, out->headroom_kb);
	if (st->grown && sub0(in->now_ms, st->last_grow_ms) < PRESSURE_HOLDOFF_MS &&
	    !given_back) {
		out->why = "hold-off after a grow";
		return;
	}
	/* Ticks a second apart may be timed a few ms less apart: each may
	 * shrink. Memory given back while nothing stalls goes as it is
	 * seen: a program's free spans samples (use fell by half between
	 * two, the rest at the next, and waited a second, 95 MB of it). */
	if (st->shrunk && sub0(in->now_ms, st->last_shrink_ms) + PRESSURE_TICK_SLACK_MS <
	    PRESSURE_SHRINK_EVERY_MS && !(given_back && out->stall_ppm <= PRESSURE_STALL_QUIET_PPM)) {
		out->why = "shrunk less than a second ago";
		return;
	}
	if (gap < out->deadband_kb) {
		out->why = "within the deadband";
		return;
	}
	/* Memory just given back is free: all of it goes at once. */
	if (!given_back || out->stall_ppm > PRESSURE_STALL_QUIET_PPM)
		gap = out->stall_ppm <= PRESSURE_STALL_QUIET_PPM ? gap - gap / 4 : gap / 8;
	if (gap < out->deadband_kb)
		gap = out->deadband_kb;
	out->new_kb = policy_clamp(b, sub0(in->target_kb, gap) < out->goal_kb ? out->goal_kb :
	    in->target_kb - gap);
	if (out->new_kb >= in->target_kb) {
		out->new_kb = in->target_kb;
		out->why = "at the floor";
		return;
	}
	out->action = PRESSURE_SHRINK;
	out->why = out->stall_ppm > PRESSURE_STALL_QUIET_PPM ? "little stall" :
	    given_back ? "given back" : "quiet";
	out->write = true;
	st->last_shrink_ms = in->now_ms;
	st->shrunk = true;
}
