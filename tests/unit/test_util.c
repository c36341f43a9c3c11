/* test_util.c - read_small_file, write_existing_file, write_file_atomic,
 * path_under_root, now_ms. */
#include "util.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char dir[256];

static void
setup(void)
{
	tu_mkdtemp(dir, sizeof(dir));
}

static void
teardown(void)
{
	tu_rmtree(dir);
}

/* dir + "/" + name in a static buffer (one at a time). */
static const char *
in_dir(const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* --- read_small_file ------------------------------------------------- */

START_TEST(read_whole_small_file)
{
	char buf[64];
	char path[PATH_MAX];

	strcpy(path, in_dir("f"));
	tu_write(path, "262144\n");
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "262144\n");
}
END_TEST

START_TEST(read_truncates_and_terminates)
{
	char buf[11];
	char path[PATH_MAX];

	strcpy(path, in_dir("f"));
	tu_write(path, "0123456789abcdefghijklmnopqrstuvwxyz");
	memset(buf, 'X', sizeof(buf));
	/* size 11: at most 10 bytes, then the NUL in buf[10]. */
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 10);
	ck_assert_int_eq(buf[10], '\0');
	ck_assert_str_eq(buf, "0123456789");
}
END_TEST

START_TEST(read_exact_fit)
{
	char buf[6];
	char path[PATH_MAX];

	strcpy(path, in_dir("f"));
	tu_write(path, "12345");
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "12345");
}
END_TEST

/* A short read is the end: one read() per file. A pipe with its writer
 * still open shows it: a second read would find nothing yet (EAGAIN,
 * the file is opened non-blocking) and fail the whole read. */
START_TEST(read_stops_at_a_short_read)
{
	char buf[64], path[64];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "MemTotal: 1 kB\n", 15), 15);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 15);
	ck_assert_str_eq(buf, "MemTotal: 1 kB\n");
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(read_size_one_gives_empty_string)
{
	char buf[4] = "XYZ";
	char path[PATH_MAX];

	strcpy(path, in_dir("f"));
	tu_write(path, "abc");
	ck_assert_int_eq(read_small_file(path, buf, 1), 0);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'Y'); /* nothing written past size */
}
END_TEST

