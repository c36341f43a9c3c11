/* hostbench - dom0's side of `make bench-host` (bench/host/README.md).
 *
 *   hostbench sample PERIOD_MS   every PERIOD_MS until SIGTERM, one line
 *                                "S t_ms free_kb DOMID:CURRENT_KB:TARGET_KB ..."
 *                                (the host's free memory from libxl, each
 *                                guest's allocation and memory/target)
 *   hostbench qubes RESERVE_MB   a Qubes-like controller, for comparison
 *                                only (not part of the project): sizes
 *                                every guest that publishes its memory in
 *                                use after Qubes OS's qmemman, as the
 *                                issue's description of it says
 *
 * The Qubes-like rule, every 100 ms: a guest's preferred memory is 1.3 x
 * its memory in use (the "used" its xenballoond publishes), at least
 * 200 MB; the host keeps RESERVE_MB free. When the preferences fit what
 * the guests hold plus what is free, each gets its preference and the
 * surplus is shared in proportion to the preferences; when they do not,
 * the guests above their preference give it back and those below share
 * what that and the free memory make, in proportion to what they lack.
 * It acts only when some guest's memory in use moved by more than 30 MB
 * since its last action (qmemman's guests report no smaller move), and
 * sets targets as xl mem-set does (libxl_set_memory_target).
 *
 * CLOCK_MONOTONIC ms, as the guests' samples (the same clock source in a
 * PV guest and dom0 only roughly: the analysis uses each side's own).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <xenstore.h>
#include <xentoollog.h>

#define MAXG 64
#define MB 1024ull

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A number from a guest's key (kB), or -1. */
static long long read_num(struct xs_handle *xs, unsigned domid, const char *key)
{
	char path[128], *v;
	unsigned int len;
	long long n;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	v = xs_read(xs, XBT_NULL, path, &len);
	if (v == NULL)
		return -1;
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/* MemTotal of the guest's published meminfo (kB), or -1. */
static long long read_memtotal(struct xs_handle *xs, unsigned domid)
{
	static const char *const where[] = { "data/xenballoon/meminfo", "memory/meminfo" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char path[128], *v, *p;
		unsigned int len;
		long long n = -1;

		snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, where[i]);
		v = xs_read(xs, XBT_NULL, path, &len);
		if (v == NULL)
			continue;
		p = strstr(v, "MemTotal:");
		if (p)
			n = strtoll(p + 9, NULL, 10);
		free(v);
		if (n > 0)
			return n;
	}
	return -1;
}

