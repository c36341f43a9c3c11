/* test_alloc.c - the balancer's allocation rule (src/balancer/alloc.c):
 * plentiful and short hosts, weights, floors and ceilings, a lying guest
 * beside honest ones, stalling guests served first, the deadband (a
 * steady host moves nothing), frozen guests, garbage and huge inputs.
 *
 * Figures in MB for reading, passed in kB (MB(x)). Expected values are
 * worked out by hand beside each check.
 */
#include "alloc.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define MB(x) ((uint64_t)(x) * 1024)

static struct alloc_host
host(uint64_t free_mb, uint64_t keep_mb)
{
	return (struct alloc_host){ .free_kb = MB(free_mb), .keep_free_kb = MB(keep_mb),
				    .deadband_kb = MB(16), .step_min_kb = MB(1) };
}

/* A settled guest: holds its target, asks for goal. */
static struct alloc_guest
guest(uint64_t target_mb, uint64_t goal_mb, uint64_t min_mb, uint64_t max_mb, unsigned weight)
{
	return (struct alloc_guest){ .cur_kb = MB(target_mb), .target_kb = MB(target_mb),
				     .have_goal = true, .goal_kb = MB(goal_mb),
				     .min_kb = MB(min_mb), .max_kb = MB(max_mb), .weight = weight };
}

/* The guests follow their new targets at once, the host's free memory
 * with them. */
static void
follow(struct alloc_host *h, struct alloc_guest *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h->free_kb += g[i].cur_kb;
		g[i].target_kb = g[i].new_target_kb;
		if (!g[i].frozen)
			g[i].cur_kb = g[i].target_kb;
		h->free_kb -= g[i].cur_kb;
	}
}

/* Run and follow until nothing moves (at most 20 rounds); the rounds it took. */
static int
settle(struct alloc_host *h, struct alloc_guest *g, size_t n, struct alloc_result *r)
{
	for (int round = 1; round <= 20; round++) {
		alloc_run(h, g, n, r);
		if (r->moves == 0)
			return round;
		follow(h, g, n);
	}
	ck_abort_msg("no steady state in 20 rounds");
	return 0;
}

START_TEST(plenty_gives_goals_keeps_rest_free)
{
	/* free 2000, keep 128; A 512 asks 768, B 1024 asks 1024.
	 * pool = 2000 + 1536 - 128 = 3408 >= 1792 wanted: goals. */
	struct alloc_host h = host(2000, 128);
	struct alloc_guest g[2] = { guest(512, 768, 128, 2048, 100),
				    guest(1024, 1024, 128, 2048, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 2, &r);
	ck_assert(!r.short_of_memory);
	ck_assert_uint_eq(r.pool_kb, MB(3408));
	ck_assert_uint_eq(g[0].new_target_kb, MB(768));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_GOAL);
	ck_assert_uint_eq(g[1].new_target_kb, MB(1024));
	ck_assert_int_eq(g[1].why, ALLOC_WHY_STEADY);
	ck_assert_uint_eq(r.moves, 1);
	/* The rest stays free: after following, free = 2000 - 256 = 1744. */
	follow(&h, g, 2);
	ck_assert_uint_eq(h.free_kb, MB(1744));
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.moves, 0);
}
END_TEST

/* A frozen guest that rejoins with its target below what it still holds
 * (it did not give the memory): raising its target back up to what it
 * holds takes no free memory, so it is not held back while the host has
 * none to give; only the rise beyond that waits for free memory. A guest
 * that is merely shrinking gets no such rise: what it still holds is on
 * its way to the others.
 * free 96 = keep 96 (budget 0); A holds 300, target 150, asks 300;
 * B holds 200 and asks it. pool = 96 + 500 - 96 = 500 = wants: plenty.
 * A's share 300: its target goes 150 -> 300, from what it holds. */
