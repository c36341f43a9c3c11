/* fuzz_meminfo.c - libFuzzer harness for the kernel text parsers:
 * meminfo_parse, vmstat_parse and vmstat_trim on the same input (a
 * guest's /proc copy as dom0 would read it).
 *
 * Invariants:
 * - meminfo/vmstat: the return value agrees with the `have` bits, a
 *   field without its bit is 0, every value is at most 2^60;
 * - vmstat_trim, for two limits: the result is <= limit, NUL
 *   terminated at its length, made of whole non-empty lines that are
 *   lines of the input (same splitting: '\n' or the two characters
 *   "\n"), the six key lines first and the others in input order, all
 *   six kept whenever they fit together, and trimming the output again
 *   gives the same output.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfiles.h"

#define VALUE_MAX (1ULL << 60)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent line splitter with the parsers' rules. */
struct span {
	const char *p;
	size_t n;
};

static size_t
split(const char *t, size_t len, struct span *out, size_t max)
{
	size_t count = 0, start = 0, i = 0;

	while (i < len) {
		if (t[i] == '\n' || (t[i] == '\\' && i + 1 < len && t[i + 1] == 'n')) {
			if (count < max)
				out[count] = (struct span){ t + start, i - start };
			count++;
			i += t[i] == '\n' ? 1 : 2;
			start = i;
		} else {
			i++;
		}
	}
	if (start < len) {
		if (count < max)
			out[count] = (struct span){ t + start, len - start };
		count++;
	}
	return count;
}

static bool
key_line(const struct span *s)
{
	static const char *const names[] = {
		"pswpin", "pswpout", "pgpgin", "pgpgout", "pgfault", "pgmajfault",
	};

	for (size_t i = 0; i < 6; i++) {
		size_t k = strlen(names[i]);

		if (s->n > k && memcmp(s->p, names[i], k) == 0 && s->p[k] == ' ')
			return true;
	}
	return false;
}

/* A line trim may copy: non-empty, no NUL. */
static bool
copyable(const struct span *s)
{
	return s->n > 0 && memchr(s->p, '\0', s->n) == NULL;
}

