#!/usr/bin/python3
"""balancer.py - `make bench-balancer`: xenballoon-balancer as the number
of guests grows.

    balancer.py WORKDIR --balancer PATH --fakexl PATH --monitor PATH
                [--guests "10 50 200"] [--changes N] [--out FILE]

For each number of guests: the real xenstored (tests/harness), A
STAND-IN FOR THE HYPERVISOR (tests/balancer/fakexl.c preloaded into the
balancer, the fake host of tests/balancer/fakehv.py), and that many fake
guests publishing as a directed xenballoond does (mode, goal, pressure,
workingset, a heartbeat every second), on a host with memory to spare.

  1. Idle: the balancer's CPU a second while the guests only beat
     (every thread, /proc/PID/task/*/schedstat, ns), before and after
     the changes (the mean of the two).
  2. Changes: N published changes, each a rise of one guest's goal
     (16 to 64 MB, a random guest) followed by its fall back, a rise
     every 1/--rate s (10 a second: open loop, as guests would); CPU per
     published change = (CPU over the window - the idle rate x the
     window) / changes.
  3. Reaction: from just before a rise is written until the balancer's
     libxl_set_memory_target for it (the stand-in's clock, CLOCK_MONOTONIC),
     p50 / p99 / max over the rises.
  4. xenballoon-monitor: wall time of listing every guest (table and
     --json, the median of 5 runs each), the balancer's view included.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "harness"))
sys.path.insert(0, os.path.join(REPO, "tests", "balancer"))
sys.path.insert(0, HERE)

from bench import machine, pct, table  # noqa: E402
from fakehv import MB, Balancer, FakeHV, Guests  # noqa: E402
from guest import rmtree, wait_for  # noqa: E402
from xs import XS, Xenstored  # noqa: E402

GUEST_MB = 512
RESERVE_MB = 256


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat's first field)."""
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def run_one(opts, n, rng):
    work = os.path.join(opts.workdir, "g%d" % n)
    rmtree(work)
    os.makedirs(work)
    with Xenstored(os.path.join(work, "xsd")) as xsd:
        # Room for every guest to double, and the reserve.
        hv = FakeHV(os.path.join(work, "hv"), 1024 + n * GUEST_MB * 3 + RESERVE_MB, 1024)
        gs = Guests(xsd, hv, period=0.02)
        for d in range(1, n + 1):
            g = gs.add(d, GUEST_MB, static_max_mb=GUEST_MB * 4, delay=0.0)
            g.hb_period = 1.0
            g.next_hb = time.monotonic() + rng.random()     # spread the beats
        gs.start()
        bal = Balancer(work, opts.balancer, opts.fakexl, xsd, hv,
                       "XENBALLOON_BALANCER_RESERVE_MB=%d\n"
                       "XENBALLOON_BALANCER_MIN_PERCENT=0\n" % RESERVE_MB)
        bal.logf = open(bal.log, "ab")
        bal.proc = subprocess.Popen(bal.cmd("-d"), env=bal.env(), stdin=subprocess.DEVNULL,
                                    stdout=bal.logf, stderr=subprocess.STDOUT)
        xs = XS(xsd.socket_path)
        try:
            ok = wait_for(lambda: (xs.directory("/tool/xenballoon-balancer/dom") or []).__len__() == n,
                          30, 0.1)
            if not ok:
                raise RuntimeError("%d guests: the balancer did not publish them all" % n)
            time.sleep(2.0)
            pid = bal.proc.pid

            # 1. idle
            c0, t0 = cpu_ns(pid), time.monotonic()
            time.sleep(opts.idle)
            idle_rate = (cpu_ns(pid) - c0) / (time.monotonic() - t0)     # ns/s

            # 2 and 3. changes
            lat = []
            c0, t0 = cpu_ns(pid), time.monotonic()
            changes = 0
            # Open loop: a rise every 1/rate s (and its fall right after),
            # whatever the balancer does, as guests would.
            for i in range(opts.changes // 2):
                pause = t0 + i / opts.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                d = rng.randint(1, n)
                up = (GUEST_MB + rng.randint(16, 64)) * MB
                path = "/local/domain/%d/data/xenballoon/goal" % d
                start = time.monotonic_ns()
                xs.write(path, str(up))
                if not wait_for(lambda: hv.dom(d)["target"] == up, 5, 0.0005):
                    raise RuntimeError("%d guests: domain %d's rise not met in 5 s" % (n, d))
                lat.append((hv.dom(d)["last_set_ns"] - start) / 1e6)
                xs.write(path, str(GUEST_MB * MB))
                if not wait_for(lambda: hv.dom(d)["target"] == GUEST_MB * MB, 5, 0.0005):
                    raise RuntimeError("%d guests: domain %d's fall not met in 5 s" % (n, d))
                changes += 2
            window = time.monotonic() - t0
            busy = cpu_ns(pid) - c0
            # The idle rate again after the changes: the heartbeats' cost
            # moves a little, and at 200 guests it is half the window's CPU.
            c1, t1 = cpu_ns(pid), time.monotonic()
            time.sleep(opts.idle)
            idle_rate = (idle_rate + (cpu_ns(pid) - c1) / (time.monotonic() - t1)) / 2
            per_change = (busy - idle_rate * window) / changes / 1000.0        # us

            # 4. the monitor
            env = dict(os.environ, XENSTORED_PATH=xsd.socket_path,
                       XENBALLOON_MONITOR_XL="/nonexistent/xl")
            mon = {}
            for label, args in (("table", []), ("json", ["--json"])):
                times = []
                for _ in range(5):
                    t = time.monotonic()
                    r = subprocess.run([opts.monitor] + args, env=env, capture_output=True,
                                       timeout=60, check=True)
                    times.append((time.monotonic() - t) * 1000)
                    rows = [ln for ln in r.stdout.splitlines()
                            if b"managed" in ln and not ln.startswith(b"Balancer:")]
                    if label == "table" and len(rows) != n:
                        raise RuntimeError("%d guests: the monitor lists %d managed" %
                                           (n, len(rows)))
                mon[label] = statistics.median(times)
            sets = hv.set_calls()
        finally:
            xs.close()
            rc = bal.stop()
            gs.stop()
            hv.close()
        if rc != 0:
            raise RuntimeError("%d guests: the balancer exited %r" % (n, rc))
    return dict(n=n, idle_ms_s=idle_rate / 1e6, per_change_us=per_change, changes=changes,
                window=window, p50=pct(lat, 50), p99=pct(lat, 99), max=max(lat),
                mon_table=mon["table"], mon_json=mon["json"], sets=sets)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--balancer", required=True)
    ap.add_argument("--fakexl", required=True)
    ap.add_argument("--monitor", required=True)
    ap.add_argument("--guests", default="10 50 200")
    ap.add_argument("--changes", type=int, default=400)
    ap.add_argument("--idle", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=10.0, help="rises a second")
    ap.add_argument("--out", default="")
    ap.add_argument("--seed", type=int, default=20261206)
    opts = ap.parse_args()
    os.makedirs(opts.workdir, exist_ok=True)
    rng = random.Random(opts.seed)
    began = time.monotonic()
    rows = [["guests", "CPU per published change", "idle CPU (heartbeats only)",
             "reaction p50 / p99 / max", "xenballoon-monitor, table / --json",
             "changes (s)"]]
    results = []
    for n in [int(x) for x in opts.guests.split()]:
        r = run_one(opts, n, rng)
        results.append(r)
        rows.append([str(n), "%.0f us" % r["per_change_us"], "%.2f ms/s" % r["idle_ms_s"],
                     "%.1f / %.1f / %.1f ms" % (r["p50"], r["p99"], r["max"]),
                     "%.1f / %.1f ms" % (r["mon_table"], r["mon_json"]),
                     "%d (%.1f s)" % (r["changes"], r["window"])])
        print("bench-balancer: %d guests done" % n, file=sys.stderr)
    out = [table(rows), "",
           "Each change is one guest's published goal rising by 16-64 MB or falling back "
           "(a random guest, %g rises a second, each fall right after its rise was met); "
           "CPU per change" % opts.rate + " is the "
           "balancer's CPU over the changes (every thread, schedstat) less its idle rate (before and after), "
           "over the changes; reaction is from just before the rise is written to "
           "libxl_set_memory_target (the stand-in for the hypervisor, fakexl.c); the "
           "monitor lists every guest with the balancer's view (median of 5 runs, no xl).",
           "Guests: %d MB each, a heartbeat a second each, on a host with room to spare; "
           "real xenstored of Debian 12 (Xen 4.17); the hypervisor is a stand-in." % GUEST_MB,
           "Machine: %s; %.0f s." % (machine(), time.monotonic() - began)]
    text = "\n".join(out)
    print(text)
    if opts.out:
        with open(opts.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
