/* workingset.h - the page cache the pressure goal keeps (pure).
 *
 * MemTotal - MemAvailable counts every page of the page cache as free,
 * so a goal built on it alone gives away a service's hot data, which
 * then comes back as disk reads. This module decides how much of the
 * cache the goal counts as in use: all cache as it is read, until it
 * has gone unused for a while; then it is given back gradually, the
 * kernel choosing which pages go (its LRU evicts the coldest first).
 * A page read back soon after it was evicted (a workingset refault)
 * says the cache given back was still in use: the kept cache grows by
 * what was read back, and the next release waits twice as long.
 * See xenballoon.conf(5), XENBALLOON_CACHE_HOLD.
 *
 * All figures are the guest's own (MemTotal side), in kB.
 */
#ifndef XB_WORKINGSET_H
#define XB_WORKINGSET_H

#include <stdbool.h>
#include <stdint.h>

/* Tunables, one home each. */
#define WS_GENS 8                  /* cache remembered in this many generations */
#define WS_GEN_SPAN_MS 15000u      /* cache read within this long joins one */
#define WS_BACKOFF_MAX 3u          /* refuted releases double the hold, up to 8x */
#define WS_STEP_EVERY_MS 5000u     /* at most one release step this often */
#define WS_PROBE_DIV 32u           /* first steps: 1/32 of the kept cache */
#define WS_FAST_AFTER_MS 30000u    /* unused this long past the hold: */
#define WS_FAST_DIV 8u             /*   1/8 a step */
#define WS_STEP_MIN_KB 1024u       /* no step smaller (unless less is kept) */
#define WS_REFUTE_MS 30000u        /* refaults this soon after a step refute it */
#define WS_REFAULT_MIN_KB 256u     /* file refaults under this a sample: noise */
#define WS_REFAULT_CAP_MIN_KB 16384u /* a sample's refaults count up to the
				      * cache's size, at least this */
#define WS_GROWTH_MIN_KB 256u      /* cache growth under this a sample: noise */
#define WS_NOISE_SPAN_MS 1000u     /* the two floors above hold for this long:
				    * samples closer together add up to it */
#define WS_PAGE_KB 4u

struct ws_gen {
	uint64_t kb;       /* cache kept for this generation */
	uint64_t born_ms;  /* when its first page was counted */
	uint64_t used_ms;  /* last sign that it is in use */
};

struct ws_state {
	struct ws_gen gen[WS_GENS]; /* gen[0] is the oldest */
	unsigned ngen;
	uint64_t kept_kb;          /* the sum of the generations */
	bool have_prev;
	uint64_t prev_file_kb;     /* the cache growth is measured from */
	uint64_t file_base_ms;     /*   read then */
	bool prev_had_refaults;
	uint64_t prev_refault_pages; /* the refaults are counted from */
	uint64_t refault_base_ms;  /*   read then */
	bool stepped;              /* last_step_ms is set */
	uint64_t last_step_ms;
	unsigned backoff;          /* the hold is hold_ms << backoff */
};

struct ws_in {
	uint64_t now_ms;           /* monotonic */
	uint64_t hold_ms;          /* XENBALLOON_CACHE_HOLD; 0 = keep no cache */
	bool have_file;            /* file_kb is a reading */
	uint64_t file_kb;          /* Active(file) + Inactive(file) */
	bool have_refaults;        /* refault_pages is a reading */
	uint64_t refault_pages;    /* workingset_refault_file (total) */
	bool stalling;             /* tasks stall for memory: release nothing */
};

struct ws_out {
	uint64_t keep_kb;          /* the cache the goal counts as in use */
	uint64_t kept_kb;          /* the generations' sum (may exceed the cache) */
	uint64_t file_kb;          /* the cache now */
	uint64_t refault_kb;       /* file refaults since the last sample (or
				    * the last second's, while under the floor) */
	uint64_t added_kb;         /* new cache counted this sample */
	uint64_t released_kb;      /* given back this sample */
	uint64_t idle_ms;          /* the oldest generation unused this long */
	uint64_t hold_ms;          /* the hold now, with its back-off */
	bool refuted;              /* refaults came soon after a release */
	const char *why;           /* a few words for the logs */
};

void ws_init(struct ws_state *st);

/* One sample: update st and say how much cache to keep. */
void ws_update(struct ws_state *st, const struct ws_in *in, struct ws_out *out);

#endif
