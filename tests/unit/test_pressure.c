/* test_pressure.c - the pressure-aware goal, sample by sample.
 *
 * A 512 MB guest: MemTotal 466000 kB, the balloon 57000 kB above it
 * (offset), floor 160000 kB and maximum 786432 kB in balloon units.
 * Expected numbers are worked out beside each assertion.
 */
#include "pressure.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define OFFSET 57000u

static struct policy_out bounds = {
	.offset_kb = OFFSET, .floor_kb = 160000, .max_kb = 786432,
};

struct sim {
	struct pressure_state st;
	struct pressure_in in;
	struct pressure_out out;
};

static void
sim_init(struct sim *s, uint64_t target_kb)
{
	pressure_init(&s->st);
	s->in = (struct pressure_in){
		.now_ms = 100000, .target_kb = target_kb,
		.bounds = &bounds, .have_psi = true, .have_refaults = true,
	};
}

/* A guest held at a floor of floor_kb (its target), high the bounds
 * that say so: plenty is free, so only what a test feeds in moves it. */
static void
sim_init_at_floor(struct sim *s, struct policy_out *high, uint64_t floor_kb)
{
	*high = bounds;
	high->floor_kb = floor_kb;
	sim_init(s, floor_kb);
	s->in.bounds = high;
}

/* One sample at now + dt_ms with this much in use; a write is applied
 * to the target at once, as the balloon would. */
static void
step(struct sim *s, uint64_t dt_ms, uint64_t used_kb)
{
	s->in.now_ms += dt_ms;
	s->in.mem_total_kb = s->in.target_kb - s->in.bounds->offset_kb;
	s->in.used_kb = used_kb;
	pressure_decide(&s->st, &s->in, &s->out);
	if (s->out.write)
		s->in.target_kb = s->out.new_kb;
}

START_TEST(settled_guest_writes_nothing)
{
	struct sim s;

	/* used 100000 + headroom 32768 + offset 57000 = 189768 */
	sim_init(&s, 189768);
	for (int i = 0; i < 100; i++) {
		step(&s, 1000, 100000 + (uint64_t)(i % 3) * 300);  /* jitter of 300-600 kB */
		ck_assert_msg(!s.out.write, "sample %d wrote %llu (%s)", i,
		    (unsigned long long)s.out.new_kb, s.out.why);
		/* Sized to its goal: the next burst is a headroom away. */
		ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
		ck_assert_str_eq(s.out.sampling_why, "MemAvailable within two headrooms");
	}
	ck_assert_uint_eq(s.out.headroom_kb, PRESSURE_MIN_HEADROOM_KB);
	ck_assert_uint_eq(s.out.goal_kb, 189768);
	ck_assert_int_eq(s.out.action, PRESSURE_HOLD);
}
END_TEST

/* From the tick, a burst of 74 MB a second met a guest held at the
 * minimum headroom half a second in, out of memory, and the kernel
 * stalled it 0.35 s swapping: a guest whose MemAvailable is within two
 * headrooms is sampled every 250 ms, settled or not. One with memory to
 * spare, or at its maximum (it cannot grow), waits for the tick. */
START_TEST(near_headroom_samples_fast)
{
	struct sim s;
	struct policy_out high, top;

	/* MemAvailable 65535 kB, a kB under two headrooms: at the floor
	 * (222535 - 57000 - 100000), fast. */
	sim_init_at_floor(&s, &high, 222535);
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.headroom_kb, PRESSURE_MIN_HEADROOM_KB);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	ck_assert(!s.out.write);
	/* 1 kB less in use: two headrooms exactly, the tick. */
	step(&s, 250, 99999);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	ck_assert(s.out.sampling_why == NULL);
	/* At the maximum, as short of memory: the tick. */
	top = bounds;
	top.max_kb = 189768;
	sim_init(&s, 189768);
	s.in.bounds = &top;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	ck_assert(!s.out.write);
}
END_TEST

START_TEST(grow_at_once_on_low_available)
{
	struct sim s;

	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	/* 20000 kB more in use in 250 ms: MemAvailable 12768 < 32768.
	 * rate = 20000 * 1000 / 250 = 80000 kB/s, a burst (80000 kB a
	 * horizon of 1 s): its samples come every 250 ms, so the headroom
	 * is three quarters of a horizon, 60000; goal = 120000 + 60000 +
	 * 57000 = 237000; grow from a settled guest's sample to goal + a
	 * horizon of the burst = 317000. */
	step(&s, 250, 120000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.rate_kb_s, 80000);
	ck_assert_uint_eq(s.out.headroom_kb, 60000);
	ck_assert_uint_eq(s.out.goal_kb, 237000);
	ck_assert_uint_eq(s.out.new_kb, 317000);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	ck_assert_str_eq(s.out.why, "low MemAvailable");
}
END_TEST

