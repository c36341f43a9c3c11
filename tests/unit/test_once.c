/* test_once.c - once_fail, once_ok, once_report, once_key: a failure is
 * logged when it starts or changes, once, and its end is said. */
#include "once.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

/* stderr (where the logger writes) goes to a temporary file while a test
 * runs; captured() returns what was written since setup. */
static FILE *cap;
static int saved_stderr = -1;

static void
setup(void)
{
	cap = tmpfile();
	ck_assert_ptr_nonnull(cap);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_ge(dup2(fileno(cap), STDERR_FILENO), 0);
	log_init(true, 0);
}

static void
teardown(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(cap);
}

static const char *
captured(void)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	rewind(cap);
	n = fread(buf, 1, sizeof(buf) - 1, cap);
	buf[n] = '\0';
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

START_TEST(fail_logged_once_until_ok)
{
	struct once o = { 0 };

	ck_assert(once_fail(&o, EIO));
	ck_assert(!once_fail(&o, EIO));
	ck_assert(!once_fail(&o, EIO));
	ck_assert(once_ok(&o));
	ck_assert(!once_ok(&o));
	ck_assert(once_fail(&o, EIO));
}
END_TEST

START_TEST(another_failure_is_logged)
{
	struct once o = { 0 };

	ck_assert(once_fail(&o, EIO));
	ck_assert(once_fail(&o, EACCES));
	ck_assert(!once_fail(&o, EACCES));
	ck_assert(once_fail(&o, EIO));
}
END_TEST

START_TEST(ok_without_failure_says_nothing)
{
	struct once o = { 0 };

	ck_assert(!once_ok(&o));
	once_report(&o, 0, "/proc/meminfo", "never shown");
	ck_assert_str_eq(captured(), "");
}
END_TEST

START_TEST(report_lines)
{
	struct once o = { 0 };
	const char *out;

	for (int i = 0; i < 5; i++)
		once_report(&o, ENOENT, "/proc/meminfo", "not ballooning");
	once_report(&o, EACCES, "/proc/meminfo", "not ballooning");
	for (int i = 0; i < 3; i++)
		once_report(&o, 0, "/proc/meminfo", "not ballooning");
	out = captured();
	ck_assert_int_eq(count(out, "\n"), 3);
	ck_assert_int_eq(count(out, "warning: /proc/meminfo: No such file or directory; "
	    "not ballooning\n"), 1);
	ck_assert_int_eq(count(out, "warning: /proc/meminfo: Permission denied; "
	    "not ballooning\n"), 1);
	ck_assert_int_eq(count(out, ": /proc/meminfo: working again\n"), 1);
}
END_TEST

START_TEST(key_tells_texts_apart)
{
	struct once o = { 0 };

	ck_assert_uint_ne(once_key("abc"), once_key("abd"));
	ck_assert_uint_ne(once_key(""), once_key("a"));
	ck_assert_uint_eq(once_key("-3"), once_key("-3"));
	ck_assert(once_fail(&o, once_key("-3")));
	ck_assert(!once_fail(&o, once_key("-3")));
	ck_assert(once_fail(&o, once_key("abc")));
}
END_TEST

static Suite *
once_suite(void)
{
	Suite *s = suite_create("once");
	TCase *tc = tcase_create("once");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fail_logged_once_until_ok);
	tcase_add_test(tc, another_failure_is_logged);
	tcase_add_test(tc, ok_without_failure_says_nothing);
	tcase_add_test(tc, report_lines);
	tcase_add_test(tc, key_tells_texts_apart);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(once_suite());
}