START_TEST(rise_to_what_is_held_needs_no_budget)
{
	struct alloc_host h = host(96, 96);
	struct alloc_guest g[2] = { guest(150, 300, 128, 512, 100),
				    guest(200, 200, 128, 512, 100) };
	struct alloc_result r;

	g[0].cur_kb = MB(300);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.budget_kb, 0);
	ck_assert_uint_eq(g[0].new_target_kb, MB(150));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_WAIT);
	g[0].rejoining = true;
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(300));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_GOAL);
	ck_assert_uint_eq(r.moves, 1);
	/* Asking 340 with 40 free beyond the reserve: the 150 up to what it
	 * holds and the 40 of free memory, all at once. */
	g[0].goal_kb = MB(340);
	h.free_kb = MB(136);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.budget_kb, MB(40));
	ck_assert_uint_eq(g[0].new_target_kb, MB(340));
	/* Asking 340 with 20 free beyond the reserve: pool 520 = wants 540
	 * less 20, short: A's share is 320 (B takes its 200), of which the
	 * 20 beyond what it holds come from the budget. */
	h.free_kb = MB(116);
	alloc_run(&h, g, 2, &r);
	ck_assert(r.short_of_memory);
	ck_assert_uint_eq(g[0].share_kb, MB(320));
	ck_assert_uint_eq(g[0].new_target_kb, MB(320));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_SHARE);
	/* 4 free beyond the reserve: pool 504, A's share 304, what it holds
	 * and the 4 free, at once. */
	h.free_kb = MB(100);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[0].share_kb, MB(304));
	ck_assert_uint_eq(g[0].new_target_kb, MB(304));
}
END_TEST

START_TEST(plenty_shrinks_a_guest_above_its_goal)
{
	/* A holds 1024, asks 512: shrunk at once (512 >= deadband 16). */
	struct alloc_host h = host(4000, 128);
	struct alloc_guest g[1] = { guest(1024, 512, 128, 2048, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(512));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_GOAL);
}
END_TEST

/* A domain the hypervisor counts a few MB above its target when settled
 * (pages its balloon does not manage): the pool leaves them out, so with
 * the surplus shared the host still keeps its reserve free, and a --free
 * held is really freed. Three guests 5 MB above their targets, the
 * surplus shared: without the rule the host would end 15 MB short. */
START_TEST(settled_overhead_not_pooled)
{
	struct alloc_host h = host(96, 96);
	struct alloc_guest g[3] = { guest(300, 150, 128, 512, 100),
				    guest(300, 150, 128, 512, 100),
				    guest(300, 150, 128, 512, 100) };
	struct alloc_result r;

	for (int i = 0; i < 3; i++) {
		g[i].cur_kb += MB(5);
		g[i].extra_kb = MB(5);
	}
	h.free_kb -= MB(15);             /* what those 15 MB took */
	h.share_surplus = true;
	/* pool = free 81 + held (305 - 5) x 3 - keep 96 = 885: 295 each */
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(r.pool_kb, MB(885));
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(g[i].share_kb, MB(295));
	/* Followed, each 5 MB above its new target: the host has 96 free. */
	for (int i = 0; i < 3; i++) {
		h.free_kb += g[i].cur_kb;
		g[i].target_kb = g[i].new_target_kb;
		g[i].cur_kb = g[i].target_kb + MB(5);
		h.free_kb -= g[i].cur_kb;
	}
	ck_assert_uint_eq(h.free_kb, MB(96));
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(r.moves, 0);
	/* A --free of 256: each gives its part, and the host ends with 256. */
	h.keep_free_kb = MB(256);
	alloc_run(&h, g, 3, &r);
	for (int i = 0; i < 3; i++) {
		h.free_kb += g[i].cur_kb;
		g[i].target_kb = g[i].new_target_kb;
		g[i].cur_kb = g[i].target_kb + MB(5);
		h.free_kb -= g[i].cur_kb;
	}
	ck_assert_uint_ge(h.free_kb, MB(256) - 3);
	/* An overhead larger than what it holds is bounded by it. */
	g[0].extra_kb = UINT64_MAX;
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_le(g[0].extra_kb, g[0].cur_kb);
}
END_TEST

