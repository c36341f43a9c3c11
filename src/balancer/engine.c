/* engine.c - the balancer's state and decisions (see engine.h).
 *
 * One struct dom per domain, in a table indexed by domid, holding what
 * xenstore said (struct guest, parsed by guests.c), what the hypervisor
 * says (its allocation) and what the balancer made of it (its state, its
 * share). A watch event names a path: the domain and the key are read off
 * it, the key is marked and the domain queued; the queue is read once
 * per pass (every marked key of a domain in one go), at most
 * READS_PER_SECOND passes a second per domain. A change that matters
 * schedules the allocation a few ms later; allocations are paced by a
 * budget (DECIDE_PER_S a second, bursts of DECIDE_BURST), so a lone
 * change is met at once and a storm of changes costs a bounded number of
 * passes over the guests.
 */
#include "engine.h"

#include <bsd/string.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bxs.h"
#include "guests.h"
#include "host.h"
#include "log.h"
#include "once.h"
#include "parse.h"
#include "util.h"

#define NEVER UINT64_MAX
#define DOMID_LIMIT 32752u     /* DOMID_FIRST_RESERVED */
#define COALESCE_MS 3          /* after the first change, wait this for more */
#define DECIDE_PER_S 50        /* allocations for changes a second, on average... */
#define DECIDE_BURST 10ULL     /* ...after a burst of this many at once */
#define MOVING_MS 100          /* while memory moves, look this often */
#define HOUSEKEEP_MS 1000      /* heartbeats and the host, otherwise */
#define RECONNECT_MS 1000
#define DRAIN_MAX 4096         /* events handled before the timers get a turn */
/* An allocation within 4 MB and 1/128 of its target is there: the
 * hypervisor also counts a few pages a guest's balloon does not (an HVM
 * guest's firmware, say), and a guest must not read as not following for
 * them. */
#define SLACK_KB(target) (4096 + (target) / 128)
#define PROGRESS_KB 1024       /* moving by this is following */
#define STEP_MIN_KB 1024
#define HOST_FAILS_REOPEN 3

#define ALL_KEYS ((1u << GK_COUNT) - 1)
#define GUEST_KEYS (ALL_KEYS & ~((1u << GK_MODE) - 1))
#define MEMORY_KEYS ((1u << GK_TARGET) | (1u << GK_STATIC_MAX) | (1u << GK_VIDEORAM) | \
		     (1u << GK_WEIGHT) | (1u << GK_MIN_MB) | (1u << GK_MAX_MB))

struct dom {
	struct guest g;
	size_t idx;                 /* in e->ids */
	enum gstate state;
	bool in_hv, dying;
	uint64_t cur_kb;            /* the hypervisor's current_memkb */

	uint32_t dirty;             /* keys to read (1 << GK_*) */
	uint32_t dirty_data;        /* ... of those, guest keys under data/xenballoon */
	uint32_t from_data;         /* guest keys last taken from data/xenballoon */
	bool queued;
	uint64_t tokens_milli;      /* read passes left, x 1000 */
	uint64_t tokens_at_ms;
	struct once flood, set_fail, owner;

	/* Following its target: since when no progress, from where. */
	uint64_t follow_since_ms, follow_mark_kb;
	bool follow_frozen;

	/* The allocation's view of it (published). */
	uint64_t min_kb, max_kb, want_kb, share_kb;
	uint64_t extra_kb;          /* held beyond its target when settled (settle_extra) */
	unsigned weight;
	char view[256];
	bool view_written;
	uint64_t view_key[10];      /* the figures the view was made of */
};

struct engine {
	struct bc_config cfg;
	struct bxs *xs;
	struct host *host;
	uint64_t now;
	uint64_t retry_ms;
	struct once xs_fail, host_fail, list_fail;

	struct dom **dom;           /* [DOMID_LIMIT] */
	unsigned *ids;              /* the known domids, unordered */
	size_t nids, cap_ids;
	unsigned *queue;            /* domains with keys to read */
	size_t nqueue, cap_queue;

	uint64_t decide_ms, housekeep_ms, deferred_ms;
	uint64_t decide_tokens_milli, decide_tokens_at_ms;  /* the pacing budget */
	struct host_dom *hv;
	size_t nhv, cap_hv;
	struct alloc_guest *ag;
	unsigned *agid;
	size_t *agorder;            /* growth order: indexes into ag */
	struct alloc_guest *agtry;  /* a trial run of the rule (rejoin_frozen) */
	bool *agtry_ok;             /* ... and who may rejoin in it */
	size_t cap_ag;
	struct alloc_result last;
	uint64_t free_kb, last_free_kb;
	uint64_t moving_ms;         /* MOVING_MS, doubled while nothing changes */
	uint64_t still_since_ms;    /* when something last changed */
	unsigned nstate[GS_DYING + 1];
	unsigned host_fails;

	/* A --free request: keep hold_kb free until hold_until_ms or a new
	 * domain. */
	uint64_t hold_kb, hold_until_ms;
	struct engine_stats st;

	bool dry_run;
	bool up;
	bool rescan, req_dirty;
	bool have_free;
	bool changed;               /* the next allocation is for a change */
	bool publish;               /* the view and --free's status (not for --free itself) */
	char hold_token[48];
	char host_view[256], status_view[160];
};

/* --- the domain table ---------------------------------------------------- */

/* Room for one more domid in a growing array (doubling). */
static void
room_for_one(unsigned **arr, size_t n, size_t *cap)
{
	unsigned *na;

	if (n < *cap)
		return;
	na = reallocarray(*arr, *cap ? *cap * 2 : 64, sizeof(*na));
	if (na == NULL)
		fatal("domain table");
	*arr = na;
	*cap = *cap ? *cap * 2 : 64;
}

static void
queue_dom(struct engine *e, struct dom *d)
{
	if (d->queued)
		return;
	room_for_one(&e->queue, e->nqueue, &e->cap_queue);
	e->queue[e->nqueue++] = d->g.domid;
	d->queued = true;
}

