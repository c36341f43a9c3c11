/* fuzz_xsval.c - libFuzzer harness for xsval_parse_u64.
 *
 * Input layout: an input of at least 17 bytes starting with the byte
 * 0xff carries bounds: the next 8 bytes are min and the 8 after them
 * max (little endian), the rest is the value. Any other input is the
 * value itself over the full range [0, 2^64-1] (a real value never
 * starts with 0xff, so plain seeds stay plain).
 *
 * Invariants: the result is 0 or -1; it is 0 exactly when the value
 * (less one trailing newline) is 1 to 20 ASCII digits whose number is
 * below 2^64 and within [min, max], as computed independently here;
 * on success *out is that number, on failure *out is untouched and
 * *why is a non-empty reason.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xsval.h"

#define UNTOUCHED 0xA5A5A5A5A5A5A5A5ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The reference: is the text a decimal number in [min, max]? */
static bool
oracle(const char *v, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned __int128 acc = 0;

	if (len > 0 && v[len - 1] == '\n')
		len--;
	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		acc = acc * 10 + (unsigned)(v[i] - '0');
	}
	if (acc > UINT64_MAX || acc < min || acc > max)
		return false;
	*out = (uint64_t)acc;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t min = 0, max = UINT64_MAX, out = UNTOUCHED, want = 0;
	const char *why = NULL;
	char *v;
	size_t len = size;
	bool ok;
	int r;

	if (size >= 17 && data[0] == 0xff) {
		min = le64(data + 1);
		max = le64(data + 9);
		data += 17;
		len -= 17;
	}
	/* Exactly len bytes on the heap: ASan sees any read past them. */
	v = malloc(len ? len : 1);
	assert(v);
	memcpy(v, data, len);
	r = xsval_parse_u64(v, len, min, max, &out, &why);
	ok = oracle(v, len, min, max, &want);

	assert(r == 0 || r == -1);
	assert((r == 0) == ok);
	if (r == 0) {
		assert(out == want);
		assert(out >= min && out <= max);
		/* All digits, but for one final newline. */
		for (size_t i = 0; i < len; i++)
			assert((v[i] >= '0' && v[i] <= '9') || (i == len - 1 && v[i] == '\n'));
	} else {
		assert(out == UNTOUCHED);
		assert(why != NULL && why[0] != '\0');
	}
	free(v);
	return 0;
}
