/* test_policy.c - the pure ballooning policy: the floor heuristic, one
 * step, the whole decision in balloon units, and the preswap shrinker.
 *
 * Expected values are worked out by hand from the rules of README "How
 * it works" and xenballoon.conf(5) (floor, step, preswap) and written as literals, with the arithmetic beside them, so a
 * change of rule shows up here as a failing number.
 */
#include "policy.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

/* --- policy_floor_mb (the 2008 balloon driver's floor) ----------------
 * mb = kb/1024, pages = kb/4;
 * mb < 125: 8 + pages>>9; mb < 500: 40 + pages>>10;
 * mb < 2000: 104 + pages>>11; else 296 + pages>>13. */

START_TEST(floor_tiny)
{
	ck_assert_uint_eq(policy_floor_mb(0), 8);     /* pages 0 */
	ck_assert_uint_eq(policy_floor_mb(3), 8);     /* pages 0 */
	ck_assert_uint_eq(policy_floor_mb(2047), 8);  /* pages 511, >>9 = 0 */
	ck_assert_uint_eq(policy_floor_mb(2048), 9);  /* pages 512, >>9 = 1 */
	ck_assert_uint_eq(policy_floor_mb(65536), 40); /* 64 MB: pages 16384, >>9 = 32; 8+32 */
}
END_TEST

START_TEST(floor_boundary_125)
{
	/* mb 124, lowest kb: 124*1024 = 126976, pages 31744, 31744>>9 = 62
	 * (31744/512 = 62.0): 8 + 62 = 70 */
	ck_assert_uint_eq(policy_floor_mb(126976), 70);
	/* mb 124, highest kb: 125*1024-1 = 127999, pages 31999, >>9 = 62
	 * (62.49): 8 + 62 = 70 */
	ck_assert_uint_eq(policy_floor_mb(127999), 70);
	/* mb 125: 128000, pages 32000, >>10 = 31 (31.25): 40 + 31 = 71 */
	ck_assert_uint_eq(policy_floor_mb(128000), 71);
	/* mb 126: 129024, pages 32256, >>10 = 31 (31.5): 71 */
	ck_assert_uint_eq(policy_floor_mb(129024), 71);
}
END_TEST

START_TEST(floor_boundary_500)
{
	/* mb 499: 499*1024 = 510976, pages 127744, >>10 = 124 (124.75):
	 * 40 + 124 = 164 */
	ck_assert_uint_eq(policy_floor_mb(510976), 164);
	/* 500*1024-1 = 511999, pages 127999, >>10 = 124: 164 */
	ck_assert_uint_eq(policy_floor_mb(511999), 164);
	/* mb 500: 512000, pages 128000, >>11 = 62 (62.5): 104 + 62 = 166 */
	ck_assert_uint_eq(policy_floor_mb(512000), 166);
	/* 256 MB guest: 262144, mb 256, pages 65536, >>10 = 64: 40 + 64 = 104 */
	ck_assert_uint_eq(policy_floor_mb(262144), 104);
}
END_TEST

START_TEST(floor_boundary_2000)
{
	/* mb 1999: 1999*1024 = 2046976, pages 511744, >>11 = 249 (249.875):
	 * 104 + 249 = 353 */
	ck_assert_uint_eq(policy_floor_mb(2046976), 353);
	/* 2000*1024-1 = 2047999, pages 511999, >>11 = 249: 353 */
	ck_assert_uint_eq(policy_floor_mb(2047999), 353);
	/* mb 2000: 2048000, pages 512000, >>13 = 62 (62.5): 296 + 62 = 358 */
	ck_assert_uint_eq(policy_floor_mb(2048000), 358);
	/* 1 GB: 1048576, mb 1024, pages 262144, >>11 = 128: 104 + 128 = 232 */
	ck_assert_uint_eq(policy_floor_mb(1048576), 232);
	/* 4 GB: 4194304, pages 1048576, >>13 = 128: 296 + 128 = 424 */
	ck_assert_uint_eq(policy_floor_mb(4194304), 424);
}
END_TEST