START_TEST(surplus_shared_by_weight_when_asked)
{
	/* free 1128, keep 128 -> 1000 surplus over goals; A weight 300,
	 * B weight 100, maxima far: A +750, B +250. */
	struct alloc_host h = host(1128, 128);
	struct alloc_guest g[2] = { guest(500, 500, 100, 4000, 300),
				    guest(500, 500, 100, 4000, 100) };
	struct alloc_result r;

	h.share_surplus = true;
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[0].share_kb, MB(1250));
	ck_assert_uint_eq(g[1].share_kb, MB(750));
	ck_assert_uint_eq(g[0].new_target_kb, MB(1250));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_SURPLUS);
	ck_assert_uint_eq(g[1].new_target_kb, MB(750));
}
END_TEST

START_TEST(surplus_capped_by_maximum)
{
	/* A's maximum is 600: it takes +100, B the other 900. */
	struct alloc_host h = host(1128, 128);
	struct alloc_guest g[2] = { guest(500, 500, 100, 600, 300),
				    guest(500, 500, 100, 4000, 100) };
	struct alloc_result r;

	h.share_surplus = true;
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[0].share_kb, MB(600));
	ck_assert_uint_eq(g[1].share_kb, MB(1400));
}
END_TEST

START_TEST(shortage_shares_by_weight)
{
	/* Host at its reserve: free 128 = keep. pool = 3 x 1000 = 3000.
	 * All three ask 2000 (min 200): R = 3000 - 600 = 2400 shared 2:1:1
	 * -> 1200, 600, 600 above the floors: 1400, 800, 800. */
	struct alloc_host h = host(128, 128);
	struct alloc_guest g[3] = { guest(1000, 2000, 200, 4000, 200),
				    guest(1000, 2000, 200, 4000, 100),
				    guest(1000, 2000, 200, 4000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 3, &r);
	ck_assert(r.short_of_memory);
	ck_assert_uint_eq(r.pool_kb, MB(3000));
	ck_assert_uint_eq(g[0].share_kb, MB(1400));
	ck_assert_uint_eq(g[1].share_kb, MB(800));
	ck_assert_uint_eq(g[2].share_kb, MB(800));
	/* Donors shrink at once; A cannot grow yet (nothing free). */
	ck_assert_uint_eq(g[1].new_target_kb, MB(800));
	ck_assert_uint_eq(g[2].new_target_kb, MB(800));
	ck_assert_uint_eq(g[0].new_target_kb, MB(1000));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_WAIT);
	/* Once they have, A grows. */
	follow(&h, g, 3);
	ck_assert_uint_eq(h.free_kb, MB(528));
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(1400));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_SHARE);
	follow(&h, g, 3);
	ck_assert_uint_eq(h.free_kb, MB(128));
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(r.moves, 0);
}
END_TEST

START_TEST(shortage_takes_from_guests_above_their_goal_first)
{
	/* pool = 3000 (at reserve). A asks 600 (holds 1000), B asks 1500,
	 * C asks 1500; min 100. R = 2700: parts 900 each; A needs 500 ->
	 * gets it, leaving 2200 for B and C: 1100 each, both want 1400
	 * above the floor -> 1100 + 100 = 1200. A gives first (to 600). */
	struct alloc_host h = host(128, 128);
	struct alloc_guest g[3] = { guest(1000, 600, 100, 4000, 100),
				    guest(1000, 1500, 100, 4000, 100),
				    guest(1000, 1500, 100, 4000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(g[0].share_kb, MB(600));
	ck_assert_uint_eq(g[1].share_kb, MB(1200));
	ck_assert_uint_eq(g[2].share_kb, MB(1200));
	ck_assert_uint_eq(g[0].new_target_kb, MB(600));
}
END_TEST

START_TEST(burst_met_from_the_others)
{
	/* At the reserve. A 512 bursts to 1024; B and C hold 1536 and are
	 * content (goal = target). pool 3584, floors 256: R 2816; A needs
	 * 768 <= 938 -> 768; B, C 1024 each -> 1280. A ends at 1024. */
	struct alloc_host h = host(256, 256);
	struct alloc_guest g[3] = { guest(512, 1024, 256, 4096, 100),
				    guest(1536, 1536, 256, 4096, 100),
				    guest(1536, 1536, 256, 4096, 100) };
	struct alloc_result r;

	settle(&h, g, 3, &r);
	ck_assert_uint_eq(g[0].target_kb, MB(1024));
	ck_assert_uint_eq(g[1].target_kb, MB(1280));
	ck_assert_uint_eq(g[2].target_kb, MB(1280));
	ck_assert_uint_eq(h.free_kb, MB(256));
}
END_TEST

START_TEST(floors_never_crossed)
{
	/* pool 600 < floors 3 x 300: each stays at 300, floors_unmet. */
	struct alloc_host h = host(100, 300);
	struct alloc_guest g[3] = { guest(400, 2000, 300, 4000, 100),
				    guest(300, 2000, 300, 4000, 1),
				    guest(300, 2000, 300, 4000, 10000) };
	struct alloc_result r;

	alloc_run(&h, g, 3, &r);
	ck_assert(r.floors_unmet);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(g[i].share_kb, MB(300));
		ck_assert_uint_ge(g[i].new_target_kb, MB(300));
	}
	ck_assert_uint_eq(g[0].new_target_kb, MB(300));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_FLOOR);
}
END_TEST

