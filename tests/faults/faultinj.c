/* faultinj.c - LD_PRELOAD fault injector and write recorder for the
 * fault matrix (tests/faults/test_faults.py).
 *
 * Some failures cannot be produced for real on this machine as root:
 * a file that reads as a number but refuses a write with EINVAL or
 * ENOSPC does not exist outside the real balloon driver. This library,
 * preloaded into the daemon under test, makes chosen calls on chosen
 * paths fail with a chosen errno, and records every write(2) to chosen
 * paths, so the test knows exactly what the daemon tried to write.
 *
 * Environment:
 *   XB_FI_CTL=FILE     rules, re-read whenever FILE changes; one per line:
 *                          SUFFIX OP ERRNO
 *                      SUFFIX matches the end of the path given to open();
 *                      OP is open_r, open_w, read or write; ERRNO is a name
 *                      (EINVAL, ENOSPC, EIO, ...) or a number. An empty
 *                      or missing file injects nothing.
 *   XB_FI_LOG=FILE     appended: one line per write(2) to a recorded path,
 *                          W <monotonic s> <pid> <path> <result> <errno> <hex>
 *                      (<result> is write's return value, <hex> the bytes
 *                      the daemon asked to write, "-" when none), and one
 *                      per failed open for writing of a recorded path,
 *                          O <monotonic s> <pid> <path> -1 <errno> -
 *   XB_FI_RECORD=S1:S2 path suffixes whose writes are recorded.
 *
 * Only open/open64/openat/openat64, read, write, ftruncate and close are
 * wrapped; everything else passes through. While a write rule is active
 * for a path, ftruncate on it does nothing: the daemon truncates plain
 * stand-in files before writing (sysfs files have no length), and a
 * real driver that refuses a write leaves its value as it was. The daemon is single-threaded apart
 * from libxenstore's reader thread, which only touches its socket; the
 * fd table is updated with plain stores, which is enough for that.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 32
#define MAX_FDS 4096
#define SUFFIX_MAX 256
#define FDPATH_MAX 512

enum op { OP_OPEN_R, OP_OPEN_W, OP_READ, OP_WRITE, OP_COUNT };

struct rule {
	char suffix[SUFFIX_MAX];
	enum op op;
	int err;
};

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_close)(int);

static struct rule rules[MAX_RULES];
static int nrules;
static struct timespec ctl_mtime;
static off_t ctl_size = -1;
static ino_t ctl_ino;

/* Per fd: 1 when it was opened on a path we watch (fd_path holds it). */
static unsigned char fd_slot[MAX_FDS];
static char fd_path[MAX_FDS][FDPATH_MAX];

static void
resolve(void)
{
	if (real_open != NULL)
		return;
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_open64 = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_openat64 = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
}

static const struct {
	const char *name;
	int err;
} errnames[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "ENXIO", ENXIO },
	{ "EBADF", EBADF }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "ENODEV", ENODEV }, { "EISDIR", EISDIR }, { "EINVAL", EINVAL },
	{ "ENFILE", ENFILE }, { "EMFILE", EMFILE }, { "EFBIG", EFBIG },
	{ "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "EPIPE", EPIPE },
	{ "ERANGE", ERANGE }, { "EINTR", EINTR }, { "ETIMEDOUT", ETIMEDOUT },
	{ "EDQUOT", EDQUOT }, { "ESTALE", ESTALE }, { "ENOTCONN", ENOTCONN },
};

static int
parse_errno(const char *s)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(s, errnames[i].name) == 0)
			return errnames[i].err;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && v > 0 && v < 4096)
		return (int)v;
	return EIO;
}

static int
parse_op(const char *s, enum op *op)
{
	static const char *const names[OP_COUNT] = {
		[OP_OPEN_R] = "open_r", [OP_OPEN_W] = "open_w", [OP_READ] = "read",
		[OP_WRITE] = "write",
	};

	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(s, names[i]) == 0) {
			*op = (enum op)i;
			return 0;
		}
	return -1;
}

