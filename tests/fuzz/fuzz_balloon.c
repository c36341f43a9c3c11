/* fuzz_balloon.c - libFuzzer harness for legacy_balloon_parse, the
 * parser of /proc/xen/balloon.
 *
 * Invariants: the result is 0 or -1; on success the current allocation
 * and the target are at most 2^50 kB (so bytes fit in 64 bits), the
 * text has a line starting "Current allocation:", and the value equals
 * the one an independent reading of the first such line gives (its
 * number must be followed by " kB": a report torn inside the number is
 * refused, never read as a smaller size); on
 * failure the outputs are untouched.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balloon.h"

#define MAX_KB (1ULL << 50)
#define UNTOUCHED 0x5555555555555555ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first line that starts with label; its number after blanks, which
 * must be followed by " kB", or false when the line has no acceptable
 * number. *found tells whether such a line exists at all. */
static bool
oracle(const char *t, size_t len, const char *label, uint64_t *v, bool *found)
{
	size_t ll = strlen(label), pos = 0;

	*found = false;
	while (pos < len) {
		const char *nl = memchr(t + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - t) : len, i, digits = 0;
		unsigned __int128 acc = 0;

		if (end - pos > ll && memcmp(t + pos, label, ll) == 0) {
			*found = true;
			i = pos + ll;
			while (i < end && (t[i] == ' ' || t[i] == '\t'))
				i++;
			for (; i < end && t[i] >= '0' && t[i] <= '9'; i++, digits++)
				if (digits < 40)
					acc = acc * 10 + (unsigned)(t[i] - '0');
			if (digits == 0 || digits > 19 || acc > MAX_KB)
				return false;
			if (end - i < 3 || memcmp(t + i, " kB", 3) != 0)
				return false;
			*v = (uint64_t)acc;
			return true;
		}
		pos = end + 1;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = malloc(size ? size : 1);
	uint64_t cur = UNTOUCHED, tgt = UNTOUCHED, want_cur = 0, want_tgt = 0;
	bool found, ok_cur, ok_tgt;
	int r;

	assert(t);
	memcpy(t, data, size);
	r = legacy_balloon_parse(t, size, &cur, &tgt);
	ok_cur = oracle(t, size, "Current allocation:", &want_cur, &found);
	ok_tgt = oracle(t, size, "Requested target:", &want_tgt, &found);

	assert(r == 0 || r == -1);
	assert((r == 0) == ok_cur);
	if (r == 0) {
		assert(cur <= MAX_KB && tgt <= MAX_KB);
		assert(cur == want_cur);
		assert(tgt == (ok_tgt ? want_tgt : 0));
	} else {
		assert(cur == UNTOUCHED && tgt == UNTOUCHED);
	}
	free(t);
	return 0;
}