START_TEST(maximum_never_exceeded)
{
	/* A asks 8000 with a maximum of 1000 (static-max folded in by the
	 * caller); plenty of memory: 1000. */
	struct alloc_host h = host(100000, 128);
	struct alloc_guest g[1] = { guest(500, 8000, 100, 1000, 100) };
	struct alloc_result r;

	h.share_surplus = true;
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].want_kb, MB(1000));
	ck_assert_uint_eq(g[0].new_target_kb, MB(1000));
	/* A target above the maximum is brought down. */
	g[0] = guest(1500, 1500, 100, 1000, 100);
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(1000));
}
END_TEST

START_TEST(min_above_max_is_max)
{
	struct alloc_host h = host(100000, 128);
	struct alloc_guest g[1] = { guest(500, 100, 2000, 1000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].min_kb, MB(1000));
	ck_assert_uint_eq(g[0].new_target_kb, MB(1000));
}
END_TEST

START_TEST(liar_gets_its_weighted_share_only)
{
	/* At the reserve, pool 4000. The liar claims its maximum (4000)
	 * and a constant stall; two honest guests ask 1500 each; equal
	 * weights, floors 200. R = 3400, parts 1133: the honest need 1300
	 * each > 1133 -> all three take 1133 + 200 = 1333 (to the kB). The
	 * liar, stalling, grows first, but never past its part. */
	struct alloc_host h = host(100, 100);
	struct alloc_guest g[3] = { guest(1000, 4000, 200, 4000, 100),
				    guest(1500, 1500, 200, 4000, 100),
				    guest(1500, 1500, 200, 4000, 100) };
	struct alloc_result r;

	g[0].stalling = true;
	settle(&h, g, 3, &r);
	ck_assert_uint_le(g[0].target_kb, MB(4000) / 3 + 1);
	ck_assert_uint_ge(g[1].target_kb, MB(1333));
	ck_assert_uint_ge(g[2].target_kb, MB(1333));
	/* And with a tenth of the weight, a tenth of the others' part. */
	g[0] = guest(1000, 4000, 200, 4000, 10);
	g[0].stalling = true;
	g[1] = guest(1500, 1500, 200, 4000, 100);
	g[2] = guest(1500, 1500, 200, 4000, 100);
	h = host(100, 100);
	settle(&h, g, 3, &r);
	/* R 3400: parts 162, 1619, 1619: honest need 1300 -> get it;
	 * the liar the other 800: 1000 in all. */
	ck_assert_uint_eq(g[1].target_kb, MB(1500));
	ck_assert_uint_eq(g[2].target_kb, MB(1500));
	ck_assert_uint_eq(g[0].target_kb, MB(1000));
}
END_TEST

START_TEST(liar_cannot_starve_dom0)
{
	/* A liar alone with a huge maximum: never more than the pool, so
	 * the reserve stays free. */
	struct alloc_host h = host(3000, 512);
	struct alloc_guest g[1] = { guest(1000, 1ULL << 30, 100, 1ULL << 30, 10000) };
	struct alloc_result r;

	g[0].stalling = true;
	settle(&h, g, 1, &r);
	ck_assert_uint_eq(h.free_kb, MB(512));
	ck_assert_uint_eq(g[0].target_kb, MB(3488));
}
END_TEST

