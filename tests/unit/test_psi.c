/* test_psi.c - the /proc/pressure/memory parser. */
#include "psi.h"

#include <check.h>
#include <string.h>

#include "testutil.h"

static int
parse(const char *text, struct psi *p)
{
	return psi_parse(text, strlen(text), p);
}

START_TEST(psi_6_1)
{
	struct psi p;

	ck_assert_int_eq(parse("some avg10=1.52 avg60=0.37 avg300=0.08 total=4455123\n"
	    "full avg10=0.80 avg60=0.21 avg300=0.05 total=2210000\n", &p), 0);
	ck_assert_uint_eq(p.have, PSI_SOME | PSI_FULL);
	ck_assert_uint_eq(p.some.avg10_centi, 152);
	ck_assert_uint_eq(p.some.avg60_centi, 37);
	ck_assert_uint_eq(p.some.avg300_centi, 8);
	ck_assert_uint_eq(p.some.total_us, 4455123);
	ck_assert_uint_eq(p.full.avg10_centi, 80);
	ck_assert_uint_eq(p.full.total_us, 2210000);
}
END_TEST

START_TEST(psi_some_only)
{
	struct psi p;

	/* Linux 4.20-5.x printed no "full" line for the CPU file; take a
	 * memory file without one too. */
	ck_assert_int_eq(parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0", &p), 0);
	ck_assert_uint_eq(p.have, PSI_SOME);
	ck_assert_uint_eq(p.some.total_us, 0);
	ck_assert_uint_eq(p.full.total_us, 0);
}
END_TEST

START_TEST(psi_bounds)
{
	struct psi p;

	ck_assert_int_eq(parse("some avg10=100.00 avg60=100 avg300=9.5 total=1152921504606846976\n", &p), 0);
	ck_assert_uint_eq(p.some.avg10_centi, 10000);
	ck_assert_uint_eq(p.some.avg60_centi, 10000);
	ck_assert_uint_eq(p.some.avg300_centi, 950);
	ck_assert_uint_eq(p.some.total_us, 1ULL << 60);
	/* Out of range: an average above 100 %, a total above 2^60. */
	ck_assert_int_eq(parse("some avg10=100.01 avg60=0 avg300=0 total=0\n", &p), -1);
	ck_assert_int_eq(parse("some avg10=101 avg60=0 avg300=0 total=0\n", &p), -1);
	ck_assert_int_eq(parse("some avg10=0 avg60=0 avg300=0 total=1152921504606846977\n", &p), -1);
	ck_assert_int_eq(parse("some avg10=0 avg60=0 avg300=0 total=99999999999999999999999\n", &p), -1);
	ck_assert_uint_eq(p.have, 0);
}
END_TEST

START_TEST(psi_malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"some\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00\n",           /* no total */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",    /* empty */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=12x\n", /* trailing junk */
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=1 total=2\n", /* twice */
		"some avg10=0.001 avg60=0.00 avg300=0.00 total=1\n",  /* 3 decimals */
		"some avg10=. avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=1. avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=-1 avg60=0.00 avg300=0.00 total=1\n",
		"some avg10=0 avg60=0 avg300=0 total=1 extra=2\n",
		"somex avg10=0 avg60=0 avg300=0 total=1\n",
		" some avg10=0 avg60=0 avg300=0 total=1\n",
		"full avg10=0 avg60=0 avg300=0 total=1\n",            /* no some */
	};
	struct psi p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &p) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(p.have & PSI_SOME, 0);
		ck_assert_uint_eq(p.some.total_us, 0);
	}
	/* A bad full line does not spoil a good some line. */
	ck_assert_int_eq(parse("some avg10=0 avg60=0 avg300=0 total=7\nfull avg10=x\n", &p), 0);
	ck_assert_uint_eq(p.have, PSI_SOME);
	ck_assert_uint_eq(p.some.total_us, 7);
}
END_TEST

START_TEST(psi_first_line_wins_and_order)
{
	struct psi p;

	ck_assert_int_eq(parse("full total=5 avg300=0 avg60=0 avg10=0.5\n"
	    "some total=9 avg10=2.5 avg60=0 avg300=0\n"
	    "some total=11 avg10=0 avg60=0 avg300=0\n", &p), 0);
	ck_assert_uint_eq(p.some.total_us, 9);
	ck_assert_uint_eq(p.some.avg10_centi, 250);
	ck_assert_uint_eq(p.full.total_us, 5);
	ck_assert_uint_eq(p.full.avg10_centi, 50);
}
END_TEST

START_TEST(psi_escaped_newlines)
{
	struct psi p;

	/* A guest's copy as dom0 may read it: "\n" as two characters. */
	ck_assert_int_eq(parse("some avg10=0.10 avg60=0 avg300=0 total=5\\n"
	    "full avg10=0.05 avg60=0 avg300=0 total=2", &p), 0);
	ck_assert_uint_eq(p.have, PSI_SOME | PSI_FULL);
	ck_assert_uint_eq(p.some.total_us, 5);
	ck_assert_uint_eq(p.full.avg10_centi, 5);
}
END_TEST

START_TEST(psi_honours_len)
{
	static const char text[] = "some avg10=0 avg60=0 avg300=0 total=123456";
	struct psi p;

	/* Cut inside the total: a shorter number, still a whole field. */
	ck_assert_int_eq(psi_parse(text, strlen(text) - 3, &p), 0);
	ck_assert_uint_eq(p.some.total_us, 123);
	/* Cut before "total=": refused. */
	ck_assert_int_eq(psi_parse(text, strlen(text) - 12, &p), -1);
}
END_TEST

static Suite *
psi_suite(void)
{
	Suite *s = suite_create("psi");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, psi_6_1);
	tcase_add_test(tc, psi_some_only);
	tcase_add_test(tc, psi_bounds);
	tcase_add_test(tc, psi_malformed);
	tcase_add_test(tc, psi_first_line_wins_and_order);
	tcase_add_test(tc, psi_honours_len);
	tcase_add_test(tc, psi_escaped_newlines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(psi_suite());
}
