/* test_workingset.c - the page cache the pressure goal keeps, sample by
 * sample.
 *
 * A service's cache, in kB: what is cached (Active(file) +
 * Inactive(file)) and the file refaults counted so far are the inputs;
 * the hold is 150 s, the default. Expected numbers are worked out
 * beside each assertion.
 */
#include "workingset.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define HOLD_MS 150000u
#define MB 1024u

struct wsim {
	struct ws_state st;
	struct ws_in in;
	struct ws_out out;
	unsigned steps;        /* samples that released something */
};

static void
wsim_init(struct wsim *s, uint64_t file_kb)
{
	ws_init(&s->st);
	s->in = (struct ws_in){
		.now_ms = 1000000, .hold_ms = HOLD_MS, .have_file = true, .file_kb = file_kb,
		.have_refaults = true, .refault_pages = 5000,
	};
	s->steps = 0;
	ws_update(&s->st, &s->in, &s->out);
}

/* One sample dt_ms later with this much cached and refault_kb more
 * read back since the last. */
static void
wstep(struct wsim *s, uint64_t dt_ms, uint64_t file_kb, uint64_t refault_kb)
{
	s->in.now_ms += dt_ms;
	s->in.file_kb = file_kb;
	s->in.refault_pages += refault_kb / WS_PAGE_KB;
	ws_update(&s->st, &s->in, &s->out);
	if (s->out.released_kb > 0)
		s->steps++;
}

/* The kernel follows a release: the cache shrinks to what is kept. */
static void
wfollow(struct wsim *s, uint64_t dt_ms)
{
	uint64_t file = s->in.file_kb < s->out.kept_kb ? s->in.file_kb : s->out.kept_kb;

	wstep(s, dt_ms, file, 0);
}

START_TEST(first_reading_keeps_what_is_cached)
{
	struct wsim s;

	wsim_init(&s, 40 * MB);
	ck_assert_uint_eq(s.out.keep_kb, 40 * MB);
	ck_assert_uint_eq(s.out.added_kb, 40 * MB);
	/* No refault counted from the first reading's total. */
	ck_assert_uint_eq(s.out.refault_kb, 0);
}
END_TEST

/* A service reads 150 MB once: every sample's growth is kept at once. */
START_TEST(cache_read_is_kept_as_it_arrives)
{
	struct wsim s;
	uint64_t file = 10 * MB;

	wsim_init(&s, file);
	for (int i = 0; i < 15; i++) {
		file += 10 * MB;
		wstep(&s, 250, file, 0);
		ck_assert_uint_eq(s.out.added_kb, 10 * MB);
		ck_assert_uint_eq(s.out.keep_kb, file);
	}
	ck_assert_uint_eq(s.out.kept_kb, 160 * MB);
	/* Growth under WS_GROWTH_MIN_KB a sample is noise. */
	wstep(&s, 250, file + WS_GROWTH_MIN_KB - 1, 0);
	ck_assert_uint_eq(s.out.added_kb, 0);
	ck_assert_uint_eq(s.out.kept_kb, 160 * MB);
}
END_TEST

/* A lull of tens of seconds (and anything up to the hold) gives
 * nothing back; the kept cache is all the cache, even when more is
 * cached than kept. */
START_TEST(lull_within_hold_releases_nothing)
{
	struct wsim s;

	wsim_init(&s, 150 * MB);
	for (unsigned t = 0; t + 1000 < HOLD_MS; t += 1000) {
		wstep(&s, 1000, 150 * MB, 0);
		ck_assert_uint_eq(s.out.released_kb, 0);
		ck_assert_uint_eq(s.out.keep_kb, 150 * MB);
	}
	ck_assert_str_eq(s.out.why, "in use or within the hold");
}
END_TEST

/* Past the hold: a probe of 1/32 every 5 s, then, unused 30 s past the
 * hold, 1/8 a step; back to nothing within minutes, never in one step. */