START_TEST(floor_huge_no_overflow)
{
	/* UINT64_MAX kB: pages = (2^64-1)/4 = 2^62-1, >>13 = 2^49-1 =
	 * 562949953421311; + 296 = 562949953421607 */
	ck_assert_uint_eq(policy_floor_mb(UINT64_MAX), 562949953421607ULL);
}
END_TEST

START_TEST(floor_monotonic)
{
	/* The rule is meant to grow with memory: never lower for more.
	 * (Plain ifs in the loop: every ck_assert records a check point
	 * through Check's pipe, and 86000 of them outlast the test's
	 * time-out on a loaded machine.) */
	uint64_t prev = 0;

	for (uint64_t kb = 0; kb <= 8ULL * 1024 * 1024; kb += 97) {
		uint64_t f = policy_floor_mb(kb);

		if (f < prev)
			ck_abort_msg("floor drops at %llu kB: %llu < %llu",
			    (unsigned long long)kb, (unsigned long long)f, (unsigned long long)prev);
		if (f * 1024 > kb + 8 * 1024)
			ck_abort_msg("floor above memory at %llu kB", (unsigned long long)kb);
		prev = f;
	}
}
END_TEST

/* --- policy_step (hysteresis, xenballoon.conf(5)) ---------------------- */

START_TEST(step_down)
{
	/* 1000 - (1000-0)/10 = 900 */
	ck_assert_uint_eq(policy_step(1000, 0, 10, 1), 900);
	/* 1048576 - (1048576-524288)/10 = 1048576 - 52428 = 996148 */
	ck_assert_uint_eq(policy_step(1048576, 524288, 10, 1), 996148);
	/* gap 5 < down 10: 5/10 = 0, stays */
	ck_assert_uint_eq(policy_step(1000, 995, 10, 1), 1000);
	/* gap 10: 10/10 = 1 */
	ck_assert_uint_eq(policy_step(1000, 990, 10, 1), 999);
	/* down hysteresis 1: straight to the goal */
	ck_assert_uint_eq(policy_step(1048576, 524288, 1, 1), 524288);
	/* up does not matter going down */
	ck_assert_uint_eq(policy_step(1000, 0, 10, 7), 900);
}
END_TEST

START_TEST(step_up)
{
	/* up 1: straight to the goal */
	ck_assert_uint_eq(policy_step(100, 1000, 10, 1), 1000);
	/* 100 + (1000-100)/3 = 100 + 300 = 400 */
	ck_assert_uint_eq(policy_step(100, 1000, 10, 3), 400);
	/* 100 + 900/7 = 100 + 128 = 228 */
	ck_assert_uint_eq(policy_step(100, 1000, 1, 7), 228);
	/* gap 2 < up 3: stays */
	ck_assert_uint_eq(policy_step(998, 1000, 10, 3), 998);
	/* down does not matter going up */
	ck_assert_uint_eq(policy_step(100, 1000, 2, 1), 1000);
}
END_TEST

START_TEST(step_equal)
{
	ck_assert_uint_eq(policy_step(4096, 4096, 10, 1), 4096);
	ck_assert_uint_eq(policy_step(0, 0, 1, 1), 0);
	ck_assert_uint_eq(policy_step(UINT64_MAX, UINT64_MAX, 3, 3), UINT64_MAX);
}
END_TEST

START_TEST(step_extremes_and_zero_hysteresis)
{
	ck_assert_uint_eq(policy_step(UINT64_MAX, 0, 1, 1), 0);
	ck_assert_uint_eq(policy_step(0, UINT64_MAX, 1, 1), UINT64_MAX);
	/* 0 + (2^64-1)/2 = 2^63-1 */
	ck_assert_uint_eq(policy_step(0, UINT64_MAX, 1, 2), 9223372036854775807ULL);
	/* A zero divisor must never reach the division: treated as 1. */
	ck_assert_uint_eq(policy_step(1000, 0, 0, 0), 0);
	ck_assert_uint_eq(policy_step(0, 1000, 0, 0), 1000);
}
END_TEST

