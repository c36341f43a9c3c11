/* parse.c - bounded numbers and lines (see parse.h). */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out,
	  const char **why)
{
	uint64_t v = 0;

	if (s == NULL) {
		*why = "missing";
		return -1;
	}
	if (len == 0) {
		*why = "empty";
		return -1;
	}
	if (len > 20) {
		*why = "too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9') {
			*why = s[i] == '\0' ? "embedded NUL" :
			    s[i] == '-' ? "negative" : "not a decimal number";
			return -1;
		}
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	if (v < min) {
		*why = "below the allowed range";
		return -1;
	}
	if (v > max) {
		*why = "above the allowed range";
		return -1;
	}
	*out = v;
	return 0;
}

size_t
parse_digits(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int
parse_seconds(const char *s, double min_s, double max_s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min_s || v > max_s)
		return -1;
	*out = v;
	return 0;
}

void
line_iter_init(struct line_iter *it, const char *text, size_t len, bool escaped)
{
	it->p = text;
	it->end = text + len;
	it->escaped = escaped;
}

bool
line_next(struct line_iter *it, const char **line, size_t *len)
{
	const char *s = it->p, *nl, *q;

	if (s >= it->end)
		return false;
	/* memchr, not a loop over bytes: vmstat is read every tick, twice
	 * when it is trimmed, and most of a tick's own CPU went here. */
	nl = memchr(s, '\n', (size_t)(it->end - s));
	if (nl == NULL)
		nl = it->end;
	for (q = s; it->escaped && (q = memchr(q, '\\', (size_t)(nl - q))) != NULL; q++) {
		if (q + 1 < it->end && q[1] == 'n') {
			*line = s;
			*len = (size_t)(q - s);
			it->p = q + 2;
			return true;
		}
	}
	*line = s;
	*len = (size_t)(nl - s);
	it->p = nl < it->end ? nl + 1 : it->end;
	return true;
}
