#!/usr/bin/python3
"""The fault matrix: the real xenballoond on fake kernel files (--root)
against the real xenstored (tests/harness), one fault at a time.

    make check-faults [T=NAME]          release build
    make check-faults-asan [T=NAME]     ASan/UBSan build

For every fault: start the daemon, let it balloon normally, inject the
fault, watch, clear it, watch it recover. Asserted for each:

  * the daemon keeps running (or exits cleanly where that is right);
  * it logs one clear line naming the file or key per occurrence of the
    fault, not one per tick;
  * it never writes a balloon target below the floor or above the
    maximum ("wrong writes", counted over the whole run, must be 0);
  * it resumes normal behaviour when the fault clears.

The floor and maximum come from the test's own inputs (xenballoond(8),
in balloon units): floor = XENBALLOON_MINMEM * 1024 + (current_kb - MemTotal),
maximum = memory/static-max. Every target the daemon writes is seen two
ways: the LD_PRELOAD recorder (faultinj.so) logs each write(2) to the
balloon file with its bytes, and a sampler thread reads the file every
millisecond. Both are checked against the bounds in force at that time.

Where a failure cannot be produced for real here (root, no real balloon
driver) faultinj.so injects the errno into the daemon's call and the
test says so in its output ("INJECTED"). Real failures used: ENOENT,
empty and truncated files, a fifo, a directory, EACCES (the daemon run
without CAP_DAC_OVERRIDE and the file chmod'ed), EPERM (chattr +i), EROFS
(a read-only bind mount in the daemon's own mount namespace).

Each case says what it measured under "measured", tagged with its group,
the fault and INJECTED where faultinj.so produced it; the last line
counts the faults tried, survived and the wrong writes. Options, result
file and shared fixtures: tests/conftest.py.
"""

import binascii
import errno
import functools
import os
import random
import signal
import stat
import subprocess
import threading
import time

import pytest

from guest import BALLOON, HOME, LEGACY, Guest, legacy_text, wait_for
from xs import Xenstored

PRESWAP = "proc/sys/vm/preswap"

# The fake guest's numbers (kB). The balloon's allocation is OFFSET above
# MemTotal (the kernel's own pages), so every goal and the floor are
# moved up by OFFSET (as xenballoond(8) says).
CURRENT = 257000
OFFSET = 57000
MINMEM_MB = 100
FLOOR = MINMEM_MB * 1024 + OFFSET   # 159400
STATIC_MAX = 300000
TICK = 0.05                         # --interval
FAULT_S = 0.5                       # how long a fault lasts: ~10 ticks

STATS = {"tried": 0, "died": 0, "wrong": 0}


def case(group, what, injected=False):
    """A fault of the matrix: its account of what it measured is tagged
    with its group, the fault and INJECTED where faultinj.so made it."""
    def deco(fn):
        @functools.wraps(fn)
        def run(env):
            STATS["tried"] += 1
            detail = fn(env)
            return "[%s: %s%s] %s" % (group, what, ", INJECTED" if injected else "",
                                      detail or "")
        return run
    return deco


class Died(AssertionError):
    """The daemon crashed, hung or exited where it should have run on."""

    def __init__(self, msg):
        STATS["died"] += 1
        super().__init__(msg)


def expected_self(committed, floor=FLOOR, maximum=STATIC_MAX):
    """Selfballoon target with hysteresis 1 (one step reaches the goal)."""
    return max(floor, min(maximum, committed + OFFSET))


def loud(msg):
    print("  !!! %s" % msg, flush=True)


