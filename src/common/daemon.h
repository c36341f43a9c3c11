/* daemon.h - pidfile lock, detaching, signals. */
#ifndef XB_DAEMON_H
#define XB_DAEMON_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct pidfh;

/* Take the pidfile lock. On another running instance print its pid and
 * return NULL with *other set; on other errors return NULL, other = -1. */
struct pidfh *daemon_pidfile_lock(const char *path, pid_t *other);
int daemon_pidfile_write(struct pidfh *pfh);
void daemon_pidfile_remove(struct pidfh *pfh);

/* The long options every daemon of the project takes, as OpenBSD's do:
 * -f, -d, -n, -v, -V, -h (for a struct option table; <getopt.h>). */
#define DAEMON_LONG_OPTIONS \
	{ "config", required_argument, NULL, 'f' }, \
	{ "foreground", no_argument, NULL, 'd' }, \
	{ "check-config", no_argument, NULL, 'n' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ "help", no_argument, NULL, 'h' }

/* What the options every daemon takes set. */
struct daemon_options {
	const char *config;         /* -f */
	bool foreground;            /* -d */
	bool check_config;          /* -n */
	int verbose;                /* -v, repeatable */
};

/* One option of getopt_long (c, with its argument arg) if it is one of
 * -f, -d, -n, -v, -V, -h: true when it was. -V prints "program VERSION"
 * and -h the usage, and both exit 0. */
bool daemon_option(int c, const char *arg, struct daemon_options *o, const char *program,
		   const char *version, void (*usage)(FILE *fp));

/* Start as a daemon: take the pidfile lock (pidfile NULL: none; *pfh is
 * then NULL), detach unless foreground and log to syslog from then on,
 * write the pid. Returns 0, or -1 after a log line (another instance
 * runs, the pidfile cannot be had, detaching failed). */
int daemon_start(const char *pidfile, bool foreground, int verbose, struct pidfh **pfh);

/* Block SIGTERM, SIGINT, SIGHUP, SIGUSR1 and return a signalfd for them. */
int daemon_signals(void);
/* Read one signal from the signalfd: its number, or 0 when none. */
int daemon_signal_read(int fd);

#endif
