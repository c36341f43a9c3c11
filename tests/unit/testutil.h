/* testutil.h - small helpers shared by the unit tests (header only).
 *
 * Every helper aborts the current Check test on failure, so a broken
 * fixture is reported as an error in the test that used it, not as a
 * confusing assertion further on.
 */
#ifndef XB_TESTUTIL_H
#define XB_TESTUTIL_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sample kernel files; make runs the tests from the top directory. */
#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

/* Read a sample file from TEST_DATA_DIR into a fresh NUL-terminated
 * buffer (caller frees); *len gets its length. */
static inline char *
tu_load_data(const char *name, size_t *len)
{
	char path[512];
	const char *dir = getenv("XB_TEST_DATA");
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : TEST_DATA_DIR, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

/* mkdir -p for the directory part of root + rel ("a/b/c" makes a/b). */
static inline void
tu_mkdirs_for(const char *path)
{
	char tmp[4096];

	ck_assert_uint_lt(strlen(path), sizeof(tmp));
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0)
			ck_assert_msg(errno == EEXIST, "mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
}

/* Create (or replace) path with exactly text, making parent dirs. */
static inline void
tu_write(const char *path, const char *text)
{
	FILE *fp;

	tu_mkdirs_for(path);
	fp = fopen(path, "wb");
	ck_assert_msg(fp != NULL, "cannot create %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	ck_assert_int_eq(fclose(fp), 0);
}

/* The whole content of path (caller frees), or NULL when it is absent. */
static inline char *
tu_read(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n = 0, cap = 256;

	if (fp == NULL)
		return NULL;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n - 1, fp);

		n += r;
		if (r == 0)
			break;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

static inline int
tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf dir (no symlinks followed). */
static inline void
tu_rmtree(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh private directory under TMPDIR (or /tmp) in buf. */
static inline void
tu_mkdtemp(char *buf, size_t size)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, size, "%s/xbtest.XXXXXX", t && t[0] ? t : "/tmp");
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp: %s", strerror(errno));
}

/* Number of entries (besides . and ..) in dir. */
static inline int
tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Run a Check suite; the exit status says whether everything passed. */
static inline int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