START_TEST(step_never_overshoots)
{
	for (uint64_t cur = 0; cur < 3000; cur += 37)
		for (uint64_t goal = 0; goal < 3000; goal += 41)
			for (unsigned h = 1; h <= 12; h++) {
				uint64_t n = policy_step(cur, goal, h, h);

				if (cur >= goal)
					ck_assert(n <= cur && n >= goal);
				else
					ck_assert(n >= cur && n <= goal);
			}
}
END_TEST

/* --- policy_decide ------------------------------------------------------ */

/* A 1 GB PV guest: the balloon holds 1048576 kB, MemTotal is 40 MB
 * (40960 kB) less, maxmem high-water mark = MemTotal = 1007616 kB.
 * Heuristic floor: mb 984, pages 251904, >>11 = 123: 104 + 123 = 227 MB
 * = 232448 kB; in balloon units + 40960 = 273408 kB. */
static struct policy_in
guest_1g(void)
{
	struct policy_in in;

	memset(&in, 0, sizeof(in));
	in.mode = MODE_SELF;
	in.current_kb = 1048576;
	in.mem_total_kb = 1007616;
	in.maxmem_kb = 1007616;
	in.committed_as_kb = 500000;
	in.down_hysteresis = 10;
	in.up_hysteresis = 1;
	return in;
}

START_TEST(decide_unit_conversion)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	policy_decide(&in, &out);
	ck_assert_uint_eq(out.offset_kb, 40960);    /* 1048576 - 1007616 */
	ck_assert_uint_eq(out.floor_kb, 273408);    /* 227*1024 + 40960 */
	ck_assert_uint_eq(out.max_kb, UINT64_MAX);  /* static-max unknown */
	ck_assert_uint_eq(out.goal_kb, 540960);     /* 500000 + 40960 */
	/* 1048576 - (1048576 - 540960)/10 = 1048576 - 50761 = 997815 */
	ck_assert_uint_eq(out.new_kb, 997815);
	ck_assert(out.write);
	ck_assert(!out.clamped_floor);
	ck_assert(!out.clamped_max);
}
END_TEST

START_TEST(decide_offset_never_negative)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	/* MemTotal above the balloon's allocation (a driver reporting
	 * stale numbers): the offset is 0, not a wrapped huge value. */
	in.current_kb = 1000000;
	in.mem_total_kb = 1007616;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.offset_kb, 0);
	ck_assert_uint_eq(out.floor_kb, 232448);  /* 227 * 1024 + 0 */
	ck_assert_uint_eq(out.goal_kb, 500000);
	/* 1000000 - (1000000-500000)/10 = 950000 */
	ck_assert_uint_eq(out.new_kb, 950000);
}
END_TEST

START_TEST(decide_small_guest_respects_floor_plus_offset)
{
	/* A 256 MB guest whose MemTotal is 57 MB (58368 kB) below the
	 * balloon's allocation: MemTotal 262144 - 58368 = 203776 kB.
	 * maxmem 203776: mb 199, pages 50944, >>10 = 49: 40 + 49 = 89 MB
	 * = 91136 kB; floor in balloon units 91136 + 58368 = 149504 kB. */
	struct policy_in in;
	struct policy_out out;
	uint64_t cur = 262144;

	memset(&in, 0, sizeof(in));
	in.mode = MODE_SELF;
	in.maxmem_kb = 203776;
	in.committed_as_kb = 40000; /* + 58368 = 98368, below the floor */
	in.down_hysteresis = 10;
	in.up_hysteresis = 1;

	for (int tick = 0; tick < 1000; tick++) {
		in.current_kb = cur;
		in.mem_total_kb = cur - 58368;
		policy_decide(&in, &out);
		ck_assert_uint_eq(out.offset_kb, 58368);
		ck_assert_uint_eq(out.floor_kb, 149504);
		ck_assert_uint_eq(out.goal_kb, 149504);
		ck_assert(out.clamped_floor);
		ck_assert_msg(out.new_kb >= 149504, "tick %d: %llu below floor+offset", tick,
		    (unsigned long long)out.new_kb);
		ck_assert_uint_le(out.new_kb, cur);
		cur = out.new_kb;
	}
	/* Converged: within down-1 kB above the floor (the step rounds
	 * down to nothing once the gap is under 10 kB). */
	ck_assert_uint_ge(cur, 149504);
	ck_assert_uint_le(cur, 149504 + 9);
	/* First step by hand: 262144 - (262144-149504)/10 = 262144 - 11264 */
	in.current_kb = 262144;
	in.mem_total_kb = 203776;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.new_kb, 250880);
}
END_TEST

