/* loop.h - the main loop both daemons share (xenballoond.c,
 * balancer.c): main() owns the poll() set (the shape of OpenBSD ntpd's
 * main()). Each input is a source: a descriptor to poll, a time at which
 * it wants to be called without input, and the call. A module keeps its
 * state to itself behind these three; adding an input is one more entry
 * in the table main() builds.
 */
#ifndef XB_LOOP_H
#define XB_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify.h"

#define NEVER UINT64_MAX

struct source {
	int (*fd)(void *ctx);               /* -1: nothing to poll now */
	short events;                       /* what to poll it for */
	uint64_t (*deadline_ms)(void *ctx); /* NEVER: only on input */
	/* Called when the descriptor is ready (revents) or the deadline has
	 * come (revents 0). Returns false to stop the program. */
	bool (*dispatch)(void *ctx, short revents, uint64_t now_ms);
	void *ctx;
};

/* The most sources a loop takes. */
#define LOOP_SOURCES_MAX 8

/* Run the sources until one says stop (0) or poll fails (1). */
int loop_run(const struct source *src, size_t nsrc);

/* For a source without a descriptor, or without a deadline. */
int loop_no_fd(void *ctx);
uint64_t loop_never(void *ctx);

/* systemd's watchdog as a source: WATCHDOG=1 every half of
 * $WATCHDOG_USEC, from the loop itself, so a program stuck anywhere
 * stops pinging and is restarted. */
struct loop_watchdog {
	struct notify *nt;
	uint64_t every_ms;      /* 0: no watchdog asked for */
	uint64_t next_ms;
};

void loop_watchdog_init(struct loop_watchdog *w, struct notify *nt, uint64_t now_ms);
uint64_t loop_watchdog_deadline(void *ctx);
bool loop_watchdog_dispatch(void *ctx, short revents, uint64_t now_ms);

#endif
