/* monitor.h - xenballoon-monitor, dom0's view of what the guests'
 * xenballoond published (xenballoon-monitor(8)).
 *
 *   monitor.c       options, the frame loop, watch mode
 *   monitor_xs.c    one snapshot: the domains' xenstore keys
 *   monitor_host.c  xl info / xl tmem-list, run with a time-out, parsed
 *   monitor_out.c   table, JSON and Prometheus renderers, escaping
 *
 * Everything a guest wrote is untrusted: only numbers parsed from it
 * (bounded) are kept; the one string kept, the domain name, is escaped
 * by every renderer.
 */
#ifndef XB_MONITOR_H
#define XB_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_handle;

/* Per-domain values. */
enum mon_field {
	MF_MEMTOTAL,    /* kB, MemTotal of the published meminfo */
	MF_SELFTARGET,  /* kB, selftarget */
	MF_COMMITTED,   /* kB, Committed_AS of the published meminfo */
	MF_PSWPIN,      /* pages, vmstat */
	MF_PSWPOUT,     /* pages, vmstat */
	MF_PGPGIN,      /* kB, vmstat */
	MF_PGPGOUT,     /* kB, vmstat */
	MF_PRESWAP,     /* pages, preswap */
	MF_PRECACHE,    /* pages, tmem ephemeral pages (xl tmem-list) */
	MF_TARGET,      /* kB, memory/target (written by the toolstack) */
	MF_STATIC_MAX,  /* kB, memory/static-max (written by the toolstack) */
	MF_USED,        /* kB, used: MemTotal - MemAvailable */
	MF_GOAL,        /* kB (balloon), goal: what selfballooning steers to */
	MF_PSI_SOME,    /* percent x 100, pressure: "some" avg10 */
	MF_PSI_FULL,    /* percent x 100, pressure: "full" avg10 */
	MF_WORKINGSET,  /* kB, workingset: the page cache the goal keeps */
	/* The balancer's view (XB_BALANCER_ROOT/dom/<domid>), when it runs. */
	MF_BAL_SHARE,   /* kB, its share under the allocation rule */
	MF_BAL_WEIGHT,  /* the weight it was given */
	MF_BAL_MIN,     /* kB, its floor */
	MF_BAL_MAX,     /* kB, its ceiling */
	MF_BAL_STALLING, /* 1 while its tasks stall for memory */
	MF_COUNT
};

/* The mode a guest's xenballoond published (mode). */
enum mon_mode { MM_NONE, MM_SELF, MM_DIRECTED, MM_IDLE, MM_OTHER };

const char *mon_mode_name(enum mon_mode m);

/* Where a domain's published statistics were found. */
enum mon_source { MS_NONE, MS_MEMORY, MS_DATA, MS_MIXED };

#define MON_NAME_MAX 256     /* bytes of the domain name kept */
#define MON_KB_MAX (1ULL << 50)     /* larger kB values are garbage */
#define MON_COUNT_MAX (1ULL << 60)  /* larger counts are garbage */

struct mon_domain {
	unsigned domid;
	bool have_name;
	size_t name_len;
	char name[MON_NAME_MAX];  /* raw bytes, untrusted: escape to print */
	bool have[MF_COUNT];
	uint64_t val[MF_COUNT];
	enum mon_source source;
	enum mon_mode mode;          /* the daemon's published mode */
	int bal_state;               /* index in mon_bal_states, -1: none shown */
};

/* The balancer's states, as it publishes them (src/balancer/guests.c). */
#define MON_BAL_NSTATES 7
extern const char *const mon_bal_states[MON_BAL_NSTATES];

/* Host values. */
enum mon_hfield {
	MH_FREE_MIB,         /* xl info free_memory */
	MH_TMEM_IDLE_PAGES,  /* tmem-list G= Ta: */
	MH_TMEM_EPH_PAGES,   /* tmem-list G= Ec: */
	MH_COUNT
};

