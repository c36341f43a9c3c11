"""Integration tests: the real xenballoond binary, on fake kernel files
(--root), against the real xenstored (tests/harness).

    make check-integration [T=NAME]     release build
    make check-asan [T=NAME]            ASan/UBSan build
    make check-valgrind [T=NAME]        release build under valgrind memcheck
                                        (--wrapper; time limits scaled x20)

The options, the result file and the fixtures (xsd, new_guest) are in
tests/conftest.py; the fake guest in tests/harness/guest.py.
"""

import os
import shutil
import signal
import time

import pytest

from guest import HOME, wait_for
from xs import Xenstored

VMSTAT_61 = "\n".join(
    ["nr_free_pages 12345", "nr_zone_inactive_anon 10", "nr_zone_active_anon 20"] +
    ["nr_filler_counter_%03d %d" % (i, i * 7) for i in range(150)] +
    ["pgpgin 1000", "pgpgout 2000", "pswpin 3", "pswpout 4", "pgfault 55555",
     "pgmajfault 66"]) + "\n"


@pytest.fixture
def guest(new_guest):
    """guest(xsd, conf, ...): a fake guest with a 6.1 kernel's files; the
    balloon's allocation is 57000 kB above MemTotal; XENBALLOON_GOAL=committed
    unless conf says otherwise."""
    def make(xsd, conf="", mem_total=200000, committed=50000, current=257000,
             target=None, static_max=None, legacy=False):
        g = new_guest(xsd, conf, legacy=legacy, static_max=static_max)
        # The cases check the 2009 rule's arithmetic (Committed_AS): a
        # config that names no goal gets XENBALLOON_GOAL=committed as its
        # last line (so the line numbers of its errors stay as written);
        # g.goal = None leaves it out.
        g.goal = "committed"
        plain_write = g.write_conf

        def write_conf(extra=""):
            if g.goal and "XENBALLOON_GOAL" not in extra:
                extra += ("" if extra.endswith("\n") or not extra else "\n") + \
                    "XENBALLOON_GOAL=%s\n" % g.goal
            plain_write(extra)
        g.write_conf = write_conf
        g.write_conf(conf)
        g.set_meminfo(mem_total, committed)
        g.put("proc/vmstat", VMSTAT_61)
        g.put("proc/uptime", "100.00 90.00\n")
        g.set_balloon(current, target if target is not None else current)
        return g
    return make


@pytest.fixture(scope="session")
def pause(opts):
    """Fixed pauses (where nothing must happen) under valgrind: x4."""
    return 4.0 if opts.wrapper else 1.0


@pytest.fixture(scope="session")
def slow(opts):
    """Time scale: valgrind runs everything ~30x slower."""
    return 20.0 if opts.wrapper else 1.0


