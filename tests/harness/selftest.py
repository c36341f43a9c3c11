"""Self-test of the xenstored harness (make check-harness).

Runs the real xenstored (Debian 12, Xen 4.17) through xenstored.sh and
talks to it with the real libxenstore (xs.py), then checks the facts the
daemon's design relies on: how a libxenstore handle behaves when
xenstored dies (with and without a watch), after a restart, watch
initial events, XENSTORED_PATH, transaction conflicts. The measurements
behind the facts are printed under "measured".

Every wait is bounded; a watchdog ends the run (as failed) after 240 s
whatever happens. Options, result file: tests/conftest.py.
"""

import errno
import os
import select
import shutil
import stat
import threading
import time

import pytest

import xs as xsmod
from xs import XS, Xenstored, XenstoredError, count_requests, trace_size

NOTES = []
_daemons = []
WATCHDOG_S = 240


def note(msg):
    NOTES.append(msg)


def stop_all():
    for d in _daemons:
        try:
            d.stop()
        except Exception:
            pass


def watchdog(seconds, config):
    """Ends the process after `seconds`, the run counted as failed."""
    def fire():
        print("harness: WATCHDOG: the self-test is still running after %d s" % seconds,
              flush=True)
        stop_all()
        passed, failed = config.pluginmanager.get_plugin("xenballoond-tally").counts()
        result = config.getoption("result")
        if result:
            with open(result, "w") as f:
                f.write("%d %d\n" % (passed, failed + 1))
        os._exit(1)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


class Timeout(Exception):
    pass


def bounded(fn, timeout=3.0):
    """Run fn() in a thread; (result, exception, seconds). Raises Timeout
    when fn is still running after timeout (the thread is abandoned)."""
    box = {}

    def run():
        t0 = time.monotonic()
        try:
            box["r"] = fn()
        except BaseException as e:  # noqa: B902
            box["e"] = e
        box["dt"] = time.monotonic() - t0

    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(timeout)
    if th.is_alive():
        raise Timeout("still blocked after %.1f s" % timeout)
    return box.get("r"), box.get("e"), box["dt"]


def errno_of(fn, timeout=3.0):
    """(errno or 0, seconds) of calling fn; 'BLOCKED' if it does not return."""
    try:
        _r, e, dt = bounded(fn, timeout)
    except Timeout:
        return "BLOCKED", timeout
    if e is None:
        return 0, dt
    if isinstance(e, OSError):
        return e.errno, dt
    raise e


def ename(e):
    return e if isinstance(e, str) else (errno.errorcode.get(e, str(e)) if e else "OK")


def poll_in(fd, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    return bool(r)


# ---------------------------------------------------------------------------
WORK = None
MAIN = None   # the daemon most tests share, started by test_start


@pytest.fixture(scope="module", autouse=True)
def harness_run(request, workdir, report):
    global WORK
    WORK = os.path.join(workdir, "run")
    if len(os.path.join(WORK, "crash-watch", "socket")) > 100:
        WORK = "/tmp/xb-harness-%d" % os.getpid()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK, exist_ok=True)
    dog = watchdog(WATCHDOG_S, request.config)
    yield
    dog.cancel()
    stop_all()
    for n in NOTES:
        report("harness: " + n)


def new_daemon(name, **kw):
    d = Xenstored(os.path.join(WORK, name), **kw)
    _daemons.append(d)
    return d


def test_start():
    global MAIN
    MAIN = new_daemon("main", domains="5")
    MAIN.stop()
    t0 = time.monotonic()
    MAIN.start()
    note("start took %.0f ms" % ((time.monotonic() - t0) * 1e3))
    assert MAIN.status() == "running", "status is %s" % MAIN.status()
    assert os.path.exists(MAIN.socket_path), "no socket"
    pid = MAIN.pid
    MAIN.start()                                  # idempotent
    assert MAIN.pid == pid, "second start changed the pid"
    with MAIN.client() as xs:
        assert xs.directory("/local/domain/0") == [], "/local/domain/0 missing or not empty"