/* The pacing budget, refilled up to now: allocations left, x 1000. */
static uint64_t
decide_budget(struct engine *e)
{
	e->decide_tokens_milli += (e->now - e->decide_tokens_at_ms) * DECIDE_PER_S;
	if (e->decide_tokens_milli > DECIDE_BURST * 1000u)
		e->decide_tokens_milli = DECIDE_BURST * 1000u;
	e->decide_tokens_at_ms = e->now;
	return e->decide_tokens_milli;
}

static void
schedule_decide(struct engine *e)
{
	uint64_t at = e->now + COALESCE_MS, left = decide_budget(e);

	e->changed = true;
	if (left < 1000)
		at = e->now + (1000 - left + DECIDE_PER_S - 1) / DECIDE_PER_S;
	if (at < e->decide_ms)
		e->decide_ms = at;
}

static struct dom *
dom_add(struct engine *e, unsigned id)
{
	struct dom *d = calloc(1, sizeof(*d));

	if (d == NULL)
		fatal("domain table");
	room_for_one(&e->ids, e->nids, &e->cap_ids);
	d->g.domid = id;
	d->idx = e->nids;
	d->state = GS_NODAEMON;
	d->tokens_milli = (uint64_t)e->cfg.reads_per_s * 1000;
	d->tokens_at_ms = e->now;
	e->ids[e->nids++] = id;
	e->dom[id] = d;
	if (bxs_watch_domain(e->xs, id) != 0)
		log_warn("domain %u: cannot watch its keys", id);
	/* Everything, once (the watches' first events say the same). */
	d->dirty = ALL_KEYS;
	queue_dom(e, d);
	return d;
}

static void
dom_remove(struct engine *e, unsigned id)
{
	struct dom *d = e->dom[id];
	char path[64];

	if (d == NULL)
		return;
	bxs_unwatch_domain(e->xs, id);
	snprintf(path, sizeof(path), BXS_DOM "/%u", id);
	if (!e->dry_run && e->publish)
		(void)bxs_rm(e->xs, path);
	e->ids[d->idx] = e->ids[--e->nids];
	if (e->dom[e->ids[d->idx]] != NULL)
		e->dom[e->ids[d->idx]]->idx = d->idx;
	e->dom[id] = NULL;
	log_debug("domain %u is gone", id);
	free(d);
}

static void
drop_all(struct engine *e)
{
	while (e->nids > 0) {
		unsigned id = e->ids[0];

		free(e->dom[id]);
		e->dom[id] = NULL;
		e->ids[0] = e->ids[--e->nids];
	}
	e->nqueue = 0;
}

/* Names never reach the log raw: printable ASCII, else '?'. */
static const char *
safe_name(const struct dom *d, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < d->g.name_len && n + 1 < size; i++) {
		unsigned char c = (unsigned char)d->g.name[i];

		buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[n] = '\0';
	return n > 0 ? buf : "-";
}

/* --- going down and coming back ------------------------------------------ */

static void
go_down(struct engine *e, int err)
{
	once_report(&e->xs_fail, err != 0 ? err : EPIPE, "xenstore",
	    "targets are left as they are; reconnecting");
	bxs_disconnect(e->xs);
	host_close(e->host);
	e->host = NULL;
	e->up = false;
	drop_all(e);
	e->retry_ms = e->now + RECONNECT_MS / 5;
	e->decide_ms = NEVER;
}

static void
rescan(struct engine *e)
{
	unsigned *ids;
	size_t n;
	unsigned char *seen;
	bool fresh = false;

	e->rescan = false;
	if (bxs_list_domains(e->xs, &ids, &n) != 0) {
		if (bxs_errno_fatal(errno))
			go_down(e, errno);
		return;
	}
	seen = calloc(DOMID_LIMIT, 1);
	if (seen == NULL)
		fatal("rescan");
	for (size_t i = 0; i < n; i++) {
		if (ids[i] >= DOMID_LIMIT)
			continue;
		seen[ids[i]] = 1;
		if (e->dom[ids[i]] == NULL) {
			dom_add(e, ids[i]);
			fresh = true;
		}
	}
	for (size_t i = 0; i < e->nids;) {
		unsigned id = e->ids[i];

		if (!seen[id])
			dom_remove(e, id);      /* swaps the last one in: look again */
		else
			i++;
	}
	free(seen);
	free(ids);
	/* A new domain took the memory a --free held for it. */
	if (fresh && e->hold_kb > 0 && e->st.decisions > 0 && e->publish) {
		log_info("a new domain appeared: the %" PRIu64 " MB held free are released",
		    e->hold_kb / 1024);
		e->hold_kb = 0;
		if (!e->dry_run)
			(void)bxs_rm(e->xs, BXS_REQ);
	}
	schedule_decide(e);
}

static int
connect_all(struct engine *e)
{
	const char *why = NULL;

	if (bxs_connect(e->xs) != 0) {
		once_report(&e->xs_fail, errno, "xenstore", "retrying every second");
		return -1;
	}
	e->host = host_open(&why);
	if (e->host == NULL) {
		if (once_fail(&e->host_fail, once_key(why)))
			log_warnx("libxl: %s; retrying every second", why);
		bxs_disconnect(e->xs);
		return -1;
	}
	if (once_ok(&e->host_fail))
		log_info("libxl: working again");
	once_report(&e->xs_fail, 0, "xenstore", "");
	e->up = true;
	e->host_fails = 0;
	/* The view is rebuilt from scratch: what is there is stale. */
	if (!e->dry_run && e->publish)
		(void)bxs_rm(e->xs, BXS_DOM);
	e->host_view[0] = '\0';
	e->status_view[0] = '\0';
	e->req_dirty = true;
	rescan(e);
	return 0;
}

/* --- reading what changed ------------------------------------------------- */

