/* polbench - the guest side of `make bench-policy` (static, runs in the
 * busybox guest of tests/e2e).
 *
 *   polbench sample PERIOD_MS   sample the guest's memory state (and
 *                               its disk's reads, when it has one) every
 *                               PERIOD_MS until SIGTERM, then print the
 *                               samples (one "S ..." line each, see
 *                               print_header) to stdout
 *   polbench trace              run the workload trace; one line per
 *                               phase: "P NAME START_MS END_MS WORK"
 *   polbench host OFFSET_S RAMP_MB BURST_MB
 *                               one guest's part of make bench-host's
 *                               multi-guest trace (see cmd_host)
 *   polbench qubes              a Qubes-like controller for comparison
 *                               only (not part of xenballoond): every
 *                               100 ms, when memory in use moved by more
 *                               than 30 MB since the last move, set the
 *                               balloon to 1.3 x memory in use
 *
 * All times are CLOCK_MONOTONIC milliseconds, so samples and phases of
 * the two processes line up. The trace is deterministic: the same phases,
 * sizes, paces and data (a fixed-seed generator) for every policy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MB (1024ul * 1024ul)
#define PAGE_BYTES 4096ul
#define BALLOON "/sys/devices/system/xen_memory/xen_memory0"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void sleep_until_ms(long long t)
{
	sleep_ms(t - now_ms());
}

/* The whole of a small kernel file into buf (NUL-terminated); 0 on error. */
static size_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = 0;

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len;
}

