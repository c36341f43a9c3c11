/* parse.h - the number parser and line iterator both programs use for
 * text they did not write (kernel files, xenstore values, xl's output,
 * the command line). Every number is bounded; nothing overflows.
 */
#ifndef XB_PARSE_H
#define XB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The decimal number that fills s[0..len) exactly, in [min, max] (after
 * OpenBSD's strtonum(3), for u64 and counted text). Accepted: 1 to 20
 * ASCII digits. Rejected: empty, sign, blank, any other byte (an
 * embedded NUL too), overflow, out of range. Returns 0 and sets *out,
 * or -1 and sets *why to a static reason; *out is untouched then. */
int parse_u64(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out,
	      const char **why);

/* How many ASCII digits s[0..len) starts with. */
size_t parse_digits(const char *s, size_t len);

/* A number of seconds written as a decimal, fractions allowed
 * ("0.5", "2"), in [min_s, max_s]. Returns 0 and sets *out, or -1. */
int parse_seconds(const char *s, double min_s, double max_s, double *out);

/* Lines of a text of known length, without their terminator. With
 * escaped, the two characters "\n" also end a line: a guest's published
 * copy of a kernel file may arrive so in dom0. */
struct line_iter {
	const char *p, *end;
	bool escaped;
};

void line_iter_init(struct line_iter *it, const char *text, size_t len, bool escaped);
/* The next line into *line, *len; false at the end. */
bool line_next(struct line_iter *it, const char **line, size_t *len);

#endif
