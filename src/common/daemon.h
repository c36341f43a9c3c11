/* daemon.h - pidfile lock, detaching, signals. */
#ifndef XB_DAEMON_H
#define XB_DAEMON_H

#include <sys/types.h>

struct pidfh;

/* Take the pidfile lock. On another running instance print its pid and
 * return NULL with *other set; on other errors return NULL, other = -1. */
struct pidfh *daemon_pidfile_lock(const char *path, pid_t *other);
int daemon_pidfile_write(struct pidfh *pfh);
void daemon_pidfile_remove(struct pidfh *pfh);

/* Block SIGTERM, SIGINT, SIGHUP, SIGUSR1 and return a signalfd for them. */
int daemon_signals(void);
/* Read one signal from the signalfd: its number, or 0 when none. */
int daemon_signal_read(int fd);

#endif
