/* daemon.c - pidfile lock (libbsd), signals (signalfd). */
#include "daemon.h"

#include <bsd/libutil.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

struct pidfh *
daemon_pidfile_lock(const char *path, pid_t *other)
{
	struct pidfh *pfh;

	*other = -1;
	/* libbsd locks the file with flock(); a pidfile left by a dead
	 * process is not locked, so it does not block a start. */
	pfh = pidfile_open(path, 0644, other);
	if (pfh == NULL && errno != EEXIST)
		*other = -1;
	return pfh;
}

int
daemon_pidfile_write(struct pidfh *pfh)
{
	return pfh ? pidfile_write(pfh) : 0;
}

void
daemon_pidfile_remove(struct pidfh *pfh)
{
	if (pfh != NULL)
		pidfile_remove(pfh);
}

int
daemon_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	/* A closed pipe (stderr of a vanished terminal) must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int
daemon_signal_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	do {
		n = read(fd, &si, sizeof(si));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

int
daemon_start(const char *pidfile, bool foreground, int verbose, struct pidfh **pfh)
{
	*pfh = NULL;
	if (pidfile != NULL) {
		pid_t other;

		*pfh = daemon_pidfile_lock(pidfile, &other);
		if (*pfh == NULL) {
			if (other > 0)
				log_errx("already running as pid %d (%s)", (int)other, pidfile);
			else
				log_errx("%s: %s", pidfile, strerror(errno));
			return -1;
		}
	}
	if (!foreground) {
		if (daemon(0, 0) != 0) {
			log_errx("daemon: %s", strerror(errno));
			daemon_pidfile_remove(*pfh);
			*pfh = NULL;
			return -1;
		}
		log_init(false, verbose);
	}
	daemon_pidfile_write(*pfh);
	return 0;
}

bool
daemon_option(int c, const char *arg, struct daemon_options *o, const char *program,
	      const char *version, void (*usage)(FILE *fp))
{
	switch (c) {
	case 'f':
		o->config = arg;
		return true;
	case 'd':
		o->foreground = true;
		return true;
	case 'n':
		o->check_config = true;
		return true;
	case 'v':
		o->verbose++;
		return true;
	case 'V':
		printf("%s %s\n", program, version);
		exit(0);
	case 'h':
		usage(stdout);
		exit(0);
	default:
		return false;
	}
}