START_TEST(decide_reserve_percent)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.reserve_percent = 10;
	policy_decide(&in, &out);
	/* 1007616/100*10 = 10076*10 = 100760; 500000 + 100760 + 40960 */
	ck_assert_uint_eq(out.goal_kb, 641720);
	/* 1048576 - (1048576-641720)/10 = 1048576 - 40685 = 1007891 */
	ck_assert_uint_eq(out.new_kb, 1007891);

	in.reserve_percent = 90;
	policy_decide(&in, &out);
	/* 10076*90 = 906840; 500000 + 906840 + 40960 = 1447800 > current:
	 * grow, up 1: straight there */
	ck_assert_uint_eq(out.goal_kb, 1447800);
	ck_assert_uint_eq(out.new_kb, 1447800);
}
END_TEST

START_TEST(decide_minmem_overrides_heuristic)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	/* Higher than the heuristic: 512 MB = 524288 + 40960 = 565248 */
	in.minmem_mb = 512;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.floor_kb, 565248);
	ck_assert_uint_eq(out.goal_kb, 565248); /* 540960 raised */
	ck_assert(out.clamped_floor);
	/* 1048576 - (1048576-565248)/10 = 1048576 - 48332 = 1000244 */
	ck_assert_uint_eq(out.new_kb, 1000244);

	/* Lower than the heuristic (273408): MINMEM wins, 64 MB =
	 * 65536 + 40960 = 106496 */
	in.minmem_mb = 64;
	in.committed_as_kb = 30000; /* + 40960 = 70960 < 106496 */
	in.down_hysteresis = 1;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.floor_kb, 106496);
	ck_assert_uint_eq(out.goal_kb, 106496);
	ck_assert_uint_eq(out.new_kb, 106496);
	ck_assert(out.clamped_floor);
}
END_TEST

START_TEST(decide_static_max_clamp)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.static_max_kb = 1048576;
	in.committed_as_kb = 2000000; /* + 40960 = 2040960 > max */
	in.current_kb = 800000;
	in.mem_total_kb = 759040;   /* offset stays 40960 */
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.max_kb, 1048576);
	ck_assert_uint_eq(out.goal_kb, 1048576);
	ck_assert(out.clamped_max);
	ck_assert(!out.clamped_floor);
	ck_assert_uint_eq(out.new_kb, 1048576); /* up 1 */
	ck_assert(out.write);

	/* At the maximum already: nothing to write. */
	in.current_kb = 1048576;
	in.mem_total_kb = 1007616;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.new_kb, 1048576);
	ck_assert(!out.write);
}
END_TEST

START_TEST(decide_static_max_below_floor)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	/* dom0 set static-max under our floor (273408): the floor gives
	 * way, nothing above static-max is ever written. */
	in.static_max_kb = 200000;
	in.committed_as_kb = 100;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.floor_kb, 200000);
	ck_assert_uint_eq(out.max_kb, 200000);
	ck_assert_uint_eq(out.goal_kb, 200000);
	ck_assert_uint_le(out.new_kb, 200000);
}
END_TEST

