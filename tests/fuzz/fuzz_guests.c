/* fuzz_guests.c - libFuzzer harness for what the balancer takes from a
 * guest's xenstore keys (src/balancer/guests.c), the untrusted input of
 * dom0's balancer.
 *
 * Input layout: the first byte picks the key (mod GK_COUNT), the second
 * whether it is a drop (an rm) or a value; the rest is the value. Each
 * input is applied twice to one guest, the second time a second later,
 * so the pressure rule sees two samples.
 *
 * Invariants: the result is -1, 0 or 1; a refused value leaves the
 * guest's figures as they were; whatever was taken is within its bounds
 * (kB at most 2^40, a weight 1..10000, a mode one of the four, a name
 * at most GUEST_NAME_MAX bytes).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "guests.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_bounds(const struct guest *g)
{
	assert(g->mode <= GM_IDLE);
	assert(g->name_len <= GUEST_NAME_MAX);
	for (int k = 0; k < GK_COUNT; k++) {
		if (!g->have[k] || k == GK_NAME || k == GK_MODE || k == GK_PRESSURE ||
		    k == GK_HEARTBEAT)
			continue;
		if (k == GK_WEIGHT)
			assert(g->val[k] >= 1 && g->val[k] <= ALLOC_WEIGHT_MAX);
		else
			assert(g->val[k] <= ALLOC_KB_MAX);
	}
	assert(g->psi_avg10_centi <= 10000);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest g, before;
	enum gkey k;
	bool drop;
	char *v;
	size_t len;

	if (size < 2)
		return 0;
	k = (enum gkey)(data[0] % GK_COUNT);
	drop = (data[1] & 1) != 0;
	len = size - 2;
	/* Exactly len bytes on the heap: ASan sees any read past them. */
	v = malloc(len ? len : 1);
	assert(v);
	memcpy(v, data + 2, len);
	memset(&g, 0, sizeof(g));
	for (int round = 0; round < 2; round++) {
		const char *why = NULL;
		int r;

		before = g;
		if (drop) {
			r = guest_drop(&g, k);
			assert(r == 0 || r == 1);
			assert(!g.have[k]);
		} else {
			r = guest_take(&g, k, v, len, 1000 + (uint64_t)round * 1000, 5, &why);
			assert(r >= -1 && r <= 1);
			if (r < 0) {
				assert(why != NULL && why[0] != '\0');
				assert(memcmp(g.have, before.have, sizeof(g.have)) == 0);
				assert(memcmp(g.val, before.val, sizeof(g.val)) == 0);
				assert(g.mode == before.mode && g.stalling == before.stalling);
			}
		}
		check_bounds(&g);
	}
	free(v);
	return 0;
}
