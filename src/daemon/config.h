/* config.h - /etc/sysconfig/xenballoon.conf: shell-style KEY=VALUE. */
#ifndef XB_CONFIG_H
#define XB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define XB_INTERVAL_MAX_S 86400u    /* a day */
#define XB_HYSTERESIS_MAX 10000u
#define XB_INERTIA_MAX 100000u
#define XB_MINMEM_MAX_MB 16777216u  /* 16 TiB */
#define XB_RESERVE_MAX_PERCENT 90u
#define XB_CACHE_HOLD_MAX_S 86400u  /* a day */
#define XB_CACHE_HOLD_DEFAULT_S 150u
#define XB_STATS_PATH_MAX 128

/* XENBALLOON_GOAL: what selfballooning steers to. */
enum xb_goal {
	GOAL_COMMITTED,  /* Committed_AS (+ reserve): the 2009 rule */
	GOAL_PRESSURE,   /* memory in use + a learnt headroom, PSI-guarded */
};

const char *config_goal_name(enum xb_goal g);

struct xb_config {
	bool self;                  /* XENBALLOON_SELF */
	unsigned self_interval_s;   /* XENBALLOON_SELF_INTERVAL */
	unsigned interval_s;        /* XENBALLOON_INTERVAL */
	unsigned down_hysteresis;   /* XENBALLOON_AUTO_DOWNHYSTERESIS */
	unsigned up_hysteresis;     /* XENBALLOON_AUTO_UPHYSTERESIS */
	uint64_t minmem_mb;         /* XENBALLOON_MINMEM, 0 = heuristic */
	unsigned reserve_percent;   /* XENBALLOON_RESERVE_PERCENT (new) */
	enum xb_goal goal;          /* XENBALLOON_GOAL (new) */
	unsigned cache_hold_s;      /* XENBALLOON_CACHE_HOLD (new): unused page
				     * cache kept this long; 0 = keep none */
	char maxmem_file[PATH_MAX]; /* XENBALLOON_MAXMEMFILE */
	bool send_meminfo;          /* XENBALLOON_SEND_MEMINFO */
	bool send_vmstat;           /* XENBALLOON_SEND_VMSTAT */
	bool send_uptime;           /* XENBALLOON_SEND_UPTIME */
	bool preswap_shrink;        /* XENBALLOON_PRESWAP_SHRINK */
	char preswap_sysfile[PATH_MAX]; /* XENBALLOON_PRESWAP_SYSFILE */
	unsigned preswap_hysteresis; /* XENBALLOON_PRESWAP_HYSTERESIS */
	unsigned preswap_inertia;   /* XENBALLOON_PRESWAP_INERTIA */
	bool send_preswap;          /* XENBALLOON_SEND_PRESWAP */
	char stats_path[XB_STATS_PATH_MAX]; /* XENBALLOON_STATS_PATH (new) */
	/* Not a setting: how many unknown XENBALLOON_* keys, or keys near a
	 * known one, the file had (misspelt, most likely); xenballoond -n
	 * fails on any. */
	unsigned unknown_keys;
};

void config_defaults(struct xb_config *cfg);

/* Parse text (len bytes; name is used in messages). On success fills
 * *cfg (starting from the defaults) and returns 0; unknown keys are
 * reported through log_warnx, with the nearest known key when one is
 * close, and ignored; unknown XENBALLOON_* keys and near misses of
 * known ones are counted in cfg->unknown_keys. On error leaves *cfg
 * untouched, writes "name:line: KEY: reason" to err and returns -1. */
int config_parse(const char *text, size_t len, const char *name,
		 struct xb_config *cfg, char *err, size_t errlen);

/* config_parse on the contents of path (an unreadable file is an error
 * naming the path and strerror). */
int config_load(const char *path, struct xb_config *cfg, char *err, size_t errlen);

/* The effective settings, one KEY=VALUE per line. */
void config_print(FILE *fp, const struct xb_config *cfg);

#endif