START_TEST(decide_directed)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.mode = MODE_DIRECTED;
	in.committed_as_kb = 1; /* ignored in directed mode */
	in.directed_kb = 700000;
	policy_decide(&in, &out);
	/* Used as is: already balloon units, no offset added, and no
	 * hysteresis step (the kernel applies memory/target at once; the
	 * daemon must agree with it, not drag it back). */
	ck_assert_uint_eq(out.goal_kb, 700000);
	ck_assert_uint_eq(out.new_kb, 700000);
	ck_assert(!out.clamped_floor && !out.clamped_max);

	/* Below the floor (273408): clamped. */
	in.directed_kb = 100000;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.goal_kb, 273408);
	ck_assert_uint_eq(out.new_kb, 273408);
	ck_assert(out.clamped_floor);

	/* Above static-max: clamped. */
	in.static_max_kb = 1048576;
	in.directed_kb = 4194304;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.goal_kb, 1048576);
	ck_assert_uint_eq(out.new_kb, 1048576);
	ck_assert(out.clamped_max);
	ck_assert(!out.write); /* current is already 1048576 */

	/* Growing, even with up hysteresis 4: straight to the target. */
	in.current_kb = 600000;
	in.mem_total_kb = 559040;
	in.up_hysteresis = 4;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.new_kb, 1048576);
	ck_assert(out.write);
}
END_TEST

START_TEST(decide_idle_writes_nothing)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.mode = MODE_IDLE;
	in.committed_as_kb = 1;
	in.directed_kb = 300000;
	policy_decide(&in, &out);
	ck_assert(!out.write);
	ck_assert_uint_eq(out.new_kb, 1048576);
	ck_assert_uint_eq(out.goal_kb, 1048576);
}
END_TEST

START_TEST(decide_current_below_floor)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	/* dom0 squeezed the guest under our floor; with a slow up
	 * hysteresis the step alone would stay below it. */
	in.current_kb = 300000;
	in.mem_total_kb = 259040;   /* offset 40960 */
	in.minmem_mb = 512;         /* floor 524288 + 40960 = 565248 */
	in.committed_as_kb = 100;
	in.up_hysteresis = 4;       /* step: 300000 + 265248/4 = 366312 */
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.floor_kb, 565248);
	ck_assert_uint_eq(out.new_kb, 565248);
	ck_assert(out.write);
}
END_TEST

START_TEST(decide_current_above_max)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	/* static-max lowered below the current allocation; with down
	 * hysteresis 10 the step alone would stay above it. */
	in.static_max_kb = 600000;
	in.committed_as_kb = 900000;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.goal_kb, 600000);
	ck_assert_uint_eq(out.new_kb, 600000);
	ck_assert(out.clamped_max);
}
END_TEST

START_TEST(decide_saturates)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.committed_as_kb = UINT64_MAX - 5;
	in.reserve_percent = 90;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.goal_kb, UINT64_MAX);
	ck_assert_uint_ge(out.new_kb, in.current_kb);

	in.static_max_kb = 2097152;
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.goal_kb, 2097152);
	ck_assert_uint_eq(out.new_kb, 2097152);
}
END_TEST

/* Tiny deterministic generator for the property loops. */
static uint64_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

START_TEST(decide_never_outside_bounds)
{
	uint64_t seed = 12345;

	for (int i = 0; i < 20000; i++) {
		struct policy_in in;
		struct policy_out out;

		memset(&in, 0, sizeof(in));
		in.mode = (enum policy_mode)(lcg(&seed) % 2); /* SELF or DIRECTED */
		in.current_kb = 1024 + lcg(&seed) % (8ULL << 20);
		in.mem_total_kb = in.current_kb - lcg(&seed) % 1024 % in.current_kb;
		in.maxmem_kb = in.mem_total_kb + lcg(&seed) % 65536;
		in.minmem_mb = lcg(&seed) % 3 == 0 ? lcg(&seed) % 4096 : 0;
		in.reserve_percent = (unsigned)(lcg(&seed) % 91);
		in.committed_as_kb = lcg(&seed) % (16ULL << 20);
		in.directed_kb = lcg(&seed) % (16ULL << 20);
		in.static_max_kb = lcg(&seed) % 2 ? lcg(&seed) % (16ULL << 20) : 0;
		in.down_hysteresis = 1 + (unsigned)(lcg(&seed) % 20);
		in.up_hysteresis = 1 + (unsigned)(lcg(&seed) % 20);
		policy_decide(&in, &out);
		ck_assert_uint_le(out.floor_kb, out.max_kb);
		ck_assert_uint_ge(out.goal_kb, out.floor_kb);
		ck_assert_uint_le(out.goal_kb, out.max_kb);
		ck_assert_msg(out.new_kb >= out.floor_kb && out.new_kb <= out.max_kb,
		    "case %d: new %llu outside [%llu, %llu]", i,
		    (unsigned long long)out.new_kb, (unsigned long long)out.floor_kb,
		    (unsigned long long)out.max_kb);
		ck_assert(out.write == (out.new_kb != in.current_kb));
		/* Between where we are and where we go (after clamping). */
		if (in.current_kb >= out.floor_kb && in.current_kb <= out.max_kb) {
			uint64_t lo = in.current_kb < out.goal_kb ? in.current_kb : out.goal_kb;
			uint64_t hi = in.current_kb < out.goal_kb ? out.goal_kb : in.current_kb;

			ck_assert(out.new_kb >= lo && out.new_kb <= hi);
		}
	}
}
END_TEST

