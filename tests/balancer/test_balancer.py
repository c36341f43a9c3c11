"""Integration tests of xenballoon-balancer: the real binary against the
real xenstored (tests/harness), with A STAND-IN FOR THE HYPERVISOR:
tests/balancer/fakexl.c, preloaded, answers the balancer's few libxl
calls from a fake host (tests/balancer/fakehv.py) whose fake guests
publish what a directed xenballoond publishes and follow the targets set.
This checks the balancer's logic, its xenstore traffic and its
robustness; the real libxl in a real Xen host is the end-to-end test's.

    make check-balancer [T=NAME]            release build
    make check-balancer-asan [T=NAME]       ASan/UBSan build
    make check-balancer-valgrind [T=NAME]   under valgrind (times scaled)

Options, result file and shared fixtures: tests/conftest.py. Figures in
MB unless named _kb.
"""

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from fakehv import MB, Balancer, FakeHV, Guests, pressure_text, view
from guest import wait_for
from xs import XS

RESERVE = 256


@pytest.fixture(scope="session")
def slow(opts):
    """Time scale: valgrind runs the balancer ~20x slower."""
    return 10.0 if opts.wrapper else 1.0


class Host:
    """One case's world: xenstored, the fake host, its guests, balancers."""

    def __init__(self, case_dir, xsd, opts, total_mb=8192, dom0_mb=1024):
        self.dir = case_dir
        self.xsd = xsd
        self.opts = opts
        self.hv = FakeHV(os.path.join(case_dir, "hv"), total_mb, dom0_mb)
        self.guests = Guests(xsd, self.hv)
        self.guests.start()
        self.xs = XS(xsd.socket_path)
        self.bals = []

    def balancer(self, conf="", name="bal", start=True, extra=()):
        b = Balancer(self.dir, os.path.abspath(self.opts.balancer),
                     os.path.abspath(self.opts.fakexl), self.xsd, self.hv,
                     "XENBALLOON_BALANCER_RESERVE_MB=%d\n" % RESERVE + conf,
                     wrapper=self.opts.wrapper, name=name)
        self.bals.append(b)
        if start:
            b.start(*extra)
        return b

    def goal(self, domid, mb, prefix="data/xenballoon"):
        self.xs.write("/local/domain/%d/%s/goal" % (domid, prefix), str(int(mb * MB)))

    def stall(self, domid, on=True):
        self.xs.write("/local/domain/%d/data/xenballoon/pressure" % domid,
                      pressure_text(25.0 if on else 0.0, 10**9 if on else 0))

    def target(self, domid):
        v = self.xs.read("/local/domain/%d/memory/target" % domid)
        return int(v) if v is not None else None

    def view(self, domid):
        return view(self.xs, domid)

    def state(self, domid):
        v = self.view(domid)
        return v.get("state") if v else None

    def close(self):
        """Every balancer still running is stopped with SIGTERM and must
        exit 0 (under valgrind and ASan: without a report)."""
        bad = []
        for b in self.bals:
            if b.proc is not None:
                rc = b.stop()
                if rc != 0:
                    bad.append((b.log, rc))
        self.guests.stop()
        self.xs.close()
        self.hv.close()
        assert not self.guests.errors, self.guests.errors
        assert not bad, "balancers that did not exit 0: %r" % bad


@pytest.fixture
def host(case_dir, xsd, opts):
    h = Host(case_dir, xsd, opts)
    yield h
    h.close()


def mb(kb):
    return kb / MB


def settled(h, domid, want_mb, timeout):
    return wait_for(lambda: h.target(domid) == want_mb * MB and
                    h.hv.dom(domid)["cur"] == want_mb * MB, timeout, 0.02)


