/* bxs.c - the balancer's xenstore session (see bxs.h).
 *
 * After xenstored dies, libxenstore never reconnects: a request fails
 * with EPIPE, ECONNRESET, then EBADF for ever, and the watch handle's
 * descriptor never wakes while xs_check_watch fails with EINVAL
 * (tests/harness/README.md, "Measured facts"). So every failure with one
 * of those errors, and a check of the watch queue on the balancer's
 * timer, mark the session down; the caller closes it and connects again.
 */
#include "bxs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xsval.h"

#define DOMID_MAX 32751u   /* below DOMID_FIRST_RESERVED */

struct bxs {
	struct xs_handle *watch;   /* watches only */
	struct xs_handle *req;     /* requests only */
};

struct bxs *
bxs_new(void)
{
	return calloc(1, sizeof(struct bxs));
}

void
bxs_free(struct bxs *x)
{
	if (x == NULL)
		return;
	bxs_disconnect(x);
	free(x);
}

bool
bxs_errno_fatal(int err)
{
	return err == EPIPE || err == ECONNRESET || err == EBADF || err == EINVAL ||
	    err == ENOTCONN || err == ECONNREFUSED || err == EIO;
}

void
bxs_disconnect(struct bxs *x)
{
	if (x->watch != NULL)
		xs_close(x->watch);
	if (x->req != NULL)
		xs_close(x->req);
	x->watch = x->req = NULL;
}

bool
bxs_up(const struct bxs *x)
{
	return x->watch != NULL && x->req != NULL;
}

int
bxs_connect(struct bxs *x)
{
	int err;

	bxs_disconnect(x);
	errno = 0;
	x->watch = xs_open(0);
	if (x->watch != NULL)
		x->req = xs_open(0);
	if (x->req == NULL)
		goto fail;
	if (!xs_watch(x->watch, "@introduceDomain", "@") ||
	    !xs_watch(x->watch, "@releaseDomain", "@") ||
	    !xs_watch(x->watch, BXS_REQ, "r"))
		goto fail;
	return 0;
fail:
	err = errno != 0 ? errno : ECONNREFUSED;
	bxs_disconnect(x);
	errno = err;
	return -1;
}

int
bxs_fd(const struct bxs *x)
{
	return x->watch != NULL ? xs_fileno(x->watch) : -1;
}

int
bxs_drain(struct bxs *x, void (*fn)(void *ctx, const char *path), void *ctx, unsigned max)
{
	unsigned n = 0;

	if (x->watch == NULL)
		return -1;
	while (n < max) {
		char **ev;

		errno = 0;
		ev = xs_check_watch(x->watch);
		if (ev == NULL) {
			/* EAGAIN: nothing queued, the daemon alive. */
			if (errno == EAGAIN || errno == 0)
				return (int)n;
			return -1;
		}
		fn(ctx, ev[XS_WATCH_PATH]);
		free(ev);
		n++;
	}
	return (int)n;
}

static int
domain_watch(struct bxs *x, unsigned domid, bool add)
{
	static const char *const dirs[] = { "memory", "data/xenballoon" };
	char path[64];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, dirs[i]);
		if (add ? !xs_watch(x->watch, path, "d") : !xs_unwatch(x->watch, path, "d"))
			return -1;
	}
	return 0;
}

int
bxs_watch_domain(struct bxs *x, unsigned domid)
{
	return x->watch != NULL ? domain_watch(x, domid, true) : -1;
}

void
bxs_unwatch_domain(struct bxs *x, unsigned domid)
{
	if (x->watch != NULL)
		(void)domain_watch(x, domid, false);
}

int
bxs_list_domains(struct bxs *x, unsigned **ids, size_t *n)
{
	unsigned num = 0;
	char **ents;
	size_t k = 0;

	*ids = NULL;
	*n = 0;
	errno = 0;
	ents = xs_directory(x->req, XBT_NULL, "/local/domain", &num);
	if (ents == NULL)
		return errno == ENOENT ? 0 : -1;
	*ids = calloc(num > 0 ? num : 1, sizeof(**ids));
	if (*ids == NULL) {
		free(ents);
		errno = ENOMEM;
		return -1;
	}
	for (unsigned i = 0; i < num; i++) {
		uint64_t v;
		const char *why;

		/* Canonical decimal ids only, not dom0. */
		if (ents[i][0] == '0' ||
		    xsval_parse_u64(ents[i], strlen(ents[i]), 1, DOMID_MAX, &v, &why) != 0)
			continue;
		(*ids)[k++] = (unsigned)v;
	}
	free(ents);
	*n = k;
	return 0;
}

char *
bxs_read(struct bxs *x, const char *path, unsigned *len)
{
	char *v;

	*len = 0;
	if (x->req == NULL) {
		errno = ENOTCONN;
		return NULL;
	}
	errno = 0;
	v = xs_read(x->req, XBT_NULL, path, len);
	if (v == NULL && errno == 0)
		errno = EIO;
	return v;
}

int
bxs_owner(struct bxs *x, const char *path, unsigned *owner)
{
	struct xs_permissions *p;
	unsigned n = 0;

	errno = 0;
	p = x->req != NULL ? xs_get_permissions(x->req, XBT_NULL, path, &n) : NULL;
	if (p == NULL || n == 0) {
		free(p);
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	*owner = p[0].id;
	free(p);
	return 0;
}

int
bxs_write(struct bxs *x, const char *path, const char *text)
{
	errno = 0;
	if (x->req == NULL || !xs_write(x->req, XBT_NULL, path, text, strlen(text)))
		return -1;
	return 0;
}

int
bxs_rm(struct bxs *x, const char *path)
{
	errno = 0;
	if (x->req == NULL || (!xs_rm(x->req, XBT_NULL, path) && errno != ENOENT))
		return -1;
	return 0;
}
