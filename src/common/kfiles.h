/* kfiles.h - parsers for the kernel's text files (/proc/meminfo,
 * /proc/vmstat, /proc/uptime). Pure: text in, numbers out.
 *
 * The same parsers read a guest's published copies in dom0, where the
 * text may arrive with its newlines escaped as the two characters "\n";
 * both forms separate lines. Every number is bounded (no overflow), and
 * a malformed line is skipped, never fatal.
 */
#ifndef XB_KFILES_H
#define XB_KFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	MI_MEMTOTAL = 1u << 0,
	MI_MEMFREE = 1u << 1,
	MI_MEMAVAILABLE = 1u << 2,
	MI_COMMITTED_AS = 1u << 3,
	MI_SWAPTOTAL = 1u << 4,
	MI_SWAPFREE = 1u << 5,
	MI_ACTIVE_FILE = 1u << 6,
	MI_INACTIVE_FILE = 1u << 7,
};

struct meminfo {
	uint64_t mem_total_kb;
	uint64_t mem_free_kb;
	uint64_t mem_available_kb;
	uint64_t committed_as_kb;
	uint64_t swap_total_kb;
	uint64_t swap_free_kb;
	uint64_t active_file_kb;    /* Active(file): cache read more than once */
	uint64_t inactive_file_kb;  /* Inactive(file) */
	unsigned have; /* MI_* bits of the fields found */
};

/* Returns 0 when MemTotal and Committed_AS were both found, -1 otherwise
 * (out is filled with whatever was found either way). */
int meminfo_parse(const char *text, size_t len, struct meminfo *out);

/* Memory in use, as the guest sees it: MemTotal - MemAvailable, or,
 * on kernels before 3.14 (no MemAvailable), MemTotal - MemFree, the
 * cautious stand-in. 0 when MemTotal is missing. */
uint64_t meminfo_used_kb(const struct meminfo *mi);

/* The page cache: Active(file) + Inactive(file). Returns false when the
 * kernel gave neither. */
bool meminfo_file_kb(const struct meminfo *mi, uint64_t *kb);

enum {
	VM_PSWPIN = 1u << 0,
	VM_PSWPOUT = 1u << 1,
	VM_PGPGIN = 1u << 2,
	VM_PGPGOUT = 1u << 3,
	VM_PGFAULT = 1u << 4,
	VM_PGMAJFAULT = 1u << 5,
	VM_REFAULT_ANON = 1u << 6,
	VM_REFAULT_FILE = 1u << 7,
	VM_REFAULT = 1u << 8,
	VM_PGSTEAL_KSWAPD = 1u << 9,
	VM_PGSTEAL_DIRECT = 1u << 10,
};

struct vmstat {
	uint64_t pswpin;
	uint64_t pswpout;
	uint64_t pgpgin;
	uint64_t pgpgout;
	uint64_t pgfault;
	uint64_t pgmajfault;
	/* Pages read back soon after reclaim: workingset_refault_anon and
	 * _file (Linux 5.9+), or workingset_refault (4.x-5.8). */
	uint64_t refault_anon;
	uint64_t refault_file;
	uint64_t refault;
	/* Pages the kernel reclaimed (evicted cache, swapped out) for want
	 * of free memory: by kswapd, and by the allocating task itself. */
	uint64_t pgsteal_kswapd;
	uint64_t pgsteal_direct;
	unsigned have; /* VM_* bits */
};

/* Returns 0 when at least one field was found, -1 otherwise. */
int vmstat_parse(const char *text, size_t len, struct vmstat *out);

/* Copy as much of a vmstat text as fits in limit bytes (without the
 * terminating NUL) into out: first the lines dom0 tools use (pswpin,
 * pswpout, pgpgin, pgpgout, pgfault, pgmajfault), then the others in
 * their original order while they fit. Whole lines only. Returns the
 * length written; out is always NUL-terminated (outsize > limit). */
size_t vmstat_trim(const char *text, size_t len, char *out, size_t outsize, size_t limit);

#endif