# ---------------------------------------------------------------- cases
def test_plentiful_gives_goal_keeps_rest_free(host, slow):
    """Memory to spare: a guest's goal is met at once; nothing else moves
    and the rest stays free."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed" and host.state(2) == "managed", 5 * slow)
    t0 = time.monotonic()
    host.goal(1, 1536)
    assert wait_for(lambda: host.target(1) == 1536 * MB, 2 * slow), b.logtext()
    took = time.monotonic() - t0
    assert settled(host, 1, 1536, 3 * slow)
    assert host.target(2) == 1024 * MB
    # 8192 - 1024 dom0 - 1536 - 1024 = 4608 MB free: the rest stays free.
    assert mb(host.hv.free_kb()) == 4608
    assert b.stop() == 0
    return "goal met in %.0f ms" % (took * 1000)


def test_shortage_shares_by_weight_and_floor(host, slow):
    """At the reserve, three guests that all ask for their maximum share
    what there is 2:1:1 above their floors."""
    host.hv.set_total(1024 + 3 * 1000 + RESERVE)
    for d, w in ((1, 200), (2, 100), (3, 100)):
        host.guests.add(d, 1000, static_max_mb=4000, goal_mb=1000)
        host.xs.write("/local/domain/%d/memory/balancer-weight" % d, str(w))
        host.xs.write("/local/domain/%d/memory/balancer-min-mb" % d, "200")
    b = host.balancer()
    assert wait_for(lambda: host.state(3) == "managed", 5 * slow)
    for d in (1, 2, 3):
        host.goal(d, 4000)
    # pool 3000, floors 600: 2400 shared 2:1:1 -> 1400, 800, 800.
    for d, want in ((1, 1400), (2, 800), (3, 800)):
        assert wait_for(lambda: settled(host, d, want, 0), 10 * slow), \
            (d, host.target(d), b.logtext()[-2000:])
    assert mb(host.hv.free_kb()) == RESERVE
    v = host.view(1)
    assert v["weight"] == 200 and v["min_kb"] == 200 * MB and v["share_kb"] == 1400 * MB


def test_burst_met_from_the_others(host, slow, report):
    """The host at its reserve, one guest bursts: the others give, and
    its target grows within 1 s of its rise."""
    host.hv.set_total(1024 + 512 + 1536 + 1536 + RESERVE)
    host.guests.add(1, 512, static_max_mb=4096)
    host.guests.add(2, 1536, static_max_mb=4096)
    host.guests.add(3, 1536, static_max_mb=4096)
    b = host.balancer("XENBALLOON_BALANCER_MIN_MB=256\nXENBALLOON_BALANCER_MIN_PERCENT=0\n")
    assert wait_for(lambda: host.state(3) == "managed", 5 * slow)
    time.sleep(0.3)
    t0 = time.monotonic_ns()
    host.goal(1, 1024)
    assert wait_for(lambda: host.target(1) > 512 * MB, 2 * slow), b.logtext()
    first = (host.hv.dom(1)["last_set_ns"] - t0) / 1e6
    # pool 3584, floors 768: A 1024, B and C 1280.
    assert wait_for(lambda: settled(host, 1, 1024, 0), 5 * slow), b.logtext()[-2000:]
    assert host.target(2) == 1280 * MB and host.target(3) == 1280 * MB
    assert mb(host.hv.free_kb()) >= RESERVE
    if not host.opts.wrapper:
        assert first < 1000, "first growth after %.0f ms" % first
    report("burst: first growth %.0f ms after the rise (donors follow after 100 ms)" % first)


def test_liar_gets_its_weighted_share_only(host, slow):
    """A guest that claims its maximum and a constant stall, beside two
    honest ones: it gets its weighted part, no more; the honest guests
    get what they need; dom0's reserve stays free."""
    host.hv.set_total(1024 + 3 * 1500 + RESERVE)
    host.guests.add(1, 1500, static_max_mb=8000)
    host.guests.add(2, 1500, static_max_mb=8000)
    host.guests.add(3, 1500, static_max_mb=8000)
    b = host.balancer("XENBALLOON_BALANCER_MIN_MB=200\nXENBALLOON_BALANCER_MIN_PERCENT=0\n")
    assert wait_for(lambda: host.state(3) == "managed", 5 * slow)
    host.goal(1, 8000)
    host.stall(1)
    host.goal(2, 1200)
    host.goal(3, 1400)
    # pool 4500, floors 600: R 3900, parts 1300: the honest need 1000
    # and 1200 -> get them; the liar gets the other 1700 + 200 = 2300... of
    # which it may have only its own part once the others ask: here they
    # asked less, so the liar takes what they left, and never the reserve.
    assert wait_for(lambda: host.target(2) == 1200 * MB and host.target(3) == 1400 * MB,
                    5 * slow), b.logtext()[-2000:]
    assert wait_for(lambda: settled(host, 1, 1900, 0), 5 * slow), host.target(1)
    assert mb(host.hv.free_kb()) == RESERVE
    # Now the honest guests want more than their part: the liar is cut
    # to its part (1500), theirs grow to it.
    host.goal(2, 3000)
    host.goal(3, 3000)
    assert wait_for(lambda: all(settled(host, d, 1500, 0) for d in (1, 2, 3)), 10 * slow), \
        [host.target(d) for d in (1, 2, 3)]
    assert mb(host.hv.free_kb()) == RESERVE


