/* monitor.c - xenballoon-monitor: in dom0, one line per guest of what
 * its xenballoond published, then the host's free memory and tmem
 * (xenballoon-monitor(8); Xen 3.4's tools/xenballoon/xenballoon-monitor).
 *
 * One snapshot per frame: list /local/domain, ask xl about the host,
 * read each domain's keys, render (table, JSON or Prometheus). -w
 * repeats it, in place with changed cells highlighted on a terminal.
 */
#include "monitor.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "log.h"
#include "once.h"
#include "parse.h"
#include "util.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

#define PROG "xenballoon-monitor"
#define WATCH_MIN_S 0.1
#define WATCH_MAX_S 86400.0

volatile sig_atomic_t mon_stop;

enum format { FMT_TABLE, FMT_JSON, FMT_PROM };

struct opts {
	bool longfmt;
	enum format fmt;
	bool watch;
	double interval_s;
	const char *textfile_dir;   /* --textfile: DIR/xenballoon.prom */
};

enum { OPT_JSON = 256, OPT_PROM, OPT_TEXTFILE };

/* The file node_exporter's textfile collector reads (it takes *.prom). */
#define TEXTFILE_NAME "xenballoon.prom"

static const struct option long_opts[] = {
	{ "long", no_argument, NULL, 'l' },
	{ "watch", required_argument, NULL, 'w' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "textfile", required_argument, NULL, OPT_TEXTFILE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *fp)
{
	fputs("usage: " PROG " [-l] [-w SECONDS] [--json | --prometheus | --textfile DIR]\n"
	    "Show, in dom0, the memory statistics the guests' xenballoond publish.\n"
	    "\n"
	    "  -l, --long             also the name, dom0's memory/target and\n"
	    "                         memory/static-max, and where the stats were found\n"
	    "  -w, --watch SECONDS    refresh every SECONDS until interrupted,\n"
	    "                         highlighting what changed (on a terminal)\n"
	    "      --json             one JSON document\n"
	    "      --prometheus       Prometheus text format (node_exporter textfile)\n"
	    "      --textfile DIR     the same, written atomically to DIR/" TEXTFILE_NAME "\n"
	    "                         (for node_exporter's textfile collector)\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          print the version\n"
	    "\n"
	    "Environment: XENSTORED_PATH (xenstored's socket), XENBALLOON_MONITOR_XL\n"
	    "(the xl to run for the host figures).\n", fp);
}

static void
on_signal(int sig)
{
	mon_stop = sig;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: interrupt the waits */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int c;
	bool json = false, prom = false;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "lw:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->longfmt = true;
			break;
		case 'w':
			if (parse_seconds(optarg, WATCH_MIN_S, WATCH_MAX_S, &o->interval_s) != 0) {
				log_errx("-w: want seconds between %g and %g, not '%s'",
				    WATCH_MIN_S, WATCH_MAX_S, optarg);
				exit(2);
			}
			o->watch = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_PROM:
			prom = true;
			break;
		case OPT_TEXTFILE:
			prom = true;
			o->textfile_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(PROG " %s\n", XB_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		log_errx("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (json && prom) {
		log_errx("--json and --prometheus exclude each other");
		exit(2);
	}
	o->fmt = json ? FMT_JSON : prom ? FMT_PROM : FMT_TABLE;
}

static struct xs_handle *
connect_xs(void)
{
	struct xs_handle *h;

	errno = 0;
	h = xs_open(0);
	if (h == NULL && errno == 0)
		errno = ECONNREFUSED;
	return h;
}

static void
describe_xs_failure(char *buf, size_t size, const char *what, int err)
{
	const char *path = getenv("XENSTORED_PATH");

	if (path != NULL && path[0] != '\0')
		snprintf(buf, size, "%s xenstore at %s: %s", what, path, strerror(err));
	else
		snprintf(buf, size, "%s xenstore (is xenstored running, and are we in dom0 "
		    "as root?): %s", what, strerror(err));
}

/* One snapshot. Returns 0, or -1 with errno set when xenstore failed. */
static int
take_snapshot(struct xs_handle *h, const char *xl, struct mon_snapshot *s)
{
	unsigned *ids;
	size_t n;
	struct mon_tmem tmem;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (mon_list_domains(h, &ids, &n) < 0)
		return -1;
	/* The host between listing and reading: a domain destroyed
	 * meanwhile is noticed and skipped by mon_read_domain(). */
	mon_query_host(xl, &s->host, &tmem);
	if (mon_read_balancer(h, &s->bal) < 0) {
		err = errno;
		mon_tmem_free(&tmem);
		free(ids);
		errno = err;
		return -1;
	}
	s->dom = calloc(n > 0 ? n : 1, sizeof(*s->dom));
	if (s->dom == NULL) {
		err = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !mon_stop; i++) {
		struct mon_domain *d = &s->dom[s->ndom];
		uint64_t pages;
		int r = mon_read_domain(h, ids[i], d);

		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			continue; /* gone */
		if (mon_tmem_lookup(&tmem, d->domid, &pages) == 0 && pages <= MON_COUNT_MAX) {
			d->val[MF_PRECACHE] = pages;
			d->have[MF_PRECACHE] = true;
		}
		s->ndom++;
	}
out:
	free(ids);
	mon_tmem_free(&tmem);
	if (err != 0) {
		mon_snapshot_free(s);
		errno = err;
		return -1;
	}
	return 0;
}

static void
render(struct mbuf *b, const struct opts *o, const struct mon_snapshot *cur,
       const struct mon_snapshot *prev, bool ansi)
{
	switch (o->fmt) {
	case FMT_JSON:
		mon_render_json(b, cur);
		break;
	case FMT_PROM:
		mon_render_prom(b, cur);
		break;
	case FMT_TABLE:
		mon_render_table(b, cur, prev, o->longfmt, ansi);
		break;
	}
}

/* Replace dir/xenballoon.prom with b's text atomically (a temporary
 * file, synced, renamed over it), so node_exporter never reads half a
 * file; its textfile collector ignores the temporary xenballoon.prom.tmp.
 * -1 with a log line on failure. */
static int
write_textfile(const char *dir, const struct mbuf *b)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/" TEXTFILE_NAME, dir) >= sizeof(path)) {
		log_errx("--textfile %s: path too long", dir);
		return -1;
	}
	if (write_file_atomic(path, b->p != NULL ? b->p : "") != 0) {
		log_errx("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
flush_out(const struct opts *o, const struct mbuf *b)
{
	if (o->textfile_dir != NULL)
		return write_textfile(o->textfile_dir, b);
	if (b->len > 0 && fwrite(b->p, 1, b->len, stdout) != b->len)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
run_once(const struct opts *o, const char *xl)
{
	struct xs_handle *h = connect_xs();
	struct mon_snapshot s;
	struct mbuf b = { 0 };
	char msg[512];
	int rc;

	if (h == NULL) {
		describe_xs_failure(msg, sizeof(msg), "cannot reach", errno);
		log_errx("%s", msg);
		return 1;
	}
	rc = take_snapshot(h, xl, &s);
	if (rc < 0 && mon_stop) {
		xs_close(h);
		return 128 + mon_stop;
	}
	if (rc < 0) {
		describe_xs_failure(msg, sizeof(msg), "cannot read", errno);
		log_errx("%s", msg);
		xs_close(h);
		return 1;
	}
	xs_close(h);
	if (mon_stop) {
		mon_snapshot_free(&s);
		return 128 + mon_stop;
	}
	render(&b, o, &s, NULL, false);
	mon_snapshot_free(&s);
	rc = flush_out(o, &b);
	mbuf_free(&b);
	if (rc != 0) {
		log_errx("writing the output: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Sleep ms milliseconds, or until a signal asks us to stop. */
static void
pause_ms(uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (!mon_stop) {
		uint64_t now = now_ms();

		if (now >= end)
			break;
		(void)poll(NULL, 0, (int)(end - now));
	}
}

static void
put_title(struct mbuf *b, const struct opts *o)
{
	char when[64] = "";
	char line[160];
	time_t t = time(NULL);
	struct tm tm;

	if (localtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);

	snprintf(line, sizeof(line), "Every %gs: " PROG "    %s\033[K\n\033[K\n",
	    o->interval_s, when);
	mbuf_puts(b, line);
}

static int
run_watch(const struct opts *o, const char *xl)
{
	bool tty = o->fmt == FMT_TABLE && isatty(STDOUT_FILENO);
	struct xs_handle *h = NULL;
	struct mon_snapshot prev = { 0 }, cur;
	bool have_prev = false;
	struct once xs_fail = { 0 };  /* xenstore lost: said once, and when back */
	uint64_t interval = (uint64_t)(o->interval_s * 1000.0 + 0.5);
	int rc = 0;
	char msg[512];

	/* Not there at all: fail as a single run does. Lost later (a
	 * xenstored restart): keep trying. */
	h = connect_xs();
	if (h == NULL) {
		describe_xs_failure(msg, sizeof(msg), "cannot reach", errno);
		log_errx("%s", msg);
		return 1;
	}
	if (tty)
		fputs("\033[H\033[2J", stdout);
	while (!mon_stop) {
		struct mbuf b = { 0 };
		int err = 0;

		if (h == NULL && (h = connect_xs()) == NULL) {
			describe_xs_failure(msg, sizeof(msg), "cannot reach", errno);
			err = 1;
		} else if (take_snapshot(h, xl, &cur) < 0) {
			describe_xs_failure(msg, sizeof(msg), "cannot read", errno);
			xs_close(h);
			h = NULL;
			err = 1;
		}
		if (mon_stop) {
			if (!err)
				mon_snapshot_free(&cur);
			break;
		}
		if (tty) {
			mbuf_puts(&b, "\033[H");
			put_title(&b, o);
		}
		if (err) {
			/* Keep trying: xenstored may be restarting. */
			if (tty) {
				mbuf_puts(&b, PROG ": ");
				mbuf_puts(&b, msg);
				mbuf_puts(&b, "; retrying\033[K\n\033[J");
			}
			if (once_fail(&xs_fail, 1) && !tty)
				log_info("%s; retrying", msg);
		} else {
			if (once_ok(&xs_fail) && !tty)
				log_info("xenstore is back");
			render(&b, o, &cur, tty && have_prev ? &prev : NULL, tty);
			if (tty)
				mbuf_puts(&b, "\033[J");
			else if (o->fmt != FMT_JSON && o->textfile_dir == NULL)
				mbuf_put(&b, "\n", 1); /* frames apart */
			mon_snapshot_free(&prev);
			prev = cur;
			have_prev = true;
		}
		if (flush_out(o, &b) != 0) {
			log_errx("writing the output: %s", strerror(errno));
			mbuf_free(&b);
			rc = 1;
			break;
		}
		mbuf_free(&b);
		pause_ms(interval);
	}
	mon_snapshot_free(&prev);
	xs_close(h);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	char xl[4096];
	const char *xlp;

	parse_args(argc, argv, &o);
	install_signals();
	xlp = mon_find_xl(xl, sizeof(xl)) == 0 ? xl : NULL;
	return o.watch ? run_watch(&o, xlp) : run_once(&o, xlp);
}
