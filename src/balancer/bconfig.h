/* bconfig.h - /etc/sysconfig/xenballoon-balancer.conf: the balancer's
 * settings and the administrator's per-guest bounds by domain name
 * (xenballoon-balancer.conf(5)). KEY=VALUE lines, read by
 * src/common/kvconf.c. */
#ifndef XB_BCONFIG_H
#define XB_BCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BC_MB_MAX 16777216u          /* 16 TiB */
#define BC_NAME_MAX 64               /* a domain name, as xl allows */
#define BC_GUESTS_MAX 1024u

/* One XENBALLOON_BALANCER_GUEST line: bounds for the domain of that
 * name; 0 = not set here. */
struct bc_guest {
	char name[BC_NAME_MAX];
	unsigned weight;
	uint64_t min_mb, max_mb;
};

struct bc_config {
	uint64_t reserve_mb;        /* XENBALLOON_BALANCER_RESERVE_MB */
	bool share_surplus;         /* XENBALLOON_BALANCER_SURPLUS=share|keep */
	unsigned weight;            /* XENBALLOON_BALANCER_WEIGHT */
	uint64_t min_mb;            /* XENBALLOON_BALANCER_MIN_MB */
	unsigned min_percent;       /* XENBALLOON_BALANCER_MIN_PERCENT of static-max */
	uint64_t deadband_mb;       /* XENBALLOON_BALANCER_DEADBAND_MB */
	unsigned stall_permille;    /* XENBALLOON_BALANCER_STALL_PERMILLE */
	unsigned heartbeat_s;       /* XENBALLOON_BALANCER_HEARTBEAT_SECONDS */
	unsigned follow_s;          /* XENBALLOON_BALANCER_FOLLOW_SECONDS */
	unsigned hold_s;            /* XENBALLOON_BALANCER_HOLD_SECONDS */
	unsigned reads_per_s;       /* XENBALLOON_BALANCER_READS_PER_SECOND */
	struct bc_guest *guest;     /* XENBALLOON_BALANCER_GUEST lines */
	size_t nguest;
	unsigned unknown_keys;      /* misspelt keys: -n fails on any */
};

void bconfig_defaults(struct bc_config *c);
void bconfig_free(struct bc_config *c);

/* Parse text or a file into *c (from the defaults). On error *c is left
 * as it was and err says "file:line: KEY: reason". */
int bconfig_parse(const char *text, size_t len, const char *name, struct bc_config *c,
		  char *err, size_t errlen);
int bconfig_load(const char *path, struct bc_config *c, char *err, size_t errlen);

/* The bounds set for a domain name, or NULL. */
const struct bc_guest *bconfig_guest(const struct bc_config *c, const char *name, size_t len);

/* The effective settings, one KEY=VALUE per line (-n). */
void bconfig_print(FILE *fp, const struct bc_config *c);

#endif