def test_stalling_guest_grows_first(host, slow):
    """Two guests want more than is free; the stalling one is served first."""
    host.hv.set_total(1024 + 1000 + 1000 + RESERVE + 100)
    host.guests.add(1, 1000, static_max_mb=4000)
    host.guests.add(2, 1000, static_max_mb=4000)
    b = host.balancer()
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    host.stall(2)
    time.sleep(0.2 * slow)
    # Both rises in one transaction: one allocation sees them together.
    host.xs.transaction(lambda t: [host.xs.write(
        "/local/domain/%d/data/xenballoon/goal" % d, str(1100 * MB), t) for d in (1, 2)])
    # pool 2100 < 2200: shares 1050 each (floors 1000, a quarter of
    # static-max); 100 free: both fit, but B (stalling) is set first.
    assert wait_for(lambda: settled(host, 1, 1050, 0) and settled(host, 2, 1050, 0), 5 * slow), \
        b.logtext()[-2000:]
    assert host.hv.dom(2)["last_set_ns"] <= host.hv.dom(1)["last_set_ns"]


def test_hvm_video_memory_kept_out_of_the_target(host, slow):
    """An HVM guest's video memory (memory/videoram) is held beside its
    target: libxl takes it off what it is given, and the balancer counts
    the allocation without it (no false "does not follow")."""
    host.guests.add(1, 1024, videoram_mb=16)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed", 5 * slow)
    host.goal(1, 1300)
    assert wait_for(lambda: host.target(1) == 1300 * MB, 3 * slow), b.logtext()
    assert wait_for(lambda: host.hv.dom(1)["cur"] == (1300 + 16) * MB, 3 * slow)
    host.goal(1, 1100)
    assert wait_for(lambda: settled_vram(host, 1, 1100, 16), 3 * slow), b.logtext()
    time.sleep(5.0 * slow)
    assert host.state(1) == "managed" and "does not follow" not in b.logtext()


def settled_vram(h, domid, want_mb, vram_mb):
    return h.target(domid) == want_mb * MB and h.hv.dom(domid)["cur"] == (want_mb + vram_mb) * MB


def test_steady_host_stops_writing(host, slow):
    """Once settled, no target is written again."""
    for d in (1, 2, 3):
        host.guests.add(d, 1024)
    b = host.balancer()
    host.goal(1, 1300)
    assert wait_for(lambda: settled(host, 1, 1300, 0), 5 * slow)
    time.sleep(0.5 * slow)
    before = host.hv.set_calls()
    time.sleep(3 * slow)
    assert host.hv.set_calls() == before, b.logtext()[-2000:]
    return "no target written in 3 s of a steady host"


