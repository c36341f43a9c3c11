/* test_notify.c - the sd_notify datagram protocol, against real sockets:
 * a bound AF_UNIX datagram socket (a path, and an abstract name) reads
 * what notify.c sends, exactly as systemd would. */
#include <inttypes.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "notify.h"
#include "testutil.h"

static int listener = -1;
static char sock_path[108];

/* Bind a datagram socket at a path (abstract when name starts with '@')
 * and point $NOTIFY_SOCKET at it. */
static void
listen_at(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;
	struct timeval tv = { .tv_sec = 2 };

	listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listener, 0);
	strncpy(a.sun_path, name, sizeof(a.sun_path) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	else
		len++;
	ck_assert_msg(bind(listener, (struct sockaddr *)&a, len) == 0, "bind %s: %s", name,
	    strerror(errno));
	ck_assert_int_eq(setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
}

static void
listen_path(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/xbtest-notify.%ld", (long)getpid());
	unlink(sock_path);
	listen_at(sock_path);
}

/* The next datagram, NUL-terminated (caller's buffer). */
static const char *
receive(char *buf, size_t len)
{
	ssize_t n = recv(listener, buf, len - 1, 0);

	ck_assert_msg(n >= 0, "no datagram: %s", strerror(errno));
	buf[n] = '\0';
	return buf;
}

/* Nothing waiting. */
static void
assert_nothing_queued(void)
{
	char buf[64];

	ck_assert_int_lt(recv(listener, buf, sizeof(buf), MSG_DONTWAIT), 0);
	ck_assert_int_eq(errno, EAGAIN);
}

static void
teardown(void)
{
	if (listener >= 0)
		close(listener);
	listener = -1;
	if (sock_path[0] != '\0')
		unlink(sock_path);
	sock_path[0] = '\0';
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

START_TEST(absent_socket_is_inert)
{
	struct notify n;

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(notify_ready(&n, "mode idle"), 0);
	ck_assert_int_eq(notify_watchdog(&n), 0);
	ck_assert_int_eq(notify_reloading(&n), 0);
	/* No socket, no pings: the loop must not wake for nothing. */
	ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 0);
	notify_close(&n);
}
END_TEST

START_TEST(path_socket_receives_messages)
{
	struct notify n;
	char buf[512];

	listen_path();
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_int_ge(n.fd, 0);
	ck_assert_int_eq(notify_ready(&n, "mode self, balloon target 246012 kB"), 0);
	ck_assert_str_eq(receive(buf, sizeof(buf)),
	    "READY=1\nSTATUS=mode self, balloon target 246012 kB");
	ck_assert_int_eq(notify_watchdog(&n), 0);
	ck_assert_str_eq(receive(buf, sizeof(buf)), "WATCHDOG=1");
	ck_assert_int_eq(notify_ready(&n, NULL), 0);
	ck_assert_str_eq(receive(buf, sizeof(buf)), "READY=1");
	assert_nothing_queued();
	notify_close(&n);
	ck_assert_int_eq(n.fd, -1);
}
END_TEST

START_TEST(abstract_socket_receives_messages)
{
	struct notify n;
	char name[64], buf[128];

	snprintf(name, sizeof(name), "@xbtest-notify-%ld", (long)getpid());
	listen_at(name);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_int_eq(notify_watchdog(&n), 0);
	ck_assert_str_eq(receive(buf, sizeof(buf)), "WATCHDOG=1");
	notify_close(&n);
}
END_TEST

START_TEST(status_sent_only_when_changed)
{
	struct notify n;
	char buf[512];

	listen_path();
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_int_eq(notify_ready(&n, "mode idle, balloon target not written yet"), 0);
	receive(buf, sizeof(buf));
	ck_assert_int_eq(notify_status(&n, "mode idle, balloon target not written yet"), 0);
	assert_nothing_queued();
	ck_assert_int_eq(notify_status(&n, "mode directed, balloon target 300000 kB"), 0);
	ck_assert_str_eq(receive(buf, sizeof(buf)), "STATUS=mode directed, balloon target 300000 kB");
	ck_assert_int_eq(notify_status(&n, "mode directed, balloon target 300000 kB"), 0);
	assert_nothing_queued();
	notify_close(&n);
}
END_TEST

START_TEST(reloading_carries_monotonic_usec)
{
	struct notify n;
	struct timespec ts;
	char buf[128];
	uint64_t before, after, sent;

	listen_path();
	ck_assert_int_eq(notify_open(&n), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	ck_assert_int_eq(notify_reloading(&n), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	after = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	receive(buf, sizeof(buf));
	ck_assert_msg(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%" SCNu64, &sent) == 1,
	    "message: %s", buf);
	ck_assert_uint_ge(sent, before);
	ck_assert_uint_le(sent, after);
	notify_close(&n);
}
END_TEST

START_TEST(watchdog_interval_is_half)
{
	struct notify n;

	listen_path();
	setenv("WATCHDOG_USEC", "30000000", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 15000);
	notify_close(&n);

	/* For this process by pid: taken. For another: not ours. */
	{
		char pid[32];

		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv("WATCHDOG_PID", pid, 1);
		ck_assert_int_eq(notify_open(&n), 0);
		ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 15000);
		notify_close(&n);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
		setenv("WATCHDOG_PID", pid, 1);
		ck_assert_int_eq(notify_open(&n), 0);
		ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 0);
		notify_close(&n);
		unsetenv("WATCHDOG_PID");
	}
	/* Garbage or zero: no pings (and a log line), never a busy loop. */
	setenv("WATCHDOG_USEC", "soon", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 0);
	notify_close(&n);
	setenv("WATCHDOG_USEC", "0", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 0);
	notify_close(&n);
	/* Below 2 ms: pinged every millisecond, not every 0. */
	setenv("WATCHDOG_USEC", "1500", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_uint_eq(notify_watchdog_interval_ms(&n), 1);
	notify_close(&n);
}
END_TEST

START_TEST(bad_socket_names_refused)
{
	struct notify n;
	char longname[200];

	setenv("NOTIFY_SOCKET", "relative/socket", 1);
	ck_assert_int_eq(notify_open(&n), -1);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(notify_ready(&n, NULL), 0);
	setenv("NOTIFY_SOCKET", "@", 1);
	ck_assert_int_eq(notify_open(&n), -1);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	ck_assert_int_eq(notify_open(&n), -1);
	/* Empty is the same as unset. */
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(notify_open(&n), 0);
	ck_assert_int_eq(n.fd, -1);
}
END_TEST

START_TEST(vanished_listener_reported)
{
	struct notify n;

	listen_path();
	ck_assert_int_eq(notify_open(&n), 0);
	close(listener);
	listener = -1;
	unlink(sock_path);
	ck_assert_int_eq(notify_watchdog(&n), -1);
	ck_assert(n.failing);
	notify_close(&n);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("protocol");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, absent_socket_is_inert);
	tcase_add_test(tc, path_socket_receives_messages);
	tcase_add_test(tc, abstract_socket_receives_messages);
	tcase_add_test(tc, status_sent_only_when_changed);
	tcase_add_test(tc, reloading_carries_monotonic_usec);
	tcase_add_test(tc, watchdog_interval_is_half);
	tcase_add_test(tc, bad_socket_names_refused);
	tcase_add_test(tc, vanished_listener_reported);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(notify_suite());
}