/* "/local/domain/N/REL": N and REL, or false. */
static bool
split_path(const char *path, unsigned *id, const char **rel)
{
	static const char pfx[] = "/local/domain/";
	const char *p, *why;
	size_t n;
	uint64_t v;

	if (strncmp(path, pfx, sizeof(pfx) - 1) != 0)
		return false;
	p = path + sizeof(pfx) - 1;
	n = parse_digits(p, strlen(p));
	if (n == 0 || parse_u64(p, n, 1, DOMID_LIMIT - 1, &v, &why) != 0)
		return false;
	*id = (unsigned)v;
	p += n;
	*rel = *p == '/' ? p + 1 : p;
	return *p == '/' || *p == '\0';
}

static void
on_event(void *ctx, const char *path)
{
	struct engine *e = ctx;
	struct dom *d;
	const char *rel;
	unsigned id;
	bool in_data;
	int k;

	e->st.events++;
	if (path[0] == '@') {
		e->rescan = true;
		return;
	}
	if (strncmp(path, BXS_REQ, sizeof(BXS_REQ) - 1) == 0) {
		e->req_dirty = true;
		return;
	}
	if (!split_path(path, &id, &rel) || (d = e->dom[id]) == NULL)
		return;
	if (strcmp(rel, "memory") == 0 || rel[0] == '\0') {
		d->dirty |= MEMORY_KEYS | GUEST_KEYS;
		d->dirty_data &= ~GUEST_KEYS;
	} else if (strcmp(rel, "data/xenballoon") == 0 || strcmp(rel, "data") == 0) {
		d->dirty |= GUEST_KEYS;
		d->dirty_data |= GUEST_KEYS;
	} else {
		k = guest_key_of(rel, strlen(rel), &in_data);
		if (k < 0)
			return;             /* not ours: no read at all */
		if (k == GK_HEARTBEAT && d->g.have[GK_HEARTBEAT]) {
			/* The write is the news: no read. */
			guest_heartbeat(&d->g, e->now);
			if (d->state == GS_STALE)
				schedule_decide(e);
			return;
		}
		d->dirty |= 1u << k;
		if (in_data)
			d->dirty_data |= 1u << k;
		else
			d->dirty_data &= ~(1u << k);
	}
	queue_dom(e, d);
}

static void
key_path(const struct dom *d, enum gkey k, bool in_data, char *buf, size_t size)
{
	if (GK_IS_GUEST(k))
		snprintf(buf, size, "/local/domain/%u/%s/%s", d->g.domid,
		    in_data ? "data/xenballoon" : "memory", gkey_path(k));
	else
		snprintf(buf, size, "/local/domain/%u/%s", d->g.domid, gkey_path(k));
}

/* Read one marked key. Returns 1 when the allocation must look again, 0
 * when not, -1 when xenstore is gone. */
static int
read_key(struct engine *e, struct dom *d, enum gkey k, bool in_data)
{
	char path[96];
	const char *why = NULL;
	unsigned len, owner;
	char *v;
	int r;

	key_path(d, k, in_data, path, sizeof(path));
	v = bxs_read(e->xs, path, &len);
	e->st.reads++;
	if (v == NULL) {
		if (errno != ENOENT && errno != EACCES && errno != EPERM)
			return bxs_errno_fatal(errno) ? -1 : 0;
		/* Absent here; a guest key counts only where it was found. */
		if (GK_IS_GUEST(k) && d->g.have[k] && ((d->from_data >> k) & 1u) != in_data)
			return 0;
		return guest_drop(&d->g, k);
	}
	if (GK_IS_ADMIN(k) && (bxs_owner(e->xs, path, &owner) != 0 || owner != 0)) {
		free(v);
		if (once_fail(&d->owner, k))
			log_warnx("domain %u: %s is not dom0's (a guest may not set its own "
			    "bounds); ignored", d->g.domid, gkey_path(k));
		return guest_drop(&d->g, k);
	}
	if (GK_IS_ADMIN(k))
		(void)once_ok(&d->owner);
	r = guest_take(&d->g, k, v, len, e->now, e->cfg.stall_permille, &why);
	free(v);
	if (r < 0) {
		if (once_fail(&d->g.bad[k], once_key(why)))
			log_warnx("domain %u: %s%s: %s; ignored", d->g.domid,
			    GK_IS_GUEST(k) ? (in_data ? "data/xenballoon/" : "memory/") : "",
			    gkey_path(k), why);
		return 0;
	}
	(void)once_ok(&d->g.bad[k]);
	if (GK_IS_GUEST(k)) {
		d->from_data = (d->from_data & ~(1u << k)) | ((uint32_t)in_data << k);
		d->g.stats_in_data = in_data;
	}
	/* An administrator's new bounds end a freeze: try again. */
	if (GK_IS_ADMIN(k) && r > 0)
		d->follow_frozen = false;
	return r;
}

/* One read pass for a queued domain, if its budget allows. */
static void
read_dom(struct engine *e, struct dom *d)
{
	uint64_t cap = (uint64_t)e->cfg.reads_per_s * 1000;
	uint32_t dirty = d->dirty, data = d->dirty_data;
	bool changed = false;

	d->tokens_milli += (e->now - d->tokens_at_ms) * e->cfg.reads_per_s;
	if (d->tokens_milli > cap)
		d->tokens_milli = cap;
	d->tokens_at_ms = e->now;
	if (d->tokens_milli < 1000) {
		uint64_t at = e->now + (1000 - d->tokens_milli + e->cfg.reads_per_s - 1) /
		    e->cfg.reads_per_s;

		if (once_fail(&d->flood, 1))
			log_warnx("domain %u writes its keys faster than the balancer reads "
			    "them (%u passes a second): read at most that often",
			    d->g.domid, e->cfg.reads_per_s);
		e->st.deferred++;
		if (at < e->deferred_ms)
			e->deferred_ms = at;
		return;                 /* stays queued */
	}
	d->tokens_milli -= 1000;
	d->dirty = d->dirty_data = 0;
	d->queued = false;
	for (int k = 0; k < GK_COUNT; k++) {
		int r;

		if (!((dirty >> k) & 1u))
			continue;
		r = read_key(e, d, (enum gkey)k, (data >> k) & 1u);
		if (r < 0) {
			go_down(e, errno);
			return;
		}
		changed |= r > 0;
	}
	if (changed)
		schedule_decide(e);
}