static int open_all(libxl_ctx **ctx, struct xs_handle **xs)
{
	xentoollog_logger *lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);

	if (libxl_ctx_alloc(ctx, LIBXL_VERSION, 0, lg) != 0) {
		fprintf(stderr, "hostbench: libxl_ctx_alloc failed\n");
		return -1;
	}
	*xs = xs_open(0);
	if (*xs == NULL) {
		fprintf(stderr, "hostbench: xs_open: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_sample(long period_ms)
{
	libxl_ctx *ctx;
	struct xs_handle *xs;
	long long next = now_ms();

	if (open_all(&ctx, &xs) != 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("H t_ms free_kb domid:current_kb:target_kb...\n");
	while (!stop_flag) {
		uint64_t free_kb = 0;
		libxl_dominfo *info;
		int nb = 0;

		libxl_get_free_memory(ctx, &free_kb);
		info = libxl_list_domain(ctx, &nb);
		printf("S %lld %" PRIu64, now_ms(), free_kb);
		for (int i = 0; info && i < nb; i++) {
			if (info[i].domid == 0)
				continue;
			printf(" %u:%" PRIu64 ":%lld", info[i].domid, info[i].current_memkb,
			       read_num(xs, info[i].domid, "memory/target"));
		}
		printf("\n");
		if (info)
			libxl_dominfo_list_free(info, nb);
		next += period_ms;
		if (next > now_ms())
			sleep_ms((long)(next - now_ms()));
	}
	return 0;
}

struct guest {
	unsigned domid;
	long long used_kb, last_used_kb;   /* MemTotal side */
	long long offset_kb;               /* current - MemTotal */
	long long cur_kb, max_kb, pref_kb, target_kb;
};

static int cmd_qubes(long reserve_mb)
{
	libxl_ctx *ctx;
	struct xs_handle *xs;
	struct guest g[MAXG];
	int ng = 0;

	if (open_all(&ctx, &xs) != 0)
		return 1;
	memset(g, 0, sizeof(g));
	while (!stop_flag) {
		uint64_t free_kb = 0;
		libxl_dominfo *info;
		int nb = 0, n = 0;
		bool act = false;
		long long pool, sum_pref = 0, sum_cur = 0;
		struct guest now[MAXG];

		sleep_ms(100);
		libxl_get_free_memory(ctx, &free_kb);
		info = libxl_list_domain(ctx, &nb);
		for (int i = 0; info && i < nb && n < MAXG; i++) {
			struct guest *x = &now[n];
			long long used, mt;

			if (info[i].domid == 0 || info[i].dying || info[i].shutdown)
				continue;
			used = read_num(xs, info[i].domid, "data/xenballoon/used");
			if (used < 0)
				used = read_num(xs, info[i].domid, "memory/used");
			mt = read_memtotal(xs, info[i].domid);
			if (used < 0 || mt < 0)
				continue;   /* not reporting: left alone */
			memset(x, 0, sizeof(*x));
			x->domid = info[i].domid;
			x->used_kb = used;
			x->cur_kb = (long long)info[i].current_memkb;
			x->offset_kb = x->cur_kb > mt ? x->cur_kb - mt : 0;
			x->max_kb = read_num(xs, x->domid, "memory/static-max");
			x->last_used_kb = -1;
			for (int j = 0; j < ng; j++)
				if (g[j].domid == x->domid)
					x->last_used_kb = g[j].last_used_kb;
			if (x->last_used_kb < 0 || llabs(used - x->last_used_kb) > 30 * (long long)MB)
				act = true;
			x->pref_kb = used * 13 / 10;
			if (x->pref_kb < 200 * (long long)MB)
				x->pref_kb = 200 * (long long)MB;
			x->pref_kb += x->offset_kb;
			if (x->max_kb > 0 && x->pref_kb > x->max_kb)
				x->pref_kb = x->max_kb;
			sum_pref += x->pref_kb;
			sum_cur += x->cur_kb;
			n++;
		}
		if (info)
			libxl_dominfo_list_free(info, nb);
		if (n != ng)
			act = true;
		if (!act) {
			continue;
		}
		pool = (long long)free_kb - reserve_mb * (long long)MB + sum_cur;
		if (sum_pref <= pool) {
			long long surplus = pool - sum_pref;

			for (int i = 0; i < n; i++)
				now[i].target_kb = now[i].pref_kb + surplus * now[i].pref_kb / sum_pref;
		} else {
			long long avail = (long long)free_kb - reserve_mb * (long long)MB, lack = 0;

			for (int i = 0; i < n; i++) {
				if (now[i].cur_kb >= now[i].pref_kb) {
					now[i].target_kb = now[i].pref_kb;
					avail += now[i].cur_kb - now[i].pref_kb;
				} else {
					lack += now[i].pref_kb - now[i].cur_kb;
				}
			}
			if (avail < 0)
				avail = 0;
			for (int i = 0; i < n; i++) {
				if (now[i].cur_kb < now[i].pref_kb) {
					long long want = now[i].pref_kb - now[i].cur_kb;

					now[i].target_kb = now[i].cur_kb +
					    (lack > avail ? avail * want / lack : want);
				}
			}
		}
		for (int i = 0; i < n; i++) {
			if (now[i].max_kb > 0 && now[i].target_kb > now[i].max_kb)
				now[i].target_kb = now[i].max_kb;
			if (llabs(now[i].target_kb - now[i].cur_kb) >= (long long)MB)
				libxl_set_memory_target(ctx, now[i].domid, (int64_t)now[i].target_kb, 0, 1);
			now[i].last_used_kb = now[i].used_kb;
		}
		memcpy(g, now, sizeof(now[0]) * (size_t)n);
		ng = n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc >= 3 && strcmp(argv[1], "sample") == 0)
		return cmd_sample(strtol(argv[2], NULL, 10) > 0 ? strtol(argv[2], NULL, 10) : 250);
	if (argc >= 3 && strcmp(argv[1], "qubes") == 0)
		return cmd_qubes(strtol(argv[2], NULL, 10));
	fprintf(stderr, "usage: hostbench sample PERIOD_MS | qubes RESERVE_MB\n");
	return 2;
}
