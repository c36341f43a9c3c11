#!/usr/bin/python3
"""Integration tests: the real xenballoond binary, on fake kernel files
(--root), against the real xenstored (tests/harness).

    test_daemon.py RESULT_FILE WORKDIR [--daemon PATH] [--wrapper "valgrind ..."]
                   [--only NAME,NAME]

Each test prints "ok NAME: details" or "FAIL NAME: reason"; the last line
is "integration: N passed, M failed" and RESULT_FILE gets "N M".
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

from xs import Xenstored  # noqa: E402

HOME = "/local/domain/0"          # a socket client is dom0
BALLOON = "sys/devices/system/xen_memory/xen_memory0"
TESTS = []
OPTS = None
LIVE = []          # every Guest started, so a failed test leaves no daemon


def test(fn):
    TESTS.append(fn)
    return fn


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def wait_for(pred, timeout, step=0.005):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(step)


VMSTAT_61 = "\n".join(
    ["nr_free_pages 12345", "nr_zone_inactive_anon 10", "nr_zone_active_anon 20"] +
    ["nr_filler_counter_%03d %d" % (i, i * 7) for i in range(150)] +
    ["pgpgin 1000", "pgpgout 2000", "pswpin 3", "pswpout 4", "pgfault 55555",
     "pgmajfault 66"]) + "\n"


class Guest:
    """A fake guest: kernel files under a root dir, a config, a daemon."""

    def __init__(self, name, xsd, conf="", mem_total=200000, committed=50000,
                 current=257000, target=None, static_max=None, legacy=False):
        self.name = name
        self.dir = os.path.join(OPTS.workdir, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.root = os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.root, "proc"))
        self.legacy = legacy
        if legacy:
            os.makedirs(os.path.join(self.root, "proc", "xen"))
        else:
            os.makedirs(os.path.join(self.root, BALLOON, "info"))
        self.xsd = xsd
        self.maxmem = os.path.join(self.dir, "maxmem")
        self.pidfile = os.path.join(self.dir, "pid")
        self.conf = os.path.join(self.dir, "xenballoon.conf")
        self.log = os.path.join(self.dir, "daemon.log")
        self.write_conf(conf)
        self.set_meminfo(mem_total, committed)
        self.put("proc/vmstat", VMSTAT_61)
        self.put("proc/uptime", "100.00 90.00\n")
        self.set_balloon(current, target if target is not None else current)
        self.proc = None
        if xsd is not None and static_max is not None:
            with xsd.client() as c:
                c.write(HOME + "/memory/static-max", str(static_max))

    def write_conf(self, text):
        base = "XENBALLOON_MAXMEMFILE=%s\n" % self.maxmem
        with open(self.conf, "w") as f:
            f.write(base + text)

    def put(self, rel, text):
        p = os.path.join(self.root, rel)
        tmp = p + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, p)

    def get(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read()

    def set_meminfo(self, total, committed, available=None):
        self.mem_total = total
        self.put("proc/meminfo",
                 "MemTotal:       %8d kB\nMemFree:        %8d kB\n"
                 "MemAvailable:   %8d kB\nCommitted_AS:   %8d kB\n"
                 "SwapTotal:             0 kB\n" %
                 (total, total // 2, available or total // 2, committed))

    def set_balloon(self, current, target=None):
        if self.legacy:
            self.put("proc/xen/balloon",
                     "Current allocation: %8d kB\nRequested target:   %8d kB\n"
                     "Low-mem balloon:          0 kB\nHigh-mem balloon:         0 kB\n"
                     "Driver pages:           128 kB\n" % (current, target or current))
        else:
            self.put(BALLOON + "/info/current_kb", "%d\n" % current)
            self.put(BALLOON + "/target_kb", "%d\n" % (target or current))

    def target(self):
        if self.legacy:
            txt = self.get("proc/xen/balloon")
            try:
                return int(txt.strip()) // 1024     # the daemon wrote bytes
            except ValueError:
                return None
        try:
            return int(self.get(BALLOON + "/target_kb").strip())
        except ValueError:
            return None

    def cmd(self, *extra):
        wrapper = shlex.split(OPTS.wrapper) if OPTS.wrapper else []
        return wrapper + [OPTS.daemon, "-d", "-v", "-f", self.conf, "--root", self.root,
                          "--pidfile", self.pidfile] + list(extra)

    def env(self):
        e = dict(os.environ)
        if self.xsd is not None:
            e["XENSTORED_PATH"] = self.xsd.socket_path
        else:
            e["XENSTORED_PATH"] = os.path.join(self.dir, "no-such-socket")
        return e

    def start(self, *extra):
        LIVE.append(self)
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(self.cmd(*extra), env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def run(self, *extra, timeout=20):
        return subprocess.run(self.cmd(*extra), env=self.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    def logtext(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, needle, timeout=5.0, count=1):
        return wait_for(lambda: self.logtext().count(needle) >= count, timeout, 0.02)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.logf.close()
        self.proc = None
        if OPTS.wrapper and rc == 99:
            raise Fail("valgrind reported errors:\n" + self.logtext()[-3000:])
        return rc


def xs_home(xsd):
    return xsd.client()


def with_xsd(name, trace=False):
    d = os.path.join(OPTS.workdir, name + ".xsd")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return Xenstored(d, trace=trace)


def pause():
    """Fixed pauses (where nothing must happen) under valgrind: x4."""
    return 4.0 if OPTS.wrapper else 1.0


def slow():
    """Time scale: valgrind runs everything ~30x slower."""
    return 20.0 if OPTS.wrapper else 1.0


# ---------------------------------------------------------------- tests
@test
def directed_target_followed_fast():
    """dom0 writes memory/target; the balloon target follows within 50 ms
    (interval 60 s, so only the watch can have done it)."""
    with with_xsd("directed") as xsd:
        g = Guest("directed", xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=1\n", static_max=600000)
        with xsd.client() as c:
            g.start("--interval", "60")
            check(g.wait_log("xenstore: connected", 5 * slow()), "daemon never connected")
            lat = []
            for i, tgt in enumerate([250000, 240000, 300000, 230000, 260000] * 4):
                g.set_balloon(current=g.target() or 257000)
                t0 = time.monotonic()
                c.write(HOME + "/memory/target", str(tgt))
                ok = wait_for(lambda: g.target() == tgt, 2 * slow(), 0.0005)
                lat.append((time.monotonic() - t0) * 1000)
                check(ok, "write %d: target_kb %s, wanted %d" % (i, g.target(), tgt))
            st = wait_for(lambda: c.read(HOME + "/memory/selftarget") == b"260000",
                          2 * slow()) and c.read(HOME + "/memory/selftarget")
            check(st == b"260000", "selftarget %r, wanted 260000" % st)
        g.stop()
        lat.sort()
        limit = 50 * slow()
        check(lat[-1] < limit, "slowest reaction %.1f ms > %d ms" % (lat[-1], limit))
        return "20 writes: median %.2f ms, max %.2f ms (limit %d ms)" % (
            lat[len(lat) // 2], lat[-1], limit)


@test
def directed_applied_as_is():
    """Directed mode applies dom0's target at once, whatever the
    hysteresis (the kernel does too; stepping would fight it), within the
    floor; and selftarget reports a target the kernel already applied."""
    with with_xsd("dirsteps") as xsd:
        g = Guest("dirsteps", xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=4\n"
                  "XENBALLOON_AUTO_UPHYSTERESIS=4\nXENBALLOON_MINMEM=64\n",
                  mem_total=390000, current=400000)
        with xsd.client() as c:
            c.write(HOME + "/memory/target", "200000")
            g.run("--once")
            check(g.target() == 200000, "down: target %s, wanted 200000" % g.target())
            g.set_balloon(200000, 200000)
            g.set_meminfo(190000, 50000)
            c.write(HOME + "/memory/target", "380000")
            g.run("--once")
            check(g.target() == 380000, "up: target %s, wanted 380000" % g.target())
            # Below the floor (64 MB + offset 10000 kB = 75536 kB): held there.
            g.set_balloon(380000, 380000)
            g.set_meminfo(370000, 50000)
            c.write(HOME + "/memory/target", "50000")
            g.run("--once")
            check(g.target() == 65536 + 10000, "floor: target %s" % g.target())
            # The kernel already applied it: nothing to write, selftarget still set.
            c.rm(HOME + "/memory/selftarget")
            g.set_balloon(300000, 300000)
            g.set_meminfo(290000, 50000)
            c.write(HOME + "/memory/target", "300000")
            g.run("--once")
            st = c.read(HOME + "/memory/selftarget")
            check(st == b"300000", "selftarget %r after the kernel applied 300000" % st)
        return "200000 and 380000 applied in one tick with hysteresis 4; floor held"


@test
def selfballoon_unit_conversion_and_floor():
    """Selfballooning: goal = Committed_AS + (current_kb - MemTotal), never
    below the floor (in balloon units); converges without runaway."""
    with with_xsd("self") as xsd:
        g = Guest("self", xsd, "XENBALLOON_SELF=true\n", mem_total=200000,
                  committed=50000, current=257000)
        # Floor: maxmem 200000 kB -> 195 MB -> 40 + (50000 >> 10) = 88 MB
        # = 90112 kB, + offset 57000 = 147112 kB.
        floor = 90112 + 57000
        seen = []
        for _ in range(100):
            g.run("--once")
            t = g.target()
            seen.append(t)
            # The kernel follows: current = target, MemTotal keeps its offset.
            g.set_balloon(current=t)
            g.set_meminfo(t - 57000, 50000)
        check(min(seen) >= floor, "went below the floor: %d < %d" % (min(seen), floor))
        check(seen[0] == 257000 - (257000 - floor) // 10,
              "first step %d, wanted %d" % (seen[0], 257000 - (257000 - floor) // 10))
        check(seen[-1] - floor < 10, "did not settle at the floor: %d vs %d" % (seen[-1], floor))
        with open(g.maxmem) as f:
            check(f.read().strip() == "200000", "maxmem mark not recorded")
        return "257000 -> %d kB in 100 ticks, floor %d kB" % (seen[-1], floor)


@test
def selfballoon_key_honoured():
    """memory/selfballoon 1 turns selfballooning on over a config that
    says off, 0 turns it off over a config that says on."""
    with with_xsd("selfkey") as xsd:
        g = Guest("selfkey", xsd, "XENBALLOON_SELF=false\n")
        with xsd.client() as c:
            g.run("--once")
            check(g.target() == 257000, "moved while off: %s" % g.target())
            c.write(HOME + "/memory/selfballoon", "1")
            g.run("--once")
            on_target = g.target()
            check(on_target < 257000, "did not selfballoon with selfballoon=1")
            g.set_balloon(257000)
            g.write_conf("XENBALLOON_SELF=true\n")
            c.write(HOME + "/memory/selfballoon", "0")
            g.run("--once")
            check(g.target() == 257000, "selfballooned with selfballoon=0: %s" % g.target())
            # And live: the watch switches mode without a restart.
            g.start("--interval", "0.2")
            check(g.wait_log("mode: idle", 5 * slow()), "not idle with selfballoon=0")
            c.write(HOME + "/memory/selfballoon", "1")
            ok = wait_for(lambda: g.target() < 257000, 3 * slow())
            g.stop()
            check(ok, "live switch to selfballooning did not move the balloon")
        return "off->on moved to %d kB; on->off held 257000 kB" % on_target


@test
def interval_and_hysteresis_overrides():
    """memory/interval changes the tick length; memory/downhysteresis and
    memory/uphysteresis change the step."""
    with with_xsd("override") as xsd:
        g = Guest("override", xsd, "XENBALLOON_SELF=true\n")
        floor = 147112
        with xsd.client() as c:
            c.write(HOME + "/memory/downhysteresis", "2")
            g.run("--once")
            check(g.target() == 257000 - (257000 - floor) // 2,
                  "down=2: %s" % g.target())
            g.set_balloon(150000)
            g.set_meminfo(150000 - 57000, 150000)     # goal 207000
            c.write(HOME + "/memory/uphysteresis", "4")
            g.run("--once")
            check(g.target() == 150000 + (207000 - 150000) // 4, "up=4: %s" % g.target())
            # Interval: count ticks through vmstat publications.
            c.rm(HOME + "/memory/downhysteresis")
            c.rm(HOME + "/memory/uphysteresis")
            counts = {}
            for iv in ("1", "3"):
                c.write(HOME + "/memory/interval", iv)
                g.start()
                check(g.wait_log("xenstore: connected", 5 * slow()), "no connect")
                time.sleep(0.3)
                seen = set()
                end = time.monotonic() + 6.5
                k = 0
                while time.monotonic() < end:
                    k += 1
                    g.put("proc/vmstat", "pswpin %d\npswpout 1\n" % k)
                    v = c.read(HOME + "/memory/vmstat")
                    if v:
                        seen.add(v)
                    time.sleep(0.05)
                g.stop()
                counts[iv] = len(seen)
            check(5 <= counts["1"] <= 8, "interval 1: %d publications in 6.5 s" % counts["1"])
            check(2 <= counts["3"] <= 3, "interval 3: %d publications in 6.5 s" % counts["3"])
        return "down=2, up=4 exact; publications in 6.5 s: interval 1 -> %d, 3 -> %d" % (
            counts["1"], counts["3"])


@test
def stats_published_and_not_rewritten():
    """meminfo, vmstat (trimmed to fit 2048 bytes, key lines kept), uptime,
    selftarget published; an unchanged key is not written again."""
    with with_xsd("publish") as xsd:
        g = Guest("publish", xsd, "XENBALLOON_SELF=true\n")
        with xsd.client() as c:
            g.start("--interval", "0.1")
            ok = wait_for(lambda: c.read(HOME + "/memory/uptime"), 5 * slow())
            check(ok == b"100.00 90.00", "uptime %r" % ok)
            mi = c.read(HOME + "/memory/meminfo")
            check(mi == g.get("proc/meminfo").encode(), "meminfo differs: %r" % mi)
            vm = c.read(HOME + "/memory/vmstat")
            check(vm is not None and len(vm) <= 2048, "vmstat too long: %d" % len(vm or b""))
            for k in (b"pswpin 3", b"pswpout 4", b"pgpgin 1000", b"pgpgout 2000",
                      b"pgfault 55555", b"pgmajfault 66"):
                check(k + b"\n" in vm, "vmstat lost %r" % k)
            check(len(VMSTAT_61) > 2048, "test vmstat should be over 2048 bytes")
            st = wait_for(lambda: c.read(HOME + "/memory/selftarget"), 3 * slow())
            check(st is not None and int(st) == g.target(), "selftarget %r vs %s" % (st, g.target()))
            # Now count writes to meminfo: a watch fires on every write.
            wc = xsd.client()
            wc.watch(HOME + "/memory/meminfo", "m")
            wc.wait_watch(1.0)                       # the initial event
            g.set_balloon(g.target())                # settle the balloon
            time.sleep(0.05)
            while wc.wait_watch(0.3):
                pass
            events = 0
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                if wc.wait_watch(0.1):
                    events += 1
            check(events == 0, "unchanged meminfo rewritten %d times in 1.5 s" % events)
            g.set_meminfo(200000, 60000)
            check(wc.wait_watch(2.0 * slow()), "changed meminfo not republished")
            wc.close()
        g.stop()
        return "vmstat %d of %d bytes kept; 0 rewrites of unchanged meminfo in 15 ticks" % (
            len(vm), len(VMSTAT_61))


@test
def send_zero_not_published():
    """XENBALLOON_SEND_*=0 really means off (the original sent anyway)."""
    with with_xsd("sendzero") as xsd:
        g = Guest("sendzero", xsd, "XENBALLOON_SELF=true\nXENBALLOON_SEND_MEMINFO=0\n"
                  "XENBALLOON_SEND_VMSTAT=0\nXENBALLOON_SEND_UPTIME=0\n")
        g.run("--once")
        with xsd.client() as c:
            for k in ("meminfo", "vmstat", "uptime"):
                check(c.read(HOME + "/memory/" + k) is None, "%s published with SEND=0" % k)
            check(c.read(HOME + "/memory/selftarget") is not None, "selftarget missing")
        return "meminfo, vmstat, uptime absent; selftarget present"


@test
def garbage_values_ignored():
    """Garbage in memory/target is never acted on, and logged once per change."""
    with with_xsd("garbage") as xsd:
        g = Guest("garbage", xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=1\n", static_max=300000)
        bad = ["abc", "-5", "", "0x1000", "12 34", "99999999999999999999999",
               "400000", "1e6", "\n", "250000\n\n"]
        with xsd.client() as c:
            g.start("--interval", "0.05")
            check(g.wait_log("xenstore: connected", 5 * slow()), "no connect")
            for v in bad:
                c.write(HOME + "/memory/target", v)
                time.sleep(0.25 * pause())
                check(g.target() == 257000, "acted on %r: target %s" % (v, g.target()))
                check(g.proc.poll() is None, "daemon died on %r" % v)
            for _ in range(2):      # the same bad value twice: one line
                c.write(HOME + "/memory/target", "abc")
                time.sleep(0.3 * pause())
            log = g.logtext()
            ignored = log.count("ignoring memory/target = \"")
            # 400000 is above static-max: ignored by the engine, one line.
            above = log.count("above memory/static-max")
            c.write(HOME + "/memory/target", "250000")
            ok = wait_for(lambda: g.target() == 250000, 2 * slow())
        g.stop()
        check(ok, "a good value after garbage was not acted on")
        # 9 unparsable values, then "abc" twice (one line): 10 lines.
        check(ignored == len(bad), "%d 'ignoring' lines, wanted %d" % (ignored, len(bad)))
        check(above == 1, "%d 'above static-max' lines" % above)
        return "%d bad values ignored with %d log lines; good value followed" % (
            len(bad), ignored + above)


@test
def xenstored_restart_reconnects():
    """xenstored killed and restarted mid-run: the daemon reconnects and
    republishes within 5 s; selfballooning goes on while it is away."""
    with with_xsd("restart") as xsd:
        g = Guest("restart", xsd, "XENBALLOON_SELF=true\n")
        g.start("--interval", "0.2")
        with xsd.client() as c:
            check(wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow()), "no publish")
        times = []
        for round_ in range(2):
            xsd.kill()
            g.set_balloon(300000 + round_ * 1000, 300000 + round_ * 1000)
            t_before = g.target()
            moved = wait_for(lambda: g.target() != t_before, 3 * slow())
            check(moved, "selfballooning stopped while xenstore was away")
            xsd.start()
            t0 = time.monotonic()
            with xsd.client() as c:
                ok = wait_for(lambda: c.read(HOME + "/memory/meminfo"), 10 * slow(), 0.01)
                times.append(time.monotonic() - t0)
            check(ok, "round %d: not republished after restart" % round_)
            check(g.proc.poll() is None, "daemon exited")
        g.stop()
        check(max(times) < 5 * slow(), "republished after %.2f s" % max(times))
        return "republished %.2f s and %.2f s after restarts" % tuple(times)


@test
def xenstore_absent_at_start():
    """No xenstored at start: selfballooning runs; when it appears the
    daemon connects and publishes."""
    d = os.path.join(OPTS.workdir, "absent.xsd")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    xsd = Xenstored(d)
    g = Guest("absent", xsd, "XENBALLOON_SELF=true\n")
    g.start("--interval", "0.2")
    check(wait_for(lambda: g.target() != 257000, 3 * slow()), "no selfballooning without xenstore")
    xsd.start()
    try:
        with xsd.client() as c:
            ok = wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow())
        check(ok, "never published after xenstored appeared")
    finally:
        g.stop()
        xsd.stop()
    return "ballooned alone, then connected and published"


@test
def second_instance_refused():
    with with_xsd("second") as xsd:
        g = Guest("second", xsd, "")
        g.start("--interval", "1")
        check(wait_for(lambda: os.path.exists(g.pidfile) and open(g.pidfile).read().strip(),
                       5 * slow()), "no pidfile")
        r = g.run("--once")
        pid = str(g.proc.pid)
        rc = g.stop()
        check(r.returncode == 1, "second instance exit %d" % r.returncode)
        check("already running as pid " in r.stderr, "message: %r" % r.stderr)
        if not OPTS.wrapper:
            check(pid in r.stderr, "pid %s not named: %r" % (pid, r.stderr))
        check(rc == 0, "first instance exit %s on SIGTERM" % rc)
        check(not os.path.exists(g.pidfile), "pidfile left after SIGTERM")
        # A stale pidfile (dead pid, no lock) does not block a start.
        with open(g.pidfile, "w") as f:
            f.write("999999\n")
        r = g.run("--once")
        check(r.returncode == 0, "stale pidfile blocked the start: %r" % r.stderr)
        return "refused, exit 1, pid named; stale pidfile ignored"


@test
def sighup_bad_config_keeps_old():
    """SIGHUP with a broken config keeps the old settings; a good one is
    applied."""
    with with_xsd("sighup") as xsd:
        g = Guest("sighup", xsd, "XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=2\n")
        floor = 147112
        g.start("--interval", "0.1")
        check(wait_for(lambda: g.target() == 257000 - (257000 - floor) // 2, 3 * slow()),
              "first step with down=2: %s" % g.target())
        g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=0\n")
        g.signal(signal.SIGHUP)
        check(g.wait_log("keeping the previous configuration", 3 * slow()),
              "no 'keeping' log line")
        log = g.logtext()
        check("XENBALLOON_AUTO_DOWNHYSTERESIS" in log and ":3:" in log,
              "reload error does not name key and line")
        g.set_balloon(300000, 300000)
        g.set_meminfo(300000 - 57000, 50000)
        # maxmem now 243000: floor 40 + (60750 >> 10) = 99 MB = 101376 + 57000
        floor2 = 101376 + 57000
        want = 300000 - (300000 - floor2) // 2
        check(wait_for(lambda: g.target() == want, 3 * slow()),
              "old down=2 not kept: %s, wanted %d" % (g.target(), want))
        g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=5\n")
        g.signal(signal.SIGHUP)
        check(g.wait_log("reload: configuration", 3 * slow()), "good config not loaded")
        g.set_balloon(300000, 300000)
        want5 = 300000 - (300000 - floor2) // 5
        check(wait_for(lambda: g.target() == want5, 3 * slow()),
              "new down=5 not applied: %s, wanted %d" % (g.target(), want5))
        g.signal(signal.SIGUSR1)
        check(g.wait_log("status: mode=self", 3 * slow()), "no status line on SIGUSR1")
        rc = g.stop()
        check(rc == 0, "exit %s" % rc)
        return "bad reload kept down=2; good reload applied down=5; SIGUSR1 status logged"


@test
def dry_run_writes_nothing():
    with with_xsd("dryrun") as xsd:
        g = Guest("dryrun", xsd, "XENBALLOON_SELF=true\n")
        r = g.run("--dry-run", "--ticks", "3", "--interval", "0")
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        check(g.target() == 257000, "dry run moved the balloon")
        check(not os.path.exists(g.maxmem), "dry run wrote the maxmem file")
        check(not os.path.exists(g.pidfile), "dry run wrote a pidfile")
        lines = [ln for ln in r.stderr.splitlines() if "dry-run: mode=self" in ln]
        check(len(lines) == 3, "%d decision lines for 3 ticks" % len(lines))
        for word in ("goal=", "current=257000", "floor=147112", "max=", "new=246012"):
            check(word in lines[0], "decision line lacks %r: %s" % (word, lines[0]))
        with xsd.client() as c:
            check(c.read(HOME + "/memory/meminfo") is None, "dry run published")
        return lines[0].split("dry-run: ")[1]


@test
def no_balloon_driver_exits_zero():
    g = Guest("nodriver", None, "")
    shutil.rmtree(os.path.join(g.root, "sys"))
    r = g.run("--once")
    check(r.returncode == 0, "exit %d" % r.returncode)
    check("no balloon driver" in r.stderr, "message: %r" % r.stderr)
    return r.stderr.strip().split("xenballoond: ")[-1][:80]


@test
def legacy_balloon_driver():
    """/proc/xen/balloon: read 'Current allocation', write bytes."""
    g = Guest("legacy", None, "XENBALLOON_SELF=true\n", legacy=True)
    r = g.run("--once")
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    check("legacy" in r.stderr, "driver not named legacy: %r" % r.stderr)
    txt = g.get("proc/xen/balloon").strip()
    check(txt == str(246012 * 1024), "wrote %r, wanted bytes %d" % (txt, 246012 * 1024))
    return "wrote %s bytes" % txt


@test
def static_max_caps_growth():
    with with_xsd("staticmax") as xsd:
        g = Guest("staticmax", xsd, "XENBALLOON_SELF=true\n", committed=400000,
                  static_max=280000)
        g.run("--once")
        check(g.target() == 280000, "target %s above static-max 280000" % g.target())
        return "goal 457000 kB capped at static-max 280000 kB"


@test
def check_config_and_errors():
    g = Guest("checkcfg", None, "XENBALLOON_SELF=yes\nXENBALLOON_MINMEM=256\n")
    r = g.run("-n")
    check(r.returncode == 0, "exit %d" % r.returncode)
    check("XENBALLOON_SELF=true\n" in r.stdout and "XENBALLOON_MINMEM=256\n" in r.stdout,
          "settings not printed: %r" % r.stdout)
    g.write_conf("# comment\nXENBALLOON_AUTO_UPHYSTERESIS=abc\n")
    r = g.run("-n")
    check(r.returncode == 1, "bad config exit %d" % r.returncode)
    want = "%s:3: XENBALLOON_AUTO_UPHYSTERESIS:" % g.conf
    check(want in r.stderr, "error %r lacks %r" % (r.stderr, want))
    r = g.run("--once")
    check(r.returncode == 1, "daemon started with a bad config")
    return r.stderr.strip()


# ------------------------------------------------ the pressure goal
PSI_QUIET = ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
             "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
OFFSET = 57000            # the Guest's balloon is 57000 kB above MemTotal
HEADROOM = 32768          # the pressure goal's least headroom


def pressure_guest(name, xsd, used, target, extra="", psi=True):
    """A guest settled (or not) at balloon target `target` with `used` kB
    in use (MemTotal - MemAvailable), selfballooning with the pressure
    goal, a maximum of 600000 kB."""
    g = Guest(name, xsd, "XENBALLOON_SELF=true\nXENBALLOON_GOAL=pressure\n"
              "XENBALLOON_MINMEM=64\n" + extra,
              mem_total=target - OFFSET, current=target, static_max=600000)
    set_used(g, used, target)
    if psi:
        os.makedirs(os.path.join(g.root, "proc", "pressure"), exist_ok=True)
        g.put("proc/pressure/memory", PSI_QUIET)
    return g


def set_used(g, used, balloon_kb):
    """The balloon at balloon_kb (the kernel followed its target), MemTotal
    below it by the offset, `used` kB of it in use."""
    total = balloon_kb - OFFSET
    g.set_balloon(balloon_kb, balloon_kb)
    g.set_meminfo(total, 20000, available=max(total - used, 1))


@test
def pressure_goal_key():
    """XENBALLOON_GOAL=pressure steers to memory in use + headroom (not
    Committed_AS), half the gap a second while quiet; a bad value is
    refused naming the file, line and key; committed keeps the 2009 rule."""
    with with_xsd("pgoal") as xsd:
        g = pressure_guest("pgoal", xsd, used=100000, target=257000)
        r = g.run("-n")
        check("XENBALLOON_GOAL=pressure\n" in r.stdout, "-n: %r" % r.stdout)
        r = g.run("--once")
        # goal = 100000 + 32768 + 57000 = 189768; gap 67232, half: 223384
        check(g.target() == 223384, "pressure: target %s, wanted 223384\n%s" % (
            g.target(), r.stderr))
        # The same guest with the 2009 rule: Committed_AS 20000 + offset is
        # under the floor (64 MB + 57000 = 122536): 257000 - 134464/10.
        g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_GOAL=committed\nXENBALLOON_MINMEM=64\n")
        set_used(g, 100000, 257000)
        g.run("--once")
        check(g.target() == 257000 - (257000 - 122536) // 10,
              "committed: target %s" % g.target())
        g.write_conf("XENBALLOON_SELF=true\n\nXENBALLOON_GOAL=senpai\n")
        r = g.run("-n")
        want = "%s:4: XENBALLOON_GOAL: \"senpai\" is not a goal" % g.conf
        check(r.returncode == 1 and want in r.stderr, "bad goal: %d %r" % (
            r.returncode, r.stderr))
        return "pressure 257000 -> 223384 kB in one tick; committed -> %d; %s" % (
            257000 - (257000 - 122536) // 10, r.stderr.strip())


@test
def pressure_without_psi_falls_back():
    """No /proc/pressure/memory (a kernel without PSI): said once, and the
    goal works from MemAvailable alone."""
    with with_xsd("pnopsi") as xsd:
        g = pressure_guest("pnopsi", xsd, used=100000, target=257000, psi=False)
        g.start("--interval", "0.1")
        check(wait_for(lambda: g.target() != 257000, 5 * slow(), 0.02),
              "never moved without PSI")
        time.sleep(0.5 * pause())
        g.stop()
        log = g.logtext()
        n = log.count("no pressure stall information")
        check(n == 1, "fallback logged %d times:\n%s" % (n, log[-2000:]))
        line = [x for x in log.splitlines() if "no pressure stall information" in x][0]
        check("proc/pressure/memory" in line and "No such file" in line, line)
        return line.split("xenballoond: ")[-1]


@test
def pressure_grows_within_a_fraction_of_a_second():
    """Use rising, seen at a tick, makes the daemon sample every 250 ms;
    MemAvailable then falling under the headroom is met by a grow long
    before the next tick (2 s)."""
    with with_xsd("pgrow") as xsd:
        settled = 100000 + HEADROOM + OFFSET
        g = pressure_guest("pgrow", xsd, used=100000, target=settled)
        g.start("--interval", str(2 * slow()))
        check(g.wait_log("mode: self", 5 * slow()), "no first tick")
        check(g.target() == settled, "moved when settled: %s" % g.target())
        set_used(g, 102000, settled)             # a small rise, no move needed
        check(g.wait_log("sampling every 250 ms", 5 * slow()), "never sampled faster")
        t0 = time.monotonic()
        set_used(g, 130000, settled)             # MemAvailable 2768 kB
        ok = wait_for(lambda: g.target() != settled, 2 * slow(), 0.002)
        dt = (time.monotonic() - t0) * 1000
        g.stop()
        check(ok, "no grow:\n" + g.logtext()[-2000:])
        check(dt < 600 * slow(), "grew after %.0f ms (limit %d)" % (dt, 600 * slow()))
        # 28000 kB in use more in 250-500 ms: at least 56000 kB/s of
        # headroom, and as much again for the burst.
        want = 130000 + 2 * 56000 + OFFSET
        check(g.target() >= want, "grew to %s, wanted at least %d" % (g.target(), want))
        return "grew %d -> %d kB %.0f ms after MemAvailable fell (tick 2 s)" % (
            settled, g.target(), dt)


@test
def pressure_deadband_settled_guest_writes_nothing():
    """A settled guest whose use wobbles by a few hundred kB writes no
    balloon target and no xenstore key, tick after tick."""
    with with_xsd("pdead") as xsd:
        settled = 100000 + HEADROOM + OFFSET
        g = pressure_guest("pdead", xsd, used=100000, target=settled)
        tfile = os.path.join(g.root, BALLOON, "target_kb")
        mtime = os.stat(tfile).st_mtime_ns
        g.start("--interval", "0.1")
        check(g.wait_log("mode: self", 5 * slow()), "no first tick")
        for i in range(20):
            set_used(g, 100000 + (i % 4) * 300 - 400, settled)
            g.set_balloon(settled, settled)
            mtime = os.stat(tfile).st_mtime_ns
            time.sleep(0.1 * pause())
            check(os.stat(tfile).st_mtime_ns == mtime and g.target() == settled,
                  "wrote the balloon at wobble %d: %s" % (i, g.target()))
        with xsd.client() as c:
            st = c.read(HOME + "/memory/selftarget")
        g.stop()
        check(st == str(settled).encode(), "selftarget %r" % st)
        check("pressure: grow" not in g.logtext() and "pressure: shrink" not in g.logtext(),
              "moved:\n" + g.logtext()[-2000:])
        return "20 wobbles of 300-900 kB around %d kB: no write" % settled


@test
def pressure_shrinks_after_holdoff():
    """After a grow the guest holds its memory for the hold-off (3 s), then
    gives it back quickly once use has fallen."""
    with with_xsd("phold") as xsd:
        settled = 100000 + HEADROOM + OFFSET
        g = pressure_guest("phold", xsd, used=100000, target=settled)
        g.start("--interval", "0.25")
        check(g.wait_log("mode: self", 5 * slow()), "no first tick")
        set_used(g, 130000, settled)
        check(wait_for(lambda: g.target() != settled, 2 * slow(), 0.005), "no grow")
        t_grow = time.monotonic()
        grown = g.target()
        set_used(g, 100000, grown)         # the load goes away at once
        check(wait_for(lambda: g.target() != grown, 8 * slow(), 0.01), "never shrank")
        held = time.monotonic() - t_grow
        first = g.target()
        g.set_balloon(first, first)
        g.stop()
        check(held >= 2.9, "shrank %.2f s after the grow (hold-off 3 s)" % held)
        check(held < 4.5 * slow(), "shrank only %.2f s after the grow" % held)
        check(first < grown, "moved up instead: %d -> %d" % (grown, first))
        return "grew to %d, held %.2f s, then %d kB" % (grown, held, first)


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("workdir")
    ap.add_argument("--daemon", default=os.path.join(REPO, "build", "xenballoond"))
    ap.add_argument("--wrapper", default="")
    ap.add_argument("--only", default="")
    ap.add_argument("--name", default="integration")
    OPTS = ap.parse_args()
    OPTS.workdir = os.path.abspath(OPTS.workdir)
    os.makedirs(OPTS.workdir, exist_ok=True)
    only = set(filter(None, OPTS.only.split(",")))
    passed = failed = 0
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            detail = t()
            passed += 1
            print("ok %s (%.1f s): %s" % (t.__name__, time.monotonic() - t0, detail), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            for g in LIVE:
                if g.proc is not None:
                    g.proc.kill()
                    g.proc.wait()
                    g.proc = None
            del LIVE[:]
            print("FAIL %s (%.1f s): %s" % (t.__name__, time.monotonic() - t0, e), flush=True)
            if not isinstance(e, Fail):
                traceback.print_exc()
            print("  (daemon logs under %s)" % OPTS.workdir, flush=True)
    with open(OPTS.result, "w") as f:
        f.write("%d %d\n" % (passed, failed))
    print("%s: %d passed, %d failed" % (OPTS.name, passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
