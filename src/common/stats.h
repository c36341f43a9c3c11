/* stats.h - the statistics a guest's xenballoond publishes to xenstore
 * and dom0's xenballoon-monitor reads back (README, "Xenstore keys"):
 * their names and the two places they may live. */
#ifndef XB_STATS_H
#define XB_STATS_H

/* The published keys, in the order the daemon writes them. */
enum xs_stat {
	XSS_SELFTARGET,
	XSS_MEMINFO,
	XSS_VMSTAT,
	XSS_UPTIME,
	XSS_PRESWAP,
	XSS_PRESSURE,   /* /proc/pressure/memory's text */
	XSS_USED,       /* kB, MemTotal - MemAvailable (the guest's own figure) */
	XSS_GOAL,       /* kB, balloon units: the selfballooning goal; directed,
			 * the target the guest asks for */
	XSS_MODE,       /* "self", "directed" or "idle" */
	XSS_HEARTBEAT,  /* a counter rewritten at least once a second, directed */
	XSS_WORKINGSET, /* kB, the page cache the goal keeps (MemTotal side) */
	XSS_COUNT
};

/* Where the keys go by default, as Xen 3.4's xenballoond wrote them. */
#define XB_STATS_DEFAULT_PATH "memory"
/* Where they go when the toolstack keeps memory/ read-only to the guest,
 * as a stock xl does: the guest may write under data/. */
#define XB_STATS_FALLBACK_PATH "data/xenballoon"

/* Where dom0's xenballoon-balancer publishes its view, for
 * xenballoon-monitor: ROOT/host ("free_kb=N reserve_kb=N ..."), and
 * ROOT/dom/<domid> ("state=managed target_kb=N share_kb=N weight=N ...")
 * (xenballoon-balancer(8), "PUBLISHED VIEW"). */
#define XB_BALANCER_ROOT "/tool/xenballoon-balancer"

/* The key's name under the stats path: "selftarget", "meminfo", ... */
extern const char *const xb_stat_names[XSS_COUNT];

#endif