def test_read_write_rm_directory():
    with MAIN.client() as xs:
        xs.write("/test/a", "1")
        xs.write("/test/b", b"\x00bin\xff")
        assert xs.read("/test/a") == b"1", "read /test/a"
        assert xs.read("/test/b") == b"\x00bin\xff", "binary value"
        assert xs.read("/test/none") is None, "missing node is not None"
        assert sorted(xs.directory("/test")) == ["a", "b"], "directory /test"
        assert xs.directory("/test/none") is None, "directory of missing node"
        xs.write("memory/target", "262144")       # relative: dom0's home
        assert xs.read("/local/domain/0/memory/target") == b"262144", (
            "relative path does not resolve under /local/domain/0")
        xs.mkdir("/test/dir")
        assert xs.read("/test/dir") == b"", "mkdir node is not empty"
        xs.write("/test/dir/x/y", "deep")         # parents are created
        xs.rm("/test/dir")
        assert xs.read("/test/dir/x/y") is None, "rm is not recursive"
        xs.rm("/test/never-was")                  # ENOENT is not an error
        t0 = time.monotonic()
        for i in range(200):
            xs.write("/test/loop", str(i))
            xs.read("/test/loop")
        note("write+read round trips: %.0f us each (ctypes)" %
             ((time.monotonic() - t0) / 400 * 1e6))


def test_permissions():
    with MAIN.client() as xs:
        xs.write("/test/perm", "x")
        xs.set_perms("/test/perm", [(0, "n"), (5, "r")])
        got = xs.get_perms("/test/perm")
        assert got == [(0, "n"), (5, "r")], "perms read back as %s" % got
        xs.set_perms("/test/perm", ["b0"])
        assert xs.get_perms("/test/perm") == [(0, "b")], "xenstore-chmod form"


def test_transaction_conflict_eagain():
    with MAIN.client() as a, MAIN.client() as b:
        a.write("/test/tx", "0")
        t = a.transaction_start()
        a.read("/test/tx", t)
        b.write("/test/tx", "1")
        a.write("/test/tx", "2", t)               # not detected before commit
        try:
            a.transaction_end(t)
            raise AssertionError("conflicting commit succeeded")
        except OSError as e:
            assert e.errno == errno.EAGAIN, "commit failed with %s, not EAGAIN" % ename(e.errno)
        assert a.read("/test/tx") == b"1", "failed commit changed the value"
        # a transaction that only READ the node conflicts too
        t = a.transaction_start()
        a.read("/test/tx", t)
        b.write("/test/tx", "3")
        e, _ = errno_of(lambda: a.transaction_end(t))
        assert e == errno.EAGAIN, "read-only txn: %s" % ename(e)
        # a write to another node does not conflict
        t = a.transaction_start()
        a.write("/test/tx", "4", t)
        b.write("/test/other", "x")
        a.transaction_end(t)
        assert a.read("/test/tx") == b"4", "commit lost"
        # abort always succeeds
        t = a.transaction_start()
        a.write("/test/tx", "5", t)
        b.write("/test/tx", "6")
        a.transaction_end(t, abort=True)
        assert a.read("/test/tx") == b"6", "abort changed the value"
        # the retry helper
        tries = []

        def body(tx):
            v = int(a.read("/test/tx", tx))
            if not tries:
                b.write("/test/tx", "100")
            tries.append(v)
            a.write("/test/tx", str(v + 1), tx)
        a.transaction(body)
        assert a.read("/test/tx") == b"101" and len(tries) == 2, (
            "retry helper: value %s after %d tries" % (a.read("/test/tx"), len(tries)))