START_TEST(small_grow_waits_in_deadband)
{
	static struct policy_out big = {
		.offset_kb = OFFSET, .floor_kb = 160000, .max_kb = UINT64_MAX,
	};
	struct sim s;

	/* Settled at 189768 with 100000 in use; 900 kB more in use after a
	 * second: MemAvailable 31868, just under the headroom, not under
	 * half. rate 900 kB/s; want = 100900 + 32768 + 57000 + 900 =
	 * 191568, 1800 above the target, under the deadband (189768/64 =
	 * 2965, at least 4096): no write. */
	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	step(&s, 1000, 100900);
	ck_assert(!s.out.write);
	ck_assert_uint_eq(s.out.deadband_kb, 4096);
	/* A 4 GB guest: deadband 4194304/64 = 65536. MemAvailable 32768 -
	 * 30000 = 2768 kB under the headroom: waits. */
	sim_init(&s, 4194304);
	s.in.bounds = &big;
	step(&s, 1000, 4194304 - OFFSET - 32768);
	ck_assert(!s.out.write);
	step(&s, 1000, 4194304 - OFFSET - 32768 + 2768);
	ck_assert_uint_eq(s.out.deadband_kb, 65536);
	ck_assert(!s.out.write);
	/* Half the headroom gone (MemAvailable 16383 < 16384): grows even
	 * by less than the deadband. */
	step(&s, 1000, 4194304 - OFFSET - 16383);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_lt(s.out.new_kb - 4194304, 65536);
}
END_TEST

START_TEST(grow_on_stall)
{
	struct sim s;

	sim_init(&s, 189768);
	s.in.some_us = 1000000;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 0);  /* no baseline yet */
	ck_assert(!s.out.write);
	/* 5 ms stalled in 1 s: 5000 ppm, the grow threshold: target +
	 * headroom = 222536 (the goal, 189768, is below it). */
	s.in.some_us += 5000;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 5000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.new_kb, 222536);
	ck_assert_str_eq(s.out.why, "stall");
	/* 4.999 ms: no grow, and no shrink either (above the stop level). */
	s.in.some_us += 4999;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 4999);
	ck_assert(!s.out.write);
}
END_TEST

START_TEST(grow_on_little_stall_while_rising)
{
	struct sim s;

	/* A guest above its goal: the first sample shrinks (quiet, three
	 * quarters of the gap: goal 189768, gap 30232 -> 7558 left ->
	 * 197326). */
	sim_init(&s, 220000);
	s.in.some_us = 1000000;
	step(&s, 250, 100000);
	ck_assert_uint_eq(s.out.new_kb, 197326);
	/* Use up 2000 kB in 250 ms (rising) and 0.25 ms stalled: 1000 ppm,
	 * under the 5000 of a settled guest but enough while use rises.
	 * MemAvailable 197326 - 57000 - 102000 = 38326 is above the
	 * headroom (32768), so only the stall makes this grow: want =
	 * max(goal 191768 + burst 8000, target 197326 + headroom 32768) =
	 * 230094. */
	s.in.some_us += 250;
	step(&s, 250, 102000);
	ck_assert_uint_eq(s.out.stall_ppm, 1000);
	ck_assert_uint_ge(s.in.mem_total_kb - s.in.used_kb, s.out.headroom_kb);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_str_eq(s.out.why, "stall");
	ck_assert_uint_eq(s.out.new_kb, 230094);
	/* The same stall with use flat: no grow, and no shrink (use rose
	 * within the last 2 s). */
	s.in.some_us += 250;
	step(&s, 250, 102000);
	ck_assert_uint_eq(s.out.stall_ppm, 1000);
	ck_assert(!s.out.write);
	/* Rising, 0.249 ms in 250 ms = 996 ppm: under the rising level. */
	s.in.some_us += 249;
	step(&s, 250, 104000);
	ck_assert_uint_eq(s.out.stall_ppm, 996);
	ck_assert(!s.out.write);
}
END_TEST

