/* balloon.c - the two balloon driver interfaces Linux has had.
 *
 * pvops kernels (every kernel since 2.6.3x): sysfs target_kb (write kB)
 * and info/current_kb. Legacy XenLinux: /proc/xen/balloon, written in
 * bytes, read as a small report with a "Current allocation:" line.
 */
#include "balloon.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "parse.h"
#include "xsval.h"

/* Largest target we write: 2^50 kB (1 EiB), so bytes fit in 64 bits. */
#define BALLOON_MAX_KB (1ULL << 50)

const char *
balloon_kind_name(enum balloon_kind kind)
{
	switch (kind) {
	case BALLOON_SYSFS:
		return "sysfs " BALLOON_SYSFS_DIR;
	case BALLOON_LEGACY:
		return "legacy " BALLOON_LEGACY_FILE;
	case BALLOON_NONE:
	default:
		return "none";
	}
}

enum balloon_kind
balloon_detect(struct balloon *b, const char *root)
{
	memset(b, 0, sizeof(*b));
	if (path_under_root(b->target_path, sizeof(b->target_path), root,
		BALLOON_SYSFS_DIR "/target_kb") == 0 &&
	    path_under_root(b->current_path, sizeof(b->current_path), root,
		BALLOON_SYSFS_DIR "/info/current_kb") == 0 &&
	    access(b->target_path, F_OK) == 0 && access(b->current_path, F_OK) == 0) {
		b->kind = BALLOON_SYSFS;
		return b->kind;
	}
	if (path_under_root(b->target_path, sizeof(b->target_path), root,
		BALLOON_LEGACY_FILE) == 0 &&
	    access(b->target_path, F_OK) == 0) {
		strlcpy(b->current_path, b->target_path, sizeof(b->current_path));
		b->kind = BALLOON_LEGACY;
		return b->kind;
	}
	memset(b, 0, sizeof(*b));
	return BALLOON_NONE;
}

/* "Label:   N kB" anywhere in text, bounded. */
static int
find_kb(const char *text, size_t len, const char *label, uint64_t *out)
{
	size_t ll = strlen(label);
	struct line_iter it;
	const char *line;
	size_t n;

	line_iter_init(&it, text, len, false);
	while (line_next(&it, &line, &n)) {
		size_t i = ll, digits;
		const char *why;

		if (n <= ll || memcmp(line, label, ll) != 0)
			continue;
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		digits = parse_digits(line + i, n - i);
		/* The unit must follow: a report cut in the middle of its
		 * number would otherwise read as a tiny size. */
		if (digits == 0 || digits > 19 || n - i - digits < 3 ||
		    memcmp(line + i + digits, " kB", 3) != 0)
			return -1;
		return parse_u64(line + i, digits, 0, BALLOON_MAX_KB, out, &why);
	}
	return -1;
}

int
legacy_balloon_parse(const char *text, size_t len, uint64_t *current_kb, uint64_t *target_kb)
{
	uint64_t cur, tgt = 0;

	if (find_kb(text, len, "Current allocation:", &cur) != 0)
		return -1;
	if (find_kb(text, len, "Requested target:", &tgt) != 0)
		tgt = 0;
	*current_kb = cur;
	*target_kb = tgt;
	return 0;
}

/* A sysfs number. whole_line: it must end in the newline the kernel
 * always prints, so a value cut short (a stand-in file being rewritten)
 * is refused rather than read as a smaller number. */
static int
read_kb_file(const char *path, bool whole_line, uint64_t *out)
{
	char buf[64];
	const char *why;
	ssize_t n = read_small_file(path, buf, sizeof(buf));

	if (n < 0)
		return -1;
	if ((whole_line && (n == 0 || buf[n - 1] != '\n')) ||
	    xsval_parse_u64(buf, (size_t)n, 1, BALLOON_MAX_KB, out, &why) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
balloon_read(const struct balloon *b, uint64_t *current_kb, uint64_t *target_kb,
	     const char **failed_path)
{
	char buf[1024];
	ssize_t n;

	*failed_path = b->current_path;
	switch (b->kind) {
	case BALLOON_SYSFS:
		if (read_kb_file(b->current_path, true, current_kb) != 0)
			return -1;
		/* target_kb: what we wrote may lack the newline (stand-ins). */
		*failed_path = b->target_path;
		return read_kb_file(b->target_path, false, target_kb);
	case BALLOON_LEGACY:
		n = read_small_file(b->current_path, buf, sizeof(buf));
		if (n < 0)
			return -1;
		if (legacy_balloon_parse(buf, (size_t)n, current_kb, target_kb) != 0 ||
		    *current_kb == 0) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	case BALLOON_NONE:
	default:
		errno = ENODEV;
		return -1;
	}
}

int
balloon_write_target(const struct balloon *b, uint64_t target_kb)
{
	char buf[32];

	if (target_kb == 0 || target_kb > BALLOON_MAX_KB) {
		errno = ERANGE;
		return -1;
	}
	switch (b->kind) {
	case BALLOON_SYSFS:
		snprintf(buf, sizeof(buf), "%" PRIu64, target_kb);
		return write_existing_file(b->target_path, buf);
	case BALLOON_LEGACY:
		snprintf(buf, sizeof(buf), "%" PRIu64, target_kb * 1024);
		return write_existing_file(b->target_path, buf);
	case BALLOON_NONE:
	default:
		errno = ENODEV;
		return -1;
	}
}
