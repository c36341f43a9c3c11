/* bxs.h - the balancer's xenstore session: two libxenstore connections
 * in dom0, one for the watches (libxenstore's reader thread serves a
 * connection with watches) and one for requests, re-opened after
 * xenstored dies. Watches: @introduceDomain and @releaseDomain, the
 * request directory of `--free`, and per domain its memory/ and
 * data/xenballoon/ directories (the dom0 keys, the administrator's keys
 * and the guest's figures, whichever place the guest publishes to).
 */
#ifndef XB_BXS_H
#define XB_BXS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* Where the balancer publishes its view and takes `--free` requests. */
#define BXS_ROOT XB_BALANCER_ROOT
#define BXS_HOST BXS_ROOT "/host"
#define BXS_DOM BXS_ROOT "/dom"
#define BXS_REQ BXS_ROOT "/request"
#define BXS_REQ_FREE BXS_REQ "/free"
#define BXS_REQ_STATUS BXS_REQ "/status"

struct bxs;

struct bxs *bxs_new(void);
void bxs_free(struct bxs *x);

/* Connect both handles and set the global watches. 0, or -1 with errno. */
int bxs_connect(struct bxs *x);
void bxs_disconnect(struct bxs *x);
bool bxs_up(const struct bxs *x);

/* The descriptor that becomes readable when a watch event is queued
 * (-1 when down). libxenstore does not wake it when xenstored dies:
 * bxs_drain, called on a timer too, notices. */
int bxs_fd(const struct bxs *x);

/* Hand at most max queued events to fn(ctx, path). Returns how many, or
 * -1 when the connection is dead (then call bxs_disconnect). */
int bxs_drain(struct bxs *x, void (*fn)(void *ctx, const char *path), void *ctx, unsigned max);

/* The two watches of a domain. 0 or -1 (errno). */
int bxs_watch_domain(struct bxs *x, unsigned domid);
void bxs_unwatch_domain(struct bxs *x, unsigned domid);

/* The domids under /local/domain but 0, into *ids (malloc'd). 0 or -1. */
int bxs_list_domains(struct bxs *x, unsigned **ids, size_t *n);

/* The value at path (malloc'd, NUL-terminated, *len without it), or NULL
 * with errno (ENOENT: absent). */
char *bxs_read(struct bxs *x, const char *path, unsigned *len);
/* The domain that owns path (the first permission entry). 0 or -1. */
int bxs_owner(struct bxs *x, const char *path, unsigned *owner);
int bxs_write(struct bxs *x, const char *path, const char *text);
int bxs_rm(struct bxs *x, const char *path);

/* errno values after which the connection is to be thrown away. */
bool bxs_errno_fatal(int err);

#endif
