/* xs.h - the daemon's xenstore session.
 *
 * One libxenstore connection for the daemon's life (re-opened after
 * xenstored dies), watches on the keys dom0 may set, and one
 * transaction per tick for whatever published text changed.
 *
 * Everything read is untrusted: values are parsed strictly and a bad one
 * is treated as absent, with one log line each time it changes.
 */
#ifndef XB_XS_H
#define XB_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "stats.h"

enum xs_key {
	XSK_SELFBALLOON,
	XSK_TARGET,
	XSK_STATIC_MAX,
	XSK_INTERVAL,
	XSK_DOWNHYSTERESIS,
	XSK_UPHYSTERESIS,
	XSK_PRESWAPHYSTERESIS,
	XSK_PRESWAPINERTIA,
	XSK_COUNT
};

/* The longest value we publish. xenstored's default quota for a guest's
 * node is 2048 bytes including a header and 8 bytes per permission
 * entry; measured in a real guest the longest value it accepts is 2015.
 * 1984 leaves room for a few more permission entries. */
#define XS_VALUE_MAX 1984

/* The session's state is its own (xs.c); the engine asks through these. */
struct xs_session;

/* A session for stats_path, not yet connected; exits on out of memory. */
struct xs_session *xs_session_new(const char *stats_path);
/* Drop the cache and go back to the configured stats path (reload). */
void xs_session_set_stats_path(struct xs_session *s, const char *stats_path);
/* At process exit: drop the caches and the session, leave the
 * connection to the kernel. */
void xs_session_abandon(struct xs_session *s);

/* When down and the back-off has passed, try to connect, register the
 * watches and read every key. Returns true when (now) up. */
bool xs_session_ensure(struct xs_session *s, uint64_t now_ms);

bool xs_session_is_up(const struct xs_session *s);
unsigned xs_session_reconnects(const struct xs_session *s);

/* For the main loop: the fd to poll for watch events (-1 when down), and
 * when down, the time of the next connection attempt (UINT64_MAX when
 * up: nothing to wait for). */
int xs_session_fd(const struct xs_session *s);
uint64_t xs_session_retry_at_ms(const struct xs_session *s);

/* Drain pending watch events and re-read the keys they name. Returns
 * true when a value dom0 set changed. */
bool xs_session_handle_events(struct xs_session *s);

/* Once a tick: notice a dead xenstored (a watch fd never reports it) and
 * re-read any key a watch marked; no request when nothing changed. */
void xs_session_refresh(struct xs_session *s);

/* The value dom0 set for k, parsed: true and *v, or false when it is
 * absent or was not a number in range. */
bool xs_session_value(const struct xs_session *s, enum xs_key k, uint64_t *v);

/* Publish texts[i] (NULL = leave alone) for each stat, writing only
 * those that changed, in one transaction. */
void xs_session_publish(struct xs_session *s, const char *const texts[XSS_COUNT]);

/* The prefix stats go to now ("memory" or "data/xenballoon"). */
const char *xs_session_stats_prefix(const struct xs_session *s);

#endif
