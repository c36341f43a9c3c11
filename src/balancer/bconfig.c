/* bconfig.c - the balancer's configuration file (see bconfig.h). */
#include "bconfig.h"

#include <bsd/string.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kvconf.h"
#include "log.h"
#include "parse.h"

#define PFX "XENBALLOON_BALANCER_"

/* A number key: where it goes, its range and unit (for messages). */
struct num_key {
	const char *name;            /* first: kvconf_nearest reads it */
	size_t off;
	bool wide;                   /* uint64_t, else unsigned */
	uint64_t min, max;
	const char *unit;
};

#define NUM(n, f, w, lo, hi, u) { PFX n, offsetof(struct bc_config, f), w, lo, hi, u }

static const struct num_key num_keys[] = {
	NUM("RESERVE_MB", reserve_mb, true, 0, BC_MB_MAX, "MB"),
	NUM("WEIGHT", weight, false, 1, 10000, "weight"),
	NUM("MIN_MB", min_mb, true, 0, BC_MB_MAX, "MB"),
	NUM("MIN_PERCENT", min_percent, false, 0, 100, "percent"),
	NUM("DEADBAND_MB", deadband_mb, true, 0, 65536, "MB"),
	NUM("STALL_PERMILLE", stall_permille, false, 1, 1000, "permille"),
	NUM("HEARTBEAT_SECONDS", heartbeat_s, false, 2, 600, "seconds"),
	NUM("FOLLOW_SECONDS", follow_s, false, 2, 600, "seconds"),
	NUM("HOLD_SECONDS", hold_s, false, 1, 86400, "seconds"),
	NUM("READS_PER_SECOND", reads_per_s, false, 1, 10000, "reads"),
};
#define NNUM (sizeof(num_keys) / sizeof(num_keys[0]))

/* Every key's name, for the nearest-key hint. */
static const struct { const char *name; } all_keys[] = {
	{ PFX "RESERVE_MB" }, { PFX "WEIGHT" }, { PFX "MIN_MB" }, { PFX "MIN_PERCENT" },
	{ PFX "DEADBAND_MB" }, { PFX "STALL_PERMILLE" }, { PFX "HEARTBEAT_SECONDS" },
	{ PFX "FOLLOW_SECONDS" }, { PFX "HOLD_SECONDS" }, { PFX "READS_PER_SECOND" },
	{ PFX "SURPLUS" }, { PFX "GUEST" },
};

void
bconfig_defaults(struct bc_config *c)
{
	memset(c, 0, sizeof(*c));
	c->reserve_mb = 256;
	c->share_surplus = false;
	c->weight = 100;
	c->min_mb = 128;
	c->min_percent = 25;
	c->deadband_mb = 16;
	c->stall_permille = 5;
	c->heartbeat_s = 3;
	c->follow_s = 4;
	c->hold_s = 120;
	c->reads_per_s = 20;
}

void
bconfig_free(struct bc_config *c)
{
	free(c->guest);
	c->guest = NULL;
	c->nguest = 0;
}

