/* xenballoond - in-guest Xen memory ballooning daemon: command line and
 * main loop. The loop waits in poll() on the tick timer (poll's
 * timeout), signals (a signalfd), xenstore watch events and, for the
 * pressure goal, the kernel's PSI trigger and the quicker samples it
 * takes while memory use rises; everything else happens in engine.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "balloon.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "util.h"

#ifndef XB_SYSCONFDIR
#define XB_SYSCONFDIR "/etc"
#endif
#ifndef XB_RUNSTATEDIR
#define XB_RUNSTATEDIR "/run"
#endif
#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

struct options {
	const char *config;
	const char *pidfile;
	const char *root;
	bool foreground, check_config, dry_run;
	int verbose;
	unsigned long ticks;      /* 0 = run until a signal */
	bool interval_set;
	uint64_t interval_ms;
};

enum { OPT_ONCE = 256, OPT_TICKS, OPT_INTERVAL, OPT_DRY_RUN, OPT_ROOT, OPT_PIDFILE };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "foreground", no_argument, NULL, 'd' },
	{ "check-config", no_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "ticks", required_argument, NULL, OPT_TICKS },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: xenballoond [-dnvVh] [-f file] [--once | --ticks N] [--interval SECONDS]\n"
	    "                   [--dry-run] [--root DIR] [--pidfile PATH]\n"
	    "  -f, --config FILE     config file (default %s/sysconfig/xenballoon.conf)\n"
	    "  -d, --foreground      stay in the foreground, log to stderr\n"
	    "  -n, --check-config    check the config, print the settings, exit\n"
	    "  -v, --verbose         more verbose (repeatable)\n"
	    "  -V, --version         print the version\n"
	    "  -h, --help            this text\n"
	    "      --once            one tick, then exit\n"
	    "      --ticks N         exit after N ticks\n"
	    "      --interval SECS   tick length, overriding config and xenstore (0 = no wait)\n"
	    "      --dry-run         log every decision, write nothing\n"
	    "      --root DIR        prefix built-in /proc and /sys paths with DIR (tests)\n"
	    "      --pidfile PATH    pidfile (default %s/xenballoond.pid)\n",
	    XB_SYSCONFDIR, XB_RUNSTATEDIR);
}

