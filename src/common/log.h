/* log.h - the logging API both programs share (after OpenBSD's log.c).
 *
 * Every line is named by the program that prints it
 * (program_invocation_short_name: "xenballoond", "xenballoon-monitor").
 * On stderr (the default, and the daemon in the foreground): one line per
 * message, "NAME: warning: " before a warning. Once the daemon detaches:
 * syslog(LOG_DAEMON) under the same name.
 *
 * The functions that add an error text take it explicitly (log_warnc,
 * fatalc) or from errno as the failing call just left it (log_warn).
 */
#ifndef XB_LOG_H
#define XB_LOG_H

#include <stdbool.h>

/* to_stderr false: syslog from now on. verbose > 0 shows log_debug. */
void log_init(bool to_stderr, int verbose);

/* A refusal: what the program will not do (bad option, bad
 * configuration, nothing to connect to). No level word on stderr. */
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning with strerror(errno), with strerror(err), without. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnc(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_errx, with strerror(errno) for fatal, then exit(1). */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