struct mon_host {
	bool have[MH_COUNT];
	uint64_t val[MH_COUNT];
};

/* The balancer's host view (XB_BALANCER_ROOT/host). */
enum mon_bfield {
	MB_FREE_KB, MB_RESERVE_KB, MB_KEEP_KB, MB_POOL_KB, MB_WANT_KB, MB_SHORT,
	MB_MANAGED, MB_FROZEN, MB_COUNT
};

struct mon_balancer {
	bool present;
	bool have[MB_COUNT];
	uint64_t val[MB_COUNT];
};

struct mon_snapshot {
	struct mon_domain *dom;  /* sorted by domid */
	size_t ndom;
	struct mon_host host;
	struct mon_balancer bal;
};

void mon_snapshot_free(struct mon_snapshot *s);

/* Set by the SIGINT/SIGTERM/SIGHUP handler (monitor.c). */
extern volatile sig_atomic_t mon_stop;

/* --- monitor_xs.c ---------------------------------------------------- */

/* The domain ids under /local/domain, except 0, ascending. Returns 0
 * (a missing /local/domain is an empty list), or -1 with errno set when
 * xenstore failed. *ids is malloc'd. */
int mon_list_domains(struct xs_handle *h, unsigned **ids, size_t *n);

/* Read one domain's keys into d (the precache field is left alone).
 * Returns 1 when read, 0 when the domain vanished, -1 with errno set
 * when xenstore failed. */
int mon_read_domain(struct xs_handle *h, unsigned domid, struct mon_domain *d);

/* The balancer's host view into *b (absent: b->present false). -1 with
 * errno when xenstore failed. */
int mon_read_balancer(struct xs_handle *h, struct mon_balancer *b);

/* --- monitor_host.c -------------------------------------------------- */

struct mon_tmem_client {
	unsigned domid;
	uint64_t eph_pages;
};

struct mon_tmem {
	bool have_idle, have_eph;
	uint64_t idle_pages, eph_pages;
	struct mon_tmem_client *cli;
	size_t ncli, cap;
};

/* The xl to run: $XENBALLOON_MONITOR_XL when set and non-empty, else the
 * first executable "xl" in $PATH, /usr/sbin, /sbin. Returns 0, or -1
 * when there is none. */
int mon_find_xl(char *out, size_t size);

/* The ephemeral pages of a client, or -1 when it has no C= line. */
int mon_tmem_lookup(const struct mon_tmem *t, unsigned domid, uint64_t *pages);
void mon_tmem_free(struct mon_tmem *t);

/* Query the host through xl (path NULL: nothing to query); fills host
 * and tmem (both zeroed first). */
void mon_query_host(const char *xl, struct mon_host *host, struct mon_tmem *tmem);

/* --- monitor_out.c ---------------------------------------------------- */

/* A growable output buffer; allocation failure is fatal (exit 1). */
struct mbuf {
	char *p;
	size_t len, cap;
};

void mbuf_put(struct mbuf *b, const char *s, size_t n);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_free(struct mbuf *b);

/* The table: header, one row per domain, the host summary line. With
 * prev non-NULL, cells whose value differs from prev (and the rows of
 * domains prev lacks) are highlighted in reverse video; with ansi, each
 * line ends with "erase to end of line" (drawing in place). */
void mon_render_table(struct mbuf *b, const struct mon_snapshot *cur,
		      const struct mon_snapshot *prev, bool longfmt, bool ansi);
void mon_render_json(struct mbuf *b, const struct mon_snapshot *s);
void mon_render_prom(struct mbuf *b, const struct mon_snapshot *s);

/* Escapers, exposed for the renderers (and their tests). */
void mon_put_json_string(struct mbuf *b, const char *s, size_t n);
void mon_put_prom_label(struct mbuf *b, const char *s, size_t n);
/* At most maxw printable ASCII characters; others become '?', a longer
 * name ends with '~'. */
void mon_put_safe_text(struct mbuf *b, const char *s, size_t n, size_t maxw);

#endif
