/* test_kfiles.c - meminfo_parse, vmstat_parse and vmstat_trim on real
 * /proc files of several kernel generations (tests/data/) and on the
 * hostile variants a dom0 reader meets. */
#include "kfiles.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MI_ALL (MI_MEMTOTAL | MI_MEMFREE | MI_MEMAVAILABLE | MI_COMMITTED_AS | \
		MI_SWAPTOTAL | MI_SWAPFREE | MI_ACTIVE_FILE | MI_INACTIVE_FILE)
#define VM_ALL (VM_PSWPIN | VM_PSWPOUT | VM_PGPGIN | VM_PGPGOUT | VM_PGFAULT | VM_PGMAJFAULT)

static int
mi(const char *s, struct meminfo *m)
{
	return meminfo_parse(s, strlen(s), m);
}

static int
vm(const char *s, struct vmstat *v)
{
	return vmstat_parse(s, strlen(s), v);
}

/* A copy of s with every newline replaced by the two characters \n, as
 * a guest's text can arrive in dom0 (caller frees). */
static char *
escape_newlines(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += *p == '\n' ? 2 : 1;
	out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	o = out;
	for (const char *p = s; *p; p++) {
		if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* --- meminfo ------------------------------------------------------------ */

START_TEST(meminfo_2_6_18_xenlinux)
{
	size_t len;
	char *t = tu_load_data("meminfo-2.6.18-xen", &len);
	struct meminfo m;

	ck_assert_int_eq(meminfo_parse(t, len, &m), 0);
	/* No MemAvailable before 3.14, no file LRU before 2.6.28. */
	ck_assert_uint_eq(m.have, MI_ALL & ~(MI_MEMAVAILABLE | MI_ACTIVE_FILE | MI_INACTIVE_FILE));
	ck_assert_uint_eq(m.mem_total_kb, 254128);
	ck_assert_uint_eq(m.mem_free_kb, 79884);
	ck_assert_uint_eq(m.committed_as_kb, 130572);
	ck_assert_uint_eq(m.swap_total_kb, 524280);
	ck_assert_uint_eq(m.swap_free_kb, 523912);
	ck_assert_uint_eq(m.mem_available_kb, 0);
	/* In use: MemFree stands in for MemAvailable. */
	ck_assert_uint_eq(meminfo_used_kb(&m), 254128 - 79884);
	ck_assert(!meminfo_file_kb(&m, &(uint64_t){ 0 }));
	free(t);
}
END_TEST

START_TEST(meminfo_4_19)
{
	size_t len;
	char *t = tu_load_data("meminfo-4.19", &len);
	struct meminfo m;

	ck_assert_int_eq(meminfo_parse(t, len, &m), 0);
	ck_assert_uint_eq(m.have, MI_ALL);
	ck_assert_uint_eq(m.mem_total_kb, 2041348);
	ck_assert_uint_eq(m.mem_free_kb, 915864);
	ck_assert_uint_eq(m.mem_available_kb, 1637556);
	ck_assert_uint_eq(m.committed_as_kb, 761608);
	ck_assert_uint_eq(m.swap_total_kb, 1046524);
	ck_assert_uint_eq(m.swap_free_kb, 1046012);
	free(t);
}
END_TEST

START_TEST(meminfo_6_1)
{
	size_t len;
	char *t = tu_load_data("meminfo-6.1", &len);
	struct meminfo m;

	ck_assert_int_eq(meminfo_parse(t, len, &m), 0);
	ck_assert_uint_eq(m.have, MI_ALL);
	ck_assert_uint_eq(m.mem_total_kb, 4005932);
	ck_assert_uint_eq(m.mem_free_kb, 2318744);
	ck_assert_uint_eq(m.mem_available_kb, 3287104);
	/* Not confused by CommitLimit, SwapCached, Zswap, ... */
	ck_assert_uint_eq(m.committed_as_kb, 1289524);
	ck_assert_uint_eq(m.swap_total_kb, 2097148);
	ck_assert_uint_eq(m.swap_free_kb, 2090492);
	ck_assert_uint_eq(meminfo_used_kb(&m), 4005932 - 3287104);
	{
		uint64_t file_kb = 0;

		ck_assert(meminfo_file_kb(&m, &file_kb));
		/* Active(file) + Inactive(file), not Active: or Inactive: */
		ck_assert_uint_eq(file_kb, 410844 + 659708);
	}
	free(t);
}
END_TEST

START_TEST(meminfo_escaped_newlines)
{
	static const char *const files[] = { "meminfo-2.6.18-xen", "meminfo-4.19", "meminfo-6.1" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *t = tu_load_data(files[i], NULL);
		char *e = escape_newlines(t);
		struct meminfo a, b;

		ck_assert_ptr_null(strchr(e, '\n'));
		ck_assert_int_eq(mi(t, &a), 0);
		ck_assert_int_eq(mi(e, &b), 0);
		ck_assert_uint_eq(a.have, b.have);
		ck_assert_uint_eq(a.mem_total_kb, b.mem_total_kb);
		ck_assert_uint_eq(a.mem_free_kb, b.mem_free_kb);
		ck_assert_uint_eq(a.mem_available_kb, b.mem_available_kb);
		ck_assert_uint_eq(a.committed_as_kb, b.committed_as_kb);
		ck_assert_uint_eq(a.swap_total_kb, b.swap_total_kb);
		ck_assert_uint_eq(a.swap_free_kb, b.swap_free_kb);
		free(e);
		free(t);
	}
}
END_TEST

START_TEST(meminfo_mixed_separators)
{
	struct meminfo m;

	ck_assert_int_eq(mi("MemTotal: 100 kB\\nMemFree: 50 kB\nCommitted_AS: 70 kB\\n"
	    "SwapTotal: 0 kB", &m), 0);
	ck_assert_uint_eq(m.have, MI_MEMTOTAL | MI_MEMFREE | MI_COMMITTED_AS | MI_SWAPTOTAL);
	ck_assert_uint_eq(m.mem_total_kb, 100);
	ck_assert_uint_eq(m.mem_free_kb, 50);
	ck_assert_uint_eq(m.committed_as_kb, 70);
	ck_assert_uint_eq(m.swap_total_kb, 0);
}
END_TEST

START_TEST(meminfo_missing_keys)
{
	struct meminfo m;

	/* Committed_AS missing: -1, MemTotal still reported. */
	ck_assert_int_eq(mi("MemTotal:  262144 kB\nMemFree:  1000 kB\n", &m), -1);
	ck_assert_uint_eq(m.have, MI_MEMTOTAL | MI_MEMFREE);
	ck_assert_uint_eq(m.mem_total_kb, 262144);
	ck_assert_uint_eq(m.mem_free_kb, 1000);

	/* MemTotal missing. */
	ck_assert_int_eq(mi("Committed_AS:  5000 kB\n", &m), -1);
	ck_assert_uint_eq(m.have, MI_COMMITTED_AS);
	ck_assert_uint_eq(m.committed_as_kb, 5000);

	/* The two required ones only. */
	ck_assert_int_eq(mi("Committed_AS: 1 kB\nMemTotal: 2 kB\n", &m), 0);
	ck_assert_uint_eq(m.have, MI_MEMTOTAL | MI_COMMITTED_AS);
	ck_assert_uint_eq(m.mem_total_kb, 2);
	ck_assert_uint_eq(m.committed_as_kb, 1);
}
END_TEST

START_TEST(meminfo_missing_clears_stale_output)
{
	struct meminfo m;

	memset(&m, 0xff, sizeof(m));
	ck_assert_int_eq(mi("MemTotal: 9 kB\n", &m), -1);
	ck_assert_uint_eq(m.have, MI_MEMTOTAL);
	ck_assert_uint_eq(m.mem_total_kb, 9);
	ck_assert_uint_eq(m.committed_as_kb, 0);
	ck_assert_uint_eq(m.mem_available_kb, 0);
}
END_TEST

START_TEST(meminfo_near_miss_names)
{
	struct meminfo m;

	/* Names must match exactly, followed by ':'. */
	ck_assert_int_eq(mi("MemTotalX: 5 kB\nMemTotal 6 kB\nmemtotal: 7 kB\n"
	    " MemTotal: 8 kB\nXMemTotal: 9 kB\nCommitted_AS_x: 1 kB\n", &m), -1);
	ck_assert_uint_eq(m.have, 0);
	ck_assert_uint_eq(m.mem_total_kb, 0);
}
END_TEST

START_TEST(meminfo_garbage_lines_skipped)
{
	struct meminfo m;
	static const char t[] =
	    "garbage\n"
	    "\n"
	    ":::\n"
	    "MemTotal: abc kB\n"           /* no digits: skipped */
	    "MemTotal: -5 kB\n"            /* sign: skipped */
	    "MemTotal:\n"                  /* nothing: skipped */
	    "\x01\x02\xff\xfe\n"
	    "MemTotal:     4096 kB\n"      /* the first good one counts */
	    "Committed_AS:\t2048 kB\n"     /* tab before the number */
	    "SwapFree: 12 kB\n";

	ck_assert_int_eq(mi(t, &m), 0);
	ck_assert_uint_eq(m.mem_total_kb, 4096);
	ck_assert_uint_eq(m.committed_as_kb, 2048);
	ck_assert_uint_eq(m.have, MI_MEMTOTAL | MI_COMMITTED_AS | MI_SWAPFREE);
	ck_assert_uint_eq(m.swap_free_kb, 12);
}
END_TEST

START_TEST(meminfo_huge_numbers_refused)
{
	struct meminfo m;

	/* 2^64 would wrap: refused, the line skipped. */
	ck_assert_int_eq(mi("MemTotal: 18446744073709551616 kB\nCommitted_AS: 1 kB\n", &m), -1);
	ck_assert(!(m.have & MI_MEMTOTAL));
	ck_assert_uint_eq(m.mem_total_kb, 0);
	/* Far past 2^64. */
	ck_assert_int_eq(mi("MemTotal: 99999999999999999999999999999999999 kB\n"
	    "Committed_AS: 1 kB\n", &m), -1);
	ck_assert(!(m.have & MI_MEMTOTAL));
	/* The bound is 2^60 = 1152921504606846976: accepted; one more is not. */
	ck_assert_int_eq(mi("MemTotal: 1152921504606846976 kB\nCommitted_AS: 1 kB\n", &m), 0);
	ck_assert_uint_eq(m.mem_total_kb, 1152921504606846976ULL);
	ck_assert_int_eq(mi("MemTotal: 1152921504606846977 kB\nCommitted_AS: 1 kB\n", &m), -1);
	ck_assert(!(m.have & MI_MEMTOTAL));
	/* A refused line does not hide a later good one. */
	ck_assert_int_eq(mi("MemTotal: 99999999999999999999 kB\nMemTotal: 77 kB\n"
	    "Committed_AS: 1 kB\n", &m), 0);
	ck_assert_uint_eq(m.mem_total_kb, 77);
}
END_TEST

START_TEST(meminfo_empty)
{
	struct meminfo m;

	memset(&m, 0xff, sizeof(m));
	ck_assert_int_eq(meminfo_parse("", 0, &m), -1);
	ck_assert_uint_eq(m.have, 0);
	ck_assert_uint_eq(m.mem_total_kb, 0);
	ck_assert_int_eq(mi("\n\n\n", &m), -1);
	ck_assert_uint_eq(m.have, 0);
	ck_assert_int_eq(mi("\\n\\n", &m), -1);
	ck_assert_uint_eq(m.have, 0);
}
END_TEST

START_TEST(meminfo_no_trailing_newline)
{
	struct meminfo m;

	/* The last line complete with its unit: taken. */
	ck_assert_int_eq(mi("MemTotal: 100 kB\nCommitted_AS: 50 kB", &m), 0);
	ck_assert_uint_eq(m.committed_as_kb, 50);
	/* Torn before the unit: that field is not taken. */
	ck_assert_int_eq(mi("MemTotal: 100 kB\nCommitted_AS: 50", &m), -1);
	ck_assert_uint_eq(m.have & MI_COMMITTED_AS, 0);
	ck_assert_int_eq(mi("Committed_AS: 50 kB\nMemTotal: 100", &m), -1);
	ck_assert_uint_eq(m.have & MI_MEMTOTAL, 0);
}
END_TEST

START_TEST(meminfo_crlf)
{
	struct meminfo m;

	ck_assert_int_eq(mi("MemTotal: 100 kB\r\nCommitted_AS: 50 kB\r\n", &m), 0);
	ck_assert_uint_eq(m.mem_total_kb, 100);
	ck_assert_uint_eq(m.committed_as_kb, 50);
}
END_TEST

START_TEST(meminfo_honours_len)
{
	/* Text cut by len in the middle of a number, in a heap block that
	 * ends right there (ASan catches any read past it). */
	static const char full[] = "MemTotal: 12345 kB\nCommitted_AS: 678 kB\n";
	size_t cut = strlen("MemTotal: 12345 kB\nCommitted_AS: 6");
	char *t = malloc(cut);
	struct meminfo m;

	ck_assert_ptr_nonnull(t);
	memcpy(t, full, cut);
	/* Committed_AS torn to "6": refused, MemTotal still read. */
	ck_assert_int_eq(meminfo_parse(t, cut, &m), -1);
	ck_assert_uint_eq(m.mem_total_kb, 12345);
	ck_assert_uint_eq(m.have & MI_COMMITTED_AS, 0);
	/* Cut in the name: nothing. */
	ck_assert_int_eq(meminfo_parse(t, 5, &m), -1);
	ck_assert_uint_eq(m.have, 0);
	free(t);
}
END_TEST

START_TEST(meminfo_embedded_nul)
{
	static const char t[] = "MemTotal: 100 kB\n\0\0garbage\nCommitted_AS: 50 kB\n";
	struct meminfo m;

	ck_assert_int_eq(meminfo_parse(t, sizeof(t) - 1, &m), 0);
	ck_assert_uint_eq(m.mem_total_kb, 100);
	ck_assert_uint_eq(m.committed_as_kb, 50);
}
END_TEST

/* --- vmstat_parse ------------------------------------------------------- */

START_TEST(vmstat_6_1)
{
	size_t len;
	char *t = tu_load_data("vmstat-6.1", &len);
	struct vmstat v;

	ck_assert_uint_gt(len, 3000); /* about twice a xenstore node */
	ck_assert_int_eq(vmstat_parse(t, len, &v), 0);
	ck_assert_uint_eq(v.have, VM_ALL | VM_REFAULT_ANON | VM_REFAULT_FILE |
	    VM_PGSTEAL_KSWAPD | VM_PGSTEAL_DIRECT);
	/* Reclaim by kswapd and by allocating tasks; not pgsteal_anon,
	 * pgsteal_file (the same pages counted by type). */
	ck_assert_uint_eq(v.pgsteal_kswapd, 195224);
	ck_assert_uint_eq(v.pgsteal_direct, 4117);
	ck_assert_uint_eq(v.refault_anon, 53);
	ck_assert_uint_eq(v.refault_file, 2841);
	ck_assert_uint_eq(v.refault, 0);
	ck_assert_uint_eq(v.pswpin, 1664);
	ck_assert_uint_eq(v.pswpout, 3328);
	ck_assert_uint_eq(v.pgpgin, 3185216);
	ck_assert_uint_eq(v.pgpgout, 6940352);
	ck_assert_uint_eq(v.pgfault, 75640229);
	ck_assert_uint_eq(v.pgmajfault, 7421);
	free(t);
}
END_TEST

START_TEST(vmstat_2_6_18)
{
	size_t len;
	char *t = tu_load_data("vmstat-2.6.18-xen", &len);
	struct vmstat v;

	ck_assert_int_eq(vmstat_parse(t, len, &v), 0);
	ck_assert_uint_eq(v.have, VM_ALL);
	ck_assert_uint_eq(v.pswpin, 17);
	ck_assert_uint_eq(v.pswpout, 92);
	ck_assert_uint_eq(v.pgpgin, 184336);
	ck_assert_uint_eq(v.pgpgout, 52820);
	ck_assert_uint_eq(v.pgfault, 2760437);
	ck_assert_uint_eq(v.pgmajfault, 1137);
	free(t);
}
END_TEST

START_TEST(vmstat_refault_lines)
{
	/* Linux 4.x-5.8 has one workingset_refault line; 5.9+ two. The
	 * longer names do not match the shorter one, nor the other way. */
	static const char old[] = "workingset_refault 77\nworkingset_refault_x 5\n";
	static const char new_[] = "workingset_refault_file 9\nworkingset_refault_anon 8\n"
	    "workingset_refaults 3\n";
	struct vmstat v;

	ck_assert_int_eq(vmstat_parse(old, sizeof(old) - 1, &v), 0);
	ck_assert_uint_eq(v.have, VM_REFAULT);
	ck_assert_uint_eq(v.refault, 77);
	ck_assert_int_eq(vmstat_parse(new_, sizeof(new_) - 1, &v), 0);
	ck_assert_uint_eq(v.have, VM_REFAULT_ANON | VM_REFAULT_FILE);
	ck_assert_uint_eq(v.refault_anon, 8);
	ck_assert_uint_eq(v.refault_file, 9);
	ck_assert_uint_eq(v.refault, 0);
}
END_TEST

START_TEST(vmstat_escaped)
{
	char *t = tu_load_data("vmstat-6.1", NULL);
	char *e = escape_newlines(t);
	struct vmstat a, b;

	ck_assert_int_eq(vm(t, &a), 0);
	ck_assert_int_eq(vm(e, &b), 0);
	ck_assert_uint_eq(b.have, a.have);
	ck_assert_uint_eq(a.refault_file, b.refault_file);
	ck_assert_uint_eq(a.pswpin, b.pswpin);
	ck_assert_uint_eq(a.pswpout, b.pswpout);
	ck_assert_uint_eq(a.pgpgin, b.pgpgin);
	ck_assert_uint_eq(a.pgpgout, b.pgpgout);
	ck_assert_uint_eq(a.pgfault, b.pgfault);
	ck_assert_uint_eq(a.pgmajfault, b.pgmajfault);
	free(e);
	free(t);
}
END_TEST

START_TEST(vmstat_missing_and_near_misses)
{
	struct vmstat v;

	ck_assert_int_eq(vm("pgfault 42\n", &v), 0);
	ck_assert_uint_eq(v.have, VM_PGFAULT);
	ck_assert_uint_eq(v.pgfault, 42);
	ck_assert_uint_eq(v.pgmajfault, 0);

	/* Near misses: none of these is one of the six counters. */
	ck_assert_int_eq(vm("nr_pgfault 1\npgfault_x 2\npgfault\t3\npgfault: 4\n"
	    "pswpin_ra 5\npgpgin\n xpgpgout 6\npgmajfaults 7\n", &v), -1);
	ck_assert_uint_eq(v.have, 0);

	ck_assert_int_eq(vm("nr_free_pages 1\nnr_dirty 2\n", &v), -1);
	ck_assert_uint_eq(v.have, 0);
}
END_TEST

START_TEST(vmstat_garbage_and_huge)
{
	struct vmstat v;

	ck_assert_int_eq(vm("\xff\xfe garbage\n"
	    "pswpin 18446744073709551616\n"   /* 2^64: refused */
	    "pswpout 99999999999999999999999\n"
	    "pgpgin abc\n"
	    "pgpgout -1\n"
	    "pgfault 1152921504606846976\n"   /* 2^60: the bound, accepted */
	    "pgmajfault 1152921504606846977\n", &v), 0);
	ck_assert_uint_eq(v.have, VM_PGFAULT);
	ck_assert_uint_eq(v.pgfault, 1152921504606846976ULL);
	ck_assert_uint_eq(v.pswpin, 0);
	ck_assert_uint_eq(v.pgmajfault, 0);
}
END_TEST

START_TEST(vmstat_empty_and_no_newline)
{
	struct vmstat v;

	memset(&v, 0xff, sizeof(v));
	ck_assert_int_eq(vmstat_parse("", 0, &v), -1);
	ck_assert_uint_eq(v.have, 0);
	ck_assert_uint_eq(v.pswpin, 0);
	ck_assert_int_eq(vm("pgpgin 1\npgmajfault 77", &v), 0);
	ck_assert_uint_eq(v.have, VM_PGPGIN | VM_PGMAJFAULT);
	ck_assert_uint_eq(v.pgmajfault, 77);
}
END_TEST

/* --- vmstat_trim ------------------------------------------------------- */

#define ck_assert_str_prefix(s, prefix) \
	ck_assert_msg(strncmp((s), (prefix), strlen(prefix)) == 0, \
	    "\"%.60s...\" does not start with \"%.60s...\"", (s), (prefix))

static const char *const key_names[] = {
	"pswpin", "pswpout", "pgpgin", "pgpgout", "pgfault", "pgmajfault",
};

/* Is line (n bytes, no newline) one of the six? */
static int
is_key(const char *line, size_t n)
{
	for (size_t i = 0; i < 6; i++) {
		size_t k = strlen(key_names[i]);

		if (n > k && memcmp(line, key_names[i], k) == 0 && line[k] == ' ')
			return 1;
	}
	return 0;
}

/* Does text (real newlines) contain line as a whole line? */
static int
has_line(const char *text, const char *line, size_t n)
{
	const char *p = text;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* Check every invariant of trim output `out` (length r) for input
 * `in` (real newlines, NUL-terminated) under `limit`:
 * - r <= limit, out[r] == NUL, strlen(out) == r;
 * - whole lines only, each ending in '\n', each a line of the input;
 * - the key lines first, then the others in their input order.
 * Returns the number of key lines in out. */
static int
check_trim(const char *in, const char *out, size_t r, size_t limit)
{
	const char *p = out, *search = in;
	int keys = 0, in_rest = 0;

	ck_assert_uint_le(r, limit);
	ck_assert_int_eq(out[r], '\0');
	ck_assert_uint_eq(strlen(out), r);
	ck_assert(r == 0 || out[r - 1] == '\n');
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n;

		ck_assert_ptr_nonnull(e);
		n = (size_t)(e - p);
		ck_assert_uint_gt(n, 0);
		ck_assert_msg(has_line(in, p, n), "output line \"%.*s\" not in the input", (int)n, p);
		if (is_key(p, n)) {
			ck_assert_msg(!in_rest, "key line \"%.*s\" after other lines", (int)n, p);
			keys++;
		} else {
			/* In input order: find it after the previous one. */
			const char *q = search;
			int found = 0;

			in_rest = 1;
			while (*q) {
				const char *qe = strchr(q, '\n');
				size_t qn = qe ? (size_t)(qe - q) : strlen(q);

				if (qn == n && memcmp(q, p, n) == 0) {
					search = qe ? qe + 1 : q + qn;
					found = 1;
					break;
				}
				if (!qe)
					break;
				q = qe + 1;
			}
			ck_assert_msg(found, "line \"%.*s\" out of order", (int)n, p);
		}
		p = e + 1;
	}
	return keys;
}

/* The six key lines of the 6.1 sample, as they must appear. */
static void
assert_has_six(const char *out)
{
	ck_assert_ptr_nonnull(strstr(out, "pgpgin 3185216\n"));
	ck_assert_ptr_nonnull(strstr(out, "pgpgout 6940352\n"));
	ck_assert_ptr_nonnull(strstr(out, "pswpin 1664\n"));
	ck_assert_ptr_nonnull(strstr(out, "pswpout 3328\n"));
	ck_assert_ptr_nonnull(strstr(out, "pgfault 75640229\n"));
	ck_assert_ptr_nonnull(strstr(out, "pgmajfault 7421\n"));
}

START_TEST(trim_6_1_to_2048)
{
	size_t len, r;
	char *t = tu_load_data("vmstat-6.1", &len);
	char out[2049];
	struct vmstat a, b;

	ck_assert_uint_gt(len, 2048);
	r = vmstat_trim(t, len, out, sizeof(out), 2048);
	ck_assert_int_eq(check_trim(t, out, r, 2048), 6);
	assert_has_six(out);
	/* Reasonably full: no line of the sample is longer than 64 bytes. */
	ck_assert_uint_gt(r, 2048 - 64);
	/* The parsed counters survive the trim. */
	ck_assert_int_eq(vmstat_parse(t, len, &a), 0);
	ck_assert_int_eq(vmstat_parse(out, r, &b), 0);
	ck_assert_uint_eq(b.have & VM_ALL, VM_ALL);
	ck_assert_uint_eq(a.pswpin, b.pswpin);
	ck_assert_uint_eq(a.pswpout, b.pswpout);
	ck_assert_uint_eq(a.pgpgin, b.pgpgin);
	ck_assert_uint_eq(a.pgpgout, b.pgpgout);
	ck_assert_uint_eq(a.pgfault, b.pgfault);
	ck_assert_uint_eq(a.pgmajfault, b.pgmajfault);
	/* The first non-key line kept is the sample's first line. */
	ck_assert_ptr_nonnull(strstr(out, "\nnr_free_pages 579686\n"));
	free(t);
}
END_TEST

START_TEST(trim_keys_last_in_4k)
{
	/* The six key lines at the very end of a 4 KB text: the
	 * other lines come first (all of the sample's others, then
	 * filler up to 4096 bytes), then the six. */
	size_t len, r, n = 0;
	char *t = tu_load_data("vmstat-6.1", &len);
	char *big = malloc(8192), out[2049];
	const char *p = t;
	int filler = 0;

	ck_assert_ptr_nonnull(big);
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = (size_t)(e - p) + 1;

		if (!is_key(p, l - 1)) {
			memcpy(big + n, p, l);
			n += l;
		}
		p = e + 1;
	}
	while (n < 4096 - 120) {
		n += (size_t)snprintf(big + n, 8192 - n, "nr_filler_counter_%d 123456\n", filler++);
	}
	n += (size_t)snprintf(big + n, 8192 - n,
	    "pgpgin 3185216\npgpgout 6940352\npswpin 1664\npswpout 3328\n"
	    "pgfault 75640229\npgmajfault 7421\n");
	ck_assert_uint_ge(n, 4000);
	r = vmstat_trim(big, n, out, sizeof(out), 2048);
	ck_assert_int_eq(check_trim(big, out, r, 2048), 6);
	assert_has_six(out);
	/* The key lines lead. */
	ck_assert_str_prefix(out, "pgpgin 3185216\npgpgout 6940352\npswpin 1664\n"
	    "pswpout 3328\npgfault 75640229\npgmajfault 7421\n");
	free(big);
	free(t);
}
END_TEST

START_TEST(trim_everything_fits)
{
	size_t len, r;
	char *t = tu_load_data("vmstat-2.6.18-xen", &len);
	char out[4096];

	r = vmstat_trim(t, len, out, sizeof(out), sizeof(out) - 1);
	ck_assert_uint_eq(r, len); /* every line, each with its newline */
	ck_assert_int_eq(check_trim(t, out, r, sizeof(out) - 1), 6);
	/* Key lines first, in their input order, then the rest. */
	ck_assert_str_prefix(out, "pgpgin 184336\npgpgout 52820\npswpin 17\npswpout 92\n"
	    "pgfault 2760437\npgmajfault 1137\nnr_anon_pages 8905\n");
	free(t);
}
END_TEST

START_TEST(trim_tiny_limits)
{
	static const char t[] = "nr_a 1\npswpin 5\npswpout 6\nnr_b 2\n";
	char out[64];
	size_t r;

	/* Limit 0: nothing. */
	memset(out, 'X', sizeof(out));
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 0);
	ck_assert_uint_eq(r, 0);
	ck_assert_int_eq(out[0], '\0');

	/* The shortest lines, "nr_a 1\n" and "nr_b 2\n", are 7 bytes:
	 * limit 6 holds no line at all. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 6);
	ck_assert_uint_eq(r, 0);
	ck_assert_str_eq(out, "");

	/* "pswpin 5\n" is 9 bytes: limit 8 holds no key line, but the
	 * first other line that fits. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 8);
	ck_assert_uint_eq(r, 7);
	ck_assert_str_eq(out, "nr_a 1\n");

	/* Limit 9: just it; "nr_a 1\n" (7) would fit alone but the key
	 * lines come first. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 9);
	ck_assert_str_eq(out, "pswpin 5\n");
	ck_assert_uint_eq(r, 9);

	/* Limit 16: pswpin (9) + nr_a (7); pswpout (10) does not fit. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 16);
	ck_assert_str_eq(out, "pswpin 5\nnr_a 1\n");

	/* Limit 26: both keys (19) + nr_a (7) = 26. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 26);
	ck_assert_str_eq(out, "pswpin 5\npswpout 6\nnr_a 1\n");
	ck_assert_uint_eq(r, 26);
}
END_TEST

START_TEST(trim_skips_a_long_line_keeps_later_short_ones)
{
	static const char t[] = "pgfault 1\nnr_long_counter_name_here 12345678901234\nnr_s 1\n";
	char out[64];
	size_t r;

	/* "pgfault 1\n" 10 + "nr_s 1\n" 7 = 17 < 20; the long one is not
	 * cut in half, it is left out. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 20);
	ck_assert_str_eq(out, "pgfault 1\nnr_s 1\n");
	ck_assert_uint_eq(r, 17);
}
END_TEST

START_TEST(trim_outsize_bounds_limit)
{
	size_t len, r;
	char *t = tu_load_data("vmstat-6.1", &len);
	char *out = malloc(100); /* exact size: ASan sees any overrun */

	ck_assert_ptr_nonnull(out);
	r = vmstat_trim(t, len, out, 100, 2048);
	ck_assert_uint_le(r, 99);
	ck_assert_int_eq(check_trim(t, out, r, 99), 6); /* 6 key lines: 89 bytes */
	free(out);

	/* outsize 0: nothing written at all. */
	ck_assert_uint_eq(vmstat_trim(t, len, NULL, 0, 2048), 0);
	free(t);
}
END_TEST

