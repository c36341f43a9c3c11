#!/usr/bin/python3
"""Soak: the real xenballoond for 20000 ticks (--interval 0) under
valgrind memcheck against the real xenstored, which is killed once and
stopped once (two restarts) during the run; and (--san-daemon) the
ASan/UBSan build the same way with --interval 0.001 (natively a tick
without xenstore takes ~0.1 ms, and the budget would be gone before the
daemon has reconnected).

    make check-soak          both runs (--daemon under --wrapper, then
                             --san-daemon), --ticks 20000

While it runs, a fake kernel follows the balloon the way the real driver
does (current_kb and MemTotal move toward every target written, in steps
of at most 1 MiB), Committed_AS swings, vmstat and uptime change (so stats
are published in transactions), the preswap is shrunk, dom0 toggles
memory/selfballoon and writes garbage to memory/target, the config is
reloaded (good, then bad, then good), and /proc/meminfo vanishes once.
SIGUSR1 every 0.1 s reports the tick count, which times the events.

Asserted for each run: exit status 0 after exactly the ticks asked for
(valgrind's --error-exitcode turns any memcheck error, or a definite or
indirect leak, into 99; ASan/LSan/UBSan exit 99 or abort), no valgrind or
sanitizer message in the output, reconnected and republished after both
restarts, the reloads did what they should, no balloon target outside
[floor - 2 MiB, static-max]. The 2 MiB: the daemon reads MemTotal and
current_kb at two moments, and a balloon in motion moves between them
(at most two of the fake kernel's 1 MiB steps; the real driver moves in
batches of 2 MiB). Each of those checks is one test of each run; a run
happens once, before its first check.
"""

import os
import re
import signal
import threading
import time

import pytest

import test_faults as tf
from guest import rmtree

VALGRIND = ("valgrind --quiet --error-exitcode=99 --leak-check=full "
            "--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect")
KERNEL_STEP = 1024          # kB the fake balloon driver moves at a time
SLACK = 2 * KERNEL_STEP     # see the docstring