def test_unmanaged_guests_left_alone(host, slow):
    """A selfballooning guest, a guest without the daemon and an idle one
    are shown as such; their targets are never written."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024, directed=False)
    host.guests.add(3, 1024)
    host.xs.write("/local/domain/3/data/xenballoon/mode", "self")
    host.guests.add(4, 1024)
    host.xs.write("/local/domain/4/data/xenballoon/mode", "idle")
    host.balancer()
    assert wait_for(lambda: host.state(2) == "no-daemon" and host.state(3) == "self" and
                    host.state(4) == "idle" and host.state(1) == "managed", 5 * slow)
    host.goal(3, 3000)
    host.goal(1, 1100)
    assert wait_for(lambda: host.target(1) == 1100 * MB, 3 * slow)
    time.sleep(0.5 * slow)
    for d in (2, 3, 4):
        assert host.hv.dom(d)["sets"] == 0


def test_garbage_ignored_with_one_line(host, slow):
    """Garbage in a guest's keys: ignored, one log line per kind, the last
    good goal stands, the others are served."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed", 5 * slow)
    host.goal(1, 1200)
    assert wait_for(lambda: host.target(1) == 1200 * MB, 3 * slow)
    p = "/local/domain/1/data/xenballoon/"
    for key, value in (("goal", "lots"), ("goal", "9" * 4000),
                       ("mode", "\x1b[2Jdirected"),
                       ("pressure", "some avg10=999.99 total=-1\n" + "A" * 3000)):
        for _ in range(4):
            host.xs.write(p + key, value)
            time.sleep(0.08 * slow)
    host.goal(2, 1300)
    assert wait_for(lambda: host.target(2) == 1300 * MB, 3 * slow)
    time.sleep(0.3 * slow)
    log = b.logtext()
    assert host.target(1) == 1200 * MB
    assert log.count("domain 1: data/xenballoon/goal: not a decimal number; ignored") == 1, log
    assert log.count("data/xenballoon/goal: too long; ignored") == 1, log
    assert log.count("domain 1: data/xenballoon/mode") == 1, log
    assert log.count("domain 1: data/xenballoon/pressure") == 1, log
    assert "\x1b" not in log


