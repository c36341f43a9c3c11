/* kvconf.c - shell-style KEY=VALUE files (see kvconf.h).
 *
 * The daemon's file is a shell fragment in the Xen 3.4 scripts, sourced
 * by them. We accept the subset real files use and refuse anything that
 * would need a shell to evaluate, naming the file, line and key, so a
 * value is never guessed.
 */
#include "kvconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"

#define KVCONF_LINE_MAX 4096

/* Levenshtein distance between a and b, ignoring case; both are keys,
 * shorter than KVCONF_KEY_MAX. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t prev[KVCONF_KEY_MAX], cur[KVCONF_KEY_MAX];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= KVCONF_KEY_MAX || lb >= KVCONF_KEY_MAX)
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

const char *
kvconf_nearest(const char *name, const void *table, size_t n, size_t stride)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(name) / 5;

	if (limit == 0)
		limit = 1;
	for (size_t i = 0; i < n; i++) {
		const char *known = *(const char *const *)(const void *)
		    ((const char *)table + i * stride);
		size_t d = edit_distance(name, known);

		if (d < best_d) {
			best_d = d;
			best = known;
		}
	}
	return best_d <= limit ? best : NULL;
}

int
kvconf_unknown(const char *name, unsigned lineno, const char *key, const void *table,
	       size_t n, size_t stride, const char *prefix)
{
	const char *near = kvconf_nearest(key, table, n, stride);
	size_t plen = strlen(prefix);

	if (near != NULL)
		log_warnx("%.256s:%u: unknown key %s, ignored (did you mean %s?)",
		    name, lineno, key, near);
	else
		log_warnx("%.256s:%u: unknown key %s, ignored", name, lineno, key);
	/* Only the project's own names and near misses of them count: a
	 * file sourced by shell scripts may carry other variables (the Xen
	 * 3.4 OPTIONS=). */
	return near != NULL || (plen > 0 && strncasecmp(key, prefix, plen) == 0);
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
parse_line(const char *line, const char *name, unsigned lineno, kvconf_fn fn, void *ctx,
	   char *err, size_t errlen)
{
	char key[KVCONF_KEY_MAX], value[KVCONF_VALUE_MAX], why[256];
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
	if (fn(ctx, key, value, lineno, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%.256s:%u: %s: %s", name, lineno, key, why);
		return -1;
	}
	return 0;
}

int
kvconf_parse(const char *text, size_t len, const char *name, kvconf_fn fn, void *ctx,
	     char *err, size_t errlen)
{
	char line[KVCONF_LINE_MAX];
	unsigned lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl != NULL ? (size_t)(nl - text) : len) - pos;

		lineno++;
		if (memchr(text + pos, '\0', n) != NULL) {
			snprintf(err, errlen, "%.256s:%u: NUL byte in line", name, lineno);
			return -1;
		}
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "%.256s:%u: line longer than %d bytes", name, lineno,
			    KVCONF_LINE_MAX - 1);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(line, name, lineno, fn, ctx, err, errlen) != 0)
			return -1;
		pos += n + 1;
	}
	return 0;
}

int
kvconf_load(const char *path, kvconf_fn fn, void *ctx, char *err, size_t errlen)
{
	static char buf[KVCONF_FILE_MAX + 2]; /* one byte more tells "larger" */
	ssize_t n;

	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0) {
		snprintf(err, errlen, "%.256s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)n > KVCONF_FILE_MAX) {
		snprintf(err, errlen, "%.256s: larger than %zu bytes", path, KVCONF_FILE_MAX);
		return -1;
	}
	return kvconf_parse(buf, (size_t)n, path, fn, ctx, err, errlen);
}

void
kvconf_print_value(FILE *fp, const char *v)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_/.,:+@%=-";

	if (*v != '\0' && strspn(v, safe) == strlen(v)) {
		fputs(v, fp);
		return;
	}
	/* In single quotes, each ' written as '"'"' (shell style, which the
	 * parser accepts). */
	fputc('\'', fp);
	for (; *v; v++) {
		if (*v == '\'')
			fputs("'\"'\"'", fp);
		else
			fputc(*v, fp);
	}
	fputc('\'', fp);
}
