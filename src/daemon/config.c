/* config.c - the xenballoon.conf parser.
 *
 * The file is a shell fragment in the original, sourced by the script.
 * We accept the subset real files use (KEY=VALUE, comments, quotes, an
 * optional "export") and refuse anything that would need a shell to
 * evaluate, naming the file, line and key, so a value is never guessed.
 */
#include "config.h"

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "stats.h"
#include "util.h"

#define CONFIG_FILE_MAX ((size_t)64 * 1024)
#define CONFIG_LINE_MAX 4096

enum key_type { K_BOOL_TF, K_BOOL_01, K_UINT, K_U64, K_PATH, K_STATSPATH, K_GOAL };

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
	long long min, max;
};

#define OFF(f) offsetof(struct xb_config, f)

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

/* Levenshtein distance between a and b, ignoring case; both are keys,
 * shorter than the parser's 64-byte key buffer. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t prev[64], cur[64];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] +
			    (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* The known key nearest to name, or NULL when none is near enough to be
 * what was meant: one edit per five characters of the name (at least
 * one), so a dropped underscore or a doubled letter is caught and an
 * unrelated name is not matched to some key. */
static const char *
nearest_key(const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(name) / 5;

	if (limit == 0)
		limit = 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t d = edit_distance(name, keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	return best_d <= limit ? best : NULL;
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

/* Unquote a shell-style value starting at s into out. Returns a pointer
 * past the value, or NULL with the reason in why. */
static const char *
unquote(const char *s, char *out, size_t outsize, char *why, size_t whylen)
{
	size_t n = 0;

	while (*s && !isspace((unsigned char)*s)) {
		char q = 0;

		if (*s == '\'' || *s == '"') {
			q = *s++;
			while (*s && *s != q) {
				if (q == '"' && strchr("$`\\", *s)) {
					snprintf(why, whylen,
					    "'%c' inside double quotes needs a shell; not supported", *s);
					return NULL;
				}
				if (n + 1 >= outsize) {
					snprintf(why, whylen, "value too long");
					return NULL;
				}
				out[n++] = *s++;
			}
			if (*s != q) {
				snprintf(why, whylen, "unterminated %c quote", q);
				return NULL;
			}
			s++;
			continue;
		}
		if (strchr("$`\\;|&<>(){}", *s)) {
			snprintf(why, whylen, "'%c' needs a shell; not supported", *s);
			return NULL;
		}
		if (n + 1 >= outsize) {
			snprintf(why, whylen, "value too long");
			return NULL;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return s;
}

static int
parse_line(char *line, struct xb_config *cfg, const char *name, unsigned lineno,
	   char *err, size_t errlen)
{
	char key[64], value[PATH_MAX], why[256];
	const struct key_def *k;
	const char *p = line;
	size_t klen = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
		p += 6;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (!(isalpha((unsigned char)*p) || *p == '_')) {
		snprintf(err, errlen, "%.256s:%u: expected KEY=VALUE, found \"%.40s\"", name, lineno, p);
		return -1;
	}
	while (isalnum((unsigned char)p[klen]) || p[klen] == '_')
		klen++;
	if (klen >= sizeof(key)) {
		snprintf(err, errlen, "%.256s:%u: key too long", name, lineno);
		return -1;
	}
	memcpy(key, p, klen);
	key[klen] = '\0';
	p += klen;
	if (*p != '=') {
		snprintf(err, errlen, "%.256s:%u: %s: expected '=' right after the key", name, lineno, key);
		return -1;
	}
	p = unquote(p + 1, value, sizeof(value), why, sizeof(why));
	if (p == NULL) {
		snprintf(err, errlen, "%.256s:%u: %s: %s", name, lineno, key, why);
		return -1;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0' && *p != '#') {
		snprintf(err, errlen, "%.256s:%u: %s: unexpected text after the value: \"%.40s\"",
		    name, lineno, key, p);
		return -1;
	}
	k = find_key(key);
	if (k == NULL) {
		const char *near = nearest_key(key);

		if (near != NULL)
			log_warnx("%.256s:%u: unknown key %s, ignored (did you mean %s?)",
			    name, lineno, key, near);
		else
			log_warnx("%.256s:%u: unknown key %s, ignored", name, lineno, key);
		/* Only the project's own names and near misses of them count:
		 * a file sourced by shell scripts may carry other variables
		 * (the Xen 3.4 OPTIONS=). */
		if (near != NULL || (strncasecmp(key, "XENBALLOON", 10) == 0 && key[10] == '_'))
			cfg->unknown_keys++;
		return 0;
	}
	if (set_key(cfg, k, value, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%.256s:%u: %s: %s", name, lineno, key, why);
		return -1;
	}
	return 0;
}

int
config_parse(const char *text, size_t len, const char *name, struct xb_config *out,
	     char *err, size_t errlen)
{
	struct xb_config cfg;
	char line[CONFIG_LINE_MAX] = "";
	unsigned lineno = 0;
	size_t pos = 0;

	config_defaults(&cfg);
	while (pos < len) {
		size_t end = pos, n;

		lineno++;
		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		if (memchr(text + pos, '\0', n) != NULL) {
			snprintf(err, errlen, "%.256s:%u: NUL byte in line", name, lineno);
			return -1;
		}
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%.256s:%u: line longer than %d bytes", name, lineno,
			    CONFIG_LINE_MAX - 1);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(line, &cfg, name, lineno, err, errlen) != 0)
			return -1;
		pos = end + 1;
	}
	*out = cfg;
	return 0;
}

int
config_load(const char *path, struct xb_config *cfg, char *err, size_t errlen)
{
	static char buf[CONFIG_FILE_MAX + 2]; /* one byte more tells "larger" */
	ssize_t n;

	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0) {
		snprintf(err, errlen, "%.256s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)n > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%.256s: larger than %zu bytes", path, CONFIG_FILE_MAX);
		return -1;
	}
	return config_parse(buf, (size_t)n, path, cfg, err, errlen);
}

/* Print a value so that config_parse reads it back unchanged: as is when
 * it is made of safe characters, else in single quotes, each ' written
 * as '"'"' (shell style, which the parser accepts). */
static void
print_value(FILE *fp, const char *v)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_/.,:+@%=-";

	if (*v != '\0' && strspn(v, safe) == strlen(v)) {
		fputs(v, fp);
		return;
	}
	fputc('\'', fp);
	for (; *v; v++) {
		if (*v == '\'')
			fputs("'\"'\"'", fp);
		else
			fputc(*v, fp);
	}
	fputc('\'', fp);
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
			print_value(fp, field);
			fputc('\n', fp);
			break;
		}
	}
}