START_TEST(decide_converges_with_following_balloon)
{
	/* 1000 ticks of a simulated guest whose balloon follows each
	 * target exactly and whose MemTotal stays 40960 kB below it;
	 * Committed_AS wanders. The target never leaves [floor, max]. */
	const uint64_t offset = 40960;
	uint64_t cur = 2097152, maxmem = 2097152 - offset, seed = 7;
	struct policy_in in;
	struct policy_out out;

	memset(&in, 0, sizeof(in));
	in.mode = MODE_SELF;
	in.static_max_kb = 2097152;
	in.down_hysteresis = 10;
	in.up_hysteresis = 1;
	for (int tick = 0; tick < 1000; tick++) {
		in.current_kb = cur;
		in.mem_total_kb = cur - offset;
		if (in.mem_total_kb > maxmem)
			maxmem = in.mem_total_kb;
		in.maxmem_kb = maxmem;
		in.committed_as_kb = tick < 500 ? lcg(&seed) % 3000000 : 300000;
		policy_decide(&in, &out);
		ck_assert_uint_ge(out.new_kb, out.floor_kb);
		ck_assert_uint_le(out.new_kb, 2097152);
		cur = out.new_kb;
	}
	/* maxmem stayed 2056192: mb 2008, pages 514048, >>13 = 62:
	 * 296 + 62 = 358 MB = 366592 kB, + 40960 = 407552. Committed 300000
	 * + 40960 = 340960 is below it, so the goal is the floor, reached
	 * to within down-1 kB. */
	ck_assert_uint_eq(out.floor_kb, 407552);
	ck_assert_uint_eq(out.goal_kb, 407552);
	ck_assert_uint_ge(cur, 407552);
	ck_assert_uint_le(cur, 407552 + 9);
}
END_TEST

START_TEST(decide_growth_reaches_goal_in_one_tick)
{
	struct policy_in in = guest_1g();
	struct policy_out out;

	in.current_kb = 400000;
	in.mem_total_kb = 359040;
	in.committed_as_kb = 700000; /* goal 740960 */
	policy_decide(&in, &out);
	ck_assert_uint_eq(out.new_kb, 740960);
	in.current_kb = out.new_kb;
	in.mem_total_kb = out.new_kb - 40960;
	policy_decide(&in, &out);
	ck_assert(!out.write);
	ck_assert_uint_eq(out.new_kb, 740960);
}
END_TEST

/* --- preswap_step (XENBALLOON_PRESWAP_*, xenballoon.conf(5)) ----------- */

#define NO_TARGET 0xFEEDFACEULL

/* Feed one reading; returns true when an attempt was made (*t set). */
static bool
feed(struct preswap_state *st, uint64_t pages, unsigned inertia, unsigned hys, uint64_t *t)
{
	*t = NO_TARGET;
	return preswap_step(st, pages, inertia, hys, t);
}

