/* xs.c - the daemon's xenstore session (see xs.h). */
#include "xs.h"

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <xenstore.h>

#include "log.h"
#include "once.h"
#include "util.h"
#include "xsval.h"

#define BACKOFF_MIN_MS 50
/* An attempt on an absent xenstored costs one failed connect(): retry
 * at least once a second, so dom0's writes are followed within about a
 * second of its return. */
#define BACKOFF_MAX_MS 1000
#define TXN_RETRIES 5
#define WATCHDOG_S 1

enum xs_state { XS_DOWN, XS_UP };

/* The connections: watches, requests. */
enum xs_conn { XSC_WATCH, XSC_REQ, XSC_COUNT };

struct xs_session {
	struct xs_handle *h[XSC_COUNT];
	/* A duplicate of the socket under each handle, -1 if none (xenbus):
	 * watched for the peer's close, and cut by the watchdog. */
	int live_fd[XSC_COUNT];
	/* What the main loop polls: an epoll set of the watch queue and
	 * the live_fd, -1 when down. */
	int poll_fd;
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
	struct once bad[XSK_COUNT]; /* a bad value, logged once per text */

	/* Publishing. */
	char stats_path[XB_STATS_PATH_MAX];
	bool fallback;             /* stats_path was denied: using XB_STATS_FALLBACK_PATH */
	bool publish_denied;       /* the fallback was denied too */
	struct once publish_fail;  /* a publishing error we retry */
	char *cache[XSS_COUNT];    /* text last written, NULL = unknown */
	/* The published directory is watched, so a value dom0 removes (or
	 * overwrites) is written again at the next publish: each event
	 * there clears that key's cache, but for the events of our own
	 * writes, counted here as they commit. */
	char watched_prefix[XB_STATS_PATH_MAX];  /* "" = no watch yet */
	unsigned echoes[XSS_COUNT];
};

/* The token of the published directory's watch; dom0's keys have their
 * index (0..XSK_COUNT-1). */
#define PUBLISHED_TOKEN "published"

/*
 * The watchdog. libxenstore has no time-out: a xenstored that is alive
 * but not answering (stopped, wedged) would block the daemon for ever,
 * with no ballooning and no reaction to SIGTERM. Each batch of requests
 * runs under a one-shot timer; if it fires, the handler shuts the
 * session's sockets down, the blocked call fails, and the session is
 * marked down and retried like after a crash.
 *
 * Its reach: socket connections only (xenstored's unix socket: dom0, the
 * tests). In a guest, libxenstore talks through /dev/xen/xenbus, which
 * shutdown() cannot cut; there a xenstored that stops answering blocks
 * the daemon until it answers again, as it blocks every other xenstore
 * client of the guest.
 */
static volatile sig_atomic_t watchdog_fd[XSC_COUNT] = { -1, -1 };
static volatile sig_atomic_t watchdog_armed;
static volatile sig_atomic_t watchdog_fired;

static void
watchdog_handler(int sig)
{
	int saved = errno;

	(void)sig;
	if (watchdog_armed) {
		watchdog_fired = 1;
		for (int c = 0; c < XSC_COUNT; c++)
			if (watchdog_fd[c] >= 0)
				shutdown(watchdog_fd[c], SHUT_RDWR);
	}
	errno = saved;
}

static void
watchdog_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

