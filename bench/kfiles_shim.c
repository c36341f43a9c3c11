/* kfiles_shim.c - LD_PRELOAD for `make bench`: fake kernel files that
 * change on every read, with no other process involved.
 *
 * With KFILES_ROOT=DIR and KFILES_VERSIONS=N in the environment, an
 * open() of DIR/proc/meminfo, DIR/proc/vmstat, DIR/proc/uptime or
 * DIR/proc/sys/vm/preswap opens DIR/.versions/<same path>/NNNN instead,
 * NNNN = the number of earlier opens of that file modulo N (four digits).
 * bench.py writes the N versions beforehand, each different from the
 * one before it, so every open sees new contents, deterministically, and
 * the daemon and the floor see the very same sequence. Every other open
 * is passed through unchanged; the cost for the process is a few string
 * compares per open, no system call is added. KFILES_VERSIONS=0 only
 * counts (below) and redirects nothing.
 *
 * KFILES_COUNTER=FILE (optional, created by the caller, 32 bytes): the
 * opens of each of the four files are counted there, as little-endian
 * uint64 in a shared mapping, so the caller can read them during the run
 * (the tick count) and after it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NFILES 4

static const char *const rel[NFILES] = {
	"/proc/meminfo", "/proc/vmstat", "/proc/uptime", "/proc/sys/vm/preswap",
};

static char path[NFILES][PATH_MAX];
static char vdir[NFILES][PATH_MAX];
static uint64_t local_count[NFILES];
static volatile uint64_t *count = local_count;
static unsigned long versions;
static int active;

__attribute__((constructor)) static void
kfiles_init(void)
{
	const char *root = getenv("KFILES_ROOT"), *n = getenv("KFILES_VERSIONS");
	const char *counter = getenv("KFILES_COUNTER");

	if (root == NULL || n == NULL || (versions = strtoul(n, NULL, 10)) > 10000)
		return;
	for (int i = 0; i < NFILES; i++) {
		if ((size_t)snprintf(path[i], PATH_MAX, "%s%s", root, rel[i]) >= PATH_MAX - 8 ||
		    (size_t)snprintf(vdir[i], PATH_MAX, "%s/.versions%s", root, rel[i]) >=
		    PATH_MAX - 8)
			return;
	}
	if (counter != NULL) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, counter, O_RDWR | O_CLOEXEC);
		void *m = fd < 0 ? MAP_FAILED :
		    mmap(NULL, NFILES * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (fd >= 0)
			close(fd);
		if (m != MAP_FAILED)
			count = m;
	}
	active = 1;
}

static const char *
redirect(const char *p, char *buf)
{
	if (!active || p == NULL)
		return p;
	for (int i = 0; i < NFILES; i++) {
		if (strcmp(p, path[i]) == 0) {
			if (versions == 0) {
				count[i]++;
				return p;
			}
			snprintf(buf, PATH_MAX, "%s/%04lu", vdir[i],
			    (unsigned long)(count[i] % versions));
			count[i]++;
			return buf;
		}
	}
	return p;
}

static int
do_open(int dirfd, const char *p, int flags, mode_t mode)
{
	char buf[PATH_MAX];

	return (int)syscall(SYS_openat, dirfd, redirect(p, buf), flags, mode);
}

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int
open(const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, p, flags, mode);
}

int
open64(const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, p, flags, mode);
}

int
openat(int dirfd, const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(dirfd, p, flags, mode);
}

int
openat64(int dirfd, const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(dirfd, p, flags, mode);
}

int __open_2(const char *p, int flags);
int __open64_2(const char *p, int flags);

int
__open_2(const char *p, int flags)
{
	return do_open(AT_FDCWD, p, flags, 0);
}

int
__open64_2(const char *p, int flags)
{
	return do_open(AT_FDCWD, p, flags, 0);
}