# ---------------------------------------------------------------- guest
class FaultGuest(Guest):
    """The fake guest (tests/harness/guest.py) with the recorder
    faultinj.so preloaded into the daemon and a sampler thread on the
    balloon file."""

    def __init__(self, gdir, xsd, daemon, shim, conf="", self_mode=True, legacy=False,
                 committed=100000, preswap=None, static_max=STATIC_MAX):
        self.shim = shim
        # bounds timeline: [(t, lo, hi)], lo/hi in kB
        self.bounds = [(0.0, FLOOR, static_max if static_max else 1 << 62)]
        self.test_texts = set()
        self.samples = []
        self.sampler = None
        self.sampling = False
        maxmem = os.path.join(gdir, "maxmem")
        # The 2009 goal (Committed_AS, hysteresis 1): its target is known
        # from the fake meminfo at every tick, which the matrix checks.
        base_conf = ("XENBALLOON_MAXMEMFILE=%s\nXENBALLOON_SELF=%s\n"
                     "XENBALLOON_GOAL=committed\n"
                     "XENBALLOON_MINMEM=%d\nXENBALLOON_AUTO_DOWNHYSTERESIS=1\n"
                     "XENBALLOON_AUTO_UPHYSTERESIS=1\n" % (
                         maxmem, "true" if self_mode else "false", MINMEM_MB))
        super().__init__(gdir, xsd, daemon, conf, legacy=legacy, base_conf=base_conf,
                         static_max=static_max)
        os.makedirs(self.path("proc/sys/vm"))
        self.fi_ctl = os.path.join(self.dir, "fi.ctl")
        self.fi_log = os.path.join(self.dir, "fi.log")
        self.committed = committed
        self.set_committed(committed)
        self.put("proc/vmstat", "pgpgin 1000\npgpgout 2000\npswpin 3\npswpout 4\n"
                 "pgfault 5555\npgmajfault 66\n")
        self.put("proc/uptime", "100.00 90.00\n")
        if preswap is not None:
            self.put(PRESWAP, "%d\n" % preswap)
        self.set_current(CURRENT)
        self.put_target(CURRENT)

    # -- files
    def meminfo_text(self, committed, total=None):
        total = CURRENT - OFFSET if total is None else total
        return ("MemTotal:       %8d kB\nMemFree:        %8d kB\n"
                "MemAvailable:   %8d kB\nBuffers:            1024 kB\n"
                "Cached:            20000 kB\nCommitted_AS:   %8d kB\n"
                "VmallocTotal:   34359738367 kB\n" % (
                    total, total // 2, total // 2, committed))

    def set_committed(self, committed):
        self.committed = committed
        self.put("proc/meminfo", self.meminfo_text(committed))

    def set_current(self, kb):
        if self.legacy:
            self.put(LEGACY, legacy_text(kb, kb))
        else:
            self.put(BALLOON + "/info/current_kb", "%d\n" % kb)

    def put_target(self, kb):
        if self.legacy:
            text = legacy_text(CURRENT, kb)
        else:
            text = "%d\n" % kb
        self.test_texts.add(text.strip())
        self.put(self.target_rel, text)

    # -- fault injection through faultinj.so
    def inject(self, *rules):
        if not self.shim:
            pytest.fail("this fault needs --shim (faultinj.so)")
        with open(self.fi_ctl + ".tmp", "w") as f:
            f.write("".join("%s\n" % r for r in rules))
        os.rename(self.fi_ctl + ".tmp", self.fi_ctl)

    def uninject(self):
        self.inject()

    # -- the daemon
    def env(self):
        e = super().env()
        if self.shim:
            e["LD_PRELOAD"] = self.shim
            e["XB_FI_CTL"] = self.fi_ctl
            e["XB_FI_LOG"] = self.fi_log
            e["XB_FI_RECORD"] = "/target_kb:/proc/xen/balloon:/" + PRESWAP
        asan = e.get("ASAN_OPTIONS", "")
        e["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        return e

    def start(self, *extra, interval=TICK, prefix=None, wait=True):
        if prefix is not None:
            self.prefix = prefix
        args = list(extra)
        if interval is not None:
            args += ["--interval", str(interval)]
        m = self.mark()
        super().start(*args)
        self.start_sampler()
        if wait:
            assert wait_for(lambda: "started:" in self.logtext()[m:] or
                            self.proc.poll() is not None, 10), (
                "no 'started' line")
            self.alive("at start")
        return self.proc

    def signal_hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def alive(self, when):
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            raise Died("daemon exited (status %s) %s; log tail:\n%s" % (
                rc, when, self.logtext()[-1500:]))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop the daemon; returns its exit status (-N: killed by N;
        None: it did not stop and was SIGKILLed)."""
        self.stop_sampler()
        if self.proc is None:
            return 0
        return super().stop(sig, timeout)

    def stop_checked(self):
        rc = self.stop()
        if rc is None:
            raise Died("the daemon did not stop on SIGTERM within 10 s")
        if rc == 99:
            raise Died("sanitizer report at exit:\n" + self.logtext()[-3000:])
        if rc != 0:
            raise Died("exit status %s on SIGTERM; log tail:\n%s" % (rc, self.logtext()[-1500:]))
        assert not os.path.exists(self.pidfile), "pidfile left behind after SIGTERM"
        return rc

    # -- the log
    def lines_since(self, m):
        return self.logtext()[m:].splitlines()

    def warnings_since(self, m):
        return [ln for ln in self.lines_since(m) if "warning:" in ln or "error:" in ln]

    def warned_since(self, m, timeout=5.0):
        """warnings_since(m) once there is one: a loaded machine may run
        the daemon late, and a line that comes late still counts (so do
        any further lines, which a case may forbid)."""
        wait_for(lambda: self.warnings_since(m), timeout, 0.01)
        return self.warnings_since(m)

    # -- what the daemon wrote
    def start_sampler(self):
        if self.sampler is not None:
            return
        self.sampling = True
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def stop_sampler(self):
        self.sampling = False
        if self.sampler is not None:
            self.sampler.join()
            self.sampler = None

    def _sample(self):
        last = None
        while self.sampling:
            try:
                st = os.stat(self.target_path)
                if stat.S_ISREG(st.st_mode):
                    fd = os.open(self.target_path, os.O_RDONLY | os.O_NONBLOCK)
                    try:
                        txt = os.read(fd, 4096)
                    finally:
                        os.close(fd)
                    if txt != last:
                        self.samples.append((time.monotonic(), txt))
                        last = txt
                    if self.legacy and txt.strip().isdigit():
                        # The legacy driver takes bytes and reads back as
                        # a report: play the kernel, unless the test has
                        # put something else there meanwhile.
                        with self.files_lock:
                            try:
                                now = self.get(LEGACY).encode()
                            except OSError:
                                now = None
                            if now == txt:
                                kb = int(txt.strip()) // 1024
                                self.put(LEGACY, legacy_text(CURRENT, kb))
            except OSError:
                pass
            time.sleep(0.001)

    def records(self, preswap=False):
        """[(t, path, result, errno, bytes)] of every attempt of the
        daemon to write the balloon file (faultinj.so), or the preswap
        file: each write(2) with its bytes, and each open for writing
        that failed (bytes None: nothing was written)."""
        out = []
        try:
            with open(self.fi_log) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) != 7 or parts[0] not in ("W", "O"):
                        continue
                    if parts[3].endswith("/" + PRESWAP) != preswap:
                        continue
                    if parts[0] == "O":
                        data = None
                    else:
                        data = b"" if parts[6] == "-" else binascii.unhexlify(parts[6])
                    out.append((float(parts[1]), parts[3], int(parts[4]), int(parts[5]), data))
        except OSError:
            pass
        return out

    def write_count(self):
        """Attempts by the daemon to write the balloon target."""
        return len(self.records())

    def set_bounds(self, lo, hi):
        self.bounds.append((time.monotonic(), lo, hi))

    def bounds_at(self, t):
        lo, hi = self.bounds[0][1], self.bounds[0][2]
        for (bt, blo, bhi) in self.bounds:
            if bt <= t:
                lo, hi = blo, bhi
        return lo, hi

    def wrong_writes(self):
        """Every write attempt outside the bounds or not a whole number,
        and every value the sampler saw in the file that no recorded
        write explains (a write the recorder missed): [description]."""
        bad = []
        written = set()
        for (t, _path, res, err, data) in self.records():
            if data is None:
                continue    # the open failed: nothing was written
            txt = data.decode("ascii", "replace").strip()
            written.add(txt)
            lo, hi = self.bounds_at(t)
            if not txt.isdigit():
                bad.append("wrote %r (result %d, %s)" % (data, res, errno.errorcode.get(err, err)))
                continue
            kb = int(txt) // 1024 if self.legacy else int(txt)
            if not lo <= kb <= hi:
                bad.append("wrote %d kB (result %d, %s), bounds %d..%d" % (
                    kb, res, errno.errorcode.get(err, err) if err else "ok", lo, hi))
        for (t, data) in self.samples:
            txt = data.decode("ascii", "replace").strip()
            if txt == "" or txt in self.test_texts or txt in written:
                continue    # between truncate and write; our own; recorded
            if self.legacy and not txt.isdigit():
                continue    # the kernel's report (see _sample)
            if not txt.isdigit():
                bad.append("balloon file held %r" % data)
                continue
            kb = int(txt) // 1024 if self.legacy else int(txt)
            lo, hi = self.bounds_at(t)
            if not lo <= kb <= hi:
                bad.append("balloon file held %d kB, bounds %d..%d" % (kb, lo, hi))
        return bad

    def settle(self, committed, timeout=5.0, floor=FLOOR, maximum=STATIC_MAX):
        """Selfballooning: set Committed_AS, wait for the exact target."""
        want = expected_self(committed, floor, maximum)
        self.set_committed(committed)
        got = wait_for(lambda: self.target() == want, timeout)
        assert got, (
            "normal behaviour: Committed_AS %d -> target %s, wanted %d" % (
            committed, self.target(), want))
        self.recorder_caught_up(want)
        return want

    def recorder_caught_up(self, kb, timeout=2.0):
        """faultinj.so logs a write after making it: on a loaded machine
        the file holds the new target before the log shows the write, and
        a count of writes taken then would count it later as a new one.
        Wait until the log has the write of `kb` (if the daemon wrote it:
        a target the test put there itself has no record)."""
        if not self.shim or ("%d" % kb) in self.test_texts:
            return

        def logged():
            for (_t, _path, res, _err, data) in reversed(self.records()):
                if data is not None and res > 0:
                    txt = data.strip()
                    return txt.isdigit() and (int(txt) // 1024 if self.legacy else int(txt)) == kb
            return False
        wait_for(logged, timeout, 0.005)


class Env:
    """Per case: a xenstored and the guests, torn down always."""

    def __init__(self, case_dir, daemon, shim):
        self.dir = case_dir
        self.daemon = daemon
        self.shim = shim
        self.guests = []
        self.xsd = Xenstored(os.path.join(case_dir, "xsd"))
        self.xsd.start()

    def guest(self, **kw):
        g = FaultGuest(os.path.join(self.dir, "guest%d" % len(self.guests)), self.xsd,
                       self.daemon, self.shim, **kw)
        self.guests.append(g)
        return g

    def close(self):
        """Stop everything; returns (wrong writes, problems found at the
        end: a sanitizer report, a bad exit status)."""
        wrong, problems = [], []
        for g in self.guests:
            if g.proc is not None:
                if g.xsd is not None and g.xsd.pid:
                    try:
                        os.kill(g.xsd.pid, signal.SIGCONT)
                    except OSError:
                        pass
                rc = g.stop()
                if rc != 0:
                    problems.append("exit status %s on SIGTERM at clean-up" % rc)
            g.stop_sampler()
            wrong += g.wrong_writes()
            log = g.logtext()
            for needle in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if needle in log:
                    i = log.index(needle)
                    problems.append("sanitizer report: %s" % log[max(0, i - 200):i + 800])
        if self.xsd is not None:
            try:
                if self.xsd.pid:
                    os.kill(self.xsd.pid, signal.SIGCONT)
            except OSError:
                pass
            try:
                self.xsd.stop()
            except Exception:  # noqa: BLE001 - best effort clean-up
                pass
        return wrong, problems


# ------------------------------------------------------- shared patterns
def file_fault(env, g, inject, clear, needle, occurrences=2, goal_during=True,
               writes_during=False, recovery=True, max_warn=1):
    """The common shape: normal -> fault (FAULT_S) -> cleared -> normal,
    `occurrences` times. Returns a detail string."""
    base = [150000, 120000, 170000, 130000, 160000]
    g.start()
    g.settle(base[0])
    shown = None
    for occ in range(occurrences):
        m = g.mark()
        w0 = g.write_count()
        inject(g)
        if goal_during:
            # A new goal while faulted: the daemon would like to move.
            g.set_committed(base[(occ + 1) % len(base)] - 7000)
        time.sleep(FAULT_S)
        g.alive("during the fault")
        warns = g.warned_since(m)
        assert len(warns) >= 1, "occurrence %d: no warning logged for the fault" % (occ + 1)
        assert len(warns) <= max_warn, (
            "occurrence %d: %d warning lines in %.1f s (want %d):\n%s"
              % (occ + 1, len(warns), FAULT_S, max_warn, "\n".join(warns[:6])))
        assert needle in warns[0], (
            "occurrence %d: warning does not name %r: %s" % (
            occ + 1, needle, warns[0]))
        shown = warns[0]
        if not writes_during:
            w = g.records()[w0:]
            assert not w, (
                "occurrence %d: wrote the target during the fault: %s" % (
                occ + 1, [r[4] for r in w][:5]))
        m2 = g.mark()
        clear(g)
        g.settle(base[(occ + 2) % len(base)])
        if recovery:
            assert g.wait_log("working again", since=m2, timeout=2.0), (
                "occurrence %d: no line saying it works again" % (occ + 1))
    g.stop_checked()
    return shown.split("warning: ", 1)[-1][:150]


def write_fault(env, g, inject, clear, needle, prefix=None):
    """A balloon write that fails: attempts go on (they are retries) but
    log once; every attempt is in bounds; the target lands after."""
    g.start(prefix=prefix)
    g.settle(150000)
    shown = None
    for occ in range(2):
        m = g.mark()
        w0 = g.write_count()
        inject(g)
        want_during = expected_self(110000 + occ * 5000)
        g.set_committed(110000 + occ * 5000)
        time.sleep(FAULT_S)
        g.alive("during the write fault")
        wait_for(lambda: g.records()[w0:], 5.0, 0.01)
        attempts = g.records()[w0:]
        assert attempts, "occurrence %d: the daemon never tried to write" % (occ + 1)
        assert g.target() != want_during, (
            "occurrence %d: the target changed although "
              "every write failed" % (occ + 1))
        warns = g.warned_since(m)
        assert len(warns) == 1, (
            "occurrence %d: %d warning lines for %d failed writes:\n%s" % (
            occ + 1, len(warns), len(attempts), "\n".join(warns[:6])))
        assert needle in warns[0], "warning does not name %r: %s" % (needle, warns[0])
        shown = warns[0]
        m2 = g.mark()
        clear(g)
        assert wait_for(lambda: g.target() == want_during, 3.0), (
            "occurrence %d: target %s after the fault cleared, wanted %d" % (
                  occ + 1, g.target(), want_during))
        assert g.wait_log("working again", since=m2, timeout=2.0), "no line saying it works again"
        g.settle(150000 + occ * 1000)
    g.stop_checked()
    return "%d failed attempts, one line: %s" % (
        len(attempts), shown.split("warning: ", 1)[-1][:120])


# ----------------------------------------------------------- kernel files
@case("kernel files", "/proc/meminfo vanishes")
def test_meminfo_vanish(env):
    g = env.guest()
    return file_fault(env, g, lambda g: os.unlink(g.path("proc/meminfo")),
                      lambda g: None, "/proc/meminfo", goal_during=False)


@case("kernel files", "/proc/meminfo becomes empty")
def test_meminfo_empty(env):
    g = env.guest()
    return file_fault(env, g, lambda g: g.put_raw("proc/meminfo", ""),
                      lambda g: None, "/proc/meminfo", goal_during=False)


@case("kernel files", "/proc/meminfo truncated after the MemTotal line")
def test_meminfo_truncated_line(env):
    g = env.guest()

    def inject(g):
        txt = g.meminfo_text(90000)
        g.put("proc/meminfo", txt[:txt.index("MemAvailable") + 5])
    return file_fault(env, g, inject, lambda g: None, "/proc/meminfo", goal_during=False)


@case("kernel files", "/proc/meminfo truncated inside the Committed_AS number")
def test_meminfo_truncated_number(env):
    """A torn read: "Committed_AS:     13" instead of 130000 kB. The
    file is not what the kernel writes (no unit, no newline); acting on
    it would steer to a goal of 13 kB."""
    g = env.guest()

    def inject(g):
        txt = g.meminfo_text(130000)
        cut = txt.index("130000", txt.index("Committed_AS:")) + 2
        g.put("proc/meminfo", txt[:cut])              # "...Committed_AS:       13"
    return file_fault(env, g, inject, lambda g: None, "/proc/meminfo", goal_during=False)


@case("kernel files", "info/current_kb vanishes")
def test_current_vanish(env):
    g = env.guest()
    return file_fault(env, g, lambda g: os.unlink(g.path(BALLOON + "/info/current_kb")),
                      lambda g: g.set_current(CURRENT), "current_kb")


@case("kernel files", "info/current_kb becomes empty")
def test_current_empty(env):
    g = env.guest()
    return file_fault(env, g, lambda g: g.put_raw(BALLOON + "/info/current_kb", ""),
                      lambda g: g.set_current(CURRENT), "current_kb")


@case("kernel files", "info/current_kb truncated (\"25\" for 257000)")
def test_current_truncated(env):
    """A torn read of current_kb: "25", no newline. Taken as a number,
    the guest's offset (current - MemTotal) vanishes and the daemon
    steers 57000 kB below the real floor."""
    g = env.guest()
    return file_fault(env, g, lambda g: g.put(BALLOON + "/info/current_kb", "25"),
                      lambda g: g.set_current(CURRENT), "current_kb")


@case("kernel files", "target_kb vanishes")
def test_target_vanish(env):
    g = env.guest()

    def inject(g):
        g.saved = g.target()
        os.unlink(g.target_path)
    return file_fault(env, g, inject, lambda g: g.put_target(g.saved), "target_kb")


@case("kernel files", "target_kb truncated (a torn read of the driver's target)")
def test_target_truncated(env):
    """"18" for 187000. The daemon only uses the driver's target to see
    whether a write is needed: it may rewrite its own target, but must
    not write anything out of bounds, and must say what it saw at most
    once."""
    g = env.guest()
    g.start()
    g.settle(130000)
    m = g.mark()
    w0 = g.write_count()
    g.test_texts.add("18")
    g.put(g.target_rel, "18")
    time.sleep(FAULT_S)
    g.alive("with a torn target_kb")
    warns = g.warnings_since(m)
    assert len(warns) <= 1, "%d warning lines:\n%s" % (len(warns), "\n".join(warns[:5]))
    if warns:
        assert "target_kb" in warns[0], "warning does not name target_kb: %s" % warns[0]
    writes = [r[4] for r in g.records()[w0:]]
    assert len(writes) <= 1, "%d writes during the fault: %s" % (len(writes), writes[:5])
    g.put_target(187000)
    g.settle(140000)
    g.stop_checked()
    return "%s; %d rewrite(s) of the real target" % (
        "logged: " + warns[0].split("warning: ", 1)[-1][:90] if warns else "not logged",
        len(writes))


@case("kernel files", "the whole balloon directory vanishes")
def test_balloon_dir_vanish(env):
    g = env.guest()
    d = g.path(BALLOON)

    def inject(g):
        os.rename(d, d + ".away")

    def clear(g):
        os.rename(d + ".away", d)
    return file_fault(env, g, inject, clear, "xen_memory0")


@case("kernel files", "legacy /proc/xen/balloon truncated in \"Current allocation\"")
def test_legacy_truncated(env):
    """Legacy driver: a torn report "Current allocation:       25" (for
    257000 kB) must not be read as 25 kB (it drops the offset: the daemon
    would steer below the floor)."""
    g = env.guest(legacy=True)

    def inject(g):
        txt = legacy_text(CURRENT, g.target() or CURRENT)
        cut = txt.index(str(CURRENT)) + 2
        g.put(LEGACY, txt[:cut])                      # "Current allocation:       25"
    return file_fault(env, g, inject,
                      lambda g: g.put(LEGACY, legacy_text(CURRENT, g.target() or CURRENT)),
                      "/proc/xen/balloon")


def stats_fault(env, rel, how):
    """vmstat / uptime: only published; a failure must be said once and
    publishing must resume."""
    g = env.guest()
    key = os.path.basename(rel)
    g.start()
    g.settle(150000)
    with env.xsd.client() as c:
        assert wait_for(lambda: c.read(HOME + "/memory/" + key), 3), "%s never published" % key
        shown = None
        for occ in range(2):
            m = g.mark()
            if how == "vanish":
                os.unlink(g.path(rel))
            else:
                g.put_raw(rel, "")
            time.sleep(FAULT_S)
            g.alive("without %s" % rel)
            warns = g.warned_since(m)
            assert len(warns) == 1, (
                "occurrence %d: %d warning lines for /%s %s (want 1)%s" % (
                occ + 1, len(warns), rel, "vanishing" if how == "vanish" else "empty",
                ":\n" + "\n".join(warns[:5]) if warns else ""))
            assert key in warns[0], "warning does not name %s: %s" % (rel, warns[0])
            shown = warns[0]
            new = ("100%d.00 90.00\n" % occ) if key == "uptime" else (
                "pgpgin 1000\npgpgout 2000\npswpin %d\npswpout 4\n" % (10 + occ))
            g.put(rel, new)
            want = (new.rstrip("\n") if key == "uptime" else new).encode()
            assert wait_for(lambda: c.read(HOME + "/memory/" + key) == want, 3), (
                "%s not published again after the fault cleared: %r" % (
                      key, c.read(HOME + "/memory/" + key)))
            g.settle(150000 + occ * 1000)
    g.stop_checked()
    return shown.split("warning: ", 1)[-1][:120]


@case("kernel files", "/proc/vmstat vanishes")
def test_vmstat_vanish(env):
    return stats_fault(env, "proc/vmstat", "vanish")


@case("kernel files", "/proc/vmstat becomes empty")
def test_vmstat_empty(env):
    return stats_fault(env, "proc/vmstat", "empty")


@case("kernel files", "/proc/uptime vanishes")
def test_uptime_vanish(env):
    return stats_fault(env, "proc/uptime", "vanish")


# ------------------------------------------------------- balloon writes
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@case("balloon write", "EACCES: target_kb read-only to a daemon without CAP_DAC_OVERRIDE")
def test_write_eacces(env):
    """Root ignores file modes; the daemon runs here with CAP_DAC_OVERRIDE
    and CAP_DAC_READ_SEARCH dropped from its bounding set (setpriv), so a
    chmod 0444 target_kb gives it a real EACCES."""
    g = env.guest()
    return write_fault(env, g, lambda g: os.chmod(g.target_path, 0o444),
                       lambda g: os.chmod(g.target_path, 0o644), "target_kb", prefix=NO_DAC)


@case("balloon write", "EPERM: target_kb immutable (chattr +i)")
def test_write_eperm(env):
    g = env.guest()
    chattr = lambda flag: subprocess.run(["chattr", flag, g.target_path], check=True)  # noqa: E731
    try:
        return write_fault(env, g, lambda g: chattr("+i"), lambda g: chattr("-i"), "target_kb")
    finally:
        chattr("-i")


@case("balloon write", "EROFS: read-only bind mount over the balloon directory")
def test_write_erofs(env):
    """The daemon runs in its own mount namespace (unshare -m, private
    propagation); the test bind-mounts the balloon directory read-only
    there (nsenter), nothing changes outside."""
    g = env.guest()
    d = g.path(BALLOON)

    def ns(*cmd):
        subprocess.run(["nsenter", "-t", str(g.proc.pid), "-m", "--"] + list(cmd), check=True,
                       stdin=subprocess.DEVNULL)

    def inject(g):
        ns("mount", "--bind", d, d)
        ns("mount", "-o", "remount,bind,ro", d)

    return write_fault(env, g, inject, lambda g: ns("umount", d), "target_kb",
                       prefix=["unshare", "--mount", "--propagation", "private", "--"])


def injected_write(env, err):
    loud("INJECTED %s: no file readable as a number and refusing the write with %s exists "
         "here (root, no balloon driver); faultinj.so fails the daemon's write(2)" % (err, err))
    g = env.guest()
    return write_fault(env, g, lambda g: g.inject("/target_kb write %s" % err),
                       lambda g: g.uninject(), "target_kb")


@case("balloon write", "EINVAL from the balloon driver on write", injected=True)
def test_write_einval(env):
    return injected_write(env, "EINVAL")


@case("balloon write", "ENOSPC from the balloon driver on write", injected=True)
def test_write_enospc(env):
    return injected_write(env, "ENOSPC")


@case("balloon write", "EIO from the balloon driver on write", injected=True)
def test_write_eio(env):
    return injected_write(env, "EIO")


@case("balloon write", "target_kb replaced by a fifo (no writer, no reader)")
def test_target_fifo(env):
    """The daemon opens with O_NONBLOCK: it must neither hang on the
    fifo nor act; reading it gives nothing (EOF), so the balloon cannot
    be read: one line, no write."""
    g = env.guest()

    def inject(g):
        g.saved = g.target()
        # Renamed over, so no tick sees target_kb missing in between.
        os.mkfifo(g.target_path + ".fifo")
        os.rename(g.target_path + ".fifo", g.target_path)

    def clear(g):
        os.unlink(g.target_path)
        g.put_target(g.saved)
    return file_fault(env, g, inject, clear, "target_kb")


@case("balloon write", "target_kb replaced by a directory (EISDIR)")
def test_target_directory(env):
    g = env.guest()

    def inject(g):
        g.saved = g.target()
        os.unlink(g.target_path)
        os.mkdir(g.target_path)

    def clear(g):
        os.rmdir(g.target_path)
        g.put_target(g.saved)
    return file_fault(env, g, inject, clear, "target_kb")


# ----------------------------------------------------------------- preswap
PRESWAP_CONF = ("XENBALLOON_PRESWAP_SHRINK=true\nXENBALLOON_PRESWAP_INERTIA=2\n"
                "XENBALLOON_PRESWAP_HYSTERESIS=10\n")


def preswap_writes(g):
    try:
        return int(g.get(PRESWAP).strip() or -1)
    except (OSError, ValueError):
        return None


def preswap_wrote(g, pages, since=0):
    """The daemon wrote `pages` to the preswap file, in its attempt number
    `since` or a later one (the recorder's log). The file itself holds a
    value only until the next shrink, 2 ticks later: a test polling it on
    a loaded machine can miss it."""
    return any(res > 0 and data is not None and data.strip() == b"%d" % pages
               for (_t, _path, res, _err, data) in g.records(preswap=True)[since:])


@case("preswap", "the preswap file vanishes")
def test_preswap_vanish(env):
    g = env.guest(conf=PRESWAP_CONF, preswap=1000)
    g.start()
    # 1000 pages, stable for the inertia: shrunk to 1000 - 1000/10 = 900.
    assert wait_for(lambda: preswap_wrote(g, 900), 3), (
        "preswap not shrunk to 900: %s" %
          preswap_writes(g))
    shown = None
    for occ in range(2):
        m = g.mark()
        os.unlink(g.path(PRESWAP))
        time.sleep(FAULT_S)
        g.alive("without the preswap file")
        warns = g.warned_since(m)
        assert len(warns) == 1, (
            "occurrence %d: %d warning lines (want 1):\n%s" % (
            occ + 1, len(warns), "\n".join(warns[:5])))
        assert "preswap" in warns[0], "warning does not name the preswap file: %s" % warns[0]
        shown = warns[0]
        m2 = g.mark()
        p0 = len(g.records(preswap=True))
        g.put(PRESWAP, "500\n")
        assert wait_for(lambda: preswap_wrote(g, 450, since=p0), 3), (
            "preswap shrinking did not resume: %s" % preswap_writes(g))
        assert g.wait_log("working again", since=m2, timeout=1), (
            "no line saying preswap works again")
        g.settle(150000 + occ * 1000)
    g.stop_checked()
    return shown.split("warning: ", 1)[-1][:120]


@case("preswap", "writing the preswap file fails (chattr +i: EPERM)")
def test_preswap_write_fails(env):
    """Reading works, the shrink write fails every inertia ticks: one
    line, not one per attempt (nor a 'working again' after each read)."""
    g = env.guest(conf=PRESWAP_CONF, preswap=1000)
    p = g.path(PRESWAP)
    try:
        g.start()
        assert wait_for(lambda: preswap_wrote(g, 900), 3), "preswap not shrunk first"
        for _ in range(20):
            # The daemon may shrink the file between the two steps: then
            # it does not hold 800 and the test cannot know what comes.
            g.put(PRESWAP, "800\n")
            subprocess.run(["chattr", "+i", p], check=True)
            if g.get(PRESWAP) == "800\n":
                break
            subprocess.run(["chattr", "-i", p], check=True)
        assert g.get(PRESWAP) == "800\n", "the daemon kept rewriting the preswap file"
        m = g.mark()
        time.sleep(2 * FAULT_S)       # ~20 ticks: ~6 attempts with inertia 2
        g.alive("with an immutable preswap file")
        g.warned_since(m)
        # -v logs each shrink attempt at debug level; what counts are the
        # warnings and the "working again" lines between them.
        lines = [ln for ln in g.lines_since(m) if "preswap" in ln and
                 ("warning:" in ln or "working again" in ln)]
        warns = g.warnings_since(m)
        assert len(warns) == 1 and len(lines) == 1, (
            "%d warning and %d 'working again' lines in %.1f s (want 1 line):\n%s" % (
                  len(warns), len(lines) - len(warns), 2 * FAULT_S, "\n".join(lines[:6])))
        assert "preswap" in warns[0], "warning does not name the preswap file: %s" % warns[0]
        subprocess.run(["chattr", "-i", p], check=True)
        assert wait_for(lambda: preswap_wrote(g, 720), 3), (
            "preswap shrinking did not resume: %s" % preswap_writes(g))
        g.settle(150000)
    finally:
        subprocess.run(["chattr", "-i", p], stderr=subprocess.DEVNULL)
    g.stop_checked()
    return warns[0].split("warning: ", 1)[-1][:120]


# ---------------------------------------------------------------- xenstore
def directed(g, c, target, static_max=STATIC_MAX, timeout=5.0):
    """dom0 sets memory/static-max and memory/target in one transaction;
    wait until the balloon target is where it must be."""
    def txn(t):
        c.write(HOME + "/memory/static-max", str(static_max), t)
        c.write(HOME + "/memory/target", str(target), t)
    c.transaction(txn)
    want = max(FLOOR, min(static_max, target))
    assert wait_for(lambda: g.target() == want, timeout), (
        "directed: memory/target %d -> target %s, wanted %d" % (target, g.target(), want))
    return want


@case("xenstore", "xenstored killed and restarted five times in a row")
def test_xenstored_restart_x5(env):
    g = env.guest(self_mode=False)
    g.start()
    with env.xsd.client() as c:
        directed(g, c, 200000)
    times = []
    for i in range(5):
        m = g.mark()
        env.xsd.kill()
        time.sleep(random.uniform(0.05, 0.4))
        env.xsd.start()
        t0 = time.monotonic()
        with env.xsd.client() as c:
            # The new store is empty: the toolstack writes the keys again.
            directed(g, c, 180000 + i * 10000)
            assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5), "not republished"
        times.append(time.monotonic() - t0)
        g.alive("after restart %d" % (i + 1))
        warns = g.warned_since(m)
        assert 1 <= len(warns) <= 2, (
            "restart %d: %d warning lines (want the loss and at most "
              "one failed reconnection):\n%s" % (i + 1, len(warns), "\n".join(warns[:6])))
        assert all("xenstore" in w for w in warns), "warning does not say xenstore: %s" % warns
        assert g.wait_log("connected again", since=m, timeout=1), (
            "restart %d: no 'connected again'" % (i + 1))
    g.stop_checked()
    return "5 restarts, followed dom0 again after %s s" % ", ".join("%.2f" % t for t in times)


@case("xenstore", "xenstored killed five times before the daemon can reconnect")
def test_xenstored_rapid_restarts(env):
    g = env.guest()
    g.start()
    g.settle(150000)
    m = g.mark()
    for i in range(5):
        env.xsd.kill()
        g.set_committed(120000 + i * 5000)      # selfballooning must go on
        env.xsd.start()
        time.sleep(0.02)
    g.alive("after 5 rapid restarts")
    with env.xsd.client() as c:
        assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5), (
            "not republished after the last restart")
    g.settle(140000)
    warns = g.warnings_since(m)
    assert len(warns) <= 10, (
        "%d warning lines for 5 outages:\n%s" % (
        len(warns), "\n".join(warns[:12])))
    g.stop_checked()
    return "reconnected and republished; %d warning lines for 5 outages" % len(warns)


@case("xenstore", "xenstored absent at start, appears later, then dies")
def test_xenstored_absent(env):
    env.xsd.stop()
    g = env.guest(static_max=0)
    g.bounds = [(0.0, FLOOR, 1 << 62)]
    g.start()
    g.settle(150000, maximum=1 << 62)
    time.sleep(3.0)            # back-off 50 ms .. 1 s: ~7 attempts
    g.alive("without xenstored")
    warns = g.warnings_since(0)
    assert len(warns) == 1, (
        "%d warning lines while xenstored is absent (want 1):\n%s" % (
        len(warns), "\n".join(warns[:6])))
    assert "xenstore" in warns[0], "warning does not say xenstore: %s" % warns[0]
    absent_line = warns[0]
    env.xsd.start()
    with env.xsd.client() as c:
        assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5), (
            "never published after xenstored appeared")
    g.settle(160000, maximum=1 << 62)
    m = g.mark()
    env.xsd.kill()
    g.settle(130000, maximum=1 << 62)
    time.sleep(2.0)
    g.alive("after xenstored died")
    warns = g.warned_since(m)
    assert 1 <= len(warns) <= 2, (
        "%d warning lines after xenstored died:\n%s" % (
        len(warns), "\n".join(warns)))
    g.stop_checked()
    return "one line while absent (%s); ballooned alone; connected when it came" % (
        absent_line.split("warning: ", 1)[-1][:90])


BAD_VALUES = [
    b"", b"\n", b"abc", b"-200000", b"+200000", b" 200000", b"200000 ", b"200000abc",
    b"0x30d40", b"2e5", b"200\x00000", b"\x00", b"200000\x00", b"200\n000",
    b"200000\n\n", b"\n200000", b"9" * 30, b"18446744073709551616",
    b"99999999999999999999", b"1099511627777", b"A" * 3000, b"\xff\xfe\x1b[31mred",
]


def garbage_key(env, g, c, key, bad, probe, need_log=True):
    """Write each bad value to memory/KEY: not acted on (probe() true),
    one line each naming the key, no escape bytes in the log."""
    lines = 0
    for v in bad:
        m = g.mark()
        c.write(HOME + "/memory/" + key, v)
        if need_log:
            g.warned_since(m)       # then room for a second line, which must not come
        time.sleep(0.15)
        g.alive("after memory/%s = %r" % (key, v))
        assert probe(), "acted on memory/%s = %r" % (key, v[:40])
        warns = g.warnings_since(m)
        if need_log:
            assert len(warns) == 1, (
                "memory/%s = %r: %d warning lines (want 1)%s" % (
                key, v[:40], len(warns), ":\n" + "\n".join(warns[:4]) if warns else ""))
            assert ("memory/" + key) in warns[0], (
                "warning does not name memory/%s: %s" % (
                key, warns[0]))
        lines += len(warns)
    # The same bad value again: no new line.
    m = g.mark()
    c.write(HOME + "/memory/" + key, "abc")
    time.sleep(0.1)
    c.write(HOME + "/memory/" + key, "abc")
    time.sleep(0.2)
    assert len(g.warnings_since(m)) <= 1, "the same bad value logged more than once"
    assert "\x1b" not in g.logtext(), "an escape byte from xenstore reached the log"
    return lines


@case("xenstore", "memory/target empty, huge, negative, non-numeric, NUL, newline")
def test_xs_target_garbage(env):
    g = env.guest(self_mode=False)
    g.start()
    with env.xsd.client() as c:
        held = directed(g, c, 220000)
        w0 = g.write_count()
        n = garbage_key(env, g, c, "target", BAD_VALUES, lambda: g.target() == held)
        assert g.write_count() == w0, "wrote the target while memory/target was garbage"
        directed(g, c, 240000)
    g.stop_checked()
    return "%d bad values, %d lines, target held at %d, then followed a good one" % (
        len(BAD_VALUES), n, held)


@case("xenstore", "memory/target below the floor and above memory/static-max")
def test_xs_target_bounds(env):
    g = env.guest(self_mode=False)
    g.start()
    with env.xsd.client() as c:
        directed(g, c, 220000)
        m = g.mark()
        directed(g, c, 1000)                        # -> the floor
        time.sleep(0.3)
        warns = g.warned_since(m)
        assert len(warns) == 1 and "floor" in warns[0], (
            "below the floor: %d lines: %s" % (len(warns), warns))
        m = g.mark()
        c.write(HOME + "/memory/target", str(STATIC_MAX + 50000))
        time.sleep(0.3)
        assert g.target() == FLOOR, "acted on a target above static-max: %s" % g.target()
        warns = g.warned_since(m)
        assert len(warns) == 1 and "static-max" in warns[0], (
            "above static-max: %d lines: %s" % (len(warns), warns))
        directed(g, c, 250000)
    g.stop_checked()
    return "1000 kB held at the floor %d; %d kB ignored; both logged once" % (
        FLOOR, STATIC_MAX + 50000)


@case("xenstore", "memory/static-max garbage")
def test_xs_static_max_garbage(env):
    g = env.guest(self_mode=False)
    g.start()
    with env.xsd.client() as c:
        held = directed(g, c, 220000)
        bad = [b"", b"abc", b"-1", b"0", b"9" * 30, b"300000\x00", b"3\n00000"]
        n = garbage_key(env, g, c, "static-max", bad, lambda: g.target() == held)
        # With static-max unusable, a target below the last good maximum
        # is still followed (and never above it: the bounds say so).
        c.write(HOME + "/memory/target", "230000")
        assert wait_for(lambda: g.target() == 230000, 3), "target not followed"
        directed(g, c, 240000)
    g.stop_checked()
    return "%d bad values, %d lines; directed ballooning went on" % (len(bad), n)


@case("xenstore", "memory/{down,up,preswap}hysteresis and preswapinertia garbage")
def test_xs_hysteresis_garbage(env):
    g = env.guest(conf=PRESWAP_CONF, preswap=1000)
    g.start()
    g.settle(150000)
    bad = [b"", b"0", b"-3", b"abc", b"9" * 30, b"2\x00", b"2\n2"]
    total = 0
    with env.xsd.client() as c:
        # Just above the allowed range: 10000 for a hysteresis, 100000 for
        # the inertia.
        for key, over in (("downhysteresis", b"10001"), ("uphysteresis", b"10001"),
                          ("preswaphysteresis", b"10001"), ("preswapinertia", b"100001")):
            total += garbage_key(env, g, c, key, bad + [over], lambda: True)
            # Still hysteresis 1 from the config: one step reaches the goal.
            g.settle(120000 + len(key) * 1000)
            c.rm(HOME + "/memory/" + key)
    g.stop_checked()
    return "4 keys x %d bad values, %d lines; steps still from the config" % (
        len(bad) + 1, total)


@case("xenstore", "memory/selfballoon garbage")
def test_xs_selfballoon_garbage(env):
    g = env.guest()
    g.start()
    g.settle(150000)
    bad = [b"", b"2", b"-1", b"yes", b"true", b"1\x00", b"1\n1", b"9" * 30]
    with env.xsd.client() as c:
        n = garbage_key(env, g, c, "selfballoon", bad, lambda: "mode: idle" not in g.logtext())
        g.settle(130000)
        c.write(HOME + "/memory/selfballoon", "0")
        assert g.wait_log("mode: idle", since=0, timeout=3), (
            "selfballoon=0 not honoured after the garbage")
    g.stop_checked()
    return "%d bad values, %d lines; selfballooning from the config went on" % (len(bad), n)


@case("xenstore", "memory/interval garbage (tick length from the config)")
def test_xs_interval_garbage(env):
    """Without --interval: XENBALLOON_SELF_INTERVAL=1. A bad interval
    must leave the tick at 1 s (0 would spin, a huge one would stall)."""
    g = env.guest(conf="XENBALLOON_SELF_INTERVAL=1\n")
    g.start(interval=None)
    g.settle(150000, timeout=3)
    bad = [b"", b"0", b"-1", b"abc", b"99999999999", b"1\x00", b"0.01", b"1e9"]
    with env.xsd.client() as c:
        n = garbage_key(env, g, c, "interval", bad, lambda: True)
        # Ticks still come about once a second: count vmstat publications.
        seen = set()
        end = time.monotonic() + 3.2
        k = 0
        while time.monotonic() < end:
            k += 1
            g.put("proc/vmstat", "pswpin %d\npswpout 1\n" % k)
            v = c.read(HOME + "/memory/vmstat")
            if v:
                seen.add(v)
            time.sleep(0.05)
        assert 2 <= len(seen) <= 5, "%d publications in 3.2 s with a 1 s tick" % len(seen)
        g.settle(130000, timeout=3)
    g.stop_checked()
    return "%d bad values, %d lines; %d ticks in 3.2 s" % (len(bad), n, len(seen))


# ------------------------------------------------------------------ config
def sighup_fault(env, g, inject, clear, needle):
    g.start()
    g.settle(50000)                              # at the floor
    assert g.target() == FLOOR, "not at the floor"
    m = g.mark()
    inject(g)
    g.signal_hup()
    assert g.wait_log("keeping the previous configuration", since=m, timeout=3), (
        "no 'keeping the previous configuration' line")
    time.sleep(0.3)
    g.alive("after SIGHUP with the config %s" % needle)
    warns = g.warnings_since(m)
    assert len(warns) == 1, "%d warning lines (want 1):\n%s" % (len(warns), "\n".join(warns))
    assert g.conf in warns[0], "warning does not name the config file: %s" % warns[0]
    # The old settings stay: floor 100 MB, hysteresis 1.
    g.settle(140000)
    g.settle(60000)
    assert g.target() == FLOOR, "floor not kept"
    # Fixed: a new floor (120 MB) is applied on the next SIGHUP.
    clear(g)
    g.base_conf = g.base_conf.replace("XENBALLOON_MINMEM=%d" % MINMEM_MB, "XENBALLOON_MINMEM=120")
    g.write_conf()
    m = g.mark()
    g.signal_hup()
    assert g.wait_log("reload: configuration", since=m, timeout=3), "good config not loaded"
    new_floor = 120 * 1024 + OFFSET
    assert wait_for(lambda: g.target() == new_floor, 3), (
        "new floor not applied: %s, wanted %d"
          % (g.target(), new_floor))
    g.set_bounds(new_floor, STATIC_MAX)
    g.settle(150000, floor=new_floor)
    g.stop_checked()
    return warns[0].split("warning: ", 1)[-1][:150]


@case("config", "config replaced by a directory before SIGHUP (EISDIR)")
def test_sighup_config_dir(env):
    g = env.guest()

    def inject(g):
        os.rename(g.conf, g.conf + ".saved")
        os.mkdir(g.conf)

    def clear(g):
        os.rmdir(g.conf)
    return sighup_fault(env, g, inject, clear, "a directory")


@case("config", "config removed before SIGHUP (ENOENT)")
def test_sighup_config_missing(env):
    g = env.guest()
    return sighup_fault(env, g, lambda g: os.unlink(g.conf), lambda g: None, "missing")


@case("config", "config chmod 000 before SIGHUP, daemon without CAP_DAC_OVERRIDE (EACCES)")
def test_sighup_config_eacces(env):
    g = env.guest()
    g.prefix = NO_DAC
    return sighup_fault(env, g, lambda g: os.chmod(g.conf, 0), lambda g: None, "unreadable")


@case("config", "config with a NUL byte before SIGHUP")
def test_sighup_config_nul(env):
    g = env.guest()

    def inject(g):
        with open(g.conf, "ab") as f:
            f.write(b"XENBALLOON_MINMEM=1\x002\n")
    return sighup_fault(env, g, inject, lambda g: None, "with a NUL")


# ----------------------------------------------------------------- signals
@case("signals", "SIGTERM/SIGINT at random moments of --interval 0 ticks, 40 times")
def test_sigterm_mid_tick(env):
    """Each run: --interval 0 (back-to-back ticks) while the test flips
    Committed_AS every millisecond, so most ticks write a target; the
    signal comes 0-30 ms after start-up. Exit 0, pidfile removed, the
    balloon file holds a whole number within bounds."""
    g = env.guest()
    stop = threading.Event()

    def churn():
        k = 0
        while not stop.is_set():
            k += 1
            g.set_committed(110000 + (k % 7) * 9000)
            time.sleep(0.001)
    t = threading.Thread(target=churn, daemon=True)
    t.start()
    runs = 40
    statuses = {}
    writes = 0
    try:
        for i in range(runs):
            w0 = g.write_count()
            g.start(interval=0)
            time.sleep(random.uniform(0, 0.03))
            sig = signal.SIGINT if i % 4 == 3 else signal.SIGTERM
            rc = g.stop(sig=sig)
            statuses[rc] = statuses.get(rc, 0) + 1
            if rc != 0:
                raise Died("run %d: exit status %s on %s; log tail:\n%s" % (
                    i, rc, signal.Signals(sig).name, g.logtext()[-800:]))
            assert not os.path.exists(g.pidfile), "run %d: pidfile left behind" % i
            txt = g.get(g.target_rel).strip()
            assert txt.isdigit() and FLOOR <= int(txt) <= STATIC_MAX, (
                "run %d: balloon file holds %r after the signal" % (i, txt))
            writes += g.write_count() - w0
    finally:
        stop.set()
        t.join()
    assert writes > runs, (
        "only %d target writes in %d runs: the signal never hit a busy tick"
          % (writes, runs))
    return "%d runs, all exit 0, pidfile removed, %d target writes, file always whole" % (
        runs, writes)


@case("signals", "SIGTERM while xenstored is frozen (SIGSTOP) mid-tick")
def test_sigterm_xenstored_frozen(env):
    """A stopped xenstored never answers; a tick waiting on it is stuck
    mid-tick. SIGTERM must still stop the daemon promptly, and
    selfballooning must not depend on xenstore answering."""
    g = env.guest()
    g.start()
    g.settle(150000)
    os.kill(env.xsd.pid, signal.SIGSTOP)
    try:
        time.sleep(0.3)
        g.set_committed(120000)
        moved = wait_for(lambda: g.target() == expected_self(120000), 2)
        t0 = time.monotonic()
        rc = g.stop(timeout=3)
        took = time.monotonic() - t0
    finally:
        os.kill(env.xsd.pid, signal.SIGCONT)
    if rc is None:
        raise Died("SIGTERM did not stop the daemon within 3 s while xenstored was stopped "
                   "(selfballooning %s meanwhile)" % ("went on" if moved else "stalled too"))
    assert rc == 0, "exit status %s" % rc
    assert moved, "selfballooning stalled while xenstored was stopped"
    return "stopped in %.2f s, exit 0" % took


# ----------------------------------------------------------------- pidfile
def pidfile_case(env, content, setup=None):
    g = env.guest()
    if setup is not None:
        setup(g)
    else:
        with open(g.pidfile, "w") as f:
            f.write(content)
    g.start()
    assert wait_for(lambda: os.path.exists(g.pidfile) and
                    open(g.pidfile).read().strip() == str(g.proc.pid), 3), (
        "pidfile does not hold the daemon's pid: %r" % (
            open(g.pidfile).read() if os.path.exists(g.pidfile) else None))
    g.settle(150000)
    warns = g.warnings_since(0)
    assert len(warns) <= 1, "%d warning lines for a stale pidfile: %s" % (len(warns), warns)
    g.stop_checked()
    return "started over it, pidfile rewritten and removed on SIGTERM"


@case("pidfile", "stale pidfile with a dead pid")
def test_pidfile_dead_pid(env):
    return pidfile_case(env, "999999\n")


@case("pidfile", "stale pidfile naming a live unrelated process")
def test_pidfile_live_pid(env):
    return pidfile_case(env, "%d\n" % os.getpid())


@case("pidfile", "stale pidfile holding garbage")
def test_pidfile_garbage(env):
    return pidfile_case(env, "not a pid\x00\n\n")


@case("pidfile", "pidfile left by a SIGKILLed daemon")
def test_pidfile_killed(env):
    def setup(g):
        g.start()
        assert wait_for(lambda: os.path.exists(g.pidfile), 3), "no pidfile"
        g.proc.kill()
        g.proc.wait()
        g.logf.close()
        g.stop_sampler()
        g.proc = None
        assert os.path.exists(g.pidfile), "SIGKILL removed the pidfile?"
    return pidfile_case(env, None, setup)


@case("pidfile", "pidfile directory missing: exit 1 with one clear line")
def test_pidfile_no_dir(env):
    g = env.guest()
    g.pidfile = os.path.join(g.dir, "no-such-dir", "xenballoond.pid")
    g.start(wait=False)
    try:
        rc = g.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        raise Died("daemon ran without being able to write its pidfile")
    g.stop()
    assert rc == 1, "exit status %s, wanted 1" % rc
    lines = [ln for ln in g.logtext().splitlines() if ln.strip()]
    assert len(lines) == 1 and g.pidfile in lines[0], "output: %r" % lines
    assert g.target() == CURRENT, "wrote the balloon without a pidfile"
    return lines[0][:120]


# ------------------------------------------------------------- fixtures
@pytest.fixture(scope="module", autouse=True)
def matrix(opts, report):
    """Seeds the random choices (--seed, or the time: the seed is
    printed) and counts the faults tried and survived."""
    seed = opts.seed if opts.seed is not None else int(time.time())
    random.seed(seed)
    report("faults: daemon %s, seed %d%s" % (
        os.path.abspath(opts.daemon), seed,
        "" if opts.shim else ", NO faultinj.so: injected faults will fail"))
    if os.geteuid() != 0:
        report("faults: not root: the chattr, setpriv, unshare/nsenter and mount faults fail")
    yield
    report("faults: tried %d, survived %d, wrong writes %d" % (
        STATS["tried"], STATS["tried"] - STATS["died"], STATS["wrong"]))


@pytest.fixture
def env(case_dir, opts):
    """A xenstored and the case's guests; at the end every daemon is
    stopped and the case fails on a wrong write, a sanitizer report or a
    bad exit status."""
    e = Env(case_dir, os.path.abspath(opts.daemon),
            os.path.abspath(opts.shim) if opts.shim else "")
    yield e
    wrong, problems = e.close()
    STATS["wrong"] += len(wrong)
    if wrong:
        problems.insert(0, "%d WRONG WRITES: %s" % (len(wrong), "; ".join(wrong[:4])))
    if problems:
        pytest.fail("; ".join(problems) + " (logs under %s)" % case_dir)