def test_watch_fires():
    with MAIN.client() as a, MAIN.client() as b:
        a.watch("/test/w/key", "tok")           # the node does not exist yet
        ev = a.wait_watch(2.0)
        assert ev == ("/test/w/key", "tok"), "initial event: %s" % (ev,)
        assert a.wait_watch(0.2) is None, "more than one initial event"
        b.write("/test/w/key", "1")
        assert a.wait_watch(2.0) == ("/test/w/key", "tok"), "no event on create"
        b.write("/test/w/key/child", "1")
        assert a.wait_watch(2.0) == ("/test/w/key/child", "tok"), "no event for a child"
        b.rm("/test/w")
        assert a.wait_watch(2.0) == ("/test/w/key", "tok"), "no event on rm of the parent"
        # relative watch paths come back relative
        a.watch("rel/k", "rtok")
        assert a.wait_watch(2.0) == ("rel/k", "rtok"), "relative initial event"
        b.write("/local/domain/0/rel/k", "x")
        assert a.wait_watch(2.0) == ("rel/k", "rtok"), "relative event"
        a.unwatch("/test/w/key", "tok")
        b.write("/test/w/key", "2")
        assert a.wait_watch(0.3) is None, "event after unwatch"
        # blocking read_watch gets the next one
        b.write("/local/domain/0/rel/k", "y")
        r, e, _ = bounded(a.read_watch, 2.0)
        assert e is None and r == ("rel/k", "rtok"), "read_watch: %s %s" % (r, e)


def test_introduce_release_domain():
    with MAIN.client() as xs:
        xs.watch("@introduceDomain", "in")
        xs.watch("@releaseDomain", "out")
        seen = set()
        while True:                              # the two initial events
            ev = xs.wait_watch(0.5)
            if ev is None:
                break
            seen.add(ev)
        assert ("@introduceDomain", "in") in seen and ("@releaseDomain", "out") in seen, (
            "initial events of special watches: %s" % seen)
        xs.introduce_domain(7, mfn=0x1234, port=3)
        assert xs.is_domain_introduced(7), "domain 7 not introduced"
        assert xs.wait_watch(2.0) == ("@introduceDomain", "in"), "no @introduceDomain"
        assert xs.get_domain_path(7) == "/local/domain/7", "domain path"
        xs.write("/local/domain/7/memory/target", "1000")
        xs.set_perms("/local/domain/7/memory/target", [(0, "n"), (7, "r")])
        assert xs.get_perms("/local/domain/7/memory/target") == [(0, "n"), (7, "r")], (
            "perms for an introduced domain")
        xs.release_domain(7)
        assert not xs.is_domain_introduced(7), "domain 7 still introduced"
        assert xs.wait_watch(2.0) == ("@releaseDomain", "out"), "no @releaseDomain"


def test_two_daemons_are_independent():
    with new_daemon("second") as d2, d2.client() as x2, MAIN.client() as x1:
        x2.write("/only/here", "2")
        assert x1.read("/only/here") is None, "a write reached the other daemon"
        assert x2.read("/test/a") is None, "second daemon is not empty"
        assert d2.env["XENSTORED_PATH"] == d2.socket_path, "env XENSTORED_PATH"


def test_trace_counts_requests():
    with new_daemon("traced", trace=True) as d:
        with d.client() as xs:
            mark = trace_size(d.trace_path)
            for i in range(5):
                xs.write("/bench/k%d" % i, "v")
            for i in range(3):
                xs.read("/bench/k%d" % i)
            xs.directory("/bench")
            t = xs.transaction_start()
            xs.transaction_end(t)
        c = count_requests(d.trace_path, mark)
        want = {"WRITE": 5, "READ": 3, "DIRECTORY": 1,
                "TRANSACTION_START": 1, "TRANSACTION_END": 1}
        assert dict(c) == want, "counted %s, want %s" % (dict(c), want)
        assert sum(d.requests().values()) > sum(want.values()), "whole-file count"