START_TEST(shrink_after_holdoff_fast_then_deadband)
{
	struct sim s;
	uint64_t t0;

	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	step(&s, 250, 120000);        /* the grow of the test above: 317000 */
	ck_assert_uint_eq(s.in.target_kb, 317000);
	t0 = s.in.now_ms;
	/* The load goes away: 100000 in use again. Within the hold-off (3 s)
	 * nothing shrinks. */
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "hold-off after a grow");
	/* 3 s after the grow; the rate of the burst is still in the window
	 * (80000 kB/s until 10 s after it): goal 100000 + 60000 + 57000 =
	 * 217000; gap 100000, three quarters of it: 242000. */
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.in.now_ms - t0, 3000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_SHRINK);
	ck_assert_uint_eq(s.out.new_kb, 242000);
	/* Half a second later: at most one step a second. */
	step(&s, 500, 100000);
	ck_assert(!s.out.write);
	step(&s, 500, 100000);        /* gap 25000 -> 6250 left: 223250 */
	ck_assert_uint_eq(s.out.new_kb, 223250);
	/* A tick timed 40 ms early is still the next tick: gap 6250, three
	 * quarters 4688, over the deadband (223250/64 = 3488, at least
	 * 4096): 218562. */
	step(&s, 960, 100000);
	ck_assert_uint_eq(s.out.new_kb, 218562);
	step(&s, 40, 100000);
	ck_assert(!s.out.write);
	/* gap 1562 < 4096: stays. */
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "within the deadband");
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_uint_eq(s.in.now_ms - t0, 7000);
	/* The burst leaves the window 10 s after it: the headroom falls to
	 * the minimum, goal 189768, and shrinking resumes. */
	step(&s, 1000, 100000);
	step(&s, 1000, 100000);
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);     /* 10000 ms: still inside (not > window) */
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.headroom_kb, PRESSURE_MIN_HEADROOM_KB);
	ck_assert(s.out.write);
	/* gap 218562 - 189768 = 28794, a quarter left: 7198 */
	ck_assert_uint_eq(s.out.new_kb, 189768 + 7198);
	/* gap 7198 -> 1799 left: 191567; then 1799 < 4096: stays. */
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.new_kb, 191567);
	/* A gap a little over the deadband: three quarters of it is under
	 * the deadband, so the step is the deadband itself. */
	s.in.target_kb = 189768 + 5000;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.new_kb, 189768 + 5000 - 4096);
	for (int i = 0; i < 20; i++)
		step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_uint_ge(s.in.target_kb, 189768);
	ck_assert_uint_lt(s.in.target_kb - 189768, s.out.deadband_kb);
}
END_TEST

START_TEST(stall_slows_then_stops_shrink)
{
	struct sim s;

	sim_init(&s, 400000);
	s.in.some_us = 0;
	/* No stall baseline yet, nothing grew: quiet, three quarters of the
	 * gap: goal 189768, gap 210232 -> 52558 left -> 242326 */
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.new_kb, 242326);
	/* 0.05 ms stall in 1 s = 50 ppm: quiet: gap 52558 -> 13139 left ->
	 * 202907 */
	s.in.some_us += 50;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 50);
	ck_assert_uint_eq(s.out.new_kb, 202907);
	/* 0.5 ms = 500 ppm: an eighth: gap 13139 / 8 = 1642, under the
	 * deadband (4096): a step of the deadband -> 198811 */
	s.in.some_us += 500;
	step(&s, 1000, 100000);
	ck_assert_str_eq(s.out.why, "little stall");
	ck_assert_uint_eq(s.out.new_kb, 198811);
	/* 1.001 ms = 1001 ppm: stop. */
	s.in.some_us += 1001;
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "stall");
	/* A counter going backwards (a new file) is no stall. */
	s.in.some_us = 10;
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 0);
	ck_assert(s.out.write);
}
END_TEST

START_TEST(refaults_stop_shrink)
{
	struct sim s;

	sim_init(&s, 400000);
	s.in.refault_pages = 1000;
	step(&s, 1000, 100000);       /* no baseline: shrinks to 242326 */
	ck_assert(s.out.write);
	s.in.refault_pages += 65;     /* 65 pages/s > 64 */
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.refault_pages_s, 65);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "refaults");
	s.in.refault_pages += 64;     /* 64 pages/s: quiet enough */
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
}
END_TEST

START_TEST(without_psi_memavailable_rule)
{
	struct sim s;

	sim_init(&s, 400000);
	s.in.have_psi = false;
	s.in.have_refaults = false;
	s.in.some_us = 999999999;     /* not a reading: ignored */
	step(&s, 1000, 100000);
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.stall_ppm, 0);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_SHRINK);
	step(&s, 250, 150000);        /* MemAvailable falls: grow all the same */
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
}
END_TEST

START_TEST(rising_samples_fast_and_never_shrinks)
{
	struct sim s;

	sim_init(&s, 400000);
	step(&s, 1000, 100000);
	step(&s, 1000, 101024);       /* exactly PRESSURE_RISE_KB more */
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "use rising");
	step(&s, 250, 102047);        /* 1023 more: not rising */
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
}
END_TEST

START_TEST(slow_allocation_blocks_shrink)
{
	struct sim s;

	/* 400 kB more in use every 250 ms (1.6 MB/s, a burst on a busy
	 * host): never 1024 kB between two samples, but 1200 kB within
	 * 750 ms; no shrink while it goes on. */
	sim_init(&s, 400000);
	step(&s, 1000, 100000);       /* no baseline: shrinks to 242326 */
	ck_assert(s.out.write);
	step(&s, 1000, 100000);       /* and again: 202907 */
	ck_assert(s.out.write);
	for (int i = 1; i <= 12; i++) {
		step(&s, 250, 100000 + (uint64_t)i * 400);
		ck_assert_msg(s.out.action != PRESSURE_SHRINK, "shrank at slow sample %d", i);
	}
	ck_assert_str_eq(s.out.why, "use rising");
	/* Still (goal 104800 + 32768 + 57000 = 194568, 8339 under the
	 * target): shrinking resumes once 2 s have passed without a rise. */
	for (int i = 1; i <= 9; i++) {
		step(&s, 250, 104800);
		if (s.out.action == PRESSURE_SHRINK)
			break;
		ck_assert_int_lt(i, 9);
	}
	ck_assert_int_eq(s.out.action, PRESSURE_SHRINK);
}
END_TEST