START_TEST(preswap_inertia_counts_stable_readings)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	/* inertia 3: the first reading differs from "last" (0) and sets
	 * the counter to 3; then three stable readings count it down. */
	ck_assert(!feed(&st, 1000, 3, 20, &t));
	ck_assert_uint_eq(t, NO_TARGET);
	ck_assert(!feed(&st, 1000, 3, 20, &t)); /* counter 2 */
	ck_assert(!feed(&st, 1000, 3, 20, &t)); /* counter 1 */
	ck_assert(feed(&st, 1000, 3, 20, &t));  /* counter 0: attempt */
	/* 1000 - 1000/20 = 950 */
	ck_assert_uint_eq(t, 950);
}
END_TEST

START_TEST(preswap_counter_reset_after_attempt)
{
	struct preswap_state st = { 0 };
	uint64_t t;
	int attempts = 0, first = -1, second = -1;

	/* The shrink had no effect (the reading stays): the next attempt
	 * comes only after another `inertia` stable readings. */
	for (int i = 0; i < 9; i++)
		if (feed(&st, 1000, 3, 20, &t)) {
			attempts++;
			if (first < 0)
				first = i;
			else if (second < 0)
				second = i;
		}
	ck_assert_int_eq(first, 3);
	ck_assert_int_eq(second, 6);
	ck_assert_int_eq(attempts, 2);
	ck_assert_uint_eq(st.counter, 1); /* reading 8 counted 3 -> 2 -> 1 */
}
END_TEST

START_TEST(preswap_change_resets)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	ck_assert(!feed(&st, 1000, 3, 20, &t));
	ck_assert(!feed(&st, 1000, 3, 20, &t));
	ck_assert(!feed(&st, 1000, 3, 20, &t));
	/* A change one reading before the attempt starts over. */
	ck_assert(!feed(&st, 999, 3, 20, &t));
	ck_assert_uint_eq(st.counter, 3);
	ck_assert(!feed(&st, 999, 3, 20, &t));
	ck_assert(!feed(&st, 999, 3, 20, &t));
	ck_assert(feed(&st, 999, 3, 20, &t));
	/* 999 - 999/20 = 999 - 49 = 950 */
	ck_assert_uint_eq(t, 950);
	/* The shrink worked: a new, lower reading resets again. */
	ck_assert(!feed(&st, 950, 3, 20, &t));
	ck_assert_uint_eq(st.counter, 3);
	ck_assert_uint_eq(st.last_pages, 999);
	ck_assert_uint_eq(st.now_pages, 950);
}
END_TEST

START_TEST(preswap_zero_never_attempts)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	for (int i = 0; i < 100; i++) {
		ck_assert(!feed(&st, 0, 1, 20, &t));
		ck_assert_uint_eq(st.counter, 1);
	}
	ck_assert_uint_eq(t, NO_TARGET);
	/* A zero in a stable run resets the count. */
	ck_assert(!feed(&st, 500, 2, 20, &t));
	ck_assert(!feed(&st, 500, 2, 20, &t));
	ck_assert(!feed(&st, 0, 2, 20, &t));
	ck_assert(!feed(&st, 500, 2, 20, &t));
	ck_assert(!feed(&st, 500, 2, 20, &t));
	ck_assert(feed(&st, 500, 2, 20, &t));
	ck_assert_uint_eq(t, 475); /* 500 - 25 */
}
END_TEST

START_TEST(preswap_inertia_one)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	ck_assert(!feed(&st, 400, 1, 20, &t));
	ck_assert(feed(&st, 400, 1, 20, &t));
	ck_assert_uint_eq(t, 380); /* 400 - 20 */
	ck_assert(feed(&st, 400, 1, 20, &t)); /* still stuck: every tick */
	ck_assert_uint_eq(t, 380);
}
END_TEST

/* The target of one attempt for a stable reading `now`. */
static uint64_t
target_for(uint64_t now, unsigned hys)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	ck_assert(!feed(&st, now, 1, hys, &t));
	ck_assert(feed(&st, now, 1, hys, &t));
	return t;
}

