/* config.c - the xenballoon.conf keys: their types, ranges and defaults.
 *
 * The file is a shell fragment in the original, sourced by the script;
 * src/common/kvconf.c reads the subset real files use and refuses the
 * rest, naming the file, line and key. Here each key is given its
 * meaning.
 */
#include "config.h"

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "kvconf.h"
#include "log.h"
#include "stats.h"
#include "util.h"


enum key_type { K_BOOL_TF, K_BOOL_01, K_UINT, K_U64, K_PATH, K_STATSPATH, K_GOAL };

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
	long long min, max;
};

#define OFF(f) offsetof(struct xb_config, f)

/* What the callback of kvconf_parse carries: the settings so far. */
struct parse_ctx {
	const char *name;
	struct xb_config cfg;
};

static const struct key_def keys[] = {
	{ "XENBALLOON_SELF", K_BOOL_TF, OFF(self), 0, 0 },
	{ "XENBALLOON_SELF_INTERVAL", K_UINT, OFF(self_interval_s), 1, XB_INTERVAL_MAX_S },
	{ "XENBALLOON_INTERVAL", K_UINT, OFF(interval_s), 1, XB_INTERVAL_MAX_S },
	{ "XENBALLOON_AUTO_DOWNHYSTERESIS", K_UINT, OFF(down_hysteresis), 1, XB_HYSTERESIS_MAX },
	{ "XENBALLOON_AUTO_UPHYSTERESIS", K_UINT, OFF(up_hysteresis), 1, XB_HYSTERESIS_MAX },
	{ "XENBALLOON_MINMEM", K_U64, OFF(minmem_mb), 0, XB_MINMEM_MAX_MB },
	{ "XENBALLOON_RESERVE_PERCENT", K_UINT, OFF(reserve_percent), 0, XB_RESERVE_MAX_PERCENT },
	{ "XENBALLOON_GOAL", K_GOAL, OFF(goal), 0, 0 },
	{ "XENBALLOON_CACHE_HOLD", K_UINT, OFF(cache_hold_s), 0, XB_CACHE_HOLD_MAX_S },
	{ "XENBALLOON_MAXMEMFILE", K_PATH, OFF(maxmem_file), 0, 0 },
	{ "XENBALLOON_SEND_MEMINFO", K_BOOL_01, OFF(send_meminfo), 0, 0 },
	{ "XENBALLOON_SEND_VMSTAT", K_BOOL_01, OFF(send_vmstat), 0, 0 },
	{ "XENBALLOON_SEND_UPTIME", K_BOOL_01, OFF(send_uptime), 0, 0 },
	{ "XENBALLOON_PRESWAP_SHRINK", K_BOOL_TF, OFF(preswap_shrink), 0, 0 },
	{ "XENBALLOON_PRESWAP_SYSFILE", K_PATH, OFF(preswap_sysfile), 0, 0 },
	{ "XENBALLOON_PRESWAP_HYSTERESIS", K_UINT, OFF(preswap_hysteresis), 1, XB_HYSTERESIS_MAX },
	{ "XENBALLOON_PRESWAP_INERTIA", K_UINT, OFF(preswap_inertia), 1, XB_INERTIA_MAX },
	{ "XENBALLOON_SEND_PRESWAP", K_BOOL_01, OFF(send_preswap), 0, 0 },
	{ "XENBALLOON_STATS_PATH", K_STATSPATH, OFF(stats_path), 0, 0 },
};

void
config_defaults(struct xb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->self = false;
	cfg->self_interval_s = 1;
	cfg->interval_s = 1;
	cfg->down_hysteresis = 10;
	cfg->up_hysteresis = 1;
	cfg->minmem_mb = 0;
	cfg->reserve_percent = 0;
	cfg->goal = GOAL_PRESSURE;
	cfg->cache_hold_s = XB_CACHE_HOLD_DEFAULT_S;
	strlcpy(cfg->maxmem_file, "/var/run/xenballoon-maxmem", sizeof(cfg->maxmem_file));
	cfg->send_meminfo = true;
	cfg->send_vmstat = true;
	cfg->send_uptime = true;
	cfg->preswap_shrink = false;
	strlcpy(cfg->preswap_sysfile, "/proc/sys/vm/preswap", sizeof(cfg->preswap_sysfile));
	cfg->preswap_hysteresis = 20;
	cfg->preswap_inertia = 10;
	cfg->send_preswap = true;
	strlcpy(cfg->stats_path, XB_STATS_DEFAULT_PATH, sizeof(cfg->stats_path));
}

const char *
config_goal_name(enum xb_goal g)
{
	return g == GOAL_PRESSURE ? "pressure" : "committed";
}

static const struct key_def *
find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return -1;
}

/* A relative xenstore path: [A-Za-z0-9_-] components joined by '/'. */
static int
valid_stats_path(const char *v)
{
	size_t comp = 0;

	if (*v == '\0' || strlen(v) >= XB_STATS_PATH_MAX)
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p == '/') {
			if (comp == 0)
				return 0;
			comp = 0;
		} else if (isalnum((unsigned char)*p) || *p == '_' || *p == '-') {
			comp++;
		} else {
			return 0;
		}
	}
	return comp > 0;
}