START_TEST(stalling_guest_grows_first)
{
	/* 100 MB free above the reserve, two guests want 100 more each; B
	 * stalls: B gets the 100, A waits. */
	struct alloc_host h = host(228, 128);
	struct alloc_guest g[2] = { guest(500, 600, 100, 4000, 100),
				    guest(500, 600, 100, 4000, 100) };
	struct alloc_result r;

	g[1].stalling = true;
	alloc_run(&h, g, 2, &r);
	ck_assert(r.short_of_memory);
	/* pool 1100 - wanted 1200: shares 550 each; B grows 50 first, A
	 * then the other 50. */
	ck_assert_uint_eq(g[1].new_target_kb, MB(550));
	ck_assert_uint_eq(g[0].new_target_kb, MB(550));
	/* ... and set first. */
	ck_assert_uint_eq(g[1].rank, 1);
	ck_assert_uint_eq(g[0].rank, 2);
	ck_assert_uint_eq(r.growers, 2);
	/* Only 60 free above the reserve: B's 50 first, A gets 10. */
	g[0] = guest(500, 600, 100, 4000, 100);
	g[1] = guest(500, 600, 100, 4000, 100);
	g[1].stalling = true;
	h = host(188, 128);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[1].new_target_kb, MB(530));
	ck_assert_uint_eq(g[0].new_target_kb, MB(530));
	/* With a donor whose memory is not free yet: C shrinks 600 -> 400,
	 * only 20 MB free above the reserve now. Plenty in all (pool 1620,
	 * wanted 1600), but B, stalling, takes the 20 and A waits. */
	{
		struct alloc_guest g3[3] = { guest(500, 600, 100, 4000, 100),
					     guest(500, 600, 100, 4000, 100),
					     guest(600, 400, 100, 4000, 100) };

		g3[1].stalling = true;
		h = host(148, 128);
		alloc_run(&h, g3, 3, &r);
		ck_assert_uint_eq(g3[2].new_target_kb, MB(400));
		ck_assert_uint_eq(g3[1].new_target_kb, MB(520));
		ck_assert_int_eq(g3[1].why, ALLOC_WHY_WAIT);
		ck_assert_uint_eq(g3[0].new_target_kb, MB(500));
		ck_assert_int_eq(g3[0].why, ALLOC_WHY_WAIT);
	}
}
END_TEST

START_TEST(growth_waits_for_inflight)
{
	/* A was granted 200 it has not taken yet (target 700, holds 500):
	 * of the 300 free above the reserve only 100 may be granted again,
	 * all B asks for (pool 1300 = wanted 700 + 600). */
	struct alloc_host h = host(428, 128);
	struct alloc_guest g[2] = { guest(500, 700, 100, 4000, 100),
				    guest(500, 600, 100, 4000, 100) };
	struct alloc_result r;

	g[0].target_kb = MB(700);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.budget_kb, MB(100));
	ck_assert_uint_eq(g[0].new_target_kb, MB(700));
	ck_assert_uint_eq(g[1].new_target_kb, MB(600));
	ck_assert_int_eq(g[1].why, ALLOC_WHY_GOAL);
	/* With 50 less free, B grows by the 50 left and waits. */
	h.free_kb -= MB(50);
	g[1].goal_kb = MB(550);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.budget_kb, MB(50));
	ck_assert_uint_eq(g[1].new_target_kb, MB(550));
}
END_TEST

