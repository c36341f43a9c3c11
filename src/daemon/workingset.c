/* workingset.c - the page cache the pressure goal keeps, free of I/O.
 *
 * The kernel tells what is in the cache (Active(file), Inactive(file))
 * and which evicted pages were soon needed again (workingset refaults),
 * but not which cached pages are read: a page read from the cache
 * leaves no count. So the cache is kept on evidence and on time:
 *
 *   cache read into memory (the cache grew) is kept from the moment it
 *   arrives, so a service's data read once stays for the reads that
 *   follow; it joins the newest generation (one per WS_GEN_SPAN_MS);
 *
 *   a generation unused for the hold (XENBALLOON_CACHE_HOLD, 150 s by
 *   default: a lull of tens of seconds is not cold data) is given back
 *   a step at a time, at most one step every WS_STEP_EVERY_MS: first
 *   1/32 of the kept cache a step, a probe, then 1/8 once it has been
 *   unused WS_FAST_AFTER_MS past the hold. The kernel evicts its
 *   coldest pages first, so what goes is what was read least lately;
 *
 *   refaults (pages read back soon after eviction) are the evidence
 *   that the cache is used: every generation is marked used, the kept
 *   cache grows to the cache plus what was read back, no more (a grow
 *   sized to the need, not to the maximum), and when they follow a
 *   release step within WS_REFUTE_MS the release was wrong: the hold
 *   doubles (up to 8x), so a steady service is probed ever more
 *   rarely and its balloon settles. A generation given back whole ends
 *   the back-off.
 *
 * Growth and refaults under their noise floors are judged over a
 * second, not a sample: the daemon samples every 250 ms as often as at
 * its once-a-second tick, and a cache read at 500 kB/s, or read back
 * at that pace, grows by less than a floor between two fast samples.
 *
 * Nothing is given back while tasks stall for memory. The kernel's
 * figures alone drive it: PSI is not needed, so a guest booted without
 * it keeps its hot cache too.
 */
#include "workingset.h"

#include <stddef.h>
#include "satmath.h"



static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void
ws_init(struct ws_state *st)
{
	*st = (struct ws_state){ 0 };
}

/* Count kb more cache as kept, in the newest generation (a new one
 * when the newest is older than WS_GEN_SPAN_MS; when all are taken the
 * two oldest merge, keeping the younger's times). */
static void
ws_add(struct ws_state *st, uint64_t now_ms, uint64_t kb)
{
	struct ws_gen *g;

	if (kb == 0)
		return;
	g = st->ngen > 0 ? &st->gen[st->ngen - 1] : NULL;
	if (g == NULL || sub0(now_ms, g->born_ms) >= WS_GEN_SPAN_MS) {
		if (st->ngen == WS_GENS) {
			st->gen[1].kb = sat_add(st->gen[1].kb, st->gen[0].kb);
			for (unsigned i = 1; i < st->ngen; i++)
				st->gen[i - 1] = st->gen[i];
			st->ngen--;
		}
		g = &st->gen[st->ngen++];
		*g = (struct ws_gen){ .kb = 0, .born_ms = now_ms };
	}
	g->kb = sat_add(g->kb, kb);
	g->used_ms = now_ms;
	st->kept_kb = sat_add(st->kept_kb, kb);
}

static void
ws_forget(struct ws_state *st)
{
	st->ngen = 0;
	st->kept_kb = 0;
	st->stepped = false;
	st->backoff = 0;
}

static void
ws_mark_used(struct ws_state *st, uint64_t now_ms)
{
	for (unsigned i = 0; i < st->ngen; i++)
		st->gen[i].used_ms = now_ms;
}

/* Give back one step from the generations unused for the hold, oldest
 * first. */
static void
ws_release(struct ws_state *st, const struct ws_in *in, struct ws_out *out)
{
	uint64_t step, left;
	unsigned div;

	if (st->ngen == 0) {
		out->why = "no cache kept";
		return;
	}
	out->idle_ms = sub0(in->now_ms, st->gen[0].used_ms);
	if (out->idle_ms < out->hold_ms) {
		out->why = "in use or within the hold";
		return;
	}
	if (st->stepped && sub0(in->now_ms, st->last_step_ms) < WS_STEP_EVERY_MS) {
		out->why = "released a step lately";
		return;
	}
	div = out->idle_ms >= sat_add(out->hold_ms, WS_FAST_AFTER_MS) ? WS_FAST_DIV :
	    WS_PROBE_DIV;
	step = st->kept_kb / div;
	if (step < WS_STEP_MIN_KB)
		step = min64(WS_STEP_MIN_KB, st->kept_kb);
	left = step;
	while (left > 0 && st->ngen > 0 &&
	    sub0(in->now_ms, st->gen[0].used_ms) >= out->hold_ms) {
		uint64_t take = min64(left, st->gen[0].kb);

		st->gen[0].kb -= take;
		st->kept_kb -= take;
		left -= take;
		out->released_kb += take;
		if (st->gen[0].kb == 0) {
			/* A generation went whole: it was cold; probe at the
			 * base pace again. */
			for (unsigned i = 1; i < st->ngen; i++)
				st->gen[i - 1] = st->gen[i];
			st->ngen--;
			st->backoff = 0;
		}
	}
	st->stepped = true;
	st->last_step_ms = in->now_ms;
	out->why = div == WS_FAST_DIV ? "cold: releasing" : "unused: probing";
}

