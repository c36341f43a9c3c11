#!/usr/bin/python3
"""bench.py - `make bench`: what xenballoond costs, beside the floor.

    bench.py WORKDIR --daemon PATH --floor PATH --shim PATH --spawn PATH
             [--out FILE]

The real xenballoond on fake kernel files (--root) against the real
xenstored (tests/harness), every publish option on, side by side with
bench/floor.c, the unavoidable work (see there). Each program has its
own fake root; measured runs are started by bench/spawn.c (wait4).

  1. CPU per tick: --interval 0 --ticks BENCH_TICKS, selfballooning,
     kernel files that change on every read (bench/kfiles_shim.c: each
     open of meminfo, vmstat, uptime, preswap gets the next of 1000
     prepared versions, so both programs see the same sequence and every
     tick writes the balloon target and all five keys); user+sys of the
     process and all its threads / ticks. BENCH_ROUNDS rounds, the
     programs one after the other in each; the median of each program,
     and the median of the rounds' ratios. The floor does the unavoidable
     work of a tick (three kernel files and preswap read, the balloon target
     written, one transaction); variants: plus a memory/target read per
     tick, and with a watch registered on its connection.
  2. xenstore requests per tick from xenstored's -T trace: a run of 2000
     ticks minus a run of 1000 (start-up cancels out), with the files
     static (nothing changes after the first tick) and changing.
  3. Reaction: --interval 60, directed mode, hysteresis 1, memory/target
     written BENCH_REACT_WRITES times (two values in turn); the time from
     just before the write until target_kb holds the value (inotify on
     target_kb, then its contents checked).
  4. Memory: one run of BENCH_MEM_TICKS ticks as in 1; VmRSS sampled when
     meminfo had been opened 1000 and BENCH_MEM_TICKS-1000 times (= ticks,
     counted by the shim), the peak at exit (ru_maxrss, i.e. VmHWM), and
     the peak of private memory (RssAnon, sampled every 2 ms): the rest
     of the RSS is pages of shared libraries, shared with every process.
  5. Idle: --interval 1, files static, voluntary + involuntary context
     switches of every thread (/proc/PID/task/*/status) over
     BENCH_IDLE_SECONDS, and the ticks in that window (the shim counting
     opens of meminfo); the floors alongside, each program on its own
     root, and the daemon once more at --interval 60, where every wakeup
     beyond the one tick is the cost of waiting (liveness included). Phase 2 runs during the window (it only counts
     requests, and a wakeup does not depend on the machine's load).

Environment: BENCH_TICKS (10000, at least 10000), BENCH_MEM_TICKS
(100000), BENCH_ROUNDS (3), BENCH_REACT_WRITES (200), BENCH_IDLE_SECONDS
(60), BENCH_ROOTS (where the fake roots go: by default a new directory in
/dev/shm when that is a tmpfs, like /proc and /sys; else WORKDIR).
Prints the table; --out gets the same text.
"""

import argparse
import collections
import ctypes
import mmap
import os
import platform
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))

from guest import wait_for  # noqa: E402
from xs import Xenstored, count_requests, trace_size  # noqa: E402

HOME = "/local/domain/0"
BALLOON = "sys/devices/system/xen_memory/xen_memory0"
DATA = os.path.join(REPO, "tests", "data")
VERSIONS = 1000

# A 4 GiB guest: MemTotal 4005932 kB (tests/data/meminfo-6.1), the
# balloon's allocation 4194304 kB (offset 188372 kB). Selfballooning aims
# at Committed_AS + offset, far above the floor (616404 kB).
CURRENT_KB = 4194304
# What changes from one version of a file to the next (line prefix:
# step). Committed_AS moves by 100 kB, so the daemon's target moves by
# 10 kB (down hysteresis 10) and is written on every tick; every
# published key changes on every tick.
VARY = {
    "proc/meminfo": (("MemFree:", 7), ("MemAvailable:", 7), ("Committed_AS:", 100)),
    "proc/vmstat": (("nr_free_pages ", 3), ("pgpgin ", 11), ("pswpin ", 1),
                    ("pgfault ", 97)),
}
PUBLISH = ("XENBALLOON_SEND_MEMINFO=1\nXENBALLOON_SEND_VMSTAT=1\n"
           "XENBALLOON_SEND_UPTIME=1\nXENBALLOON_SEND_PRESWAP=1\n"
           "XENBALLOON_PRESWAP_SHRINK=true\n")
