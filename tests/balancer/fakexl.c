/*
 * fakexl.c - a STAND-IN FOR THE HYPERVISOR, for the balancer's tests
 * only. Loaded with LD_PRELOAD into xenballoon-balancer, it answers the
 * few libxl calls the balancer makes (src/balancer/host.c) from a fake
 * hypervisor kept in a shared file, and, like libxl, writes memory/target
 * to the real xenstored of tests/harness. It proves the balancer's logic
 * against a real xenstored, not libxl itself: the end-to-end test in a
 * real Xen host does that.
 *
 *   libxl_ctx_alloc / libxl_ctx_free    open the state file ($XB_FAKEHV)
 *                                       and a xenstore connection
 *   libxl_get_free_memory               total - dom0 - what the domains hold
 *   libxl_list_domain / _list_free      dom0 and every domain in the file
 *   libxl_set_memory_target             as libxl_mem.c does it: the target
 *                                       less memory/videoram, refused above
 *                                       memory/static-max, memory/target
 *                                       written in a transaction, the
 *                                       maximum raised or lowered (enforce)
 *
 * The state file (tests/balancer/fakehv.py reads and writes the same
 * layout; the fake guests follow their targets there): a 64-byte
 * header, then FAKEHV_DOMS entries of 64 bytes, entry i for domid i,
 * all little endian, each access under flock(2):
 *
 *   header: char magic[8] "XBFAKEHV"; u32 version 1; u32 ndoms;
 *           u64 total_kb; u64 dom0_kb; u64 set_calls; u64 set_fail;
 *           u64 pad[2]
 *   entry:  u32 domid; u32 flags (1 exists, 2 dying); u64 cur_kb;
 *           u64 max_kb; u64 target_kb; u64 sets; u64 last_set_ns
 *           (CLOCK_MONOTONIC); u64 pad[2]
 *
 * set_fail > 0 makes that many libxl_set_memory_target calls fail (a
 * fault), counting down.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <xenstore.h>

#define FAKEHV_DOMS 1024u
#define SHIM_EXPORT __attribute__((visibility("default")))

struct fake_head {
	char magic[8];
	uint32_t version, ndoms;
	uint64_t total_kb, dom0_kb, set_calls, set_fail, pad[2];
};

struct fake_dom {
	uint32_t domid, flags;
	uint64_t cur_kb, max_kb, target_kb, sets, last_set_ns, pad[2];
};

struct fake_state {
	struct fake_head head;
	struct fake_dom dom[FAKEHV_DOMS];
};

_Static_assert(sizeof(struct fake_head) == 64, "header layout");
_Static_assert(sizeof(struct fake_dom) == 64, "entry layout");

/* libxl_ctx is opaque to callers: the shim's own. */
struct libxl__ctx {
	int fd;
	struct fake_state *st;
	struct xs_handle *xs;
};

static void
lock(libxl_ctx *ctx, int how)
{
	while (flock(ctx->fd, how) != 0 && errno == EINTR)
		;
}

static void
unlock(libxl_ctx *ctx)
{
	(void)flock(ctx->fd, LOCK_UN);
}

SHIM_EXPORT int
libxl_ctx_alloc(libxl_ctx **pctx, int version, unsigned flags, xentoollog_logger *lg)
{
	const char *path = getenv("XB_FAKEHV");
	libxl_ctx *ctx;
	void *m;

	(void)version, (void)flags, (void)lg;
	*pctx = NULL;
	if (path == NULL || *path == '\0')
		return ERROR_FAIL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return ERROR_NOMEM;
	ctx->fd = open(path, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0)
		goto fail;
	m = mmap(NULL, sizeof(struct fake_state), PROT_READ | PROT_WRITE, MAP_SHARED, ctx->fd, 0);
	if (m == MAP_FAILED)
		goto fail;
	ctx->st = m;
	if (memcmp(ctx->st->head.magic, "XBFAKEHV", 8) != 0)
		goto fail;
	/* libxl keeps a xenstore connection of its own, as here. */
	ctx->xs = xs_open(0);
	if (ctx->xs == NULL)
		goto fail;
	*pctx = ctx;
	return 0;
fail:
	if (ctx->st != NULL)
		munmap(ctx->st, sizeof(struct fake_state));
	if (ctx->fd >= 0)
		close(ctx->fd);
	free(ctx);
	return ERROR_FAIL;
}

SHIM_EXPORT int
libxl_ctx_free(libxl_ctx *ctx)
{
	if (ctx == NULL)
		return 0;
	xs_close(ctx->xs);
	munmap(ctx->st, sizeof(struct fake_state));
	close(ctx->fd);
	free(ctx);
	return 0;
}

