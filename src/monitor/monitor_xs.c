/* monitor_xs.c - the monitor's xenstore reads (see monitor.h).
 *
 * Read-only, one xs_read per key, no transaction: a domain that goes
 * away while it is read is noticed by a last read of its home and
 * skipped. Values are parsed with the daemon's parsers (kfiles.c for
 * the meminfo/vmstat texts, in both newline forms; xsval.c for single
 * numbers); whatever does not parse is absent.
 */
#include "monitor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "kfiles.h"
#include "parse.h"
#include "psi.h"
#include "stats.h"
#include "xsval.h"

#define DOMID_MAX 65535u

/* The guest's stats the monitor shows, read from memory/NAME, else from
 * the daemon's fallback (XB_STATS_FALLBACK_PATH) under a stock toolstack
 * that keeps memory/ read-only to the guest. */
static const enum xs_stat shown_stats[] = {
	XSS_MEMINFO, XSS_VMSTAT, XSS_SELFTARGET, XSS_PRESWAP, XSS_PRESSURE, XSS_USED, XSS_GOAL,
	XSS_MODE, XSS_WORKINGSET,
};

/* The value of "key=" in a "k=v k=v" line of the balancer's view, as a
 * number within max, or as the text itself (*txt, *tlen). 0 or -1. */
static int
view_field(const char *v, size_t len, const char *key, uint64_t max, uint64_t *num,
	   const char **txt, size_t *tlen)
{
	size_t kl = strlen(key), i = 0;

	while (i < len) {
		size_t j = i;
		const char *why;

		while (j < len && v[j] != ' ')
			j++;
		if (j - i > kl && memcmp(v + i, key, kl) == 0 && v[i + kl] == '=') {
			if (txt != NULL) {
				*txt = v + i + kl + 1;
				*tlen = j - i - kl - 1;
				return 0;
			}
			return parse_u64(v + i + kl + 1, j - i - kl - 1, 0, max, num, &why);
		}
		i = j + 1;
	}
	return -1;
}

static void
parse_view(struct mon_domain *d, const char *v, size_t len)
{
	static const struct {
		const char *key;
		enum mon_field f;
		uint64_t max;
	} nums[] = {
		{ "share_kb", MF_BAL_SHARE, MON_KB_MAX }, { "weight", MF_BAL_WEIGHT, 10000 },
		{ "min_kb", MF_BAL_MIN, MON_KB_MAX }, { "max_kb", MF_BAL_MAX, MON_KB_MAX },
		{ "stalling", MF_BAL_STALLING, 1 },
	};
	const char *st;
	size_t sl;

	if (view_field(v, len, "state", 0, NULL, &st, &sl) == 0) {
		for (int i = 0; i < MON_BAL_NSTATES; i++)
			if (strlen(mon_bal_states[i]) == sl && memcmp(mon_bal_states[i], st, sl) == 0)
				d->bal_state = i;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		uint64_t x;

		if (view_field(v, len, nums[i].key, nums[i].max, &x, NULL, NULL) == 0) {
			d->val[nums[i].f] = x;
			d->have[nums[i].f] = true;
		}
	}
}

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/* A failed read that only means "no such value here". Anything else
 * fails the whole snapshot: libxenstore reports a dead xenstored with
 * EPIPE or ECONNRESET, then EBADF. */
static int
errno_is_absent(int e)
{
	return e == ENOENT || e == EACCES || e == EPERM;
}

