/* test_balloon.c - the legacy /proc/xen/balloon parser, and detection,
 * reading and writing of both driver interfaces on a fake root. */
#include "balloon.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define SYSFS_TARGET BALLOON_SYSFS_DIR "/target_kb"
#define SYSFS_CURRENT BALLOON_SYSFS_DIR "/info/current_kb"

static int
parse(const char *s, uint64_t *cur, uint64_t *tgt)
{
	*cur = *tgt = 0xBADULL;
	return legacy_balloon_parse(s, strlen(s), cur, tgt);
}

/* --- legacy_balloon_parse ---------------------------------------------- */

START_TEST(legacy_real_format)
{
	size_t len;
	char *t = tu_load_data("balloon-legacy", &len);
	uint64_t cur = 0, tgt = 0;

	ck_assert_int_eq(legacy_balloon_parse(t, len, &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 262144);
	ck_assert_uint_eq(tgt, 262144);
	free(t);

	/* A balloon on its way down (and a numeric hard limit). */
	t = tu_load_data("balloon-legacy-shrinking", &len);
	ck_assert_int_eq(legacy_balloon_parse(t, len, &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 524288);
	ck_assert_uint_eq(tgt, 393216);
	free(t);
}
END_TEST

START_TEST(legacy_missing_target)
{
	uint64_t cur, tgt;

	ck_assert_int_eq(parse("Current allocation:   131072 kB\n"
	    "Low-mem balloon:           0 kB\n", &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 131072);
	ck_assert_uint_eq(tgt, 0);
	/* A garbled target counts as absent. */
	ck_assert_int_eq(parse("Current allocation: 100 kB\nRequested target: ??? kB\n",
	    &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 100);
	ck_assert_uint_eq(tgt, 0);
}
END_TEST

START_TEST(legacy_missing_current)
{
	uint64_t cur, tgt;

	ck_assert_int_eq(parse("Requested target:     262144 kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("", &cur, &tgt), -1);
	ck_assert_int_eq(parse("\n\n", &cur, &tgt), -1);
	/* Near misses of the label. */
	ck_assert_int_eq(parse("Current allocation 5 kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("current allocation: 5 kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation:\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation:", &cur, &tgt), -1);
}
END_TEST

START_TEST(legacy_garbage_values)
{
	uint64_t cur, tgt;

	ck_assert_int_eq(parse("Current allocation:   abc kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation:   -5 kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation:   ??? kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("\x01\x02\x03\xff", &cur, &tgt), -1);
	/* 20 digits cannot be a sane kB count. */
	ck_assert_int_eq(parse("Current allocation: 18446744073709551615 kB\n", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation: 99999999999999999999999 kB\n", &cur, &tgt), -1);
	/* Above 2^50 kB (bytes would not fit in 64 bits): refused. */
	ck_assert_int_eq(parse("Current allocation: 1125899906842625 kB\n", &cur, &tgt), -1);
	/* 2^50 = 1125899906842624 itself is accepted. */
	ck_assert_int_eq(parse("Current allocation: 1125899906842624 kB\n", &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 1125899906842624ULL);
}
END_TEST

START_TEST(legacy_layout_variants)
{
	uint64_t cur, tgt;

	/* No trailing newline; tab separators; the labels in any order. */
	ck_assert_int_eq(parse("Requested target:\t2048 kB\nCurrent allocation:\t4096 kB", &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 4096);
	ck_assert_uint_eq(tgt, 2048);
	/* No unit after the number: a torn report, refused. */
	ck_assert_int_eq(parse("Current allocation:1024", &cur, &tgt), -1);
	ck_assert_int_eq(parse("Current allocation:1024 MB\n", &cur, &tgt), -1);
	/* Zero is parsed (balloon_read rejects it). */
	ck_assert_int_eq(parse("Current allocation: 0 kB\n", &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 0);
}
END_TEST

START_TEST(legacy_honours_len)
{
	static const char full[] = "Current allocation:   262144 kB\n";
	size_t cut = strlen("Current allocation:   262");
	char *t = malloc(cut);
	uint64_t cur = 0, tgt = 0;

	ck_assert_ptr_nonnull(t);
	memcpy(t, full, cut);
	/* Cut inside the number: refused, never read as 262 kB. */
	ck_assert_int_eq(legacy_balloon_parse(t, cut, &cur, &tgt), -1);
	ck_assert_int_eq(legacy_balloon_parse(t, 10, &cur, &tgt), -1);
	ck_assert_int_eq(legacy_balloon_parse(full, strlen(full), &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 262144);
	free(t);
}
END_TEST

START_TEST(legacy_embedded_nul)
{
	static const char t[] = "junk\0junk\nCurrent allocation: 777 kB\n";
	uint64_t cur = 0, tgt = 1;

	ck_assert_int_eq(legacy_balloon_parse(t, sizeof(t) - 1, &cur, &tgt), 0);
	ck_assert_uint_eq(cur, 777);
	ck_assert_uint_eq(tgt, 0);
}
END_TEST

/* --- a fake root ------------------------------------------------------- */

static char root[256];

static void
setup(void)
{
	tu_mkdtemp(root, sizeof(root));
}

static void
teardown(void)
{
	tu_rmtree(root);
}

static const char *
under(const char *p)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s%s", root, p);
	return buf;
}

static void
make_sysfs(const char *current, const char *target)
{
	char t[PATH_MAX];

	strcpy(t, under(SYSFS_TARGET));
	tu_write(t, target);
	tu_write(under(SYSFS_CURRENT), current);
}

START_TEST(detect_none)
{
	struct balloon b;

	memset(&b, 'X', sizeof(b));
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_NONE);
	ck_assert_int_eq(b.kind, BALLOON_NONE);
	ck_assert_str_eq(b.target_path, "");
	ck_assert_str_eq(b.current_path, "");
	ck_assert_str_eq(balloon_kind_name(BALLOON_NONE), "none");
}
END_TEST

START_TEST(detect_sysfs)
{
	struct balloon b;
	char want[PATH_MAX];

	make_sysfs("262144\n", "262144\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	ck_assert_int_eq(b.kind, BALLOON_SYSFS);
	snprintf(want, sizeof(want), "%s%s", root, SYSFS_TARGET);
	ck_assert_str_eq(b.target_path, want);
	snprintf(want, sizeof(want), "%s%s", root, SYSFS_CURRENT);
	ck_assert_str_eq(b.current_path, want);
	ck_assert_str_eq(balloon_kind_name(BALLOON_SYSFS),
	    "sysfs /sys/devices/system/xen_memory/xen_memory0");
}
END_TEST

START_TEST(detect_sysfs_needs_both_files)
{
	struct balloon b;

	/* target_kb alone is not a usable interface. */
	tu_write(under(SYSFS_TARGET), "1\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_NONE);
	ck_assert_int_eq(b.kind, BALLOON_NONE);
	/* ... but the legacy file next to it is. */
	tu_write(under(BALLOON_LEGACY_FILE), "Current allocation: 1 kB\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_LEGACY);
}
END_TEST

START_TEST(detect_legacy)
{
	struct balloon b;
	char want[PATH_MAX];

	tu_write(under(BALLOON_LEGACY_FILE), "Current allocation: 1 kB\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_LEGACY);
	snprintf(want, sizeof(want), "%s/proc/xen/balloon", root);
	ck_assert_str_eq(b.target_path, want);
	ck_assert_str_eq(b.current_path, want);
	ck_assert_str_eq(balloon_kind_name(BALLOON_LEGACY), "legacy /proc/xen/balloon");
}
END_TEST

START_TEST(detect_prefers_sysfs)
{
	struct balloon b;

	tu_write(under(BALLOON_LEGACY_FILE), "Current allocation: 1 kB\n");
	make_sysfs("1\n", "1\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
}
END_TEST

START_TEST(detect_root_too_long)
{
	struct balloon b;
	char *longroot = malloc(PATH_MAX);

	ck_assert_ptr_nonnull(longroot);
	memset(longroot, 'r', PATH_MAX - 1);
	longroot[0] = '/';
	longroot[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(balloon_detect(&b, longroot), BALLOON_NONE);
	ck_assert_int_eq(b.kind, BALLOON_NONE);
	free(longroot);
}
END_TEST

START_TEST(read_sysfs)
{
	struct balloon b;
	uint64_t cur = 0, tgt = 0;
	const char *failed = NULL;

	make_sysfs("1048576\n", "786432\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), 0);
	ck_assert_uint_eq(cur, 1048576);
	ck_assert_uint_eq(tgt, 786432);
}
END_TEST

START_TEST(read_sysfs_bad_values)
{
	struct balloon b;
	uint64_t cur, tgt;
	const char *failed = NULL;

	make_sysfs("abc\n", "1\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* A zero allocation is nonsense. */
	tu_write(under(SYSFS_CURRENT), "0\n");
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);

	tu_write(under(SYSFS_CURRENT), "");
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Good current, bad target. */
	tu_write(under(SYSFS_CURRENT), "4096\n");
	tu_write(under(SYSFS_TARGET), "-1\n");
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(read_sysfs_file_gone)
{
	struct balloon b;
	uint64_t cur, tgt;
	const char *failed = NULL;

	make_sysfs("4096\n", "4096\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	ck_assert_int_eq(unlink(under(SYSFS_CURRENT)), 0);
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(read_legacy)
{
	struct balloon b;
	uint64_t cur = 0, tgt = 0;
	const char *failed = NULL;
	char *t = tu_load_data("balloon-legacy-shrinking", NULL);

	tu_write(under(BALLOON_LEGACY_FILE), t);
	free(t);
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_LEGACY);
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), 0);
	ck_assert_uint_eq(cur, 524288);
	ck_assert_uint_eq(tgt, 393216);

	tu_write(under(BALLOON_LEGACY_FILE), "Current allocation: 0 kB\n");
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);

	tu_write(under(BALLOON_LEGACY_FILE), "nonsense\n");
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(read_none)
{
	struct balloon b;
	uint64_t cur, tgt;
	const char *failed = NULL;

	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_NONE);
	errno = 0;
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), -1);
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

START_TEST(write_sysfs_kb)
{
	struct balloon b;
	char *got;
	uint64_t cur, tgt;
	const char *failed = NULL;

	make_sysfs("1048576\n", "1048576\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	ck_assert_int_eq(balloon_write_target(&b, 524288), 0);
	got = tu_read(under(SYSFS_TARGET));
	ck_assert_str_eq(got, "524288");
	free(got);
	/* current_kb untouched; the new target reads back. */
	got = tu_read(under(SYSFS_CURRENT));
	ck_assert_str_eq(got, "1048576\n");
	free(got);
	ck_assert_int_eq(balloon_read(&b, &cur, &tgt, &failed), 0);
	ck_assert_uint_eq(tgt, 524288);
}
END_TEST

START_TEST(write_legacy_bytes)
{
	struct balloon b;
	char *got;

	tu_write(under(BALLOON_LEGACY_FILE), "");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_LEGACY);
	/* 262144 kB * 1024 = 268435456 bytes */
	ck_assert_int_eq(balloon_write_target(&b, 262144), 0);
	got = tu_read(under(BALLOON_LEGACY_FILE));
	ck_assert_str_eq(got, "268435456");
	free(got);
	/* The largest allowed, 2^50 kB: 2^60 bytes = 1152921504606846976 */
	tu_write(under(BALLOON_LEGACY_FILE), "");
	ck_assert_int_eq(balloon_write_target(&b, 1ULL << 50), 0);
	got = tu_read(under(BALLOON_LEGACY_FILE));
	ck_assert_str_eq(got, "1152921504606846976");
	free(got);
}
END_TEST

START_TEST(write_out_of_range)
{
	struct balloon b;
	char *got;

	make_sysfs("4096\n", "4096\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	errno = 0;
	ck_assert_int_eq(balloon_write_target(&b, 0), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(balloon_write_target(&b, (1ULL << 50) + 1), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(balloon_write_target(&b, UINT64_MAX), -1);
	ck_assert_int_eq(errno, ERANGE);
	got = tu_read(under(SYSFS_TARGET));
	ck_assert_str_eq(got, "4096\n"); /* nothing written */
	free(got);
}
END_TEST

START_TEST(write_none)
{
	struct balloon b;

	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_NONE);
	errno = 0;
	ck_assert_int_eq(balloon_write_target(&b, 4096), -1);
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

START_TEST(write_does_not_create)
{
	struct balloon b;

	make_sysfs("4096\n", "4096\n");
	ck_assert_int_eq(balloon_detect(&b, root), BALLOON_SYSFS);
	ck_assert_int_eq(unlink(under(SYSFS_TARGET)), 0);
	errno = 0;
	ck_assert_int_eq(balloon_write_target(&b, 2048), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(access(under(SYSFS_TARGET), F_OK), -1);
}
END_TEST

static Suite *
balloon_suite(void)
{
	Suite *s = suite_create("balloon");
	TCase *tc;

	tc = tcase_create("legacy_parse");
	tcase_add_test(tc, legacy_real_format);
	tcase_add_test(tc, legacy_missing_target);
	tcase_add_test(tc, legacy_missing_current);
	tcase_add_test(tc, legacy_garbage_values);
	tcase_add_test(tc, legacy_layout_variants);
	tcase_add_test(tc, legacy_honours_len);
	tcase_add_test(tc, legacy_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("fake_root");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, detect_none);
	tcase_add_test(tc, detect_sysfs);
	tcase_add_test(tc, detect_sysfs_needs_both_files);
	tcase_add_test(tc, detect_legacy);
	tcase_add_test(tc, detect_prefers_sysfs);
	tcase_add_test(tc, detect_root_too_long);
	tcase_add_test(tc, read_sysfs);
	tcase_add_test(tc, read_sysfs_bad_values);
	tcase_add_test(tc, read_sysfs_file_gone);
	tcase_add_test(tc, read_legacy);
	tcase_add_test(tc, read_none);
	tcase_add_test(tc, write_sysfs_kb);
	tcase_add_test(tc, write_legacy_bytes);
	tcase_add_test(tc, write_out_of_range);
	tcase_add_test(tc, write_none);
	tcase_add_test(tc, write_does_not_create);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(balloon_suite());
}