void
ws_update(struct ws_state *st, const struct ws_in *in, struct ws_out *out)
{
	uint64_t refault_kb = 0, prev_file_kb;
	bool grew;

	*out = (struct ws_out){ .why = "" };
	if (st->have_prev && in->have_refaults && st->prev_had_refaults &&
	    in->refault_pages >= st->prev_refault_pages) {
		uint64_t pages = in->refault_pages - st->prev_refault_pages;

		refault_kb = pages > UINT64_MAX / WS_PAGE_KB ? UINT64_MAX : pages * WS_PAGE_KB;
	}
	/* Refaults under the floor add up for a second. */
	if (!st->have_prev || !in->have_refaults || !st->prev_had_refaults ||
	    in->refault_pages < st->prev_refault_pages || refault_kb >= WS_REFAULT_MIN_KB ||
	    sub0(in->now_ms, st->refault_base_ms) >= WS_NOISE_SPAN_MS) {
		st->prev_refault_pages = in->refault_pages;
		st->refault_base_ms = in->now_ms;
	}
	st->prev_had_refaults = in->have_refaults;
	out->refault_kb = refault_kb;

	if (!in->have_file || in->hold_ms == 0) {
		ws_forget(st);
		st->have_prev = in->have_file;
		st->prev_file_kb = in->file_kb;
		st->file_base_ms = in->now_ms;
		out->file_kb = in->file_kb;
		out->why = in->have_file ? "keeping no cache" : "no file cache figures";
		return;
	}
	out->file_kb = in->file_kb;
	out->hold_ms = in->hold_ms << st->backoff;
	prev_file_kb = st->have_prev ? st->prev_file_kb : in->file_kb;
	grew = st->have_prev && in->file_kb >= sat_add(st->prev_file_kb, WS_GROWTH_MIN_KB);
	if (!st->have_prev) {
		/* The first reading: what is cached may be in use. */
		ws_add(st, in->now_ms, in->file_kb);
		out->added_kb = in->file_kb;
	} else if (grew) {
		/* Cache read into memory: kept from now, up to what is there
		 * (cache coming back after an eviction is not new). */
		uint64_t to = min64(sat_add(st->kept_kb, in->file_kb - st->prev_file_kb),
		    in->file_kb);

		if (to > st->kept_kb) {
			out->added_kb = to - st->kept_kb;
			ws_add(st, in->now_ms, out->added_kb);
		}
	}
	/* Growth under the floor adds up for a second; a shrinking cache
	 * is measured from where it fell to. */
	if (!st->have_prev || grew || in->file_kb < st->prev_file_kb ||
	    sub0(in->now_ms, st->file_base_ms) >= WS_NOISE_SPAN_MS) {
		st->prev_file_kb = in->file_kb;
		st->file_base_ms = in->now_ms;
	}
	st->have_prev = true;

	if (refault_kb >= WS_REFAULT_MIN_KB) {
		/* What was read back is in the cache again: the cache
		 * needed is what was cached before plus it, or what is
		 * cached now when that is more (it grew by them). A
		 * sample's refaults beyond the cache's size (16 MB at
		 * least) are a bad reading, not a need. */
		uint64_t cap = prev_file_kb > WS_REFAULT_CAP_MIN_KB ? prev_file_kb :
		    WS_REFAULT_CAP_MIN_KB;
		uint64_t need = sat_add(prev_file_kb, min64(refault_kb, cap));

		if (need < in->file_kb)
			need = in->file_kb;

		ws_mark_used(st, in->now_ms);
		if (st->stepped && sub0(in->now_ms, st->last_step_ms) < WS_REFUTE_MS) {
			out->refuted = true;
			st->stepped = false;   /* one refutation a step */
			if (st->backoff < WS_BACKOFF_MAX)
				st->backoff++;
			out->hold_ms = in->hold_ms << st->backoff;
		}
		if (need > st->kept_kb) {
			out->added_kb += need - st->kept_kb;
			ws_add(st, in->now_ms, need - st->kept_kb);
		}
		out->why = out->refuted ? "refaults after a release: kept, hold doubled" :
		    "refaults: in use";
	} else if (in->stalling) {
		out->why = "stall: releasing nothing";
	} else {
		/* New cache does not hold the old back: each generation
		 * has its own time. */
		ws_release(st, in, out);
		if (out->released_kb == 0 && out->added_kb > 0)
			out->why = "new cache";
	}
	out->kept_kb = st->kept_kb;
	out->keep_kb = min64(st->kept_kb, sat_add(in->file_kb, refault_kb));
	if (st->ngen > 0 && out->idle_ms == 0)
		out->idle_ms = sub0(in->now_ms, st->gen[0].used_ms);
}
