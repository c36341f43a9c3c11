"""A fake guest for the daemon under test, and the one bounded wait.

A Guest is a directory: the kernel files the daemon reads and writes
under root/ (xenballoond --root), a config, a pidfile, the daemon's log,
and the daemon itself started against a xenstored (tests/harness/xs.py)
or against a socket that does not exist. The suites give it their own
numbers (meminfo, the balloon's allocation); tests/conftest.py hands it
out as the new_guest fixture.
"""

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time

HOME = "/local/domain/0"            # a socket client of xenstored is dom0
BALLOON = "sys/devices/system/xen_memory/xen_memory0"
LEGACY = "proc/xen/balloon"


def wait_for(pred, timeout, step=0.005):
    """Call pred() until it returns something true or timeout seconds have
    passed; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def rmtree(path):
    """rm -r that survives a test leaving chattr +i behind."""
    if not os.path.lexists(path):
        return
    subprocess.run(["chattr", "-R", "-i", path], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(path, ignore_errors=True)


def legacy_text(current_kb, target_kb):
    """/proc/xen/balloon as the 2.6.18 driver prints it."""
    return ("Current allocation: %8d kB\nRequested target:   %8d kB\n"
            "Low-mem balloon:          0 kB\nHigh-mem balloon:         0 kB\n"
            "Driver pages:           128 kB\n" % (current_kb, target_kb))


class LoggedProcess:
    """A program under test run in the background (self.proc), its output
    in the file self.log (self.logf open while it runs): stopping it,
    killing it, reading and waiting on its log. Guest and the balancer's
    tests (tests/balancer/fakehv.py) build on it."""

    proc = None
    logf = None
    log = None
    fail_99 = False     # exit status 99 is a report of valgrind or a sanitizer

    def stop(self, sig=None, timeout=20):
        """Stop the program; its exit status (-N: killed by signal N; None:
        it did not stop in time and was SIGKILLed). With fail_99 (under
        valgrind --error-exitcode=99, or a sanitizer's exitcode=99) status
        99 fails the test."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(sig or signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        self.logf.close()
        self.proc = None
        if self.fail_99 and rc == 99:
            raise AssertionError("valgrind reported errors:\n" + self.logtext()[-3000:])
        return rc

    def kill(self):
        """Clean-up after a failed test: no program outlives its test."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.logf.close()
            self.proc = None

    # -- the log
    def logtext(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def mark(self):
        return len(self.logtext())

    def wait_log(self, needle, timeout=5.0, count=1, since=0):
        return wait_for(lambda: self.logtext()[since:].count(needle) >= count, timeout, 0.01)


class Guest(LoggedProcess):
    """Kernel files under root/, a config, the daemon (see the module)."""

    def __init__(self, gdir, xsd, daemon, conf="", legacy=False, wrapper="",
                 base_conf=None, static_max=None):
        self.dir = gdir
        rmtree(self.dir)
        self.root = os.path.join(self.dir, "root")
        os.makedirs(os.path.join(self.root, "proc"))
        self.legacy = legacy
        if legacy:
            os.makedirs(os.path.join(self.root, "proc", "xen"))
            self.target_rel = LEGACY
        else:
            os.makedirs(os.path.join(self.root, BALLOON, "info"))
            self.target_rel = BALLOON + "/target_kb"
        self.target_path = self.path(self.target_rel)
        self.xsd = xsd
        self.daemon = daemon
        self.wrapper = shlex.split(wrapper) if wrapper else []
        self.fail_99 = bool(self.wrapper)
        self.prefix = []
        self.proc = None
        self.logf = None
        # The fake kernel of a test and a sampler thread may both write.
        self.files_lock = threading.RLock()
        self.maxmem = os.path.join(self.dir, "maxmem")
        self.pidfile = os.path.join(self.dir, "xenballoond.pid")
        self.conf = os.path.join(self.dir, "xenballoon.conf")
        self.log = os.path.join(self.dir, "daemon.log")
        self.base_conf = (base_conf if base_conf is not None
                          else "XENBALLOON_MAXMEMFILE=%s\n" % self.maxmem)
        self.write_conf(conf)
        if xsd is not None and static_max:
            with xsd.client() as c:
                c.write(HOME + "/memory/static-max", str(static_max))

    # -- files
    def path(self, rel):
        return os.path.join(self.root, rel)

    def put(self, rel, text):
        """Replace a file atomically: the fake kernel never leaves a
        half-written file (a torn file is a fault of its own)."""
        p = self.path(rel)
        tmp = "%s.%d.tmp" % (p, threading.get_ident())
        with self.files_lock:
            with open(tmp, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
            os.rename(tmp, p)

    def put_raw(self, rel, text):
        """Overwrite in place (O_TRUNC): for an empty file. (A truncated
        file is put whole: in place, a reader could see it empty first.)"""
        with self.files_lock:
            with open(self.path(rel), "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())

    def get(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def write_conf(self, extra=""):
        with open(self.conf + ".tmp", "w") as f:
            f.write(self.base_conf + extra)
        os.rename(self.conf + ".tmp", self.conf)

    def set_balloon(self, current, target=None):
        """The driver's allocation and target, in kB."""
        target = target or current
        if self.legacy:
            self.put(LEGACY, legacy_text(current, target))
        else:
            self.put(BALLOON + "/info/current_kb", "%d\n" % current)
            self.put(self.target_rel, "%d\n" % target)

    def target(self):
        """The balloon target in kB; None while the file holds no number.

        The daemon writes the target with open(O_TRUNC) and write(), so a
        read between the two finds the file empty: that is "not written
        yet", never a value. Callers compare only a number."""
        try:
            txt = self.get(self.target_rel).strip()
        except OSError:
            return None
        if self.legacy:
            # The daemon writes bytes; a fake kernel may have turned them
            # into the driver's report.
            if txt.isdigit():
                return int(txt) // 1024
            for line in txt.splitlines():
                if line.startswith("Requested target:"):
                    num = line.split(":", 1)[1].split()
                    return int(num[0]) if num and num[0].isdigit() else None
            return None
        return int(txt) if txt.isdigit() else None

    def target_below(self, kb):
        t = self.target()
        return t is not None and t < kb

    def target_other_than(self, kb):
        t = self.target()
        return t is not None and t != kb

    def set_meminfo(self, total, committed, available=None, file_kb=None):
        """/proc/meminfo of a 6.1 kernel, the lines the daemon reads;
        file_kb: a page cache of that size (Active(file) and
        Inactive(file), half each)."""
        cache = ""
        if file_kb is not None:
            cache = "Active(file):   %8d kB\nInactive(file): %8d kB\n" % (
                file_kb - file_kb // 2, file_kb // 2)
        self.put("proc/meminfo",
                 "MemTotal:       %8d kB\nMemFree:        %8d kB\n"
                 "MemAvailable:   %8d kB\n%sCommitted_AS:   %8d kB\n"
                 "SwapTotal:             0 kB\n" %
                 (total, total // 2, available or total // 2, cache, committed))

    # -- the daemon
    def cmd(self, extra):
        return self.prefix + self.wrapper + [
            self.daemon, "-d", "-v", "-f", self.conf, "--root", self.root,
            "--pidfile", self.pidfile] + list(extra)

    def env(self):
        e = dict(os.environ)
        if self.xsd is not None:
            e["XENSTORED_PATH"] = self.xsd.socket_path
        else:
            e["XENSTORED_PATH"] = os.path.join(self.dir, "no-such-socket")
        return e

    def start(self, *extra):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.cmd(extra), env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def run(self, *extra, timeout=20):
        """One run to its end (--once, -n, --ticks): CompletedProcess."""
        return subprocess.run(self.cmd(extra), env=self.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def signal(self, sig):
        self.proc.send_signal(sig)