START_TEST(trim_escaped_input)
{
	static const char t[] = "nr_x 1\\npswpin 2\\npgfault 3\\nnr_y 4";
	char out[128];
	size_t r;

	r = vmstat_trim(t, strlen(t), out, sizeof(out), 127);
	ck_assert_str_eq(out, "pswpin 2\npgfault 3\nnr_x 1\nnr_y 4\n");
	ck_assert_uint_eq(r, strlen(out));
}
END_TEST

START_TEST(trim_drops_empty_and_nul_lines)
{
	static const char t[] = "\n\npswpin 1\n\nnr_a\0b 2\nnr_c 3\n\n";
	char out[128];

	vmstat_trim(t, sizeof(t) - 1, out, sizeof(out), 127);
	ck_assert_str_eq(out, "pswpin 1\nnr_c 3\n");
}
END_TEST

START_TEST(trim_no_trailing_newline)
{
	static const char t[] = "nr_a 1\npgmajfault 2";
	char out[64];
	size_t r;

	r = vmstat_trim(t, strlen(t), out, sizeof(out), 63);
	ck_assert_str_eq(out, "pgmajfault 2\nnr_a 1\n");
	ck_assert_uint_eq(r, 20);
	/* Exactly: "pgmajfault 2\n" needs 13. */
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 13);
	ck_assert_str_eq(out, "pgmajfault 2\n");
	r = vmstat_trim(t, strlen(t), out, sizeof(out), 12);
	ck_assert_str_eq(out, "nr_a 1\n");
}
END_TEST

