/* test_guests.c - a guest's figures as the balancer reads them
 * (src/balancer/guests.c): which paths are keys, strict numbers, modes,
 * pressure and stalling, garbage refused with the old value kept. */
#include "guests.h"

#include <check.h>
#include <string.h>

#include "testutil.h"

static int
take(struct guest *g, enum gkey k, const char *v, uint64_t now, const char **why)
{
	return guest_take(g, k, v, strlen(v), now, 5, why);
}

START_TEST(key_paths)
{
	bool data;

	ck_assert_int_eq(guest_key_of("memory/target", 13, &data), GK_TARGET);
	ck_assert(!data);
	ck_assert_int_eq(guest_key_of("memory/goal", 11, &data), GK_GOAL);
	ck_assert(!data);
	ck_assert_int_eq(guest_key_of("data/xenballoon/goal", 20, &data), GK_GOAL);
	ck_assert(data);
	ck_assert_int_eq(guest_key_of("data/xenballoon/heartbeat", 25, &data), GK_HEARTBEAT);
	ck_assert_int_eq(guest_key_of("memory/balancer-weight", 22, &data), GK_WEIGHT);
	ck_assert_int_eq(guest_key_of("memory/balancer-min-mb", 22, &data), GK_MIN_MB);
	ck_assert_int_eq(guest_key_of("name", 4, &data), GK_NAME);
	/* Not ours: the balancer reads nothing for these. */
	ck_assert_int_eq(guest_key_of("data/xenballoon/balancer-weight", 31, &data), -1);
	ck_assert_int_eq(guest_key_of("data/xenballoon/meminfo", 23, &data), -1);
	ck_assert_int_eq(guest_key_of("data/xenballoon/goalx", 21, &data), -1);
	ck_assert_int_eq(guest_key_of("memory/goa", 10, &data), -1);
	ck_assert_int_eq(guest_key_of("", 0, &data), -1);
	ck_assert_str_eq(gkey_path(GK_MAX_MB), "memory/balancer-max-mb");
	ck_assert_str_eq(gstate_name(GS_NODAEMON), "no-daemon");
	ck_assert_str_eq(gstate_name(GS_FROZEN), "frozen");
}
END_TEST

START_TEST(numbers)
{
	struct guest g = { 0 };
	const char *why = NULL;

	ck_assert_int_eq(take(&g, GK_GOAL, "524288", 1, &why), 1);
	ck_assert_uint_eq(g.val[GK_GOAL], 524288);
	ck_assert_int_eq(take(&g, GK_GOAL, "524288\n", 2, &why), 0);   /* same */
	ck_assert_int_eq(take(&g, GK_GOAL, "lots", 3, &why), -1);
	ck_assert_str_eq(why, "not a decimal number");
	ck_assert_uint_eq(g.val[GK_GOAL], 524288);                   /* kept */
	ck_assert_int_eq(take(&g, GK_GOAL, "-5", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_GOAL, "0x10", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_GOAL, "99999999999999999999999", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_GOAL, "1099511627777", 3, &why), -1);  /* > 2^40 */
	ck_assert_int_eq(guest_take(&g, GK_GOAL, "12\0" "34", 5, 3, 5, &why), -1);
	ck_assert_uint_eq(g.val[GK_GOAL], 524288);
	ck_assert_int_eq(take(&g, GK_WEIGHT, "0", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_WEIGHT, "10001", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_WEIGHT, "10000", 3, &why), 1);
	ck_assert_int_eq(take(&g, GK_TARGET, "0", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_MAX_MB, "0", 3, &why), -1);
	ck_assert_int_eq(take(&g, GK_MIN_MB, "0", 3, &why), 1);
	/* Told, not used by the rule: no decision for them. */
	ck_assert_int_eq(take(&g, GK_WORKINGSET, "1000", 3, &why), 0);
	ck_assert(g.have[GK_WORKINGSET]);
	ck_assert_int_eq(guest_drop(&g, GK_GOAL), 1);
	ck_assert(!g.have[GK_GOAL]);
	ck_assert_int_eq(guest_drop(&g, GK_GOAL), 0);
}
END_TEST

