/* xenballoon-balancer - dom0's memory balancer: command line and main
 * loop (xenballoon-balancer(8)).
 *
 * It sizes the directed guests from what their xenballoond publishes
 * (engine.c, alloc.c) and sets their targets through libxl as `xl
 * mem-set` does (host.c). The loop waits in poll() on signals, the
 * xenstore watch queue and the engine's next deadline, as xenballoond's
 * does. `--free MB` is a client: it asks a running balancer to hold that
 * much free (or, with none running, squeezes the guests itself) and
 * waits until the hypervisor has it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

#include "bconfig.h"
#include "bxs.h"
#include "daemon.h"
#include "engine.h"
#include "host.h"
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

#define FREE_POLL_MS 100

struct options {
	struct daemon_options std;  /* -f -d -n -v */
	const char *pidfile;
	bool dry_run;
	uint64_t free_mb;          /* --free: 0 = run the balancer */
	uint64_t timeout_s;
};

enum { OPT_DRY_RUN = 256, OPT_PIDFILE, OPT_FREE, OPT_TIMEOUT };

static const struct option long_opts[] = {
	DAEMON_LONG_OPTIONS,
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "free", required_argument, NULL, OPT_FREE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: xenballoon-balancer [-dnvVh] [-f file] [--dry-run] [--pidfile PATH]\n"
	    "       xenballoon-balancer --free MB [--timeout SECONDS] [-f file] [--pidfile PATH]\n"
	    "  -f, --config FILE     config file (default %s/sysconfig/xenballoon-balancer.conf)\n"
	    "  -d, --foreground      stay in the foreground, log to stderr\n"
	    "  -n, --check-config    check the config, print the settings, exit\n"
	    "  -v, --verbose         more verbose: one line per target set (repeatable)\n"
	    "  -V, --version         print the version\n"
	    "  -h, --help            this text\n"
	    "      --dry-run         decide and log, set no target, publish nothing\n"
	    "      --pidfile PATH    pidfile (default %s/xenballoon-balancer.pid)\n"
	    "      --free MB         make MB of host memory free (for xl create), then exit\n"
	    "      --timeout SECONDS how long --free waits (default 60)\n",
	    XB_SYSCONFDIR, XB_RUNSTATEDIR);
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static char default_config[] = XB_SYSCONFDIR "/sysconfig/xenballoon-balancer.conf";
	const char *errstr;
	int c;

	memset(o, 0, sizeof(*o));
	o->std.config = default_config;
	o->pidfile = XB_RUNSTATEDIR "/xenballoon-balancer.pid";
	o->timeout_s = 60;
	while ((c = getopt_long(argc, argv, "f:dnvVh", long_opts, NULL)) != -1) {
		if (daemon_option(c, optarg, &o->std, "xenballoon-balancer", XB_VERSION, usage))
			continue;
		switch (c) {
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_PIDFILE:
			o->pidfile = optarg;
			break;
		case OPT_FREE:
			o->free_mb = (uint64_t)strtonum(optarg, 1, BC_MB_MAX, &errstr);
			if (errstr != NULL) {
				log_errx("--free \"%s\": %s (must be 1..%u MB)", optarg, errstr, BC_MB_MAX);
				exit(1);
			}
			break;
		case OPT_TIMEOUT:
			o->timeout_s = (uint64_t)strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL) {
				log_errx("--timeout \"%s\": %s (must be 1..86400 seconds)", optarg, errstr);
				exit(1);
			}
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

/* --- the main loop's sources (src/common/loop.h) -------------------------- */

struct runtime {
	struct engine *e;
	struct notify nt;
	const struct options *o;
	struct bc_config *cfg;
	int sigfd;
	bool ready;
};

static void
tell(struct runtime *rt)
{
	char status[200];

	engine_summary(rt->e, status, sizeof(status));
	if (!rt->ready) {
		notify_ready(&rt->nt, status);
		rt->ready = true;
	} else {
		notify_status(&rt->nt, status);
	}
}

static int
sig_fd(void *ctx)
{
	return ((struct runtime *)ctx)->sigfd;
}

static void
reload(struct runtime *rt)
{
	char err[512];
	struct bc_config c;

	notify_reloading(&rt->nt);
	bconfig_defaults(&c);
	if (bconfig_load(rt->o->std.config, &c, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
	} else {
		engine_set_config(rt->e, &c);
		bconfig_free(rt->cfg);
		*rt->cfg = c;
		log_info("reload: %s read", rt->o->std.config);
	}
	rt->ready = false;
	tell(rt);
}

static bool
sig_dispatch(void *ctx, short revents, uint64_t now)
{
	struct runtime *rt = ctx;
	struct engine_stats st;
	char status[200];
	int sig;

	(void)now;
	if (!(revents & POLLIN))
		return true;
	while ((sig = daemon_signal_read(rt->sigfd)) != 0) {
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping; targets stay as they are", strsignal(sig));
			return false;
		case SIGHUP:
			reload(rt);
			break;
		case SIGUSR1:
			engine_summary(rt->e, status, sizeof(status));
			engine_stats(rt->e, &st);
			log_info("%s; %" PRIu64 " events, %" PRIu64 " reads, %" PRIu64 " deferred, %"
			    PRIu64 " allocations, %" PRIu64 " targets set", status, st.events, st.reads,
			    st.deferred, st.decisions, st.target_writes);
			break;
		default:
			break;
		}
	}
	return true;
}

static int
eng_fd(void *ctx)
{
	return engine_fd(((struct runtime *)ctx)->e);
}

static uint64_t
eng_deadline(void *ctx)
{
	return engine_deadline_ms(((struct runtime *)ctx)->e);
}

static bool
eng_dispatch(void *ctx, short revents, uint64_t now)
{
	struct runtime *rt = ctx;

	engine_dispatch(rt->e, revents, now);
	tell(rt);
	return true;
}

/* --- --free ---------------------------------------------------------------- */

static void
say_done(uint64_t mb, uint64_t start, uint64_t free_kb)
{
	printf("xenballoon-balancer: %" PRIu64 " MB free (asked %" PRIu64 " MB) after %.1f s\n",
	    free_kb / 1024, mb, (double)(now_ms() - start) / 1000.0);
}

/* Ask the running balancer (pid) to hold it; watch the hypervisor. */
static int
free_through(const struct options *o, pid_t pid)
{
	uint64_t start = now_ms(), end = start + o->timeout_s * 1000, want = o->free_mb * 1024;
	struct bxs *x = bxs_new();
	struct host *h = NULL;
	const char *why = NULL;
	char req[96], token[48];
	int rc = 1;

	snprintf(token, sizeof(token), "%ld-%" PRIu64, (long)getpid(), start);
	snprintf(req, sizeof(req), "%" PRIu64 " %s", want, token);
	if (x == NULL || bxs_connect(x) != 0 || bxs_write(x, BXS_REQ_FREE, req) != 0) {
		log_errx("--free: cannot reach xenstore: %s", strerror(errno));
		goto out;
	}
	h = host_open(&why);
	if (h == NULL) {
		log_errx("--free: %s", why);
		goto out;
	}
	log_info("--free: asked the running balancer (pid %ld) for %" PRIu64 " MB", (long)pid,
	    o->free_mb);
	for (;;) {
		uint64_t free_kb = 0, cur = now_ms();
		unsigned len;
		char *st;

		if (host_free_kb(h, &free_kb) == 0 && free_kb >= want) {
			say_done(o->free_mb, start, free_kb);
			rc = 0;
			break;
		}
		st = bxs_read(x, BXS_REQ_STATUS, &len);
		if (st != NULL) {
			char what[16];
			unsigned long long fkb, cankb;
			size_t tl = strlen(token);

			if (strncmp(st, token, tl) == 0 && st[tl] == ' ' &&
			    sscanf(st + tl + 1, "%15s %llu %llu", what, &fkb, &cankb) == 3 &&
			    strcmp(what, "short") == 0) {
				log_errx("--free: can free at most %llu MB of the %" PRIu64 " asked: the "
				    "managed guests would be at their minimum", cankb / 1024, o->free_mb);
				free(st);
				break;
			}
			free(st);
		}
		if (cur >= end) {
			log_errx("--free: timed out after %" PRIu64 " s: %" PRIu64 " MB free of the %"
			    PRIu64 " MB asked (the guests have not released it yet)", o->timeout_s,
			    free_kb / 1024, o->free_mb);
			break;
		}
		(void)poll(NULL, 0, FREE_POLL_MS);
	}
out:
	/* Refused or timed out: nothing is to be held for us any longer. */
	if (rc != 0 && x != NULL && bxs_up(x))
		(void)bxs_rm(x, BXS_REQ_FREE);
	host_close(h);
	bxs_free(x);
	return rc;
}

static int
free_direct(const struct options *o, const struct bc_config *cfg)
{
	struct engine *e = engine_new(cfg, false);
	uint64_t start = now_ms(), can = 0;
	char why[256];
	int rc;

	log_info("--free: no balancer running; squeezing the managed guests directly");
	rc = engine_free_now(e, o->free_mb * 1024, o->timeout_s * 1000, &can, why, sizeof(why));
	if (rc == 0) {
		say_done(o->free_mb, start, o->free_mb * 1024);
	} else {
		log_errx("--free: %s", why);
	}
	engine_free(e);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static char config_abs[PATH_MAX];
	struct options o;
	struct bc_config cfg;
	struct runtime rt;
	struct pidfh *pfh = NULL;
	pid_t other = -1;
	char err[512];
	int status;

	mallopt(M_ARENA_MAX, 1);
	parse_args(argc, argv, &o);
	log_init(true, o.std.verbose);
	if (realpath(o.std.config, config_abs) != NULL)
		o.std.config = config_abs;
	bconfig_defaults(&cfg);
	if (bconfig_load(o.std.config, &cfg, err, sizeof(err)) != 0) {
		log_errx("%s", err);
		return 1;
	}
	if (o.std.check_config) {
		bconfig_print(stdout, &cfg);
		if (cfg.unknown_keys > 0) {
			log_errx("%s: %u unknown XENBALLOON key%s", o.std.config, cfg.unknown_keys,
			    cfg.unknown_keys == 1 ? "" : "s");
			bconfig_free(&cfg);
			return 1;
		}
		bconfig_free(&cfg);
		return 0;
	}
	if (o.free_mb > 0) {
		pfh = daemon_pidfile_lock(o.pidfile, &other);
		if (pfh == NULL && other > 0)
			status = free_through(&o, other);
		else
			status = free_direct(&o, &cfg);
		if (pfh != NULL)
			daemon_pidfile_remove(pfh);
		bconfig_free(&cfg);
		return status;
	}
	if (daemon_start(o.dry_run ? NULL : o.pidfile, o.std.foreground, o.std.verbose, &pfh) != 0) {
		bconfig_free(&cfg);
		return 1;
	}
	memset(&rt, 0, sizeof(rt));
	rt.o = &o;
	rt.cfg = &cfg;
	rt.sigfd = daemon_signals();
	if (rt.sigfd < 0)
		fatal("signalfd");
	notify_open(&rt.nt);
	rt.e = engine_new(&cfg, o.dry_run);
	log_info("started: config %s, reserve %" PRIu64 " MB%s", o.std.config, cfg.reserve_mb,
	    o.dry_run ? ", dry run: no target is set" : "");
	(void)engine_start(rt.e, now_ms());
	tell(&rt);
	{
		struct loop_watchdog wd;
		const struct source sources[] = {
			{ sig_fd, POLLIN, loop_never, sig_dispatch, &rt },
			{ eng_fd, POLLIN, eng_deadline, eng_dispatch, &rt },
			{ loop_no_fd, 0, loop_watchdog_deadline, loop_watchdog_dispatch, &wd },
		};

		loop_watchdog_init(&wd, &rt.nt, now_ms());
		status = loop_run(sources, sizeof(sources) / sizeof(sources[0]));
	}
	notify_close(&rt.nt);
	engine_free(rt.e);
	bconfig_free(&cfg);
	daemon_pidfile_remove(pfh);
	close(rt.sigfd);
	return status;
}