static void
watchdog_arm(const struct xs_session *s)
{
	struct itimerval it = { .it_value = { .tv_sec = WATCHDOG_S } };

	watchdog_fired = 0;
	if (s->live_fd[XSC_WATCH] < 0 && s->live_fd[XSC_REQ] < 0)
		return;
	for (int c = 0; c < XSC_COUNT; c++)
		watchdog_fd[c] = s->live_fd[c];
	watchdog_armed = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Returns true when the watchdog cut the connection. */
static bool
watchdog_disarm(void)
{
	struct itimerval off = { 0 };

	if (watchdog_armed)
		setitimer(ITIMER_REAL, &off, NULL);
	watchdog_armed = 0;
	return watchdog_fired != 0;
}

/* The lowest free descriptor: where xs_open's socket() will land. */
static int
lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static const struct {
	const char *path;
	uint64_t min, max;
} key_defs[XSK_COUNT] = {
	[XSK_SELFBALLOON] = { "memory/selfballoon", 0, 1 },
	[XSK_TARGET] = { "memory/target", 1, 1ULL << 40 },
	[XSK_STATIC_MAX] = { "memory/static-max", 1, 1ULL << 40 },
	[XSK_INTERVAL] = { "memory/interval", 1, XB_INTERVAL_MAX_S },
	[XSK_DOWNHYSTERESIS] = { "memory/downhysteresis", 1, XB_HYSTERESIS_MAX },
	[XSK_UPHYSTERESIS] = { "memory/uphysteresis", 1, XB_HYSTERESIS_MAX },
	[XSK_PRESWAPHYSTERESIS] = { "memory/preswaphysteresis", 1, XB_HYSTERESIS_MAX },
	[XSK_PRESWAPINERTIA] = { "memory/preswapinertia", 1, XB_INERTIA_MAX },
};

static void
clear_cache(struct xs_session *s)
{
	for (int i = 0; i < XSS_COUNT; i++) {
		free(s->cache[i]);
		s->cache[i] = NULL;
		s->echoes[i] = 0;
	}
}

struct xs_session *
xs_session_new(const char *stats_path)
{
	struct xs_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		fatal("xenstore session");
	s->state = XS_DOWN;
	s->poll_fd = -1;
	for (int c = 0; c < XSC_COUNT; c++)
		s->live_fd[c] = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	watchdog_install();
	strlcpy(s->stats_path, stats_path, sizeof(s->stats_path));
	return s;
}

/* Watch the directory the stats go to (once per prefix: a reload or the
 * fallback moves it). A failure is not fatal: removals are then only
 * noticed when the value moves. */
static void
watch_published(struct xs_session *s)
{
	const char *prefix = s->fallback ? XB_STATS_FALLBACK_PATH : s->stats_path;

	if (s->state != XS_UP || strcmp(prefix, s->watched_prefix) == 0)
		return;
	if (s->watched_prefix[0] != '\0')
		(void)xs_unwatch(s->h[XSC_WATCH], s->watched_prefix, PUBLISHED_TOKEN);
	s->watched_prefix[0] = '\0';
	if (xs_watch(s->h[XSC_WATCH], prefix, PUBLISHED_TOKEN))
		strlcpy(s->watched_prefix, prefix, sizeof(s->watched_prefix));
	else
		log_warn("xenstore: cannot watch %s/; a value removed there is written again "
		    "only when it changes", prefix);
}

/* An event under the published directory: the key's cache is stale,
 * unless it is the echo of our own write. The directory itself (removed,
 * or the watch's first event): every key. Paths may come back absolute
 * (dom0's socket) or relative (a guest's xenbus). */
static void
published_event(struct xs_session *s, const char *path)
{
	const char *prefix = s->watched_prefix, *slash = strrchr(path, '/');
	size_t plen = strlen(prefix), dlen;

	if (slash != NULL && slash[1] != '\0') {
		dlen = (size_t)(slash - path);
		if (dlen >= plen && memcmp(slash - plen, prefix, plen) == 0 &&
		    (dlen == plen || slash[-(ptrdiff_t)plen - 1] == '/')) {
			for (int i = 0; i < XSS_COUNT; i++) {
				if (strcmp(slash + 1, xb_stat_names[i]) != 0)
					continue;
				if (s->echoes[i] > 0) {
					s->echoes[i]--;
				} else {
					free(s->cache[i]);
					s->cache[i] = NULL;
				}
				return;
			}
			return;    /* another key there (dom0's own) */
		}
	}
	/* The directory, or above it: all of it may be gone. */
	clear_cache(s);
}

void
xs_session_set_stats_path(struct xs_session *s, const char *stats_path)
{
	strlcpy(s->stats_path, stats_path, sizeof(s->stats_path));
	s->fallback = false;
	s->publish_denied = false;
	clear_cache(s);
	watch_published(s);
}

static void
close_conns(struct xs_session *s)
{
	if (s->poll_fd >= 0)
		close(s->poll_fd);
	s->poll_fd = -1;
	for (int c = 0; c < XSC_COUNT; c++) {
		if (s->h[c] != NULL)
			xs_close(s->h[c]);
		s->h[c] = NULL;
		if (s->live_fd[c] >= 0)
			close(s->live_fd[c]);
		s->live_fd[c] = -1;
	}
}

/* The connections failed with err while doing what: close both and
 * schedule a reconnection. A NULL what: xenstored closed them. */
static void
mark_down(struct xs_session *s, const char *what, int err)
{
	if (s->state == XS_UP && what != NULL)
		log_warnc(err, "xenstore: %s failed; connection lost, reconnecting", what);
	else if (s->state == XS_UP)
		log_warnx("xenstore: xenstored closed the connection; reconnecting");
	close_conns(s);
	s->state = XS_DOWN;
	s->retry_at_ms = now_ms() + s->backoff_ms;
	s->watched_prefix[0] = '\0';
	clear_cache(s);
}

void
xs_session_abandon(struct xs_session *s)
{
	/* xs_close() cancels libxenstore's reader thread, and glibc loads
	 * libgcc_s to unwind it: a fifth of the daemon's peak memory, spent
	 * on the way out. At exit the kernel closes the socket anyway. */
	clear_cache(s);
	free(s);
}

bool
xs_session_is_up(const struct xs_session *s)
{
	return s->state == XS_UP;
}

unsigned
xs_session_reconnects(const struct xs_session *s)
{
	return s->reconnects;
}

uint64_t
xs_session_retry_at_ms(const struct xs_session *s)
{
	return s->state == XS_UP ? UINT64_MAX : s->retry_at_ms;
}

bool
xs_session_value(const struct xs_session *s, enum xs_key k, uint64_t *v)
{
	*v = s->val[k];
	return s->have[k];
}

/* Errors that say nothing about the connection. */
static bool
benign_errno(int e)
{
	return e == ENOENT || e == EACCES || e == EAGAIN || e == ENOSPC ||
	    e == E2BIG || e == EEXIST;
}

static void
set_value(struct xs_session *s, enum xs_key k, bool have, uint64_t v)
{
	if (s->have[k] != have || (have && s->val[k] != v)) {
		s->changed = true;
		if (have)
			log_info("xenstore: %s = %llu", key_defs[k].path, (unsigned long long)v);
		else
			log_info("xenstore: %s absent, using the configured value",
			    key_defs[k].path);
	}
	s->have[k] = have;
	s->val[k] = have ? v : 0;
}

/* Read one key. Returns false when the connection is gone. */
static bool
read_key(struct xs_session *s, enum xs_key k)
{
	unsigned int len = 0;
	const char *why = NULL;
	uint64_t v;
	char *val;

	val = xs_read(s->h[XSC_REQ], XBT_NULL, key_defs[k].path, &len);
	s->dirty[k] = false;
	if (val == NULL) {
		if (!benign_errno(errno))
			return false;
		(void)once_ok(&s->bad[k]);
		set_value(s, k, false, 0);
		return true;
	}
	if (xsval_parse_u64(val, len, key_defs[k].min, key_defs[k].max, &v, &why) == 0) {
		(void)once_ok(&s->bad[k]);
		set_value(s, k, true, v);
	} else {
		char shown[64];
		size_t j = 0;

		/* Show at most 40 bytes, printable only: the value is a
		 * guest-side log line written by dom0, never trusted. */
		for (unsigned i = 0; i < len && j + 4 < sizeof(shown) && i < 40; i++)
			shown[j++] = (val[i] >= 0x20 && val[i] < 0x7f) ? val[i] : '?';
		shown[j] = '\0';
		if (once_fail(&s->bad[k], once_key(shown)))
			log_warnx("xenstore: ignoring %s = \"%s\"%s: %s (allowed %llu..%llu)",
			    key_defs[k].path, shown, len > 40 ? "..." : "", why,
			    (unsigned long long)key_defs[k].min,
			    (unsigned long long)key_defs[k].max);
		set_value(s, k, false, 0);
	}
	free(val);
	return true;
}

static bool connect_session(struct xs_session *s, uint64_t now);
static bool poll_set_open(struct xs_session *s);

bool
xs_session_ensure(struct xs_session *s, uint64_t now)
{
	bool up;

	if (s->state == XS_UP)
		return true;
	if (now < s->retry_at_ms)
		return false;
	up = connect_session(s, now);
	if (watchdog_disarm() && s->state == XS_UP)
		mark_down(s, "waiting for xenstored (no answer in time)", ETIMEDOUT);
	return up && s->state == XS_UP;
}

/* A connection attempt failed: try again after the back-off, which
 * doubles up to BACKOFF_MAX_MS until a connection succeeds. */
static void
retry_later(struct xs_session *s, uint64_t now)
{
	s->retry_at_ms = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Open one connection. libxenstore does not say which descriptor it
 * uses: its socket() takes the lowest free one. A private duplicate of
 * that socket outlives libxenstore closing its own (it does on an error),
 * so the number polled can never be another file's. */
static bool
open_conn(struct xs_session *s, enum xs_conn c)
{
	struct stat st;
	int fd = lowest_free_fd();

	s->h[c] = xs_open(0);
	if (s->h[c] == NULL)
		return false;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		s->live_fd[c] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return true;
}

static bool
connect_session(struct xs_session *s, uint64_t now)
{
	char token[16];

	/* The request connection first: it never has a watch, so
	 * libxenstore never starts a thread on it. */
	if (!open_conn(s, XSC_REQ) || !open_conn(s, XSC_WATCH)) {
		/* After a loss, its line said "reconnecting" already. */
		if (s->backoff_ms == BACKOFF_MIN_MS && !s->ever_connected)
			log_warn("xenstore: cannot connect; selfballooning goes on, retrying");
		close_conns(s);
		retry_later(s, now);
		return false;
	}
	watchdog_arm(s);
	for (int k = 0; k < XSK_COUNT; k++) {
		snprintf(token, sizeof(token), "%d", k);
		if (!xs_watch(s->h[XSC_WATCH], key_defs[k].path, token) &&
		    !benign_errno(errno)) {
			if (s->backoff_ms == BACKOFF_MIN_MS)
				log_warn("xenstore: cannot watch %s; retrying", key_defs[k].path);
			close_conns(s);
			retry_later(s, now_ms());
			return false;
		}
	}
	if (!poll_set_open(s)) {
		if (s->backoff_ms == BACKOFF_MIN_MS)
			log_warn("xenstore: cannot wait for its events; retrying");
		close_conns(s);
		retry_later(s, now_ms());
		return false;
	}
	s->state = XS_UP;
	if (s->ever_connected) {
		s->reconnects++;
		log_info("xenstore: connected again; republishing");
	} else {
		log_info("xenstore: connected");
	}
	s->ever_connected = true;
	s->backoff_ms = BACKOFF_MIN_MS;
	clear_cache(s);
	watch_published(s);
	for (int k = 0; k < XSK_COUNT; k++) {
		if (!read_key(s, (enum xs_key)k)) {
			mark_down(s, "reading the keys", errno);
			return false;
		}
	}
	/* The watches' initial events would only make us read again. */
	for (int k = 0; k < XSK_COUNT; k++)
		s->dirty[k] = false;
	return true;
}

int
xs_session_fd(const struct xs_session *s)
{
	return s->state == XS_UP ? s->poll_fd : -1;
}

/* Drain pending watch events and re-read the keys they name. */
static void
handle_events(struct xs_session *s)
{
	bool any = false;
	char **ev;

	if (s->state != XS_UP)
		return;
	/* Draining the queue sends nothing: no watchdog needed for it. */
	while ((ev = xs_check_watch(s->h[XSC_WATCH])) != NULL) {
		const char *errstr = NULL;
		long long k;

		if (strcmp(ev[XS_WATCH_TOKEN], PUBLISHED_TOKEN) == 0) {
			published_event(s, ev[XS_WATCH_PATH]);
			free(ev);
			continue;
		}
		k = strtonum(ev[XS_WATCH_TOKEN], 0, XSK_COUNT - 1, &errstr);
		if (errstr == NULL)
			s->dirty[k] = true;
		free(ev);
	}
	if (errno != EAGAIN) {
		mark_down(s, "reading watch events", errno);
		return;
	}
	for (int k = 0; k < XSK_COUNT; k++)
		any = any || s->dirty[k];
	if (!any)
		return;
	watchdog_arm(s);
	for (int k = 0; k < XSK_COUNT; k++) {
		if (s->dirty[k] && !read_key(s, (enum xs_key)k)) {
			int err = errno;

			watchdog_disarm();
			mark_down(s, "reading a watched key", err);
			return;
		}
	}
	if (watchdog_disarm())
		mark_down(s, "waiting for xenstored (no answer in time)", ETIMEDOUT);
}

void
xs_session_refresh(struct xs_session *s)
{
	/* Liveness without a round trip: once xenstored has gone,
	 * libxenstore's reader thread has exited and xs_check_watch answers
	 * EINVAL instead of EAGAIN (measured; a watch fd alone never says).
	 * An idle tick so sends no request and wakes no thread. The same
	 * call drains any event a watch left and re-reads those keys. */
	handle_events(s);
}

/*
 * Between ticks, a xenstored that dies must be noticed at once whatever
 * the interval, and without a request: poll() on libxenstore's watch
 * descriptor never wakes for it (its reader thread sees the end of the
 * stream and only stops). The end of the stream shows on the sockets
 * themselves, as EPOLLRDHUP on a duplicate of each, the moment
 * xenstored's end closes; nothing else wakes those entries (no EPOLLIN
 * is asked for: the request connection's replies are read by the call
 * that sent the request, the watch connection's by the reader thread).
 * One epoll set holds them and the watch queue, so the main loop polls
 * one descriptor, and liveness costs no wakeup and no round trip. A
 * xenbus device (in a guest) has no such end: its connection lives as
 * long as the kernel, and the set holds the watch queue alone.
 */
enum { EV_WATCH_QUEUE, EV_CONN_END };

static bool
poll_set_add(int epfd, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data = { .u32 = tag } };

	return fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

/* Build the set once connected. False (errno set) when it cannot be. */
static bool
poll_set_open(struct xs_session *s)
{
	int wfd = xs_fileno(s->h[XSC_WATCH]);

	s->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->poll_fd < 0 || wfd < 0)
		return false;
	if (!poll_set_add(s->poll_fd, wfd, EPOLLIN, EV_WATCH_QUEUE))
		return false;
	for (int c = 0; c < XSC_COUNT; c++)
		if (!poll_set_add(s->poll_fd, s->live_fd[c], EPOLLRDHUP, EV_CONN_END))
			return false;
	return true;
}

/* Did xenstored close either connection? No request: the set says. */
static bool
conn_ended(const struct xs_session *s)
{
	struct epoll_event ev[XSC_COUNT + 1];
	int n = epoll_wait(s->poll_fd, ev, XSC_COUNT + 1, 0);

	for (int i = 0; i < n; i++)
		if (ev[i].data.u32 == EV_CONN_END)
			return true;
	return false;
}

unsigned
xs_session_dispatch(struct xs_session *s, short revents, uint64_t now)
{
	unsigned ev = 0;

	s->changed = false;
	if (s->state == XS_UP && revents != 0) {
		if (conn_ended(s))
			mark_down(s, NULL, 0);
		else
			handle_events(s);
	}
	if (s->state == XS_DOWN && now >= s->retry_at_ms && xs_session_ensure(s, now))
		ev |= XS_EV_RECONNECTED;
	if (s->changed)
		ev |= XS_EV_CHANGED;
	return ev;
}

const char *
xs_session_stats_prefix(const struct xs_session *s)
{
	return s->fallback ? XB_STATS_FALLBACK_PATH : s->stats_path;
}

/* Write the changed texts in one transaction. Returns 0, or the errno
 * that stopped it (EACCES: denied; other: see the caller). */
static int
publish_txn(struct xs_session *s, const char *const texts[XSS_COUNT])
{
	char path[XB_STATS_PATH_MAX + 32];

	for (int attempt = 0; attempt < TXN_RETRIES; attempt++) {
		xs_transaction_t t;
		int err = 0;

		t = xs_transaction_start(s->h[XSC_REQ]);
		if (t == XBT_NULL)
			return errno ? errno : EIO;
		for (int i = 0; i < XSS_COUNT && err == 0; i++) {
			if (texts[i] == NULL ||
			    (s->cache[i] != NULL && strcmp(s->cache[i], texts[i]) == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s", xs_session_stats_prefix(s),
			    xb_stat_names[i]);
			if (!xs_write(s->h[XSC_REQ], t, path, texts[i],
			    (unsigned)strlen(texts[i])))
				err = errno ? errno : EIO;
		}
		if (err != 0) {
			xs_transaction_end(s->h[XSC_REQ], t, true);
			return err;
		}
		if (xs_transaction_end(s->h[XSC_REQ], t, false))
			return 0;
		if (errno != EAGAIN)
			return errno ? errno : EIO;
	}
	return EAGAIN;
}

void
xs_session_publish(struct xs_session *s, const char *const texts[XSS_COUNT])
{
	bool any = false;
	int err;

	if (s->state != XS_UP || s->publish_denied)
		return;
	for (int i = 0; i < XSS_COUNT; i++)
		if (texts[i] != NULL && (s->cache[i] == NULL || strcmp(s->cache[i], texts[i]) != 0))
			any = true;
	if (!any)
		return;
	watchdog_arm(s);
	err = publish_txn(s, texts);
	if (err == EACCES && !s->fallback && strcmp(s->stats_path, XB_STATS_FALLBACK_PATH) != 0) {
		log_warnx("xenstore: writing under %s/ is denied (stock toolstack); "
		    "publishing under %s/ instead", s->stats_path, XB_STATS_FALLBACK_PATH);
		s->fallback = true;
		clear_cache(s);
		watch_published(s);
		err = publish_txn(s, texts);
	}
	if (watchdog_disarm()) {
		mark_down(s, "waiting for xenstored (no answer in time)", ETIMEDOUT);
		return;
	}
	if (err == EACCES) {
		log_warnx("xenstore: writing under %s/ is denied too; not publishing stats",
		    xs_session_stats_prefix(s));
		s->publish_denied = true;
		return;
	}
	if (err == EAGAIN || err == ENOSPC || err == E2BIG) {
		if (once_fail(&s->publish_fail, (uint64_t)err))
			log_warnx("xenstore: publishing stats under %s/ failed: %s; will retry",
			    xs_session_stats_prefix(s), strerror(err));
		return;
	}
	if (err != 0) {
		mark_down(s, "publishing stats", err);
		return;
	}
	(void)once_ok(&s->publish_fail);
	for (int i = 0; i < XSS_COUNT; i++) {
		if (texts[i] == NULL)
			continue;
		if (s->cache[i] == NULL || strcmp(s->cache[i], texts[i]) != 0) {
			free(s->cache[i]);
			s->cache[i] = strdup(texts[i]);
			/* Its watch event is ours: not a removal. */
			if (s->watched_prefix[0] != '\0')
				s->echoes[i]++;
		}
	}
}