START_TEST(trim_idempotent)
{
	size_t len, r1, r2;
	char *t = tu_load_data("vmstat-6.1", &len);
	char a[2049], b[2049];

	r1 = vmstat_trim(t, len, a, sizeof(a), 2048);
	r2 = vmstat_trim(a, r1, b, sizeof(b), 2048);
	ck_assert_uint_eq(r1, r2);
	ck_assert_str_eq(a, b);
	free(t);
}
END_TEST

START_TEST(trim_every_limit)
{
	/* For every limit from 0 to past the whole text the invariants
	 * hold, the output never shrinks as the limit grows, and once the
	 * six fit they are all there: 14 + 14 + 10 + 11 + 16 + 16 = 81
	 * bytes for the 2.6.18 sample. */
	size_t len, prev = 0;
	char *t = tu_load_data("vmstat-2.6.18-xen", &len);
	char *out = malloc(len + 2);

	ck_assert_ptr_nonnull(out);
	for (size_t limit = 0; limit <= len + 1; limit++) {
		size_t r = vmstat_trim(t, len, out, len + 2, limit);
		int keys = check_trim(t, out, r, limit);

		ck_assert_uint_ge(r, prev);
		if (limit >= 81)
			ck_assert_int_eq(keys, 6);
		prev = r;
	}
	ck_assert_uint_eq(prev, len);
	free(out);
	free(t);
}
END_TEST

