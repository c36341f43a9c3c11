/* monitor_host.c - host figures from xl (see monitor.h).
 *
 * `xl info` gives free_memory (MiB); `xl tmem-list -a -l` gives, on a
 * hypervisor with tmem (Xen before 4.13), one G= line (Ta: idle pages,
 * Ec: ephemeral pages) and one C= line per client (CI: domid, Ec: its
 * ephemeral pages), as in xen/common/tmem.c's tmemc_list_*(). xl is run
 * with fork/exec (no shell), a time-out and an output cap; only the
 * numeric fields are kept. A missing xl, a failing command or a missing
 * field leaves the value absent, silently.
 */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parse.h"
#include "util.h"

#define XL_TIMEOUT_MS 5000
#define XL_OUTPUT_MAX (1u << 20)
#define TMEM_CLIENTS_MAX 65536u
#define MIB_MAX (1ULL << 40)

/* --- finding and running xl ----------------------------------------- */

static int
is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

static int
try_dir(char *out, size_t size, const char *dir, size_t dirlen)
{
	int n;

	if (dirlen == 0)
		return -1; /* an empty PATH entry: the current directory, not for root */
	n = snprintf(out, size, "%.*s/xl", (int)dirlen, dir);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return is_executable_file(out) ? 0 : -1;
}

int
mon_find_xl(char *out, size_t size)
{
	static const char *const fallback[] = { "/usr/sbin", "/sbin" };
	const char *env = getenv("XENBALLOON_MONITOR_XL");
	const char *path = getenv("PATH");

	if (env != NULL && env[0] != '\0') {
		if (strlen(env) >= size || !is_executable_file(env))
			return -1;
		memcpy(out, env, strlen(env) + 1);
		return 0;
	}
	if (path != NULL) {
		const char *p = path;

		for (;;) {
			const char *colon = strchr(p, ':');
			size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);

			if (p[0] == '/' && try_dir(out, size, p, n) == 0)
				return 0;
			if (colon == NULL)
				break;
			p = colon + 1;
		}
	}
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (try_dir(out, size, fallback[i], strlen(fallback[i])) == 0)
			return 0;
	return -1;
}

static noreturn void
child_exec(char *const argv[], int outfd)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t none;

	/* Own process group: a time-out kills xl and whatever it started. */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(outfd, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0)
		_exit(127);
	closefrom(3);
	execv(argv[0], argv);
	_exit(127);
}

static void
kill_group(pid_t pid)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
}

