/* test_xsval.c - xsval_parse_u64: the strict parser for numbers read
 * from xenstore (untrusted, written by dom0 or by anyone with access). */
#include "xsval.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define SENTINEL 0xDEADBEEFCAFEF00DULL

/* Parse a C string over [min, max]; returns the result, fills out/why. */
static int
parse(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	*out = SENTINEL;
	*why = NULL;
	return xsval_parse_u64(s, strlen(s), min, max, out, why);
}

/* Expect success with value v over the full range. */
static void
expect_ok(const char *s, uint64_t v)
{
	uint64_t out;
	const char *why;

	ck_assert_msg(parse(s, 0, UINT64_MAX, &out, &why) == 0,
	    "\"%s\" refused: %s", s, why ? why : "(no reason)");
	ck_assert_uint_eq(out, v);
}

/* Expect refusal with the given reason, *out untouched. */
static void
expect_bad_n(const char *s, size_t len, uint64_t min, uint64_t max, const char *reason)
{
	uint64_t out = SENTINEL;
	const char *why = NULL;

	ck_assert_msg(xsval_parse_u64(s, len, min, max, &out, &why) == -1,
	    "accepted a value it should refuse (reason expected: %s)", reason);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, reason);
	ck_assert_uint_eq(out, SENTINEL);
}

static void
expect_bad(const char *s, const char *reason)
{
	expect_bad_n(s, strlen(s), 0, UINT64_MAX, reason);
}

START_TEST(accepts_plain_digits)
{
	expect_ok("0", 0);
	expect_ok("1", 1);
	expect_ok("262144", 262144);
	expect_ok("00000000000000000042", 42); /* 20 characters */
}
END_TEST

START_TEST(accepts_one_trailing_newline)
{
	expect_ok("524288\n", 524288);
	expect_ok("0\n", 0);
	/* Only one: a second newline is not a digit. */
	expect_bad("5\n\n", "not a decimal number");
	expect_bad("\n", "empty");
	expect_bad("\n5", "not a decimal number");
	expect_bad("5\r\n", "not a decimal number");
}
END_TEST

START_TEST(rejects_empty_and_null)
{
	uint64_t out = SENTINEL;
	const char *why = NULL;

	expect_bad("", "empty");
	ck_assert_int_eq(xsval_parse_u64(NULL, 0, 0, 10, &out, &why), -1);
	ck_assert_str_eq(why, "missing");
	ck_assert_uint_eq(out, SENTINEL);
	/* A non-empty buffer given as zero bytes is empty too. */
	expect_bad_n("123", 0, 0, UINT64_MAX, "empty");
}
END_TEST

START_TEST(rejects_signs)
{
	expect_bad("-1", "negative");
	expect_bad("-0", "negative");
	expect_bad("+1", "not a decimal number");
}
END_TEST

START_TEST(rejects_spaces)
{
	expect_bad(" 1", "not a decimal number");
	expect_bad("1 ", "not a decimal number");
	expect_bad("1 2", "not a decimal number");
	expect_bad("\t7", "not a decimal number");
	expect_bad(" ", "not a decimal number");
}
END_TEST

START_TEST(rejects_hex_octal_float_words)
{
	expect_bad("0x10", "not a decimal number");
	expect_bad("0X1F", "not a decimal number");
	expect_bad("1f", "not a decimal number");
	expect_bad("1.5", "not a decimal number");
	expect_bad("1e6", "not a decimal number");
	expect_bad("abc", "not a decimal number");
	expect_bad("\xff", "not a decimal number");
	/* Leading zeros are decimal, not octal. */
	expect_ok("010", 10);
}
END_TEST

START_TEST(embedded_nul_by_length)
{
	/* xenstore values carry a length; a NUL inside is not the end. */
	static const char v[] = { '1', '\0', '2' };
	static const char w[] = { '\0' };
	static const char x[] = { '7', '\0', '\n' };
	uint64_t out;
	const char *why;

	expect_bad_n(v, sizeof(v), 0, UINT64_MAX, "embedded NUL");
	expect_bad_n(w, sizeof(w), 0, UINT64_MAX, "embedded NUL");
	expect_bad_n(x, sizeof(x), 0, UINT64_MAX, "embedded NUL");
	/* The length is honoured: only the first byte is read. */
	out = SENTINEL;
	ck_assert_int_eq(xsval_parse_u64(v, 1, 0, UINT64_MAX, &out, &why), 0);
	ck_assert_uint_eq(out, 1);
	ck_assert_int_eq(xsval_parse_u64("123456", 3, 0, UINT64_MAX, &out, &why), 0);
	ck_assert_uint_eq(out, 123);
}
END_TEST