START_TEST(preswap_fixed_tail)
{
	/* now <= hys: 0 (Xen 3.4's xenballoond kept `now` for ever). */
	ck_assert_uint_eq(target_for(1, 20), 0);
	ck_assert_uint_eq(target_for(19, 20), 0);
	ck_assert_uint_eq(target_for(20, 20), 0);
	/* now > hys: now - now/hys */
	ck_assert_uint_eq(target_for(21, 20), 20);   /* 21 - 1 */
	ck_assert_uint_eq(target_for(40, 20), 38);   /* 40 - 2 */
	ck_assert_uint_eq(target_for(39, 20), 38);   /* 39 - 1 */
	ck_assert_uint_eq(target_for(100000, 20), 95000);
	/* hysteresis 1: everything goes */
	ck_assert_uint_eq(target_for(12345, 1), 0);
	/* hysteresis 2: half; 7 - 3 = 4 */
	ck_assert_uint_eq(target_for(7, 2), 4);
	ck_assert_uint_eq(target_for(2, 2), 0);
}
END_TEST

START_TEST(preswap_shrinks_to_zero_eventually)
{
	/* A kernel that applies each target: the preswap drains to 0 and
	 * then no more attempts are made. */
	struct preswap_state st = { 0 };
	uint64_t pages = 100000, t;
	int attempts = 0;

	for (int tick = 0; tick < 10000 && pages > 0; tick++)
		if (feed(&st, pages, 10, 20, &t)) {
			ck_assert_uint_lt(t, pages);
			pages = t;
			attempts++;
		}
	ck_assert_uint_eq(pages, 0);
	ck_assert_int_gt(attempts, 1);
	for (int tick = 0; tick < 50; tick++)
		ck_assert(!feed(&st, 0, 10, 20, &t));
}
END_TEST

START_TEST(preswap_zero_hysteresis_never_divides)
{
	struct preswap_state st = { 0 };
	uint64_t t;

	ck_assert(!feed(&st, 100, 1, 0, &t));
	ck_assert(!feed(&st, 100, 1, 0, &t));
	ck_assert_uint_eq(t, NO_TARGET);
	ck_assert_uint_eq(st.counter, 1);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("floor");
	tcase_add_test(tc, floor_tiny);
	tcase_add_test(tc, floor_boundary_125);
	tcase_add_test(tc, floor_boundary_500);
	tcase_add_test(tc, floor_boundary_2000);
	tcase_add_test(tc, floor_huge_no_overflow);
	tcase_add_test(tc, floor_monotonic);
	suite_add_tcase(s, tc);

	tc = tcase_create("step");
	tcase_add_test(tc, step_down);
	tcase_add_test(tc, step_up);
	tcase_add_test(tc, step_equal);
	tcase_add_test(tc, step_extremes_and_zero_hysteresis);
	tcase_add_test(tc, step_never_overshoots);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, decide_unit_conversion);
	tcase_add_test(tc, decide_offset_never_negative);
	tcase_add_test(tc, decide_small_guest_respects_floor_plus_offset);
	tcase_add_test(tc, decide_reserve_percent);
	tcase_add_test(tc, decide_minmem_overrides_heuristic);
	tcase_add_test(tc, decide_static_max_clamp);
	tcase_add_test(tc, decide_static_max_below_floor);
	tcase_add_test(tc, decide_directed);
	tcase_add_test(tc, decide_idle_writes_nothing);
	tcase_add_test(tc, decide_current_below_floor);
	tcase_add_test(tc, decide_current_above_max);
	tcase_add_test(tc, decide_saturates);
	tcase_add_test(tc, decide_never_outside_bounds);
	tcase_add_test(tc, decide_converges_with_following_balloon);
	tcase_add_test(tc, decide_growth_reaches_goal_in_one_tick);
	suite_add_tcase(s, tc);

	tc = tcase_create("preswap");
	tcase_add_test(tc, preswap_inertia_counts_stable_readings);
	tcase_add_test(tc, preswap_counter_reset_after_attempt);
	tcase_add_test(tc, preswap_change_resets);
	tcase_add_test(tc, preswap_zero_never_attempts);
	tcase_add_test(tc, preswap_inertia_one);
	tcase_add_test(tc, preswap_fixed_tail);
	tcase_add_test(tc, preswap_shrinks_to_zero_eventually);
	tcase_add_test(tc, preswap_zero_hysteresis_never_divides);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(policy_suite());
}
