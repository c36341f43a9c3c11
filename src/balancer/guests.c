/* guests.c - one domain's figures, parsed (see guests.h). */
#include "guests.h"

#include <string.h>

#include "alloc.h"
#include "psi.h"
#include "stats.h"
#include "xsval.h"

#define GUEST_VALUE_MAX 4096       /* a xenstore payload is smaller */

static const char *const key_paths[GK_COUNT] = {
	[GK_NAME] = "name",
	[GK_TARGET] = "memory/target",
	[GK_STATIC_MAX] = "memory/static-max",
	[GK_VIDEORAM] = "memory/videoram",
	[GK_WEIGHT] = "memory/balancer-weight",
	[GK_MIN_MB] = "memory/balancer-min-mb",
	[GK_MAX_MB] = "memory/balancer-max-mb",
	[GK_MODE] = "mode",
	[GK_HEARTBEAT] = "heartbeat",
	[GK_GOAL] = "goal",
	[GK_PRESSURE] = "pressure",
	[GK_WORKINGSET] = "workingset",
	[GK_USED] = "used",
};

/* The stats keys and their names in stats.h (the daemon's own list). */
static const struct {
	enum gkey k;
	enum xs_stat s;
} stat_keys[] = {
	{ GK_MODE, XSS_MODE }, { GK_HEARTBEAT, XSS_HEARTBEAT }, { GK_GOAL, XSS_GOAL },
	{ GK_PRESSURE, XSS_PRESSURE }, { GK_WORKINGSET, XSS_WORKINGSET }, { GK_USED, XSS_USED },
};

const char *
gkey_path(enum gkey k)
{
	return k < GK_COUNT ? key_paths[k] : "?";
}

const char *
gstate_name(enum gstate s)
{
	switch (s) {
	case GS_NODAEMON:
		return "no-daemon";
	case GS_SELF:
		return "self";
	case GS_IDLE:
		return "idle";
	case GS_MANAGED:
		return "managed";
	case GS_STALE:
		return "stale";
	case GS_FROZEN:
		return "frozen";
	case GS_DYING:
		return "dying";
	}
	return "?";
}

/* rel[0..len) == prefix + name exactly. */
static bool
is_path(const char *rel, size_t len, const char *prefix, const char *name)
{
	size_t p = strlen(prefix), n = strlen(name);

	return len == p + n && memcmp(rel, prefix, p) == 0 && memcmp(rel + p, name, n) == 0;
}

int
guest_key_of(const char *rel, size_t len, bool *in_data)
{
	*in_data = false;
	for (int k = 0; k < GK_MODE; k++)
		if (is_path(rel, len, "", key_paths[k]))
			return k;
	for (size_t i = 0; i < sizeof(stat_keys) / sizeof(stat_keys[0]); i++) {
		const char *name = xb_stat_names[stat_keys[i].s];

		if (is_path(rel, len, XB_STATS_DEFAULT_PATH "/", name))
			return (int)stat_keys[i].k;
		if (is_path(rel, len, XB_STATS_FALLBACK_PATH "/", name)) {
			*in_data = true;
			return (int)stat_keys[i].k;
		}
	}
	return -1;
}

static int
parse_mode(const char *v, size_t len, enum gmode *m)
{
	static const struct {
		const char *text;
		enum gmode m;
	} modes[] = { { "self", GM_SELF }, { "directed", GM_DIRECTED }, { "idle", GM_IDLE } };

	if (len > 0 && v[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (len == strlen(modes[i].text) && memcmp(v, modes[i].text, len) == 0) {
			*m = modes[i].m;
			return 0;
		}
	}
	return -1;
}

/* Pressure: stalling when the "some" stall since the last sample, or
 * its 10 s average, reaches stall_permille of the time. */
static int
take_pressure(struct guest *g, const char *v, size_t len, uint64_t now, unsigned permille,
	      const char **why)
{
	struct psi p;
	bool was = g->stalling, stall;

	if (psi_parse(v, len, &p) != 0) {
		*why = "not /proc/pressure/memory's \"some\" line";
		return -1;
	}
	stall = p.some.avg10_centi >= permille * 10u;
	if (g->psi_at_ms != 0 && now > g->psi_at_ms && p.some.total_us >= g->psi_total_us &&
	    p.some.total_us - g->psi_total_us >= (now - g->psi_at_ms) * permille)
		stall = true;
	g->psi_total_us = p.some.total_us;
	g->psi_at_ms = now;
	g->psi_avg10_centi = p.some.avg10_centi;
	g->have[GK_PRESSURE] = true;
	g->stalling = stall;
	if (stall)
		g->stall_at_ms = now;
	return stall != was;
}

int
guest_take(struct guest *g, enum gkey k, const char *v, size_t len, uint64_t now,
	   unsigned stall_permille, const char **why)
{
	uint64_t x, max = ALLOC_KB_MAX, min = 0;
	bool had = g->have[k];
	uint64_t old = g->val[k];

	if (len > GUEST_VALUE_MAX) {
		*why = "longer than a xenstore value can be";
		return -1;
	}
	switch (k) {
	case GK_NAME:
		g->name_len = len < GUEST_NAME_MAX ? len : GUEST_NAME_MAX;
		memcpy(g->name, v, g->name_len);
		g->have[k] = true;
		return 1;
	case GK_MODE: {
		enum gmode m;

		if (parse_mode(v, len, &m) != 0) {
			*why = "not self, directed or idle";
			return -1;
		}
		g->have[k] = true;
		if (m == g->mode)
			return 0;
		g->mode = m;
		return 1;
	}
	case GK_PRESSURE:
		return take_pressure(g, v, len, now, stall_permille, why);
	case GK_HEARTBEAT:
		max = UINT64_MAX;
		break;
	case GK_WEIGHT:
		min = 1;
		max = ALLOC_WEIGHT_MAX;
		break;
	case GK_MIN_MB:
	case GK_MAX_MB:
		max = ALLOC_KB_MAX / 1024;
		min = k == GK_MAX_MB ? 1 : 0;
		break;
	case GK_TARGET:
	case GK_STATIC_MAX:
		min = 1;
		break;
	default:
		break;
	}
	if (xsval_parse_u64(v, len, min, max, &x, why) != 0)
		return -1;
	if (k == GK_HEARTBEAT) {
		/* Only a count that moved since the last read is a beat: the
		 * first read of a balancer that just started may find the
		 * count of a daemon that stopped long ago. */
		if (had && old != x)
			guest_heartbeat(g, now);
		g->have[k] = true;
		g->val[k] = x;
		return 0;
	}
	g->have[k] = true;
	g->val[k] = x;
	/* What the guest uses only to tell (workingset, used) moves nothing. */
	if (k == GK_WORKINGSET || k == GK_USED)
		return 0;
	return !had || old != x;
}

int
guest_drop(struct guest *g, enum gkey k)
{
	bool had = g->have[k];

	g->have[k] = false;
	g->val[k] = 0;
	if (k == GK_MODE) {
		had = g->mode != GM_NONE;
		g->mode = GM_NONE;
	}
	if (k == GK_PRESSURE) {
		had = g->stalling;
		g->stalling = false;
		g->psi_at_ms = 0;
	}
	return had && k != GK_WORKINGSET && k != GK_USED && k != GK_HEARTBEAT && k != GK_NAME;
}

void
guest_heartbeat(struct guest *g, uint64_t now_ms)
{
	g->heartbeat_at_ms = now_ms;
}