def soak(label, daemon, prefix, nticks, timeout, run_dir, interval=0):
    """One run; returns {check: (ok, text)}."""
    out = {}

    def result(key, ok, what):
        out[key] = (ok, what)

    env = tf.Env(run_dir, daemon, "")
    g = env.guest(preswap=5000)
    g.base_conf = g.base_conf.replace("XENBALLOON_AUTO_DOWNHYSTERESIS=1\n", "")
    conf_a = ("XENBALLOON_AUTO_DOWNHYSTERESIS=4\nXENBALLOON_PRESWAP_SHRINK=true\n"
              "XENBALLOON_PRESWAP_INERTIA=3\n")
    g.write_conf(conf_a)
    g.bounds = [(0.0, tf.FLOOR - SLACK, tf.STATIC_MAX)]
    stop = threading.Event()
    lock = threading.Lock()     # meminfo has two writers
    state = {"current": tf.CURRENT, "no-meminfo": False}

    def put_meminfo():
        with lock:
            if not state["no-meminfo"]:
                g.put("proc/meminfo", g.meminfo_text(g.committed, state["current"] - tf.OFFSET))

    def kernel():
        """The balloon driver: current_kb (and MemTotal with it) moves
        toward the target, KERNEL_STEP at a time."""
        k = 0
        while not stop.is_set():
            k += 1
            t = g.target()
            cur = state["current"]
            if t is not None and t != cur:
                step = max(-KERNEL_STEP, min(KERNEL_STEP, t - cur))
                state["current"] = cur + step
                g.put(tf.BALLOON + "/info/current_kb", "%d\n" % state["current"])
                put_meminfo()
            if k % 20 == 0:
                g.put("proc/vmstat", "pgpgin %d\npgpgout 2000\npswpin 3\npswpout 4\n"
                      "pgfault %d\npgmajfault 66\n" % (1000 + k, 5000 + k))
                g.put("proc/uptime", "%d.00 90.00\n" % (100 + k))
            time.sleep(0.002)

    def workload():
        """Committed_AS swings; dom0 pokes; the preswap grows again."""
        values = [60000, 180000, 120000, 240000, 90000, 200000]
        i = 0
        while not stop.is_set():
            i += 1
            g.committed = values[i % len(values)]
            put_meminfo()
            if i % 3 == 0:
                g.put(tf.PRESWAP, "%d\n" % (4000 + i))
            try:
                with env.xsd.client() as c:
                    if i % 4 == 0:
                        c.write(tf.HOME + "/memory/target", "garbage-%d\x00" % i)
                    if i % 7 == 0:
                        c.write(tf.HOME + "/memory/selfballoon", "0")
                    elif i % 7 == 1:
                        c.write(tf.HOME + "/memory/selfballoon", "1")
            except OSError:
                pass           # xenstored is being restarted
            stop.wait(0.25)

    def ticks():
        found = re.findall(r"status: .* ticks=(\d+)", g.logtext())
        return int(found[-1]) if found else 0

    t_start = time.monotonic()
    g.prefix = prefix
    g.start("--ticks", str(nticks), interval=interval)
    threads = [threading.Thread(target=kernel, daemon=True),
               threading.Thread(target=workload, daemon=True)]
    for t in threads:
        t.start()
    if prefix:
        try:
            exe = os.readlink("/proc/%d/exe" % g.proc.pid)
        except OSError as e:
            exe = str(e)
        result("memcheck", "memcheck" in exe, "the daemon runs under valgrind memcheck (%s)" % exe)

    # While xenstored is away a tick has nothing to wait for and the
    # daemon races through its budget, so the restarts come early and
    # xenstored is started again at once.
    plan = [(nticks * 15 // 100, "kill"), (nticks * 25 // 100, "hup-good"),
            (nticks * 30 // 100, "meminfo-vanish"), (nticks * 40 // 100, "stop"),
            (nticks * 55 // 100, "hup-bad"), (nticks * 65 // 100, "hup-restore")]
    restarts = []
    deadline = t_start + timeout
    rc = None
    while time.monotonic() < deadline:
        rc = g.proc.poll()
        if rc is not None:
            break
        try:
            g.proc.send_signal(signal.SIGUSR1)
        except OSError:
            pass
        time.sleep(0.1)
        n = ticks()
        if not plan or n < plan[0][0]:
            continue
        # One event at a time, each waited for: two SIGHUPs sent together
        # would be delivered as one.
        _at, what = plan.pop(0)
        m = g.mark()
        if what in ("kill", "stop"):
            if what == "kill":
                env.xsd.kill()
            else:
                env.xsd.stop()
            env.xsd.start()
            t0 = time.monotonic()
            with env.xsd.client() as c:
                c.write(tf.HOME + "/memory/static-max", str(tf.STATIC_MAX))
                ok = tf.wait_for(lambda: c.read(tf.HOME + "/memory/meminfo") or
                                 g.proc.poll() is not None, 30, 0.02)
                ok = ok and g.proc.poll() is None
            took = time.monotonic() - t0
            restarts.append((what, n, ok))
            print("  %s: xenstored %s at tick %d, republished %s" % (
                label, "killed" if what == "kill" else "stopped", n,
                "%.2f s after the restart" % took if ok else
                "NOT within 30 s" if g.proc.poll() is None else
                "NOT: the daemon ran out of ticks first"), flush=True)
        elif what == "meminfo-vanish":
            with lock:
                state["no-meminfo"] = True
                os.unlink(g.path("proc/meminfo"))
            time.sleep(0.3)
            with lock:
                state["no-meminfo"] = False
            put_meminfo()
            print("  %s: /proc/meminfo gone for 0.3 s at tick %d" % (label, n), flush=True)
        else:
            if what == "hup-good":
                g.write_conf("XENBALLOON_AUTO_DOWNHYSTERESIS=3\nXENBALLOON_PRESWAP_SHRINK=true\n"
                             "XENBALLOON_PRESWAP_INERTIA=2\n")
            elif what == "hup-bad":
                with open(g.conf, "a") as f:
                    f.write("XENBALLOON_AUTO_UPHYSTERESIS=0\n")
            else:
                g.write_conf(conf_a)
            g.signal_hup()
            g.wait_log("reload: ", since=m, timeout=10)
            print("  %s: SIGHUP (%s config) at tick %d" % (
                label, "bad" if what == "hup-bad" else "good", n), flush=True)
    elapsed = time.monotonic() - t_start
    stop.set()
    for t in threads:
        t.join()
    if rc is None:
        rc = g.stop(timeout=30)
        result("exit", False, "still running after %.0f s (tick %d of %d): stopped, status %s" % (
            timeout, ticks(), nticks, rc))
    else:
        g.stop()
        result("exit", rc == 0, "exit status %s after %d ticks in %.1f s (%.2f ms a tick)" % (
            rc, nticks, elapsed, elapsed * 1000 / nticks))
    log = g.logtext()
    bad = [ln for ln in log.splitlines() if re.match(r"==\d+==", ln) or
           "Sanitizer" in ln or "runtime error:" in ln]
    result("reports", not bad, "no %s report%s" % ("valgrind" if prefix else "sanitizer",
                                        ("\n" + "\n".join(bad[:60])) if bad else ""))
    result("events", len(plan) == 0, "every event happened (%s left)" % [p[1] for p in plan])
    result("restarts", len(restarts) == 2 and all(r[2] for r in restarts),
           "two xenstored restarts (%s), republished after each" % ", ".join(
               "%s at tick %d" % (r[0], r[1]) for r in restarts))
    again = log.count("xenstore: connected again")
    result("again", again == 2, "'connected again' logged %d times (want 2)" % again)
    result("reloads", "keeping the previous configuration" in log and
           log.count("reload: configuration") == 2, "reloads: good, bad (kept the old one), good")
    wrong = g.wrong_writes()
    seen = len(g.samples)
    result("bounds", not wrong, "%d balloon targets seen, %d outside [%d, %d]%s" % (
        seen, len(wrong), tf.FLOOR - SLACK, tf.STATIC_MAX,
        (": " + "; ".join(wrong[:5])) if wrong else ""))
    result("moved", seen > 50, "the balloon moved (%d targets seen)" % seen)
    env.close()
    return out


# Natively a tick without xenstore takes ~0.1 ms: a 1 ms interval keeps
# the ASan run's budget from melting away during the restarts.
RUNS = {"valgrind": 0, "asan": 0.001}      # --interval of each run
TIMEOUT_S = 300.0


def pytest_generate_tests(metafunc):
    """Every check against both runs; the memcheck one against valgrind's."""
    if "soak_run" in metafunc.fixturenames:
        only = getattr(metafunc.function, "runs", list(RUNS))
        metafunc.parametrize("soak_run", only, indirect=True, scope="module")


@pytest.fixture(scope="module")
def soak_run(request, opts, workdir, report):
    """The run named by the parameter, once: {check: (ok, text)}."""
    label = request.param
    if label == "valgrind":
        daemon, prefix = opts.daemon, (opts.wrapper or VALGRIND).split()
    else:
        if not opts.san_daemon:
            pytest.fail("the asan run needs --san-daemon")
        daemon, prefix = opts.san_daemon, []
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=99")
        os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    run_dir = os.path.join(workdir, label)
    rmtree(run_dir)
    os.makedirs(run_dir)
    t0 = time.monotonic()
    out = soak(label, os.path.abspath(daemon), prefix, opts.ticks, TIMEOUT_S, run_dir,
               interval=RUNS[label])
    report("soak %s: %.0f s; %s" % (label, time.monotonic() - t0, out["exit"][1]))
    return out


def outcome(soak_run, key):
    assert key in soak_run, "the run ended before this check"
    ok, text = soak_run[key]
    assert ok, text
    return text


def test_daemon_runs_under_memcheck(soak_run):
    return outcome(soak_run, "memcheck")


test_daemon_runs_under_memcheck.runs = ["valgrind"]


def test_exit_status_after_the_ticks(soak_run):
    return outcome(soak_run, "exit")


def test_no_memory_error_report(soak_run):
    return outcome(soak_run, "reports")


def test_every_event_happened(soak_run):
    return outcome(soak_run, "events")


def test_two_restarts_republished(soak_run):
    return outcome(soak_run, "restarts")


def test_connected_again_logged_twice(soak_run):
    return outcome(soak_run, "again")


def test_reloads_good_bad_good(soak_run):
    return outcome(soak_run, "reloads")


def test_targets_within_bounds(soak_run):
    return outcome(soak_run, "bounds")


def test_balloon_moved(soak_run):
    return outcome(soak_run, "moved")