# ---------------------------------------------------------------- tests
def test_directed_target_followed_fast(xsd, guest, slow):
    """dom0 writes memory/target; the balloon target follows within 1 s
    at interval 60 s, so only the watch can have done it. How fast it
    follows is measured by `make bench` (reaction p50/p99), not here: a
    bound of milliseconds fails on a loaded machine."""
    g = guest(xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=1\n", static_max=600000)
    with xsd.client() as c:
        g.start("--interval", "60")
        assert g.wait_log("xenstore: connected", 5 * slow), "daemon never connected"
        lat = []
        prev = 257000
        for i, tgt in enumerate([250000, 240000, 300000, 230000, 260000] * 4):
            g.set_balloon(current=prev)         # the kernel followed
            t0 = time.monotonic()
            c.write(HOME + "/memory/target", str(tgt))
            ok = wait_for(lambda: g.target() == tgt, 2 * slow, 0.0005)
            lat.append((time.monotonic() - t0) * 1000)
            assert ok, "write %d: target_kb %s, wanted %d" % (i, g.target(), tgt)
            prev = tgt
        st = wait_for(lambda: c.read(HOME + "/memory/selftarget") == b"260000",
                      2 * slow) and c.read(HOME + "/memory/selftarget")
        assert st == b"260000", "selftarget %r, wanted 260000" % st
    g.stop()
    lat.sort()
    limit = 1000 * slow
    assert lat[-1] < limit, "slowest reaction %.1f ms > %d ms" % (lat[-1], limit)
    return "20 writes: median %.2f ms, max %.2f ms (limit %d ms)" % (
        lat[len(lat) // 2], lat[-1], limit)


def test_directed_applied_as_is(xsd, guest):
    """Directed mode applies dom0's target at once, whatever the
    hysteresis (the kernel does too; stepping would fight it), within the
    floor; and selftarget reports a target the kernel already applied."""
    g = guest(xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=4\n"
              "XENBALLOON_AUTO_UPHYSTERESIS=4\nXENBALLOON_MINMEM=64\n",
              mem_total=390000, current=400000)
    with xsd.client() as c:
        c.write(HOME + "/memory/target", "200000")
        g.run("--once")
        assert g.target() == 200000, "down: target %s, wanted 200000" % g.target()
        g.set_balloon(200000, 200000)
        g.set_meminfo(190000, 50000)
        c.write(HOME + "/memory/target", "380000")
        g.run("--once")
        assert g.target() == 380000, "up: target %s, wanted 380000" % g.target()
        # Below the floor (64 MB + offset 10000 kB = 75536 kB): held there.
        g.set_balloon(380000, 380000)
        g.set_meminfo(370000, 50000)
        c.write(HOME + "/memory/target", "50000")
        g.run("--once")
        assert g.target() == 65536 + 10000, "floor: target %s" % g.target()
        # The kernel already applied it: nothing to write, selftarget still set.
        c.rm(HOME + "/memory/selftarget")
        g.set_balloon(300000, 300000)
        g.set_meminfo(290000, 50000)
        c.write(HOME + "/memory/target", "300000")
        g.run("--once")
        st = c.read(HOME + "/memory/selftarget")
        assert st == b"300000", "selftarget %r after the kernel applied 300000" % st
    return "200000 and 380000 applied in one tick with hysteresis 4; floor held"


def test_selfballoon_unit_conversion_and_floor(xsd, guest):
    """Selfballooning: goal = Committed_AS + (current_kb - MemTotal), never
    below the floor (in balloon units); converges without runaway."""
    g = guest(xsd, "XENBALLOON_SELF=true\n", mem_total=200000,
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
    assert min(seen) >= floor, "went below the floor: %d < %d" % (min(seen), floor)
    assert seen[0] == 257000 - (257000 - floor) // 10, (
        "first step %d, wanted %d" % (seen[0], 257000 - (257000 - floor) // 10))
    assert seen[-1] - floor < 10, "did not settle at the floor: %d vs %d" % (seen[-1], floor)
    with open(g.maxmem) as f:
        assert f.read().strip() == "200000", "maxmem mark not recorded"
    return "257000 -> %d kB in 100 ticks, floor %d kB" % (seen[-1], floor)


def test_selfballoon_key_honoured(xsd, guest, slow):
    """memory/selfballoon 1 turns selfballooning on over a config that
    says off, 0 turns it off over a config that says on."""
    g = guest(xsd, "XENBALLOON_SELF=false\n")
    with xsd.client() as c:
        g.run("--once")
        assert g.target() == 257000, "moved while off: %s" % g.target()
        c.write(HOME + "/memory/selfballoon", "1")
        g.run("--once")
        on_target = g.target()
        assert on_target < 257000, "did not selfballoon with selfballoon=1"
        g.set_balloon(257000)
        g.write_conf("XENBALLOON_SELF=true\n")
        c.write(HOME + "/memory/selfballoon", "0")
        g.run("--once")
        assert g.target() == 257000, "selfballooned with selfballoon=0: %s" % g.target()
        # And live: the watch switches mode without a restart.
        g.start("--interval", "0.2")
        assert g.wait_log("mode: idle", 5 * slow), "not idle with selfballoon=0"
        c.write(HOME + "/memory/selfballoon", "1")
        ok = wait_for(lambda: g.target_below(257000), 3 * slow)
        g.stop()
        assert ok, "live switch to selfballooning did not move the balloon"
    return "off->on moved to %d kB; on->off held 257000 kB" % on_target


def test_interval_and_hysteresis_overrides(xsd, guest, slow):
    """memory/interval changes the tick length; memory/downhysteresis and
    memory/uphysteresis change the step."""
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    floor = 147112
    with xsd.client() as c:
        c.write(HOME + "/memory/downhysteresis", "2")
        g.run("--once")
        assert g.target() == 257000 - (257000 - floor) // 2, (
            "down=2: %s" % g.target())
        g.set_balloon(150000)
        g.set_meminfo(150000 - 57000, 150000)     # goal 207000
        c.write(HOME + "/memory/uphysteresis", "4")
        g.run("--once")
        assert g.target() == 150000 + (207000 - 150000) // 4, "up=4: %s" % g.target()
        # Interval: count ticks through vmstat publications.
        c.rm(HOME + "/memory/downhysteresis")
        c.rm(HOME + "/memory/uphysteresis")
        counts = {}
        k = 0
        for iv in ("1", "3"):
            c.write(HOME + "/memory/interval", iv)
            # Only this daemon's publications count: under valgrind its
            # first can come after the window opens, and the previous
            # run's last one was counted as well. (k goes on counting, so
            # no value of this run can equal it.)
            before = c.read(HOME + "/memory/vmstat")
            g.start()
            assert g.wait_log("xenstore: connected", 5 * slow), "no connect"
            time.sleep(0.3)
            seen = set()
            end = time.monotonic() + 6.5
            while time.monotonic() < end:
                k += 1
                g.put("proc/vmstat", "pswpin %d\npswpout 1\n" % k)
                v = c.read(HOME + "/memory/vmstat")
                if v:
                    seen.add(v)
                time.sleep(0.05)
            g.stop()
            seen.discard(before)
            counts[iv] = len(seen)
        assert 5 <= counts["1"] <= 8, "interval 1: %d publications in 6.5 s" % counts["1"]
        assert 2 <= counts["3"] <= 3, "interval 3: %d publications in 6.5 s" % counts["3"]
    return "down=2, up=4 exact; publications in 6.5 s: interval 1 -> %d, 3 -> %d" % (
        counts["1"], counts["3"])


def test_stats_published_and_not_rewritten(xsd, guest, slow):
    """meminfo, vmstat (trimmed to fit 2048 bytes, key lines kept), uptime,
    selftarget published; an unchanged key is not written again."""
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    with xsd.client() as c:
        g.start("--interval", "0.1")
        ok = wait_for(lambda: c.read(HOME + "/memory/uptime"), 5 * slow)
        assert ok == b"100.00 90.00", "uptime %r" % ok
        mi = c.read(HOME + "/memory/meminfo")
        assert mi == g.get("proc/meminfo").encode(), "meminfo differs: %r" % mi
        vm = c.read(HOME + "/memory/vmstat")
        assert vm is not None and len(vm) <= 2048, "vmstat too long: %d" % len(vm or b"")
        for k in (b"pswpin 3", b"pswpout 4", b"pgpgin 1000", b"pgpgout 2000",
                  b"pgfault 55555", b"pgmajfault 66"):
            assert k + b"\n" in vm, "vmstat lost %r" % k
        assert len(VMSTAT_61) > 2048, "test vmstat should be over 2048 bytes"
        st = wait_for(lambda: c.read(HOME + "/memory/selftarget"), 3 * slow)
        assert st is not None and int(st) == g.target(), (
            "selftarget %r vs %s" % (st, g.target()))
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
        assert events == 0, "unchanged meminfo rewritten %d times in 1.5 s" % events
        g.set_meminfo(200000, 60000)
        assert wc.wait_watch(2.0 * slow), "changed meminfo not republished"
        wc.close()
    g.stop()
    return "vmstat %d of %d bytes kept; 0 rewrites of unchanged meminfo in 15 ticks" % (
        len(vm), len(VMSTAT_61))


def test_removed_stats_published_again(xsd, guest, slow):
    """A published value dom0 removes (a tool clearing a guest's figures,
    an administrator's xenstore-rm) is written again within a tick though
    it has not changed; so is the whole directory; an idle tick after
    that writes nothing (the daemon's own writes are not taken for
    removals)."""
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    keys = ("used", "goal", "selftarget", "meminfo", "mode")
    with xsd.client() as c:
        g.start("--interval", "1")
        assert wait_for(lambda: all(c.read(HOME + "/memory/" + k) for k in keys), 5 * slow), (
            "not all of %s published: %s" % (keys, [k for k in keys if not c.read(HOME + "/memory/" + k)]))
        g.set_balloon(g.target())                # settle the balloon
        time.sleep(2.5)
        before = {k: c.read(HOME + "/memory/" + k) for k in keys}
        back = {}
        for k in ("used", "goal", "selftarget"):
            c.rm(HOME + "/memory/" + k)
            t0 = time.monotonic()
            assert wait_for(lambda: c.read(HOME + "/memory/" + k) == before[k], 2.5 * slow, 0.01), (
                "memory/%s removed by dom0 not written again within a tick (now %r)" % (
                    k, c.read(HOME + "/memory/" + k)))
            back[k] = time.monotonic() - t0
        # The whole directory (dom0's keys there too, as a tool clearing
        # a guest would not, but an administrator might).
        for k in keys:
            c.rm(HOME + "/memory/" + k)
        assert wait_for(lambda: all(c.read(HOME + "/memory/" + k) for k in keys), 2.5 * slow, 0.01), (
            "after removing %s, not written again: %s" % (
                keys, [k for k in keys if not c.read(HOME + "/memory/" + k)]))
        # Settled again: an idle tick writes nothing.
        time.sleep(2.5)
        wc = xsd.client()
        wc.watch(HOME + "/memory/used", "u")
        wc.wait_watch(1.0)                       # the initial event
        events = 0
        end = time.monotonic() + 3
        while time.monotonic() < end:
            if wc.wait_watch(0.1):
                events += 1
        wc.close()
        assert events == 0, "unchanged memory/used rewritten %d times in 3 idle ticks" % events
    g.stop()
    return "used, goal, selftarget back %s s after xenstore-rm; all after the directory went" % (
        ", ".join("%.2f" % back[k] for k in ("used", "goal", "selftarget")))


def test_directed_publishes_for_dom0(xsd, guest, slow):
    """Directed (the pressure goal, not selfballooning): the daemon says
    it is directed, beats its heartbeat at least once a second whatever
    its tick, publishes the cache it would keep and the target it asks
    for, sampled as fast as when it selfballoons, and leaves the balloon
    where dom0 put it."""
    g = guest(xsd, "XENBALLOON_GOAL=pressure\n")
    g.set_balloon(457000)
    g.set_meminfo(400000, 50000, available=300000, file_kb=80000)
    with xsd.client() as c:
        c.write(HOME + "/memory/static-max", "600000")
        c.write(HOME + "/memory/target", "457000")
        g.start("--interval", "5")
        mem = HOME + "/memory/"
        assert wait_for(lambda: c.read(mem + "mode") == b"directed", 5 * slow), (
            "mode %r" % c.read(mem + "mode"))
        assert wait_for(lambda: c.read(mem + "goal") and c.read(mem + "workingset"), 3 * slow), (
            "goal %r workingset %r" % (c.read(mem + "goal"), c.read(mem + "workingset")))
        # All 80 MB of cache is kept at the first reading.
        assert int(c.read(mem + "workingset")) == 80000, c.read(mem + "workingset")
        beats = []
        end = time.monotonic() + 3.2
        while time.monotonic() < end:
            b = c.read(mem + "heartbeat")
            if b and (not beats or beats[-1] != b):
                beats.append(b)
            time.sleep(0.05)
        assert len(beats) >= 3, "heartbeat %s in 3.2 s at a 5 s tick" % beats
        assert [int(x) for x in beats] == sorted(int(x) for x in beats), beats
        # Use rises: 100000 in use + 80000 of kept cache + 32768 of
        # headroom is 212768 kB; to 390000 in use, the goal asks for
        # more than dom0's target, within about a second (the next
        # heartbeat sample, then every 250 ms).
        ask0 = int(c.read(mem + "goal"))
        assert ask0 <= 457000, "asked %d above the target with plenty free" % ask0
        t0 = time.monotonic()
        g.set_meminfo(400000, 50000, available=10000, file_kb=80000)
        assert wait_for(lambda: int(c.read(mem + "goal") or 0) > 457000, 2 * slow, 0.01), (
            "goal %r did not rise above the target" % c.read(mem + "goal"))
        t_ask = time.monotonic() - t0
        assert g.target() == 457000, "directed: the balloon moved to %s on its own" % g.target()
    g.stop()
    return "heartbeat %d beats in 3.2 s (tick 5 s); workingset 80000 kB; goal %d kB, above the " \
        "target %.2f s after use rose" % (len(beats), ask0, t_ask)


def test_send_zero_not_published(xsd, guest):
    """XENBALLOON_SEND_*=0 really means off (the original sent anyway)."""
    g = guest(xsd, "XENBALLOON_SELF=true\nXENBALLOON_SEND_MEMINFO=0\n"
              "XENBALLOON_SEND_VMSTAT=0\nXENBALLOON_SEND_UPTIME=0\n")
    g.run("--once")
    with xsd.client() as c:
        for k in ("meminfo", "vmstat", "uptime"):
            assert c.read(HOME + "/memory/" + k) is None, "%s published with SEND=0" % k
        assert c.read(HOME + "/memory/selftarget") is not None, "selftarget missing"
    return "meminfo, vmstat, uptime absent; selftarget present"


def test_garbage_values_ignored(xsd, guest, slow, pause):
    """Garbage in memory/target is never acted on, and logged once per change."""
    g = guest(xsd, "XENBALLOON_AUTO_DOWNHYSTERESIS=1\n", static_max=300000)
    bad = ["abc", "-5", "", "0x1000", "12 34", "99999999999999999999999",
           "400000", "1e6", "\n", "250000\n\n"]
    with xsd.client() as c:
        g.start("--interval", "0.05")
        assert g.wait_log("xenstore: connected", 5 * slow), "no connect"
        for v in bad:
            c.write(HOME + "/memory/target", v)
            time.sleep(0.25 * pause)
            assert g.target() == 257000, "acted on %r: target %s" % (v, g.target())
            assert g.proc.poll() is None, "daemon died on %r" % v
        for _ in range(2):      # the same bad value twice: one line
            c.write(HOME + "/memory/target", "abc")
            time.sleep(0.3 * pause)
        # On a loaded machine the last lines may come late: wait for them.
        wait_for(lambda: g.logtext().count("ignoring memory/target = \"") >= len(bad) and
                 "above memory/static-max" in g.logtext(), 5 * slow)
        log = g.logtext()
        ignored = log.count("ignoring memory/target = \"")
        # 400000 is above static-max: ignored by the engine, one line.
        above = log.count("above memory/static-max")
        c.write(HOME + "/memory/target", "250000")
        ok = wait_for(lambda: g.target() == 250000, 2 * slow)
    g.stop()
    assert ok, "a good value after garbage was not acted on"
    # 9 unparsable values, then "abc" twice (one line): 10 lines.
    assert ignored == len(bad), "%d 'ignoring' lines, wanted %d" % (ignored, len(bad))
    assert above == 1, "%d 'above static-max' lines" % above
    return "%d bad values ignored with %d log lines; good value followed" % (
        len(bad), ignored + above)


def test_xenstored_restart_reconnects(xsd, guest, slow):
    """xenstored killed and restarted mid-run: the daemon reconnects and
    republishes within 5 s; selfballooning goes on while it is away."""
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    g.start("--interval", "0.2")
    with xsd.client() as c:
        assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow), "no publish"
    times = []
    for round_ in range(2):
        xsd.kill()
        t_before = 300000 + round_ * 1000
        g.set_balloon(t_before, t_before)
        moved = wait_for(lambda: g.target_other_than(t_before), 3 * slow)
        assert moved, "selfballooning stopped while xenstore was away"
        xsd.start()
        t0 = time.monotonic()
        with xsd.client() as c:
            ok = wait_for(lambda: c.read(HOME + "/memory/meminfo"), 10 * slow, 0.01)
            times.append(time.monotonic() - t0)
        assert ok, "round %d: not republished after restart" % round_
        assert g.proc.poll() is None, "daemon exited"
    g.stop()
    assert max(times) < 5 * slow, "republished after %.2f s" % max(times)
    return "republished %.2f s and %.2f s after restarts" % tuple(times)


def trace_connections(trace_path, start=0):
    """{connection: set of request types} from the IN lines of a
    xenstored -T trace, from byte offset start."""
    conns = {}
    with open(trace_path, "rb") as f:
        f.seek(start)
        for line in f.read().decode(errors="replace").splitlines():
            w = line.split()
            if len(w) >= 5 and w[0] == "IN":
                conns.setdefault(w[1], set()).add(w[4])
    return conns


def xenstored_sockets(xsd):
    """Distinct sockets xenstored holds: its listening one and one per client."""
    inodes = set()
    d = "/proc/%d/fd" % xsd.pid
    for fd in os.listdir(d):
        try:
            t = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        if t.startswith("socket:"):
            inodes.add(t)
    return len(inodes)


def test_xenstored_restart_at_long_interval(xsd, guest, slow, pause):
    """--interval 60: xenstored killed is noticed within 1 s with one log
    line (no tick comes to notice it); after the restart everything is
    republished and dom0's new memory/target is followed within 2 s."""
    g = guest(xsd, static_max=600000)
    g.start("--interval", "60")
    with xsd.client() as c:
        c.write(HOME + "/memory/target", "250000")
        assert wait_for(lambda: g.target() == 250000, 5 * slow), "first target not followed"
        assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow), "never published"
    time.sleep(0.5 * pause)            # the first tick long done: 59 s to the next
    mark = g.mark()
    t_kill = time.monotonic()
    xsd.kill()
    noticed = wait_for(lambda: "connection" in g.logtext()[mark:], 3 * slow, 0.002)
    t_noticed = time.monotonic() - t_kill
    assert noticed, "xenstored's death not noticed in 3 s:\n" + g.logtext()[mark:]
    assert t_noticed < 1.0 * slow, "xenstored's death noticed after %.2f s" % t_noticed
    time.sleep(0.3)
    xsd.start()
    t0 = time.monotonic()
    with xsd.client() as c:
        # The new store is empty: the toolstack writes the keys again.
        def txn(t):
            c.write(HOME + "/memory/static-max", "600000", t)
            c.write(HOME + "/memory/target", "270000", t)
        c.transaction(txn)
        followed = wait_for(lambda: g.target() == 270000, 2 * slow, 0.002)
        t_follow = time.monotonic() - t0
        assert followed, "memory/target 270000 not followed within 2 s: target_kb %s" % (
            g.target())
        keys = ("meminfo", "vmstat", "uptime", "selftarget")
        repub = wait_for(lambda: all(c.read(HOME + "/memory/" + k) for k in keys),
                         2 * slow, 0.002)
        t_repub = time.monotonic() - t0
        assert repub, "not republished within 2 s: %s" % [
            k for k in keys if not c.read(HOME + "/memory/" + k)]
        # The reconnect publishes the last target at once; the one dom0
        # wrote after it follows with the balloon step it triggers.
        st_new = wait_for(lambda: c.read(HOME + "/memory/selftarget") == b"270000",
                          2 * slow, 0.002)
        st = c.read(HOME + "/memory/selftarget")
        assert st_new, "selftarget %r 2 s after the restart (want 270000)" % st
    assert g.proc.poll() is None, "daemon exited"
    log = g.logtext()[mark:]
    warns = [ln for ln in log.splitlines() if "warning" in ln or "error" in ln]
    assert len(warns) == 1, "%d warning lines for one loss (want 1):\n%s" % (len(warns), log)
    assert "xenstore" in warns[0], "the loss line does not say xenstore: %s" % warns[0]
    assert log.count("connected again") == 1, "not one 'connected again':\n" + log
    g.stop()
    return "loss noticed in %.0f ms; target followed %.0f ms, all republished %.0f ms " \
        "after xenstored was back" % (t_noticed * 1000, t_follow * 1000, t_repub * 1000)


def test_two_connections_reopened(case_dir, guest, slow):
    """Watches on one connection, requests and the transaction on the
    other (xenstored's -T trace names the connection of each request);
    after xenstored restarts, both are opened again the same way."""
    xsd = Xenstored(os.path.join(case_dir, "xsd"), trace=True)
    xsd.start()
    try:
        g = guest(xsd, "XENBALLOON_SELF=true\n")
        roles = []
        for round_ in range(2):
            start = 0                          # each xenstored writes a new trace
            if round_ == 0:
                start = os.path.getsize(xsd.trace_path)
                g.start("--interval", "60")
            with xsd.client() as c:
                assert wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow), (
                    "round %d: not published" % round_)
                # dom0's write: the watch fires, the daemon reads the key.
                c.write(HOME + "/memory/downhysteresis", str(5 + round_))
            assert g.wait_log("memory/downhysteresis = %d" % (5 + round_), 2 * slow), (
                "round %d: the watch did not fire" % round_)
            time.sleep(0.2)
            types = trace_connections(xsd.trace_path, start)
            watchers = [cn for cn, t in types.items() if "WATCH" in t]
            assert len(watchers) == 1, "round %d: watches from %d connections: %s" % (
                round_, len(watchers), types)
            w = watchers[0]
            assert types[w] == {"WATCH"}, "round %d: the watch connection also sent %s" % (
                round_, types[w] - {"WATCH"})
            # The test's own clients sent one READ or WRITE each.
            req = [cn for cn, t in types.items() if "TRANSACTION_START" in t]
            assert len(req) == 1, "round %d: transactions from %d connections: %s" % (
                round_, len(req), types)
            assert "READ" in types[req[0]], (
                "round %d: the keys were not read on the request connection: %s" % (
                    round_, types[req[0]]))
            # xenstored: its listening socket and the daemon's two.
            n = xenstored_sockets(xsd)
            assert n == 3, "round %d: xenstored holds %d sockets, wanted 3" % (round_, n)
            roles.append((w, req[0]))
            if round_ == 0:
                xsd.kill()
                assert g.wait_log("closed the connection", 1.0 * slow), "loss not noticed"
                os.unlink(xsd.trace_path)
                xsd.start()
                assert g.wait_log("connected again", 3 * slow), "not connected again"
        assert g.proc.poll() is None, "daemon exited"
        g.stop()
    finally:
        xsd.stop()
    return "watch connection %s / requests %s, then %s / %s after the restart" % (
        roles[0] + roles[1])


def test_xenstore_absent_at_start(case_dir, guest, slow):
    """No xenstored at start: selfballooning runs; when it appears the
    daemon connects and publishes."""
    xsd = Xenstored(os.path.join(case_dir, "xsd"))
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    g.start("--interval", "0.2")
    assert wait_for(lambda: g.target_other_than(257000), 3 * slow), (
        "no selfballooning without xenstore")
    xsd.start()
    try:
        with xsd.client() as c:
            ok = wait_for(lambda: c.read(HOME + "/memory/meminfo"), 5 * slow)
        assert ok, "never published after xenstored appeared"
    finally:
        g.stop()
        xsd.stop()
    return "ballooned alone, then connected and published"


def test_second_instance_refused(xsd, guest, slow, opts):
    g = guest(xsd, "")
    g.start("--interval", "1")
    assert wait_for(lambda: os.path.exists(g.pidfile) and open(g.pidfile).read().strip(),
                    5 * slow), "no pidfile"
    r = g.run("--once")
    pid = str(g.proc.pid)
    rc = g.stop()
    assert r.returncode == 1, "second instance exit %d" % r.returncode
    assert "already running as pid " in r.stderr, "message: %r" % r.stderr
    if not opts.wrapper:
        assert pid in r.stderr, "pid %s not named: %r" % (pid, r.stderr)
    assert rc == 0, "first instance exit %s on SIGTERM" % rc
    assert not os.path.exists(g.pidfile), "pidfile left after SIGTERM"
    # A stale pidfile (dead pid, no lock) does not block a start.
    with open(g.pidfile, "w") as f:
        f.write("999999\n")
    r = g.run("--once")
    assert r.returncode == 0, "stale pidfile blocked the start: %r" % r.stderr
    return "refused, exit 1, pid named; stale pidfile ignored"


def test_sighup_bad_config_keeps_old(xsd, guest, slow):
    """SIGHUP with a broken config keeps the old settings; a good one is
    applied."""
    g = guest(xsd, "XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=2\n")
    floor = 147112
    g.start("--interval", "0.1")
    assert wait_for(lambda: g.target() == 257000 - (257000 - floor) // 2, 3 * slow), (
        "first step with down=2: %s" % g.target())
    g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=0\n")
    g.signal(signal.SIGHUP)
    assert g.wait_log("keeping the previous configuration", 3 * slow), (
        "no 'keeping' log line")
    log = g.logtext()
    assert "XENBALLOON_AUTO_DOWNHYSTERESIS" in log and ":3:" in log, (
        "reload error does not name key and line")
    g.set_balloon(300000, 300000)
    g.set_meminfo(300000 - 57000, 50000)
    # maxmem now 243000: floor 40 + (60750 >> 10) = 99 MB = 101376 + 57000
    floor2 = 101376 + 57000
    want = 300000 - (300000 - floor2) // 2
    assert wait_for(lambda: g.target() == want, 3 * slow), (
        "old down=2 not kept: %s, wanted %d" % (g.target(), want))
    g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_AUTO_DOWNHYSTERESIS=5\n")
    g.signal(signal.SIGHUP)
    assert g.wait_log("reload: configuration", 3 * slow), "good config not loaded"
    g.set_balloon(300000, 300000)
    want5 = 300000 - (300000 - floor2) // 5
    assert wait_for(lambda: g.target() == want5, 3 * slow), (
        "new down=5 not applied: %s, wanted %d" % (g.target(), want5))
    g.signal(signal.SIGUSR1)
    assert g.wait_log("status: mode=self", 3 * slow), "no status line on SIGUSR1"
    rc = g.stop()
    assert rc == 0, "exit %s" % rc
    return "bad reload kept down=2; good reload applied down=5; SIGUSR1 status logged"


def test_dry_run_writes_nothing(xsd, guest):
    g = guest(xsd, "XENBALLOON_SELF=true\n")
    r = g.run("--dry-run", "--ticks", "3", "--interval", "0")
    assert r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr)
    assert g.target() == 257000, "dry run moved the balloon"
    assert not os.path.exists(g.maxmem), "dry run wrote the maxmem file"
    assert not os.path.exists(g.pidfile), "dry run wrote a pidfile"
    lines = [ln for ln in r.stderr.splitlines() if "dry-run: mode=self" in ln]
    assert len(lines) == 3, "%d decision lines for 3 ticks" % len(lines)
    for word in ("goal=", "current=257000", "floor=147112", "max=", "new=246012"):
        assert word in lines[0], "decision line lacks %r: %s" % (word, lines[0])
    with xsd.client() as c:
        assert c.read(HOME + "/memory/meminfo") is None, "dry run published"
    return lines[0].split("dry-run: ")[1]