START_TEST(cold_cache_goes_back_gradually)
{
	struct wsim s;
	uint64_t t = 0, first_fast = 0, at_hold30 = 0, at_quarter = 0;
	uint64_t max_step = 0;

	wsim_init(&s, 150 * MB);
	while (s.out.kept_kb > 0 && t < 20 * 60000) {
		wfollow(&s, 1000);
		t += 1000;
		if (s.out.released_kb > max_step)
			max_step = s.out.released_kb;
		if (at_quarter == 0 && s.out.kept_kb <= 150 * MB / 4)
			at_quarter = t;
		if (t < HOLD_MS)
			ck_assert_uint_eq(s.out.released_kb, 0);
		if (t == HOLD_MS) {
			/* The first probe: 153600 / 32 = 4800 kB. */
			ck_assert_uint_eq(s.out.released_kb, 150 * MB / 32);
			ck_assert_str_eq(s.out.why, "unused: probing");
		}
		if (t > HOLD_MS && t < HOLD_MS + WS_STEP_EVERY_MS)
			ck_assert_uint_eq(s.out.released_kb, 0);   /* one step per 5 s */
		if (t == HOLD_MS + WS_FAST_AFTER_MS - 1000)
			at_hold30 = s.out.kept_kb;   /* before the first 1/8 step */
		if (first_fast == 0 && s.out.released_kb > 0 && !strcmp(s.out.why, "cold: releasing"))
			first_fast = t;
	}
	/* Six probes of 1/32 in the 30 s past the hold: 150 MB x
	 * (31/32)^6, about 124 MB, left. */
	ck_assert_uint_gt(at_hold30, 120 * MB);
	ck_assert_uint_lt(at_hold30, 128 * MB);
	ck_assert_uint_eq(first_fast, HOLD_MS + WS_FAST_AFTER_MS);
	/* All of it back, in no step above 1/8 of 150 MB, within 6 min;
	 * down to a quarter in under 4. */
	ck_assert_uint_eq(s.out.kept_kb, 0);
	ck_assert_uint_le(max_step, 150 * MB / 8);
	ck_assert_uint_lt(t, 6 * 60000);
	ck_assert_uint_lt(at_quarter, 4 * 60000);
	ck_assert_uint_gt(s.steps, 20);
}
END_TEST

/* Cached pages read back soon after a release: it was wrong. The
 * cache is kept again (what is cached plus what was read back) and the
 * hold doubles, up to 8 times. */
START_TEST(refaults_after_release_refute_it)
{
	struct wsim s;

	wsim_init(&s, 150 * MB);
	wstep(&s, HOLD_MS, 150 * MB, 0);
	ck_assert_uint_eq(s.out.released_kb, 4800);
	ck_assert_uint_eq(s.out.kept_kb, 150 * MB - 4800);
	/* The kernel evicted 4800 kB (seen at a sample); 3 MB of it is
	 * read back by the next. */
	wstep(&s, 1000, 150 * MB - 4800, 0);
	wstep(&s, 1000, 150 * MB - 4800 + 3 * MB, 3 * MB);
	ck_assert(s.out.refuted);
	ck_assert_uint_eq(s.out.hold_ms, 2 * HOLD_MS);
	/* need = cached before, 150 MB - 4800, plus the 3 MB read back,
	 * which is what is cached now */
	ck_assert_uint_eq(s.out.kept_kb, 150 * MB - 4800 + 3 * MB);
	ck_assert_uint_eq(s.out.keep_kb, s.out.kept_kb);
	/* Nothing goes for the doubled hold. */
	for (unsigned t = 1000; t < 2 * HOLD_MS; t += 1000) {
		wstep(&s, 1000, 150 * MB - 4800 + 3 * MB, 0);
		ck_assert_uint_eq(s.out.released_kb, 0);
	}
	wstep(&s, 1000, 150 * MB - 4800 + 3 * MB, 0);
	ck_assert_uint_gt(s.out.released_kb, 0);
	/* Refuted again and again: the hold stops at 8x. */
	for (int i = 0; i < 5; i++) {
		wstep(&s, 1000, s.in.file_kb, 2 * MB);
		wstep(&s, 9 * HOLD_MS, s.in.file_kb, 0);
		ck_assert_uint_gt(s.out.released_kb, 0);
	}
	ck_assert_uint_eq(s.out.hold_ms, 8 * HOLD_MS);
}
END_TEST

