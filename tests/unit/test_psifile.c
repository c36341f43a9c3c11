/* test_psifile.c - reading /proc/pressure/memory under a root, and the
 * trigger, which is never written into a file that is not procfs's. */
#include "psifile.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "testutil.h"

static const char sample[] = "some avg10=0.31 avg60=0.10 avg300=0.02 total=98765\n"
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=4321\n";

START_TEST(read_under_root)
{
	char root[256], path[512], text[256];
	struct psifile pf;
	struct psi p;
	char *after;

	tu_mkdtemp(root, sizeof(root));
	psifile_init(&pf, root);
	snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
	ck_assert_str_eq(pf.path, path);
	ck_assert_int_eq(pf.trigger_fd, -1);
	/* No file: ENOENT, the text empty. */
	strcpy(text, "stale");
	ck_assert_int_eq(psifile_read(&pf, text, sizeof(text), &p), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(text, "");
	/* Garbage: EINVAL. */
	tu_write(path, "some avg10=x\n");
	ck_assert_int_eq(psifile_read(&pf, text, sizeof(text), &p), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(text, "");
	tu_write(path, sample);
	ck_assert_int_eq(psifile_read(&pf, text, sizeof(text), &p), 0);
	ck_assert_str_eq(text, sample);
	ck_assert_uint_eq(p.some.total_us, 98765);
	ck_assert_uint_eq(p.some.avg10_centi, 31);
	ck_assert_uint_eq(p.full.total_us, 4321);
	/* A plain file is not procfs: no trigger, no error, nothing written. */
	ck_assert_int_eq(psifile_arm(&pf), -1);
	ck_assert_int_eq(pf.trigger_err, 0);
	ck_assert_int_eq(pf.trigger_fd, -1);
	after = tu_read(path);
	ck_assert_str_eq(after, sample);
	free(after);
	psifile_disarm(&pf);
	ck_assert_int_eq(pf.trigger_fd, -1);
	tu_rmtree(root);
}
END_TEST

START_TEST(arm_missing_file)
{
	char root[256];
	struct psifile pf;

	tu_mkdtemp(root, sizeof(root));
	psifile_init(&pf, root);
	ck_assert_int_eq(psifile_arm(&pf), -1);
	ck_assert_int_eq(pf.trigger_err, ENOENT);
	tu_rmtree(root);
}
END_TEST

static Suite *
psifile_suite(void)
{
	Suite *s = suite_create("psifile");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, read_under_root);
	tcase_add_test(tc, arm_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(psifile_suite());
}