def test_no_balloon_driver_exits_zero(guest):
    g = guest(None, "")
    shutil.rmtree(os.path.join(g.root, "sys"))
    r = g.run("--once")
    assert r.returncode == 0, "exit %d" % r.returncode
    assert "no balloon driver" in r.stderr, "message: %r" % r.stderr
    return r.stderr.strip().split("xenballoond: ")[-1][:80]


def test_legacy_balloon_driver(guest):
    """/proc/xen/balloon: read 'Current allocation', write bytes."""
    g = guest(None, "XENBALLOON_SELF=true\n", legacy=True)
    r = g.run("--once")
    assert r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr)
    assert "legacy" in r.stderr, "driver not named legacy: %r" % r.stderr
    txt = g.get("proc/xen/balloon").strip()
    assert txt == str(246012 * 1024), "wrote %r, wanted bytes %d" % (txt, 246012 * 1024)
    return "wrote %s bytes" % txt


def test_static_max_caps_growth(xsd, guest):
    g = guest(xsd, "XENBALLOON_SELF=true\n", committed=400000,
              static_max=280000)
    g.run("--once")
    assert g.target() == 280000, "target %s above static-max 280000" % g.target()
    return "goal 457000 kB capped at static-max 280000 kB"


def test_check_config_and_errors(guest):
    g = guest(None, "XENBALLOON_SELF=yes\nXENBALLOON_MINMEM=256\n")
    r = g.run("-n")
    assert r.returncode == 0, "exit %d" % r.returncode
    assert "XENBALLOON_SELF=true\n" in r.stdout and "XENBALLOON_MINMEM=256\n" in r.stdout, (
        "settings not printed: %r" % r.stdout)
    g.write_conf("# comment\nXENBALLOON_AUTO_UPHYSTERESIS=abc\n")
    r = g.run("-n")
    assert r.returncode == 1, "bad config exit %d" % r.returncode
    want = "%s:3: XENBALLOON_AUTO_UPHYSTERESIS:" % g.conf
    assert want in r.stderr, "error %r lacks %r" % (r.stderr, want)
    r = g.run("--once")
    assert r.returncode == 1, "daemon started with a bad config"
    return r.stderr.strip()


