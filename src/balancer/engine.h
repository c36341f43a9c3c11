/* engine.h - the balancer: the domain table, xenstore events in, the
 * allocation (alloc.c), targets out through libxl (host.c), its view
 * published for xenballoon-monitor.
 *
 * Work per event is what changed: an event names one domain and one key
 * (the table is indexed by domid); its reads are coalesced per domain
 * and rate-limited per domain, so a guest that floods its keys costs
 * the others nothing but the events themselves. The allocation runs
 * once per burst of changes (a few ms after the first), then every
 * 100 ms while memory is moving, else once a second to look after
 * heartbeats and the host.
 */
#ifndef XB_ENGINE_H
#define XB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bconfig.h"

struct engine;

/* dry_run: decide and log, set no target. */
struct engine *engine_new(const struct bc_config *cfg, bool dry_run);
void engine_free(struct engine *e);

/* Connect (xenstore, libxl) and read everything. 0, or -1 with a log
 * line; the caller may retry through the deadline. */
int engine_start(struct engine *e, uint64_t now_ms);

/* A new configuration (reload): kept, and the allocation runs again. */
void engine_set_config(struct engine *e, const struct bc_config *cfg);

/* For the main loop: the descriptor to poll for POLLIN (-1 when down)
 * and the next time the engine wants to run (UINT64_MAX: only on input). */
int engine_fd(const struct engine *e);
uint64_t engine_deadline_ms(const struct engine *e);
void engine_dispatch(struct engine *e, short revents, uint64_t now_ms);

/* One line for systemd's STATUS= and SIGUSR1. */
void engine_summary(const struct engine *e, char *buf, size_t size);

/* Counters for tests and the benchmark (SIGUSR1 logs them). */
struct engine_stats {
	uint64_t events, reads, decisions, target_writes, deferred;
};
void engine_stats(const struct engine *e, struct engine_stats *s);

/* --free, run directly (no balancer running): hold free_kb free, squeeze
 * the managed guests within their bounds, and return once the
 * hypervisor has it (0) or cannot (-1, with the reason in why) within
 * timeout_ms. *can_free_kb: the most that could be freed. */
int engine_free_now(struct engine *e, uint64_t free_kb, uint64_t timeout_ms,
		    uint64_t *can_free_kb, char *why, size_t whylen);

#endif