# The 2009 goal: its target moves with Committed_AS, so the daemon writes
# the balloon every tick as the floor does (the pressure goal, the
# default, would leave moves this small alone: less work than the floor).
CONF_SELF = "XENBALLOON_SELF=true\nXENBALLOON_GOAL=committed\n" + PUBLISH
# /proc/pressure/memory, as a guest kernel has it: the daemon reads it
# every tick and publishes it; quiet, so its text does not change.
PSI = ("proc/pressure/memory",
       "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
       "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
CONF_DIRECTED = ("XENBALLOON_SELF=false\nXENBALLOON_AUTO_DOWNHYSTERESIS=1\n"
                 "XENBALLOON_AUTO_UPHYSTERESIS=1\n" + PUBLISH)
REACT_VALUES = (3000000, 3500000)     # above the floor, below the allocation


class BenchError(RuntimeError):
    pass


def env_int(name, default, minimum):
    v = int(os.environ.get(name, default))
    if v < minimum:
        raise BenchError("%s=%d: at least %d" % (name, v, minimum))
    return v


# ------------------------------------------------------------------ files
def put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def vary(text, fields, v):
    """text with each field's number moved by v * step."""
    lines = text.split("\n")
    for prefix, step in fields:
        for i, line in enumerate(lines):
            if line.startswith(prefix):
                rest = line[len(prefix):]
                digits = rest.strip().split()[0]
                lines[i] = prefix + rest.replace(digits, str(int(digits) + v * step), 1)
                break
        else:
            raise BenchError("no %r line to vary" % prefix)
    return "\n".join(lines)


def base_files():
    with open(os.path.join(DATA, "meminfo-6.1")) as f:
        meminfo = f.read()
    with open(os.path.join(DATA, "vmstat-6.1")) as f:
        vmstat = f.read()
    return {"proc/meminfo": meminfo, "proc/vmstat": vmstat,
            "proc/uptime": "83915.52 162011.33\n", "proc/sys/vm/preswap": "0\n"}


def make_root(root, versions=True):
    """Static kernel files (no preswap pages: nothing for the daemon to
    shrink), a balloon at CURRENT_KB, and VERSIONS changing versions of
    the kernel files for the shim."""
    shutil.rmtree(root, ignore_errors=True)
    base = base_files()
    for rel, text in base.items():
        put(os.path.join(root, rel), text)
    put(os.path.join(root, PSI[0]), PSI[1])
    put(os.path.join(root, BALLOON, "info/current_kb"), "%d\n" % CURRENT_KB)
    put(os.path.join(root, BALLOON, "target_kb"), "%d\n" % CURRENT_KB)
    for rel, text in base.items() if versions else ():
        d = os.path.join(root, ".versions", rel)
        os.makedirs(d)
        for v in range(VERSIONS):
            if rel in VARY:
                t = vary(text, VARY[rel], v)
            elif rel == "proc/uptime":
                t = "%d.%02d %d.%02d\n" % (83915 + v, v % 100, 162011 + 2 * v, (3 * v) % 100)
            else:
                t = "%d\n" % (123456 + v)
            with open(os.path.join(d, "%04d" % v), "w") as f:
                f.write(t)
    return root


def reset_root(root):
    """Back to the static files and the first balloon target."""
    for rel, text in base_files().items():
        put(os.path.join(root, rel), text)
    put(os.path.join(root, BALLOON, "target_kb"), "%d\n" % CURRENT_KB)


def read_target(root):
    try:
        with open(os.path.join(root, BALLOON, "target_kb")) as f:
            return f.read().strip()
    except OSError:
        return None


class Counter:
    """The shim's open counts (meminfo, vmstat, uptime, preswap)."""

    def __init__(self, path):
        self.path = path
        with open(path, "wb") as f:
            f.write(b"\0" * 32)
        fd = os.open(path, os.O_RDONLY)
        self.map = mmap.mmap(fd, 32, prot=mmap.PROT_READ)
        os.close(fd)

    def counts(self):
        return struct.unpack_from("<4Q", self.map)

    def close(self):
        self.map.close()


# ---------------------------------------------------------------- processes
class Prog:
    """One program (the daemon or the floor) on its own fake root."""

    def __init__(self, opts, name, root):
        self.opts = opts
        self.name = name
        self.root = root
        self.dir = os.path.join(opts.workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log = os.path.join(self.dir, "log")
        with open(self.log, "w"):
            pass
        self.confs = {}
        for cname, text in (("self", CONF_SELF), ("directed", CONF_DIRECTED)):
            self.confs[cname] = os.path.join(self.dir, cname + ".conf")
            put(self.confs[cname], "XENBALLOON_MAXMEMFILE=%s\n%s" % (
                os.path.join(self.dir, "maxmem"), text))

    def daemon(self, conf, *extra):
        return [self.opts.daemon, "-d", "-f", self.confs[conf], "--root", self.root,
                "--pidfile", os.path.join(self.dir, "pid")] + list(extra)

    def floor(self, *extra):
        return [self.opts.floor] + list(extra) + [self.root]

    def start(self, cmd, xsd, counter=None):
        """A plain child (reaction, idle); with counter, the shim counts
        the opens of the kernel files (its ticks) and changes nothing."""
        env = xsd.env
        if counter is not None:
            env.update(LD_PRELOAD=self.opts.shim, KFILES_ROOT=self.root, KFILES_VERSIONS="0",
                       KFILES_COUNTER=counter.path)
        with open(self.log, "a") as logf:
            logf.write("\n$ %s%s\n" % ("LD_PRELOAD=kfiles_shim.so " if counter else "",
                                       " ".join(cmd)))
            logf.flush()
            return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                    stderr=subprocess.STDOUT)

    def spawn(self, cmd, xsd, counter=None):
        """A measured child, through bench/spawn.c; with counter, the
        kernel files change on every read (the shim)."""
        env = xsd.env
        pre = []
        if counter is not None:
            pre = ["-p", self.opts.shim]
            env["KFILES_ROOT"] = self.root
            env["KFILES_VERSIONS"] = str(VERSIONS)
            env["KFILES_COUNTER"] = counter.path
        return Spawned(self.opts.spawn, pre, cmd, env, self.log)


class Spawned:
    """cmd run by bench/spawn.c: .pid is cmd's own pid; wait() gives its
    rusage."""

    def __init__(self, spawn_exe, pre, cmd, env, log):
        self.what = "%s (log %s)" % (os.path.basename(cmd[0]), log)
        r, w = os.pipe()
        with open(log, "a") as logf:
            logf.write("\n$ %s%s\n" % ("LD_PRELOAD=kfiles_shim.so " if pre else "",
                                       " ".join(cmd)))
            logf.flush()
            self.proc = subprocess.Popen([spawn_exe, "-r", str(w)] + pre + cmd, env=env,
                                         stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, pass_fds=(w,))
        os.close(w)
        self.report = os.fdopen(r)
        line = self.report.readline().split()
        if len(line) != 2 or line[0] != "pid":
            self.proc.wait()
            raise BenchError("%s: did not start" % self.what)
        self.pid = int(line[1])

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        """{status, utime_us, stime_us, maxrss_kb}."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait()
            raise BenchError("%s: still running after %d s" % (self.what, timeout))
        words = self.report.read().split()
        self.report.close()
        res = {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}
        if res.get("status") != 0:
            raise BenchError("%s exited %s" % (self.what, res.get("status")))
        return res


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def proc_status(pid, task=None):
    path = "/proc/%d/status" % pid if task is None else "/proc/%d/task/%s/status" % (pid, task)
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.split()[0] if v.split() else ""
    except OSError:
        pass
    return out


def ctxt_switches(pid):
    """{tid: (voluntary, involuntary)} for each thread of pid."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tids:
        s = proc_status(pid, t)
        if s:
            out[t] = (int(s["voluntary_ctxt_switches"]), int(s["nonvoluntary_ctxt_switches"]))
    return out


def new_xsd(opts, name, trace=False):
    d = os.path.join(opts.workdir, name + ".xsd")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return Xenstored(d, trace=trace).start()


# ----------------------------------------------------------- measurements
def cpu_run(opts, xsd, prog, cmd, ticks, sample):
    """One back-to-back run: CPU and wall us per tick, memory samples."""
    reset_root(prog.root)
    counter = Counter(os.path.join(prog.dir, "opens"))
    t0 = time.monotonic()
    p = prog.spawn(cmd, xsd, counter)
    early = late = None
    anon_peak_kb = 0
    while sample and p.running():
        done = counter.counts()[0]
        st = proc_status(p.pid)
        if st.get("RssAnon"):
            anon_peak_kb = max(anon_peak_kb, int(st["RssAnon"]))
        if early is None and done >= 1000:
            early = (done, st)
        if late is None and done >= ticks - 1000:
            late = (done, st)
        time.sleep(0.002)
    ru = p.wait(900)
    wall = time.monotonic() - t0
    opens = counter.counts()
    counter.close()
    if any(n != ticks for n in opens):
        raise BenchError("%s: opened the kernel files %s times in %d ticks" % (
            prog.name, opens, ticks))
    if sample and (early is None or late is None or not early[1] or not late[1]):
        raise BenchError("%s: could not sample its memory during the run" % prog.name)
    return {
        "cpu_us": (ru["utime_us"] + ru["stime_us"]) / ticks,
        "user_us": ru["utime_us"] / ticks,
        "sys_us": ru["stime_us"] / ticks,
        "wall_us": wall * 1e6 / ticks,
        "ticks": ticks,
        "maxrss_kb": ru["maxrss_kb"],
        "anon_peak_kb": anon_peak_kb,
        "early": early, "late": late,
    }


def bench_cpu(opts, mem_cmds, cpu_cmds, rounds):
    """The memory runs (sampled), then BENCH_ROUNDS rounds of CPU runs,
    the programs alternating within each round."""
    xsd = new_xsd(opts, "cpu")
    mem, runs = {}, collections.defaultdict(list)

    def show(key, what, res):
        print("  %-14s %-8s %6.1f us/tick (user %5.1f, sys %5.1f), wall %6.1f us"
              % (key, what, res["cpu_us"], res["user_us"], res["sys_us"], res["wall_us"]),
              flush=True)

    try:
        for key, (prog, cmd, ticks) in mem_cmds.items():
            mem[key] = cpu_run(opts, xsd, prog, cmd, ticks, sample=True)
            show(key, "memory", mem[key])
        for r in range(rounds):
            for key, (prog, cmd, ticks) in cpu_cmds.items():
                runs[key].append(cpu_run(opts, xsd, prog, cmd, ticks, sample=False))
                show(key, "round %d" % (r + 1), runs[key][-1])
    finally:
        xsd.stop()
    return mem, runs


def bench_requests(opts, cmds, k):
    """Requests per tick: (run of 2k ticks - run of k ticks) / k."""
    xsd = new_xsd(opts, "requests", trace=True)
    out = {}
    try:
        for changing in (False, True):
            for key, (prog, cmd) in cmds.items():
                counts = []
                for n in (k, 2 * k):
                    reset_root(prog.root)
                    counter = Counter(os.path.join(prog.dir, "opens")) if changing else None
                    start = trace_size(xsd.trace_path)
                    prog.spawn(cmd(n), xsd, counter).wait(300)
                    counts.append(count_requests(xsd.trace_path, start))
                    if counter:
                        counter.close()
                diff = counts[1] - counts[0]
                out[(key, changing)] = {t: v / k for t, v in diff.items()}
    finally:
        xsd.stop()
    return out


class Inotify:
    IN_CLOSE_WRITE = 0x00000008

    def __init__(self, path):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, path.encode(),
                                                 self.IN_CLOSE_WRITE) < 0:
            raise OSError(ctypes.get_errno(), "inotify on %s" % path)

    def drain(self):
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass

    def wait(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            self.drain()
        return bool(r)

    def close(self):
        os.close(self.fd)


def react_run(xsd, prog, cmd, writes):
    """Latencies (ms) from dom0's write of memory/target to target_kb."""
    reset_root(prog.root)
    with xsd.client() as c:
        c.rm(HOME + "/memory")
        c.mkdir(HOME + "/memory")
        p = prog.start(cmd, xsd)
        ino = Inotify(os.path.join(prog.root, BALLOON, "target_kb"))
        try:
            # Up: the daemon publishes at its first tick; the floor has
            # registered its watch once it follows a first write.
            if prog.name == "xenballoond" and not wait_for(
                    lambda: c.read(HOME + "/memory/uptime") is not None or
                    p.poll() is not None, 10):
                raise BenchError("%s never published (log %s)" % (prog.name, prog.log))
            lat = []
            for i in range(writes + 1):
                v = str(REACT_VALUES[i % 2])
                ino.drain()
                t0 = time.perf_counter()
                c.write(HOME + "/memory/target", v)
                end = t0 + (10.0 if i == 0 else 2.0)
                while read_target(prog.root) != v:
                    left = end - time.perf_counter()
                    if p.poll() is not None or left <= 0:
                        raise BenchError("%s: target_kb %s, %.0f s after writing %s (log %s)" % (
                            prog.name, read_target(prog.root), end - t0, v, prog.log))
                    ino.wait(min(left, 0.05))
                if i > 0:                       # the first one is the warm-up
                    lat.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.01)
        finally:
            ino.close()
            stop(p)
    return lat


