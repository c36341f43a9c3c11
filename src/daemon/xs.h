/* xs.h - the daemon's xenstore session.
 *
 * Two libxenstore connections, both re-opened after xenstored dies: one
 * holds only the watches on the keys dom0 may set (libxenstore runs a
 * reader thread on a connection with a watch, and hands every reply
 * through it), the other carries the requests and the one transaction
 * per tick for whatever published text changed, with no thread between
 * the daemon and its replies. In a guest both are opens of
 * /dev/xen/xenbus, which the kernel keeps as separate connections.
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

/*
 * For the main loop: one descriptor to poll for POLLIN (-1 when down),
 * ready when a watch event is queued or xenstored closed either
 * connection (an epoll set of the watch queue and the end of each
 * socket: no request, no timer); and when down, the time of the next
 * connection attempt (UINT64_MAX when up: nothing to wait for).
 */
int xs_session_fd(const struct xs_session *s);
uint64_t xs_session_retry_at_ms(const struct xs_session *s);

/* The descriptor was ready (revents) or the retry time came (0): drain
 * watch events and re-read the keys they name, notice a connection
 * xenstored closed, reconnect when the back-off allows. Returns XS_EV_*. */
#define XS_EV_CHANGED     1u   /* a value dom0 sets changed */
#define XS_EV_RECONNECTED 2u   /* connected again: publish everything now */
unsigned xs_session_dispatch(struct xs_session *s, short revents, uint64_t now_ms);

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