START_TEST(read_size_zero_is_einval)
{
	char buf[4] = "XYZ";
	char path[PATH_MAX];

	strcpy(path, in_dir("f"));
	tu_write(path, "abc");
	errno = 0;
	ck_assert_int_eq(read_small_file(path, buf, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(buf, "XYZ");
}
END_TEST

START_TEST(read_empty_file)
{
	char buf[8];
	char path[PATH_MAX];

	strcpy(path, in_dir("empty"));
	tu_write(path, "");
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 0);
	ck_assert_int_eq(buf[0], '\0');
}
END_TEST

START_TEST(read_missing_file_is_enoent)
{
	char buf[8];

	errno = 0;
	ck_assert_int_eq(read_small_file(in_dir("absent"), buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(read_directory_fails)
{
	char buf[8];

	errno = 0;
	ck_assert_int_eq(read_small_file(dir, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EISDIR);
}
END_TEST

START_TEST(read_fifo_without_writer_does_not_block)
{
	char buf[8];
	char path[PATH_MAX];

	strcpy(path, in_dir("fifo"));
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* O_NONBLOCK: no writer reads as end of file at once. A blocking
	 * open would hang here and Check's timeout would fail the test. */
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(read_binary_content_keeps_length)
{
	char buf[16];
	char path[PATH_MAX];
	FILE *fp;

	strcpy(path, in_dir("bin"));
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite("a\0b\0c", 1, 5, fp), 5);
	fclose(fp);
	ck_assert_int_eq(read_small_file(path, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "a\0b\0c\0", 6), 0);
}
END_TEST

/* --- write_existing_file --------------------------------------------- */

START_TEST(write_existing_writes_text)
{
	char path[PATH_MAX];
	char *got;

	strcpy(path, in_dir("target_kb"));
	tu_write(path, "");
	ck_assert_int_eq(write_existing_file(path, "524288"), 0);
	got = tu_read(path);
	ck_assert_str_eq(got, "524288");
	free(got);
}
END_TEST

START_TEST(write_existing_replaces_longer_plain_file)
{
	char path[PATH_MAX];
	char *got;

	/* A plain file standing in for a kernel attribute (a fake root in
	 * the tests, --root) must not keep the tail of a longer old value:
	 * "262144\n" overwritten by "1024" must not read "1024144\n". */
	strcpy(path, in_dir("target_kb"));
	tu_write(path, "262144\n");
	ck_assert_int_eq(write_existing_file(path, "1024"), 0);
	got = tu_read(path);
	ck_assert_str_eq(got, "1024");
	free(got);
}
END_TEST

START_TEST(write_existing_does_not_create)
{
	char path[PATH_MAX];

	strcpy(path, in_dir("absent"));
	errno = 0;
	ck_assert_int_eq(write_existing_file(path, "1"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(tu_count_entries(dir), 0);
}
END_TEST

START_TEST(write_existing_missing_dir)
{
	errno = 0;
	ck_assert_int_eq(write_existing_file(in_dir("no/such/file"), "1"), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(write_existing_directory_fails)
{
	errno = 0;
	ck_assert_int_eq(write_existing_file(dir, "1"), -1);
	ck_assert_int_eq(errno, EISDIR);
}
END_TEST

START_TEST(write_existing_fifo_without_reader_does_not_block)
{
	char path[PATH_MAX];

	strcpy(path, in_dir("fifo"));
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	errno = 0;
	ck_assert_int_eq(write_existing_file(path, "1"), -1);
	ck_assert_int_eq(errno, ENXIO);
}
END_TEST

/* --- write_file_atomic ------------------------------------------------ */

START_TEST(atomic_creates_file)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	char *got;

	strcpy(path, in_dir("maxmem"));
	ck_assert_int_eq(write_file_atomic(path, "1048576\n"), 0);
	got = tu_read(path);
	ck_assert_str_eq(got, "1048576\n");
	free(got);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(tu_count_entries(dir), 1);
}
END_TEST

START_TEST(atomic_replaces_longer_content)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	char *got;

	strcpy(path, in_dir("maxmem"));
	tu_write(path, "123456789012345\n");
	ck_assert_int_eq(write_file_atomic(path, "42\n"), 0);
	got = tu_read(path);
	ck_assert_str_eq(got, "42\n"); /* no tail of the old content */
	free(got);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(tu_count_entries(dir), 1);
}
END_TEST

START_TEST(atomic_is_rename_not_rewrite)
{
	char path[PATH_MAX];
	char buf[32];
	struct stat before, after;
	int fd;
	ssize_t n;

	strcpy(path, in_dir("maxmem"));
	tu_write(path, "262144\n");
	ck_assert_int_eq(stat(path, &before), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_file_atomic(path, "524288\n"), 0);
	ck_assert_int_eq(stat(path, &after), 0);
	/* A reader that opened the old file still sees the old, whole
	 * content: the new file was renamed over it, not truncated. */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ck_assert_int_eq(n, 7);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "262144\n");
	ck_assert(before.st_ino != after.st_ino);
}
END_TEST

START_TEST(atomic_replaces_stale_tmp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	char *got;

	strcpy(path, in_dir("maxmem"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	tu_write(tmp, "garbage left by a crash, longer than the new text");
	ck_assert_int_eq(write_file_atomic(path, "7\n"), 0);
	got = tu_read(path);
	ck_assert_str_eq(got, "7\n");
	free(got);
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(atomic_refuses_tmp_symlink)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], victim[PATH_MAX];
	char *got;

	strcpy(path, in_dir("maxmem"));
	strcpy(victim, in_dir("victim"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	tu_write(victim, "precious\n");
	ck_assert_int_eq(symlink(victim, tmp), 0);
	errno = 0;
	ck_assert_int_eq(write_file_atomic(path, "1\n"), -1);
	ck_assert_int_eq(errno, ELOOP);
	got = tu_read(victim);
	ck_assert_str_eq(got, "precious\n");
	free(got);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(atomic_empty_text)
{
	char path[PATH_MAX];
	struct stat st;

	strcpy(path, in_dir("empty"));
	tu_write(path, "old");
	ck_assert_int_eq(write_file_atomic(path, ""), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(tu_count_entries(dir), 1);
}
END_TEST

START_TEST(atomic_missing_dir_fails_cleanly)
{
	errno = 0;
	ck_assert_int_eq(write_file_atomic(in_dir("no/such"), "1"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(tu_count_entries(dir), 0);
}
END_TEST

START_TEST(atomic_name_too_long)
{
	char *path = malloc(5000);

	ck_assert_ptr_nonnull(path);
	memset(path, 'a', 4999);
	path[0] = '/';
	path[4999] = '\0';
	errno = 0;
	ck_assert_int_eq(write_file_atomic(path, "1"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	free(path);
}
END_TEST

START_TEST(atomic_rename_failure_leaves_no_tmp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], inner[PATH_MAX + 8];

	/* The destination is a non-empty directory: rename(2) fails after
	 * the temporary file was written; it must be removed again. */
	strcpy(path, in_dir("isdir"));
	snprintf(inner, sizeof(inner), "%s/keep", path);
	tu_write(inner, "x");
	errno = 0;
	ck_assert_int_eq(write_file_atomic(path, "1\n"), -1);
	ck_assert(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(tu_count_entries(dir), 1);
}
END_TEST

/* --- path_under_root -------------------------------------------------- */

START_TEST(root_empty_or_null)
{
	char out[64];

	ck_assert_int_eq(path_under_root(out, sizeof(out), "", "/proc/xen/balloon"), 0);
	ck_assert_str_eq(out, "/proc/xen/balloon");
	ck_assert_int_eq(path_under_root(out, sizeof(out), NULL, "/proc/meminfo"), 0);
	ck_assert_str_eq(out, "/proc/meminfo");
}
END_TEST

START_TEST(root_prefixed)
{
	char out[64];

	ck_assert_int_eq(path_under_root(out, sizeof(out), "/tmp/fake", "/proc/xen/balloon"), 0);
	ck_assert_str_eq(out, "/tmp/fake/proc/xen/balloon");
}
END_TEST

START_TEST(root_exact_fit_and_one_short)
{
	/* "/r" + "/abc" = "/r/abc": 6 characters, 7 bytes with the NUL. */
	char out[7];

	ck_assert_int_eq(path_under_root(out, 7, "/r", "/abc"), 0);
	ck_assert_str_eq(out, "/r/abc");
	errno = 0;
	ck_assert_int_eq(path_under_root(out, 6, "/r", "/abc"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	errno = 0;
	ck_assert_int_eq(path_under_root(out, 4, "", "/abc"), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* --- now_ms ------------------------------------------------------------ */

START_TEST(now_ms_monotonic)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	uint64_t a, b;

	a = now_ms();
	nanosleep(&ts, NULL);
	b = now_ms();
	ck_assert_uint_ge(b, a + 30);
	ck_assert_uint_lt(b, a + 5000);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("read_small_file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, read_whole_small_file);
	tcase_add_test(tc, read_truncates_and_terminates);
	tcase_add_test(tc, read_exact_fit);
	tcase_add_test(tc, read_stops_at_a_short_read);
	tcase_add_test(tc, read_size_one_gives_empty_string);
	tcase_add_test(tc, read_size_zero_is_einval);
	tcase_add_test(tc, read_empty_file);
	tcase_add_test(tc, read_missing_file_is_enoent);
	tcase_add_test(tc, read_directory_fails);
	tcase_add_test(tc, read_fifo_without_writer_does_not_block);
	tcase_add_test(tc, read_binary_content_keeps_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("write_existing_file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_existing_writes_text);
	tcase_add_test(tc, write_existing_replaces_longer_plain_file);
	tcase_add_test(tc, write_existing_does_not_create);
	tcase_add_test(tc, write_existing_missing_dir);
	tcase_add_test(tc, write_existing_directory_fails);
	tcase_add_test(tc, write_existing_fifo_without_reader_does_not_block);
	suite_add_tcase(s, tc);

	tc = tcase_create("write_file_atomic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, atomic_creates_file);
	tcase_add_test(tc, atomic_replaces_longer_content);
	tcase_add_test(tc, atomic_is_rename_not_rewrite);
	tcase_add_test(tc, atomic_replaces_stale_tmp);
	tcase_add_test(tc, atomic_refuses_tmp_symlink);
	tcase_add_test(tc, atomic_empty_text);
	tcase_add_test(tc, atomic_missing_dir_fails_cleanly);
	tcase_add_test(tc, atomic_name_too_long);
	tcase_add_test(tc, atomic_rename_failure_leaves_no_tmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("path_under_root");
	tcase_add_test(tc, root_empty_or_null);
	tcase_add_test(tc, root_prefixed);
	tcase_add_test(tc, root_exact_fit_and_one_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("now_ms");
	tcase_add_test(tc, now_ms_monotonic);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(util_suite());
}