/* Re-read the rules when the control file changed (or vanished). */
static void
load_rules(void)
{
	const char *ctl = getenv("XB_FI_CTL");
	char buf[8192];
	struct stat st;
	ssize_t n, len = 0;
	int fd;

	if (ctl == NULL || *ctl == '\0')
		return;
	if (stat(ctl, &st) != 0) {
		nrules = 0;
		ctl_size = -1;
		return;
	}
	if (st.st_size == ctl_size && st.st_ino == ctl_ino &&
	    st.st_mtim.tv_sec == ctl_mtime.tv_sec && st.st_mtim.tv_nsec == ctl_mtime.tv_nsec)
		return;
	ctl_size = st.st_size;
	ctl_ino = st.st_ino;
	ctl_mtime = st.st_mtim;
	nrules = 0;
	fd = real_open(ctl, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	    (n = real_read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	real_close(fd);
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line != NULL && nrules < MAX_RULES;
	    line = strtok(NULL, "\n")) {
		char suffix[SUFFIX_MAX], opname[32], errname[32];
		struct rule *r = &rules[nrules];

		if (sscanf(line, "%255s %31s %31s", suffix, opname, errname) != 3 ||
		    suffix[0] == '#')
			continue;
		if (parse_op(opname, &r->op) != 0)
			continue;
		memcpy(r->suffix, suffix, sizeof(r->suffix));
		r->err = parse_errno(errname);
		nrules++;
	}
}

static int
ends_with(const char *path, const char *suffix)
{
	size_t lp = strlen(path), ls = strlen(suffix);

	return lp >= ls && strcmp(path + lp - ls, suffix) == 0;
}

/* The errno to inject for op on path, or 0. */
static int
injected(const char *path, enum op op)
{
	for (int i = 0; i < nrules; i++)
		if (rules[i].op == op && ends_with(path, rules[i].suffix))
			return rules[i].err;
	return 0;
}

static int
recorded(const char *path)
{
	const char *list = getenv("XB_FI_RECORD");
	char item[SUFFIX_MAX];

	if (list == NULL)
		return 0;
	while (*list) {
		size_t n = strcspn(list, ":");

		if (n > 0 && n < sizeof(item)) {
			memcpy(item, list, n);
			item[n] = '\0';
			if (ends_with(path, item))
				return 1;
		}
		list += n;
		if (*list == ':')
			list++;
	}
	return 0;
}

/* Any rule for read or write on this path, or recording: track the fd. */
static int
interesting(const char *path)
{
	for (int i = 0; i < nrules; i++)
		if ((rules[i].op == OP_READ || rules[i].op == OP_WRITE) &&
		    ends_with(path, rules[i].suffix))
			return 1;
	return recorded(path);
}

static void record(char kind, const char *path, const void *buf, size_t len, ssize_t res,
		   int err);

static int
before_open(const char *path, int flags)
{
	enum op op = (flags & O_ACCMODE) == O_RDONLY ? OP_OPEN_R : OP_OPEN_W;
	int err, saved = errno;

	resolve();
	if (path == NULL)
		return 0;
	load_rules();
	err = injected(path, op);
	if (err != 0 && op == OP_OPEN_W)
		record('O', path, NULL, 0, -1, err);
	errno = err != 0 ? err : saved;
	return err;
}

static int
after_open(int fd, const char *path, int flags)
{
	int saved = errno;

	if (fd < 0 && path != NULL && (flags & O_ACCMODE) != O_RDONLY)
		record('O', path, NULL, 0, -1, saved);
	if (fd >= 0 && fd < MAX_FDS && path != NULL) {
		if (interesting(path)) {
			snprintf(fd_path[fd], sizeof(fd_path[fd]), "%s", path);
			fd_slot[fd] = 1;
		} else {
			fd_slot[fd] = 0;
		}
	}
	errno = saved;
	return fd;
}

static mode_t
mode_arg(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (before_open(path, flags) != 0)
		return -1;
	return after_open(real_open(path, flags, mode), path, flags);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (before_open(path, flags) != 0)
		return -1;
	return after_open(real_open64(path, flags, mode), path, flags);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (before_open(path, flags) != 0)
		return -1;
	return after_open(real_openat(dirfd, path, flags, mode), path, flags);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (before_open(path, flags) != 0)
		return -1;
	return after_open(real_openat64(dirfd, path, flags, mode), path, flags);
}

static void
record(char kind, const char *path, const void *buf, size_t len, ssize_t res, int err)
{
	const char *log = getenv("XB_FI_LOG");
	char line[1024];
	struct timespec ts;
	int n, fd;

	if (log == NULL || *log == '\0' || !recorded(path))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(line, sizeof(line), "%c %lld.%09ld %d %s %zd %d ", kind,
	    (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(), path, res, err);
	for (size_t i = 0; i < len && n + 3 < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x",
		    ((const unsigned char *)buf)[i]);
	if (len == 0 && n + 2 < (int)sizeof(line))
		line[n++] = '-';
	line[n++] = '\n';
	fd = real_open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (real_write(fd, line, (size_t)n) < 0)
		n = 0;
	real_close(fd);
}

ssize_t
read(int fd, void *buf, size_t count)
{
	int err, saved;

	resolve();
	if (fd >= 0 && fd < MAX_FDS && fd_slot[fd]) {
		saved = errno;
		load_rules();
		err = injected(fd_path[fd], OP_READ);
		if (err != 0) {
			errno = err;
			return -1;
		}
		errno = saved;
	}
	return real_read(fd, buf, count);
}

ssize_t
write(int fd, const void *buf, size_t count)
{
	ssize_t res;
	int err, saved;

	resolve();
	if (fd < 0 || fd >= MAX_FDS || !fd_slot[fd])
		return real_write(fd, buf, count);
	saved = errno;
	load_rules();
	err = injected(fd_path[fd], OP_WRITE);
	if (err != 0) {
		record('W', fd_path[fd], buf, count, -1, err);
		errno = err;
		return -1;
	}
	errno = saved;
	res = real_write(fd, buf, count);
	err = res < 0 ? errno : 0;
	record('W', fd_path[fd], buf, count, res, err);
	errno = res < 0 ? err : saved;
	return res;
}

int
ftruncate(int fd, off_t length)
{
	int saved;

	resolve();
	if (fd >= 0 && fd < MAX_FDS && fd_slot[fd]) {
		saved = errno;
		load_rules();
		if (injected(fd_path[fd], OP_WRITE) != 0) {
			errno = saved;
			return 0;
		}
		errno = saved;
	}
	return real_ftruncate(fd, length);
}

int
close(int fd)
{
	resolve();
	if (fd >= 0 && fd < MAX_FDS)
		fd_slot[fd] = 0;
	return real_close(fd);
}
