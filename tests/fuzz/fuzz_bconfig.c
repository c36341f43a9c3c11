/* fuzz_bconfig.c - libFuzzer harness for the balancer's configuration
 * parser (src/balancer/bconfig.c, over src/common/kvconf.c).
 *
 * Invariants: the result is 0 or -1; on -1 the settings are untouched
 * and the error names the file; on 0 every number is within its
 * documented range, each guest line has a name and something set, and
 * what -n prints parses back to the same settings.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bconfig.h"
#include "fuzz_quiet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_ranges(const struct bc_config *c)
{
	assert(c->reserve_mb <= BC_MB_MAX && c->min_mb <= BC_MB_MAX);
	assert(c->weight >= 1 && c->weight <= 10000);
	assert(c->min_percent <= 100 && c->deadband_mb <= 65536);
	assert(c->stall_permille >= 1 && c->stall_permille <= 1000);
	assert(c->heartbeat_s >= 2 && c->heartbeat_s <= 600);
	assert(c->follow_s >= 2 && c->follow_s <= 600);
	assert(c->hold_s >= 1 && c->hold_s <= 86400);
	assert(c->reads_per_s >= 1 && c->reads_per_s <= 10000);
	assert(c->nguest <= BC_GUESTS_MAX);
	for (size_t i = 0; i < c->nguest; i++) {
		const struct bc_guest *g = &c->guest[i];

		assert(g->name[0] != '\0' && strlen(g->name) < BC_NAME_MAX);
		assert(g->weight || g->min_mb || g->max_mb);
		assert(g->weight <= 10000 && g->min_mb <= BC_MB_MAX && g->max_mb <= BC_MB_MAX);
		assert(g->max_mb == 0 || g->min_mb <= g->max_mb);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bc_config c, d;
	FILE *saved = stderr;
	char err[512] = "", *printed = NULL;
	size_t plen = 0;
	FILE *fp;
	int r;

	bconfig_defaults(&c);
	c.reserve_mb = 4242;
	stderr = devnull;
	r = bconfig_parse((const char *)data, size, "fuzz.conf", &c, err, sizeof(err));
	stderr = saved;
	assert(r == 0 || r == -1);
	if (r != 0) {
		assert(c.reserve_mb == 4242 && c.nguest == 0);
		assert(strncmp(err, "fuzz.conf", 9) == 0);
		return 0;
	}
	check_ranges(&c);
	fp = open_memstream(&printed, &plen);
	assert(fp != NULL);
	bconfig_print(fp, &c);
	fclose(fp);
	bconfig_defaults(&d);
	stderr = devnull;
	r = bconfig_parse(printed, plen, "printed", &d, err, sizeof(err));
	stderr = saved;
	assert(r == 0);
	assert(d.reserve_mb == c.reserve_mb && d.weight == c.weight && d.min_mb == c.min_mb);
	assert(d.share_surplus == c.share_surplus && d.nguest == c.nguest);
	for (size_t i = 0; i < c.nguest; i++)
		assert(memcmp(&d.guest[i], &c.guest[i], sizeof(c.guest[i])) == 0);
	free(printed);
	bconfig_free(&c);
	bconfig_free(&d);
	return 0;
}
