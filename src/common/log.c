/* log.c - stderr, or syslog once the daemon detaches (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static bool log_stderr = true;
static int log_verbose;

void
log_init(bool to_stderr, int verbose)
{
	log_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(program_invocation_short_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int pri, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* err: an errno value whose text ends the line, 0 for none. */
static void
vlog(int pri, int err, const char *fmt, va_list ap)
{
	char msg[1024];
	char errtext[128] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != 0)
		snprintf(errtext, sizeof(errtext), ": %s", strerror(err));
	if (log_stderr) {
		fprintf(stderr, "%s: %s%s%s\n", program_invocation_short_name,
		    pri == LOG_WARNING ? "warning: " : "", msg, errtext);
		fflush(stderr);
	} else {
		syslog(pri, "%s%s", msg, errtext);
	}
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnc(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

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
	vlog(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
