/* test_config.c - the xenballoon.conf parser (xenballoon.conf(5)): every key with
 * good and bad values, the shell subset it accepts, the errors it gives,
 * config_print and config_load. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define NAME "test.conf"

static struct xb_config cfg;
static char err[1024];

/* Parse text into cfg (from a poisoned start, so a field left unset
 * by a successful parse would show). */
static int
P(const char *text)
{
	memset(&cfg, 0x5a, sizeof(cfg));
	memset(err, 0, sizeof(err));
	return config_parse(text, strlen(text), NAME, &cfg, err, sizeof(err));
}

/* Expect text to be refused at line `line`, the message naming the
 * file, the line and the key (key may be NULL for line-level errors),
 * and containing reason; cfg must be left exactly as it was. */
static void
expect_error(const char *text, unsigned line, const char *key, const char *reason)
{
	struct xb_config before;
	char prefix[256];
	int r;

	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(before));
	memset(err, 0, sizeof(err));
	r = config_parse(text, strlen(text), NAME, &cfg, err, sizeof(err));
	ck_assert_msg(r == -1, "accepted: \"%s\"", text);
	if (key)
		snprintf(prefix, sizeof(prefix), "%s:%u: %s: ", NAME, line, key);
	else
		snprintf(prefix, sizeof(prefix), "%s:%u: ", NAME, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "error \"%s\" does not start with \"%s\"", err, prefix);
	ck_assert_msg(strstr(err, reason) != NULL,
	    "error \"%s\" does not contain \"%s\"", err, reason);
	ck_assert_msg(memcmp(&before, &cfg, sizeof(cfg)) == 0,
	    "output changed on error for \"%s\"", text);
}

/* Expect a whole file to be accepted. */
static void
expect_ok(const char *text)
{
	ck_assert_msg(P(text) == 0, "refused \"%s\": %s", text, err);
}

/* Field-by-field equality (struct padding may differ). */
static void
assert_cfg_eq(const struct xb_config *a, const struct xb_config *b)
{
	ck_assert_int_eq(a->self, b->self);
	ck_assert_uint_eq(a->self_interval_s, b->self_interval_s);
	ck_assert_uint_eq(a->interval_s, b->interval_s);
	ck_assert_uint_eq(a->down_hysteresis, b->down_hysteresis);
	ck_assert_uint_eq(a->up_hysteresis, b->up_hysteresis);
	ck_assert_uint_eq(a->minmem_mb, b->minmem_mb);
	ck_assert_uint_eq(a->reserve_percent, b->reserve_percent);
	ck_assert_int_eq(a->goal, b->goal);
	ck_assert_str_eq(a->maxmem_file, b->maxmem_file);
	ck_assert_int_eq(a->send_meminfo, b->send_meminfo);
	ck_assert_int_eq(a->send_vmstat, b->send_vmstat);
	ck_assert_int_eq(a->send_uptime, b->send_uptime);
	ck_assert_int_eq(a->preswap_shrink, b->preswap_shrink);
	ck_assert_str_eq(a->preswap_sysfile, b->preswap_sysfile);
	ck_assert_uint_eq(a->preswap_hysteresis, b->preswap_hysteresis);
	ck_assert_uint_eq(a->preswap_inertia, b->preswap_inertia);
	ck_assert_int_eq(a->send_preswap, b->send_preswap);
	ck_assert_str_eq(a->stats_path, b->stats_path);
}

static void
assert_is_defaults(const struct xb_config *c)
{
	struct xb_config d;

	config_defaults(&d);
	assert_cfg_eq(c, &d);
}

/* --- defaults ------------------------------------------------------------ */

START_TEST(defaults_documented)
{
	struct xb_config d;

	memset(&d, 0x77, sizeof(d));
	config_defaults(&d);
	ck_assert(!d.self);
	ck_assert_uint_eq(d.self_interval_s, 1);
	ck_assert_uint_eq(d.interval_s, 1);
	ck_assert_uint_eq(d.down_hysteresis, 10);
	ck_assert_uint_eq(d.up_hysteresis, 1);
	ck_assert_uint_eq(d.minmem_mb, 0);
	ck_assert_uint_eq(d.reserve_percent, 0);
	ck_assert_int_eq(d.goal, GOAL_PRESSURE);
	ck_assert_str_eq(d.maxmem_file, "/var/run/xenballoon-maxmem");
	ck_assert(d.send_meminfo);
	ck_assert(d.send_vmstat);
	ck_assert(d.send_uptime);
	ck_assert(!d.preswap_shrink);
	ck_assert_str_eq(d.preswap_sysfile, "/proc/sys/vm/preswap");
	ck_assert_uint_eq(d.preswap_hysteresis, 20);
	ck_assert_uint_eq(d.preswap_inertia, 10);
	ck_assert(d.send_preswap);
	ck_assert_str_eq(d.stats_path, "memory");
}
END_TEST

START_TEST(empty_file_gives_defaults)
{
	expect_ok("");
	assert_is_defaults(&cfg);
	expect_ok("\n\n   \n\t\n# only a comment\n");
	assert_is_defaults(&cfg);
}
END_TEST

static const char defaults_printed[] =
    "XENBALLOON_SELF=false\n"
    "XENBALLOON_SELF_INTERVAL=1\n"
    "XENBALLOON_INTERVAL=1\n"
    "XENBALLOON_AUTO_DOWNHYSTERESIS=10\n"
    "XENBALLOON_AUTO_UPHYSTERESIS=1\n"
    "XENBALLOON_MINMEM=0\n"
    "XENBALLOON_RESERVE_PERCENT=0\n"
    "XENBALLOON_GOAL=pressure\n"
    "XENBALLOON_CACHE_HOLD=150\n"
    "XENBALLOON_MAXMEMFILE=/var/run/xenballoon-maxmem\n"
    "XENBALLOON_SEND_MEMINFO=1\n"
    "XENBALLOON_SEND_VMSTAT=1\n"
    "XENBALLOON_SEND_UPTIME=1\n"
    "XENBALLOON_PRESWAP_SHRINK=false\n"
    "XENBALLOON_PRESWAP_SYSFILE=/proc/sys/vm/preswap\n"
    "XENBALLOON_PRESWAP_HYSTERESIS=20\n"
    "XENBALLOON_PRESWAP_INERTIA=10\n"
    "XENBALLOON_SEND_PRESWAP=1\n"
    "XENBALLOON_STATS_PATH=memory\n";