/* Refaults long after a release (the service came back to data it
 * had left) are no refutation: the hold stays as it was. */
START_TEST(late_refaults_do_not_double_the_hold)
{
	struct wsim s;

	wsim_init(&s, 100 * MB);
	wstep(&s, HOLD_MS, 100 * MB, 0);
	ck_assert_uint_gt(s.out.released_kb, 0);
	/* (no further step meanwhile) */
	s.in.stalling = true;
	wstep(&s, WS_REFUTE_MS, 97 * MB, 0);
	s.in.stalling = false;
	wstep(&s, 1000, 98 * MB, 1 * MB);
	ck_assert(!s.out.refuted);
	ck_assert_uint_eq(s.out.hold_ms, HOLD_MS);
	ck_assert_str_eq(s.out.why, "refaults: in use");
}
END_TEST

/* Thrashing: the cache is full at 100 MB and 4 MB a sample is read
 * back. The kept cache grows by what is read back, sample by sample,
 * never to a maximum at once. */
START_TEST(grow_sized_to_what_is_read_back)
{
	struct wsim s;
	uint64_t file = 100 * MB;

	wsim_init(&s, file);
	for (int i = 1; i <= 5; i++) {
		wstep(&s, 250, file, 4 * MB);
		ck_assert_uint_eq(s.out.kept_kb, file + 4 * MB);
		ck_assert_uint_eq(s.out.keep_kb, file + 4 * MB);
		/* The balloon grew by that: the next sample caches it. */
		file += 4 * MB;
		wstep(&s, 250, file, 0);
		ck_assert_uint_eq(s.out.added_kb, 0);   /* not counted twice */
	}
	ck_assert_uint_eq(s.out.kept_kb, 120 * MB);
	/* Refaults below WS_REFAULT_MIN_KB a second are noise. */
	wstep(&s, 250, file, WS_REFAULT_MIN_KB - WS_PAGE_KB);
	ck_assert_uint_eq(s.out.added_kb, 0);
}
END_TEST

/* The noise floors are a second's, not a sample's: the daemon samples
 * every 250 ms as often as once a second, and a cache read (or read
 * back) at 512 kB/s grows by 128 kB between fast samples, under the
 * floor each time. Less than a floor over a whole second stays noise. */
START_TEST(slow_growth_adds_up_between_fast_samples)
{
	struct wsim s;
	uint64_t file = 100 * MB;

	wsim_init(&s, file);
	file += 128;
	wstep(&s, 250, file, 0);
	ck_assert_uint_eq(s.out.added_kb, 0);
	file += 128;
	wstep(&s, 250, file, 0);
	ck_assert_uint_eq(s.out.added_kb, 256);        /* 2 x 128 from the first */
	ck_assert_uint_eq(s.out.kept_kb, 100 * MB + 256);
	wstep(&s, 250, file, 128);
	ck_assert_uint_eq(s.out.refault_kb, 128);
	ck_assert_uint_eq(s.out.kept_kb, 100 * MB + 256);
	wstep(&s, 250, file, 128);
	ck_assert_uint_eq(s.out.refault_kb, 256);      /* counted: kept grows */
	ck_assert_str_eq(s.out.why, "refaults: in use");
	ck_assert_uint_eq(s.out.kept_kb, file + 256);
	/* 60 kB a sample, of each: 240 kB a second, noise. The fourth
	 * sample is a second from the last count, and starts again. */
	for (int i = 1; i <= 5; i++) {
		file += 60;
		wstep(&s, 250, file, 60);
		ck_assert_uint_eq(s.out.added_kb, 0);
		ck_assert_uint_eq(s.out.refault_kb, (uint64_t)(i <= 4 ? i : i - 4) * 60);
		ck_assert_uint_eq(s.out.kept_kb, file - (uint64_t)i * 60 + 256);
	}
}
END_TEST