def test_kill9_and_restart():
    old = MAIN.pid
    with MAIN.client() as xs:
        xs.write("/test/persist", "x")
    MAIN.kill()
    assert MAIN.status() == "dead", "status after kill: %s" % MAIN.status()
    assert os.path.exists(MAIN.socket_path), "kill cleaned up the socket"
    e, _ = errno_of(lambda: XS(MAIN.socket_path))
    assert e == errno.ECONNREFUSED, "stale socket gives %s, not ECONNREFUSED" % ename(e)
    MAIN.restart()
    assert MAIN.status() == "running" and MAIN.pid != old, "not restarted"
    with MAIN.client() as xs:
        assert xs.read("/test/persist") is None, "restarted xenstored is not empty"
        assert xs.directory("/local/domain/0") == [], "/local/domain/0 not recreated"
        assert sorted(xs.directory("/")) == ["local", "tool"], (
            "new store holds %s" % xs.directory("/"))


def raw_check_watch_errno(h):
    """errno of xs_check_watch() with no event pending (0 if one was)."""
    import ctypes
    ctypes.set_errno(0)
    p = h._L.xs_check_watch(h.h)
    if p:
        xsmod._libc.free(p)
        return 0
    return ctypes.get_errno()


def _handle_after_crash(with_watch):
    """Measure a handle when xenstored is SIGKILLed; returns a dict."""
    d = new_daemon("crash-%s" % ("watch" if with_watch else "plain"))
    d.restart()
    out = {}
    h = XS(d.socket_path, flags=0)               # xs_open(0), like the daemon
    h.write("/probe/k", "0")
    fd = None
    if with_watch:
        fd = h.fileno()
        h.watch("/probe/k", "tok")
        h.wait_watch(2.0)
        out["check_watch_alive"] = raw_check_watch_errno(h)
    d.kill()
    tk = time.monotonic()
    if with_watch:
        # the reader thread notices the EOF on its own, within a moment
        while True:
            e = raw_check_watch_errno(h)
            if e != errno.EAGAIN or time.monotonic() - tk > 2.0:
                break
            time.sleep(0.001)
        out["check_watch_dead"] = e
        note("xs_check_watch turned %s %.1f ms after the kill" %
             (ename(e), (time.monotonic() - tk) * 1e3))
    else:
        time.sleep(0.05)
    if with_watch:
        t0 = time.monotonic()
        out["poll_wakes"] = poll_in(fd, 1.0)
        out["poll_s"] = time.monotonic() - t0
    seq = []
    for name, fn in (("read", lambda: h.read("/probe/k")),
                     ("read", lambda: h.read("/probe/k")),
                     ("write", lambda: h.write("/probe/k", "1")),
                     ("transaction_start", h.transaction_start)):
        e, dt = errno_of(fn)
        seq.append((name, e, dt))
    if with_watch:
        e, dt = errno_of(h.check_watch)
        seq.append(("check_watch", e, dt))
        e, dt = errno_of(h.read_watch)
        seq.append(("read_watch", e, dt))
    out["seq"] = seq
    d.start()                                    # restarted
    e, _ = errno_of(lambda: XS(d.socket_path, flags=0).close())
    out["fresh_open"] = e
    out["old_after_restart"] = errno_of(lambda: h.read("/probe/k"))[0]
    if with_watch:
        out["poll_after_restart"] = poll_in(fd, 0.3)
    e, _ = errno_of(h.close)
    out["close"] = e
    d.stop()
    for name, e, dt in seq:
        note("%s watch: %-18s -> %s in %.2f ms" % ("with" if with_watch else "no  ",
                                                  name, ename(e), dt * 1e3))
    return out


def test_fact_handle_without_watch_fails_fast_after_crash():
    out = _handle_after_crash(False)
    errs = [e for _n, e, _dt in out["seq"]]
    assert "BLOCKED" not in errs, "an operation blocked: %s" % out["seq"]
    assert errs[0] in (errno.EPIPE, errno.ECONNRESET), "first error %s" % ename(errs[0])
    assert all(e == errno.EBADF for e in errs[1:]), (
        "then %s, not EBADF" % [ename(e) for e in errs[1:]])
    assert out["fresh_open"] == 0, "fresh xs_open after restart: %s" % ename(out["fresh_open"])
    assert out["old_after_restart"] == errno.EBADF, (
        "old handle after restart: %s" % ename(out["old_after_restart"]))
    assert out["close"] == 0, "xs_close of the dead handle: %s" % ename(out["close"])