def test_flood_does_not_slow_the_others(host, slow, report):
    """A guest rewrites its keys thousands of times a second (and junk
    keys of 4 kB): an honest guest's rise is still met within 1 s; the
    flood is read at most READS_PER_SECOND times a second and said once."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    stop = threading.Event()
    writes = [0]

    def flood():
        with XS(host.xsd.socket_path) as c:
            i = 0
            while not stop.is_set():
                i += 1
                c.write("/local/domain/1/data/xenballoon/goal", str((1024 + i % 64) * MB))
                c.write("/local/domain/1/data/xenballoon/junk%d" % (i % 50), "x" * 4000)
                writes[0] += 2
    threads = [threading.Thread(target=flood) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        worst = 0
        for k in range(5):
            t0 = time.monotonic_ns()
            host.goal(2, 1100 + 20 * k)
            assert wait_for(lambda: host.target(2) == (1100 + 20 * k) * MB, 2 * slow), \
                b.logtext()[-2000:]
            worst = max(worst, (host.hv.dom(2)["last_set_ns"] - t0) / 1e6)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert b.logtext().count("domain 1 writes its keys faster") == 1
    if not host.opts.wrapper:
        assert worst < 1000
    report("flood of %d writes: the honest guest's rises met within %.0f ms (worst of 5)"
           % (writes[0], worst))


def refusing_guest(host, slow):
    """Guest 1 holds 2048 MB and asks for 1024, guest 2 holds 1024; guest 1
    refuses to move. Its balancer, and when its target was lowered."""
    host.hv.set_total(1024 + 2048 + 1024 + RESERVE)
    host.guests.add(1, 2048, static_max_mb=4096)
    host.guests.add(2, 1024, static_max_mb=4096)
    b = host.balancer("XENBALLOON_BALANCER_MIN_PERCENT=0\n")
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    host.guests.get(1).follow = False
    host.goal(1, 1024)
    t0 = time.monotonic()
    assert wait_for(lambda: host.target(1) == 1024 * MB, 3 * slow)
    return b, t0


def test_refusing_guest_frozen_others_go_on(host, slow):
    """A guest that does not follow a lowered target is noticed within
    5 s, frozen (no further squeeze), logged once; the others go on."""
    b, t0 = refusing_guest(host, slow)
    assert b.wait_log("domain 1 (guest1) does not follow its target", 8 * slow), b.logtext()
    took = time.monotonic() - t0
    assert wait_for(lambda: host.state(1) == "frozen", 2 * slow)
    if not host.opts.wrapper:
        assert took < 6.0
    # Frozen: not squeezed further, its memory counted as taken; B grows
    # only from what is really free (none beyond the reserve).
    host.goal(1, 512)
    host.goal(2, 2048)
    time.sleep(1.0 * slow)
    assert host.target(1) == 1024 * MB
    assert mb(host.hv.free_kb()) >= RESERVE
    # It follows after all: back to managed, and B gets its memory.
    host.guests.get(1).follow = True
    assert b.wait_log("domain 1 (guest1) follows its target again", 5 * slow)
    assert wait_for(lambda: settled(host, 2, 2048, 0), 5 * slow), b.logtext()[-2000:]
    assert b.logtext().count("does not follow its target") == 1
    return "frozen %.1f s after its target was lowered" % took


def test_frozen_guest_rejoins_when_its_share_covers_it(host, slow):
    """A guest frozen because it kept memory a lowered target asked for
    rejoins once its share covers what it holds (here: it asks for what
    it holds again, and the host has it): its target goes back up at
    once, though no memory is free, and it is not frozen again."""
    b, _ = refusing_guest(host, slow)
    assert wait_for(lambda: host.state(1) == "frozen", 8 * slow), b.logtext()
    # It asks for what it holds again (it still refuses to move): the
    # host has it (guest 1's 2048 and guest 2's 1024 fit), so it rejoins.
    host.goal(1, 2048)
    t0 = time.monotonic()
    assert b.wait_log("domain 1 (guest1): its share", 5 * slow), b.logtext()[-2000:]
    assert wait_for(lambda: host.target(1) >= 2048 * MB - 8 * MB, 3 * slow), b.logtext()[-2000:]
    took = time.monotonic() - t0
    assert host.state(1) == "managed"
    assert mb(host.hv.free_kb()) >= RESERVE
    time.sleep(6.0 * slow)
    assert host.state(1) == "managed", b.logtext()[-2000:]
    assert b.logtext().count("does not follow its target") == 1, b.logtext()[-2000:]
    return "rejoined and its target raised %.1f s after its goal covered what it holds" % took


def test_silent_guest_stale_within_5s(host, slow):
    """A guest whose heartbeat stops is stale within 5 s, logged once,
    left where it is; back when the heartbeat returns."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed", 5 * slow)
    host.guests.get(1).heartbeat = False
    t0 = time.monotonic()
    assert b.wait_log("domain 1 (guest1): no heartbeat for 3 s", 6 * slow), b.logtext()
    took = time.monotonic() - t0
    assert wait_for(lambda: host.state(1) == "stale", 2 * slow)
    host.goal(1, 1800)
    host.goal(2, 1300)
    assert wait_for(lambda: host.target(2) == 1300 * MB, 3 * slow)
    time.sleep(0.5 * slow)
    assert host.target(1) == 1024 * MB
    host.guests.get(1).heartbeat = True
    assert b.wait_log("domain 1 (guest1): heartbeat back", 3 * slow)
    assert wait_for(lambda: host.target(1) == 1800 * MB, 3 * slow)
    assert b.logtext().count("no heartbeat for") == 1
    if not host.opts.wrapper:
        assert took < 5.0
    return "stale %.1f s after the last heartbeat" % took