/* Cache evicted (anonymous memory pushed it out) and read back is not
 * new cache: the kept figure does not count it twice. */
START_TEST(cache_coming_back_is_not_new)
{
	struct wsim s;

	wsim_init(&s, 150 * MB);
	wstep(&s, 1000, 120 * MB, 0);
	ck_assert_uint_eq(s.out.kept_kb, 150 * MB);
	ck_assert_uint_eq(s.out.keep_kb, 120 * MB);     /* only what is cached */
	wstep(&s, 1000, 140 * MB, 0);
	ck_assert_uint_eq(s.out.added_kb, 0);
	wstep(&s, 1000, 160 * MB, 0);
	ck_assert_uint_eq(s.out.added_kb, 10 * MB);    /* beyond the 150 kept */
	ck_assert_uint_eq(s.out.kept_kb, 160 * MB);
}
END_TEST

/* Cache read later has its own time: the old generation goes while
 * the new one is held. */
START_TEST(generations_age_apart)
{
	struct wsim s;
	uint64_t file = 100 * MB;

	wsim_init(&s, file);
	/* 100 s later, 50 MB more is read. */
	wstep(&s, 100000, file, 0);
	file += 50 * MB;
	wstep(&s, 1000, file, 0);
	ck_assert_uint_eq(s.st.ngen, 2);
	/* At 150 s the first generation may go, the second not until 251 s. */
	while (s.in.now_ms < 1000000 + 250000) {
		wfollow(&s, 1000);
		ck_assert_uint_le(s.out.released_kb, 100 * MB);
	}
	/* The first is gone (probes, then 1/8 steps of what is kept,
	 * taken from it alone) or nearly; the second is whole. */
	ck_assert_uint_eq(s.st.gen[s.st.ngen - 1].kb, 50 * MB);
	ck_assert_uint_lt(s.out.kept_kb, 100 * MB);
}
END_TEST

START_TEST(no_release_while_stalling)
{
	struct wsim s;

	wsim_init(&s, 150 * MB);
	s.in.stalling = true;
	wstep(&s, 3 * HOLD_MS, 150 * MB, 0);
	ck_assert_uint_eq(s.out.released_kb, 0);
	ck_assert_str_eq(s.out.why, "stall: releasing nothing");
	s.in.stalling = false;
	wstep(&s, 1000, 150 * MB, 0);
	ck_assert_uint_gt(s.out.released_kb, 0);
}
END_TEST

/* XENBALLOON_CACHE_HOLD=0: no cache is kept (the goal of MemAvailable
 * alone); a kernel without the file LRU figures: the same. */
START_TEST(hold_zero_or_no_figures_keep_nothing)
{
	struct wsim s;

	wsim_init(&s, 150 * MB);
	s.in.hold_ms = 0;
	wstep(&s, 1000, 160 * MB, 8 * MB);
	ck_assert_uint_eq(s.out.keep_kb, 0);
	ck_assert_uint_eq(s.out.kept_kb, 0);
	ck_assert_str_eq(s.out.why, "keeping no cache");
	s.in.hold_ms = HOLD_MS;
	s.in.have_file = false;
	wstep(&s, 1000, 0, 0);
	ck_assert_uint_eq(s.out.keep_kb, 0);
	ck_assert_str_eq(s.out.why, "no file cache figures");
	/* Figures back: what is cached then is kept. */
	s.in.have_file = true;
	wstep(&s, 1000, 30 * MB, 0);
	ck_assert_uint_eq(s.out.keep_kb, 30 * MB);
}
END_TEST