START_TEST(bounds_respected)
{
	struct sim s;

	/* A burst near the top: never above the maximum. Settled at
	 * 700000 (MemTotal 643000, 610232 in use); 30000 kB more in 250 ms:
	 * headroom 120000, goal 640232 + 120000 + 57000 > 786432. */
	sim_init(&s, 700000);
	step(&s, 1000, 610232);
	ck_assert(!s.out.write);
	step(&s, 250, 640232);
	ck_assert(s.out.write);
	ck_assert_uint_eq(s.out.new_kb, 786432);
	/* Nothing in use: never below the floor. */
	sim_init(&s, 170000);
	for (int i = 0; i < 30; i++) {
		step(&s, 1000, 0);
		ck_assert_uint_ge(s.in.target_kb, 160000);
	}
	ck_assert_uint_eq(s.out.goal_kb, 160000);  /* 0 + 32768 + 57000 < floor */
	/* Below the floor (dom0 moved it): back up to the goal. */
	sim_init(&s, 100000);
	step(&s, 1000, 0);
	ck_assert(s.out.write);
	ck_assert_uint_eq(s.out.new_kb, 160000);
	ck_assert_str_eq(s.out.why, "below the floor");
	/* More in use than MemTotal (readings from two moments): all of
	 * it, no more, and no cache beyond it. */
	sim_init(&s, 189768);
	s.in.mem_total_kb = 132768;
	s.in.used_kb = 132768 + 5;
	s.in.cache_keep_kb = 50000;
	s.in.now_ms += 1000;
	pressure_decide(&s.st, &s.in, &s.out);
	ck_assert_uint_eq(s.out.used_kb, 132768);
	ck_assert_uint_eq(s.out.cache_kb, 0);
	ck_assert_uint_eq(s.out.inuse_kb, 132768);
}
END_TEST

START_TEST(burst_never_starves)
{
	struct sim s;
	uint64_t used = 100000;

	/* A settled guest, then 45 MB/s (a TCG guest touching memory) for
	 * 6 s, sampled every 250 ms while rising. After the first fast
	 * sample MemAvailable never runs out, and the tail settles. */
	sim_init(&s, 189768);
	step(&s, 1000, used);
	for (int i = 0; i < 24; i++) {
		used += 45000 / 4;
		step(&s, 250, used);
		ck_assert_msg(s.in.target_kb >= used + OFFSET + 16384,
		    "sample %d: target %llu for %llu in use", i,
		    (unsigned long long)s.in.target_kb, (unsigned long long)used);
		ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	}
	/* Idle for a minute: back near used + minimum headroom, then still. */
	for (int i = 0; i < 60; i++)
		step(&s, 1000, used);
	ck_assert_uint_lt(s.in.target_kb - (used + 32768 + OFFSET), s.out.deadband_kb);
	ck_assert(!s.out.write);
}
END_TEST

/* The page cache kept (workingset.c) is in use: the goal counts it,
 * and a guest holding it is not shrunk out of it. used 100000 + kept
 * 150000 + headroom 32768 + offset 57000 = 339768. */
START_TEST(kept_cache_is_in_use)
{
	struct sim s;

	sim_init(&s, 339768);
	s.in.cache_keep_kb = 150000;
	for (int i = 0; i < 20; i++) {
		step(&s, 1000, 100000);
		ck_assert_msg(!s.out.write, "sample %d wrote %llu (%s)", i,
		    (unsigned long long)s.out.new_kb, s.out.why);
	}
	ck_assert_uint_eq(s.out.used_kb, 100000);
	ck_assert_uint_eq(s.out.cache_kb, 150000);
	ck_assert_uint_eq(s.out.inuse_kb, 250000);
	ck_assert_uint_eq(s.out.goal_kb, 339768);
	/* Less kept (a release step of 1/8): the guest shrinks by it,
	 * three quarters of the gap at once. */
	s.in.cache_keep_kb = 150000 - 18750;
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_SHRINK);
	ck_assert_uint_eq(s.out.goal_kb, 339768 - 18750);
	ck_assert_uint_eq(s.out.new_kb, 339768 - (18750 - 18750 / 4));
}
END_TEST

/* A service reads its data into the cache: the kept cache grows with
 * it and the guest grows ahead, as for an allocation. */
START_TEST(cache_being_read_grows_the_guest)
{
	struct sim s;
	uint64_t keep = 0;

	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	for (int i = 0; i < 12; i++) {
		keep += 10240;          /* 40 MB/s in 250 ms samples */
		s.in.cache_keep_kb = keep;
		step(&s, 250, 100000);
		/* MemAvailable beyond the kept cache never runs out. */
		ck_assert_uint_ge(s.in.mem_total_kb - 100000 - keep + 10240, 10240);
	}
	ck_assert_uint_ge(s.in.target_kb, 100000 + keep + OFFSET);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
}
END_TEST