/* config_print into a fresh string (caller frees). */
static char *
print_cfg(const struct xb_config *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(fp);
	config_print(fp, c);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

START_TEST(print_defaults_exact)
{
	struct xb_config d;
	char *s;

	config_defaults(&d);
	s = print_cfg(&d);
	ck_assert_str_eq(s, defaults_printed);
	free(s);
}
END_TEST

START_TEST(print_round_trip)
{
	struct xb_config first;
	char *s;

	expect_ok("XENBALLOON_SELF=yes\n"
	    "XENBALLOON_SELF_INTERVAL=5\n"
	    "XENBALLOON_INTERVAL=7\n"
	    "XENBALLOON_AUTO_DOWNHYSTERESIS=8\n"
	    "XENBALLOON_AUTO_UPHYSTERESIS=2\n"
	    "XENBALLOON_MINMEM=16777216\n"
	    "XENBALLOON_RESERVE_PERCENT=90\n"
	    "XENBALLOON_GOAL=committed\n"
	    "XENBALLOON_MAXMEMFILE=/run/xb/maxmem\n"
	    "XENBALLOON_SEND_MEMINFO=0\n"
	    "XENBALLOON_SEND_VMSTAT=off\n"
	    "XENBALLOON_SEND_UPTIME=no\n"
	    "XENBALLOON_PRESWAP_SHRINK=on\n"
	    "XENBALLOON_PRESWAP_SYSFILE=/sys/kernel/mm/preswap\n"
	    "XENBALLOON_PRESWAP_HYSTERESIS=10000\n"
	    "XENBALLOON_PRESWAP_INERTIA=100000\n"
	    "XENBALLOON_SEND_PRESWAP=false\n"
	    "XENBALLOON_STATS_PATH=data/xenballoond\n");
	first = cfg;
	s = print_cfg(&first);
	ck_assert_ptr_nonnull(strstr(s, "XENBALLOON_SELF=true\n"));
	ck_assert_ptr_nonnull(strstr(s, "XENBALLOON_SEND_VMSTAT=0\n"));
	ck_assert_ptr_nonnull(strstr(s, "XENBALLOON_MINMEM=16777216\n"));
	ck_assert_ptr_nonnull(strstr(s, "XENBALLOON_STATS_PATH=data/xenballoond\n"));
	expect_ok(s);
	assert_cfg_eq(&cfg, &first);
	free(s);
}
END_TEST

START_TEST(print_round_trip_quotes_paths)
{
	/* `xenballoond -n` prints the effective settings as KEY=VALUE lines
	 * of this very file format; a path that needed quotes in the file
	 * must come out quoted, so the printed settings read back the same
	 * (here: a blank, a shell character, both kinds of quote). */
	struct xb_config first;
	char *s;

	expect_ok("XENBALLOON_MAXMEMFILE='/run/xen balloon/max mem'\n"
	    "XENBALLOON_PRESWAP_SYSFILE='/tmp/$x;y/it'\"'\"'s \"z\"'\n");
	ck_assert_str_eq(cfg.maxmem_file, "/run/xen balloon/max mem");
	ck_assert_str_eq(cfg.preswap_sysfile, "/tmp/$x;y/it's \"z\"");
	first = cfg;
	s = print_cfg(&first);
	ck_assert_msg(P(s) == 0, "printed settings do not parse back: %s\n%s", err, s);
	assert_cfg_eq(&cfg, &first);
	free(s);
}
END_TEST

START_TEST(all_keys_at_once)
{
	expect_ok("XENBALLOON_SELF=true\n"
	    "XENBALLOON_SELF_INTERVAL=3\n"
	    "XENBALLOON_INTERVAL=4\n"
	    "XENBALLOON_AUTO_DOWNHYSTERESIS=5\n"
	    "XENBALLOON_AUTO_UPHYSTERESIS=6\n"
	    "XENBALLOON_MINMEM=256\n"
	    "XENBALLOON_RESERVE_PERCENT=15\n"
	    "XENBALLOON_GOAL=committed\n"
	    "XENBALLOON_MAXMEMFILE=/var/lib/xenballoon/maxmem\n"
	    "XENBALLOON_SEND_MEMINFO=0\n"
	    "XENBALLOON_SEND_VMSTAT=0\n"
	    "XENBALLOON_SEND_UPTIME=0\n"
	    "XENBALLOON_PRESWAP_SHRINK=true\n"
	    "XENBALLOON_PRESWAP_SYSFILE=/tmp/preswap\n"
	    "XENBALLOON_PRESWAP_HYSTERESIS=7\n"
	    "XENBALLOON_PRESWAP_INERTIA=9\n"
	    "XENBALLOON_SEND_PRESWAP=0\n"
	    "XENBALLOON_STATS_PATH=stats\n");
	ck_assert(cfg.self);
	ck_assert_uint_eq(cfg.self_interval_s, 3);
	ck_assert_uint_eq(cfg.interval_s, 4);
	ck_assert_uint_eq(cfg.down_hysteresis, 5);
	ck_assert_uint_eq(cfg.up_hysteresis, 6);
	ck_assert_uint_eq(cfg.minmem_mb, 256);
	ck_assert_uint_eq(cfg.reserve_percent, 15);
	ck_assert_int_eq(cfg.goal, GOAL_COMMITTED);
	ck_assert_str_eq(cfg.maxmem_file, "/var/lib/xenballoon/maxmem");
	ck_assert(!cfg.send_meminfo);
	ck_assert(!cfg.send_vmstat);
	ck_assert(!cfg.send_uptime);
	ck_assert(cfg.preswap_shrink);
	ck_assert_str_eq(cfg.preswap_sysfile, "/tmp/preswap");
	ck_assert_uint_eq(cfg.preswap_hysteresis, 7);
	ck_assert_uint_eq(cfg.preswap_inertia, 9);
	ck_assert(!cfg.send_preswap);
	ck_assert_str_eq(cfg.stats_path, "stats");
}
END_TEST

/* --- integer keys ---------------------------------------------------------- */

struct int_key {
	const char *name;
	size_t off;
	int is64;
	unsigned long long min, max;
};

#define OFF(f) offsetof(struct xb_config, f)

static const struct int_key int_keys[] = {
	{ "XENBALLOON_SELF_INTERVAL", OFF(self_interval_s), 0, 1, 86400 },
	{ "XENBALLOON_INTERVAL", OFF(interval_s), 0, 1, 86400 },
	{ "XENBALLOON_AUTO_DOWNHYSTERESIS", OFF(down_hysteresis), 0, 1, 10000 },
	{ "XENBALLOON_AUTO_UPHYSTERESIS", OFF(up_hysteresis), 0, 1, 10000 },
	{ "XENBALLOON_MINMEM", OFF(minmem_mb), 1, 0, 16777216 },
	{ "XENBALLOON_RESERVE_PERCENT", OFF(reserve_percent), 0, 0, 90 },
	{ "XENBALLOON_PRESWAP_HYSTERESIS", OFF(preswap_hysteresis), 0, 1, 10000 },
	{ "XENBALLOON_PRESWAP_INERTIA", OFF(preswap_inertia), 0, 1, 100000 },
};
#define N_INT_KEYS (sizeof(int_keys) / sizeof(int_keys[0]))

static unsigned long long
get_int(const struct int_key *k)
{
	const char *f = (const char *)&cfg + k->off;

	if (k->is64)
		return *(const uint64_t *)(const void *)f;
	return *(const unsigned *)(const void *)f;
}

static void
int_ok(const struct int_key *k, const char *value, unsigned long long want)
{
	char text[256];

	snprintf(text, sizeof(text), "%s=%s\n", k->name, value);
	expect_ok(text);
	ck_assert_msg(get_int(k) == want, "%s: got %llu, want %llu", text, get_int(k), want);
}

static void
int_bad(const struct int_key *k, const char *value, const char *reason)
{
	char text[256];

	snprintf(text, sizeof(text), "# comment\n%s=%s\n", k->name, value);
	expect_error(text, 2, k->name, reason);
}

START_TEST(int_keys_good)
{
	const struct int_key *k = &int_keys[_i];
	char v[64];

	snprintf(v, sizeof(v), "%llu", k->min);
	int_ok(k, v, k->min);
	snprintf(v, sizeof(v), "%llu", k->max);
	int_ok(k, v, k->max);
	snprintf(v, sizeof(v), "%llu", k->min + 1);
	int_ok(k, v, k->min + 1);
	snprintf(v, sizeof(v), "%llu", k->max - 1);
	int_ok(k, v, k->max - 1);
	/* Quoted forms, leading zeros (decimal, not octal). */
	snprintf(v, sizeof(v), "\"%llu\"", k->max);
	int_ok(k, v, k->max);
	snprintf(v, sizeof(v), "'%llu'", k->max);
	int_ok(k, v, k->max);
	int_ok(k, "010", 10);
	/* Only that field changed: put its default back, all match. */
	{
		struct xb_config d;

		config_defaults(&d);
		memcpy((char *)&cfg + k->off, (const char *)&d + k->off,
		    k->is64 ? sizeof(uint64_t) : sizeof(unsigned));
		assert_is_defaults(&cfg);
	}
}
END_TEST

START_TEST(int_keys_bad)
{
	const struct int_key *k = &int_keys[_i];
	char v[64], why[128];

	/* Below the minimum. */
	if (k->min > 0) {
		snprintf(why, sizeof(why), "\"0\" is too small (must be %llu..%llu)", k->min, k->max);
		int_bad(k, "0", why);
	}
	/* Above the maximum. */
	snprintf(v, sizeof(v), "%llu", k->max + 1);
	snprintf(why, sizeof(why), "\"%s\" is too large (must be %llu..%llu)", v, k->min, k->max);
	int_bad(k, v, why);
	/* Far above, past 64 bits. */
	int_bad(k, "99999999999999999999999", "is too large");
	/* Negative, non-numeric, hex, fractions, spaces inside quotes. */
	snprintf(why, sizeof(why), "\"-1\" is not a whole number (must be %llu..%llu)", k->min, k->max);
	int_bad(k, "-1", why);
	int_bad(k, "+1", "is not a whole number");
	int_bad(k, "abc", "\"abc\" is not a whole number");
	int_bad(k, "0x10", "is not a whole number");
	int_bad(k, "1.5", "is not a whole number");
	int_bad(k, "1e3", "is not a whole number");
	int_bad(k, "\" 5\"", "is not a whole number");
	int_bad(k, "'5 '", "is not a whole number");
	/* A comment needs a blank before it; "5#x" is one word. */
	int_bad(k, "5#x", "\"5#x\" is not a whole number");
	/* Empty. */
	snprintf(why, sizeof(why), "empty value (must be %llu..%llu)", k->min, k->max);
	int_bad(k, "", why);
	int_bad(k, "\"\"", why);
	int_bad(k, "''", why);
}
END_TEST

START_TEST(error_message_exact)
{
	expect_error("XENBALLOON_SELF=true\n\nXENBALLOON_AUTO_DOWNHYSTERESIS=0\n", 3,
	    "XENBALLOON_AUTO_DOWNHYSTERESIS", "\"0\" is too small");
	ck_assert_str_eq(err,
	    "test.conf:3: XENBALLOON_AUTO_DOWNHYSTERESIS: \"0\" is too small (must be 1..10000)");
}
END_TEST

/* --- boolean keys -------------------------------------------------------- */

struct bool_key {
	const char *name;
	size_t off;
};

static const struct bool_key bool_keys[] = {
	{ "XENBALLOON_SELF", OFF(self) },
	{ "XENBALLOON_SEND_MEMINFO", OFF(send_meminfo) },
	{ "XENBALLOON_SEND_VMSTAT", OFF(send_vmstat) },
	{ "XENBALLOON_SEND_UPTIME", OFF(send_uptime) },
	{ "XENBALLOON_PRESWAP_SHRINK", OFF(preswap_shrink) },
	{ "XENBALLOON_SEND_PRESWAP", OFF(send_preswap) },
};
#define N_BOOL_KEYS (sizeof(bool_keys) / sizeof(bool_keys[0]))

static bool
get_bool(const struct bool_key *k)
{
	return *((const bool *)((const char *)&cfg + k->off));
}

START_TEST(bool_keys_good)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
		{ "true", true }, { "false", false }, { "1", true }, { "0", false },
		{ "yes", true }, { "no", false }, { "on", true }, { "off", false },
		{ "TRUE", true }, { "False", false }, { "Yes", true }, { "OFF", false },
		{ "\"true\"", true }, { "'0'", false }, { "\"1\"", true },
		{ "", false }, { "\"\"", false },
	};
	const struct bool_key *k = &bool_keys[_i];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];

		/* Start from the opposite value so a no-op would show. */
		snprintf(text, sizeof(text), "%s=%s\n%s=%s\n", k->name,
		    cases[i].want ? "false" : "true", k->name, cases[i].v);
		expect_ok(text);
		ck_assert_msg(get_bool(k) == cases[i].want, "%s=%s gave %d", k->name,
		    cases[i].v, get_bool(k));
	}
}
END_TEST

