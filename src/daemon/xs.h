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

enum xs_state { XS_DOWN, XS_UP };

/* The longest value we publish. xenstored's default quota for a guest's
 * node is 2048 bytes including a header and 8 bytes per permission
 * entry; measured in a real guest the longest value it accepts is 2015.
 * 1984 leaves room for a few more permission entries. */
#define XS_VALUE_MAX 1984

struct xs_handle;

struct xs_session {
	struct xs_handle *h;
	int sock_fd;               /* the socket under h, -1 if none (xenbus) */
	enum xs_state state;
	uint64_t retry_at_ms;      /* when down: next connection attempt */
	uint64_t backoff_ms;
	bool ever_connected;
	unsigned reconnects;       /* successful connections after the first */

	/* Values dom0 set, parsed; have[k] false when absent or bad. */
	bool have[XSK_COUNT];
	uint64_t val[XSK_COUNT];
	bool dirty[XSK_COUNT];     /* a watch fired: read it again */
	bool changed;              /* some value changed since last cleared */
	char bad[XSK_COUNT][64];   /* last bad text logged, to log once */
	bool bad_logged[XSK_COUNT];

	/* Publishing. */
	char stats_path[XB_STATS_PATH_MAX];
	bool fallback;             /* stats_path was denied: using XB_STATS_FALLBACK_PATH */
	bool publish_denied;       /* the fallback was denied too */
	int publish_err;           /* last publishing error logged, 0 = none */
	char *cache[XSS_COUNT];    /* text last written, NULL = unknown */
};

void xs_session_init(struct xs_session *s, const char *stats_path);
/* Drop the cache and go back to the configured stats path (reload). */
void xs_session_set_stats_path(struct xs_session *s, const char *stats_path);
/* At process exit: drop the caches, leave the connection to the kernel. */
void xs_session_abandon(struct xs_session *s);

/* When down and the back-off has passed, try to connect, register the
 * watches and read every key. Returns true when (now) up. */
bool xs_session_ensure(struct xs_session *s, uint64_t now);

/* The fd to poll for watch events, or -1 when down. */
int xs_session_fd(const struct xs_session *s);

/* Drain pending watch events and re-read the keys they name. */
void xs_session_handle_events(struct xs_session *s);

/* Once a tick: notice a dead xenstored (a watch fd never reports it) and
 * re-read any key a watch marked; no request when nothing changed. */
void xs_session_refresh(struct xs_session *s);

/* Publish texts[i] (NULL = leave alone) for each stat, writing only
 * those that changed, in one transaction. */
void xs_session_publish(struct xs_session *s, const char *const texts[XSS_COUNT]);

/* The prefix stats go to now ("memory" or "data/xenballoon"). */
const char *xs_session_stats_prefix(const struct xs_session *s);

#endif