/* A stall from the cache's own refaults grows the guest to its goal
 * (which has the pages read back), not by a headroom more each time:
 * repeated stalls do not march to the maximum. */
START_TEST(cache_stall_grows_to_the_need)
{
	struct sim s;

	sim_init(&s, 339768);
	s.in.cache_keep_kb = 150000;
	s.in.some_us = 1000000;
	step(&s, 1000, 100000);
	for (int i = 0; i < 10; i++) {
		s.in.some_us += 50000;          /* 5 % stalled */
		s.in.cache_refaulting = true;
		step(&s, 1000, 100000);
		ck_assert_uint_le(s.in.target_kb, 339768);
	}
	/* The need grows by 8 MB: the guest follows, by that and a
	 * burst's worth, no more. */
	s.in.cache_keep_kb = 150000 + 8192;
	s.in.some_us += 50000;
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
	ck_assert_uint_le(s.out.new_kb, 339768 + 2 * 8192);
	/* The same stall without refaults: target + headroom. */
	s.in.cache_refaulting = false;
	s.in.some_us += 50000;
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
	ck_assert_uint_ge(s.out.new_kb, s.out.goal_kb);
}
END_TEST

/* A shrink of a guest full of cache: the balloon's own reclaim evicts
 * cache for its pages and shows as stall. While the balloon is still
 * taking memory (and one sample after) that stall grows nothing, and
 * no further shrink is stacked on it; the same stall with pages read
 * back is a task's need, and grows. */
START_TEST(own_reclaim_stall_does_not_bounce)
{
	struct sim s;

	sim_init(&s, 339768);
	s.in.cache_keep_kb = 150000;
	s.in.some_us = 1000000;
	step(&s, 1000, 100000);
	/* A release step of the kept cache: the guest shrinks. */
	s.in.cache_keep_kb = 130000;
	step(&s, 1000, 100000);
	ck_assert_int_eq(s.out.action, PRESSURE_SHRINK);
	/* The balloon is still 10 MB above its new target, its reclaim
	 * stalling 5 % of the time: no grow, no second shrink. */
	s.in.current_kb = s.in.target_kb + 10240;
	s.in.some_us += 50000;
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "the balloon is still taking the last shrink");
	/* It got there (10 MB taken since the last sample); its stall is
	 * in this sample: no grow. */
	s.in.current_kb = s.in.target_kb;
	s.in.some_us += 50000;
	step(&s, 1000, 100000);
	ck_assert(!s.out.write || s.out.action != PRESSURE_GROW);
	/* Settled: a stall now is a task's, and grows. */
	s.in.some_us += 50000;
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	/* While it takes memory, a stall with pages read back grows too. */
	sim_init(&s, 339768);
	s.in.some_us = 1000000;
	s.in.refault_pages = 1000;
	step(&s, 1000, 100000);
	s.in.current_kb = s.in.target_kb + 10240;
	s.in.some_us += 50000;
	s.in.refault_pages += 1000;
	step(&s, 1000, 100000);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
}
END_TEST

/* A stall while the balloon hands the guest the memory of a grow (still
 * on its way, or come in during the sample) grows to the goal and one
 * more horizon, no further: a headroom more on each such sample is what
 * grew a 96 MB burst by 380 MB. Once the memory is in and tasks still
 * stall, the headroom stacks again. */
START_TEST(stall_while_memory_arrives_does_not_stack)
{
	struct sim s;

	sim_init(&s, 300000);
	s.in.current_kb = 300000;
	s.in.some_us = 1000000;
	/* In use 210232: the goal is the target, 210232 + 32768 + 57000. */
	step(&s, 1000, 210232);
	ck_assert(!s.out.write);
	/* A stall of 50 % with the balloon settled: target + headroom. */
	s.in.some_us += 500000;
	step(&s, 1000, 210232);
	ck_assert_msg(s.out.action == PRESSURE_GROW, "%s", s.out.why);
	ck_assert_uint_eq(s.out.new_kb, 300000 + 32768);
	/* The memory is on its way (current 20 MB short of the target) and
	 * the stall goes on: the goal (no growth seen, so no horizon) is
	 * below the target, so nothing is written. */
	s.in.current_kb = 312288;
	s.in.some_us += 500000;
	step(&s, 1000, 210232);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "stall");
	/* It came in during this sample (current rose by 20 MB to the
	 * target), the stall still shows: nothing more. */
	s.in.current_kb = 332768;
	s.in.some_us += 500000;
	step(&s, 1000, 210232);
	ck_assert(!s.out.write);
	/* In, settled, and tasks still stall: a headroom more. */
	s.in.some_us += 500000;
	step(&s, 1000, 210232);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.new_kb, 332768 + 32768);
}
END_TEST

/* A burst allocated, then given back whole (munmap): use falling by a
 * headroom within 2 s ends the hold-off, and the memory, free pages
 * now, goes back at once, all of it, not three quarters a second from
 * 3 s on. A smaller fall (a part of the burst freed) keeps the
 * hold-off. */