START_TEST(bool_keys_bad)
{
	static const char *const bad[] = {
		"maybe", "2", "-1", "tru", "truex", "y", "n", "t", "f", "01", "yes!", "\" true\"",
		"'on '",
	};
	const struct bool_key *k = &bool_keys[_i];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "%s=%s\n", k->name, bad[i]);
		expect_error(text, 1, k->name, "is not a boolean");
	}
}
END_TEST

START_TEST(send_zero_means_off)
{
	/* The original sent when SEND_* was merely non-empty, so "0" still
	 * sent; here 0 is off. */
	expect_ok("XENBALLOON_SEND_MEMINFO=0\nXENBALLOON_SEND_VMSTAT=0\n"
	    "XENBALLOON_SEND_UPTIME=0\nXENBALLOON_SEND_PRESWAP=0\n");
	ck_assert(!cfg.send_meminfo);
	ck_assert(!cfg.send_vmstat);
	ck_assert(!cfg.send_uptime);
	ck_assert(!cfg.send_preswap);
}
END_TEST

/* --- path keys -------------------------------------------------------------- */

START_TEST(path_keys)
{
	static const char *const keys[] = { "XENBALLOON_MAXMEMFILE", "XENBALLOON_PRESWAP_SYSFILE" };

	for (size_t i = 0; i < 2; i++) {
		const char *k = keys[i];
		const char *field = i == 0 ? cfg.maxmem_file : cfg.preswap_sysfile;
		char text[256];

		snprintf(text, sizeof(text), "%s=/var/lib/xenballoon/x\n", k);
		expect_ok(text);
		ck_assert_str_eq(field, "/var/lib/xenballoon/x");
		snprintf(text, sizeof(text), "%s='/path with spaces/x'\n", k);
		expect_ok(text);
		ck_assert_str_eq(field, "/path with spaces/x");
		snprintf(text, sizeof(text), "%s=\"/a # not a comment\"  # a comment\n", k);
		expect_ok(text);
		ck_assert_str_eq(field, "/a # not a comment");
		/* Single quotes keep $ and ` literally, as the shell does. */
		snprintf(text, sizeof(text), "%s='/tmp/$x/`y`'\n", k);
		expect_ok(text);
		ck_assert_str_eq(field, "/tmp/$x/`y`");
		snprintf(text, sizeof(text), "%s=/\n", k);
		expect_ok(text);
		ck_assert_str_eq(field, "/");

		snprintf(text, sizeof(text), "%s=var/run/xenballoon-maxmem\n", k);
		expect_error(text, 1, k, "\"var/run/xenballoon-maxmem\" is not an absolute path");
		snprintf(text, sizeof(text), "%s=./maxmem\n", k);
		expect_error(text, 1, k, "is not an absolute path");
		snprintf(text, sizeof(text), "%s=~/maxmem\n", k);
		expect_error(text, 1, k, "is not an absolute path");
		snprintf(text, sizeof(text), "%s=\n", k);
		expect_error(text, 1, k, "\"\" is not an absolute path");
		snprintf(text, sizeof(text), "%s=' /leading-space'\n", k);
		expect_error(text, 1, k, "is not an absolute path");
	}
}
END_TEST