START_TEST(huge_value_refused)
{
	static char big[1 << 20];
	struct guest g = { 0 };
	const char *why;

	memset(big, '9', sizeof(big));
	ck_assert_int_eq(guest_take(&g, GK_PRESSURE, big, sizeof(big), 1, 5, &why), -1);
	ck_assert_int_eq(guest_take(&g, GK_MODE, big, sizeof(big), 1, 5, &why), -1);
	ck_assert_int_eq(guest_take(&g, GK_NAME, big, sizeof(big), 1, 5, &why), -1);
	ck_assert(!g.have[GK_NAME]);
}
END_TEST

START_TEST(modes)
{
	struct guest g = { 0 };
	const char *why;

	ck_assert_int_eq(take(&g, GK_MODE, "directed", 1, &why), 1);
	ck_assert_int_eq(g.mode, GM_DIRECTED);
	ck_assert_int_eq(take(&g, GK_MODE, "directed\n", 1, &why), 0);
	ck_assert_int_eq(take(&g, GK_MODE, "self", 1, &why), 1);
	ck_assert_int_eq(g.mode, GM_SELF);
	ck_assert_int_eq(take(&g, GK_MODE, "Directed", 1, &why), -1);
	ck_assert_int_eq(take(&g, GK_MODE, "directed ", 1, &why), -1);
	ck_assert_int_eq(take(&g, GK_MODE, "", 1, &why), -1);
	ck_assert_int_eq(g.mode, GM_SELF);
	ck_assert_int_eq(take(&g, GK_MODE, "idle", 1, &why), 1);
	ck_assert_int_eq(guest_drop(&g, GK_MODE), 1);
	ck_assert_int_eq(g.mode, GM_NONE);
}
END_TEST

START_TEST(pressure_and_stalling)
{
	struct guest g = { 0 };
	const char *why;

	/* avg10 0.40 % < 0.5 %: not stalling. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=0.40 avg60=0.00 avg300=0.00 total=1000\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", 1000, &why), 0);
	ck_assert(!g.stalling);
	/* 10 ms stalled in the last 1000 ms = 1 % >= 0.5 %: stalling, though
	 * avg10 has not caught up. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=0.40 avg60=0.00 avg300=0.00 total=11000\n",
	    2000, &why), 1);
	ck_assert(g.stalling);
	ck_assert_uint_eq(g.stall_at_ms, 2000);
	/* 2 ms in 1000 ms: 0.2 %, and avg10 low: over. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=0.10 avg60=0.00 avg300=0.00 total=13000\n",
	    3000, &why), 1);
	ck_assert(!g.stalling);
	/* avg10 alone. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=5.00 avg60=0.00 avg300=0.00 total=13000\n",
	    4000, &why), 1);
	ck_assert(g.stalling);
	/* Garbage keeps the last sample. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=999.99 total=x", 5000, &why), -1);
	ck_assert(g.stalling);
	/* A total that goes backwards (a reboot) is not a stall. */
	ck_assert_int_eq(take(&g, GK_PRESSURE, "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",
	    6000, &why), 1);
	ck_assert(!g.stalling);
}
END_TEST

START_TEST(heartbeat)
{
	struct guest g = { 0 };
	const char *why;

	/* The first read is no beat (the daemon may have stopped long
	 * ago), nor is the same count read again; a count that moved is. */
	ck_assert_int_eq(take(&g, GK_HEARTBEAT, "41", 700, &why), 0);
	ck_assert_uint_eq(g.heartbeat_at_ms, 0);
	ck_assert_int_eq(take(&g, GK_HEARTBEAT, "41", 750, &why), 0);
	ck_assert_uint_eq(g.heartbeat_at_ms, 0);
	ck_assert_int_eq(take(&g, GK_HEARTBEAT, "42", 777, &why), 0);
	ck_assert_uint_eq(g.heartbeat_at_ms, 777);
	guest_heartbeat(&g, 900);
	ck_assert_uint_eq(g.heartbeat_at_ms, 900);
	ck_assert_int_eq(take(&g, GK_HEARTBEAT, "x", 1000, &why), -1);
	ck_assert_uint_eq(g.heartbeat_at_ms, 900);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("guests");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, key_paths);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, huge_value_refused);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, pressure_and_stalling);
	tcase_add_test(tc, heartbeat);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