START_TEST(burst_given_back_ends_the_holdoff)
{
	struct sim s;
	int grows = 0;

	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	/* 96000 kB in 3 s, 8000 kB a sample of 250 ms: 32000 kB/s, so the
	 * headroom stays the minimum (32768). */
	for (int i = 1; i <= 12; i++) {
		step(&s, 250, 100000 + (uint64_t)i * 8000);
		grows += s.out.action == PRESSURE_GROW;
	}
	ck_assert_int_gt(grows, 0);
	ck_assert_uint_eq(s.out.headroom_kb, PRESSURE_MIN_HEADROOM_KB);
	/* Held at the peak 1 s, then 20000 kB freed: less than a headroom,
	 * so the hold-off stands. */
	step(&s, 1000, 196000);
	step(&s, 1000, 176000);
	ck_assert(!s.out.write);
	ck_assert_str_eq(s.out.why, "hold-off after a grow");
	/* The rest freed: 96000 below the highest reading of the last 2 s,
	 * more than the headroom, within 3 s of the last grow: down to the
	 * goal, 100000 + 32768 + 57000 = 189768, in one step. */
	step(&s, 250, 100000);
	ck_assert_uint_lt(s.in.now_ms - s.st.last_grow_ms, PRESSURE_HOLDOFF_MS);
	ck_assert_msg(s.out.action == PRESSURE_SHRINK, "%s", s.out.why);
	ck_assert_str_eq(s.out.why, "given back");
	ck_assert_uint_eq(s.out.new_kb, 189768);
	/* Nothing left to give: settled. */
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
}
END_TEST

/* A free seen half done: the first half goes back at once, and so does
 * the rest at the next sample, 250 ms later, though a shrink was made
 * less than a second before. With a little stall it waits its second. */
START_TEST(given_back_in_two_samples_goes_in_both)
{
	struct sim s;

	for (int stall = 0; stall <= 1; stall++) {
		sim_init(&s, 189768);
		step(&s, 1000, 100000);
		for (int i = 1; i <= 12; i++)
			step(&s, 250, 100000 + (uint64_t)i * 8000);
		step(&s, 1000, 196000);
		/* Half freed: 48000 below the peak, more than a headroom:
		 * to the goal, 148000 + 32768 + 57000 = 237768. */
		step(&s, 250, 148000);
		ck_assert_str_eq(s.out.why, "given back");
		ck_assert_uint_eq(s.out.new_kb, 237768);
		/* The rest, and 200 ppm of stall when asked for. */
		s.in.some_us += stall ? 50 : 0;
		step(&s, 250, 100000);
		if (!stall) {
			ck_assert_msg(s.out.action == PRESSURE_SHRINK, "%s", s.out.why);
			ck_assert_uint_eq(s.out.new_kb, 189768);
		} else {
			ck_assert_uint_eq(s.out.stall_ppm, 200);
			ck_assert(!s.out.write);
			ck_assert_str_eq(s.out.why, "shrunk less than a second ago");
		}
	}
}
END_TEST

/* A few kB of page cache (a guest without a disk keeps a page or two)
 * is no hot cache: a grow between fast samples runs a fast sample's
 * worth ahead, as with none. From 4 MB kept, a horizon ahead. */
START_TEST(a_few_cached_pages_keep_the_short_lead)
{
	struct sim s;
	uint64_t cache;

	for (int hot = 0; hot <= 1; hot++) {
		cache = hot ? PRESSURE_HOT_CACHE_KB : 4;
		sim_init(&s, 189768 + cache);
		s.in.cache_keep_kb = cache;
		step(&s, 1000, 100000);
		step(&s, 250, 120000);        /* 80000 kB/s: grown */
		ck_assert_int_eq(s.out.action, PRESSURE_GROW);
		/* 20000 more a sample until under the headroom; then
		 * goal = inuse + headroom + 57000, and ahead 20000 (a
		 * quarter horizon) or 80000. */
		do
			step(&s, 250, s.in.used_kb + 20000);
		while (s.out.action != PRESSURE_GROW);
		ck_assert_uint_eq(s.out.cache_kb, cache);
		/* And a hot cache's headroom is a whole horizon of the
		 * rate, 80000, not three quarters. */
		ck_assert_uint_eq(s.out.headroom_kb, hot ? 80000 : 60000);
		ck_assert_uint_eq(s.out.new_kb, s.out.goal_kb + (hot ? 80000 : 20000));
	}
}
END_TEST

/* A grow runs ahead of use by what use may add before the next look:
 * a whole horizon from the tick (the first grow of a burst), a fast
 * sample's worth (a quarter) once samples come every 250 ms. Two
 * horizons at every fast sample held twice what a burst needed at its
 * top. */
