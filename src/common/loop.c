/* loop.c - the poll() loop over sources (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <poll.h>

#include "log.h"
#include "util.h"

int
loop_no_fd(void *ctx)
{
	(void)ctx;
	return -1;
}

uint64_t
loop_never(void *ctx)
{
	(void)ctx;
	return NEVER;
}

int
loop_run(const struct source *src, size_t nsrc)
{
	struct pollfd pfd[LOOP_SOURCES_MAX];
	int slot[LOOP_SOURCES_MAX];

	for (;;) {
		uint64_t now = now_ms(), wake = NEVER;
		nfds_t n = 0;
		int timeout;

		for (size_t i = 0; i < nsrc && i < LOOP_SOURCES_MAX; i++) {
			int fd = src[i].fd(src[i].ctx);
			uint64_t d = src[i].deadline_ms(src[i].ctx);

			slot[i] = -1;
			if (fd >= 0) {
				slot[i] = (int)n;
				pfd[n++] = (struct pollfd){ .fd = fd, .events = src[i].events };
			}
			if (d < wake)
				wake = d;
		}
		timeout = wake <= now ? 0 : wake - now > 86400000 ? 86400000 : (int)(wake - now);
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return 1;
		}
		for (size_t i = 0; i < nsrc && i < LOOP_SOURCES_MAX; i++) {
			short rev = slot[i] >= 0 ? pfd[slot[i]].revents : 0;

			now = now_ms();
			if (rev == 0 && now < src[i].deadline_ms(src[i].ctx))
				continue;
			if (!src[i].dispatch(src[i].ctx, rev, now))
				return 0;
		}
	}
}

void
loop_watchdog_init(struct loop_watchdog *w, struct notify *nt, uint64_t now_ms_)
{
	w->nt = nt;
	w->every_ms = notify_watchdog_interval_ms(nt);
	w->next_ms = now_ms_ + w->every_ms;
}

uint64_t
loop_watchdog_deadline(void *ctx)
{
	const struct loop_watchdog *w = ctx;

	return w->every_ms > 0 ? w->next_ms : NEVER;
}

bool
loop_watchdog_dispatch(void *ctx, short revents, uint64_t now)
{
	struct loop_watchdog *w = ctx;

	(void)revents;
	notify_watchdog(w->nt);
	w->next_ms = now + w->every_ms;
	return true;
}
