/* pressure.h - the pressure-aware selfballooning goal
 * (XENBALLOON_GOAL=pressure): size the guest by the memory it really
 * uses plus a headroom learnt from how fast that use grows, grow at
 * once when the headroom runs out or tasks stall for memory, give
 * memory back quickly while nothing stalls. Pure: no I/O, the caller
 * brings the clock and the readings, and writes the decision.
 *
 * Balloon figures (goal_kb, new_kb, the bounds) are in balloon units;
 * used_kb, cache_kb, headroom_kb and MemAvailable are the guest's own
 * (MemTotal side). The two differ by offset_kb = current_kb - MemTotal.
 */
#ifndef XB_PRESSURE_H
#define XB_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/* Tunables, one home each. */
#define PRESSURE_FAST_SAMPLE_MS 250u   /* sampling while use rises */
#define PRESSURE_WINDOW_MS 10000u      /* growth remembered this long */
#define PRESSURE_HORIZON_MS 1000u      /* headroom = growth rate x this */
#define PRESSURE_FAST_HORIZON_MS 750u  /* ... this, for growth that keeps the
					* samples at 250 ms, unless a hot
					* cache is kept */
#define PRESSURE_MIN_HEADROOM_KB 32768u /* ... and never less than this */
#define PRESSURE_HOLDOFF_MS 3000u      /* no shrinking this long after a grow */
#define PRESSURE_SHRINK_EVERY_MS 1000u /* at most one shrink step a second, */
#define PRESSURE_TICK_SLACK_MS 100u    /*   less a tick's jitter */
#define PRESSURE_DEADBAND_MIN_KB 4096u /* moves smaller than this, or 1/64 */
#define PRESSURE_DEADBAND_DIV 64u      /*   of the target, are not made */
#define PRESSURE_RISE_KB 1024u         /* use rising: at least this per sample */
#define PRESSURE_GROWING_MS 2000u      /* no shrinking while use rose this much
					* (RISE_KB) within this long: a slow
					* allocation is still an allocation */
#define PRESSURE_NEAR_HEADROOMS 2u     /* MemAvailable within this many
					* headrooms: sample fast, settled or not */
/* Stall ("some" PSI time) over the last interval, parts per million. */
#define PRESSURE_STALL_QUIET_PPM 100u  /* at most: shrink fast (3/4 of the gap) */
#define PRESSURE_STALL_STOP_PPM 1000u  /* above: no shrinking (0.1 %) */
#define PRESSURE_STALL_GROW_PPM 5000u  /* at least: grow (0.5 %) */
#define PRESSURE_STALL_RISING_PPM 1000u /* ... or this much while use rises:
					 * reclaim has begun under an
					 * allocation (0.1 %) */
/* Refaults and swap-ins, pages a second, above which we do not shrink. */
#define PRESSURE_REFAULT_QUIET_PAGES_S 64u
/* Pages reclaimed a second (pgsteal) while use rises, from which we grow
 * as for a stall: the allocation has met reclaim, which evicts the
 * newest cache first. Needs no PSI. */
#define PRESSURE_RECLAIM_RISING_PAGES_S 256u
/* The balloon still this far above its target, or this much smaller than
 * at the last sample, is (or was) taking memory: a stall then is its own
 * reclaim (it evicts cache to take pages), not a task's need, unless
 * pages are read back. */
#define PRESSURE_INFLATING_KB 1024u
/* Kept cache from this much is a hot cache, which a grow falling short
 * would have the kernel evict: grows then run a horizon ahead. Less (a
 * few pages of a guest without a disk) is nothing to read back. */
#define PRESSURE_HOT_CACHE_KB 4096u

#define PRESSURE_RING 64

struct pressure_sample {
	uint64_t t_ms;
	uint64_t inuse_kb;           /* used + kept cache */
};

struct pressure_state {
	struct pressure_sample ring[PRESSURE_RING];
	unsigned head, count;      /* ring[head] is the newest */
	bool have_prev;            /* the counters below hold a reading */
	uint64_t prev_ms;
	uint64_t prev_some_us;
	uint64_t prev_refault_pages;
	uint64_t prev_reclaim_pages;
	bool prev_had_psi, prev_had_refault, prev_had_reclaim;
	uint64_t last_grow_ms;
	bool grown;                /* last_grow_ms is set */
	uint64_t prev_current_kb;  /* the balloon's allocation at the last sample */
	bool watching;             /* the last sample saw use rise, a burst
				    * remembered or a grow: samples pace growth */
	uint64_t last_shrink_ms;
	bool shrunk;               /* last_shrink_ms is set */
};

struct pressure_in {
	uint64_t now_ms;             /* monotonic */
	uint64_t mem_total_kb;       /* MemTotal */
	uint64_t used_kb;            /* MemTotal - MemAvailable (meminfo_used_kb) */
	uint64_t cache_keep_kb;      /* page cache counted as in use (workingset.h) */
	bool cache_refaulting;       /* the cache's own pages are read back: a stall
				      * is theirs, and the kept cache has grown by
				      * what was read back */
	uint64_t target_kb;          /* the balloon's present target */
	uint64_t current_kb;         /* the balloon's allocation (0: as target_kb) */
	const struct policy_out *bounds; /* offset, floor and maximum */
	bool have_psi;               /* some_us is a reading */
	uint64_t some_us;            /* PSI memory "some" total */
	bool have_refaults;          /* refault_pages is a reading */
	uint64_t refault_pages;      /* workingset refaults + pswpin, totals */
	bool have_reclaim;           /* reclaim_pages is a reading */
	uint64_t reclaim_pages;      /* pgsteal_kswapd + pgsteal_direct, total */
};

enum pressure_action { PRESSURE_HOLD, PRESSURE_GROW, PRESSURE_SHRINK };

struct pressure_out {
	uint64_t used_kb;            /* MemTotal - MemAvailable */
	uint64_t cache_kb;           /* page cache counted as in use */
	uint64_t inuse_kb;           /* used + cache: what the goal starts from */
	uint64_t rate_kb_s;          /* fastest growth of use in the window */
	uint64_t headroom_kb;
	uint64_t goal_kb;            /* used + headroom, balloon units, clamped */
	uint64_t new_kb;             /* the target to write (when write) */
	uint64_t deadband_kb;
	unsigned stall_ppm;          /* some stall over the last interval */
	uint64_t refault_pages_s;    /* over the last interval */
	uint64_t reclaim_pages_s;    /* over the last interval */
	enum pressure_action action;
	bool write;
	const char *why;             /* a few words for the logs */
	unsigned next_sample_ms;     /* sample again this soon; 0 = next tick */
	const char *sampling_why;    /* why so soon (NULL: the tick) */
};

void pressure_init(struct pressure_state *st);

/* One sample: update st and decide. */
void pressure_decide(struct pressure_state *st, const struct pressure_in *in,
		     struct pressure_out *out);

const char *pressure_action_name(enum pressure_action a);

#endif
