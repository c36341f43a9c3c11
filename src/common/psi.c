/* psi.c - the /proc/pressure/memory parser. */
#include "psi.h"

#include <ctype.h>
#include <string.h>

#define PSI_TOTAL_MAX (1ULL << 60)

/* "12.34" -> 1234, at most 100.00; two decimals at most, as the kernel
 * prints them. Advances *p past the number. */
static int
parse_centi(const char **p, const char *end, unsigned *out)
{
	const char *s = *p;
	unsigned whole = 0, frac = 0;
	int digits = 0, fdigits = 0;

	for (; s < end && isdigit((unsigned char)*s); s++) {
		whole = whole * 10 + (unsigned)(*s - '0');
		if (whole > 100)
			return -1;
		digits++;
	}
	if (digits == 0)
		return -1;
	if (s < end && *s == '.') {
		for (s++; s < end && isdigit((unsigned char)*s); s++) {
			if (++fdigits > 2)
				return -1;
			frac = frac * 10 + (unsigned)(*s - '0');
		}
		if (fdigits == 0)
			return -1;
		if (fdigits == 1)
			frac *= 10;
	}
	if (whole * 100 + frac > 10000)
		return -1;
	*out = whole * 100 + frac;
	*p = s;
	return 0;
}

static int
parse_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || !isdigit((unsigned char)*s))
		return -1;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > PSI_TOTAL_MAX)
			return -1;
	}
	*out = v;
	*p = s;
	return 0;
}

/* One "avg10=.. avg60=.. avg300=.. total=.." list, in any order, each
 * field exactly once. */
static int
parse_fields(const char *s, const char *end, struct psi_line *out)
{
	static const char *const names[] = { "avg10=", "avg60=", "avg300=", "total=" };
	unsigned seen = 0;

	while (s < end) {
		size_t i;

		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		for (i = 0; i < 4; i++) {
			size_t n = strlen(names[i]);

			if ((size_t)(end - s) >= n && memcmp(s, names[i], n) == 0)
				break;
		}
		if (i == 4 || (seen & (1u << i)))
			return -1;
		s += strlen(names[i]);
		seen |= 1u << i;
		if (i == 3 ? parse_u64(&s, end, &out->total_us) != 0 :
		    parse_centi(&s, end, i == 0 ? &out->avg10_centi :
			i == 1 ? &out->avg60_centi : &out->avg300_centi) != 0)
			return -1;
		if (s < end && *s != ' ' && *s != '\t')
			return -1;
	}
	return seen == 0xf ? 0 : -1;
}

int
psi_parse(const char *text, size_t len, struct psi *out)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct psi_line line = { 0 };
		unsigned bit = 0;

		if (eol == NULL)
			eol = end;
		if (eol - p > 5 && memcmp(p, "some ", 5) == 0)
			bit = PSI_SOME;
		else if (eol - p > 5 && memcmp(p, "full ", 5) == 0)
			bit = PSI_FULL;
		if (bit != 0 && !(out->have & bit) && parse_fields(p + 5, eol, &line) == 0) {
			if (bit == PSI_SOME)
				out->some = line;
			else
				out->full = line;
			out->have |= bit;
		}
		p = eol + (eol < end);
	}
	return (out->have & PSI_SOME) ? 0 : -1;
}
