/* log.c - stderr in the foreground, syslog once daemonized. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static int log_stderr = 1;
static int log_verbose;

void
log_init(int to_stderr, int verbose, const char *ident)
{
	log_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

static void vlog(int pri, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int pri, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		const char *lvl = pri <= LOG_ERR ? "error: " :
		    pri == LOG_WARNING ? "warning: " : "";
		fprintf(stderr, "xenballoond: %s%s%s%s\n", lvl, msg,
		    suffix ? ": " : "", suffix ? suffix : "");
		fflush(stderr);
	} else if (suffix) {
		syslog(pri, "%s: %s", msg, suffix);
	} else {
		syslog(pri, "%s", msg);
	}
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	char err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_ERR, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
