/* test_parse.c - parse_u64's bounds and reasons, parse_digits,
 * parse_seconds (--interval, -w) and the line iterator in both newline
 * forms. (xsval_parse_u64 over parse_u64 is covered by test_xsval.c.) */
#include "parse.h"

#include <check.h>
#include <string.h>

#include "testutil.h"

START_TEST(u64_bounds_and_reasons)
{
	uint64_t v = 7;
	const char *why = NULL;

	ck_assert_int_eq(parse_u64("42", 2, 0, 100, &v, &why), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(parse_u64("18446744073709551615", 20, 0, UINT64_MAX, &v, &why), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	ck_assert_int_eq(parse_u64("18446744073709551616", 20, 0, UINT64_MAX, &v, &why), -1);
	ck_assert_str_eq(why, "too large");
	ck_assert_int_eq(parse_u64("123456789012345678901", 21, 0, UINT64_MAX, &v, &why), -1);
	ck_assert_str_eq(why, "too long");
	ck_assert_int_eq(parse_u64("5", 1, 6, 9, &v, &why), -1);
	ck_assert_str_eq(why, "below the allowed range");
	ck_assert_int_eq(parse_u64("10", 2, 6, 9, &v, &why), -1);
	ck_assert_str_eq(why, "above the allowed range");
	ck_assert_int_eq(parse_u64("", 0, 0, 9, &v, &why), -1);
	ck_assert_str_eq(why, "empty");
	ck_assert_int_eq(parse_u64("-1", 2, 0, 9, &v, &why), -1);
	ck_assert_str_eq(why, "negative");
	ck_assert_int_eq(parse_u64("1\n", 2, 0, 9, &v, &why), -1);
	ck_assert_str_eq(why, "not a decimal number");
	ck_assert_int_eq(parse_u64("1\0", 2, 0, 9, &v, &why), -1);
	ck_assert_str_eq(why, "embedded NUL");
	ck_assert_int_eq(parse_u64(NULL, 0, 0, 9, &v, &why), -1);
	ck_assert_str_eq(why, "missing");
	ck_assert_uint_eq(v, 7); /* untouched on failure */
	/* Only len bytes are read. */
	ck_assert_int_eq(parse_u64("12x", 2, 0, 100, &v, &why), 0);
	ck_assert_uint_eq(v, 12);
}
END_TEST

START_TEST(digits)
{
	ck_assert_uint_eq(parse_digits("123 kB", 6), 3);
	ck_assert_uint_eq(parse_digits("123", 2), 2);
	ck_assert_uint_eq(parse_digits(" 1", 2), 0);
	ck_assert_uint_eq(parse_digits("", 0), 0);
}
END_TEST

START_TEST(seconds)
{
	double v = -1;

	ck_assert_int_eq(parse_seconds("0", 0, 86400, &v), 0);
	ck_assert(v == 0.0);
	ck_assert_int_eq(parse_seconds("0.5", 0, 86400, &v), 0);
	ck_assert(v == 0.5);
	ck_assert_int_eq(parse_seconds("86400", 0, 86400, &v), 0);
	ck_assert(v == 86400.0);
	ck_assert_int_eq(parse_seconds("86400.1", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("0.05", 0.1, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("-1", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("1s", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("nan", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("inf", 0, 86400, &v), -1);
	ck_assert_int_eq(parse_seconds("1e999", 0, 86400, &v), -1);
}
END_TEST

/* The lines of text as "a|b|c". */
static const char *
lines_of(const char *text, size_t len, bool escaped)
{
	static char out[256];
	struct line_iter it;
	const char *line;
	size_t n, o = 0;

	out[0] = '\0';
	line_iter_init(&it, text, len, escaped);
	while (line_next(&it, &line, &n)) {
		ck_assert_uint_lt(o + n + 2, sizeof(out));
		if (o > 0)
			out[o++] = '|';
		memcpy(out + o, line, n);
		o += n;
		out[o] = '\0';
	}
	return out;
}

START_TEST(lines_plain)
{
	ck_assert_str_eq(lines_of("a\nb\n", 4, false), "a|b");
	ck_assert_str_eq(lines_of("a\nb", 3, false), "a|b");
	ck_assert_str_eq(lines_of("a\n\nb\n", 5, false), "a||b");
	ck_assert_str_eq(lines_of("a\\nb\n", 5, false), "a\\nb");
	ck_assert_str_eq(lines_of("", 0, false), "");
	ck_assert_str_eq(lines_of("abc\nde", 2, false), "ab");
}
END_TEST

START_TEST(lines_escaped)
{
	ck_assert_str_eq(lines_of("a\\nb\\n", 6, true), "a|b");
	ck_assert_str_eq(lines_of("a\\nb\nc", 6, true), "a|b|c");
	ck_assert_str_eq(lines_of("a\\", 2, true), "a\\");
	ck_assert_str_eq(lines_of("a\\x", 3, true), "a\\x");
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, u64_bounds_and_reasons);
	tcase_add_test(tc, digits);
	tcase_add_test(tc, seconds);
	tcase_add_test(tc, lines_plain);
	tcase_add_test(tc, lines_escaped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(parse_suite());
}
