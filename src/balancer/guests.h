/* guests.h - what the balancer knows of one domain, and the pure
 * parsing of every xenstore value it reads for it (the guest's own
 * figures are untrusted: each is parsed with bounds, garbage is refused
 * with a reason and the last good value stands).
 *
 * The keys, relative to /local/domain/<domid>/:
 *   dom0's (the toolstack's):   name, memory/target, memory/static-max,
 *                               memory/videoram
 *   the administrator's:        memory/balancer-weight,
 *                               memory/balancer-min-mb, memory/balancer-max-mb
 *   the guest's xenballoond:    mode, heartbeat, goal, pressure,
 *                               workingset, used, under memory/ or
 *                               data/xenballoon/ (src/common/stats.h)
 */
#ifndef XB_GUESTS_H
#define XB_GUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "once.h"

enum gkey {
	GK_NAME,
	GK_TARGET,
	GK_STATIC_MAX,
	GK_VIDEORAM,
	GK_WEIGHT,
	GK_MIN_MB,
	GK_MAX_MB,
	GK_MODE,
	GK_HEARTBEAT,
	GK_GOAL,
	GK_PRESSURE,
	GK_WORKINGSET,
	GK_USED,
	GK_COUNT
};

/* Keys the administrator sets: honoured only when dom0 owns the node. */
#define GK_IS_ADMIN(k) ((k) == GK_WEIGHT || (k) == GK_MIN_MB || (k) == GK_MAX_MB)
/* Keys the guest writes (either stats directory). */
#define GK_IS_GUEST(k) ((k) >= GK_MODE && (k) < GK_COUNT)

enum gmode { GM_NONE, GM_SELF, GM_DIRECTED, GM_IDLE };

/* What the balancer makes of a domain (published, shown by the monitor). */
enum gstate {
	GS_NODAEMON,  /* publishes no mode: no xenballoond, or an old one */
	GS_SELF,      /* selfballooning: its own business */
	GS_IDLE,      /* its daemon only publishes */
	GS_MANAGED,   /* directed, alive: the balancer sets its target */
	GS_STALE,     /* directed, but no heartbeat: left where it is */
	GS_FROZEN,    /* does not follow its target: left where it is */
	GS_DYING,     /* shutting down */
};

const char *gstate_name(enum gstate s);
const char *gkey_path(enum gkey k);  /* "memory/target", "goal" (stats), ... */

#define GUEST_NAME_MAX 64

struct guest {
	unsigned domid;
	size_t name_len;
	char name[GUEST_NAME_MAX];      /* raw: escape to print */

	/* Parsed values; have[k] false while absent (or never valid). */
	bool have[GK_COUNT];
	uint64_t val[GK_COUNT];         /* kB, MB or a weight, as the key says */
	enum gmode mode;
	bool stats_in_data;             /* the guest's keys came from data/xenballoon */
	struct once bad[GK_COUNT];      /* garbage, logged once per reason */

	/* Pressure: the last "some" total and when it came. */
	uint64_t psi_total_us, psi_at_ms;
	unsigned psi_avg10_centi;
	bool stalling;
	uint64_t stall_at_ms;           /* when stalling was last seen */

	uint64_t heartbeat_at_ms;       /* the last heartbeat write seen (0: none) */
};

/* The key a path under the domain's home names, or -1 when the balancer
 * does not read it; *in_data tells a guest key under data/xenballoon. */
int guest_key_of(const char *rel, size_t len, bool *in_data);

/* Take the value of key k (len bytes, untrusted). stall_permille: the
 * share of time stalled (PSI some) that makes a guest "stalling".
 * Returns 1 when a value the allocation uses changed, 0 when not, -1
 * when the value is garbage (*why says why; the old value stands). */
int guest_take(struct guest *g, enum gkey k, const char *val, size_t len, uint64_t now_ms,
	       unsigned stall_permille, const char **why);

/* The key is gone (rm): the value is absent. Returns 1 when that
 * matters to the allocation. */
int guest_drop(struct guest *g, enum gkey k);

/* The guest's daemon wrote its heartbeat now. */
void guest_heartbeat(struct guest *g, uint64_t now_ms);

#endif