def test_domains_appear_and_disappear(host, slow):
    """@introduceDomain and @releaseDomain: a new guest is managed, a
    gone one leaves the view, without a restart."""
    host.guests.add(1, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed", 5 * slow)
    host.guests.add(7, 512)
    assert wait_for(lambda: host.state(7) == "managed", 3 * slow), b.logtext()
    host.goal(7, 700)
    assert wait_for(lambda: host.target(7) == 700 * MB, 3 * slow)
    host.guests.remove(7)
    assert wait_for(lambda: host.view(7) is None, 3 * slow)
    host.goal(1, 1100)
    assert wait_for(lambda: host.target(1) == 1100 * MB, 3 * slow)
    assert b.proc.poll() is None


def test_xenstored_restart_loses_nothing(host, slow):
    """xenstored dies and comes back (empty, as a restarted one is; the
    toolstack and the guests write their keys again): the balancer
    reconnects by itself and manages them as before."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    b = host.balancer()
    host.goal(1, 1200)
    assert wait_for(lambda: settled(host, 1, 1200, 0), 5 * slow)
    host.xsd.kill()
    mark = b.mark()
    assert b.wait_log("xenstore:", 3 * slow, since=mark), b.logtext()
    host.xs.close()
    host.xsd.restart()
    host.xs = XS(host.xsd.socket_path)
    host.guests.reconnect()
    # The toolstack's keys and the guests' again.
    for d, target in ((1, 1200), (2, 1024)):
        home = "/local/domain/%d" % d
        host.xs.write(home + "/name", "guest%d" % d)
        host.xs.write(home + "/memory/static-max", str(4096 * MB))
        host.xs.write(home + "/memory/target", str(target * MB))
        host.xs.write(home + "/data/xenballoon/mode", "directed")
        host.xs.write(home + "/data/xenballoon/goal", str(target * MB))
        host.xs.introduce_domain(d, mfn=d + 100, port=d + 10)
    assert b.wait_log("xenstore: working again", 5 * slow, since=mark), b.logtext()[-2000:]
    assert wait_for(lambda: host.state(1) == "managed" and host.state(2) == "managed", 5 * slow)
    host.goal(2, 1500)
    assert wait_for(lambda: settled(host, 2, 1500, 0), 5 * slow), b.logtext()[-2000:]
    assert host.target(1) == 1200 * MB


def test_balancer_restart_rebuilds_state(host, slow):
    """Killed and started again, the balancer finds the same targets
    right (everything is in xenstore and the hypervisor) and writes
    none of them again. A guest whose daemon stopped while no balancer
    ran is stale from the start: the heartbeat count it left is no
    heartbeat, so its target is never moved."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024)
    host.guests.add(3, 1024)
    b = host.balancer()
    host.goal(1, 1300)
    host.goal(2, 1100)
    assert wait_for(lambda: settled(host, 1, 1300, 0) and settled(host, 2, 1100, 0)
                    and host.target(3) == 1024 * MB, 5 * slow)
    b.kill()
    host.guests.get(3).heartbeat = False
    time.sleep(0.5 * slow)
    host.goal(3, 1500)
    before = host.hv.set_calls()
    b2 = host.balancer(name="bal2")
    assert wait_for(lambda: host.state(1) == "managed" and host.state(2) == "managed", 5 * slow)
    time.sleep(1.0 * slow)
    assert host.hv.set_calls() == before, b2.logtext()
    assert host.state(3) == "stale", b2.logtext()
    assert host.target(3) == 1024 * MB, b2.logtext()
    host.goal(2, 1200)
    assert wait_for(lambda: host.target(2) == 1200 * MB, 3 * slow)


def test_free_with_running_balancer(host, slow, report):
    """--free asks the running balancer: donors squeezed within their
    bounds, the memory is free, the time said; too much is refused with
    what could be freed."""
    host.hv.set_total(1024 + 3 * 2048 + RESERVE)
    for d in (1, 2, 3):
        host.guests.add(d, 2048, static_max_mb=4096)
    b = host.balancer("XENBALLOON_BALANCER_MIN_MB=512\nXENBALLOON_BALANCER_MIN_PERCENT=0\n")
    assert wait_for(lambda: host.state(3) == "managed", 5 * slow)
    r = b.run("--free", "1024", "--timeout", str(int(20 * slow)))
    assert r.returncode == 0, r.stderr + b.logtext()[-2000:]
    assert "MB free (asked 1024 MB) after" in r.stdout
    assert mb(host.hv.free_kb()) >= 1024
    assert all(host.target(d) >= 512 * MB for d in (1, 2, 3))
    # A new domain takes it: the hold ends, the reserve is kept again.
    host.guests.add(9, 800)
    assert b.wait_log("a new domain appeared", 3 * slow), b.logtext()[-2000:]
    r2 = b.run("--free", "8000", "--timeout", str(int(10 * slow)))
    assert r2.returncode == 1
    assert "can free at most" in r2.stderr, r2.stderr
    report("--free 1024 with a balancer: " + r.stdout.strip())


def test_free_without_balancer(host, slow):
    """--free with no balancer running squeezes the guests itself."""
    host.hv.set_total(1024 + 2 * 2048 + RESERVE)
    for d in (1, 2):
        host.guests.add(d, 2048, static_max_mb=4096)
    b = host.balancer("XENBALLOON_BALANCER_MIN_MB=512\nXENBALLOON_BALANCER_MIN_PERCENT=0\n",
                      start=False)
    r = b.run("--free", "1500", "--timeout", str(int(20 * slow)))
    assert r.returncode == 0, r.stderr
    assert "no balancer running" in r.stderr
    assert mb(host.hv.free_kb()) >= 1500
    r2 = b.run("--free", "5000", "--timeout", str(int(10 * slow)))
    assert r2.returncode == 1 and "can free at most" in r2.stderr, r2.stderr


def test_admin_bounds_and_owner(host, slow):
    """balancer-max-mb caps a guest; static-max is a hard ceiling; a
    bound the guest wrote itself (owned by it) is ignored, once."""
    host.guests.add(1, 1024, static_max_mb=2048)
    host.guests.add(2, 1024, static_max_mb=4096)
    home = "/local/domain/%d/memory/"
    host.xs.write(home % 2 + "balancer-max-mb", "1500")
    host.xs.write(home % 1 + "balancer-weight", "10000")
    host.xs.set_perms(home % 1 + "balancer-weight", [(1, "b")])
    b = host.balancer()
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    host.goal(1, 9999)
    host.goal(2, 9999)
    assert wait_for(lambda: host.target(1) == 2048 * MB and host.target(2) == 1500 * MB,
                    3 * slow), b.logtext()
    assert b.logtext().count("memory/balancer-weight is not dom0's") == 1
    assert host.view(1)["weight"] == 100


def test_reload_good_and_bad(host, slow):
    """SIGHUP: a good file applies (a larger reserve squeezes the
    guests); a bad one is refused, logged, the running settings kept."""
    host.hv.set_total(1024 + 2 * 1024 + RESERVE)
    host.guests.add(1, 1024, static_max_mb=4096)
    host.guests.add(2, 1024, static_max_mb=4096)
    b = host.balancer("XENBALLOON_BALANCER_MIN_PERCENT=0\n")
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    b.write_conf("XENBALLOON_BALANCER_RESERVE_MB=512\nXENBALLOON_BALANCER_MIN_PERCENT=0\n")
    b.signal(signal.SIGHUP)
    assert wait_for(lambda: settled(host, 1, 896, 0) and settled(host, 2, 896, 0), 5 * slow), \
        b.logtext()[-2000:]
    mark = b.mark()
    b.write_conf("XENBALLOON_BALANCER_RESERVE_MB=lots\n")
    b.signal(signal.SIGHUP)
    assert b.wait_log("keeping the running configuration", 3 * slow, since=mark)
    assert "bal.conf:1: XENBALLOON_BALANCER_RESERVE_MB" in b.logtext()[mark:]
    time.sleep(0.5 * slow)
    assert host.target(1) == 896 * MB
    assert b.proc.poll() is None
    assert b.stop() == 0


def test_check_config(host):
    """-n prints the settings; errors name file:line: KEY; a misspelt key
    fails with the nearest one."""
    b = host.balancer("XENBALLOON_BALANCER_GUEST=\"web-1 weight=300 min=512\"\n", start=False)
    r = b.run("-n")
    assert r.returncode == 0, r.stderr
    assert "XENBALLOON_BALANCER_RESERVE_MB=256" in r.stdout
    assert "XENBALLOON_BALANCER_GUEST='web-1 weight=300 min=512'" in r.stdout
    b.write_conf("XENBALLOON_BALANCER_WEIGHT=0\n")
    r = b.run("-n")
    assert r.returncode == 1 and "bal.conf:1: XENBALLOON_BALANCER_WEIGHT:" in r.stderr
    b.write_conf("XENBALLOON_BALANCER_RESERV_MB=1\n")
    r = b.run("-n")
    assert r.returncode == 1 and "did you mean XENBALLOON_BALANCER_RESERVE_MB?" in r.stderr
    b.write_conf("XENBALLOON_BALANCER_GUEST=\"db min=900 max=800\"\n")
    r = b.run("-n")
    assert r.returncode == 1 and "min=900 is above max=800" in r.stderr


def test_config_guest_bounds_by_name(host, slow):
    """A guest's bounds from the file, by domain name; xenstore's win."""
    host.guests.add(1, 1024, name="web-1")
    host.guests.add(2, 1024, name="db")
    host.xs.write("/local/domain/2/memory/balancer-max-mb", "1400")
    host.balancer("XENBALLOON_BALANCER_GUEST=\"web-1 max=1200 weight=300\"\n"
                  "XENBALLOON_BALANCER_GUEST=\"db max=1100\"\n")
    assert wait_for(lambda: host.state(2) == "managed", 5 * slow)
    host.goal(1, 3000)
    host.goal(2, 3000)
    assert wait_for(lambda: host.target(1) == 1200 * MB and host.target(2) == 1400 * MB,
                    3 * slow)
    assert host.view(1)["weight"] == 300


def test_dry_run_sets_nothing(host, slow):
    host.guests.add(1, 1024)
    b = host.balancer(extra=("--dry-run",))
    host.goal(1, 1500)
    assert b.wait_log("target 1048576 -> 1536000 kB (goal", 3 * slow), b.logtext()
    assert "[dry run]" in b.logtext()
    time.sleep(0.3)
    assert host.hv.set_calls() == 0 and host.target(1) == 1024 * MB


def test_failed_set_logged_once_and_retried(host, slow):
    """libxl refuses a few targets: one line, then it works again."""
    host.guests.add(1, 1024)
    b = host.balancer()
    assert wait_for(lambda: host.state(1) == "managed", 5 * slow)
    host.hv.fail_sets(2)
    host.goal(1, 1400)
    assert wait_for(lambda: host.target(1) == 1400 * MB, 5 * slow), b.logtext()
    assert b.logtext().count("libxl_set_memory_target(1433600 kB) failed") == 1


def test_second_instance_refused(host):
    b = host.balancer()
    assert wait_for(lambda: os.path.exists(b.pidfile), 5)
    r = b.run("-d")
    assert r.returncode == 1 and "already running" in r.stderr


def test_monitor_shows_the_balancer(host, opts, slow):
    """xenballoon-monitor shows the balancer's view: host free, reserve,
    each guest's target, goal, share, weight and state, in the table,
    JSON and Prometheus."""
    host.guests.add(1, 1024)
    host.guests.add(2, 1024, directed=False)
    host.balancer()
    host.goal(1, 1200)
    assert wait_for(lambda: host.view(1) and host.view(1)["target_kb"] == 1200 * MB, 3 * slow)
    env = dict(os.environ, XENSTORED_PATH=host.xsd.socket_path,
               XENBALLOON_MONITOR_XL="/nonexistent/xl")
    js = json.loads(subprocess.run([opts.monitor, "--json"], env=env, capture_output=True,
                                   text=True, timeout=30, check=True).stdout)
    d1 = [d for d in js["domains"] if d["domid"] == 1][0]
    assert d1["balancer_state"] == "managed" and d1["balancer_weight"] == 100
    assert d1["balancer_share_kb"] == 1200 * MB
    assert js["balancer"]["reserve_kb"] == RESERVE * MB and js["balancer"]["managed"] == 1
    assert d1["mode"] == "directed" and d1["workingset_kb"] == 256 * MB
    d2 = [d for d in js["domains"] if d["domid"] == 2][0]
    assert d2["balancer_state"] == "no-daemon"
    table = subprocess.run([opts.monitor], env=env, capture_output=True, text=True,
                           timeout=30, check=True).stdout
    assert "managed" in table and "no-daemon" in table and "reserve 256 MiB" in table, table
    assert "share-kb" in table.splitlines()[0]
    prom = subprocess.run([opts.monitor, "--prometheus"], env=env, capture_output=True,
                          text=True, timeout=30, check=True).stdout
    assert 'xenballoon_balancer_guest_share_bytes{domid="1",name="guest1"} %d' % (1200 * MB * 1024) \
        in prom
    assert "xenballoon_balancer_reserve_bytes %d" % (RESERVE * MB * 1024) in prom
    # Every line a real Prometheus parser takes, each family once.
    from prometheus_client.parser import text_string_to_metric_families
    fams = [f.name for f in text_string_to_metric_families(prom)]
    assert len(fams) == len(set(fams))
    assert "xenballoon_balancer_guest_info" in fams
