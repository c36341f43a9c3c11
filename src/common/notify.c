/* notify.c - the sd_notify(3) datagram protocol, without libsystemd.
 *
 * systemd passes a Type=notify service the address of a datagram socket
 * in $NOTIFY_SOCKET: a path, or an abstract name written with a leading
 * '@'. The service sends it lines such as READY=1 or WATCHDOG=1, one
 * message per datagram. That is the whole protocol; writing it here keeps
 * libsystemd out of a daemon that must also run under SysV init and
 * busybox, where the variable is simply absent.
 */
#include "notify.h"

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The longest message we send: READY=1 and a STATUS= line. */
#define NOTIFY_MSG_MAX 512

/* 24 hours: a longer watchdog is no watchdog worth keeping time for. */
#define WATCHDOG_MAX_USEC (24ull * 3600 * 1000000)

static void
read_watchdog(struct notify *n)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	const char *why = NULL;
	long long v;

	if (usec == NULL)
		return;
	if (pid != NULL) {
		long long p = strtonum(pid, 1, INT32_MAX, &why);

		if (why != NULL) {
			log_warnx("notify: WATCHDOG_PID \"%.32s\": %s; no watchdog pings", pid, why);
			return;
		}
		if ((pid_t)p != getpid())
			return;     /* meant for another process */
	}
	v = strtonum(usec, 1, (long long)WATCHDOG_MAX_USEC, &why);
	if (why != NULL) {
		log_warnx("notify: WATCHDOG_USEC \"%.32s\": %s; no watchdog pings", usec, why);
		return;
	}
	n->watchdog_usec = (uint64_t)v;
}

int
notify_open(struct notify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(n->addr.sun_path)) {
		log_warnx("notify: NOTIFY_SOCKET \"%.64s\": not an absolute path or an "
		    "@abstract name that fits a socket address; not notifying", path);
		return -1;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';     /* abstract: no terminating NUL counted */
	else
		len++;                          /* a path: counted with its NUL */
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		log_warn("notify: socket");
		return -1;
	}
	read_watchdog(n);
	return 0;
}

int
notify_send(const struct notify *n, const char *msg)
{
	/* sendmsg() takes neither as const: send copies. */
	struct sockaddr_un addr = n->addr;
	char text[NOTIFY_MSG_MAX];
	struct iovec iov = { .iov_base = text, .iov_len = strlcpy(text, msg, sizeof(text)) };
	struct msghdr mh = {
		.msg_name = &addr,
		.msg_namelen = n->addr_len,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	if (n->fd < 0)
		return 0;
	if (iov.iov_len >= sizeof(text)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sendmsg(n->fd, &mh, MSG_NOSIGNAL) < 0)
		return -1;
	return 0;
}

/* Send msg; on the first failure of a run of them, one log line naming
 * what was being said (a watchdog ping fails again every few seconds). */
static int
send_logged(struct notify *n, const char *msg)
{
	if (notify_send(n, msg) == 0) {
		n->failing = false;
		return 0;
	}
	if (!n->failing)
		log_warn("notify: sending %.*s to %s", (int)strcspn(msg, "\n"), msg,
		    n->addr.sun_path[0] != '\0' ? n->addr.sun_path : "an abstract socket");
	n->failing = true;
	return -1;
}

int
notify_ready(struct notify *n, const char *status)
{
	char msg[320];

	if (status == NULL)
		return send_logged(n, "READY=1");
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	strlcpy(n->last_status, status, sizeof(n->last_status));
	return send_logged(n, msg);
}

int
notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return send_logged(n, msg);
}

int
notify_status(struct notify *n, const char *status)
{
	char msg[320];

	if (n->fd < 0 || strcmp(status, n->last_status) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	strlcpy(n->last_status, status, sizeof(n->last_status));
	return send_logged(n, msg);
}

int
notify_watchdog(struct notify *n)
{
	return send_logged(n, "WATCHDOG=1");
}

uint64_t
notify_watchdog_interval_ms(const struct notify *n)
{
	uint64_t ms;

	if (n->fd < 0 || n->watchdog_usec == 0)
		return 0;
	ms = n->watchdog_usec / 2000u;
	return ms > 0 ? ms : 1;
}

void
notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
