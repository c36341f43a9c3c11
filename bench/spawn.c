/* spawn.c - run a program and report its resource usage (bench only).
 *
 *   spawn -r FD [-p PRELOAD] PROG ARG...
 *
 * Writes to file descriptor FD (not passed on to PROG) "pid N" as soon
 * as PROG runs, then, once it has exited,
 * "status S utime_us U stime_us S maxrss_kb M" (wait4: the process and
 * all its threads). Exits 0 unless spawning failed.
 *
 * Why not fork from Python: exec records the peak of the memory the
 * child had before it (a copy of its parent's), so a child of a 20 MB
 * Python reports a ru_maxrss of about 20 MB whatever it does. Forked from
 * this small program the figure is the child's own (/bin/true reports
 * under 1 MB; the daemon's agrees with its VmHWM).
 * -p PRELOAD sets LD_PRELOAD in the child only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	const char *preload = NULL;
	struct rusage ru;
	int status, argi = 1, fd = -1;
	FILE *out;
	pid_t pid;

	for (; argi + 1 < argc && argv[argi][0] == '-'; argi += 2) {
		if (strcmp(argv[argi], "-p") == 0)
			preload = argv[argi + 1];
		else if (strcmp(argv[argi], "-r") == 0)
			fd = atoi(argv[argi + 1]);
		else
			break;
	}
	if (argi >= argc || fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "usage: spawn -r FD [-p PRELOAD] PROG ARG...\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("spawn: fork");
		return 1;
	}
	if (pid == 0) {
		if (preload != NULL && setenv("LD_PRELOAD", preload, 1) != 0)
			_exit(127);
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "spawn: %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	fprintf(out, "pid %d\n", (int)pid);
	fflush(out);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("spawn: wait4");
			return 1;
		}
	}
	fprintf(out, "status %d utime_us %ld stime_us %ld maxrss_kb %ld\n",
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	    (long)ru.ru_utime.tv_sec * 1000000L + (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec * 1000000L + (long)ru.ru_stime.tv_usec,
	    ru.ru_maxrss);
	return fclose(out) == 0 ? 0 : 1;
}