START_TEST(stats_path_good)
{
	static const char *const good[] = {
		"memory", "data/xenballoond", "a-b_c/D9/x", "0", "a/b/c/d/e/f",
	};
	char text[256], longest[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "XENBALLOON_STATS_PATH=%s\n", good[i]);
		expect_ok(text);
		ck_assert_str_eq(cfg.stats_path, good[i]);
	}
	/* 127 characters: the longest that fits XB_STATS_PATH_MAX (128). */
	memset(longest, 'a', 127);
	longest[127] = '\0';
	snprintf(text, sizeof(text), "XENBALLOON_STATS_PATH=%s\n", longest);
	expect_ok(text);
	ck_assert_str_eq(cfg.stats_path, longest);
}
END_TEST

START_TEST(stats_path_bad)
{
	static const char *const bad[] = {
		"/memory", "memory/", "a//b", "a.b", "..", "a/../b", "'a b'", "\"\"", "mem:ory",
		"'a\tb'", "/", "//",
	};
	char text[256], toolong[129];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "XENBALLOON_STATS_PATH=%s\n", bad[i]);
		expect_error(text, 1, "XENBALLOON_STATS_PATH", "is not a relative xenstore path");
	}
	expect_error("XENBALLOON_STATS_PATH=\n", 1, "XENBALLOON_STATS_PATH",
	    "\"\" is not a relative xenstore path");
	memset(toolong, 'a', 128);
	toolong[128] = '\0';
	snprintf(text, sizeof(text), "XENBALLOON_STATS_PATH=%s\n", toolong);
	expect_error(text, 1, "XENBALLOON_STATS_PATH", "is not a relative xenstore path");
}
END_TEST