SHIM_EXPORT int
libxl_get_free_memory(libxl_ctx *ctx, uint64_t *memkb)
{
	uint64_t used;

	lock(ctx, LOCK_SH);
	used = ctx->st->head.dom0_kb;
	for (unsigned i = 1; i < FAKEHV_DOMS; i++)
		if (ctx->st->dom[i].flags & 1u)
			used += ctx->st->dom[i].cur_kb;
	*memkb = ctx->st->head.total_kb > used ? ctx->st->head.total_kb - used : 0;
	unlock(ctx);
	return 0;
}

SHIM_EXPORT libxl_dominfo *
libxl_list_domain(libxl_ctx *ctx, int *nb)
{
	libxl_dominfo *out = calloc(FAKEHV_DOMS, sizeof(*out));
	int n = 0;

	*nb = 0;
	if (out == NULL)
		return NULL;
	lock(ctx, LOCK_SH);
	out[n].domid = 0;
	out[n].running = true;
	out[n].current_memkb = ctx->st->head.dom0_kb;
	out[n].max_memkb = ctx->st->head.dom0_kb;
	n++;
	for (unsigned i = 1; i < FAKEHV_DOMS; i++) {
		const struct fake_dom *d = &ctx->st->dom[i];

		if (!(d->flags & 1u))
			continue;
		out[n].domid = i;
		out[n].running = true;
		out[n].dying = (d->flags & 2u) != 0;
		out[n].current_memkb = d->cur_kb;
		out[n].max_memkb = d->max_kb;
		n++;
	}
	unlock(ctx);
	*nb = n;
	return out;
}

SHIM_EXPORT void
libxl_dominfo_list_free(libxl_dominfo *list, int nb)
{
	(void)nb;
	free(list);
}

/* A decimal xenstore value, or -1 when absent or not a number. */
static int64_t
xs_number(libxl_ctx *ctx, xs_transaction_t t, unsigned domid, const char *key)
{
	char path[96], *v, *end;
	unsigned len;
	int64_t n;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	v = xs_read(ctx->xs, t, path, &len);
	if (v == NULL)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		n = -1;
	free(v);
	return n;
}

SHIM_EXPORT int
libxl_set_memory_target(libxl_ctx *ctx, uint32_t domid, int64_t target_memkb, int relative,
			int enforce)
{
	struct fake_dom *d;
	int64_t smax, vram, cur_target, new_target;
	struct timespec ts;
	char path[96], val[32];
	xs_transaction_t t;

	if (domid == 0 || domid >= FAKEHV_DOMS)
		return ERROR_INVAL;
	lock(ctx, LOCK_EX);
	d = &ctx->st->dom[domid];
	ctx->st->head.set_calls++;
	if (!(d->flags & 1u)) {
		unlock(ctx);
		return ERROR_DOMAIN_NOTFOUND;
	}
	if (ctx->st->head.set_fail > 0) {
		ctx->st->head.set_fail--;
		unlock(ctx);
		return ERROR_FAIL;
	}
	unlock(ctx);
again:
	t = xs_transaction_start(ctx->xs);
	if (t == XBT_NULL)
		return ERROR_FAIL;
	cur_target = xs_number(ctx, t, domid, "memory/target");
	smax = xs_number(ctx, t, domid, "memory/static-max");
	vram = xs_number(ctx, t, domid, "memory/videoram");
	if (vram < 0)
		vram = 0;
	if (cur_target < 0 || smax < 0) {
		xs_transaction_end(ctx->xs, t, true);
		return ERROR_FAIL;
	}
	new_target = relative ? cur_target + target_memkb : target_memkb - vram;
	if (new_target > smax || new_target <= 0) {
		xs_transaction_end(ctx->xs, t, true);
		return ERROR_INVAL;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", domid);
	snprintf(val, sizeof(val), "%" PRId64, new_target);
	if (!xs_write(ctx->xs, t, path, val, strlen(val))) {
		xs_transaction_end(ctx->xs, t, true);
		return ERROR_FAIL;
	}
	if (!xs_transaction_end(ctx->xs, t, false)) {
		if (errno == EAGAIN)
			goto again;
		return ERROR_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lock(ctx, LOCK_EX);
	d->target_kb = (uint64_t)new_target;
	if (enforce)
		d->max_kb = (uint64_t)(new_target + vram) + 1024;   /* LIBXL_MAXMEM_CONSTANT */
	d->sets++;
	d->last_set_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	unlock(ctx);
	return 0;
}
