/* once.h - log a failure once, and say when it is over.
 *
 * A daemon that retries every second must not log every second: each
 * source of failure (a kernel file, the balloon driver, a xenstore key)
 * keeps a struct once, logs a failure when it starts or changes, and
 * says so when the source works again.
 */
#ifndef XB_ONCE_H
#define XB_ONCE_H

#include <stdbool.h>
#include <stdint.h>

struct once {
	bool failing;
	uint64_t key;   /* what failed last: an errno value, or once_key() */
};

/* A failure, named by key. Returns true when it is to be logged: the
 * first failure after a success, or one with another key. */
bool once_fail(struct once *o, uint64_t key);

/* A success. Returns true when it ends a failure (to say so). */
bool once_ok(struct once *o);

/* The usual pair of lines: for err != 0, "WHAT: strerror(err);
 * CONSEQUENCE" (a warning) once per distinct error; for err == 0 after a
 * failure, "WHAT: working again". */
void once_report(struct once *o, int err, const char *what, const char *consequence);

/* A key for a failure named by a text (a bad value shown in the log). */
uint64_t once_key(const char *text);

#endif
