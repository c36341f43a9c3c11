/* xenballoond - in-guest Xen memory ballooning daemon: command line and
 * main loop. The loop waits in poll() on four sources: the tick
 * timer (poll's timeout), signals (a signalfd), xenstore watch events
 * and, for the pressure goal, the kernel's PSI trigger and the quicker
 * samples it takes while memory use rises; everything else happens in
 * engine.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
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
#include "loop.h"
#include "notify.h"
#include "parse.h"
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
	struct daemon_options std;  /* -f -d -n -v */
	const char *pidfile;
	const char *root;
	bool dry_run;
	unsigned long ticks;      /* 0 = run until a signal */
	bool interval_set;
	uint64_t interval_ms;
};

enum { OPT_ONCE = 256, OPT_TICKS, OPT_INTERVAL, OPT_DRY_RUN, OPT_ROOT, OPT_PIDFILE };

static const struct option long_opts[] = {
	DAEMON_LONG_OPTIONS,
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

/* --interval: seconds, fractions allowed, 0 (no wait) to a day. */
static int
parse_interval(const char *s, uint64_t *ms)
{
	double v;

	if (parse_seconds(s, 0, 86400, &v) != 0)
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
	o->std.config = default_config;
	o->pidfile = XB_RUNSTATEDIR "/xenballoond.pid";
	o->root = "";
	while ((c = getopt_long(argc, argv, "f:dnvVh", long_opts, NULL)) != -1) {
		if (daemon_option(c, optarg, &o->std, "xenballoond", XB_VERSION, usage))
			continue;
		switch (c) {
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

/* The main loop owns the poll set: src/common/loop.h. */

/* Tell systemd (if it is listening) the mode and the last target;
 * ready: with READY=1 (after the first tick, and after a reload). */
static void
tell_status(struct notify *nt, const struct engine *e, bool ready)
{
	char status[160];

	engine_summary(e, status, sizeof(status));
	if (ready)
		notify_ready(nt, status);
	else
		notify_status(nt, status);
}

/* The tick: no descriptor, a deadline one interval after the last. */
struct ticker {
	struct engine *e;
	const struct options *o;
	struct notify *nt;
	uint64_t next_ms;
	unsigned long done;
};

static uint64_t
ticker_deadline(void *ctx)
{
	return ((const struct ticker *)ctx)->next_ms;
}

static bool
ticker_dispatch(void *ctx, short revents, uint64_t now)
{
	struct ticker *t = ctx;

	(void)revents;
	if (now < t->next_ms)
		return true;
	engine_tick(t->e);
	t->done++;
	tell_status(t->nt, t->e, t->done == 1);
	if (t->o->ticks && t->done >= t->o->ticks)
		return false;
	t->next_ms = now_ms() + (t->o->interval_set ? t->o->interval_ms : engine_interval_ms(t->e));
	return true;
}

/* Signals, through a signalfd. */
struct signals {
	int fd;
	struct engine *e;
	struct notify *nt;
};

static int
signals_fd(void *ctx)
{
	return ((const struct signals *)ctx)->fd;
}

static bool
signals_dispatch(void *ctx, short revents, uint64_t now)
{
	struct signals *sg = ctx;
	int sig;

	(void)now;
	if (!(revents & POLLIN))
		return true;
	while ((sig = daemon_signal_read(sg->fd)) != 0) {
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping", strsignal(sig));
			return false;
		case SIGHUP:
			notify_reloading(sg->nt);
			engine_reload(sg->e);
			tell_status(sg->nt, sg->e, true);
			break;
		case SIGUSR1:
			engine_status(sg->e);
			break;
		default:
			break;
		}
	}
	return true;
}

/* The xenstore session: its watch descriptor, its reconnection time. */
struct xenstore {
	struct engine *e;
	struct notify *nt;
};

static int
xenstore_fd(void *ctx)
{
	return engine_xs_fd(((const struct xenstore *)ctx)->e);
}

static uint64_t
xenstore_deadline(void *ctx)
{
	return engine_xs_deadline_ms(((const struct xenstore *)ctx)->e);
}

static bool
xenstore_dispatch(void *ctx, short revents, uint64_t now)
{
	struct xenstore *x = ctx;

	engine_xs_dispatch(x->e, revents, now);
	tell_status(x->nt, x->e, false);     /* a directed target moves it */
	return true;
}

/* The pressure goal: the PSI trigger, the samples while use rises. */
static int
pressure_fd(void *ctx)
{
	return engine_pressure_fd(ctx);
}

static uint64_t
pressure_deadline(void *ctx)
{
	return engine_pressure_deadline_ms(ctx);
}

static bool
pressure_dispatch(void *ctx, short revents, uint64_t now)
{
	engine_pressure_dispatch(ctx, revents, now);
	return true;
}

int
main(int argc, char **argv)
{
	static struct engine engine;
	static char config_abs[PATH_MAX], root_abs[PATH_MAX];
	struct options o;
	struct notify nt;
	struct xb_config cfg;
	struct balloon probe;
	struct pidfh *pfh = NULL;
	char err[512];
	int sigfd, status;

	/* One malloc arena: libxenstore's reader thread would otherwise get
	 * a second one, for the few small buffers it allocates. */
	mallopt(M_ARENA_MAX, 1);
	parse_args(argc, argv, &o);
	log_init(true, o.std.verbose);
	/* daemon() moves to /: keep relative paths meaning what they meant
	 * (SIGHUP re-reads the config by this name). */
	if (realpath(o.std.config, config_abs) != NULL)
		o.std.config = config_abs;
	if (o.root[0] != '\0' && realpath(o.root, root_abs) != NULL)
		o.root = root_abs;
	if (config_load(o.std.config, &cfg, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 1;
	}
	if (o.std.check_config) {
		config_print(stdout, &cfg);
		/* A misspelt key does nothing: the daemon only warns, but a
		 * check of the file fails on it. */
		if (cfg.unknown_keys > 0) {
			log_errx("%s: %u unknown XENBALLOON key%s", o.std.config, cfg.unknown_keys,
			    cfg.unknown_keys == 1 ? "" : "s");
			return 1;
		}
		return 0;
	}
	notify_open(&nt);
	if (balloon_detect(&probe, o.root) == BALLOON_NONE && !o.dry_run) {
		log_info("no balloon driver: neither %s%s/target_kb nor %s%s exists; "
		    "nothing to do", o.root, BALLOON_SYSFS_DIR, o.root, BALLOON_LEGACY_FILE);
		/* Started and done: systemd counts an exit before READY=1 as
		 * a failure. */
		notify_ready(&nt, "no balloon driver; nothing to do");
		notify_close(&nt);
		return 0;
	}
	if (daemon_start(o.dry_run ? NULL : o.pidfile, o.std.foreground, o.std.verbose, &pfh) != 0)
		return 1;
	sigfd = daemon_signals();
	if (sigfd < 0)
		fatal("signalfd");
	engine_init(&engine, &cfg, o.std.config, o.root, o.dry_run);
	log_info("started: balloon %s, config %s%s", engine_balloon_name(&engine),
	    o.std.config, o.dry_run ? ", dry run: nothing is written" : "");
	{
		struct ticker tick = { .e = &engine, .o = &o, .nt = &nt, .next_ms = now_ms() };
		struct signals sg = { .fd = sigfd, .e = &engine, .nt = &nt };
		struct xenstore xs = { .e = &engine, .nt = &nt };
		struct loop_watchdog wd;
		/* In this order when several are due: the tick, then signals
		 * (a SIGTERM stops after the current tick), then xenstore. */
		const struct source sources[] = {
			{ loop_no_fd, 0, ticker_deadline, ticker_dispatch, &tick },
			{ signals_fd, POLLIN, loop_never, signals_dispatch, &sg },
			{ xenstore_fd, POLLIN, xenstore_deadline, xenstore_dispatch, &xs },
			{ loop_no_fd, 0, loop_watchdog_deadline, loop_watchdog_dispatch, &wd },
			{ pressure_fd, POLLPRI, pressure_deadline, pressure_dispatch, &engine },
		};

		loop_watchdog_init(&wd, &nt, now_ms());
		status = loop_run(sources, sizeof(sources) / sizeof(sources[0]));
	}
	notify_close(&nt);
	engine_close(&engine);
	daemon_pidfile_remove(pfh);
	close(sigfd);
	return status;
}