START_TEST(goal_values)
{
	expect_ok("XENBALLOON_GOAL=pressure\n");
	ck_assert_int_eq(cfg.goal, GOAL_PRESSURE);
	expect_ok("XENBALLOON_GOAL=\"committed\"\n");
	ck_assert_int_eq(cfg.goal, GOAL_COMMITTED);
	ck_assert_str_eq(config_goal_name(GOAL_PRESSURE), "pressure");
	ck_assert_str_eq(config_goal_name(GOAL_COMMITTED), "committed");
	expect_error("XENBALLOON_GOAL=Pressure\n", 1, "XENBALLOON_GOAL",
	    "\"Pressure\" is not a goal (use pressure or committed)");
	expect_error("\nXENBALLOON_GOAL=\n", 2, "XENBALLOON_GOAL", "\"\" is not a goal");
	expect_error("XENBALLOON_GOAL=psi\n", 1, "XENBALLOON_GOAL", "\"psi\" is not a goal");
}
END_TEST

/* Run parse with stderr going to a file; returns what was written
 * there (caller frees). */
static char *
parse_capturing_stderr(const char *text, int *rc)
{
	char path[] = "/tmp/xbtest-stderr.XXXXXX";
	int fd = mkstemp(path), saved;
	char *out;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	*rc = P(text);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	out = tu_read(path);
	unlink(path);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* --- syntax ----------------------------------------------------------------- */

START_TEST(quotes)
{
	expect_ok("XENBALLOON_INTERVAL=\"5\"\n");
	ck_assert_uint_eq(cfg.interval_s, 5);
	expect_ok("XENBALLOON_INTERVAL='6'\n");
	ck_assert_uint_eq(cfg.interval_s, 6);
	/* Adjacent quoted and bare parts join, as in the shell. */
	expect_ok("XENBALLOON_INTERVAL=\"1\"'2'3\n");
	ck_assert_uint_eq(cfg.interval_s, 123);
	/* A quote of the other kind inside is literal. */
	expect_ok("XENBALLOON_MAXMEMFILE=\"/it's\"\n");
	ck_assert_str_eq(cfg.maxmem_file, "/it's");
	expect_ok("XENBALLOON_MAXMEMFILE='/say \"hi\"'\n");
	ck_assert_str_eq(cfg.maxmem_file, "/say \"hi\"");

	expect_error("XENBALLOON_INTERVAL=\"5\n", 1, "XENBALLOON_INTERVAL", "unterminated \" quote");
	expect_error("XENBALLOON_INTERVAL='5\n", 1, "XENBALLOON_INTERVAL", "unterminated ' quote");
	expect_error("XENBALLOON_INTERVAL=5\"\n", 1, "XENBALLOON_INTERVAL", "unterminated \" quote");
	/* Text after a closing quote and a blank. */
	expect_error("XENBALLOON_INTERVAL=\"5\" 6\n", 1, "XENBALLOON_INTERVAL",
	    "unexpected text after the value");
}
END_TEST

START_TEST(export_prefix)
{
	expect_ok("export XENBALLOON_INTERVAL=7\n");
	ck_assert_uint_eq(cfg.interval_s, 7);
	expect_ok("export\tXENBALLOON_INTERVAL=8\n");
	ck_assert_uint_eq(cfg.interval_s, 8);
	expect_ok("   export    XENBALLOON_SELF=\"true\"   # on\n");
	ck_assert(cfg.self);
	/* "export" must be a word of its own: this is an unknown key. */
	{
		int rc;
		char *log = parse_capturing_stderr("exportXENBALLOON_INTERVAL=9\n", &rc);

		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(cfg.interval_s, 1);
		ck_assert_ptr_nonnull(strstr(log, "unknown key exportXENBALLOON_INTERVAL"));
		free(log);
	}
	/* A bare export, or export of a name without a value, is refused. */
	expect_error("export\n", 1, NULL, "expected '='");
	expect_error("export XENBALLOON_INTERVAL\n", 1, "XENBALLOON_INTERVAL", "expected '='");
}
END_TEST

START_TEST(comments_and_blanks_ok)
{
	expect_ok("# XENBALLOON_INTERVAL=abc\n"
	    "   # indented comment with $ and `\n"
	    "\t#\n"
	    "\n"
	    "   \n"
	    "XENBALLOON_INTERVAL=5 # trailing\n"
	    "XENBALLOON_SELF_INTERVAL=6\t# after a tab\n"
	    "XENBALLOON_MINMEM=7   \n"
	    "   XENBALLOON_RESERVE_PERCENT=8\n"
	    "XENBALLOON_STATS_PATH=x #\n"
	    "\n");
	ck_assert_uint_eq(cfg.interval_s, 5);
	ck_assert_uint_eq(cfg.self_interval_s, 6);
	ck_assert_uint_eq(cfg.minmem_mb, 7);
	ck_assert_uint_eq(cfg.reserve_percent, 8);
	ck_assert_str_eq(cfg.stats_path, "x");
}
END_TEST

START_TEST(line_numbers_count_every_line)
{
	expect_error("# 1\n\nXENBALLOON_SELF=true\n   \n# 5\nXENBALLOON_INTERVAL=x\n", 6,
	    "XENBALLOON_INTERVAL", "not a whole number");
	expect_error("XENBALLOON_INTERVAL=1\r\n\r\n\r\nXENBALLOON_MINMEM=-\r\n", 4,
	    "XENBALLOON_MINMEM", "not a whole number");
	/* The first bad line is reported, even with a later one. */
	expect_error("XENBALLOON_SELF=maybe\nXENBALLOON_INTERVAL=0\n", 1, "XENBALLOON_SELF",
	    "not a boolean");
}
END_TEST

START_TEST(crlf)
{
	expect_ok("# written on Windows\r\n"
	    "XENBALLOON_SELF=true\r\n"
	    "\r\n"
	    "XENBALLOON_INTERVAL=5\r\n"
	    "XENBALLOON_MAXMEMFILE=/var/run/x\r\n"
	    "XENBALLOON_STATS_PATH=memory/x\r\n"
	    "XENBALLOON_SEND_VMSTAT=0 # off\r\n");
	ck_assert(cfg.self);
	ck_assert_uint_eq(cfg.interval_s, 5);
	ck_assert_str_eq(cfg.maxmem_file, "/var/run/x"); /* no \r kept */
	ck_assert_str_eq(cfg.stats_path, "memory/x");
	ck_assert(!cfg.send_vmstat);
	/* No newline at the end of the last line. */
	expect_ok("XENBALLOON_INTERVAL=9");
	ck_assert_uint_eq(cfg.interval_s, 9);
	expect_ok("XENBALLOON_INTERVAL=9\r");
	ck_assert_uint_eq(cfg.interval_s, 9);
}
END_TEST

START_TEST(spaces_around_equals)
{
	expect_error("XENBALLOON_INTERVAL = 5\n", 1, "XENBALLOON_INTERVAL",
	    "expected '=' right after the key");
	expect_error("XENBALLOON_INTERVAL =5\n", 1, "XENBALLOON_INTERVAL",
	    "expected '=' right after the key");
	/* In the shell this runs "5" with an empty variable. */
	expect_error("XENBALLOON_INTERVAL= 5\n", 1, "XENBALLOON_INTERVAL",
	    "unexpected text after the value");
}
END_TEST

START_TEST(shell_syntax_refused)
{
	expect_error("XENBALLOON_MINMEM=$((1+1))\n", 1, "XENBALLOON_MINMEM", "'$' needs a shell");
	expect_error("XENBALLOON_MINMEM=$MINMEM\n", 1, "XENBALLOON_MINMEM", "'$' needs a shell");
	expect_error("XENBALLOON_MINMEM=${X:-1}\n", 1, "XENBALLOON_MINMEM", "'$' needs a shell");
	expect_error("XENBALLOON_MINMEM=`echo 1`\n", 1, "XENBALLOON_MINMEM", "'`' needs a shell");
	expect_error("XENBALLOON_MAXMEMFILE=\"$HOME/x\"\n", 1, "XENBALLOON_MAXMEMFILE",
	    "'$' inside double quotes needs a shell");
	expect_error("XENBALLOON_MAXMEMFILE=\"/x/`id`\"\n", 1, "XENBALLOON_MAXMEMFILE",
	    "'`' inside double quotes needs a shell");
	expect_error("XENBALLOON_MAXMEMFILE=\"/x\\\"y\"\n", 1, "XENBALLOON_MAXMEMFILE",
	    "'\\' inside double quotes needs a shell");
	expect_error("XENBALLOON_MINMEM=1;reboot\n", 1, "XENBALLOON_MINMEM", "';' needs a shell");
	expect_error("XENBALLOON_MINMEM=1|x\n", 1, "XENBALLOON_MINMEM", "'|' needs a shell");
	expect_error("XENBALLOON_MINMEM=1&\n", 1, "XENBALLOON_MINMEM", "'&' needs a shell");
	expect_error("XENBALLOON_MINMEM=1>x\n", 1, "XENBALLOON_MINMEM", "'>' needs a shell");
	expect_error("XENBALLOON_MINMEM=<x\n", 1, "XENBALLOON_MINMEM", "'<' needs a shell");
	expect_error("XENBALLOON_MINMEM=(1)\n", 1, "XENBALLOON_MINMEM", "'(' needs a shell");
	expect_error("XENBALLOON_MINMEM={1}\n", 1, "XENBALLOON_MINMEM", "'{' needs a shell");
	expect_error("XENBALLOON_MINMEM=a\\ b\n", 1, "XENBALLOON_MINMEM", "'\\' needs a shell");
	expect_error("XENBALLOON_MINMEM=1 && reboot\n", 1, "XENBALLOON_MINMEM",
	    "unexpected text after the value");
	/* Even for a key we do not know: its value cannot be judged. */
	expect_error("SOME_OTHER=$(reboot)\n", 1, "SOME_OTHER", "'$' needs a shell");
	/* Lines that are not assignments at all. */
	expect_error("source /etc/default/xen\n", 1, "source", "expected '=' right after the key");
	expect_error(". /etc/default/xen\n", 1, NULL, "expected KEY=VALUE");
	expect_error("if [ -f /x ]; then\n", 1, "if", "expected '='");
	expect_error("1XENBALLOON_MINMEM=1\n", 1, NULL, "expected KEY=VALUE");
	expect_error("=1\n", 1, NULL, "expected KEY=VALUE");
	expect_error("$X=1\n", 1, NULL, "expected KEY=VALUE");
}
END_TEST

START_TEST(duplicate_last_wins)
{
	expect_ok("XENBALLOON_INTERVAL=5\nXENBALLOON_INTERVAL=7\n");
	ck_assert_uint_eq(cfg.interval_s, 7);
	expect_ok("XENBALLOON_SELF=true\nXENBALLOON_SELF=false\n");
	ck_assert(!cfg.self);
	expect_ok("XENBALLOON_MAXMEMFILE=/a\nexport XENBALLOON_MAXMEMFILE=/b\n");
	ck_assert_str_eq(cfg.maxmem_file, "/b");
	/* A bad duplicate is still an error. */
	expect_error("XENBALLOON_INTERVAL=5\nXENBALLOON_INTERVAL=0\n", 2, "XENBALLOON_INTERVAL",
	    "too small");
}
END_TEST

START_TEST(unknown_keys_warned_and_ignored)
{
	int rc;
	char *log = parse_capturing_stderr("XENBALLOON_INTERVAL=3\n"
	    "XENBALLOON_FOO=1\n"
	    "\n"
	    "export OTHER_THING='any value at all'\n"
	    "xenballoon_interval=9\n", &rc);

	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(cfg.interval_s, 3);
	cfg.interval_s = 1;
	assert_is_defaults(&cfg);
	ck_assert_msg(strstr(log, "test.conf:2: unknown key XENBALLOON_FOO") != NULL, "log: %s", log);
	ck_assert_msg(strstr(log, "test.conf:4: unknown key OTHER_THING") != NULL, "log: %s", log);
	/* Keys are case-sensitive, as shell variables are. */
	ck_assert_msg(strstr(log, "test.conf:5: unknown key xenballoon_interval") != NULL,
	    "log: %s", log);
	free(log);
}
END_TEST

START_TEST(unknown_key_suggests_nearest)
{
	int rc;
	char *log = parse_capturing_stderr("XENBALLOON_SELFINTERVAL=5\n"
	    "XENBALLOON_MINMEN=64\n"
	    "XENBALLON_SELF=true\n"
	    "xenballoon_interval=9\n"
	    "XENBALLOON_FOO=1\n"
	    "OPTIONS=-v\n", &rc);

	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(log, "test.conf:1: unknown key XENBALLOON_SELFINTERVAL, ignored "
	    "(did you mean XENBALLOON_SELF_INTERVAL?)") != NULL, "log: %s", log);
	ck_assert_msg(strstr(log, "test.conf:2: unknown key XENBALLOON_MINMEN, ignored "
	    "(did you mean XENBALLOON_MINMEM?)") != NULL, "log: %s", log);
	ck_assert_msg(strstr(log, "test.conf:3: unknown key XENBALLON_SELF, ignored "
	    "(did you mean XENBALLOON_SELF?)") != NULL, "log: %s", log);
	ck_assert_msg(strstr(log, "test.conf:4: unknown key xenballoon_interval, ignored "
	    "(did you mean XENBALLOON_INTERVAL?)") != NULL, "log: %s", log);
	/* Nothing near enough: no guess. */
	ck_assert_msg(strstr(log, "test.conf:5: unknown key XENBALLOON_FOO, ignored\n") != NULL,
	    "log: %s", log);
	ck_assert_msg(strstr(log, "test.conf:6: unknown key OPTIONS, ignored\n") != NULL,
	    "log: %s", log);
	/* Counted: the XENBALLOON_* ones, whatever their case; not OPTIONS. */
	ck_assert_uint_eq(cfg.unknown_keys, 5);
	free(log);

	expect_ok("XENBALLOON_SELF=true\nOPTIONS=-v\n");
	ck_assert_uint_eq(cfg.unknown_keys, 0);
}
END_TEST

