/* test_bconfig.c - the balancer's configuration file
 * (src/balancer/bconfig.c): defaults, every key within and outside its
 * range, the per-guest lines, errors naming file:line: KEY, misspelt
 * keys, and -n's output read back to the same settings. */
#include "bconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static int
parse(const char *text, struct bc_config *c, char *err, size_t errlen)
{
	return bconfig_parse(text, strlen(text), "t.conf", c, err, errlen);
}

START_TEST(defaults)
{
	struct bc_config c;
	char err[256];

	bconfig_defaults(&c);
	ck_assert_int_eq(parse("", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.reserve_mb, 256);
	ck_assert_uint_eq(c.weight, 100);
	ck_assert_uint_eq(c.min_mb, 128);
	ck_assert_uint_eq(c.min_percent, 25);
	ck_assert_uint_eq(c.deadband_mb, 16);
	ck_assert_uint_eq(c.stall_permille, 5);
	ck_assert_uint_eq(c.heartbeat_s, 3);
	ck_assert_uint_eq(c.follow_s, 4);
	ck_assert_uint_eq(c.hold_s, 120);
	ck_assert_uint_eq(c.reads_per_s, 20);
	ck_assert(!c.share_surplus);
	ck_assert_uint_eq(c.nguest, 0);
	bconfig_free(&c);
}
END_TEST

START_TEST(every_key)
{
	struct bc_config c;
	char err[256];
	const struct bc_guest *g;

	bconfig_defaults(&c);
	ck_assert_int_eq(parse("# comment\n"
	    "XENBALLOON_BALANCER_RESERVE_MB=512\n"
	    "export XENBALLOON_BALANCER_WEIGHT=\"7\"\n"
	    "XENBALLOON_BALANCER_MIN_MB=64\r\n"
	    "XENBALLOON_BALANCER_MIN_PERCENT=0\n"
	    "XENBALLOON_BALANCER_DEADBAND_MB=0\n"
	    "XENBALLOON_BALANCER_STALL_PERMILLE=1000\n"
	    "XENBALLOON_BALANCER_HEARTBEAT_SECONDS=2\n"
	    "XENBALLOON_BALANCER_FOLLOW_SECONDS=600\n"
	    "XENBALLOON_BALANCER_HOLD_SECONDS=1\n"
	    "XENBALLOON_BALANCER_READS_PER_SECOND=10000\n"
	    "XENBALLOON_BALANCER_SURPLUS=share\n"
	    "XENBALLOON_BALANCER_GUEST='web.example-1 weight=300 min=512 max=4096'\n"
	    "XENBALLOON_BALANCER_GUEST=\"db max=2048\"\n", &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.reserve_mb, 512);
	ck_assert_uint_eq(c.weight, 7);
	ck_assert_uint_eq(c.min_mb, 64);
	ck_assert_uint_eq(c.min_percent, 0);
	ck_assert_uint_eq(c.deadband_mb, 0);
	ck_assert_uint_eq(c.stall_permille, 1000);
	ck_assert_uint_eq(c.heartbeat_s, 2);
	ck_assert_uint_eq(c.follow_s, 600);
	ck_assert_uint_eq(c.hold_s, 1);
	ck_assert_uint_eq(c.reads_per_s, 10000);
	ck_assert(c.share_surplus);
	ck_assert_uint_eq(c.nguest, 2);
	g = bconfig_guest(&c, "web.example-1", strlen("web.example-1"));
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->weight, 300);
	ck_assert_uint_eq(g->min_mb, 512);
	ck_assert_uint_eq(g->max_mb, 4096);
	g = bconfig_guest(&c, "db", 2);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->weight, 0);
	ck_assert_uint_eq(g->max_mb, 2048);
	ck_assert_ptr_null(bconfig_guest(&c, "d", 1));
	ck_assert_ptr_null(bconfig_guest(&c, "dbx", 3));
	bconfig_free(&c);
}
END_TEST

