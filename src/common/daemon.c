/* daemon.c - pidfile lock (libbsd), signals (signalfd). */
#include "daemon.h"

#include <bsd/libutil.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

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
