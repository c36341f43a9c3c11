/* balloon.h - the balloon driver: sysfs (pvops) or legacy /proc/xen/balloon. */
#ifndef XB_BALLOON_H
#define XB_BALLOON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum balloon_kind { BALLOON_NONE, BALLOON_SYSFS, BALLOON_LEGACY };

#define BALLOON_SYSFS_DIR "/sys/devices/system/xen_memory/xen_memory0"
#define BALLOON_LEGACY_FILE "/proc/xen/balloon"

struct balloon {
	enum balloon_kind kind;
	char target_path[PATH_MAX];  /* sysfs target_kb, or the legacy file */
	char current_path[PATH_MAX]; /* sysfs info/current_kb, or the legacy file */
};

/* Look for the sysfs interface, then the legacy one, under root (may be
 * ""). Returns the kind found (BALLOON_NONE: neither exists). */
enum balloon_kind balloon_detect(struct balloon *b, const char *root);
const char *balloon_kind_name(enum balloon_kind kind);

/* Current allocation and the driver's target, in kB. 0, or -1 with errno
 * set and *failed_path naming the file that could not be read. A number
 * that does not end in the kernel's newline (current_kb) or lacks its
 * " kB" unit (legacy) is refused with EINVAL. */
int balloon_read(const struct balloon *b, uint64_t *current_kb, uint64_t *target_kb,
		 const char **failed_path);

/* Write a new target (kB; the legacy file takes bytes). 0 or -1 (errno). */
int balloon_write_target(const struct balloon *b, uint64_t target_kb);

/* Parse the legacy file's text: "Current allocation: N kB" and
 * "Requested target: N kB". Returns 0 when the current allocation was
 * found (target may be 0 when absent), -1 otherwise. */
int legacy_balloon_parse(const char *text, size_t len, uint64_t *current_kb,
			 uint64_t *target_kb);

#endif