int
mon_list_domains(struct xs_handle *h, unsigned **ids, size_t *n)
{
	unsigned num = 0;
	char **ents;
	unsigned *out;
	size_t k = 0;

	*ids = NULL;
	*n = 0;
	errno = 0;
	ents = xs_directory(h, XBT_NULL, "/local/domain", &num);
	if (ents == NULL) {
		if (errno == ENOENT)
			return 0;
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	out = calloc(num > 0 ? num : 1, sizeof(*out));
	if (out == NULL) {
		free(ents);
		errno = ENOMEM;
		return -1;
	}
	for (unsigned i = 0; i < num; i++) {
		const char *e = ents[i];
		uint64_t v;
		const char *why;

		/* Canonical decimal ids only: no "007", no names. */
		if (e == NULL || e[0] == '0')
			continue;
		if (xsval_parse_u64(e, strlen(e), 1, DOMID_MAX, &v, &why) != 0)
			continue;
		out[k++] = (unsigned)v;
	}
	free(ents);
	qsort(out, k, sizeof(*out), cmp_unsigned);
	*ids = out;
	*n = k;
	return 0;
}

/* xs_read of path; NULL when absent. A failure that is not "absent"
 * is recorded in *fail (an errno value). */
static char *
read_key(struct xs_handle *h, const char *path, unsigned *len, int *fail)
{
	char *v;

	*len = 0;
	errno = 0;
	v = xs_read(h, XBT_NULL, path, len);
	if (v == NULL && !errno_is_absent(errno) && *fail == 0)
		*fail = errno != 0 ? errno : EIO;
	return v;
}

/* The stats (1 << XSS_*) listed under /local/domain/DOMID/DIR; 0 when
 * the directory is absent. A failure that is not "absent" goes to *fail. */
static unsigned
stats_present(struct xs_handle *h, unsigned domid, const char *dir, int *fail)
{
	char path[96];
	char **ents;
	unsigned num = 0, has = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, dir);
	errno = 0;
	ents = xs_directory(h, XBT_NULL, path, &num);
	if (ents == NULL) {
		if (!errno_is_absent(errno) && *fail == 0)
			*fail = errno != 0 ? errno : EIO;
		return 0;
	}
	for (unsigned i = 0; i < num; i++)
		for (int k = 0; k < XSS_COUNT; k++)
			if (strcmp(ents[i], xb_stat_names[k]) == 0)
				has |= 1u << k;
	free(ents);
	return has;
}

static void
set_val(struct mon_domain *d, enum mon_field f, uint64_t v, uint64_t max)
{
	if (v <= max) {
		d->val[f] = v;
		d->have[f] = true;
	}
}

static void
parse_number_key(struct mon_domain *d, enum mon_field f, const char *v,
		 unsigned len, uint64_t max)
{
	uint64_t x;
	const char *why;

	if (v != NULL && xsval_parse_u64(v, len, 0, max, &x, &why) == 0)
		set_val(d, f, x, max);
}

static void
parse_stat(struct mon_domain *d, enum xs_stat k, const char *v, unsigned len)
{
	struct meminfo mi;
	struct vmstat vm;
	struct psi psi;

	switch (k) {
	case XSS_MEMINFO:
		(void)meminfo_parse(v, len, &mi);
		if (mi.have & MI_MEMTOTAL)
			set_val(d, MF_MEMTOTAL, mi.mem_total_kb, MON_KB_MAX);
		if (mi.have & MI_COMMITTED_AS)
			set_val(d, MF_COMMITTED, mi.committed_as_kb, MON_KB_MAX);
		break;
	case XSS_VMSTAT:
		(void)vmstat_parse(v, len, &vm);
		if (vm.have & VM_PSWPIN)
			set_val(d, MF_PSWPIN, vm.pswpin, MON_COUNT_MAX);
		if (vm.have & VM_PSWPOUT)
			set_val(d, MF_PSWPOUT, vm.pswpout, MON_COUNT_MAX);
		if (vm.have & VM_PGPGIN)
			set_val(d, MF_PGPGIN, vm.pgpgin, MON_COUNT_MAX);
		if (vm.have & VM_PGPGOUT)
			set_val(d, MF_PGPGOUT, vm.pgpgout, MON_COUNT_MAX);
		break;
	case XSS_SELFTARGET:
		parse_number_key(d, MF_SELFTARGET, v, len, MON_KB_MAX);
		break;
	case XSS_PRESWAP:
		parse_number_key(d, MF_PRESWAP, v, len, MON_COUNT_MAX);
		break;
	case XSS_PRESSURE:
		(void)psi_parse(v, len, &psi);
		if (psi.have & PSI_SOME)
			set_val(d, MF_PSI_SOME, psi.some.avg10_centi, 10000);
		if (psi.have & PSI_FULL)
			set_val(d, MF_PSI_FULL, psi.full.avg10_centi, 10000);
		break;
	case XSS_USED:
		parse_number_key(d, MF_USED, v, len, MON_KB_MAX);
		break;
	case XSS_GOAL:
		parse_number_key(d, MF_GOAL, v, len, MON_KB_MAX);
		break;
	case XSS_WORKINGSET:
		parse_number_key(d, MF_WORKINGSET, v, len, MON_KB_MAX);
		break;
	case XSS_MODE: {
		size_t n = len > 0 && v[len - 1] == '\n' ? len - 1 : len;

		d->mode = MM_OTHER;
		for (enum mon_mode m = MM_SELF; m < MM_OTHER; m++)
			if (strlen(mon_mode_name(m)) == n && memcmp(mon_mode_name(m), v, n) == 0)
				d->mode = m;
		break;
	}
	case XSS_UPTIME:
	case XSS_HEARTBEAT:
	case XSS_COUNT:
		break;
	}
}

