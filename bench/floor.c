/* floor.c - the unavoidable work of a tick, for `make bench` to hold the
 * daemon against.
 *
 *   floor [-p] [-w] [-n TICKS] [-i MS] ROOT    tick mode
 *   floor -R ROOT                              reaction mode
 *
 * Tick mode does, per tick, only what any daemon publishing these stats
 * must: read /proc/meminfo, /proc/vmstat, /proc/uptime and
 * /proc/sys/vm/preswap under ROOT, write the balloon's target_kb when the
 * target changed, and write the keys whose text changed (selftarget,
 * meminfo, vmstat, uptime, preswap under memory/) in one transaction,
 * over one libxenstore connection opened like the daemon's (xs_open(0),
 * XENSTORED_PATH). Nothing is parsed beyond two numbers, no policy.
 *   -p   also read memory/target each tick (a liveness probe by round trip)
 *   -w   register a watch on memory/target first (libxenstore then runs
 *        its reader thread and every reply goes through it, as in the
 *        daemon)
 *   -n   ticks, 0 = until killed (default 0)
 *   -i   milliseconds between tick starts, 0 = back to back (default 0)
 * At the end: "ticks N target-writes W transactions T" on stdout.
 *
 * Reaction mode: a watch on memory/target; on each event read it and
 * write it to target_kb. The least a daemon can do to follow dom0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "xs.h"                 /* XS_VALUE_MAX: the daemon's limit per value */

#define TEXT_MAX 16384
#define TARGET_KB "/sys/devices/system/xen_memory/xen_memory0/target_kb"

enum { K_SELFTARGET, K_MEMINFO, K_VMSTAT, K_UPTIME, K_PRESWAP, K_COUNT };

static const char *const key_path[K_COUNT] = {
	"memory/selftarget", "memory/meminfo", "memory/vmstat", "memory/uptime",
	"memory/preswap",
};

static char root[3000];

static void
fail(const char *what, const char *arg)
{
	fprintf(stderr, "floor: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
	    strerror(errno));
	exit(1);
}

static void
under_root(char *out, size_t size, const char *path)
{
	if ((size_t)snprintf(out, size, "%s%s", root, path) >= size) {
		errno = ENAMETOOLONG;
		fail("path", path);
	}
}

/* open, read to EOF, close. Returns the length; text is NUL-terminated. */
static size_t
read_file(const char *path, char *text, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open", path);
	while (len < size - 1 && (n = read(fd, text + len, size - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("read", path);
		}
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	return len;
}

static void
write_target(const char *path, uint64_t kb)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%" PRIu64, kb);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		fail("open", path);
	if (write(fd, buf, (size_t)len) != len)
		fail("write", path);
	close(fd);
}

static uint64_t
field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	return p ? strtoull(p + strlen(name), NULL, 10) : 0;
}

/* Cut at the last line end within XS_VALUE_MAX bytes, as the daemon does. */
static size_t
fit(const char *text, size_t len)
{
	const char *nl;

	if (len <= XS_VALUE_MAX)
		return len;
	nl = memrchr(text, '\n', XS_VALUE_MAX);
	return nl ? (size_t)(nl - text) + 1 : XS_VALUE_MAX;
}

static size_t
chomp(const char *text, size_t len)
{
	return len > 0 && text[len - 1] == '\n' ? len - 1 : len;
}

static struct xs_handle *
connect_xs(void)
{
	struct xs_handle *h = xs_open(0);

	if (h == NULL)
		fail("xs_open", getenv("XENSTORED_PATH"));
	return h;
}