START_TEST(steady_input_moves_nothing)
{
	/* Whatever the mix, once settled a second call changes nothing. */
	struct alloc_host h = host(700, 256);
	struct alloc_guest g[4] = { guest(512, 900, 128, 2048, 100),
				    guest(1024, 700, 128, 2048, 50),
				    guest(768, 2048, 256, 2048, 200),
				    guest(256, 256, 128, 1024, 100) };
	struct alloc_result r;
	uint64_t before[4];

	ck_assert_int_le(settle(&h, g, 4, &r), 5);
	for (int i = 0; i < 4; i++)
		before[i] = g[i].target_kb;
	for (int k = 0; k < 3; k++) {
		alloc_run(&h, g, 4, &r);
		ck_assert_uint_eq(r.moves, 0);
		for (int i = 0; i < 4; i++) {
			ck_assert_uint_eq(g[i].new_target_kb, before[i]);
			ck_assert_int_eq(g[i].why, ALLOC_WHY_STEADY);
		}
	}
}
END_TEST

START_TEST(deadband_keeps_small_shrinks)
{
	/* A's goal drops by 10 MB (< 16): no write; by 20: a write. */
	struct alloc_host h = host(4000, 128);
	struct alloc_guest g[1] = { guest(1000, 990, 100, 4000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(r.moves, 0);
	g[0].goal_kb = MB(980);
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(980));
	/* Growth of half a MB is not worth a write; for a stalling guest it is. */
	g[0] = guest(1000, 1000, 100, 4000, 100);
	g[0].goal_kb += 512;
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(r.moves, 0);
	g[0].stalling = true;
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(1000) + 512);
}
END_TEST

START_TEST(small_shrink_made_when_growth_starves)
{
	/* At the reserve: B is 10 MB above its share while A waits for
	 * memory: the 10 MB are taken despite the deadband. */
	struct alloc_host h = host(128, 128);
	struct alloc_guest g[2] = { guest(500, 1000, 100, 4000, 100),
				    guest(510, 500, 100, 4000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[1].new_target_kb, MB(500));
}
END_TEST

START_TEST(frozen_guest_untouched)
{
	/* F is frozen above its share and holds 2000 (granted 2200): it is
	 * not moved, and what it holds and was granted is not in the pool. */
	struct alloc_host h = host(1000, 128);
	struct alloc_guest g[2] = { guest(2000, 100, 100, 4000, 100),
				    guest(500, 2000, 100, 4000, 100) };
	struct alloc_result r;

	g[0].frozen = true;
	g[0].target_kb = MB(2200);
	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(g[0].new_target_kb, MB(2200));
	ck_assert_int_eq(g[0].why, ALLOC_WHY_FROZEN);
	/* pool = 1000 + 500 - 128 - 200 = 1172: B gets all of it. */
	ck_assert_uint_eq(r.pool_kb, MB(1172));
	ck_assert_uint_eq(g[1].new_target_kb, MB(1172));
}
END_TEST

START_TEST(can_free_counts_down_to_the_floors)
{
	/* free 100 + (1000-300) + (800-200) = 1400 reachable. */
	struct alloc_host h = host(100, 128);
	struct alloc_guest g[2] = { guest(1000, 1000, 300, 4000, 100),
				    guest(800, 800, 200, 4000, 100) };
	struct alloc_result r;

	alloc_run(&h, g, 2, &r);
	ck_assert_uint_eq(r.can_free_kb, MB(1400));
	/* Keep 1000 free (a --free): pool = 100 + 1800 - 1000 = 900. */
	h.keep_free_kb = MB(1000);
	settle(&h, g, 2, &r);
	ck_assert_uint_eq(h.free_kb, MB(1000));
	ck_assert_uint_ge(g[0].target_kb, MB(300));
	ck_assert_uint_ge(g[1].target_kb, MB(200));
}
END_TEST

START_TEST(garbage_and_huge_inputs_are_bounded)
{
	/* Goals of 2^64-1, weights of 0 and 2^32-1, maxima beyond a PiB:
	 * clamped, nothing overflows, shares never exceed the pool. */
	struct alloc_host h = host(1000, 100);
	struct alloc_guest g[3] = { guest(1000, 0, 0, 0, 0), guest(1000, 0, 0, 0, 0),
				    guest(1000, 0, 0, 0, 0) };
	struct alloc_result r;
	uint64_t sum = 0;

	for (int i = 0; i < 3; i++) {
		g[i].goal_kb = UINT64_MAX;
		g[i].max_kb = UINT64_MAX;
		g[i].min_kb = UINT64_MAX / 2;
		g[i].cur_kb = UINT64_MAX - 5;
	}
	g[0].weight = 0;
	g[1].weight = UINT32_MAX;
	h.free_kb = UINT64_MAX;
	h.keep_free_kb = UINT64_MAX - 1;
	alloc_run(&h, g, 3, &r);
	ck_assert_uint_eq(g[0].weight, 1);
	ck_assert_uint_eq(g[1].weight, ALLOC_WEIGHT_MAX);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_le(g[i].share_kb, ALLOC_KB_MAX);
		ck_assert_uint_le(g[i].new_target_kb, ALLOC_KB_MAX);
		sum += g[i].share_kb;
	}
	ck_assert_uint_le(sum, 4 * ALLOC_KB_MAX);
	/* No goal published: the guest keeps its target. */
	g[0] = guest(700, 0, 100, 4000, 100);
	g[0].have_goal = false;
	h = host(1000, 100);
	alloc_run(&h, g, 1, &r);
	ck_assert_uint_eq(g[0].want_kb, MB(700));
	ck_assert_uint_eq(r.moves, 0);
}
END_TEST