def bench_react(opts, progs, writes):
    xsd = new_xsd(opts, "react")
    try:
        d, f = progs["xenballoond"], progs["floor"]
        return {
            "xenballoond": react_run(xsd, d, d.daemon("directed", "--interval", "60"), writes),
            "floor": react_run(xsd, f, f.floor("-R"), writes),
        }
    finally:
        xsd.stop()


class Idle:
    """5: the daemon and the floors at 1 s ticks on static files, each
    with the shim counting its ticks (opens of meminfo, nothing changed).
    start() launches them and opens the window once they have settled;
    finish() closes it after `seconds`. Other phases may run in between:
    a voluntary switch (a wakeup) depends only on what the program does,
    and the request counts of phase 2 only on what the programs sent."""

    RUNS = (("xenballoond", ("self", "--interval", "1")), ("floor", ("-i", "1000")),
            ("floor-probe", ("-p", "-i", "1000")),
            ("xenballoond-60", ("self", "--interval", "60")))

    def __init__(self, opts, progs, seconds):
        self.opts, self.progs, self.seconds = opts, progs, seconds
        self.procs, self.counters = {}, {}
        self.xsd = None

    def start(self):
        self.xsd = new_xsd(self.opts, "idle")
        for name, args in self.RUNS:
            prog = self.progs[name]
            reset_root(prog.root)
            self.counters[name] = Counter(os.path.join(prog.dir, "opens"))
            cmd = prog.daemon(*args) if name.startswith("xenballoond") else prog.floor(*args)
            self.procs[name] = prog.start(cmd, self.xsd, self.counters[name])
            time.sleep(0.3)      # so the first publications do not collide
        time.sleep(2.5)          # connected, first ticks done, settled
        self.check()
        self.before = self.sample()
        self.t0 = time.monotonic()

    def check(self):
        for k, p in self.procs.items():
            if p.poll() is not None:
                raise BenchError("%s exited %s during the idle run" % (k, p.returncode))

    def sample(self):
        return {k: (ctxt_switches(p.pid), self.counters[k].counts()[0])
                for k, p in self.procs.items()}

    def finish(self):
        time.sleep(max(0.0, self.t0 + self.seconds - time.monotonic()))
        dt = time.monotonic() - self.t0
        self.check()
        after = self.sample()
        out = {}
        for k in self.procs:
            sw0, sw1 = self.before[k][0], after[k][0]
            threads = [(sw1[t][0] - sw0.get(t, (0, 0))[0], sw1[t][1] - sw0.get(t, (0, 0))[1])
                       for t in sorted(sw1, key=int)]
            vol = sum(v for v, _ in threads)
            inv = sum(i for _, i in threads)
            out[k] = {"per_min": (vol + inv) * 60.0 / dt, "vol": vol, "inv": inv,
                      "threads": [v + i for v, i in threads],
                      "ticks": after[k][1] - self.before[k][1], "seconds": dt}
        return out

    def stop(self):
        for p in self.procs.values():
            stop(p)
        for c in self.counters.values():
            c.close()
        self.procs, self.counters = {}, {}
        if self.xsd is not None:
            self.xsd.stop()
            self.xsd = None