static void
read_queue(struct engine *e)
{
	size_t n = e->nqueue, keep = 0;

	e->deferred_ms = NEVER;
	for (size_t i = 0; i < n && e->up; i++) {
		struct dom *d = e->dom[e->queue[i]];

		if (d == NULL || !d->queued)
			continue;
		read_dom(e, d);
		if (!e->up)
			return;
		if (d->queued)
			e->queue[keep++] = d->g.domid;  /* deferred */
	}
	/* Domains queued while reading came after n. */
	if (e->up) {
		memmove(e->queue + keep, e->queue + n, (e->nqueue - n) * sizeof(*e->queue));
		e->nqueue = keep + (e->nqueue - n);
	}
}

/* A --free request: "KB TOKEN" in BXS_REQ_FREE; gone: released. */
static void
read_request(struct engine *e)
{
	unsigned len;
	char *v, *sp;
	uint64_t kb;
	const char *why;

	e->req_dirty = false;
	v = bxs_read(e->xs, BXS_REQ_FREE, &len);
	if (v == NULL) {
		if (errno != ENOENT && bxs_errno_fatal(errno))
			go_down(e, errno);
		else if (e->hold_kb > 0) {
			log_info("the --free request is withdrawn: %" PRIu64 " MB no longer held",
			    e->hold_kb / 1024);
			e->hold_kb = 0;
			schedule_decide(e);
		}
		return;
	}
	sp = memchr(v, ' ', len);
	if (sp == NULL || parse_u64(v, (size_t)(sp - v), 1, ALLOC_KB_MAX, &kb, &why) != 0 ||
	    strlen(sp + 1) == 0 || strlen(sp + 1) >= sizeof(e->hold_token)) {
		log_warnx(BXS_REQ_FREE ": not \"KB TOKEN\"; ignored");
		free(v);
		return;
	}
	if (strcmp(sp + 1, e->hold_token) != 0 || kb != e->hold_kb) {
		strlcpy(e->hold_token, sp + 1, sizeof(e->hold_token));
		e->hold_kb = kb;
		e->hold_until_ms = e->now + (uint64_t)e->cfg.hold_s * 1000;
		e->status_view[0] = '\0';
		log_info("--free: holding %" PRIu64 " MB free for up to %u s, or until a new "
		    "domain appears", kb / 1024, e->cfg.hold_s);
		schedule_decide(e);
	}
	free(v);
}

/* --- deciding ------------------------------------------------------------- */

/* What the guest holds in target units: the hypervisor also counts an
 * HVM guest's video memory, which libxl keeps out of memory/target. */
static uint64_t
held_kb(const struct dom *d)
{
	uint64_t vram = d->g.have[GK_VIDEORAM] ? d->g.val[GK_VIDEORAM] : 0;

	return d->cur_kb > vram ? d->cur_kb - vram : 0;
}

/* Holding more than the target, or less, by more than SLACK_KB of it:
 * still moving (or not following). */
static bool
over_target(uint64_t held, uint64_t target)
{
	return held > target + SLACK_KB(target);
}

static bool
under_target(uint64_t held, uint64_t target)
{
	return held + SLACK_KB(target) < target;
}

/* What the hypervisor counts for a settled guest beyond its target (a
 * few pages its balloon does not manage): learnt whenever it sits within
 * SLACK_KB of its target, kept while it moves. The pool leaves it out,
 * so the host really keeps its reserve (or a --free) free. */
static void
settle_extra(struct dom *d)
{
	uint64_t held = held_kb(d), target = d->g.val[GK_TARGET];

	if (!d->g.have[GK_TARGET])
		return;
	if (!over_target(held, target) && !under_target(held, target))
		d->extra_kb = held > target ? held - target : 0;
}

static int
refresh_host(struct engine *e)
{
	if (host_free_kb(e->host, &e->free_kb) != 0 ||
	    host_domains(e->host, &e->hv, &e->nhv, &e->cap_hv) != 0) {
		if (once_fail(&e->list_fail, 1))
			log_warnx("libxl: cannot read the host's free memory or domains; "
			    "no target moves until it can");
		e->have_free = false;
		return -1;
	}
	if (once_ok(&e->list_fail))
		log_info("libxl: reading the host again");
	e->have_free = true;
	for (size_t i = 0; i < e->nids; i++)
		e->dom[e->ids[i]]->in_hv = false;
	for (size_t i = 0; i < e->nhv; i++) {
		struct dom *d = e->hv[i].domid < DOMID_LIMIT ? e->dom[e->hv[i].domid] : NULL;

		if (d == NULL)
			continue;
		d->in_hv = true;
		d->cur_kb = e->hv[i].cur_kb;
		d->dying = e->hv[i].dying;
	}
	return 0;
}

/* Is the guest following its target? Frozen after follow_s without
 * progress toward it (down; or up while the memory is there). */
