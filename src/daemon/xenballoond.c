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

/*
 * The main loop owns the poll set (the shape of OpenBSD ntpd's main()).
 * Each input is a source: a descriptor to poll, a time at which it wants
 * to be called without input, and the call. A module keeps its state to
 * itself behind these three; adding an input (a pressure trigger, a
 * liveness timer) is one more entry in the table main() builds.
 */
#define NEVER UINT64_MAX

struct source {
	int (*fd)(void *ctx);               /* -1: nothing to poll now */
	short events;                       /* what to poll it for */
	uint64_t (*deadline_ms)(void *ctx); /* NEVER: only on input */
	/* Called when the descriptor is ready (revents) or the deadline has
	 * come (revents 0). Returns false to stop the daemon. */
	bool (*dispatch)(void *ctx, short revents, uint64_t now_ms);
	void *ctx;
};

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

static int
no_fd(void *ctx)
{
	(void)ctx;
	return -1;
}

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

static uint64_t
never(void *ctx)
{
	(void)ctx;
	return NEVER;
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

/* systemd's watchdog: WATCHDOG=1 every half of $WATCHDOG_USEC, from this
 * loop, so a daemon stuck anywhere stops pinging and is restarted. */
struct watchdog {
	struct notify *nt;
	uint64_t every_ms;      /* 0: no watchdog asked for */
	uint64_t next_ms;
};

static uint64_t
watchdog_deadline(void *ctx)
{
	const struct watchdog *w = ctx;

	return w->every_ms > 0 ? w->next_ms : NEVER;
}

static bool
watchdog_dispatch(void *ctx, short revents, uint64_t now)
{
	struct watchdog *w = ctx;

	(void)revents;
	notify_watchdog(w->nt);
	w->next_ms = now + w->every_ms;
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

/* Run the sources until one says stop (0) or poll fails (1). */
static int
run(const struct source *src, size_t nsrc)
{
	enum { SOURCES_MAX = 8 };
	struct pollfd pfd[SOURCES_MAX];
	int slot[SOURCES_MAX];

	for (;;) {
		uint64_t now = now_ms(), wake = NEVER;
		nfds_t n = 0;
		int timeout;

		for (size_t i = 0; i < nsrc && i < SOURCES_MAX; i++) {
			int fd = src[i].fd(src[i].ctx);
			uint64_t d = src[i].deadline_ms(src[i].ctx);

			slot[i] = -1;
			if (fd >= 0) {
				slot[i] = (int)n;
				pfd[n++] = (struct pollfd){ .fd = fd, .events = src[i].events };
			}
			if (d < wake)
				wake = d;
		}
		timeout = wake <= now ? 0 : wake - now > 86400000 ? 86400000 : (int)(wake - now);
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return 1;
		}
		for (size_t i = 0; i < nsrc && i < SOURCES_MAX; i++) {
			short rev = slot[i] >= 0 ? pfd[slot[i]].revents : 0;

			now = now_ms();
			if (rev == 0 && now < src[i].deadline_ms(src[i].ctx))
				continue;
			if (!src[i].dispatch(src[i].ctx, rev, now))
				return 0;
		}
	}
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
		/* A misspelt key does nothing: the daemon only warns, but a
		 * check of the file fails on it. */
		if (cfg.unknown_keys > 0) {
			log_errx("%s: %u unknown XENBALLOON key%s", o.config, cfg.unknown_keys,
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
	engine_init(&engine, &cfg, o.config, o.root, o.dry_run);
	log_info("started: balloon %s, config %s%s", engine_balloon_name(&engine),
	    o.config, o.dry_run ? ", dry run: nothing is written" : "");
	{
		struct ticker tick = { .e = &engine, .o = &o, .nt = &nt, .next_ms = now_ms() };
		struct signals sg = { .fd = sigfd, .e = &engine, .nt = &nt };
		struct xenstore xs = { .e = &engine, .nt = &nt };
		struct watchdog wd = { .nt = &nt, .every_ms = notify_watchdog_interval_ms(&nt) };
		/* In this order when several are due: the tick, then signals
		 * (a SIGTERM stops after the current tick), then xenstore. */
		const struct source sources[] = {
			{ no_fd, 0, ticker_deadline, ticker_dispatch, &tick },
			{ signals_fd, POLLIN, never, signals_dispatch, &sg },
			{ xenstore_fd, POLLIN, xenstore_deadline, xenstore_dispatch, &xs },
			{ no_fd, 0, watchdog_deadline, watchdog_dispatch, &wd },
			{ pressure_fd, POLLPRI, pressure_deadline, pressure_dispatch, &engine },
		};

		wd.next_ms = now_ms() + wd.every_ms;
		status = run(sources, sizeof(sources) / sizeof(sources[0]));
	}
	notify_close(&nt);
	engine_close(&engine);
	daemon_pidfile_remove(pfh);
	close(sigfd);
	return status;
}
