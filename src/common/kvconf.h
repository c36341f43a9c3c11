/* kvconf.h - the shell-style KEY=VALUE files of the project
 * (/etc/sysconfig/xenballoon.conf, /etc/sysconfig/xenballoon-balancer.conf):
 * the lines, the quoting, the errors that name file:line: KEY, and the
 * nearest known key for a misspelt one. What a key means is the
 * caller's: each KEY=VALUE is handed to a callback.
 *
 * Accepted: KEY=VALUE, '#' comments, blank lines, an optional "export",
 * single and double quotes (no $, ` or \ inside double quotes), CRLF.
 * Refused, naming the file and line: anything that would need a shell.
 */
#ifndef XB_KVCONF_H
#define XB_KVCONF_H

#include <stddef.h>
#include <stdio.h>

#define KVCONF_FILE_MAX ((size_t)64 * 1024)
#define KVCONF_KEY_MAX 64
#define KVCONF_VALUE_MAX 4096

/* Called for each assignment, in file order. Returns 0, or -1 with the
 * reason (without file, line or key) in why. */
typedef int (*kvconf_fn)(void *ctx, const char *key, const char *value, unsigned lineno,
			 char *why, size_t whylen);

/* Parse text (len bytes; name is used in messages). Returns 0, or -1
 * with "name:line: KEY: reason" (or "name:line: reason") in err. */
int kvconf_parse(const char *text, size_t len, const char *name, kvconf_fn fn, void *ctx,
		 char *err, size_t errlen);

/* kvconf_parse on the file at path, at most KVCONF_FILE_MAX bytes; an
 * unreadable or larger file is an error naming the path. */
int kvconf_load(const char *path, kvconf_fn fn, void *ctx, char *err, size_t errlen);

/* The known key nearest to name, or NULL when none is near enough to be
 * what was meant (one edit per five characters of the name, at least
 * one). known[i] is read at ((const char *const *)(table + i * stride)):
 * a table of structs whose first member is the name. */
const char *kvconf_nearest(const char *name, const void *table, size_t n, size_t stride);

/* Say that key (at name:lineno) is unknown and ignored, with the nearest
 * known key when there is one (a warning). Returns true when it counts
 * as a mistake: a near miss, or a key with the given prefix. */
int kvconf_unknown(const char *name, unsigned lineno, const char *key, const void *table,
		   size_t n, size_t stride, const char *prefix);

/* Print a value so kvconf_parse reads it back unchanged. */
void kvconf_print_value(FILE *fp, const char *v);

#endif