static void
check_follow(struct engine *e, struct dom *d)
{
	uint64_t held = held_kb(d), target = d->g.val[GK_TARGET];
	bool down = over_target(held, target);
	bool up = under_target(held, target) && e->free_kb >= target - held;
	char nb[GUEST_NAME_MAX + 1];

	if (d->follow_frozen) {
		if (!down && !under_target(held, target)) {
			d->follow_frozen = false;
			d->follow_since_ms = 0;
			log_info("domain %u (%s) follows its target again", d->g.domid,
			    safe_name(d, nb, sizeof(nb)));
		}
		return;
	}
	if (!down && !up) {
		d->follow_since_ms = 0;
		return;
	}
	if (d->follow_since_ms == 0 ||
	    (down ? held + PROGRESS_KB <= d->follow_mark_kb : held >= d->follow_mark_kb + PROGRESS_KB)) {
		d->follow_since_ms = e->now;
		d->follow_mark_kb = held;
		return;
	}
	if (e->now - d->follow_since_ms >= (uint64_t)e->cfg.follow_s * 1000) {
		d->follow_frozen = true;
		log_warnx("domain %u (%s) does not follow its target (%" PRIu64 " kB, holds %"
		    PRIu64 " kB) for %u s: frozen, left where it is", d->g.domid,
		    safe_name(d, nb, sizeof(nb)), target, held, e->cfg.follow_s);
	}
}

static enum gstate
classify(struct engine *e, struct dom *d)
{
	uint64_t hb = (uint64_t)e->cfg.heartbeat_s * 1000;

	if (!d->in_hv || d->dying)
		return GS_DYING;
	switch (d->g.mode) {
	case GM_SELF:
		return GS_SELF;
	case GM_IDLE:
		return GS_IDLE;
	case GM_NONE:
		return GS_NODAEMON;
	case GM_DIRECTED:
		break;
	}
	if (!d->g.have[GK_TARGET] || !d->g.have[GK_STATIC_MAX])
		return GS_NODAEMON;
	if (d->g.heartbeat_at_ms == 0 || e->now - d->g.heartbeat_at_ms > hb)
		return GS_STALE;
	check_follow(e, d);
	return d->follow_frozen ? GS_FROZEN : GS_MANAGED;
}

static void
set_state(struct engine *e, struct dom *d, enum gstate s)
{
	char nb[GUEST_NAME_MAX + 1];

	if (s == d->state)
		return;
	if (s == GS_STALE && d->state == GS_MANAGED)
		log_warnx("domain %u (%s): no heartbeat for %u s: its target is left at %"
		    PRIu64 " kB until it is back", d->g.domid, safe_name(d, nb, sizeof(nb)),
		    e->cfg.heartbeat_s, d->g.val[GK_TARGET]);
	else if (s == GS_MANAGED && d->state == GS_STALE)
		log_info("domain %u (%s): heartbeat back, managed again", d->g.domid,
		    safe_name(d, nb, sizeof(nb)));
	else if (s != GS_DYING && d->state != GS_DYING)
		log_debug("domain %u (%s): %s -> %s", d->g.domid, safe_name(d, nb, sizeof(nb)),
		    gstate_name(d->state), gstate_name(s));
	d->state = s;
}

/* The administrator's bounds: xenstore over the file over the defaults. */
static void
bounds(const struct engine *e, struct dom *d)
{
	const struct bc_guest *cg = bconfig_guest(&e->cfg, d->g.name, d->g.name_len);
	uint64_t smax = d->g.val[GK_STATIC_MAX];
	uint64_t dmin = e->cfg.min_mb * 1024, pmin = smax * e->cfg.min_percent / 100;

	d->weight = d->g.have[GK_WEIGHT] ? (unsigned)d->g.val[GK_WEIGHT] :
	    cg != NULL && cg->weight ? cg->weight : e->cfg.weight;
	d->min_kb = d->g.have[GK_MIN_MB] ? d->g.val[GK_MIN_MB] * 1024 :
	    cg != NULL && cg->min_mb ? cg->min_mb * 1024 : (dmin > pmin ? dmin : pmin);
	d->max_kb = d->g.have[GK_MAX_MB] ? d->g.val[GK_MAX_MB] * 1024 :
	    cg != NULL && cg->max_mb ? cg->max_mb * 1024 : smax;
	if (d->max_kb > smax)
		d->max_kb = smax;       /* static-max is a hard ceiling */
}

static void
grow_ag(struct engine *e)
{
	if (e->cap_ag >= e->nids)
		return;
	free(e->ag);
	free(e->agid);
	free(e->agorder);
	free(e->agtry);
	free(e->agtry_ok);
	e->cap_ag = e->nids * 2;
	e->ag = calloc(e->cap_ag, sizeof(*e->ag));
	e->agid = calloc(e->cap_ag, sizeof(*e->agid));
	e->agorder = calloc(e->cap_ag, sizeof(*e->agorder));
	e->agtry = calloc(e->cap_ag, sizeof(*e->agtry));
	e->agtry_ok = calloc(e->cap_ag, sizeof(*e->agtry_ok));
	if (e->ag == NULL || e->agid == NULL || e->agorder == NULL || e->agtry == NULL ||
	    e->agtry_ok == NULL)
		fatal("allocation table");
}

/*
 * A guest frozen because it held on to memory a lowered target asked
 * for (a --free that squeezed it below what it uses, say) rejoins the
 * share once the rule would give it at least what it holds: it then
 * need give nothing, and leaving its target below what it holds only
 * keeps its balloon driver pressing on it. Each candidate is tried in a
 * trial run of the rule beside the others that qualify; one whose share
 * falls short stays frozen, and the trial is run again without it.
 */
