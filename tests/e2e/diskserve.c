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
 * from /sys/block/DEV/stat). PHASE is one of:
 *
 *   idle:SECS[:NAME]  nothing (NAME defaults to "idle")
 *   load[:NAME]       read the first HOT_MB of DEV once, in order
 *   heap[:NAME]       map and fill HEAP_MB of memory of its own, kept
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
		char spec[128], *name, *arg = NULL, work[160];
		long long t0 = now_ms(), kb0 = disk_read_kb(), kb1;
		unsigned long n = 0;

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
				} else {
					for (size_t o = 0; o < heap_mb * MB; o += 8)
						*(uint64_t *)(void *)(heap + o) = rng();
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
		snprintf(work, sizeof(work), "read_kb=%lld,ops=%lu,hot_mb=%lu,heap_mb=%lu",
			 kb0 < 0 || kb1 < 0 ? -1 : kb1 - kb0, n, hot_mb, heap_mb);
		printf("P %s %lld %lld %s\n", name, t0, now_ms(), work);
	}
	printf("P end %lld %lld -\n", now_ms(), now_ms());
	close(fd);
	return rc;
}