def test_fact_handle_with_watch_fails_fast_but_fd_stays_silent():
    out = _handle_after_crash(True)
    errs = [e for _n, e, _dt in out["seq"]]
    note("poll(xs_fileno) after the crash woke: %s (waited %.2f s)" %
         (out["poll_wakes"], out["poll_s"]))
    assert "BLOCKED" not in errs, "an operation blocked: %s" % out["seq"]
    assert not out["poll_wakes"], "poll on xs_fileno woke up (libxenstore changed?)"
    note("xs_check_watch with nothing pending: %s while alive, %s once dead" %
         (ename(out["check_watch_alive"]), ename(out["check_watch_dead"])))
    assert out["check_watch_alive"] == errno.EAGAIN and out["check_watch_dead"] == errno.EINVAL, (
        "xs_check_watch: %s alive / %s dead, not EAGAIN / EINVAL" %
          (ename(out["check_watch_alive"]), ename(out["check_watch_dead"])))
    assert all(e in (errno.EBADF, errno.EINVAL, errno.EPIPE, errno.ECONNRESET) for e in errs), (
        "errors %s" % [ename(e) for e in errs])
    assert dict((n, e) for n, e, _ in out["seq"]).get("read_watch") == errno.EINVAL, (
        "read_watch on the dead handle: not EINVAL")
    assert out["fresh_open"] == 0, "fresh xs_open after restart"
    assert out["old_after_restart"] == errno.EBADF, (
        "old handle after restart: %s" %
          ename(out["old_after_restart"]))
    assert not out["poll_after_restart"], "poll woke after the restart"
    assert out["close"] == 0, "xs_close of the dead handle: %s" % ename(out["close"])


def lowest_free_fd():
    """The descriptor the next open() or socket() will get."""
    fd = os.open("/dev/null", os.O_RDONLY)
    os.close(fd)
    return fd


def test_fact_socket_end_shows_as_pollrdhup():
    """The end of a connection shows on the socket itself: a duplicate of
    the socket under a handle, polled for POLLRDHUP, stays silent while
    xenstored lives (watch events flowing included) and wakes within
    milliseconds of its death, with or without a watch on the handle."""
    d = new_daemon("rdhup")
    d.restart()
    handles, dups = [], []
    try:
        for _kind in ("plain", "watch"):
            fd = lowest_free_fd()
            handles.append(XS(d.socket_path, flags=0))
            assert stat.S_ISSOCK(os.fstat(fd).st_mode), (
                "xs_open did not put its socket on fd %d" % fd)
            dups.append(os.dup(fd))
        plain, watched = handles
        watched.watch("/probe/r", "tok")
        assert watched.wait_watch(2.0) is not None, "no initial watch event"
        plain.write("/probe/r", "1")
        assert watched.wait_watch(2.0) is not None, "no watch event for a write"
        p = select.poll()
        for fd in dups:
            p.register(fd, select.POLLRDHUP)
        alive = p.poll(300)
        assert alive == [], (
            "POLLRDHUP polled while xenstored lives woke: %s" % alive)
        d.kill()
        t0 = time.monotonic()
        woke = {}
        while len(woke) < len(dups) and time.monotonic() - t0 < 2.0:
            for fd, ev in p.poll(100):
                if ev & (select.POLLRDHUP | select.POLLHUP) and fd not in woke:
                    woke[fd] = time.monotonic() - t0
                    p.unregister(fd)
        note("POLLRDHUP after the kill: without a watch %s, with a watch %s" % tuple(
            "%.1f ms" % (woke[fd] * 1e3) if fd in woke else "never" for fd in dups))
        assert len(woke) == len(dups), "a duplicate socket never reported the end: %s" % woke
        assert max(woke.values()) < 0.5, "the end showed after %.2f s" % max(woke.values())
    finally:
        for fd in dups:
            os.close(fd)
        for h in handles:
            h.close()
        d.stop()