static void
rejoin_frozen(struct engine *e, const struct alloc_host *h, size_t n)
{
	struct alloc_result r;
	char nb[GUEST_NAME_MAX + 1];
	bool again = true;
	size_t tries = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dom *d = e->dom[e->agid[i]];
		const struct alloc_guest *a = &e->ag[i];

		e->agtry_ok[i] = d->state == GS_FROZEN &&
		    over_target(a->cur_kb, a->target_kb);
		tries += e->agtry_ok[i];
	}
	if (tries == 0)
		return;
	while (again) {
		again = false;
		memcpy(e->agtry, e->ag, n * sizeof(*e->ag));
		for (size_t i = 0; i < n; i++) {
			if (e->agtry_ok[i]) {
				e->agtry[i].frozen = false;
				e->agtry[i].rejoining = true;
			}
		}
		alloc_run(h, e->agtry, n, &r);
		for (size_t i = 0; i < n; i++) {
			if (e->agtry_ok[i] && over_target(e->agtry[i].cur_kb, e->agtry[i].share_kb)) {
				e->agtry_ok[i] = false;
				again = --tries > 0;
			}
		}
	}
	for (size_t i = 0; i < n && tries > 0; i++) {
		struct dom *d = e->dom[e->agid[i]];

		if (!e->agtry_ok[i])
			continue;
		d->follow_frozen = false;
		d->follow_since_ms = 0;
		e->ag[i].frozen = false;
		e->ag[i].rejoining = true;
		e->nstate[d->state]--;
		set_state(e, d, GS_MANAGED);
		e->nstate[d->state]++;
		log_info("domain %u (%s): its share (%" PRIu64 " kB) now covers what it holds (%"
		    PRIu64 " kB): managed again", d->g.domid, safe_name(d, nb, sizeof(nb)),
		    e->agtry[i].share_kb, e->agtry[i].cur_kb);
	}
}

static void
apply(struct engine *e, struct dom *d, const struct alloc_guest *a)
{
	uint64_t old = d->g.val[GK_TARGET];
	char nb[GUEST_NAME_MAX + 1];
	int rc = 0;

	log_debug("domain %u (%s): target %" PRIu64 " -> %" PRIu64 " kB (%s; holds %" PRIu64
	    ", goal %" PRIu64 ", share %" PRIu64 ", weight %u%s)%s", d->g.domid,
	    safe_name(d, nb, sizeof(nb)), old, a->new_target_kb, alloc_why_name(a->why),
	    a->cur_kb, a->want_kb, a->share_kb, a->weight, a->stalling ? ", stalling" : "",
	    e->dry_run ? " [dry run]" : "");
	if (e->dry_run)
		return;
	if (host_set_target(e->host, d->g.domid, a->new_target_kb,
	    d->g.have[GK_VIDEORAM] ? d->g.val[GK_VIDEORAM] : 0, &rc) != 0) {
		if (once_fail(&d->set_fail, (uint64_t)(int64_t)rc))
			log_warnx("domain %u: libxl_set_memory_target(%" PRIu64 " kB) failed "
			    "(libxl error %d)", d->g.domid, a->new_target_kb, rc);
		if (++e->host_fails >= HOST_FAILS_REOPEN) {
			/* libxl's own xenstore connection may have died. */
			const char *why;

			host_close(e->host);
			e->host = host_open(&why);
			e->host_fails = 0;
			if (e->host == NULL)
				go_down(e, EIO);
		}
		return;
	}
	if (once_ok(&d->set_fail))
		log_info("domain %u: targets are set again", d->g.domid);
	e->host_fails = 0;
	e->st.target_writes++;
	d->g.val[GK_TARGET] = a->new_target_kb;
	d->follow_since_ms = e->now;
	d->follow_mark_kb = held_kb(d);
}

static void
publish_dom(struct engine *e, struct dom *d)
{
	char v[sizeof(d->view)], path[64];
	const struct guest *g = &d->g;
	bool managed = d->state == GS_MANAGED || d->state == GS_STALE || d->state == GS_FROZEN;
	/* Compared before anything is formatted: every allocation looks at
	 * every guest, and most have not changed. */
	const uint64_t key[10] = {
		(uint64_t)d->state | (uint64_t)g->have[GK_TARGET] << 8 |
		    (uint64_t)g->have[GK_GOAL] << 9 | (uint64_t)g->have[GK_WORKINGSET] << 10 |
		    (uint64_t)g->stalling << 11,
		g->val[GK_TARGET], g->val[GK_GOAL], g->val[GK_WORKINGSET],
		managed ? d->share_kb : 0, managed ? d->weight : 0, managed ? d->min_kb : 0,
		managed ? d->max_kb : 0, 0, 0,
	};
	int n;

	if (d->view_written && memcmp(key, d->view_key, sizeof(key)) == 0)
		return;
	memcpy(d->view_key, key, sizeof(key));
	n = snprintf(v, sizeof(v), "state=%s", gstate_name(d->state));
	if (g->have[GK_TARGET])
		n += snprintf(v + n, sizeof(v) - (size_t)n, " target_kb=%" PRIu64, g->val[GK_TARGET]);
	if (g->have[GK_GOAL])
		n += snprintf(v + n, sizeof(v) - (size_t)n, " goal_kb=%" PRIu64, g->val[GK_GOAL]);
	if (g->have[GK_WORKINGSET])
		n += snprintf(v + n, sizeof(v) - (size_t)n, " workingset_kb=%" PRIu64,
		    g->val[GK_WORKINGSET]);
	if (managed)
		snprintf(v + n, sizeof(v) - (size_t)n, " share_kb=%" PRIu64 " weight=%u min_kb=%"
		    PRIu64 " max_kb=%" PRIu64 " stalling=%d", d->share_kb, d->weight, d->min_kb,
		    d->max_kb, g->stalling ? 1 : 0);
	if (d->view_written && strcmp(v, d->view) == 0)
		return;
	strlcpy(d->view, v, sizeof(d->view));
	snprintf(path, sizeof(path), BXS_DOM "/%u", g->domid);
	d->view_written = !e->dry_run && e->publish && bxs_write(e->xs, path, v) == 0;
}

