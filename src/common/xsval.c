/* xsval.c - strict parsing of untrusted numbers from xenstore. */
#include "xsval.h"

#include "parse.h"

int
xsval_parse_u64(const char *val, size_t len, uint64_t min, uint64_t max,
		uint64_t *out, const char **why)
{
	/* One trailing newline is allowed (see xsval.h). */
	if (val != NULL && len > 0 && val[len - 1] == '\n')
		len--;
	return parse_u64(val, len, min, max, out, why);
}
