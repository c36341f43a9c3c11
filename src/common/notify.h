/* notify.h - systemd's readiness protocol (sd_notify(3)), spoken by hand:
 * one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET. Without that variable (SysV init, busybox, a shell)
 * every call does nothing. */
#ifndef XB_NOTIFY_H
#define XB_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct notify {
	int fd;                      /* -1: nobody to tell */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec;      /* $WATCHDOG_USEC for this process, or 0 */
	char last_status[256];       /* the STATUS= last sent */
	bool failing;                /* the last send failed (logged once) */
};

/* Read $NOTIFY_SOCKET ("/path" or "@abstract") and $WATCHDOG_USEC (taken
 * only when $WATCHDOG_PID is unset or names this process). Returns 0,
 * or -1 with a log line when $NOTIFY_SOCKET is set but unusable; n is
 * then inert. */
int notify_open(struct notify *n);

/* Send msg (newline-separated assignments) as one datagram. 0 when sent
 * or when there is nobody to tell; -1 with errno otherwise. */
int notify_send(const struct notify *n, const char *msg);

/* READY=1, with STATUS= when status is not NULL. */
int notify_ready(struct notify *n, const char *status);

/* RELOADING=1 and MONOTONIC_USEC= (CLOCK_MONOTONIC, as systemd wants). */
int notify_reloading(struct notify *n);

/* STATUS=status, only when it differs from the last one sent. */
int notify_status(struct notify *n, const char *status);

/* WATCHDOG=1. */
int notify_watchdog(struct notify *n);

/* How often to send WATCHDOG=1 (half of $WATCHDOG_USEC), in ms; 0 when
 * no watchdog is asked for. */
uint64_t notify_watchdog_interval_ms(const struct notify *n);

void notify_close(struct notify *n);

#endif
