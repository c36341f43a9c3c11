/* util.h - small I/O helpers shared by the daemon and the monitor. */
#ifndef XB_UTIL_H
#define XB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read at most size-1 bytes of a (small, kernel) file into buf and
 * NUL-terminate it; a read that returns less than asked for ends it.
 * Returns the length, or -1 with errno set. */
ssize_t read_small_file(const char *path, char *buf, size_t size);

/* Write text to path in one write(2), without O_CREAT (sysfs/procfs
 * files). Returns 0, or -1 with errno set. */
int write_existing_file(const char *path, const char *text);

/* Replace path atomically with text: write PATH.tmp, fsync, rename.
 * Returns 0, or -1 with errno set. */
int write_file_atomic(const char *path, const char *text);

/* out = root + path when root is non-empty, else path. Returns 0, or -1
 * when the result does not fit. */
int path_under_root(char *out, size_t outsize, const char *root, const char *path);

/* Monotonic clock in milliseconds. */
uint64_t now_ms(void);

#endif
