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
#include "psi.h"
#include "stats.h"
#include "xsval.h"

#define DOMID_MAX 65535u

/* The guest's stats the monitor shows, read from memory/NAME, else from
 * the daemon's fallback (XB_STATS_FALLBACK_PATH) under a stock toolstack
 * that keeps memory/ read-only to the guest. */
static const enum xs_stat shown_stats[] = {
	XSS_MEMINFO, XSS_VMSTAT, XSS_SELFTARGET, XSS_PRESWAP, XSS_PRESSURE, XSS_USED, XSS_GOAL,
};

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
	case XSS_UPTIME:
	case XSS_MODE:
	case XSS_HEARTBEAT:
	case XSS_WORKINGSET:
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

	memset(d, 0, sizeof(*d));
	d->domid = domid;

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

	for (size_t i = 0; i < sizeof(shown_stats) / sizeof(shown_stats[0]); i++) {
		enum xs_stat k = shown_stats[i];

		snprintf(path, sizeof(path), "/local/domain/%u/%s/%s",
		    domid, XB_STATS_DEFAULT_PATH, xb_stat_names[k]);
		v = read_key(h, path, &len, &fail);
		if (v != NULL) {
			in_memory = true;
		} else {
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
