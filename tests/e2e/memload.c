/* memload - a memory load for the end-to-end guest.
 *
 * Reserves MB megabytes up front, in chunks (one malloc larger than
 * MemTotal is refused by the default overcommit rule), then touches them
 * at a set pace: STEP megabytes every PERIOD milliseconds, the way a
 * program filling a buffer would. At every step it samples /proc/meminfo
 * and remembers the lowest MemAvailable, so the test can say how close the
 * guest came to running out. Progress goes to stdout; the last line is
 *
 *   memload: done mb=N secs=S rate_mbs=R min_avail_kb=K memtotal_start_kb=A memtotal_end_kb=B
 *
 * Then it holds the memory HOLD seconds and exits 0. Built statically, so
 * it needs nothing in the guest.
 *
 * usage: memload [-m MB] [-c CHUNK_MB] [-s STEP_MB] [-p PERIOD_MS] [-H HOLD_S]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MB (1024ul * 1024ul)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MemTotal and MemAvailable in kB; 0 when unreadable. */
static void meminfo(unsigned long *total, unsigned long *avail)
{
	char line[256];
	FILE *fp = fopen("/proc/meminfo", "r");

	*total = 0;
	*avail = 0;
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "MemTotal:", 9) == 0)
			*total = strtoul(line + 9, NULL, 10);
		else if (strncmp(line, "MemAvailable:", 13) == 0)
			*avail = strtoul(line + 13, NULL, 10);
	}
	fclose(fp);
}

static unsigned long arg_ul(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max) {
		fprintf(stderr, "memload: bad %s '%s' (1..%lu)\n", what, s, max);
		exit(2);
	}
	return v;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	unsigned long total_mb = 256, chunk_mb = 16, step_mb = 16, period_ms = 100, hold_s = 0;
	unsigned long nchunks, i, mt0, mt, av, min_av, touched = 0, next_report;
	long page = sysconf(_SC_PAGESIZE);
	char **chunks;
	double t0, t1, deadline;
	int opt;

	while ((opt = getopt(argc, argv, "m:c:s:p:H:")) != -1) {
		switch (opt) {
		case 'm': total_mb = arg_ul(optarg, "size (MB)", 1ul << 20); break;
		case 'c': chunk_mb = arg_ul(optarg, "chunk (MB)", 1ul << 20); break;
		case 's': step_mb = arg_ul(optarg, "step (MB)", 1ul << 20); break;
		case 'p': period_ms = arg_ul(optarg, "period (ms)", 60000); break;
		case 'H': hold_s = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: memload [-m MB] [-c CHUNK_MB] [-s STEP_MB] [-p PERIOD_MS] [-H HOLD_S]\n");
			return 2;
		}
	}
	if (page <= 0)
		page = 4096;
	setvbuf(stdout, NULL, _IOLBF, 0);

	nchunks = (total_mb + chunk_mb - 1) / chunk_mb;
	chunks = calloc(nchunks, sizeof(*chunks));
	if (!chunks) {
		printf("memload: fail calloc\n");
		return 1;
	}
	meminfo(&mt0, &min_av);
	printf("memload: start mb=%lu chunk_mb=%lu step_mb=%lu period_ms=%lu memtotal_kb=%lu avail_kb=%lu\n",
	       total_mb, chunk_mb, step_mb, period_ms, mt0, min_av);

	t0 = now_s();
	/* Reserve everything first: Committed_AS shows the whole demand at
	 * once, as it would for a program that allocates its buffer. A
	 * refused chunk is retried for a while (the guest may be growing). */
	for (i = 0; i < nchunks; i++) {
		unsigned long sz = (i == nchunks - 1 && total_mb % chunk_mb) ? total_mb % chunk_mb : chunk_mb;

		deadline = now_s() + 30.0;
		while (!(chunks[i] = malloc(sz * MB))) {
			if (now_s() > deadline) {
				printf("memload: fail malloc chunk=%lu of %lu after 30 s\n", i, nchunks);
				return 1;
			}
			usleep(100000);
		}
	}
	printf("memload: reserved mb=%lu in %lu chunks secs=%.2f\n", total_mb, nchunks, now_s() - t0);

	next_report = total_mb / 8 ? total_mb / 8 : 1;
	{
		double tick = now_s();
		unsigned long ci = 0, off = 0; /* position: chunk, byte offset */

		while (touched < total_mb) {
			unsigned long todo = step_mb;

			while (todo > 0 && ci < nchunks) {
				unsigned long sz = (ci == nchunks - 1 && total_mb % chunk_mb) ? total_mb % chunk_mb : chunk_mb;
				unsigned long end = off + MB;
				unsigned long p;

				for (p = off; p < end; p += (unsigned long)page)
					chunks[ci][p] = (char)(1 + (p >> 12));
				off = end;
				touched++;
				todo--;
				if (off >= sz * MB) {
					ci++;
					off = 0;
				}
			}
			meminfo(&mt, &av);
			if (av < min_av)
				min_av = av;
			if (touched >= next_report || touched >= total_mb) {
				printf("memload: touched mb=%lu/%lu secs=%.2f memtotal_kb=%lu avail_kb=%lu\n",
				       touched, total_mb, now_s() - t0, mt, av);
				next_report += total_mb / 8 ? total_mb / 8 : 1;
			}
			tick += (double)period_ms / 1000.0;
			sleep_until(tick);
		}
	}
	t1 = now_s();
	meminfo(&mt, &av);
	if (av < min_av)
		min_av = av;
	printf("memload: done mb=%lu secs=%.2f rate_mbs=%.1f min_avail_kb=%lu memtotal_start_kb=%lu memtotal_end_kb=%lu\n",
	       total_mb, t1 - t0, (double)total_mb / (t1 - t0 > 0 ? t1 - t0 : 1), min_av, mt0, mt);
	if (hold_s)
		sleep((unsigned)hold_s);
	for (i = 0; i < nchunks; i++)
		free(chunks[i]);
	free(chunks);
	return 0;
}
