/* diskserve - a service whose hot data lives in the page cache, for the
 * end-to-end guest and `make bench-policy` (static, needs nothing in the
 * guest).
 *
 * usage: diskserve DEV HOT_MB READS HEAP_MB PHASE...
 *
 * DEV is held open from start to end (the last close of a block device
 * drops its page cache). The phases run in order, each printing one
 * line when it ends, in the format of polbench's trace:
 *
 *   P NAME START_MS END_MS read_kb=N,reads=N,...
 *
 * (CLOCK_MONOTONIC ms; read_kb: what the disk read during the phase,
 * from /sys/block/DEV/stat; then where the phase's time went: this
 * process's user and system CPU ms, its minor and major faults and
 * involuntary context switches (getrusage), and the whole guest's busy,
 * iowait and steal ms from /proc/stat, so a slow phase says whether it
 * worked more, waited for the disk or shared its vCPU). PHASE is one of:
 *
 *   idle:SECS[:NAME]  nothing (NAME defaults to "idle")
 *   load[:NAME]       read the first HOT_MB of DEV once, in order
 *   heap[:NAME]       map HEAP_MB of memory of its own, kept; its pages
 *                     come as the requests first touch them (a heap
 *                     grows with the work, not in one burst)
 *   serve[:NAME]      READS random 64 KB reads over the hot data, each
 *                     followed by a write to a random page of the heap:
 *                     a request served from cache and worked on
 *   free[:NAME]       give the heap back
 *
 * The reads are the same for every run (a fixed-seed generator, the
 * serve phases continuing one sequence). Exit status 0, or 1 when a
 * read or the heap failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MB (1024ul * 1024ul)
#define CHUNK (64ul * 1024ul)
#define PAGE 4096ul

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static char stat_path[256];

/* Sectors the disk has read so far, in kB; -1 when unknown. */
static long long disk_read_kb(void)
{
	char buf[256];
	int fd = open(stat_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	unsigned long long ios, merges, sectors;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu %llu", &ios, &merges, &sectors) != 3)
		return -1;
	return (long long)(sectors / 2);
}

/* What a phase cost, and the guest around it. */
struct cost {
	struct rusage ru;
	long long busy_ms, iowait_ms, steal_ms; /* -1: no /proc/stat */
};

static void cost_now(struct cost *c)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");

	getrusage(RUSAGE_SELF, &c->ru);
	c->busy_ms = c->iowait_ms = c->steal_ms = -1;
	if (f == NULL)
		return;
	/* cpu  user nice system idle iowait irq softirq steal */
	if (hz > 0 && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			     &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		c->busy_ms = (long long)((v[0] + v[1] + v[2] + v[5] + v[6]) * 1000 / (unsigned long long)hz);
		c->iowait_ms = (long long)(v[4] * 1000 / (unsigned long long)hz);
		c->steal_ms = (long long)(v[7] * 1000 / (unsigned long long)hz);
	}
	fclose(f);
}

static long long tv_ms(const struct timeval *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_usec / 1000;
}