def test_misspelt_key_fails_check_not_daemon(guest):
    """A misspelt key: -n names the nearest key and exits 1; the daemon
    itself warns the same way and runs."""
    g = guest(None, "XENBALLOON_SELF=true\nXENBALLOON_SELFINTERVAL=5\n")
    r = g.run("-n")
    want = "%s:3: unknown key XENBALLOON_SELFINTERVAL, ignored " \
        "(did you mean XENBALLOON_SELF_INTERVAL?)" % g.conf
    assert r.returncode == 1, "-n exit %d on a misspelt key" % r.returncode
    assert want in r.stderr, "-n stderr %r lacks %r" % (r.stderr, want)
    assert "1 unknown XENBALLOON key" in r.stderr, "-n gives no count: %r" % r.stderr
    r = g.run("--once")
    assert r.returncode == 0, "daemon exit %d on a misspelt key: %r" % (r.returncode, r.stderr)
    assert want in r.stderr, "daemon stderr %r lacks %r" % (r.stderr, want)
    assert g.target() == 246012, "daemon did not run its tick: target %s" % g.target()
    g.write_conf("XENBALLOON_SELF=true\nOPTIONS=-v\n")
    r = g.run("-n")
    assert r.returncode == 0, "-n exit %d on a foreign key (OPTIONS)" % r.returncode
    return want.split(": ", 1)[1]