static bool
same(const struct span *a, const struct span *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

static void
check_meminfo(const char *t, size_t len)
{
	struct meminfo m;
	int r = meminfo_parse(t, len, &m);
	const unsigned need = MI_MEMTOTAL | MI_COMMITTED_AS;

	assert(r == ((m.have & need) == need ? 0 : -1));
	assert((m.have & ~0xffu) == 0);
	assert((m.have & MI_MEMTOTAL) || m.mem_total_kb == 0);
	assert((m.have & MI_MEMFREE) || m.mem_free_kb == 0);
	assert((m.have & MI_MEMAVAILABLE) || m.mem_available_kb == 0);
	assert((m.have & MI_COMMITTED_AS) || m.committed_as_kb == 0);
	assert((m.have & MI_SWAPTOTAL) || m.swap_total_kb == 0);
	assert((m.have & MI_SWAPFREE) || m.swap_free_kb == 0);
	assert((m.have & MI_ACTIVE_FILE) || m.active_file_kb == 0);
	assert((m.have & MI_INACTIVE_FILE) || m.inactive_file_kb == 0);
	assert(m.mem_total_kb <= VALUE_MAX && m.mem_free_kb <= VALUE_MAX &&
	    m.mem_available_kb <= VALUE_MAX && m.committed_as_kb <= VALUE_MAX &&
	    m.swap_total_kb <= VALUE_MAX && m.swap_free_kb <= VALUE_MAX);
	assert(m.active_file_kb <= VALUE_MAX && m.inactive_file_kb <= VALUE_MAX);
}

static void
check_vmstat(const char *t, size_t len)
{
	struct vmstat v;
	int r = vmstat_parse(t, len, &v);

	assert(r == (v.have ? 0 : -1));
	assert((v.have & ~0x7ffu) == 0);
	assert((v.have & VM_PSWPIN) || v.pswpin == 0);
	assert((v.have & VM_PSWPOUT) || v.pswpout == 0);
	assert((v.have & VM_PGPGIN) || v.pgpgin == 0);
	assert((v.have & VM_PGPGOUT) || v.pgpgout == 0);
	assert((v.have & VM_PGFAULT) || v.pgfault == 0);
	assert((v.have & VM_PGMAJFAULT) || v.pgmajfault == 0);
	assert((v.have & VM_REFAULT_ANON) || v.refault_anon == 0);
	assert((v.have & VM_REFAULT_FILE) || v.refault_file == 0);
	assert((v.have & VM_REFAULT) || v.refault == 0);
	assert((v.have & VM_PGSTEAL_KSWAPD) || v.pgsteal_kswapd == 0);
	assert((v.have & VM_PGSTEAL_DIRECT) || v.pgsteal_direct == 0);
	assert(v.refault_anon <= VALUE_MAX && v.refault_file <= VALUE_MAX && v.refault <= VALUE_MAX);
	assert(v.pgsteal_kswapd <= VALUE_MAX && v.pgsteal_direct <= VALUE_MAX);
	assert(v.pswpin <= VALUE_MAX && v.pswpout <= VALUE_MAX && v.pgpgin <= VALUE_MAX &&
	    v.pgpgout <= VALUE_MAX && v.pgfault <= VALUE_MAX && v.pgmajfault <= VALUE_MAX);
}

static void
check_trim(const char *t, size_t len, size_t limit, struct span *in, size_t nin,
	   struct span *outl)
{
	char *out = malloc(limit + 1), *again = malloc(limit + 1);
	size_t r, r2, nout, key_bytes = 0, nkeys = 0, o = 0, search = 0;

	assert(out && again);
	r = vmstat_trim(t, len, out, limit + 1, limit);
	assert(r <= limit);
	assert(out[r] == '\0');
	assert(memchr(out, '\0', r) == NULL);
	assert(r == 0 || out[r - 1] == '\n');

	/* Every output line is a whole, copyable input line. */
	nout = split(out, r, outl, nin + 1);
	assert(nout <= nin);
	for (size_t i = 0; i < nout; i++)
		assert(copyable(&outl[i]));

	/* The key lines of the input, in order, lead the output whenever
	 * they all fit; then the other lines, in input order. */
	for (size_t i = 0; i < nin; i++)
		if (copyable(&in[i]) && key_line(&in[i])) {
			key_bytes += in[i].n + 1;
			nkeys++;
		}
	if (key_bytes <= limit) {
		for (size_t i = 0; i < nin; i++)
			if (copyable(&in[i]) && key_line(&in[i])) {
				assert(o < nout && same(&outl[o], &in[i]));
				o++;
			}
		assert(o == nkeys);
	} else {
		/* Some key lines, each an input key line, in input order. */
		size_t s = 0;

		while (o < nout && key_line(&outl[o])) {
			while (s < nin && !(key_line(&in[s]) && same(&in[s], &outl[o])))
				s++;
			assert(s < nin);
			s++;
			o++;
		}
	}
	for (; o < nout; o++) {
		assert(!key_line(&outl[o]));
		while (search < nin && (key_line(&in[search]) || !same(&in[search], &outl[o])))
			search++;
		assert(search < nin);
		search++;
	}

	/* Idempotent. */
	r2 = vmstat_trim(out, r, again, limit + 1, limit);
	assert(r2 == r && memcmp(out, again, r + 1) == 0);
	free(again);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy of exactly size bytes: ASan sees any read past. */
	char *t = malloc(size ? size : 1);
	struct span *in, *outl;
	size_t nin;

	assert(t);
	memcpy(t, data, size);
	check_meminfo(t, size);
	check_vmstat(t, size);

	nin = split(t, size, NULL, 0);
	in = calloc(nin + 1, sizeof(*in));
	outl = calloc(nin + 2, sizeof(*outl));
	assert(in && outl);
	split(t, size, in, nin);
	/* The real limit, and one picked by the input itself anywhere in
	 * [0, size + 1], so every cut point gets explored. */
	check_trim(t, size, 2048, in, nin, outl);
	check_trim(t, size, size ? ((size_t)data[0] * 257 + data[size - 1]) % (size + 2) : 0,
	    in, nin, outl);
	free(outl);
	free(in);
	free(t);
	return 0;
}