/* b - a of two readings, or -1 when either failed (-1). */
static long long delta_or_none(long long a, long long b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

static void cost_text(const struct cost *a, const struct cost *b, char *out, size_t len)
{
	snprintf(out, len, "usr_ms=%lld,sys_ms=%lld,minflt=%ld,majflt=%ld,ivcsw=%ld,"
		 "guest_busy_ms=%lld,guest_iowait_ms=%lld,guest_steal_ms=%lld",
		 tv_ms(&b->ru.ru_utime) - tv_ms(&a->ru.ru_utime),
		 tv_ms(&b->ru.ru_stime) - tv_ms(&a->ru.ru_stime),
		 b->ru.ru_minflt - a->ru.ru_minflt, b->ru.ru_majflt - a->ru.ru_majflt,
		 b->ru.ru_nivcsw - a->ru.ru_nivcsw, delta_or_none(a->busy_ms, b->busy_ms),
		 delta_or_none(a->iowait_ms, b->iowait_ms), delta_or_none(a->steal_ms, b->steal_ms));
}

static unsigned long arg_ul(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > (1ul << 20)) {
		fprintf(stderr, "diskserve: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	const char *dev, *base;
	unsigned long hot_mb, reads, heap_mb, chunks;
	char *heap = NULL;
	int fd, rc = 0;

	if (argc < 6) {
		fprintf(stderr, "usage: diskserve DEV HOT_MB READS HEAP_MB PHASE...\n");
		return 2;
	}
	dev = argv[1];
	hot_mb = arg_ul(argv[2], "HOT_MB");
	reads = arg_ul(argv[3], "READS");
	heap_mb = arg_ul(argv[4], "HEAP_MB");
	chunks = hot_mb * MB / CHUNK;
	base = strrchr(dev, '/');
	snprintf(stat_path, sizeof(stat_path), "/sys/block/%s/stat", base ? base + 1 : dev);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "diskserve: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("P start %lld %lld -\n", now_ms(), now_ms());
	for (int a = 5; a < argc; a++) {
		char spec[128], *name, *arg = NULL, work[512], used[320];
		long long t0 = now_ms(), kb0 = disk_read_kb(), kb1;
		unsigned long n = 0;
		struct cost c0, c1;

		cost_now(&c0);

		snprintf(spec, sizeof(spec), "%s", argv[a]);
		name = spec;
		if (strncmp(spec, "idle:", 5) == 0) {
			arg = spec + 5;
			name = strchr(arg, ':');
			if (name)
				*name++ = '\0';
			else
				name = (char *)"idle";
			sleep_ms((long long)arg_ul(arg, "idle seconds") * 1000);
		} else {
			char *colon = strchr(spec, ':');

			if (colon) {
				*colon = '\0';
				name = colon + 1;
			}
			if (strcmp(spec, "load") == 0) {
				for (n = 0; n < chunks; n++)
					if (pread(fd, buf, CHUNK, (off_t)(n * CHUNK)) != (ssize_t)CHUNK) {
						fprintf(stderr, "diskserve: read %lu: %s\n", n, strerror(errno));
						rc = 1;
						break;
					}
			} else if (strcmp(spec, "heap") == 0) {
				heap = mmap(NULL, heap_mb * MB, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (heap == MAP_FAILED) {
					fprintf(stderr, "diskserve: heap: %s\n", strerror(errno));
					heap = NULL;
					rc = 1;
				}
			} else if (strcmp(spec, "serve") == 0) {
				for (n = 0; n < reads; n++) {
					uint64_t r = rng();

					if (pread(fd, buf, CHUNK, (off_t)((r % chunks) * CHUNK)) != (ssize_t)CHUNK) {
						fprintf(stderr, "diskserve: read: %s\n", strerror(errno));
						rc = 1;
						break;
					}
					if (heap)
						heap[((r >> 32) % (heap_mb * MB / PAGE)) * PAGE] ^= buf[r % CHUNK];
				}
			} else if (strcmp(spec, "free") == 0) {
				if (heap)
					munmap(heap, heap_mb * MB);
				heap = NULL;
			} else {
				fprintf(stderr, "diskserve: unknown phase '%s'\n", argv[a]);
				return 2;
			}
		}
		kb1 = disk_read_kb();
		cost_now(&c1);
		cost_text(&c0, &c1, used, sizeof(used));
		snprintf(work, sizeof(work), "read_kb=%lld,ops=%lu,hot_mb=%lu,heap_mb=%lu,%s",
			 delta_or_none(kb0, kb1), n, hot_mb, heap_mb, used);
		printf("P %s %lld %lld %s\n", name, t0, now_ms(), work);
	}
	printf("P end %lld %lld -\n", now_ms(), now_ms());
	close(fd);
	return rc;
}
