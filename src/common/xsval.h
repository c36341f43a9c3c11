/* xsval.h - strict parsing of numbers read from xenstore (untrusted). */
#ifndef XB_XSVAL_H
#define XB_XSVAL_H

#include <stddef.h>
#include <stdint.h>

/* Parse a xenstore value of len bytes as a decimal integer in [min, max].
 * Accepted: ASCII digits, optionally one trailing newline. Rejected:
 * empty, sign, spaces, embedded NUL, hex, overflow, out of range.
 * Returns 0 and sets *out, or -1 and sets *why to a static reason. */
int xsval_parse_u64(const char *val, size_t len, uint64_t min, uint64_t max,
		    uint64_t *out, const char **why);

#endif
