/* log.h - the daemon's small logging API (after OpenBSD's log.c).
 *
 * Foreground: stderr, one line per message, prefixed by the level.
 * Daemon: syslog(LOG_DAEMON). log_warn appends strerror(errno).
 */
#ifndef XB_LOG_H
#define XB_LOG_H

#include <stdnoreturn.h>

void log_init(int to_stderr, int verbose, const char *ident);
void log_set_verbose(int verbose);
int log_get_verbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