static int
tick_mode(unsigned long ticks, unsigned interval_ms, bool probe, bool watch)
{
	static char meminfo[TEXT_MAX], vmstat[TEXT_MAX], uptime[256], preswap[256];
	static char cache[K_COUNT][TEXT_MAX];
	char meminfo_path[4096], vmstat_path[4096], uptime_path[4096], preswap_path[4096];
	char target_path[4096], selftarget[32];
	size_t cache_len[K_COUNT] = { 0 };
	bool cached[K_COUNT] = { false };
	unsigned long done = 0, writes = 0, txns = 0;
	uint64_t last_target = 0;
	struct timespec next;
	struct xs_handle *h = connect_xs();

	under_root(meminfo_path, sizeof(meminfo_path), "/proc/meminfo");
	under_root(vmstat_path, sizeof(vmstat_path), "/proc/vmstat");
	under_root(uptime_path, sizeof(uptime_path), "/proc/uptime");
	under_root(preswap_path, sizeof(preswap_path), "/proc/sys/vm/preswap");
	under_root(target_path, sizeof(target_path), TARGET_KB);
	if (watch && !xs_watch(h, "memory/target", "t"))
		fail("xs_watch", "memory/target");
	clock_gettime(CLOCK_MONOTONIC, &next);

	while (ticks == 0 || done < ticks) {
		const char *text[K_COUNT];
		size_t len[K_COUNT];
		bool changed[K_COUNT], any = false;
		uint64_t target;

		if (probe) {
			unsigned int n;
			char *v = xs_read(h, XBT_NULL, "memory/target", &n);

			if (v == NULL && errno != ENOENT)
				fail("xs_read", "memory/target");
			free(v);
		}
		len[K_MEMINFO] = read_file(meminfo_path, meminfo, sizeof(meminfo));
		target = field(meminfo, "Committed_AS:") + field(meminfo, "MemTotal:") / 16;
		if (target != last_target) {
			write_target(target_path, target);
			last_target = target;
			writes++;
		}
		len[K_SELFTARGET] = (size_t)snprintf(selftarget, sizeof(selftarget), "%" PRIu64,
		    target);
		len[K_VMSTAT] = read_file(vmstat_path, vmstat, sizeof(vmstat));
		len[K_UPTIME] = read_file(uptime_path, uptime, sizeof(uptime));
		len[K_PRESWAP] = read_file(preswap_path, preswap, sizeof(preswap));
		text[K_SELFTARGET] = selftarget;
		text[K_MEMINFO] = meminfo;
		text[K_VMSTAT] = vmstat;
		text[K_UPTIME] = uptime;
		text[K_PRESWAP] = preswap;
		len[K_MEMINFO] = fit(meminfo, len[K_MEMINFO]);
		len[K_VMSTAT] = fit(vmstat, len[K_VMSTAT]);
		len[K_UPTIME] = chomp(uptime, len[K_UPTIME]);
		len[K_PRESWAP] = chomp(preswap, len[K_PRESWAP]);

		for (int k = 0; k < K_COUNT; k++) {
			changed[k] = !cached[k] || cache_len[k] != len[k] ||
			    memcmp(cache[k], text[k], len[k]) != 0;
			any |= changed[k];
		}
		for (int attempt = 0; any; attempt++) {
			xs_transaction_t t = xs_transaction_start(h);

			if (t == XBT_NULL)
				fail("xs_transaction_start", NULL);
			for (int k = 0; k < K_COUNT; k++)
				if (changed[k] && !xs_write(h, t, key_path[k], text[k],
				    (unsigned)len[k]))
					fail("xs_write", key_path[k]);
			if (xs_transaction_end(h, t, false))
				break;
			if (errno != EAGAIN || attempt == 4)
				fail("xs_transaction_end", NULL);
		}
		if (any)
			txns++;
		for (int k = 0; k < K_COUNT; k++) {
			if (!changed[k])
				continue;
			memcpy(cache[k], text[k], len[k]);
			cache_len[k] = len[k];
			cached[k] = true;
		}
		done++;
		if (interval_ms > 0) {
			next.tv_sec += interval_ms / 1000;
			next.tv_nsec += (long)(interval_ms % 1000) * 1000000L;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
				;
		}
	}
	xs_close(h);
	printf("ticks %lu target-writes %lu transactions %lu\n", done, writes, txns);
	return 0;
}

static _Noreturn void
react_mode(void)
{
	char target_path[4096];
	struct xs_handle *h = connect_xs();

	under_root(target_path, sizeof(target_path), TARGET_KB);
	if (!xs_watch(h, "memory/target", "t"))
		fail("xs_watch", "memory/target");
	for (;;) {
		unsigned int n;
		char **ev = xs_read_watch(h, &n);
		char *v;

		if (ev == NULL)
			fail("xs_read_watch", NULL);
		free(ev);
		v = xs_read(h, XBT_NULL, "memory/target", &n);
		if (v == NULL) {
			if (errno == ENOENT)
				continue;
			fail("xs_read", "memory/target");
		}
		write_target(target_path, strtoull(v, NULL, 10));
		free(v);
	}
}

int
main(int argc, char **argv)
{
	unsigned long ticks = 0;
	unsigned interval_ms = 0;
	bool probe = false, watch = false, react = false;
	int c;

	while ((c = getopt(argc, argv, "pwn:i:R")) != -1) {
		switch (c) {
		case 'p':
			probe = true;
			break;
		case 'w':
			watch = true;
			break;
		case 'n':
			ticks = strtoul(optarg, NULL, 10);
			break;
		case 'i':
			interval_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			react = true;
			break;
		default:
			fprintf(stderr, "usage: floor [-p] [-w] [-n TICKS] [-i MS] ROOT | floor -R ROOT\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: floor [-p] [-w] [-n TICKS] [-i MS] ROOT | floor -R ROOT\n");
		return 2;
	}
	if ((size_t)snprintf(root, sizeof(root), "%s", argv[optind]) >= sizeof(root))
		return 2;
	if (react)
		react_mode();
	return tick_mode(ticks, interval_ms, probe, watch);
}