START_TEST(many_guests_weighted_fairly)
{
	/* 200 guests all wanting their maximum at the reserve: shares
	 * proportional to weight (1..4), sum within the pool. */
	static struct alloc_guest g[200];
	struct alloc_host h = host(256, 256);
	struct alloc_result r;
	uint64_t sum = 0;

	for (int i = 0; i < 200; i++)
		g[i] = guest(1000, 4000, 100, 4000, (unsigned)(i % 4 + 1));
	alloc_run(&h, g, 200, &r);
	for (int i = 0; i < 200; i++)
		sum += g[i].share_kb;
	ck_assert_uint_le(sum, r.pool_kb);
	ck_assert_uint_ge(sum, r.pool_kb - 200);
	/* R = 200000 - 20000 = 180000 over weight 500: 360 per unit. */
	ck_assert_uint_eq(g[0].share_kb, MB(100) + MB(360));
	ck_assert_uint_eq(g[3].share_kb, MB(100) + MB(1440));
}
END_TEST

START_TEST(why_names)
{
	ck_assert_str_eq(alloc_why_name(ALLOC_WHY_GOAL), "goal");
	ck_assert_str_eq(alloc_why_name(ALLOC_WHY_FROZEN), "frozen");
	ck_assert_str_eq(alloc_why_name(99), "?");
}
END_TEST

static Suite *
alloc_suite(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, plenty_gives_goals_keeps_rest_free);
	tcase_add_test(tc, plenty_shrinks_a_guest_above_its_goal);
	tcase_add_test(tc, settled_overhead_not_pooled);
	tcase_add_test(tc, surplus_shared_by_weight_when_asked);
	tcase_add_test(tc, surplus_capped_by_maximum);
	tcase_add_test(tc, shortage_shares_by_weight);
	tcase_add_test(tc, shortage_takes_from_guests_above_their_goal_first);
	tcase_add_test(tc, burst_met_from_the_others);
	tcase_add_test(tc, floors_never_crossed);
	tcase_add_test(tc, maximum_never_exceeded);
	tcase_add_test(tc, min_above_max_is_max);
	tcase_add_test(tc, liar_gets_its_weighted_share_only);
	tcase_add_test(tc, liar_cannot_starve_dom0);
	tcase_add_test(tc, stalling_guest_grows_first);
	tcase_add_test(tc, growth_waits_for_inflight);
	tcase_add_test(tc, steady_input_moves_nothing);
	tcase_add_test(tc, deadband_keeps_small_shrinks);
	tcase_add_test(tc, small_shrink_made_when_growth_starves);
	tcase_add_test(tc, frozen_guest_untouched);
	tcase_add_test(tc, rise_to_what_is_held_needs_no_budget);
	tcase_add_test(tc, can_free_counts_down_to_the_floors);
	tcase_add_test(tc, garbage_and_huge_inputs_are_bounded);
	tcase_add_test(tc, many_guests_weighted_fairly);
	tcase_add_test(tc, why_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(alloc_suite());
}