/* Every key the parser knows (as config_print lists them) is the one
 * suggested for itself with a stray letter in it: the suggestions come
 * from the parser's own table, new keys included. */
START_TEST(every_key_is_suggested_for_its_typo)
{
	struct xb_config d;
	char *printed, *line, *save = NULL;
	unsigned n = 0;

	config_defaults(&d);
	printed = print_cfg(&d);
	for (line = strtok_r(printed, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char key[64], typo[80], text[128], want[256];
		size_t klen = strcspn(line, "=");
		char *log;
		int rc;

		ck_assert_uint_lt(klen, sizeof(key));
		memcpy(key, line, klen);
		key[klen] = '\0';
		snprintf(typo, sizeof(typo), "%.*sQ%s", (int)(klen / 2), key, key + klen / 2);
		snprintf(text, sizeof(text), "%s=1\n", typo);
		log = parse_capturing_stderr(text, &rc);
		snprintf(want, sizeof(want), "unknown key %s, ignored (did you mean %s?)", typo, key);
		ck_assert_msg(strstr(log, want) != NULL, "log: %s (wanted: %s)", log, want);
		ck_assert_uint_eq(cfg.unknown_keys, 1);
		free(log);
		n++;
	}
	ck_assert_uint_ge(n, 17);
	free(printed);
}
END_TEST

START_TEST(error_leaves_output_untouched)
{
	/* Good lines first, then a bad one: none of them applies. */
	expect_error("XENBALLOON_SELF=true\n"
	    "XENBALLOON_INTERVAL=5\n"
	    "XENBALLOON_MAXMEMFILE=/x\n"
	    "XENBALLOON_STATS_PATH=/bad\n", 4, "XENBALLOON_STATS_PATH", "relative xenstore path");
}
END_TEST

START_TEST(nul_byte_refused)
{
	static const char t[] = "XENBALLOON_SELF=true\nXENBALLOON_INTERVAL=5\0 7\n";
	struct xb_config before;

	memset(&cfg, 0xa5, sizeof(cfg));
	before = cfg;
	ck_assert_int_eq(config_parse(t, sizeof(t) - 1, NAME, &cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "test.conf:2: NUL byte in line");
	ck_assert_int_eq(memcmp(&before, &cfg, sizeof(cfg)), 0);
}
END_TEST

START_TEST(long_line_and_long_key)
{
	char *t = malloc(6000);
	char key[80];

	ck_assert_ptr_nonnull(t);
	/* A 4095-byte comment line is fine; 4096 is too long. */
	memset(t, '#', 4095);
	strcpy(t + 4095, "\nXENBALLOON_INTERVAL=2\n");
	expect_ok(t);
	ck_assert_uint_eq(cfg.interval_s, 2);
	memset(t, '#', 4096);
	strcpy(t + 4096, "\n");
	expect_error(t, 1, NULL, "line longer than 4095 bytes");
	/* A path too long for a line. */
	strcpy(t, "XENBALLOON_INTERVAL=1\nXENBALLOON_MAXMEMFILE=/");
	memset(t + strlen(t), 'p', 5000);
	t[22 + 23 + 5000] = '\0';
	expect_error(t, 2, NULL, "line longer than");
	free(t);

	memset(key, 'K', 70);
	strcpy(key + 70, "=1\n");
	expect_error(key, 1, NULL, "key too long");
}
END_TEST

START_TEST(small_error_buffer)
{
	char small[12];

	memset(small, 'X', sizeof(small));
	ck_assert_int_eq(config_parse("XENBALLOON_INTERVAL=0\n", 22, NAME, &cfg, small,
	    sizeof(small)), -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_str_eq(small, "test.conf:1");
}
END_TEST

START_TEST(length_is_honoured)
{
	static const char t[] = "XENBALLOON_INTERVAL=12345";
	char *h = malloc(strlen("XENBALLOON_INTERVAL=12"));

	/* Not NUL-terminated, in a block that ends right after: ASan
	 * catches a read past len. */
	ck_assert_ptr_nonnull(h);
	memcpy(h, t, 22);
	ck_assert_int_eq(config_parse(h, 22, NAME, &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.interval_s, 12);
	free(h);
}
END_TEST

/* --- config_load ----------------------------------------------------------- */

static char dir[256];

static void
setup_dir(void)
{
	tu_mkdtemp(dir, sizeof(dir));
}

static void
teardown_dir(void)
{
	tu_rmtree(dir);
}

START_TEST(load_missing_file)
{
	char path[512], want[600];

	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	memset(&cfg, 0xa5, sizeof(cfg));
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(load_directory)
{
	memset(err, 0, sizeof(err));
	ck_assert_int_eq(config_load(dir, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, dir));
	ck_assert_ptr_nonnull(strstr(err, "Is a directory"));
}
END_TEST

START_TEST(load_good_file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/xenballoon.conf", dir);
	tu_write(path, "XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=8\n");
	memset(&cfg, 0xa5, sizeof(cfg));
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), 0);
	ck_assert(cfg.self);
	ck_assert_uint_eq(cfg.down_hysteresis, 8);
	ck_assert_uint_eq(cfg.up_hysteresis, 1);
}
END_TEST

START_TEST(load_error_names_path)
{
	char path[512], want[700];
	struct xb_config before;

	snprintf(path, sizeof(path), "%s/xenballoon.conf", dir);
	tu_write(path, "XENBALLOON_SELF=true\nXENBALLOON_INTERVAL=0\n");
	memset(&cfg, 0xa5, sizeof(cfg));
	before = cfg;
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: XENBALLOON_INTERVAL: \"0\" is too small (must be 1..86400)",
	    path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(memcmp(&before, &cfg, sizeof(cfg)), 0);
}
END_TEST

START_TEST(load_size_limit)
{
	char path[512];
	char *t = malloc(70000);
	size_t n = 0;

	ck_assert_ptr_nonnull(t);
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	/* Just under 64 KiB of comments and a setting at the end: read. */
	while (n + 100 < 65535 - 40) {
		memset(t + n, '#', 99);
		t[n + 99] = '\n';
		n += 100;
	}
	strcpy(t + n, "XENBALLOON_INTERVAL=3\n");
	ck_assert_uint_lt(strlen(t), 65535);
	tu_write(path, t);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.interval_s, 3);
	/* Well past it: refused, not silently cut. */
	memset(t, '#', 69999);
	t[69999] = '\0';
	tu_write(path, t);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "larger than 65536 bytes"));
	free(t);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_test(tc, defaults_documented);
	tcase_add_test(tc, empty_file_gives_defaults);
	tcase_add_test(tc, print_defaults_exact);
	tcase_add_test(tc, print_round_trip);
	tcase_add_test(tc, print_round_trip_quotes_paths);
	tcase_add_test(tc, all_keys_at_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, int_keys_good, 0, N_INT_KEYS);
	tcase_add_loop_test(tc, int_keys_bad, 0, N_INT_KEYS);
	tcase_add_test(tc, error_message_exact);
	tcase_add_loop_test(tc, bool_keys_good, 0, N_BOOL_KEYS);
	tcase_add_loop_test(tc, bool_keys_bad, 0, N_BOOL_KEYS);
	tcase_add_test(tc, send_zero_means_off);
	tcase_add_test(tc, path_keys);
	tcase_add_test(tc, stats_path_good);
	tcase_add_test(tc, stats_path_bad);
	tcase_add_test(tc, goal_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_test(tc, quotes);
	tcase_add_test(tc, export_prefix);
	tcase_add_test(tc, comments_and_blanks_ok);
	tcase_add_test(tc, line_numbers_count_every_line);
	tcase_add_test(tc, crlf);
	tcase_add_test(tc, spaces_around_equals);
	tcase_add_test(tc, shell_syntax_refused);
	tcase_add_test(tc, duplicate_last_wins);
	tcase_add_test(tc, unknown_keys_warned_and_ignored);
	tcase_add_test(tc, unknown_key_suggests_nearest);
	tcase_add_test(tc, every_key_is_suggested_for_its_typo);
	tcase_add_test(tc, error_leaves_output_untouched);
	tcase_add_test(tc, nul_byte_refused);
	tcase_add_test(tc, long_line_and_long_key);
	tcase_add_test(tc, small_error_buffer);
	tcase_add_test(tc, length_is_honoured);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_directory);
	tcase_add_test(tc, load_good_file);
	tcase_add_test(tc, load_error_names_path);
	tcase_add_test(tc, load_size_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(config_suite());
}
