/* fuzz_psi.c - libFuzzer harness for psi_parse (/proc/pressure/memory,
 * and a guest's published copy of it as dom0 reads it).
 *
 * Invariants: the result is 0 exactly when the "some" bit is set; a
 * line without its bit is all zeros; averages are at most 100.00 %
 * (10000 hundredths) and totals at most 2^60; what was parsed, printed
 * back in the kernel's format, parses to the same numbers.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const struct psi_line *l, int have)
{
	if (!have) {
		assert(l->avg10_centi == 0 && l->avg60_centi == 0 && l->avg300_centi == 0 &&
		    l->total_us == 0);
		return;
	}
	assert(l->avg10_centi <= 10000 && l->avg60_centi <= 10000 && l->avg300_centi <= 10000);
	assert(l->total_us <= (1ULL << 60));
}

static int
print_line(char *buf, size_t size, const char *name, const struct psi_line *l)
{
	return snprintf(buf, size, "%s avg10=%u.%02u avg60=%u.%02u avg300=%u.%02u total=%llu\n",
	    name, l->avg10_centi / 100, l->avg10_centi % 100, l->avg60_centi / 100,
	    l->avg60_centi % 100, l->avg300_centi / 100, l->avg300_centi % 100,
	    (unsigned long long)l->total_us);
}

static int
same_line(const struct psi_line *a, const struct psi_line *b)
{
	return a->avg10_centi == b->avg10_centi && a->avg60_centi == b->avg60_centi &&
	    a->avg300_centi == b->avg300_centi && a->total_us == b->total_us;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psi p, q;
	char text[512];
	int r = psi_parse((const char *)data, size, &p), n;

	assert(r == ((p.have & PSI_SOME) ? 0 : -1));
	assert((p.have & ~(unsigned)(PSI_SOME | PSI_FULL)) == 0);
	check_line(&p.some, (p.have & PSI_SOME) != 0);
	check_line(&p.full, (p.have & PSI_FULL) != 0);
	if (r != 0)
		return 0;
	n = print_line(text, sizeof(text), "some", &p.some);
	assert(n > 0 && (size_t)n < sizeof(text));
	if (p.have & PSI_FULL)
		n += print_line(text + n, sizeof(text) - (size_t)n, "full", &p.full);
	assert((size_t)n < sizeof(text));
	assert(psi_parse(text, (size_t)n, &q) == 0);
	assert(q.have == p.have);
	assert(same_line(&q.some, &p.some) && same_line(&q.full, &p.full));
	return 0;
}