static long long read_ll(const char *path)
{
	char buf[64];

	if (read_small(path, buf, sizeof(buf)) == 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The number after "KEY" at a line start in text (KEY includes its
 * separator, "MemTotal:" or "pswpin "); -1 when absent. */
static long long field(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0)
			return strtoll(p + klen, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=N": N (us) of the line
 * starting with kind. */
static long long psi_total_us(const char *text, const char *kind)
{
	const char *p = strstr(text, kind);
	const char *t;

	if (!p)
		return -1;
	t = strstr(p, "total=");
	return t ? strtoll(t + 6, NULL, 10) : -1;
}

/* kB the guest's disk (xvda) has read so far; -1 without a disk. */
static long long disk_read_kb(void)
{
	char buf[256];
	unsigned long long ios, merges, sectors;

	if (read_small("/sys/block/xvda/stat", buf, sizeof(buf)) == 0 ||
	    sscanf(buf, "%llu %llu %llu", &ios, &merges, &sectors) != 3)
		return -1;
	return (long long)(sectors / 2);
}

/* --- sample ------------------------------------------------------------ */

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void print_header(void)
{
	printf("H t_ms target_kb current_kb memtotal_kb memavail_kb committed_kb swapused_kb "
	       "psi_some_us psi_full_us pswpin pswpout pgmajfault refault oom_kill "
	       "file_kb refault_file disk_read_kb\n");
}

static int cmd_sample(long period_ms)
{
	static char meminfo[8192], vmstat[16384], psi[512];
	size_t cap = 64 * 1024 * 1024, len = 0;
	char *out = malloc(cap);
	struct sigaction sa;
	long long next = now_ms();

	if (!out)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop_flag) {
		long long t = now_ms(), ra, rf;
		int n;

		read_small("/proc/meminfo", meminfo, sizeof(meminfo));
		read_small("/proc/vmstat", vmstat, sizeof(vmstat));
		if (read_small("/proc/pressure/memory", psi, sizeof(psi)) == 0)
			strcpy(psi, "none");
		ra = field(vmstat, "workingset_refault_anon ");
		rf = field(vmstat, "workingset_refault_file ");
		n = snprintf(out + len, cap - len,
			     "S %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld\n",
			     t, read_ll(BALLOON "/target_kb"), read_ll(BALLOON "/info/current_kb"),
			     field(meminfo, "MemTotal:"), field(meminfo, "MemAvailable:"),
			     field(meminfo, "Committed_AS:"),
			     field(meminfo, "SwapTotal:") - field(meminfo, "SwapFree:"),
			     psi_total_us(psi, "some"), psi_total_us(psi, "full"),
			     field(vmstat, "pswpin "), field(vmstat, "pswpout "),
			     field(vmstat, "pgmajfault "), (ra < 0 ? 0 : ra) + (rf < 0 ? 0 : rf),
			     field(vmstat, "oom_kill "),
			     field(meminfo, "Active(file):") + field(meminfo, "Inactive(file):"),
			     rf < 0 ? 0 : rf, disk_read_kb());
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
		next += period_ms;
		if (next < now_ms())
			next = now_ms();
		sleep_until_ms(next);
	}
	print_header();
	fwrite(out, 1, len, stdout);
	return 0;
}

/* --- trace --------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* A quarter of each page random, the rest a counter: lzo-rle stores it at
 * about a third of its size, as ordinary program data, not for free (a
 * page of one repeated value costs zram nothing). Filling more of it costs
 * the guest much CPU under TCG. */
static void fill(char *p, size_t bytes)
{
	size_t off, i;

	for (off = 0; off < bytes; off += PAGE_BYTES) {
		uint64_t *w = (uint64_t *)(void *)(p + off);

		for (i = 0; i < PAGE_BYTES / 32; i++)
			w[i] = rng();
		for (; i < PAGE_BYTES / 8; i++)
			w[i] = (uint64_t)(off + i);
	}
}

struct chunks {
	char *addr[256];
	size_t bytes[256];
	int n;
};

/* Map and fill chunk_mb-MB chunks until total_mb, step_mb per period_ms
 * (period 0: as fast as possible). Returns 0, or -1 when a map failed. */
static int alloc_paced(struct chunks *c, unsigned long total_mb, unsigned long chunk_mb,
		       unsigned long step_mb, long period_ms)
{
	unsigned long done_mb = 0;
	long long tick = now_ms();

	while (done_mb < total_mb && c->n < 256) {
		unsigned long want = chunk_mb < total_mb - done_mb ? chunk_mb : total_mb - done_mb;
		char *p = mmap(NULL, want * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned long o;

		if (p == MAP_FAILED) {
			fprintf(stderr, "polbench: mmap %lu MB: %s\n", want, strerror(errno));
			return -1;
		}
		c->addr[c->n] = p;
		c->bytes[c->n] = want * MB;
		c->n++;
		for (o = 0; o < want; o += step_mb) {
			unsigned long s = step_mb < want - o ? step_mb : want - o;

			fill(p + o * MB, s * MB);
			if (period_ms > 0) {
				tick += period_ms;
				sleep_until_ms(tick);
			}
		}
		done_mb += want;
	}
	return 0;
}

static void free_chunks(struct chunks *c)
{
	while (c->n > 0) {
		c->n--;
		munmap(c->addr[c->n], c->bytes[c->n]);
	}
}

/* The ramp's memory is a working set, not a forgotten buffer: every 2 s
 * while it is held a reader touches one page in WS_STRIDE_PAGES, so memory
 * pushed to swap comes back (swap readahead brings the neighbours: 8 pages
 * with the default vm.page-cluster of 3). Every page would cost the guest
 * far more CPU under TCG. */
#define WS_STRIDE_PAGES 8
static struct chunks ramp;
static pthread_mutex_t ws_lock = PTHREAD_MUTEX_INITIALIZER;
static int ws_on;
static volatile uint64_t ws_sink;

static void *ws_reader(void *arg)
{
	(void)arg;
	for (;;) {
		long long t = now_ms();
		int i;
		size_t o;
		uint64_t sum = 0;

		pthread_mutex_lock(&ws_lock);
		if (ws_on)
			for (i = 0; i < ramp.n; i++)
				for (o = 0; o < ramp.bytes[i]; o += WS_STRIDE_PAGES * PAGE_BYTES)
					sum += *(volatile uint64_t *)(void *)(ramp.addr[i] + o);
		pthread_mutex_unlock(&ws_lock);
		ws_sink = sum;
		sleep_until_ms(t + 2000);
	}
	return NULL;
}

static void phase(const char *name, long long t0, long long t1, const char *work)
{
	printf("P %s %lld %lld %s\n", name, t0, t1, work);
	fflush(stdout);
}

static void idle(const char *name, long long ms)
{
	long long t0 = now_ms();

	sleep_ms(ms);
	phase(name, t0, now_ms(), "idle");
}

/* The kernel's own memory, outside Committed_AS: inodes and dentries of
 * many empty tmpfs files (slab), and pipe buffers full of data. */
#define SLAB_FILES 12000
#define SLAB_PIPES 384

static int slab_phase(void)
{
	static int fds[SLAB_PIPES][2];
	static char buf[65536];
	struct rlimit rl = { 4096, 4096 };
	long long t0, t1;
	char path[64];
	int i, made_pipes = 0, err = 0;

	setrlimit(RLIMIT_NOFILE, &rl);
	mkdir("/tmp/slab", 0700);
	t0 = now_ms();
	for (i = 0; i < SLAB_FILES; i++) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/slab/f%06d-a-longer-name", i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0) {
			err = errno;
			break;
		}
		close(fd);
	}
	for (i = 0; i < SLAB_PIPES && !err; i++) {
		size_t j;
		ssize_t n;

		if (pipe2(fds[i], O_NONBLOCK | O_CLOEXEC) != 0) {
			err = errno;
			break;
		}
		made_pipes++;
		for (j = 0; j < sizeof(buf) / 8; j++)
			((uint64_t *)(void *)buf)[j] = (j % 2) ? rng() : j;
		n = write(fds[i][1], buf, sizeof(buf));
		if (n < 0) {
			err = errno;
			break;
		}
	}
	t1 = now_ms();
	{
		char work[96];

		snprintf(work, sizeof(work), "files=%d,pipes=%d,pipe_kb=%zu", SLAB_FILES, made_pipes,
			 sizeof(buf) / 1024);
		phase("slab", t0, t1, work);
	}
	if (err)
		fprintf(stderr, "polbench: slab phase: %s\n", strerror(err));
	sleep_ms(3000);
	t0 = now_ms();
	for (i = 0; i < made_pipes; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	for (i = 0; i < SLAB_FILES; i++) {
		snprintf(path, sizeof(path), "/tmp/slab/f%06d-a-longer-name", i);
		unlink(path);
	}
	rmdir("/tmp/slab");
	phase("slab-free", t0, now_ms(), "free");
	return err ? -1 : 0;
}

#define RAMP_MB 160
#define BURST_MB 96
#define BURSTS 3

static int cmd_trace(void)
{
	pthread_t th;
	long long t0;
	char work[64];
	int b, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pthread_create(&th, NULL, ws_reader, NULL) != 0) {
		fprintf(stderr, "polbench: pthread_create failed\n");
		return 1;
	}
	phase("start", now_ms(), now_ms(), "-");
	idle("idle", 5000);

	/* A steady ramp: 4 MB every 250 ms (16 MB/s) up to RAMP_MB, kept. */
	t0 = now_ms();
	pthread_mutex_lock(&ws_lock);
	if (alloc_paced(&ramp, RAMP_MB, 8, 4, 250) != 0)
		rc = 1;
	ws_on = 1;
	pthread_mutex_unlock(&ws_lock);
	snprintf(work, sizeof(work), "mb=%d,pace=16MB/s", RAMP_MB);
	phase("ramp", t0, now_ms(), work);
	idle("hold", 5000);

	/* Bursts: BURST_MB as fast as the guest can map and fill it, held
	 * 2 s, given back (munmap), then a pause. The ramp stays in use. */
	for (b = 1; b <= BURSTS; b++) {
		struct chunks c = { .n = 0 };
		char name[16];

		t0 = now_ms();
		if (alloc_paced(&c, BURST_MB, 8, 8, 0) != 0)
			rc = 1;
		snprintf(name, sizeof(name), "burst%d", b);
		snprintf(work, sizeof(work), "mb=%d,pace=max", BURST_MB);
		phase(name, t0, now_ms(), work);
		sleep_ms(2000);
		free_chunks(&c);
		snprintf(name, sizeof(name), "gap%d", b);
		idle(name, 5000);
	}
	pthread_mutex_lock(&ws_lock);
	ws_on = 0;
	free_chunks(&ramp);
	pthread_mutex_unlock(&ws_lock);
	idle("quiet", 3000);

	if (slab_phase() != 0)
		rc = 1;
	idle("tail", 15000);
	phase("end", now_ms(), now_ms(), "-");
	return rc;
}

/* --- host: one guest's part of make bench-host ---------------------------- */

static void idle_until(const char *name, long long t_end)
{
	long long t0 = now_ms();

	sleep_until_ms(t_end);
	phase(name, t0, now_ms(), "idle");
}

/* Timed from its start, so the guests' traces, started together by
 * dom0, overlap as planned: OFFSET_S shifts this guest's ramp and
 * burst. A working set of RAMP_MB (16 MB/s, read as the anonymous
 * trace's is) from 5 s + offset until 170 s; a burst of BURST_MB as fast
 * as the guest can fill it at 40 s + offset, held 10 s; the working set
 * given back at 160 s; quiet until 200 s. */
#define HOST_BURST_AT_S 40
#define HOST_RAMP_END_S 160
#define HOST_END_S 200

static int cmd_host(long offset_s, unsigned long ramp_mb, unsigned long burst_mb)
{
	pthread_t th;
	long long t0 = now_ms(), t;
	struct chunks c = { .n = 0 };
	char work[64];
	int rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pthread_create(&th, NULL, ws_reader, NULL) != 0)
		return 1;
	phase("start", t0, t0, "-");
	idle_until("idle", t0 + (5 + offset_s) * 1000);
	t = now_ms();
	pthread_mutex_lock(&ws_lock);
	if (alloc_paced(&ramp, ramp_mb, 8, 4, 250) != 0)
		rc = 1;
	ws_on = 1;
	pthread_mutex_unlock(&ws_lock);
	snprintf(work, sizeof(work), "mb=%lu,pace=16MB/s", ramp_mb);
	phase("ramp", t, now_ms(), work);
	idle_until("hold", t0 + (HOST_BURST_AT_S + offset_s) * 1000);
	t = now_ms();
	if (alloc_paced(&c, burst_mb, 8, 8, 0) != 0)
		rc = 1;
	snprintf(work, sizeof(work), "mb=%lu,pace=max", burst_mb);
	phase("burst", t, now_ms(), work);
	sleep_ms(10000);
	t = now_ms();
	free_chunks(&c);
	phase("burst-free", t, now_ms(), "free");
	idle_until("after", t0 + HOST_RAMP_END_S * 1000);
	t = now_ms();
	pthread_mutex_lock(&ws_lock);
	ws_on = 0;
	free_chunks(&ramp);
	pthread_mutex_unlock(&ws_lock);
	phase("ramp-free", t, now_ms(), "free");
	idle_until("tail", t0 + HOST_END_S * 1000);
	phase("end", now_ms(), now_ms(), "-");
	return rc;
}