static int
wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Run argv[0] (argv NULL-terminated, no shell) with stdin and stderr on
 * /dev/null; collect at most max bytes of stdout within timeout_ms.
 * Returns 0 with *out (malloc'd, NUL-terminated) and *len when it exited
 * 0 in time; -1 otherwise (not found, failed, killed, timed out, too
 * much output, interrupted). */
static int
mon_run(char *const argv[], int timeout_ms, size_t max, char **out, size_t *len)
{
	int fds[2];
	pid_t pid;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	uint64_t deadline;
	int ok = 0;

	*out = NULL;
	*len = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		child_exec(argv, fds[1]);
	(void)setpgid(pid, pid);
	close(fds[1]);

	deadline = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t r;
		int pr;

		if (mon_stop || now >= deadline)
			break;
		pr = poll(&pfd, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		if (cap - used < 2) {
			/* Room for one byte more than max (to notice it) and the NUL. */
			size_t ncap = cap == 0 ? 8192 : cap * 2;
			char *nb;

			if (ncap > max + 2)
				ncap = max + 2;
			nb = realloc(buf, ncap);
			if (nb == NULL)
				break;
			buf = nb;
			cap = ncap;
		}
		r = read(fds[0], buf + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			ok = 1; /* EOF */
			break;
		}
		used += (size_t)r;
		if (used > max)
			break;
	}
	close(fds[0]);
	if (!ok)
		kill_group(pid);
	if (wait_child(pid) != 0 || !ok) {
		free(buf);
		return -1;
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL)
			return -1;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

/* --- parsing ----------------------------------------------------------- */

/* A decimal number filling [s, e) exactly, at most max. */
static int
parse_dec(const char *s, const char *e, uint64_t max, uint64_t *out)
{
	const char *why;

	return e < s ? -1 : parse_u64(s, (size_t)(e - s), 0, max, out, &why);
}

/* free_memory (MiB) of `xl info`. Returns 0, or -1 when absent. */
static int
mon_parse_xl_info(const char *text, size_t len, uint64_t *free_mib)
{
	struct line_iter it;
	const char *ls;
	size_t n;

	/* "free_memory            : 1203" */
	line_iter_init(&it, text, len, false);
	while (line_next(&it, &ls, &n)) {
		const char *le = ls + n;
		const char *colon = memchr(ls, ':', (size_t)(le - ls));
		const char *ke, *vs, *ve;

		if (colon == NULL)
			continue;
		ke = colon;
		while (ke > ls && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		if (ke - ls != 11 || memcmp(ls, "free_memory", 11) != 0)
			continue;
		vs = colon + 1;
		while (vs < le && (*vs == ' ' || *vs == '\t'))
			vs++;
		ve = le;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
			ve--;
		return parse_dec(vs, ve, MIB_MAX, free_mib);
	}
	return -1;
}

/* The value of field key (2 letters) among the comma-separated
 * "Kk:value" fields of [s, e). */
static int
find_field(const char *s, const char *e, const char *key, uint64_t *out)
{
	while (s < e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		const char *fe = comma != NULL ? comma : e;

		if (fe - s > 3 && s[0] == key[0] && s[1] == key[1] && s[2] == ':')
			return parse_dec(s + 3, fe, MON_COUNT_MAX, out);
		s = comma != NULL ? comma + 1 : e;
	}
	return -1;
}

static void
tmem_add(struct mon_tmem *t, unsigned domid, uint64_t pages)
{
	for (size_t i = 0; i < t->ncli; i++) {
		if (t->cli[i].domid == domid) {
			t->cli[i].eph_pages = pages;
			return;
		}
	}
	if (t->ncli >= TMEM_CLIENTS_MAX)
		return;
	if (t->ncli == t->cap) {
		size_t ncap = t->cap == 0 ? 16 : t->cap * 2;
		struct mon_tmem_client *nc = reallocarray(t->cli, ncap, sizeof(*nc));

		if (nc == NULL)
			return;
		t->cli = nc;
		t->cap = ncap;
	}
	t->cli[t->ncli].domid = domid;
	t->cli[t->ncli].eph_pages = pages;
	t->ncli++;
}

/* G= (Ta:, Ec:) and C= (CI:, Ec:) lines of `xl tmem-list -a -l`. */
static void
mon_parse_tmem(const char *text, size_t len, struct mon_tmem *t)
{
	struct line_iter it;
	const char *ls;
	size_t n;

	line_iter_init(&it, text, len, false);
	while (line_next(&it, &ls, &n)) {
		const char *le = ls + n;
		uint64_t v, id;

		if (le > ls && le[-1] == '\r')
			le--;
		if (le - ls < 2 || ls[1] != '=')
			continue;
		if (ls[0] == 'G') {
			if (!t->have_idle && find_field(ls + 2, le, "Ta", &v) == 0) {
				t->idle_pages = v;
				t->have_idle = true;
			}
			if (!t->have_eph && find_field(ls + 2, le, "Ec", &v) == 0) {
				t->eph_pages = v;
				t->have_eph = true;
			}
		} else if (ls[0] == 'C') {
			if (find_field(ls + 2, le, "CI", &id) == 0 && id <= 65535 &&
			    find_field(ls + 2, le, "Ec", &v) == 0)
				tmem_add(t, (unsigned)id, v);
		}
	}
}

int
mon_tmem_lookup(const struct mon_tmem *t, unsigned domid, uint64_t *pages)
{
	for (size_t i = 0; i < t->ncli; i++) {
		if (t->cli[i].domid == domid) {
			*pages = t->cli[i].eph_pages;
			return 0;
		}
	}
	return -1;
}

void
mon_tmem_free(struct mon_tmem *t)
{
	free(t->cli);
	memset(t, 0, sizeof(*t));
}

void
mon_query_host(const char *xl, struct mon_host *host, struct mon_tmem *tmem)
{
	char *out;
	size_t len;
	uint64_t v;

	memset(host, 0, sizeof(*host));
	memset(tmem, 0, sizeof(*tmem));
	if (xl == NULL)
		return;
	{
		char *argv[] = { (char *)xl, (char *)"info", NULL };

		if (mon_run(argv, XL_TIMEOUT_MS, XL_OUTPUT_MAX, &out, &len) == 0) {
			if (mon_parse_xl_info(out, len, &v) == 0) {
				host->val[MH_FREE_MIB] = v;
				host->have[MH_FREE_MIB] = true;
			}
			free(out);
		}
	}
	if (mon_stop)
		return;
	{
		char *argv[] = { (char *)xl, (char *)"tmem-list", (char *)"-a",
				 (char *)"-l", NULL };

		if (mon_run(argv, XL_TIMEOUT_MS, XL_OUTPUT_MAX, &out, &len) == 0) {
			mon_parse_tmem(out, len, tmem);
			free(out);
		}
	}
	if (tmem->have_idle) {
		host->val[MH_TMEM_IDLE_PAGES] = tmem->idle_pages;
		host->have[MH_TMEM_IDLE_PAGES] = true;
	}
	if (tmem->have_eph) {
		host->val[MH_TMEM_EPH_PAGES] = tmem->eph_pages;
		host->have[MH_TMEM_EPH_PAGES] = true;
	}
}