/* A counter that goes backwards (a torn read, a reset) counts no
 * refault; a huge jump saturates instead of wrapping, and grows the
 * kept cache by no more than what is cached (at least 16 MB): one bad
 * reading cannot pin the cache for hours. */
START_TEST(counters_bounded)
{
	struct wsim s;

	wsim_init(&s, 10 * MB);
	s.in.refault_pages = 10;
	wstep(&s, 1000, 10 * MB, 0);
	ck_assert_uint_eq(s.out.refault_kb, 0);
	s.in.refault_pages = UINT64_MAX - 1;
	wstep(&s, 1000, 10 * MB, 0);
	ck_assert_uint_eq(s.out.refault_kb, UINT64_MAX);
	ck_assert_uint_eq(s.out.kept_kb, 10 * MB + 16 * MB);
	ck_assert_uint_eq(s.out.keep_kb, 10 * MB + 16 * MB);
	ck_assert_uint_lt(s.out.keep_kb, UINT64_MAX / 2);
	/* Refault figures missing: none counted. */
	s.in.have_refaults = false;
	wstep(&s, 1000, 10 * MB, 0);
	ck_assert_uint_eq(s.out.refault_kb, 0);
}
END_TEST

/* A steady service whose 150 MB are all in use: a release that bites
 * into them is read back within a second. Over an hour the refuted
 * probes get rarer (the hold doubles to 8x) and the kept cache never
 * falls below what is in use by more than one probe. */
START_TEST(steady_service_settles)
{
	struct wsim s;
	uint64_t hot = 150 * MB, file = hot, probes_first = 0, probes_last = 0;

	wsim_init(&s, file);
	for (unsigned t = 1; t <= 3600; t++) {
		uint64_t back = 0;

		/* The kernel evicts down to what is kept; the service reads
		 * the hot pages it lost within a second. */
		if (s.out.kept_kb < file)
			file = s.out.kept_kb;
		if (file < hot) {
			back = hot - file;
			file = hot;
		}
		wstep(&s, 1000, file, back);
		/* one probe of at most 1/32 of hot plus what was read back */
		ck_assert_uint_ge(s.out.kept_kb + 160 * MB / 32, hot);
		if (s.out.refuted) {
			if (t <= 1800)
				probes_first++;
			else
				probes_last++;
		}
	}
	/* Refuted at 151, 457, 1063 s; then every 1200 s. */
	ck_assert_uint_eq(probes_first, 3);
	ck_assert_uint_le(probes_last, 2);
	ck_assert_uint_eq(s.out.hold_ms, 8 * HOLD_MS);
}
END_TEST

static Suite *
workingset_suite(void)
{
	Suite *s = suite_create("workingset");
	TCase *tc = tcase_create("rule");

	tcase_add_test(tc, first_reading_keeps_what_is_cached);
	tcase_add_test(tc, cache_read_is_kept_as_it_arrives);
	tcase_add_test(tc, lull_within_hold_releases_nothing);
	tcase_add_test(tc, cold_cache_goes_back_gradually);
	tcase_add_test(tc, refaults_after_release_refute_it);
	tcase_add_test(tc, late_refaults_do_not_double_the_hold);
	tcase_add_test(tc, grow_sized_to_what_is_read_back);
	tcase_add_test(tc, slow_growth_adds_up_between_fast_samples);
	tcase_add_test(tc, cache_coming_back_is_not_new);
	tcase_add_test(tc, generations_age_apart);
	tcase_add_test(tc, no_release_while_stalling);
	tcase_add_test(tc, hold_zero_or_no_figures_keep_nothing);
	tcase_add_test(tc, counters_bounded);
	tcase_add_test(tc, steady_service_settles);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(workingset_suite());
}