int
mon_read_domain(struct xs_handle *h, unsigned domid, struct mon_domain *d)
{
	char path[128];
	char *v;
	unsigned len;
	int fail = 0;
	bool in_memory = false, in_data = false;
	unsigned mem_has, data_has;

	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->bal_state = -1;

	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	v = read_key(h, path, &len, &fail);
	if (v != NULL) {
		d->name_len = len < MON_NAME_MAX ? len : MON_NAME_MAX;
		memcpy(d->name, v, d->name_len);
		d->have_name = true;
		free(v);
	}

	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", domid);
	v = read_key(h, path, &len, &fail);
	parse_number_key(d, MF_TARGET, v, len, MON_KB_MAX);
	free(v);

	snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", domid);
	v = read_key(h, path, &len, &fail);
	parse_number_key(d, MF_STATIC_MAX, v, len, MON_KB_MAX);
	free(v);

	/* Which stats each place has: two listings, then reads of what is
	 * there only (a guest that publishes under data/ costs no failed
	 * read under memory/ for each key). */
	mem_has = stats_present(h, domid, XB_STATS_DEFAULT_PATH, &fail);
	data_has = stats_present(h, domid, XB_STATS_FALLBACK_PATH, &fail);
	for (size_t i = 0; i < sizeof(shown_stats) / sizeof(shown_stats[0]); i++) {
		enum xs_stat k = shown_stats[i];

		v = NULL;
		if (mem_has & (1u << k)) {
			snprintf(path, sizeof(path), "/local/domain/%u/%s/%s",
			    domid, XB_STATS_DEFAULT_PATH, xb_stat_names[k]);
			v = read_key(h, path, &len, &fail);
			if (v != NULL)
				in_memory = true;
		}
		if (v == NULL && (data_has & (1u << k))) {
			snprintf(path, sizeof(path), "/local/domain/%u/%s/%s",
			    domid, XB_STATS_FALLBACK_PATH, xb_stat_names[k]);
			v = read_key(h, path, &len, &fail);
			if (v != NULL)
				in_data = true;
		}
		if (v != NULL) {
			parse_stat(d, k, v, len);
			free(v);
		}
	}
	d->source = in_memory && in_data ? MS_MIXED :
	    in_memory ? MS_MEMORY : in_data ? MS_DATA : MS_NONE;

	/* The balancer's view of it, when one runs. */
	snprintf(path, sizeof(path), XB_BALANCER_ROOT "/dom/%u", domid);
	v = read_key(h, path, &len, &fail);
	if (v != NULL) {
		parse_view(d, v, len);
		free(v);
	}

	/* Still there? A domain destroyed while we read is skipped. */
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	v = read_key(h, path, &len, &fail);
	if (fail != 0) {
		free(v);
		errno = fail;
		return -1;
	}
	if (v == NULL)
		return 0;
	free(v);
	return 1;
}

int
mon_read_balancer(struct xs_handle *h, struct mon_balancer *b)
{
	static const char *const keys[MB_COUNT] = {
		[MB_FREE_KB] = "free_kb", [MB_RESERVE_KB] = "reserve_kb", [MB_KEEP_KB] = "keep_kb",
		[MB_POOL_KB] = "pool_kb", [MB_WANT_KB] = "want_kb", [MB_SHORT] = "short",
		[MB_MANAGED] = "managed", [MB_FROZEN] = "frozen",
	};
	unsigned len;
	int fail = 0;
	char *v;

	memset(b, 0, sizeof(*b));
	v = read_key(h, XB_BALANCER_ROOT "/host", &len, &fail);
	if (fail != 0) {
		errno = fail;
		return -1;
	}
	if (v == NULL)
		return 0;
	b->present = true;
	for (int i = 0; i < MB_COUNT; i++)
		if (view_field(v, len, keys[i], MON_KB_MAX, &b->val[i], NULL, NULL) == 0)
			b->have[i] = true;
	free(v);
	return 0;
}