/* A bad file leaves the settings as they were and names file:line: KEY. */
static void
refused(const char *text, const char *want)
{
	struct bc_config c;
	char err[256] = "";

	bconfig_defaults(&c);
	c.reserve_mb = 999;
	ck_assert_int_eq(parse(text, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" not in \"%s\"", want, err);
	ck_assert_uint_eq(c.reserve_mb, 999);
	bconfig_free(&c);
}

START_TEST(bad_values)
{
	refused("XENBALLOON_BALANCER_RESERVE_MB=16777217\n",
	    "t.conf:1: XENBALLOON_BALANCER_RESERVE_MB: \"16777217\" is above the allowed range");
	refused("\nXENBALLOON_BALANCER_WEIGHT=0\n", "t.conf:2: XENBALLOON_BALANCER_WEIGHT:");
	refused("XENBALLOON_BALANCER_WEIGHT=10001\n", "XENBALLOON_BALANCER_WEIGHT:");
	refused("XENBALLOON_BALANCER_MIN_PERCENT=101\n", "MIN_PERCENT");
	refused("XENBALLOON_BALANCER_HEARTBEAT_SECONDS=1\n", "below the allowed range");
	refused("XENBALLOON_BALANCER_READS_PER_SECOND=0\n", "READS_PER_SECOND");
	refused("XENBALLOON_BALANCER_RESERVE_MB=-1\n", "negative");
	refused("XENBALLOON_BALANCER_RESERVE_MB=\n", "empty");
	refused("XENBALLOON_BALANCER_RESERVE_MB=1e3\n", "not a decimal number");
	refused("XENBALLOON_BALANCER_SURPLUS=maybe\n", "use keep");
	refused("XENBALLOON_BALANCER_RESERVE_MB=$(reboot)\n", "needs a shell");
	refused("XENBALLOON_BALANCER_GUEST=\"\"\n", "want a domain name");
	refused("XENBALLOON_BALANCER_GUEST=web\n", "guest web: nothing set");
	refused("XENBALLOON_BALANCER_GUEST=\"web speed=9\"\n", "\"speed=9\"");
	refused("XENBALLOON_BALANCER_GUEST=\"web weight=0\"\n", "want weight=1..10000");
	refused("XENBALLOON_BALANCER_GUEST=\"web max=0\"\n", "want weight=1..10000");
	refused("XENBALLOON_BALANCER_GUEST=\"web min=x\"\n", "not a decimal number");
	refused("XENBALLOON_BALANCER_GUEST=\"web min=9 max=8\"\n", "min=9 is above max=8");
	refused("XENBALLOON_BALANCER_GUEST=\"web min=1\"\nXENBALLOON_BALANCER_GUEST=\"web max=9\"\n",
	    "t.conf:2: XENBALLOON_BALANCER_GUEST: guest web is set twice");
}
END_TEST

START_TEST(unknown_keys_counted)
{
	struct bc_config c;
	char err[256];

	bconfig_defaults(&c);
	ck_assert_int_eq(parse("XENBALLOON_BALANCER_RESERV_MB=1\nOTHER=1\n"
	    "XENBALLOON_SELF=true\n", &c, err, sizeof(err)), 0);
	/* The near miss and the project's prefix count; OTHER does not. */
	ck_assert_uint_eq(c.unknown_keys, 2);
	bconfig_free(&c);
}
END_TEST

START_TEST(print_reads_back)
{
	struct bc_config c, d;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *fp;

	bconfig_defaults(&c);
	ck_assert_int_eq(parse("XENBALLOON_BALANCER_RESERVE_MB=300\n"
	    "XENBALLOON_BALANCER_SURPLUS=share\n"
	    "XENBALLOON_BALANCER_GUEST='it'\"'\"'s weight=2 min=1 max=3'\n", &c, err,
	    sizeof(err)), 0);
	fp = open_memstream(&text, &len);
	bconfig_print(fp, &c);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(text, "XENBALLOON_BALANCER_RESERVE_MB=300\n"));
	bconfig_defaults(&d);
	ck_assert_int_eq(bconfig_parse(text, len, "printed", &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.reserve_mb, 300);
	ck_assert(d.share_surplus);
	ck_assert_uint_eq(d.nguest, 1);
	ck_assert_str_eq(d.guest[0].name, "it's");
	ck_assert_uint_eq(d.guest[0].max_mb, 3);
	free(text);
	bconfig_free(&c);
	bconfig_free(&d);
}
END_TEST

START_TEST(load_missing_file)
{
	struct bc_config c;
	char err[256];

	bconfig_defaults(&c);
	ck_assert_int_eq(bconfig_load("/nonexistent/x.conf", &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.conf: cannot read"));
	bconfig_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bconfig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, unknown_keys_counted);
	tcase_add_test(tc, print_reads_back);
	tcase_add_test(tc, load_missing_file);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