START_TEST(overflow_at_2_64)
{
	/* 2^64 - 1 = 18446744073709551615 is the largest value. */
	expect_ok("18446744073709551615", UINT64_MAX);
	expect_ok("18446744073709551615\n", UINT64_MAX);
	expect_ok("18446744073709551614", UINT64_MAX - 1);
	/* 2^64 = 18446744073709551616 */
	expect_bad("18446744073709551616", "too large");
	expect_bad("18446744073709551620", "too large");
	expect_bad("19000000000000000000", "too large");
	expect_bad("99999999999999999999", "too large");
	/* More than 20 characters cannot be a 64-bit number (leading
	 * zeros would be the only way, and are refused as too long). */
	expect_bad("000000000000000000001", "too long");
	expect_bad("123456789012345678901234567890", "too long");
}
END_TEST

START_TEST(bounds_inclusive)
{
	uint64_t out;
	const char *why;

	ck_assert_int_eq(parse("10", 10, 20, &out, &why), 0);
	ck_assert_uint_eq(out, 10);
	ck_assert_int_eq(parse("20", 10, 20, &out, &why), 0);
	ck_assert_uint_eq(out, 20);
	ck_assert_int_eq(parse("15\n", 10, 20, &out, &why), 0);
	ck_assert_uint_eq(out, 15);

	ck_assert_int_eq(parse("9", 10, 20, &out, &why), -1);
	ck_assert_str_eq(why, "below the allowed range");
	ck_assert_uint_eq(out, SENTINEL);
	ck_assert_int_eq(parse("0", 1, 86400, &out, &why), -1);
	ck_assert_str_eq(why, "below the allowed range");

	ck_assert_int_eq(parse("21", 10, 20, &out, &why), -1);
	ck_assert_str_eq(why, "above the allowed range");
	ck_assert_uint_eq(out, SENTINEL);
	ck_assert_int_eq(parse("86401", 1, 86400, &out, &why), -1);
	ck_assert_str_eq(why, "above the allowed range");

	/* A single allowed value. */
	ck_assert_int_eq(parse("1", 1, 1, &out, &why), 0);
	ck_assert_int_eq(parse("0", 1, 1, &out, &why), -1);
	ck_assert_int_eq(parse("2", 1, 1, &out, &why), -1);
	/* Syntax is reported before range. */
	ck_assert_int_eq(parse("x", 1, 1, &out, &why), -1);
	ck_assert_str_eq(why, "not a decimal number");
}
END_TEST

START_TEST(does_not_read_past_len)
{
	/* A value not NUL-terminated, right at the end of a heap block:
	 * ASan reports any read past len. */
	char *v = malloc(4);

	ck_assert_ptr_nonnull(v);
	memcpy(v, "4096", 4);
	{
		uint64_t out;
		const char *why;

		ck_assert_int_eq(xsval_parse_u64(v, 4, 0, UINT64_MAX, &out, &why), 0);
		ck_assert_uint_eq(out, 4096);
	}
	free(v);
}
END_TEST

START_TEST(every_single_byte)
{
	/* Exactly the ten digits parse as a one-byte value. */
	for (int c = 0; c < 256; c++) {
		char b = (char)c;
		uint64_t out = SENTINEL;
		const char *why = NULL;
		int r = xsval_parse_u64(&b, 1, 0, UINT64_MAX, &out, &why);

		if (c >= '0' && c <= '9') {
			ck_assert_int_eq(r, 0);
			ck_assert_uint_eq(out, (uint64_t)(c - '0'));
		} else {
			ck_assert_msg(r == -1, "byte 0x%02x accepted", c);
			ck_assert_ptr_nonnull(why);
			ck_assert_uint_eq(out, SENTINEL);
		}
	}
}
END_TEST

static Suite *
xsval_suite(void)
{
	Suite *s = suite_create("xsval");
	TCase *tc = tcase_create("parse_u64");

	tcase_add_test(tc, accepts_plain_digits);
	tcase_add_test(tc, accepts_one_trailing_newline);
	tcase_add_test(tc, rejects_empty_and_null);
	tcase_add_test(tc, rejects_signs);
	tcase_add_test(tc, rejects_spaces);
	tcase_add_test(tc, rejects_hex_octal_float_words);
	tcase_add_test(tc, embedded_nul_by_length);
	tcase_add_test(tc, overflow_at_2_64);
	tcase_add_test(tc, bounds_inclusive);
	tcase_add_test(tc, does_not_read_past_len);
	tcase_add_test(tc, every_single_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(xsval_suite());
}
