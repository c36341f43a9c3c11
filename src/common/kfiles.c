/* kfiles.c - parsers for /proc/meminfo, /proc/vmstat and their copies. */
#include "kfiles.h"

#include <stddef.h>
#include <string.h>

#include "parse.h"

/* The largest value we accept: 2^60, far above any real counter, so
 * sums and the kB->bytes conversion cannot overflow. */
#define KF_VALUE_MAX (1ULL << 60)

/* Parse the first run of digits in s (after blanks); bounded. Sets *end
 * to the index after the digits. */
static int
parse_number(const char *s, size_t len, uint64_t *out, size_t *end)
{
	size_t i = 0, n;
	const char *why;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	n = parse_digits(s + i, len - i);
	if (parse_u64(s + i, n, 0, KF_VALUE_MAX, out, &why) != 0)
		return -1;
	*end = i + n;
	return 0;
}

/* If line starts with name followed by sep, parse the number after it.
 * With unit, the number must be followed by blanks and that unit: a line
 * torn in the middle of its number (a file read while it was cut) has
 * no unit and is not taken. */
static int
match_field(const char *line, size_t len, const char *name, char sep, const char *unit,
	    uint64_t *out)
{
	size_t n = strlen(name), end, ul;
	const char *rest;

	if (len <= n || memcmp(line, name, n) != 0 || line[n] != sep)
		return 0;
	if (parse_number(line + n + 1, len - n - 1, out, &end) != 0)
		return 0;
	if (unit == NULL)
		return 1;
	rest = line + n + 1 + end;
	len -= n + 1 + end;
	while (len > 0 && (*rest == ' ' || *rest == '\t')) {
		rest++;
		len--;
	}
	ul = strlen(unit);
	return len >= ul && memcmp(rest, unit, ul) == 0;
}

int
meminfo_parse(const char *text, size_t len, struct meminfo *out)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned bit;
	} fields[] = {
		{ "MemTotal", offsetof(struct meminfo, mem_total_kb), MI_MEMTOTAL },
		{ "MemFree", offsetof(struct meminfo, mem_free_kb), MI_MEMFREE },
		{ "MemAvailable", offsetof(struct meminfo, mem_available_kb), MI_MEMAVAILABLE },
		{ "Committed_AS", offsetof(struct meminfo, committed_as_kb), MI_COMMITTED_AS },
		{ "SwapTotal", offsetof(struct meminfo, swap_total_kb), MI_SWAPTOTAL },
		{ "SwapFree", offsetof(struct meminfo, swap_free_kb), MI_SWAPFREE },
		{ "Active(file)", offsetof(struct meminfo, active_file_kb), MI_ACTIVE_FILE },
		{ "Inactive(file)", offsetof(struct meminfo, inactive_file_kb), MI_INACTIVE_FILE },
	};
	struct line_iter it;
	const char *line;
	size_t n;

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text, len, true);
	while (line_next(&it, &line, &n)) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			uint64_t v;

			if (out->have & fields[i].bit)
				continue;
			if (match_field(line, n, fields[i].name, ':', "kB", &v)) {
				*(uint64_t *)(void *)((char *)out + fields[i].off) = v;
				out->have |= fields[i].bit;
				break;
			}
		}
	}
	return (out->have & (MI_MEMTOTAL | MI_COMMITTED_AS)) ==
	    (MI_MEMTOTAL | MI_COMMITTED_AS) ? 0 : -1;
}

uint64_t
meminfo_used_kb(const struct meminfo *mi)
{
	uint64_t avail = (mi->have & MI_MEMAVAILABLE) ? mi->mem_available_kb : mi->mem_free_kb;

	if (!(mi->have & MI_MEMTOTAL))
		return 0;
	return mi->mem_total_kb > avail ? mi->mem_total_kb - avail : 0;
}

bool
meminfo_file_kb(const struct meminfo *mi, uint64_t *kb)
{
	if (!(mi->have & (MI_ACTIVE_FILE | MI_INACTIVE_FILE)))
		return false;
	*kb = mi->active_file_kb + mi->inactive_file_kb;
	return true;
}

#define VM_FIELD(name, bit) { #name, sizeof(#name) - 1, offsetof(struct vmstat, name), bit }

/* The first VM_NKEYS fields are the lines dom0 tools use, published
 * first; the others are read for the pressure goal only. */
static const struct {
	const char *name;
	size_t len;
	size_t off;
	unsigned bit;
} vm_fields[] = {
	VM_FIELD(pswpin, VM_PSWPIN),
	VM_FIELD(pswpout, VM_PSWPOUT),
	VM_FIELD(pgpgin, VM_PGPGIN),
	VM_FIELD(pgpgout, VM_PGPGOUT),
	VM_FIELD(pgfault, VM_PGFAULT),
	VM_FIELD(pgmajfault, VM_PGMAJFAULT),
	{ "workingset_refault_anon", sizeof("workingset_refault_anon") - 1,
	  offsetof(struct vmstat, refault_anon), VM_REFAULT_ANON },
	{ "workingset_refault_file", sizeof("workingset_refault_file") - 1,
	  offsetof(struct vmstat, refault_file), VM_REFAULT_FILE },
	{ "workingset_refault", sizeof("workingset_refault") - 1,
	  offsetof(struct vmstat, refault), VM_REFAULT },
	VM_FIELD(pgsteal_kswapd, VM_PGSTEAL_KSWAPD),
	VM_FIELD(pgsteal_direct, VM_PGSTEAL_DIRECT),
};
#define VM_NFIELDS (sizeof(vm_fields) / sizeof(vm_fields[0]))
#define VM_NKEYS 6

int
vmstat_parse(const char *text, size_t len, struct vmstat *out)
{
	struct line_iter it;
	const char *line;
	size_t n;

	memset(out, 0, sizeof(*out));
	line_iter_init(&it, text, len, true);
	while (line_next(&it, &line, &n)) {
		for (size_t i = 0; i < VM_NFIELDS; i++) {
			uint64_t v;

			if (out->have & vm_fields[i].bit)
				continue;
			if (match_field(line, n, vm_fields[i].name, ' ', NULL, &v)) {
				*(uint64_t *)(void *)((char *)out + vm_fields[i].off) = v;
				out->have |= vm_fields[i].bit;
				break;
			}
		}
	}
	return out->have ? 0 : -1;
}

static int
is_key_line(const char *line, size_t n)
{
	for (size_t i = 0; i < VM_NKEYS; i++) {
		size_t k = vm_fields[i].len;

		/* The cheap tests first: this runs on every line, every tick. */
		if (n > k && line[k] == ' ' && line[0] == vm_fields[i].name[0] &&
		    memcmp(line, vm_fields[i].name, k) == 0)
			return 1;
	}
	return 0;
}

size_t
vmstat_trim(const char *text, size_t len, char *out, size_t outsize, size_t limit)
{
	size_t used = 0;

	if (outsize == 0)
		return 0;
	if (limit >= outsize)
		limit = outsize - 1;
	/* Two passes over the text: the key lines, then the rest. */
	for (int pass = 0; pass < 2; pass++) {
		struct line_iter it;
		const char *line;
		size_t n;

		line_iter_init(&it, text, len, true);
		while (line_next(&it, &line, &n)) {
			if (n == 0 || is_key_line(line, n) != (pass == 0))
				continue;
			if (memchr(line, '\0', n) != NULL)
				continue;
			if (used + n + 1 > limit)
				continue;
			memcpy(out + used, line, n);
			used += n;
			out[used++] = '\n';
		}
	}
	out[used] = '\0';
	return used;
}