def test_systemd_notify_ready_watchdog_reload(guest, slow, opts):
    """Under systemd's notify protocol (a real datagram socket standing in
    for systemd): READY=1 only after the first tick moved the balloon,
    WATCHDOG=1 every half of WATCHDOG_USEC from the main loop (not the
    60 s tick), none while the process is stopped, and RELOADING=1 with
    MONOTONIC_USEC then READY=1 around a SIGHUP."""
    import socket
    g = guest(None, "XENBALLOON_SELF=true\n")
    path = os.path.join(g.dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5 * slow)
    msgs = []

    def recv():
        data = sock.recv(4096).decode()
        msgs.append((time.monotonic(), data, g.target()))
        return data

    def next_not_ping():
        m = recv()
        while m == "WATCHDOG=1":
            m = recv()
        return m

    base_env = g.env
    g.env = lambda: dict(base_env(), NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    try:
        g.start("--interval", "60")
        first = recv()
        assert first == "READY=1\nSTATUS=mode self, balloon target 246012 kB", (
            "first message %r" % first)
        assert msgs[0][2] == 246012, (
            "READY=1 before the first tick wrote the target (target_kb %s)" % msgs[0][2])
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.2 * slow:
            assert recv() == "WATCHDOG=1", "unexpected message %r" % msgs[-1][1]
        pings = [t for t, m, _ in msgs[1:]]
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        med = gaps[len(gaps) // 2]
        assert len(pings) >= 9 or opts.wrapper, "%d pings in 2.2 s, wanted 11" % len(pings)
        assert 0.15 <= med <= 0.25 * slow, "median ping gap %.3f s, wanted 0.2 s" % med
        # Stopped, it must not ping: that is what lets systemd restart it.
        g.signal(signal.SIGSTOP)
        time.sleep(0.1)
        sock.settimeout(0.05)
        while True:         # what was sent before the stop took hold
            try:
                sock.recv(4096)
            except socket.timeout:
                break
        sock.settimeout(1.0)
        try:
            stray = sock.recv(4096)
        except socket.timeout:
            stray = None
        g.signal(signal.SIGCONT)
        sock.settimeout(5 * slow)
        assert stray is None, "sent %r while stopped" % stray
        assert recv() == "WATCHDOG=1", "no ping after SIGCONT: %r" % msgs[-1][1]
        # Reload.
        before = time.monotonic_ns() // 1000
        g.signal(signal.SIGHUP)
        m = next_not_ping()
        after = time.monotonic_ns() // 1000
        lines = m.split("\n")
        assert lines[0] == "RELOADING=1" and len(lines) == 2 and \
            lines[1].startswith("MONOTONIC_USEC="), "reload message %r" % m
        usec = int(lines[1].split("=")[1])
        assert before <= usec <= after, "MONOTONIC_USEC %d outside [%d, %d]" % (
            usec, before, after)
        m = next_not_ping()
        assert m.startswith("READY=1\nSTATUS=mode self"), "after reload: %r" % m
        rc = g.stop()
        assert rc == 0, "exit %s" % rc
    finally:
        sock.close()
    return "READY=1 after the first write; %d pings, median gap %.0f ms (WATCHDOG_USEC " \
        "400 ms); silent while stopped; RELOADING=1 (MONOTONIC_USEC) then READY=1" % (
            len(pings), med * 1000)


# ------------------------------------------------ the pressure goal
PSI_QUIET = ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
             "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
OFFSET = 57000            # the balloon stands 57000 kB above MemTotal
HEADROOM = 32768          # the pressure goal's least headroom
SETTLED = 100000 + HEADROOM + OFFSET   # 100000 kB in use, nothing to move


def set_used(g, used, balloon_kb):
    """The balloon at balloon_kb (the kernel followed its target), MemTotal
    below it by the offset, `used` kB of it in use."""
    total = balloon_kb - OFFSET
    g.set_balloon(balloon_kb, balloon_kb)
    g.set_meminfo(total, 20000, available=max(total - used, 1))


@pytest.fixture
def pressure_guest(guest):
    """pressure_guest(xsd, used, target): selfballooning with the pressure
    goal, a floor of 64 MB, static-max 600000 kB, /proc/pressure/memory
    quiet (psi=False: none, a kernel without PSI)."""
    def make(xsd, used, target, extra="", psi=True):
        g = guest(xsd, "XENBALLOON_SELF=true\nXENBALLOON_GOAL=pressure\n"
                  "XENBALLOON_MINMEM=64\n" + extra,
                  mem_total=target - OFFSET, current=target, static_max=600000)
        set_used(g, used, target)
        if psi:
            os.makedirs(g.path("proc/pressure"), exist_ok=True)
            g.put("proc/pressure/memory", PSI_QUIET)
        return g
    return make


def test_pressure_goal_key(xsd, pressure_guest):
    """XENBALLOON_GOAL=pressure steers to memory in use + headroom (not
    Committed_AS), three quarters of the gap at once while quiet, and publishes PSI,
    use and goal; a bad value is refused naming the file, line and key;
    committed keeps the 2009 rule; without the key, pressure."""
    g = pressure_guest(xsd, used=100000, target=257000)
    r = g.run("-n")
    assert "XENBALLOON_GOAL=pressure\n" in r.stdout, "-n: %r" % r.stdout
    r = g.run("--once")
    # goal = 100000 + 32768 + 57000 = 189768; gap 67232, a quarter left: 206576
    assert g.target() == 206576, "pressure: target %s, wanted 206576\n%s" % (
        g.target(), r.stderr)
    with xsd.client() as c:
        pub = [c.read(HOME + "/memory/" + k) for k in ("pressure", "used", "goal")]
    assert pub == [PSI_QUIET.encode(), b"100000", b"189768"], "published %r" % pub
    # The 2009 rule on the same guest: Committed_AS 20000 + offset is under
    # the floor (64 MB + 57000 = 122536): 257000 - 134464/10.
    g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_GOAL=committed\nXENBALLOON_MINMEM=64\n")
    set_used(g, 100000, 257000)
    g.run("--once")
    assert g.target() == 257000 - (257000 - 122536) // 10, "committed: target %s" % g.target()
    # No XENBALLOON_GOAL at all (a file written for the Xen 3.4 scripts):
    # the pressure goal, the default.
    g.goal = None
    g.write_conf("XENBALLOON_SELF=true\nXENBALLOON_MINMEM=64\n")
    set_used(g, 100000, 257000)
    g.run("--once")
    assert g.target() == 206576, "default goal: target %s, wanted 206576" % g.target()
    g.write_conf("XENBALLOON_SELF=true\n\nXENBALLOON_GOAL=senpai\n")
    r = g.run("-n")
    want = "%s:4: XENBALLOON_GOAL: \"senpai\" is not a goal" % g.conf
    assert r.returncode == 1 and want in r.stderr, "bad goal: %d %r" % (r.returncode, r.stderr)
    return "pressure 257000 -> 206576 kB in one tick; committed -> %d; %s" % (
        257000 - (257000 - 122536) // 10, r.stderr.strip())


def test_pressure_without_psi_falls_back(xsd, pressure_guest, slow, pause):
    """No /proc/pressure/memory (a kernel without PSI): said once, and the
    goal works from MemAvailable alone."""
    g = pressure_guest(xsd, used=100000, target=257000, psi=False)
    g.start("--interval", "0.1")
    assert wait_for(lambda: g.target_other_than(257000), 5 * slow), "never moved without PSI"
    time.sleep(0.5 * pause)
    g.stop()
    log = g.logtext()
    lines = [x for x in log.splitlines() if "no pressure stall information" in x]
    assert len(lines) == 1, "fallback logged %d times:\n%s" % (len(lines), log[-2000:])
    assert "proc/pressure/memory" in lines[0] and "No such file" in lines[0], lines[0]
    return lines[0].split("xenballoond: ")[-1]


def test_pressure_grows_within_a_fraction_of_a_second(xsd, pressure_guest, slow):
    """A guest sized to its goal (MemAvailable within two headrooms) and
    one whose use rises are sampled every 250 ms; MemAvailable then
    falling under the headroom is met by a grow long before the next
    tick (2 s)."""
    g = pressure_guest(xsd, used=100000, target=SETTLED)
    g.start("--interval", str(2 * slow))
    assert g.wait_log("mode: self", 5 * slow), "no first tick"
    assert g.target() == SETTLED, "moved when settled: %s" % g.target()
    set_used(g, 102000, SETTLED)             # a small rise, no move needed
    assert g.wait_log("sampling every 250 ms", 5 * slow), "never sampled faster"
    t0 = time.monotonic()
    set_used(g, 130000, SETTLED)             # MemAvailable 2768 kB
    ok = wait_for(lambda: g.target_other_than(SETTLED), 2 * slow, 0.002)
    dt = (time.monotonic() - t0) * 1000
    g.stop()
    assert ok, "no grow:\n" + g.logtext()[-2000:]
    assert dt < 600 * slow, "grew after %.0f ms (limit %d)" % (dt, 600 * slow)
    # 28000 kB more in use within 250-500 ms: at least 56000 kB/s of
    # headroom, and as much again for the burst.
    want = 130000 + 2 * 56000 + OFFSET
    assert g.target() >= want, "grew to %s, wanted at least %d" % (g.target(), want)
    return "grew %d -> %d kB %.0f ms after MemAvailable fell (tick 2 s)" % (
        SETTLED, g.target(), dt)


def test_pressure_deadband_settled_guest_writes_nothing(xsd, pressure_guest, slow, pause):
    """A settled guest whose use wobbles by a few hundred kB writes no
    balloon target and no xenstore key, tick after tick: memory/used
    moves only by a MB or more."""
    g = pressure_guest(xsd, used=100000, target=SETTLED)
    g.start("--interval", "0.1")
    assert g.wait_log("mode: self", 5 * slow), "no first tick"
    for i in range(20):
        set_used(g, 100000 + (i % 4) * 300 - 400, SETTLED)
        mtime = os.stat(g.target_path).st_mtime_ns
        time.sleep(0.1 * pause)
        assert os.stat(g.target_path).st_mtime_ns == mtime and g.target() == SETTLED, (
            "wrote the balloon at wobble %d: %s" % (i, g.target()))
    with xsd.client() as c:
        st = c.read(HOME + "/memory/selftarget")
        used = c.read(HOME + "/memory/used")
        # A move of a MB or more is published at the next tick.
        set_used(g, 98500, SETTLED)
        moved = wait_for(lambda: c.read(HOME + "/memory/used") == b"98500", 5 * slow)
    g.stop()
    assert st == str(SETTLED).encode(), "selftarget %r" % st
    assert used == b"100000", "memory/used rewritten for a wobble under 1 MB: %r" % used
    assert moved, "memory/used not republished after a 1500 kB move"
    log = g.logtext()
    assert "pressure: grow" not in log and "pressure: shrink" not in log, (
        "moved:\n" + log[-2000:])
    return "20 wobbles of 300-900 kB around %d kB: no write; used 100000 -> 98500 published" % SETTLED


def test_pressure_shrinks_after_holdoff(xsd, pressure_guest, slow):
    """After a grow the guest holds its memory for the hold-off (3 s), then
    gives it back quickly once use has fallen."""
    g = pressure_guest(xsd, used=100000, target=SETTLED)
    g.start("--interval", "0.25")
    assert g.wait_log("mode: self", 5 * slow), "no first tick"
    set_used(g, 130000, SETTLED)
    assert wait_for(lambda: g.target_other_than(SETTLED), 2 * slow), "no grow"
    t_grow = time.monotonic()
    grown = g.target()
    set_used(g, 100000, grown)         # the load goes away at once
    assert wait_for(lambda: g.target_other_than(grown), 8 * slow, 0.01), "never shrank"
    held = time.monotonic() - t_grow
    first = g.target()
    g.stop()
    assert held >= 2.9, "shrank %.2f s after the grow (hold-off 3 s)" % held
    assert held < 4.5 * slow, "shrank only %.2f s after the grow" % held
    assert first < grown, "moved up instead: %d -> %d" % (grown, first)
    return "grew to %d, held %.2f s, then %d kB" % (grown, held, first)


def test_pressure_stall_grows(xsd, pressure_guest, slow):
    """Tasks stalling for memory (PSI "some" rising) grow a settled guest
    by its headroom even while MemAvailable looks fine."""
    g = pressure_guest(xsd, used=100000, target=SETTLED)
    g.start("--interval", "0.25")
    assert g.wait_log("mode: self", 5 * slow), "no first tick"
    total = 0
    end = time.monotonic() + 3 * slow
    while time.monotonic() < end and not g.target_other_than(SETTLED):
        total += 50000              # 50 ms of stall every 100 ms
        g.put("proc/pressure/memory", "some avg10=9.00 avg60=1.00 avg300=0.20 total=%d\n"
              "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n" % total)
        time.sleep(0.1)
    g.stop()
    assert g.target_other_than(SETTLED), "no grow on stall:\n" + g.logtext()[-2000:]
    assert g.target() >= SETTLED + HEADROOM, "grew to %s only" % g.target()
    return "stall grew %d -> %d kB" % (SETTLED, g.target())