/* MemAvailable above MemTotal (readings of two moments): nothing in
 * use, never a huge difference. */
START_TEST(meminfo_used_never_wraps)
{
	const char t[] = "MemTotal: 1000 kB\nMemAvailable: 1005 kB\nCommitted_AS: 1 kB\n";
	struct meminfo m;

	ck_assert_int_eq(meminfo_parse(t, sizeof(t) - 1, &m), 0);
	ck_assert_uint_eq(meminfo_used_kb(&m), 0);
	/* No MemTotal: nothing known to be in use. */
	ck_assert_int_eq(meminfo_parse("MemFree: 5 kB\n", 14, &m), -1);
	ck_assert_uint_eq(meminfo_used_kb(&m), 0);
}
END_TEST

static Suite *
kfiles_suite(void)
{
	Suite *s = suite_create("kfiles");
	TCase *tc;

	tc = tcase_create("meminfo");
	tcase_add_test(tc, meminfo_2_6_18_xenlinux);
	tcase_add_test(tc, meminfo_4_19);
	tcase_add_test(tc, meminfo_6_1);
	tcase_add_test(tc, meminfo_escaped_newlines);
	tcase_add_test(tc, meminfo_mixed_separators);
	tcase_add_test(tc, meminfo_missing_keys);
	tcase_add_test(tc, meminfo_missing_clears_stale_output);
	tcase_add_test(tc, meminfo_near_miss_names);
	tcase_add_test(tc, meminfo_garbage_lines_skipped);
	tcase_add_test(tc, meminfo_huge_numbers_refused);
	tcase_add_test(tc, meminfo_empty);
	tcase_add_test(tc, meminfo_no_trailing_newline);
	tcase_add_test(tc, meminfo_crlf);
	tcase_add_test(tc, meminfo_honours_len);
	tcase_add_test(tc, meminfo_embedded_nul);
	tcase_add_test(tc, meminfo_used_never_wraps);
	suite_add_tcase(s, tc);

	tc = tcase_create("vmstat");
	tcase_add_test(tc, vmstat_6_1);
	tcase_add_test(tc, vmstat_2_6_18);
	tcase_add_test(tc, vmstat_escaped);
	tcase_add_test(tc, vmstat_refault_lines);
	tcase_add_test(tc, vmstat_missing_and_near_misses);
	tcase_add_test(tc, vmstat_garbage_and_huge);
	tcase_add_test(tc, vmstat_empty_and_no_newline);
	suite_add_tcase(s, tc);

	tc = tcase_create("vmstat_trim");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, trim_6_1_to_2048);
	tcase_add_test(tc, trim_keys_last_in_4k);
	tcase_add_test(tc, trim_everything_fits);
	tcase_add_test(tc, trim_tiny_limits);
	tcase_add_test(tc, trim_skips_a_long_line_keeps_later_short_ones);
	tcase_add_test(tc, trim_outsize_bounds_limit);
	tcase_add_test(tc, trim_escaped_input);
	tcase_add_test(tc, trim_drops_empty_and_nul_lines);
	tcase_add_test(tc, trim_no_trailing_newline);
	tcase_add_test(tc, trim_idempotent);
	tcase_add_test(tc, trim_every_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(kfiles_suite());
}
