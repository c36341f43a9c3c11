/* fuzz_config.c - libFuzzer harness for config_parse.
 *
 * Invariants checked on every input:
 * - the result is 0 or -1;
 * - on error: the output struct is byte-for-byte untouched and the
 *   message is NUL-terminated and starts with "fuzz.conf:<line>:";
 * - on success: every field is within its documented range, paths are
 *   absolute and terminated, the stats path is a relative xenstore path;
 * - config_print of a successful result parses back to the same values
 *   whenever the paths hold nothing that would need quoting.
 */
#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_quiet.h"

#define NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_bool(const bool *b)
{
	unsigned char c;

	memcpy(&c, b, 1);
	return c == 0 || c == 1;
}

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_ranges(const struct xb_config *c)
{
	assert(is_bool(&c->self) && is_bool(&c->send_meminfo) && is_bool(&c->send_vmstat) &&
	    is_bool(&c->send_uptime) && is_bool(&c->preswap_shrink) && is_bool(&c->send_preswap));
	assert(c->self_interval_s >= 1 && c->self_interval_s <= XB_INTERVAL_MAX_S);
	assert(c->interval_s >= 1 && c->interval_s <= XB_INTERVAL_MAX_S);
	assert(c->down_hysteresis >= 1 && c->down_hysteresis <= XB_HYSTERESIS_MAX);
	assert(c->up_hysteresis >= 1 && c->up_hysteresis <= XB_HYSTERESIS_MAX);
	assert(c->minmem_mb <= XB_MINMEM_MAX_MB);
	assert(c->reserve_percent <= XB_RESERVE_MAX_PERCENT);
	assert(c->preswap_hysteresis >= 1 && c->preswap_hysteresis <= XB_HYSTERESIS_MAX);
	assert(c->preswap_inertia >= 1 && c->preswap_inertia <= XB_INERTIA_MAX);
	assert(terminated(c->maxmem_file, sizeof(c->maxmem_file)));
	assert(c->maxmem_file[0] == '/');
	assert(terminated(c->preswap_sysfile, sizeof(c->preswap_sysfile)));
	assert(c->preswap_sysfile[0] == '/');
	assert(terminated(c->stats_path, sizeof(c->stats_path)));
	{
		const char *p = c->stats_path;
		size_t comp = 0;

		assert(*p != '\0');
		for (; *p; p++) {
			if (*p == '/') {
				assert(comp > 0);
				comp = 0;
			} else {
				assert(isalnum((unsigned char)*p) || *p == '_' || *p == '-');
				comp++;
			}
		}
		assert(comp > 0);
	}
}

static void
check_round_trip(const struct xb_config *c)
{
	static char text[4 * PATH_MAX];
	struct xb_config again;
	char err[512];
	FILE *fp;
	long n;

	fp = fmemopen(text, sizeof(text), "w");
	assert(fp != NULL);
	config_print(fp, c);
	n = ftell(fp);
	fclose(fp);
	assert(n > 0 && (size_t)n < sizeof(text));
	if (config_parse(text, (size_t)n, "printed", &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "printed config does not parse back: %s\n%s", err, text);
		abort();
	}
	assert(again.self == c->self);
	assert(again.self_interval_s == c->self_interval_s);
	assert(again.interval_s == c->interval_s);
	assert(again.down_hysteresis == c->down_hysteresis);
	assert(again.up_hysteresis == c->up_hysteresis);
	assert(again.minmem_mb == c->minmem_mb);
	assert(again.reserve_percent == c->reserve_percent);
	assert(strcmp(again.maxmem_file, c->maxmem_file) == 0);
	assert(again.send_meminfo == c->send_meminfo);
	assert(again.send_vmstat == c->send_vmstat);
	assert(again.send_uptime == c->send_uptime);
	assert(again.preswap_shrink == c->preswap_shrink);
	assert(strcmp(again.preswap_sysfile, c->preswap_sysfile) == 0);
	assert(again.preswap_hysteresis == c->preswap_hysteresis);
	assert(again.preswap_inertia == c->preswap_inertia);
	assert(again.send_preswap == c->send_preswap);
	assert(strcmp(again.stats_path, c->stats_path) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xb_config cfg, before;
	char err[512];
	FILE *saved = stderr;
	int r;

	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	memset(err, 'E', sizeof(err));
	stderr = devnull;
	r = config_parse((const char *)data, size, NAME, &cfg, err, sizeof(err));
	stderr = saved;

	assert(r == 0 || r == -1);
	if (r == -1) {
		assert(memcmp(&cfg, &before, sizeof(cfg)) == 0);
		assert(terminated(err, sizeof(err)));
		assert(strncmp(err, NAME ":", sizeof(NAME)) == 0);
		assert(isdigit((unsigned char)err[sizeof(NAME)]));
		return 0;
	}
	check_ranges(&cfg);
	check_round_trip(&cfg);
	return 0;
}
