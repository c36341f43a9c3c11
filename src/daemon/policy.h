/* policy.h - the pure ballooning policy: numbers in, a decision out.
 *
 * All targets are in balloon units (kB of the balloon driver's
 * allocation). MemTotal is smaller than the balloon's allocation (the
 * kernel's own and reserved pages), so every goal derived from MemTotal
 * or Committed_AS is moved into balloon units by adding
 * offset = current_kb - MemTotal.
 */
#ifndef XB_POLICY_H
#define XB_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The 2008 balloon driver's floor, in MB, from the maxmem high-water
 * mark in kB (xenballoon.conf(5), XENBALLOON_MINMEM). */
uint64_t policy_floor_mb(uint64_t maxmem_kb);

/* One step toward goal: down by 1/down of the gap, up by 1/up of it.
 * Selfballooning only: a directed target is applied as is. */
uint64_t policy_step(uint64_t current_kb, uint64_t goal_kb, unsigned down, unsigned up);

enum policy_mode { MODE_SELF, MODE_DIRECTED, MODE_IDLE };

struct policy_in {
	enum policy_mode mode;
	uint64_t mem_total_kb;      /* MemTotal */
	uint64_t committed_as_kb;   /* Committed_AS */
	uint64_t current_kb;        /* balloon's current allocation */
	uint64_t driver_target_kb;  /* the driver's target now; 0 = as current_kb */
	uint64_t maxmem_kb;         /* MemTotal high-water mark */
	uint64_t minmem_mb;         /* config floor, 0 = heuristic */
	unsigned reserve_percent;   /* extra goal, percent of MemTotal */
	uint64_t directed_kb;       /* MODE_DIRECTED: dom0's target, balloon units */
	uint64_t static_max_kb;     /* 0 = unknown */
	unsigned down_hysteresis;   /* > 0 */
	unsigned up_hysteresis;     /* > 0 */
};

struct policy_out {
	uint64_t offset_kb;   /* current_kb - MemTotal (0 if negative) */
	uint64_t goal_kb;     /* what we steer to, balloon units, clamped */
	uint64_t floor_kb;    /* balloon units */
	uint64_t max_kb;      /* static-max, or UINT64_MAX when unknown */
	uint64_t new_kb;      /* the target to write */
	bool write;           /* new_kb is to be written: not idle, and new_kb
			       * differs from the driver's target */
	bool clamped_floor;   /* the raw goal was below the floor */
	bool clamped_max;     /* the raw goal was above the maximum */
};

void policy_decide(const struct policy_in *in, struct policy_out *out);

/* kb held within out's floor and maximum (as policy_decide computed
 * them). */
uint64_t policy_clamp(const struct policy_out *out, uint64_t kb);

/* The tmem preswap shrinker (as Xen 3.4's xenballoond with the 2009
 * preswap patch, with the tail fixed: when
 * the preswap is at most hysteresis pages, the target is 0). */
struct preswap_state {
	uint64_t now_pages;
	uint64_t last_pages;
	unsigned counter;
};

/* Feed one reading. Returns true and sets *target_pages when a shrink
 * should be written this tick. */
bool preswap_step(struct preswap_state *st, uint64_t pages, unsigned inertia,
		  unsigned hysteresis, uint64_t *target_pages);

#endif