/* --- qubes --------------------------------------------------------------- */

/* Qubes OS's qmemman asks each guest for its memory in use every 100 ms
 * (meminfo-writer, reporting a change of more than 30 MB) and sizes it to
 * 1.3 x that. Here the guest sets its own balloon the same way, never
 * below floor_mb (MemTotal units, as xenballoond's floor) nor above
 * static-max. A comparison rule for the bench, not a xenballoond policy. */
static int cmd_qubes(long floor_mb, long long static_max_kb)
{
	static char meminfo[8192];
	long long last_used = -1;

	for (;;) {
		long long mt, ma, used, cur, want;

		read_small("/proc/meminfo", meminfo, sizeof(meminfo));
		mt = field(meminfo, "MemTotal:");
		ma = field(meminfo, "MemAvailable:");
		cur = read_ll(BALLOON "/info/current_kb");
		if (mt > 0 && ma >= 0 && cur > 0) {
			used = mt - ma;
			if (last_used < 0 || llabs(used - last_used) > 30 * 1024) {
				want = used * 13 / 10;
				if (want < floor_mb * 1024)
					want = floor_mb * 1024;
				want += cur - mt; /* MemTotal units to balloon units */
				if (want > static_max_kb)
					want = static_max_kb;
				{
					FILE *fp = fopen(BALLOON "/target_kb", "w");

					if (fp) {
						fprintf(fp, "%lld\n", want);
						fclose(fp);
					}
				}
				last_used = used;
			}
		}
		sleep_ms(100);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "sample") == 0)
		return cmd_sample(strtol(argv[2], NULL, 10) > 0 ? strtol(argv[2], NULL, 10) : 250);
	if (argc >= 2 && strcmp(argv[1], "trace") == 0)
		return cmd_trace();
	if (argc >= 4 && strcmp(argv[1], "qubes") == 0)
		return cmd_qubes(strtol(argv[2], NULL, 10), strtoll(argv[3], NULL, 10));
	if (argc >= 5 && strcmp(argv[1], "host") == 0)
		return cmd_host(strtol(argv[2], NULL, 10), strtoul(argv[3], NULL, 10),
				strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: polbench sample PERIOD_MS | trace | qubes FLOOR_MB STATIC_MAX_KB"
		" | host OFFSET_S RAMP_MB BURST_MB\n");
	return 2;
}