static int
parse_interval(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > 86400)
		return -1;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	return 0;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static char default_config[] = XB_SYSCONFDIR "/sysconfig/xenballoon.conf";
	const char *errstr;
	int c;

	memset(o, 0, sizeof(*o));
	o->config = default_config;
	o->pidfile = XB_RUNSTATEDIR "/xenballoond.pid";
	o->root = "";
	while ((c = getopt_long(argc, argv, "f:dnvVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->config = optarg;
			break;
		case 'd':
			o->foreground = true;
			break;
		case 'n':
			o->check_config = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("xenballoond %s\n", XB_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_ONCE:
			o->ticks = 1;
			break;
		case OPT_TICKS:
			o->ticks = (unsigned long)strtonum(optarg, 1, 1000000000LL, &errstr);
			if (errstr != NULL) {
				log_errx("--ticks \"%s\": %s (must be 1..1000000000)",
				    optarg, errstr);
				exit(1);
			}
			break;
		case OPT_INTERVAL:
			if (parse_interval(optarg, &o->interval_ms) != 0) {
				log_errx("--interval \"%s\": not a number of "
				    "seconds in 0..86400", optarg);
				exit(1);
			}
			o->interval_set = true;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_PIDFILE:
			o->pidfile = optarg;
			break;
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc) {
		log_errx("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		exit(1);
	}
}

/* Run until a signal or the tick budget; returns the exit status. */
static int
run(struct engine *e, const struct options *o, int sigfd)
{
	uint64_t next_tick = now_ms();
	unsigned long done = 0;

	for (;;) {
		struct pollfd pfd[3];
		uint64_t now = now_ms(), wake, sample_at;
		int nfds = 1, timeout, xfd, pfdn = -1, psin = -1;

		if (now >= next_tick) {
			engine_tick(e);
			done++;
			if (o->ticks && done >= o->ticks)
				return 0;
			now = now_ms();
			next_tick = now + (o->interval_set ? o->interval_ms : engine_interval_ms(e));
		} else if ((sample_at = engine_sample_at_ms(e)) != 0 && now >= sample_at) {
			engine_sample(e);
			now = now_ms();
		}
		wake = next_tick;
		sample_at = engine_sample_at_ms(e);
		if (sample_at != 0 && sample_at < wake)
			wake = sample_at;
		if (e->use_xenstore && e->xs.state == XS_DOWN && e->xs.retry_at_ms < wake)
			wake = e->xs.retry_at_ms > now ? e->xs.retry_at_ms : now;
		timeout = wake > now ? (int)(wake - now > 86400000 ? 86400000 : wake - now) : 0;

		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		xfd = e->use_xenstore ? xs_session_fd(&e->xs) : -1;
		if (xfd >= 0) {
			pfdn = nfds;
			pfd[nfds++] = (struct pollfd){ .fd = xfd, .events = POLLIN };
		}
		if (engine_psi_fd(e) >= 0) {
			psin = nfds;
			pfd[nfds++] = (struct pollfd){ .fd = engine_psi_fd(e), .events = POLLPRI };
		}
		if (poll(pfd, (nfds_t)nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			int sig;

			while ((sig = daemon_signal_read(sigfd)) != 0) {
				switch (sig) {
				case SIGTERM:
				case SIGINT:
					log_info("%s: stopping", strsignal(sig));
					return 0;
				case SIGHUP:
					engine_reload(e);
					break;
				case SIGUSR1:
					engine_status(e);
					break;
				default:
					break;
				}
			}
		}
		if (pfdn > 0 && (pfd[pfdn].revents & (POLLIN | POLLERR | POLLHUP))) {
			xs_session_handle_events(&e->xs);
			if (e->xs.changed)
				engine_react(e);
		}
		/* Tasks stall for memory: look now, not at the tick. */
		if (psin > 0 && (pfd[psin].revents & (POLLPRI | POLLERR | POLLNVAL)))
			engine_psi_event(e, (pfd[psin].revents & POLLPRI) == 0);
		/* Reconnect as soon as the back-off allows, not at the next tick. */
		if (e->use_xenstore && e->xs.state == XS_DOWN && now_ms() >= e->xs.retry_at_ms &&
		    xs_session_ensure(&e->xs, now_ms()))
			engine_react(e);
	}
}

int
main(int argc, char **argv)
{
	static struct engine engine;
	static char config_abs[PATH_MAX], root_abs[PATH_MAX];
	struct options o;
	struct xb_config cfg;
	struct balloon probe;
	struct pidfh *pfh = NULL;
	char err[512];
	int sigfd, status;

	/* One malloc arena: libxenstore's reader thread would otherwise get
	 * a second one, for the few small buffers it allocates. */
	mallopt(M_ARENA_MAX, 1);
	parse_args(argc, argv, &o);
	log_init(true, o.verbose);
	/* daemon() moves to /: keep relative paths meaning what they meant
	 * (SIGHUP re-reads the config by this name). */
	if (realpath(o.config, config_abs) != NULL)
		o.config = config_abs;
	if (o.root[0] != '\0' && realpath(o.root, root_abs) != NULL)
		o.root = root_abs;
	if (config_load(o.config, &cfg, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 1;
	}
	if (o.check_config) {
		config_print(stdout, &cfg);
		return 0;
	}
	if (balloon_detect(&probe, o.root) == BALLOON_NONE && !o.dry_run) {
		log_info("no balloon driver: neither %s%s/target_kb nor %s%s exists; "
		    "nothing to do", o.root, BALLOON_SYSFS_DIR, o.root, BALLOON_LEGACY_FILE);
		return 0;
	}
	if (!o.dry_run) {
		pid_t other;

		pfh = daemon_pidfile_lock(o.pidfile, &other);
		if (pfh == NULL) {
			if (other > 0)
				log_errx("already running as pid %d (%s)",
				    (int)other, o.pidfile);
			else
				log_errx("%s: %s", o.pidfile, strerror(errno));
			return 1;
		}
	}
	if (!o.foreground) {
		if (daemon(0, 0) != 0) {
			log_errx("daemon: %s", strerror(errno));
			return 1;
		}
		log_init(false, o.verbose);
	}
	daemon_pidfile_write(pfh);
	sigfd = daemon_signals();
	if (sigfd < 0)
		fatal("signalfd");
	engine_init(&engine, &cfg, o.config, o.root, o.dry_run, true);
	log_info("started: balloon %s, config %s%s", balloon_kind_name(engine.balloon.kind),
	    o.config, o.dry_run ? ", dry run: nothing is written" : "");
	status = run(&engine, &o, sigfd);
	engine_close(&engine);
	daemon_pidfile_remove(pfh);
	close(sigfd);
	return status;
}