# ------------------------------------------------------------------ report
def machine():
    model = hyper = None
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == "Model name" and model is None:
                model = v.strip()
            if k.strip() == "Hypervisor vendor":
                hyper = v.strip()
    except OSError:
        pass
    if model is None:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1])
    return "%s, %d CPUs%s, %.0f GiB RAM, Linux %s (%s)" % (
        model, os.cpu_count(), " (a %s guest)" % hyper if hyper else "", mem / 1048576,
        platform.release(), platform.machine())


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fstype(path):
    best, typ = "", "?"
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            mnt, t = parts[1], parts[2]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, typ = mnt, t
    return typ


def fmt_req(d):
    total = sum(d.values())
    parts = ", ".join("%s %g" % (t, round(v, 2)) for t, v in sorted(d.items()) if v)
    return "%.2f (%s)" % (total, parts or "none")


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))]


def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def yes(ok):
    return "yes" if ok else "**no**"


def mib(kb):
    return "%.2f MiB" % (kb / 1024)


def report(opts, ticks, rounds, mem, cpu, req, react, idle, load, seconds):
    med = {k: statistics.median(r["cpu_us"] for r in v) for k, v in cpu.items()}
    wall = {k: statistics.median(r["wall_us"] for r in v) for k, v in cpu.items()}
    dm, fm = mem["xenballoond"], mem["floor"]

    def paired(k):
        """Median of the per-round ratios: in a round the daemon and the
        floor run back to back, so a change in the machine's load hits
        both."""
        return statistics.median(d["cpu_us"] / f["cpu_us"]
                                 for d, f in zip(cpu["xenballoond"], cpu[k]))

    ratio = paired("floor")
    mem_ticks = dm["ticks"]

    def us(k):
        return "%.1f us" % med[k]

    def rss(r):
        (t1, s1), (t2, s2) = r["early"], r["late"]
        a, b = int(s1["VmRSS"]), int(s2["VmRSS"])
        anon = int(s2["RssAnon"]) - int(s1["RssAnon"])
        return "%s -> %s (%+d kB)" % (mib(a), mib(b), b - a), b - a, anon

    def anon(r):
        st = r["late"][1]
        return "%s anon + %s file" % (mib(int(st["RssAnon"])), mib(int(st["RssFile"])))

    dg, dgrow, danon = rss(dm)
    fg, _, _ = rss(fm)
    lat_d, lat_f = react["xenballoond"], react["floor"]
    p99 = pct(lat_d, 99)
    idl = idle["xenballoond"]
    wk = idl["vol"] / max(1, idl["ticks"])
    nothing = sum(req[("xenballoond", False)].values())

    def lat(v):
        return "%.2f / %.2f / %.2f ms" % (pct(v, 50), pct(v, 99), max(v))

    def switches(k):
        t = idle[k]["threads"]
        return "%.0f" % idle[k]["per_min"] + (" (threads: %s)" % " + ".join(map(str, t))
                                              if len(t) > 1 else "")

    def wakeups(k):
        return "%.2f (%d in %d ticks; +%d preempted)" % (
            idle[k]["vol"] / max(1, idle[k]["ticks"]), idle[k]["vol"], idle[k]["ticks"],
            idle[k]["inv"])

    def per_second(k):
        return "%.3f (%d in %.0f s, %d ticks; +%d preempted)" % (
            idle[k]["vol"] / idle[k]["seconds"], idle[k]["vol"], idle[k]["seconds"],
            idle[k]["ticks"], idle[k]["inv"])

    long_idle = idle["xenballoond-60"]
    long_ws = long_idle["vol"] / long_idle["seconds"]
    anon_peak = dm["anon_peak_kb"]

    rows = [("measure", "xenballoond", "floor", "target", "met")]
    rows += [
        ("1. CPU per tick (user+sys), files changing", us("xenballoond"), us("floor"),
         "ratio <= 1.3", "%s: %.2f" % (yes(ratio <= 1.3), ratio)),
        ("   floor plus a memory/target read per tick", "", us("floor-probe"), "",
         "ratio %.2f" % paired("floor-probe")),
        ("   floor with a watch on its connection", "", us("floor-watch"), "",
         "ratio %.2f" % paired("floor-watch")),
        ("   the same in the %d-tick runs" % mem_ticks, "%.1f us" % dm["cpu_us"],
         "%.1f us" % fm["cpu_us"], "", "ratio %.2f" % (dm["cpu_us"] / fm["cpu_us"])),
        ("   wall time per tick", "%.1f us" % wall["xenballoond"], "%.1f us" % wall["floor"],
         "", ""),
        ("2. xenstore requests per tick, nothing changed", fmt_req(req[("xenballoond", False)]),
         fmt_req(req[("floor", False)]), "<= 2", "%s: %.2f" % (yes(nothing <= 2), nothing)),
        ("   everything changed", fmt_req(req[("xenballoond", True)]),
         fmt_req(req[("floor", True)]), "", ""),
        ("3. reaction to memory/target, p50 / p99 / max", lat(lat_d), lat(lat_f),
         "p99 <= 2 ms", "%s: %.2f ms" % (yes(p99 <= 2), p99)),
        ("4. peak RSS, private (RssAnon) / total (VmHWM), %d ticks" % mem_ticks,
         "%s / %s" % (mib(anon_peak), mib(dm["maxrss_kb"])),
         "%s / %s" % (mib(fm["anon_peak_kb"]), mib(fm["maxrss_kb"])), "private <= 0.5 MiB",
         "%s: %s" % (yes(anon_peak <= 512), mib(anon_peak))),
        ("   VmRSS at tick %d -> tick %d" % (dm["early"][0], dm["late"][0]), dg, fg,
         "no growth", "%s: %+d kB (anon %+d kB)" % (yes(dgrow <= 0), dgrow, danon)),
        ("   of which at tick %d" % dm["late"][0], anon(dm), anon(fm), "", ""),
        ("5. context switches per minute, idle, 1 s ticks", switches("xenballoond"),
         switches("floor"), "", ""),
        ("   wakeups (voluntary switches) per tick", wakeups("xenballoond"), wakeups("floor"),
         "<= 1 per tick", "%s: %.2f" % (yes(wk <= 1.0), wk)),
        ("   floor plus a memory/target read per tick", "", "%s; %s" % (
            switches("floor-probe"), wakeups("floor-probe")), "", ""),
        ("   wakeups per idle second, 1 s ticks", per_second("xenballoond"),
         per_second("floor"), "", ""),
        ("   wakeups per idle second, 60 s ticks", per_second("xenballoond-60"), "",
         "<= 1 + 1/60", "%s: %.3f" % (yes(long_ws <= 1 + 1 / 60.0), long_ws)),
    ]
    notes = [
        "Runs: CPU %d x %d ticks each, --interval 0, kernel files new on every read, the "
        "median, ratios the median of the rounds' ratios; "
        "requests (2000 - 1000 ticks) / 1000 from xenstored -T; reaction %d writes at "
        "--interval 60; memory %d ticks in one process, RssAnon sampled every 2 ms for its peak; "
        "idle %.0f s, ticks counted by "
        "the opens of meminfo, a switch made because another task preempted the thread "
        "is not a wakeup; liveness of the xenstore connections is polled on their "
        "sockets (the peer's close), with no timer." % (
            rounds, ticks, len(lat_d), mem_ticks, opts.idle_seconds),
        "Machine: %s; load average %s at the start, %s at the end; fake kernel files on %s; "
        "xenstored and libxenstore of Debian 12 (Xen 4.17); %.0f s." % (
            machine(), load[0], load[1], fstype(opts.roots), seconds),
    ]
    return table(rows) + "\n\n" + "\n".join(notes) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--spawn", required=True)
    ap.add_argument("--out")
    opts = ap.parse_args()
    opts.workdir = os.path.abspath(opts.workdir)
    opts.daemon, opts.floor, opts.shim, opts.spawn = (
        os.path.abspath(p) for p in (opts.daemon, opts.floor, opts.shim, opts.spawn))
    ticks = env_int("BENCH_TICKS", 10000, 10000)
    mem_ticks = env_int("BENCH_MEM_TICKS", 100000, 10000)
    opts.idle_seconds = env_int("BENCH_IDLE_SECONDS", 60, 5)
    writes = env_int("BENCH_REACT_WRITES", 200, 10)
    rounds = env_int("BENCH_ROUNDS", 3, 1)
    os.makedirs(opts.workdir, exist_ok=True)
    t_start = time.monotonic()
    load = [loadavg()]

    parent = os.environ.get("BENCH_ROOTS")
    if not parent:
        parent = "/dev/shm" if fstype("/dev/shm") == "tmpfs" and \
            os.access("/dev/shm", os.W_OK) else opts.workdir
    os.makedirs(parent, exist_ok=True)
    opts.roots = tempfile.mkdtemp(prefix="xenballoond-bench.", dir=parent)
    try:
        print("bench: fake roots in %s (%s)" % (opts.roots, fstype(opts.roots)), flush=True)
        progs = {name: Prog(opts, name, make_root(os.path.join(opts.roots, name)))
                 for name in ("xenballoond", "floor")}
        # The idle programs run while phase 2 uses the others: their own
        # roots, pidfiles and logs.
        idle_progs = {name: Prog(opts, "idle-" + name, make_root(
            os.path.join(opts.roots, "idle-" + name), versions=False))
            for name in ("xenballoond", "floor", "floor-probe", "xenballoond-60")}
        d, f = progs["xenballoond"], progs["floor"]
        n, m = str(ticks), str(mem_ticks)
        mem_cmds = {
            "xenballoond": (d, d.daemon("self", "--interval", "0", "--ticks", m), mem_ticks),
            "floor": (f, f.floor("-n", m), mem_ticks),
        }
        cpu_cmds = {
            "xenballoond": (d, d.daemon("self", "--interval", "0", "--ticks", n), ticks),
            "floor": (f, f.floor("-n", n), ticks),
            "floor-probe": (f, f.floor("-p", "-n", n), ticks),
            "floor-watch": (f, f.floor("-w", "-n", n), ticks),
        }
        req_cmds = {
            "xenballoond": (d, lambda m: d.daemon("self", "--interval", "0", "--ticks", str(m))),
            "floor": (f, lambda m: f.floor("-n", str(m))),
        }
        def phase(text):
            print("bench: [%3.0f s] %s" % (time.monotonic() - t_start, text), flush=True)

        phase("4. memory, %d ticks; 1. CPU, %d ticks x %d rounds each" % (
            mem_ticks, ticks, rounds))
        mem, cpu = bench_cpu(opts, mem_cmds, cpu_cmds, rounds)
        phase("3. reaction, %d writes each" % writes)
        react = bench_react(opts, progs, writes)
        phase("5. idle, %d s, and meanwhile 2. xenstore requests (traced)" % opts.idle_seconds)
        idler = Idle(opts, idle_progs, opts.idle_seconds)
        try:
            idler.start()
            req = bench_requests(opts, req_cmds, 1000)
            phase("2. done; the rest of the idle window")
            idle = idler.finish()
        finally:
            idler.stop()
        phase("done")
    finally:
        shutil.rmtree(opts.roots, ignore_errors=True)
    load.append(loadavg())
    out = report(opts, ticks, rounds, mem, cpu, req, react, idle, load,
                 time.monotonic() - t_start)
    print()
    print(out, end="")
    if opts.out:
        with open(opts.out, "w") as fh:
            fh.write(out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