START_TEST(grow_ahead_by_what_comes_before_the_next_sample)
{
	struct sim s;
	uint64_t used = 120000;

	sim_init(&s, 189768);
	step(&s, 1000, 100000);
	/* From a settled guest's sample: 20000 kB in 250 ms, 80000 kB/s:
	 * goal 120000 + 60000 + 57000 = 237000, and a horizon ahead:
	 * 317000. */
	step(&s, 250, used);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.new_kb, 317000);
	/* Fast samples, the same pace: MemAvailable lasts until it is
	 * under the headroom (60000): at 220000 in use (317000 - 57000 -
	 * 220000 = 40000). Then goal 220000 + 60000 + 57000 = 337000, and
	 * 80000 * 250 / 1000 = 20000 ahead: 357000. */
	do {
		used += 20000;
		step(&s, 250, used);
		ck_assert_uint_le(used, 220000);
	} while (s.out.action != PRESSURE_GROW);
	ck_assert_uint_eq(used, 220000);
	ck_assert_uint_eq(s.out.new_kb, 357000);
	/* Seen from the tick again (a second later: not sampled fast),
	 * the next grow runs a whole horizon ahead. */
	used += 80000;
	step(&s, 1000, used);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.new_kb, used + 60000 + 57000 + 80000);
}
END_TEST

/* While a hot cache is kept, a grow between fast samples still runs a
 * whole horizon ahead: one that falls short has the kernel reclaim that
 * cache, and each page of it comes back as a disk read. The same growth
 * of anonymous memory (the case above) runs a fast sample's worth. */
START_TEST(kept_cache_grows_a_whole_horizon_ahead)
{
	struct sim s;
	uint64_t cache = 50000;

	/* used 100000 + cache 50000 + 32768 + 57000 = 239768 */
	sim_init(&s, 239768);
	s.in.cache_keep_kb = cache;
	step(&s, 1000, 100000);
	ck_assert_int_eq(s.out.action, PRESSURE_HOLD);
	/* The data read at 80000 kB/s: from the tick, goal 170000 + 80000
	 * + 57000 = 307000, and a horizon ahead: 387000. */
	cache += 20000;
	s.in.cache_keep_kb = cache;
	step(&s, 250, 100000);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_eq(s.out.new_kb, 387000);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	/* Fast samples, the same pace: under the headroom at 270000 in
	 * use (330000 - 270000 = 60000 < 80000). Goal 270000 + 80000 +
	 * 57000 = 407000, and still a whole horizon ahead: 487000 (a fast
	 * sample's worth would be 427000). */
	do {
		cache += 20000;
		s.in.cache_keep_kb = cache;
		step(&s, 250, 100000);
		ck_assert_uint_le(cache, 170000);
	} while (s.out.action != PRESSURE_GROW);
	ck_assert_uint_eq(s.out.cache_kb, 170000);
	ck_assert_uint_eq(s.out.inuse_kb, 270000);
	ck_assert_uint_eq(s.out.new_kb, 487000);
}
END_TEST

/* The headroom is sized for a reaction within one horizon: while the
 * window remembers growth faster than the minimum headroom a horizon,
 * the rule asks to be sampled fast even with use flat, so the next
 * burst (or the memory given back) is seen within 250 ms, not at the
 * tick; once the burst has left the window, the tick again. */
START_TEST(remembered_burst_keeps_fast_sampling)
{
	struct sim s;
	struct policy_out high;

	/* Held at a floor of 300000 kB: MemTotal 243000, 143000 kB free
	 * at 100000 in use, more than two headrooms even after the burst,
	 * so only the burst asks for fast samples. */
	sim_init_at_floor(&s, &high, 300000);
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	step(&s, 250, 120000);        /* 80000 kB/s: headroom 60000 */
	ck_assert_uint_eq(s.out.headroom_kb, 60000);
	for (int i = 0; i < 10; i++) {
		step(&s, 1000, 120000);
		ck_assert_msg(s.out.next_sample_ms == PRESSURE_FAST_SAMPLE_MS,
		    "%d s after the burst", i + 1);
		ck_assert_str_eq(s.out.sampling_why, "a burst remembered");
	}
	step(&s, 1000, 120000);       /* 11 s: out of the window */
	ck_assert_uint_eq(s.out.headroom_kb, PRESSURE_MIN_HEADROOM_KB);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	/* A slow rise (a 2000 kB/s fill) never asks for more than the
	 * samples of its own rising. */
	step(&s, 1000, 122000);
	ck_assert_str_eq(s.out.sampling_why, "use rising");
	step(&s, 1000, 122000);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	ck_assert(!s.out.write);
}
END_TEST

/* The tick and a fast sample land a few ms apart about once a second.
 * Judged against each other they show no rise, and a rise slower than
 * a burst (its second's growth under the minimum headroom) lost its
 * fast samples until the next tick: a load reading 30 MB/s through the
 * cache ran out of headroom in that second and the kernel evicted what
 * it had just read. A sample too close to the last is judged against
 * the one before. */
