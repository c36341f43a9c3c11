/* alloc.h - the balancer's allocation rule, a pure function
 * (xenballoon-balancer(8), "ALLOCATION").
 *
 * Given the host's free memory, the free memory to keep, and for each
 * directed guest what it holds, its target, what it asks for (its goal)
 * and the bounds and weight its administrator set, it says which target
 * each guest gets now, and why. No I/O: every figure comes in as a
 * number and every decision goes out as one, so the rule is tested
 * without xenstore or a hypervisor (tests/unit/test_alloc.c).
 *
 * All memory figures are in kB, in the units of memory/target. Every
 * input is clamped to ALLOC_KB_MAX first, so no sum overflows whatever a
 * guest published.
 */
#ifndef XB_ALLOC_H
#define XB_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALLOC_KB_MAX (1ULL << 40)      /* 1 PiB: larger figures are clamped */
#define ALLOC_WEIGHT_MAX 10000u
#define ALLOC_WEIGHT_DEFAULT 100u

struct alloc_guest {
	/* Inputs. */
	uint64_t cur_kb;       /* what the hypervisor says it holds now */
	uint64_t extra_kb;     /* of which, settled, beyond its target: pages
				* the hypervisor counts and its balloon does not
				* manage, which no target gives back */
	uint64_t target_kb;    /* memory/target now */
	bool have_goal;
	uint64_t goal_kb;      /* what the guest asks for (untrusted) */
	uint64_t min_kb;       /* never below (the administrator's floor) */
	uint64_t max_kb;       /* never above (the administrator's, static-max) */
	unsigned weight;       /* 1..ALLOC_WEIGHT_MAX; 0 is taken as 1 */
	bool stalling;         /* its tasks wait for memory (PSI) */
	bool frozen;           /* not moved; holds max(cur, target) */
	bool rejoining;        /* was frozen above its target, rejoins: a
				* rise up to cur takes no free memory */

	/* Outputs. */
	uint64_t want_kb;      /* goal within [min, max] */
	uint64_t share_kb;     /* what the rule gives it */
	uint64_t new_target_kb; /* the target to set now (== target_kb: none) */
	int why;               /* ALLOC_WHY_* */
	unsigned rank;         /* growth order: 1 first, 2 next, ...; 0 = no growth */

	/* Scratch, alloc_run's own (no allocation in the rule). */
	uint64_t demand_kb;
	bool done;
};

/* Why a guest's target is what it is. */
enum {
	ALLOC_WHY_STEADY,      /* within the deadband: left alone */
	ALLOC_WHY_GOAL,        /* moved to its goal: memory is plentiful */
	ALLOC_WHY_SHARE,       /* moved to its weighted share: memory is short */
	ALLOC_WHY_SURPLUS,     /* grown beyond its goal: the surplus shared by weight */
	ALLOC_WHY_FLOOR,       /* at its minimum: even that is more than there is */
	ALLOC_WHY_WAIT,        /* grows, but only by what is free now (donors release) */
	ALLOC_WHY_FROZEN,      /* frozen: not moved */
};

const char *alloc_why_name(int why);

struct alloc_host {
	uint64_t free_kb;      /* free in the hypervisor now */
	uint64_t keep_free_kb; /* the reserve, or more while a --free is held */
	uint64_t deadband_kb;  /* a shrink smaller than this is not made */
	uint64_t step_min_kb;  /* no growth of less than this (unless it completes) */
	bool share_surplus;    /* give what no goal asks for away, by weight */
};

struct alloc_result {
	uint64_t pool_kb;      /* what the directed guests may hold in all */
	uint64_t want_kb;      /* what they ask for in all */
	bool short_of_memory;  /* want > pool */
	bool floors_unmet;     /* even their minimums exceed the pool */
	uint64_t budget_kb;    /* free above keep_free, less growth in flight */
	uint64_t can_free_kb;  /* free memory reachable with every guest at its minimum */
	unsigned moves;        /* guests whose target changes */
	unsigned growers;      /* of which grow (ranks 1..growers) */
};

/* Decide. g[0..n) are the directed guests (frozen ones included: they
 * hold what they hold). Fills each guest's outputs and *r. Shrinks are
 * made at once; growth only by what is free above keep_free now, the
 * stalling guests first, then the guests furthest below their share
 * (per weight); the rest on a later call, as donors release memory.
 * Called again with the targets it set and nothing else changed, it
 * moves nothing. */
void alloc_run(const struct alloc_host *h, struct alloc_guest *g, size_t n,
	       struct alloc_result *r);

#endif