/* A domain name as xl accepts it: no blanks, no control characters. */
static bool
valid_name(const char *s, size_t n)
{
	if (n == 0 || n >= BC_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* "NAME weight=W min=MB max=MB" (any of the three, at least one). */
static int
parse_guest(struct bc_config *c, const char *v, char *why, size_t whylen)
{
	struct bc_guest g = { .name = "" };
	const char *p = v, *end;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t");
	if (!valid_name(p, n)) {
		snprintf(why, whylen, "\"%.80s\": want a domain name, then weight=, min= or max=", v);
		return -1;
	}
	memcpy(g.name, p, n);
	g.name[n] = '\0';
	for (p += n; *p != '\0'; p = end) {
		const char *eq, *errs = NULL;
		uint64_t x;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " \t");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || parse_u64(eq + 1, (size_t)(end - eq - 1), 0, BC_MB_MAX, &x, &errs) != 0) {
			snprintf(why, whylen, "guest %s: \"%.*s\": want weight=1..10000, "
			    "min=MB or max=MB%s%s", g.name, (int)(end - p), p,
			    errs != NULL ? ": " : "", errs != NULL ? errs : "");
			return -1;
		}
		if ((size_t)(eq - p) == 6 && memcmp(p, "weight", 6) == 0 && x >= 1 && x <= 10000)
			g.weight = (unsigned)x;
		else if ((size_t)(eq - p) == 3 && memcmp(p, "min", 3) == 0)
			g.min_mb = x;
		else if ((size_t)(eq - p) == 3 && memcmp(p, "max", 3) == 0 && x > 0)
			g.max_mb = x;
		else {
			snprintf(why, whylen, "guest %s: \"%.*s\": want weight=1..10000, min=MB "
			    "or max=1..%u MB", g.name, (int)(end - p), p, BC_MB_MAX);
			return -1;
		}
	}
	if (g.weight == 0 && g.min_mb == 0 && g.max_mb == 0) {
		snprintf(why, whylen, "guest %s: nothing set (weight=, min= or max=)", g.name);
		return -1;
	}
	if (g.max_mb != 0 && g.min_mb > g.max_mb) {
		snprintf(why, whylen, "guest %s: min=%llu is above max=%llu", g.name,
		    (unsigned long long)g.min_mb, (unsigned long long)g.max_mb);
		return -1;
	}
	if (bconfig_guest(c, g.name, strlen(g.name)) != NULL) {
		snprintf(why, whylen, "guest %s is set twice", g.name);
		return -1;
	}
	if (c->nguest >= BC_GUESTS_MAX) {
		snprintf(why, whylen, "more than %u guests", BC_GUESTS_MAX);
		return -1;
	}
	{
		struct bc_guest *ng = reallocarray(c->guest, c->nguest + 1, sizeof(*ng));

		if (ng == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		c->guest = ng;
		c->guest[c->nguest++] = g;
	}
	return 0;
}

struct pctx {
	const char *name;
	struct bc_config *c;
};

static int
take(void *ctx, const char *key, const char *value, unsigned lineno, char *why, size_t whylen)
{
	struct pctx *pc = ctx;
	struct bc_config *c = pc->c;

	for (size_t i = 0; i < NNUM; i++) {
		const struct num_key *k = &num_keys[i];
		const char *errs;
		uint64_t x;

		if (strcmp(key, k->name) != 0)
			continue;
		if (parse_u64(value, strlen(value), k->min, k->max, &x, &errs) != 0) {
			snprintf(why, whylen, "\"%.80s\" is %s (must be %llu..%llu, %s)", value, errs,
			    (unsigned long long)k->min, (unsigned long long)k->max, k->unit);
			return -1;
		}
		if (k->wide)
			*(uint64_t *)(void *)((char *)c + k->off) = x;
		else
			*(unsigned *)(void *)((char *)c + k->off) = (unsigned)x;
		return 0;
	}
	if (strcmp(key, PFX "SURPLUS") == 0) {
		if (strcmp(value, "keep") != 0 && strcmp(value, "share") != 0) {
			snprintf(why, whylen, "\"%.80s\": use keep (free for new domains) or share "
			    "(by weight)", value);
			return -1;
		}
		c->share_surplus = value[0] == 's';
		return 0;
	}
	if (strcmp(key, PFX "GUEST") == 0)
		return parse_guest(c, value, why, whylen);
	if (kvconf_unknown(pc->name, lineno, key, all_keys, sizeof(all_keys) / sizeof(all_keys[0]),
	    sizeof(all_keys[0]), "XENBALLOON_"))
		c->unknown_keys++;
	return 0;
}

static int
finish(struct bc_config *c, struct bc_config *out, int rc)
{
	if (rc != 0) {
		bconfig_free(c);
		return -1;
	}
	bconfig_free(out);
	*out = *c;
	return 0;
}

int
bconfig_parse(const char *text, size_t len, const char *name, struct bc_config *out,
	      char *err, size_t errlen)
{
	struct bc_config c;
	struct pctx pc = { .name = name, .c = &c };

	bconfig_defaults(&c);
	return finish(&c, out, kvconf_parse(text, len, name, take, &pc, err, errlen));
}

int
bconfig_load(const char *path, struct bc_config *out, char *err, size_t errlen)
{
	struct bc_config c;
	struct pctx pc = { .name = path, .c = &c };

	bconfig_defaults(&c);
	return finish(&c, out, kvconf_load(path, take, &pc, err, errlen));
}

const struct bc_guest *
bconfig_guest(const struct bc_config *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->nguest; i++)
		if (strlen(c->guest[i].name) == len && memcmp(c->guest[i].name, name, len) == 0)
			return &c->guest[i];
	return NULL;
}

void
bconfig_print(FILE *fp, const struct bc_config *c)
{
	for (size_t i = 0; i < NNUM; i++) {
		const struct num_key *k = &num_keys[i];
		const char *f = (const char *)c + k->off;

		fprintf(fp, "%s=%llu\n", k->name, k->wide ?
		    (unsigned long long)*(const uint64_t *)(const void *)f :
		    (unsigned long long)*(const unsigned *)(const void *)f);
	}
	fprintf(fp, PFX "SURPLUS=%s\n", c->share_surplus ? "share" : "keep");
	for (size_t i = 0; i < c->nguest; i++) {
		const struct bc_guest *g = &c->guest[i];
		char v[BC_NAME_MAX + 80];
		int n = snprintf(v, sizeof(v), "%s", g->name);

		if (g->weight)
			n += snprintf(v + n, sizeof(v) - (size_t)n, " weight=%u", g->weight);
		if (g->min_mb)
			n += snprintf(v + n, sizeof(v) - (size_t)n, " min=%llu",
			    (unsigned long long)g->min_mb);
		if (g->max_mb)
			snprintf(v + n, sizeof(v) - (size_t)n, " max=%llu",
			    (unsigned long long)g->max_mb);
		fputs(PFX "GUEST=", fp);
		kvconf_print_value(fp, v);
		fputc('\n', fp);
	}
}
