/* psi.c - the /proc/pressure/memory parser. */
#include "psi.h"

#include <string.h>

#include "parse.h"

#define PSI_TOTAL_MAX (1ULL << 60)

/* The number of digits at *p, within [0, max]; advances *p past it. */
static int
take_u64(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	size_t n = parse_digits(*p, (size_t)(end - *p));
	const char *why;

	if (n == 0 || parse_u64(*p, n, 0, max, out, &why) != 0)
		return -1;
	*p += n;
	return 0;
}

/* "12.34" -> 1234, at most 100.00; two decimals at most, as the kernel
 * prints them. Advances *p past the number. */
static int
parse_centi(const char **p, const char *end, unsigned *out)
{
	const char *s = *p;
	uint64_t whole, frac = 0;
	size_t fdigits = 0;

	if (take_u64(&s, end, 100, &whole) != 0)
		return -1;
	if (s < end && *s == '.') {
		s++;
		fdigits = parse_digits(s, (size_t)(end - s));
		if (fdigits == 0 || fdigits > 2 || take_u64(&s, end, 99, &frac) != 0)
			return -1;
		if (fdigits == 1)
			frac *= 10;
	}
	if (whole * 100 + frac > 10000)
		return -1;
	*out = (unsigned)(whole * 100 + frac);
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
		if (i == 3 ? take_u64(&s, end, PSI_TOTAL_MAX, &out->total_us) != 0 :
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
	struct line_iter it;
	const char *line;
	size_t n;

	memset(out, 0, sizeof(*out));
	/* A guest's copy read in dom0 may have its newlines escaped. */
	line_iter_init(&it, text, len, true);
	while (line_next(&it, &line, &n)) {
		struct psi_line fields = { 0 };
		unsigned bit = 0;

		if (n > 5 && memcmp(line, "some ", 5) == 0)
			bit = PSI_SOME;
		else if (n > 5 && memcmp(line, "full ", 5) == 0)
			bit = PSI_FULL;
		if (bit == 0 || (out->have & bit) || parse_fields(line + 5, line + n, &fields) != 0)
			continue;
		if (bit == PSI_SOME)
			out->some = fields;
		else
			out->full = fields;
		out->have |= bit;
	}
	return (out->have & PSI_SOME) ? 0 : -1;
}