START_TEST(close_samples_keep_fast_sampling)
{
	struct sim s;
	struct policy_out high;

	/* Held at a floor of 400000 kB: MemTotal 343000, plenty free,
	 * so nothing grows or shrinks and only the sampling is seen. */
	sim_init_at_floor(&s, &high, 400000);
	step(&s, 1000, 100000);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	/* 20000 kB/s: 20000 kB a horizon, under the minimum headroom, so
	 * only the rising keeps the samples fast. */
	step(&s, 250, 105000);
	ck_assert_uint_eq(s.out.rate_kb_s, 20000);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	step(&s, 250, 110000);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	/* The tick, 10 ms later: 200 kB more than the last sample, 5200
	 * more than the one 260 ms back. */
	step(&s, 10, 110200);
	ck_assert_msg(s.out.next_sample_ms == PRESSURE_FAST_SAMPLE_MS,
	    "a sample 10 ms after the last ended fast sampling (%s)", s.out.why);
	ck_assert(!s.out.write);
	step(&s, 250, 115200);
	ck_assert_uint_eq(s.out.next_sample_ms, PRESSURE_FAST_SAMPLE_MS);
	/* The rise over: flat for a fast sample, the tick at the tick. */
	step(&s, 250, 115200);
	ck_assert_uint_eq(s.out.next_sample_ms, 0);
	ck_assert(!s.out.write);
}
END_TEST

/* No PSI (a kernel booted psi=0): the kernel reclaiming pages while
 * use rises is the sign an allocation met reclaim, which would evict
 * the newest cache first: grow at once, as for a stall. */
START_TEST(reclaim_while_rising_grows_without_psi)
{
	struct sim s;

	/* Held at a floor of 339768 kB, plenty free: only the reclaim can
	 * say memory is short. */
	struct policy_out high;

	sim_init_at_floor(&s, &high, 339768);
	s.in.have_psi = false;
	s.in.have_reclaim = true;
	s.in.reclaim_pages = 5000;
	step(&s, 1000, 100000);
	ck_assert(!s.out.write);
	/* Use rises by 8 MB in 250 ms and 252 pages/s are reclaimed:
	 * under the threshold: held (rising), no grow. */
	s.in.reclaim_pages += 63;
	step(&s, 250, 108192);
	ck_assert_uint_eq(s.out.reclaim_pages_s, 252);
	ck_assert_msg(!s.out.write, "wrote %llu: %s", (unsigned long long)s.out.new_kb, s.out.why);
	/* 1024 pages/s while rising: grow, by a headroom. */
	s.in.reclaim_pages += 256;
	step(&s, 250, 116384);
	ck_assert_uint_eq(s.out.reclaim_pages_s, 1024);
	ck_assert(s.out.write);
	ck_assert_int_eq(s.out.action, PRESSURE_GROW);
	ck_assert_uint_ge(s.out.new_kb, 339768 + 32768);
	/* The same reclaim with use steady (kswapd keeping its watermarks
	 * after a burst): no grow. */
	for (int i = 0; i < 4; i++)
		step(&s, 1000, 116384);
	s.in.reclaim_pages += 2000;
	step(&s, 1000, 116384);
	ck_assert(!s.out.write || s.out.action != PRESSURE_GROW);
}
END_TEST

static Suite *
pressure_suite(void)
{
	Suite *s = suite_create("pressure");
	TCase *tc = tcase_create("rule");

	tcase_add_test(tc, settled_guest_writes_nothing);
	tcase_add_test(tc, near_headroom_samples_fast);
	tcase_add_test(tc, grow_at_once_on_low_available);
	tcase_add_test(tc, small_grow_waits_in_deadband);
	tcase_add_test(tc, grow_on_stall);
	tcase_add_test(tc, grow_on_little_stall_while_rising);
	tcase_add_test(tc, shrink_after_holdoff_fast_then_deadband);
	tcase_add_test(tc, burst_given_back_ends_the_holdoff);
	tcase_add_test(tc, given_back_in_two_samples_goes_in_both);
	tcase_add_test(tc, a_few_cached_pages_keep_the_short_lead);
	tcase_add_test(tc, remembered_burst_keeps_fast_sampling);
	tcase_add_test(tc, close_samples_keep_fast_sampling);
	tcase_add_test(tc, grow_ahead_by_what_comes_before_the_next_sample);
	tcase_add_test(tc, kept_cache_grows_a_whole_horizon_ahead);
	tcase_add_test(tc, stall_slows_then_stops_shrink);
	tcase_add_test(tc, refaults_stop_shrink);
	tcase_add_test(tc, without_psi_memavailable_rule);
	tcase_add_test(tc, rising_samples_fast_and_never_shrinks);
	tcase_add_test(tc, slow_allocation_blocks_shrink);
	tcase_add_test(tc, bounds_respected);
	tcase_add_test(tc, burst_never_starves);
	tcase_add_test(tc, kept_cache_is_in_use);
	tcase_add_test(tc, cache_being_read_grows_the_guest);
	tcase_add_test(tc, cache_stall_grows_to_the_need);
	tcase_add_test(tc, own_reclaim_stall_does_not_bounce);
	tcase_add_test(tc, stall_while_memory_arrives_does_not_stack);
	tcase_add_test(tc, reclaim_while_rising_grows_without_psi);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(pressure_suite());
}