static void
publish_host(struct engine *e)
{
	char v[sizeof(e->host_view)];
	uint64_t keep = e->cfg.reserve_mb * 1024;

	if (e->hold_kb > keep)
		keep = e->hold_kb;
	snprintf(v, sizeof(v), "free_kb=%" PRIu64 " reserve_kb=%" PRIu64 " keep_kb=%" PRIu64
	    " pool_kb=%" PRIu64 " want_kb=%" PRIu64 " short=%d managed=%u frozen=%u pid=%ld",
	    e->free_kb / 1024 * 1024, e->cfg.reserve_mb * 1024, keep, e->last.pool_kb / 1024 * 1024,
	    e->last.want_kb / 1024 * 1024, e->last.short_of_memory ? 1 : 0,
	    e->nstate[GS_MANAGED], e->nstate[GS_FROZEN] + e->nstate[GS_STALE], (long)getpid());
	if (e->dry_run || !e->publish)
		return;
	if (strcmp(v, e->host_view) != 0 && bxs_write(e->xs, BXS_HOST, v) == 0)
		strlcpy(e->host_view, v, sizeof(e->host_view));
	if (e->hold_kb > 0) {
		char s[sizeof(e->status_view)];
		bool moving = e->decide_ms != NEVER;
		const char *what = e->free_kb >= e->hold_kb ? "done" :
		    e->last.can_free_kb < e->hold_kb ? "short" : moving ? "working" : "stuck";

		snprintf(s, sizeof(s), "%s %s %" PRIu64 " %" PRIu64, e->hold_token, what,
		    e->free_kb, e->last.can_free_kb);
		if (strcmp(s, e->status_view) != 0 && bxs_write(e->xs, BXS_REQ_STATUS, s) == 0)
			strlcpy(e->status_view, s, sizeof(e->status_view));
	}
}

static void
decide(struct engine *e)
{
	struct alloc_host h = {
		.keep_free_kb = e->cfg.reserve_mb * 1024,
		.deadband_kb = e->cfg.deadband_mb * 1024,
		.step_min_kb = STEP_MIN_KB,
		.share_surplus = e->cfg.share_surplus,
	};
	size_t n = 0;
	bool moving = false;

	e->decide_ms = NEVER;
	/* An allocation for a change spends from the budget schedule_decide()
	 * keeps; those of the timers (MOVING_MS, HOUSEKEEP_MS) pace themselves. */
	if (e->changed) {
		e->decide_tokens_milli = decide_budget(e) >= 1000 ? e->decide_tokens_milli - 1000 : 0;
		e->changed = false;
	}
	e->housekeep_ms = e->now + HOUSEKEEP_MS;
	if (e->hold_kb > 0 && e->now >= e->hold_until_ms) {
		log_info("--free: the %" PRIu64 " MB held were not taken in %u s; released",
		    e->hold_kb / 1024, e->cfg.hold_s);
		e->hold_kb = 0;
		if (!e->dry_run)
			(void)bxs_rm(e->xs, BXS_REQ);
	}
	if (refresh_host(e) != 0)
		return;
	e->st.decisions++;
	grow_ag(e);
	memset(e->nstate, 0, sizeof(e->nstate));
	for (size_t i = 0; i < e->nids; i++) {
		struct dom *d = e->dom[e->ids[i]];
		struct alloc_guest *a;

		set_state(e, d, classify(e, d));
		e->nstate[d->state]++;
		if (d->state != GS_MANAGED && d->state != GS_STALE && d->state != GS_FROZEN)
			continue;
		bounds(e, d);
		a = &e->ag[n];
		e->agid[n++] = d->g.domid;
		settle_extra(d);
		*a = (struct alloc_guest){
			.cur_kb = held_kb(d),
			.extra_kb = d->extra_kb,
			.target_kb = d->g.val[GK_TARGET],
			.have_goal = d->g.have[GK_GOAL],
			.goal_kb = d->g.val[GK_GOAL],
			.min_kb = d->min_kb,
			.max_kb = d->max_kb,
			.weight = d->weight,
			.stalling = d->g.stalling &&
			    e->now - d->g.stall_at_ms <= (uint64_t)e->cfg.heartbeat_s * 1000,
			.frozen = d->state != GS_MANAGED,
		};
	}
	h.free_kb = e->free_kb;
	if (e->hold_kb > h.keep_free_kb)
		h.keep_free_kb = e->hold_kb;
	rejoin_frozen(e, &h, n);
	alloc_run(&h, e->ag, n, &e->last);
	/* Shrinks first, in table order; then growth in the order the rule
	 * gave it (stalling guests first), each guest's rank its place. */
	for (size_t i = 0; i < n; i++)
		e->agorder[i] = SIZE_MAX;
	for (size_t i = 0; i < n; i++)
		if (e->ag[i].rank > 0 && e->ag[i].rank <= n)
			e->agorder[e->ag[i].rank - 1] = i;
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t j = 0; j < n && e->up; j++) {
			size_t i = pass == 0 ? j : e->agorder[j];
			struct dom *d;
			const struct alloc_guest *a;

			if (i == SIZE_MAX)
				break;
			d = e->dom[e->agid[i]];
			a = &e->ag[i];
			if (pass == 0) {
				d->want_kb = a->want_kb;
				d->share_kb = a->share_kb;
				d->min_kb = a->min_kb;
				d->max_kb = a->max_kb;
				if (a->why == ALLOC_WHY_WAIT ||
				    (d->state == GS_MANAGED &&
				    (over_target(held_kb(d), a->target_kb) ||
				    under_target(held_kb(d), a->target_kb))))
					moving = true;
			}
			if (a->new_target_kb != a->target_kb &&
			    (pass == 0) == (a->new_target_kb < a->target_kb))
				apply(e, d, a);
		}
	}
	if (!e->up)
		return;
	for (size_t i = 0; i < e->nids; i++)
		publish_dom(e, e->dom[e->ids[i]]);
	/* While memory moves, look again every MOVING_MS; after a second in
	 * which nothing changed (no target set, the same free memory), less
	 * and less often, up to HOUSEKEEP_MS: a grower that waits for a frozen
	 * donor costs little. */
	if (e->last.moves > 0 || e->free_kb != e->last_free_kb) {
		e->moving_ms = MOVING_MS;
		e->still_since_ms = e->now;
	} else if (e->now - e->still_since_ms >= HOUSEKEEP_MS && e->moving_ms < HOUSEKEEP_MS) {
		e->moving_ms *= 2;
	}
	e->last_free_kb = e->free_kb;
	if (moving || e->hold_kb > 0)
		e->decide_ms = e->now + e->moving_ms;
	publish_host(e);
}

