/* xsval.c - strict parsing of untrusted numbers from xenstore. */
#include "xsval.h"

int
xsval_parse_u64(const char *val, size_t len, uint64_t min, uint64_t max,
		uint64_t *out, const char **why)
{
	uint64_t v = 0;

	if (val == NULL) {
		*why = "missing";
		return -1;
	}
	if (len > 0 && val[len - 1] == '\n')
		len--;
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

		if (val[i] < '0' || val[i] > '9') {
			*why = val[i] == '\0' ? "embedded NUL" :
			    val[i] == '-' ? "negative" : "not a decimal number";
			return -1;
		}
		d = (unsigned)(val[i] - '0');
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
