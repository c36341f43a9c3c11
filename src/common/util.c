/* util.c - small I/O helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd, saved;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	while (len < size - 1) {
		size_t want = size - 1 - len;
		ssize_t n = read(fd, buf + len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* Less than asked for is the end: a kernel file (procfs,
		 * sysfs) hands over all it has in one read, as does a regular
		 * file, so the read that would return 0 is saved (one system
		 * call a file, seven a tick). */
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Kernel attribute files take a value per write(); a stand-in made of a
 * plain file (tests, --root) must not keep the tail of a longer old
 * value, so plain files on ordinary filesystems are truncated first. */
static void
truncate_plain_file(int fd)
{
	const long sysfs_magic = 0x62656572, proc_magic = 0x9fa0;
	struct statfs sfs;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return;
	if (fstatfs(fd, &sfs) != 0 || (long)sfs.f_type == sysfs_magic ||
	    (long)sfs.f_type == proc_magic)
		return;
	if (ftruncate(fd, 0) != 0)
		return;
}

int
write_existing_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, saved;

	/* O_NONBLOCK: a fifo put where a sysfs file should be must not
	 * hang the daemon. */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	truncate_plain_file(fd);
	do {
		n = write(fd, text, len);
	} while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
write_file_atomic(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	ssize_t n;
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	do {
		n = write(fd, text, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len || fsync(fd) != 0) {
		saved = (n >= 0 && (size_t)n != len) ? EIO : errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int
path_under_root(char *out, size_t outsize, const char *root, const char *path)
{
	int n;

	if (root == NULL || root[0] == '\0')
		n = snprintf(out, outsize, "%s", path);
	else
		n = snprintf(out, outsize, "%s%s", root, path);
	if (n < 0 || (size_t)n >= outsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