/* --- the main loop's side ------------------------------------------------- */

struct engine *
engine_new(const struct bc_config *cfg, bool dry_run)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (e == NULL || (e->dom = calloc(DOMID_LIMIT, sizeof(struct dom *))) == NULL)
		fatal("engine");
	e->xs = bxs_new();
	if (e->xs == NULL)
		fatal("engine");
	e->dry_run = dry_run;
	e->publish = true;
	e->moving_ms = MOVING_MS;
	e->decide_ms = e->housekeep_ms = e->deferred_ms = NEVER;
	engine_set_config(e, cfg);
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	drop_all(e);
	host_close(e->host);
	bxs_free(e->xs);
	bconfig_free(&e->cfg);
	free(e->dom);
	free(e->ids);
	free(e->queue);
	free(e->hv);
	free(e->ag);
	free(e->agid);
	free(e->agorder);
	free(e->agtry);
	free(e->agtry_ok);
	free(e);
}

void
engine_set_config(struct engine *e, const struct bc_config *cfg)
{
	struct bc_guest *copy = NULL;

	if (cfg->nguest > 0) {
		copy = calloc(cfg->nguest, sizeof(*copy));
		if (copy == NULL)
			fatal("configuration");
		memcpy(copy, cfg->guest, cfg->nguest * sizeof(*copy));
	}
	bconfig_free(&e->cfg);
	e->cfg = *cfg;
	e->cfg.guest = copy;
	if (e->up)
		schedule_decide(e);
}

int
engine_start(struct engine *e, uint64_t now_ms)
{
	e->now = now_ms;
	if (connect_all(e) != 0) {
		e->retry_ms = now_ms + RECONNECT_MS;
		return -1;
	}
	return 0;
}

int
engine_fd(const struct engine *e)
{
	return e->up ? bxs_fd(e->xs) : -1;
}

uint64_t
engine_deadline_ms(const struct engine *e)
{
	uint64_t d;

	if (!e->up)
		return e->retry_ms;
	d = e->decide_ms < e->housekeep_ms ? e->decide_ms : e->housekeep_ms;
	return d < e->deferred_ms ? d : e->deferred_ms;
}

void
engine_dispatch(struct engine *e, short revents, uint64_t now_ms)
{
	int n;

	e->now = now_ms;
	if (!e->up) {
		if (now_ms >= e->retry_ms && connect_all(e) != 0)
			e->retry_ms = now_ms + RECONNECT_MS;
		if (!e->up)
			return;
	}
	/* Events, on input and on every timer (a dead xenstored shows only
	 * here). */
	(void)revents;
	n = bxs_drain(e->xs, on_event, e, DRAIN_MAX);
	if (n < 0) {
		go_down(e, errno);
		return;
	}
	if (e->rescan)
		rescan(e);
	if (e->up && e->req_dirty && e->publish)
		read_request(e);
	if (e->up && e->nqueue > 0)
		read_queue(e);
	if (!e->up)
		return;
	if (e->now >= e->decide_ms || e->now >= e->housekeep_ms)
		decide(e);
}

void
engine_summary(const struct engine *e, char *buf, size_t size)
{
	if (!e->up) {
		snprintf(buf, size, "waiting for xenstore and libxl");
		return;
	}
	snprintf(buf, size, "%u managed, %u frozen or stale, %zu domains; free %" PRIu64
	    " MB, keeping %" PRIu64 " MB%s", e->nstate[GS_MANAGED],
	    e->nstate[GS_FROZEN] + e->nstate[GS_STALE], e->nids, e->free_kb / 1024,
	    (e->hold_kb > e->cfg.reserve_mb * 1024 ? e->hold_kb : e->cfg.reserve_mb * 1024) / 1024,
	    e->last.short_of_memory ? "; short of memory" : "");
}

void
engine_stats(const struct engine *e, struct engine_stats *s)
{
	*s = e->st;
}

int
engine_free_now(struct engine *e, uint64_t free_kb, uint64_t timeout_ms, uint64_t *can_free_kb,
		char *why, size_t whylen)
{
	uint64_t start = now_ms(), end = start + timeout_ms;

	*can_free_kb = 0;
	e->publish = false;
	if (engine_start(e, start) != 0) {
		snprintf(why, whylen, "cannot reach xenstore and libxl");
		return -1;
	}
	e->hold_kb = free_kb;
	e->hold_until_ms = NEVER;
	strlcpy(e->hold_token, "direct", sizeof(e->hold_token));
	for (;;) {
		uint64_t now = now_ms(), wake = engine_deadline_ms(e);
		struct pollfd p = { .fd = engine_fd(e), .events = POLLIN };

		if (now >= end)
			break;
		if (wake > end)
			wake = end;
		(void)poll(&p, p.fd >= 0 ? 1 : 0, wake > now ? (int)(wake - now) : 0);
		engine_dispatch(e, p.revents, now_ms());
		if (!e->up || !e->have_free || e->st.decisions == 0)
			continue;
		*can_free_kb = e->last.can_free_kb;
		if (e->free_kb >= free_kb)
			return 0;
		/* A guest counts as managed from its first heartbeat seen
		 * after the start: until one period has passed, what cannot
		 * be freed yet may be soon. */
		if (e->last.can_free_kb < free_kb &&
		    now_ms() - start > (uint64_t)e->cfg.heartbeat_s * 1000) {
			snprintf(why, whylen, "can free at most %" PRIu64 " MB: the managed guests "
			    "(%u) would be at their minimum", e->last.can_free_kb / 1024,
			    e->nstate[GS_MANAGED]);
			return -1;
		}
	}
	snprintf(why, whylen, "timed out: %" PRIu64 " MB free of the %" PRIu64 " MB asked "
	    "(the guests have not released it yet)", e->free_kb / 1024, free_kb / 1024);
	return -1;
}