/* Store value v for key k in cfg. On error, write the reason to why. */
static int
set_key(struct xb_config *cfg, const struct key_def *k, const char *v,
	char *why, size_t whylen)
{
	char *field = (char *)cfg + k->off;
	const char *errstr = NULL;
	long long n;

	switch (k->type) {
	case K_BOOL_TF:
	case K_BOOL_01:
		if (parse_bool(v, (bool *)field) != 0) {
			snprintf(why, whylen, "\"%.80s\" is not a boolean (use true/false or 1/0)", v);
			return -1;
		}
		return 0;
	case K_UINT:
	case K_U64:
		if (*v == '\0') {
			snprintf(why, whylen, "empty value (must be %lld..%lld)", k->min, k->max);
			return -1;
		}
		for (const char *p = v; *p; p++)
			if (!isdigit((unsigned char)*p)) {
				snprintf(why, whylen, "\"%.80s\" is not a whole number (must be %lld..%lld)",
				    v, k->min, k->max);
				return -1;
			}
		n = strtonum(v, k->min, k->max, &errstr);
		if (errstr != NULL) {
			snprintf(why, whylen, "\"%.80s\" is %s (must be %lld..%lld)", v, errstr,
			    k->min, k->max);
			return -1;
		}
		if (k->type == K_UINT)
			*(unsigned *)(void *)field = (unsigned)n;
		else
			*(uint64_t *)(void *)field = (uint64_t)n;
		return 0;
	case K_PATH:
		if (v[0] != '/') {
			snprintf(why, whylen, "\"%.80s\" is not an absolute path", v);
			return -1;
		}
		if (strlcpy(field, v, PATH_MAX) >= PATH_MAX) {
			snprintf(why, whylen, "path too long");
			return -1;
		}
		return 0;
	case K_STATSPATH:
		if (!valid_stats_path(v)) {
			snprintf(why, whylen,
			    "\"%.80s\" is not a relative xenstore path (letters, digits, _ - and /)", v);
			return -1;
		}
		strlcpy(field, v, XB_STATS_PATH_MAX);
		return 0;
	case K_GOAL:
		if (strcmp(v, "pressure") == 0)
			*(enum xb_goal *)(void *)field = GOAL_PRESSURE;
		else if (strcmp(v, "committed") == 0)
			*(enum xb_goal *)(void *)field = GOAL_COMMITTED;
		else {
			snprintf(why, whylen, "\"%.80s\" is not a goal (use pressure or committed)", v);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "internal error: unknown key type");
	return -1;
}

/* One KEY=VALUE of the file (kvconf.h). */
static int
take_pair(void *ctx, const char *key, const char *value, unsigned lineno, char *why,
	  size_t whylen)
{
	struct parse_ctx *pc = ctx;
	const struct key_def *k = find_key(key);

	if (k == NULL) {
		if (kvconf_unknown(pc->name, lineno, key, keys, sizeof(keys) / sizeof(keys[0]),
		    sizeof(keys[0]), "XENBALLOON_"))
			pc->cfg.unknown_keys++;
		return 0;
	}
	return set_key(&pc->cfg, k, value, why, whylen);
}

int
config_parse(const char *text, size_t len, const char *name, struct xb_config *out,
	     char *err, size_t errlen)
{
	struct parse_ctx pc = { .name = name };

	config_defaults(&pc.cfg);
	if (kvconf_parse(text, len, name, take_pair, &pc, err, errlen) != 0)
		return -1;
	*out = pc.cfg;
	return 0;
}

int
config_load(const char *path, struct xb_config *cfg, char *err, size_t errlen)
{
	struct parse_ctx pc = { .name = path };

	config_defaults(&pc.cfg);
	if (kvconf_load(path, take_pair, &pc, err, errlen) != 0)
		return -1;
	*cfg = pc.cfg;
	return 0;
}

void
config_print(FILE *fp, const struct xb_config *cfg)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key_def *k = &keys[i];
		const char *field = (const char *)cfg + k->off;

		switch (k->type) {
		case K_BOOL_TF:
			fprintf(fp, "%s=%s\n", k->name, *(const bool *)field ? "true" : "false");
			break;
		case K_BOOL_01:
			fprintf(fp, "%s=%d\n", k->name, *(const bool *)field ? 1 : 0);
			break;
		case K_UINT:
			fprintf(fp, "%s=%u\n", k->name, *(const unsigned *)(const void *)field);
			break;
		case K_U64:
			fprintf(fp, "%s=%llu\n", k->name,
			    (unsigned long long)*(const uint64_t *)(const void *)field);
			break;
		case K_GOAL:
			fprintf(fp, "%s=%s\n", k->name,
			    config_goal_name(*(const enum xb_goal *)(const void *)field));
			break;
		case K_PATH:
		case K_STATSPATH:
			fprintf(fp, "%s=", k->name);
			kvconf_print_value(fp, field);
			fputc('\n', fp);
			break;
		}
	}
}