def test_fact_blocked_calls_return_when_xenstored_dies():
    """A call waiting for a reply from a hung (SIGSTOPped) xenstored blocks
    until the daemon dies; a thread in xs_read_watch wakes up too."""
    d = new_daemon("hung")
    d.restart()
    h = XS(d.socket_path, flags=0)
    h.watch("/probe/w", "tok")
    h.wait_watch(2.0)
    h2 = XS(d.socket_path, flags=0)              # no watch
    pid = d.pid
    os.kill(pid, 19)                             # SIGSTOP
    try:
        res = {}

        def call(key, fn):
            try:
                fn()
                res[key] = (0, time.monotonic())
            except OSError as e:
                res[key] = (e.errno, time.monotonic())
        ths = [threading.Thread(target=call, args=a, daemon=True) for a in
               (("read", lambda: h2.read("/x")), ("read_watch", h.read_watch))]
        for t in ths:
            t.start()
        time.sleep(1.0)
        assert not res, "returned while xenstored was stopped: %s" % res
        tk = time.monotonic()
        os.kill(pid, 9)
        for t in ths:
            t.join(3.0)
        assert set(res) == {"read", "read_watch"}, "still blocked after SIGKILL: %s" % res
        for k, (e, t) in sorted(res.items()):
            note("blocked %s returned %s %.1f ms after SIGKILL" % (k, ename(e), (t - tk) * 1e3))
        assert res["read_watch"][0] == errno.EINVAL, "read_watch: %s" % ename(res["read_watch"][0])
        assert res["read"][0] in (errno.ECONNRESET, errno.EPIPE), (
            "read: %s" % ename(res["read"][0]))
        for x in (h, h2):
            bounded(x.close, 3.0)
    finally:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        d.stop()


def test_fact_xs_open_honours_xenstored_path():
    d = new_daemon("env")
    d.restart()
    try:
        os.environ["XENSTORED_PATH"] = d.socket_path
        h = XS(None, flags=0)                    # plain xs_open(0)
        h.write("/via/env", "1")
        h.close()
        with d.client() as x:
            assert x.read("/via/env") == b"1", "xs_open(0) went elsewhere"
        os.environ["XENSTORED_PATH"] = os.path.join(WORK, "nothing-here", "socket")
        e, _ = errno_of(lambda: XS(None, flags=0))
        assert e == errno.ENOENT, "xs_open(0) to a missing socket: %s" % ename(e)
    finally:
        os.environ.pop("XENSTORED_PATH", None)
        d.stop()


def test_stop_is_clean_and_idempotent():
    pid = MAIN.pid
    MAIN.stop()
    assert MAIN.status() == "stopped", "status %s" % MAIN.status()
    assert not os.path.exists(MAIN.socket_path), "socket left after stop"
    assert not xsmod._proc_alive(pid), "process %d still alive" % pid
    MAIN.stop()
    MAIN.kill()
    assert MAIN.status() == "stopped", "stop/kill when stopped"


def test_start_failure_is_reported():
    bad = new_daemon("bad", timeout=2.0)
    old = os.environ.get("XB_SHIM")
    os.environ["XB_SHIM"] = os.path.join(WORK, "no-such-shim.so")
    t0 = time.monotonic()
    try:
        bad.start()
        raise AssertionError("start without a shim succeeded")
    except XenstoredError as e:
        assert "no shim" in str(e), "unclear error: %s" % e
    finally:
        if old is None:
            os.environ.pop("XB_SHIM", None)
        else:
            os.environ["XB_SHIM"] = old
    # a daemon that exits at start-up (--help prints the usage and exits;
    # unknown options are only warned about)
    bad2 = new_daemon("bad2", args=["--help"], timeout=2.0)
    try:
        bad2.start()
        raise AssertionError("start of a failing xenstored succeeded")
    except XenstoredError as e:
        assert "did not come up" in str(e), "unclear error: %s" % e
    assert time.monotonic() - t0 < 10, "failures took too long"
    assert bad2.status() == "stopped", "failed start left %s" % bad2.status()
