"""fakehv.py - A STAND-IN FOR THE HYPERVISOR and fake guests, for the
balancer's tests and benchmark (tests/balancer/test_balancer.py,
bench/balancer.py). Nothing here is Xen: the end-to-end test in a real
Xen host proves the real libxl.

  FakeHV(path, total_mb, dom0_mb)
      the shared state file that tests/balancer/fakexl.c (preloaded into
      the balancer) reads and writes: the host's memory and each
      domain's allocation, maximum and target (layout in fakexl.c).
  Guests(xsd, hv)
      a thread playing every fake guest: it creates the domain as a
      toolstack would (/local/domain/N with name, memory/target,
      memory/static-max, introduced to xenstored), publishes what a
      directed xenballoond publishes (mode, heartbeat, goal, pressure,
      workingset under data/xenballoon/), and follows the target the
      balancer set, after a delay, taking growth only from free memory.
      A guest may lie (any goal, constant stall), stop its heartbeat or
      refuse to follow.
  Balancer(case_dir, binary, fakexl, xsd, hv)
      runs xenballoon-balancer -d -v with the stand-in preloaded.
"""

import fcntl
import mmap
import os
import struct
import subprocess
import threading
import time

from guest import LoggedProcess, wait_for
from xs import XS

HEAD = struct.Struct("<8sII6Q")
DOM = struct.Struct("<II7Q")
NDOMS = 1024
SIZE = HEAD.size + NDOMS * DOM.size
MB = 1024


class FakeHV:
    """The fake hypervisor's state file (kB throughout)."""

    def __init__(self, path, total_mb, dom0_mb):
        self.path = path
        with open(path, "wb") as f:
            f.write(b"\0" * SIZE)
        self.fd = os.open(path, os.O_RDWR)
        self.m = mmap.mmap(self.fd, SIZE)
        with self.locked():
            HEAD.pack_into(self.m, 0, b"XBFAKEHV", 1, NDOMS, total_mb * MB, dom0_mb * MB,
                           0, 0, 0, 0)

    def close(self):
        self.m.close()
        os.close(self.fd)

    class _Lock:
        def __init__(self, fd, how):
            self.fd, self.how = fd, how

        def __enter__(self):
            fcntl.flock(self.fd, self.how)

        def __exit__(self, *exc):
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def locked(self, exclusive=True):
        return self._Lock(self.fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    # -- raw access (call under the lock)
    def _head(self):
        return list(HEAD.unpack_from(self.m, 0))

    def _dom(self, domid):
        return list(DOM.unpack_from(self.m, HEAD.size + domid * DOM.size))

    def _put(self, domid, d):
        DOM.pack_into(self.m, HEAD.size + domid * DOM.size, *d)

    def _free_kb(self):
        h = self._head()
        used = h[4] + sum(self._dom(i)[2] for i in range(1, NDOMS) if self._dom(i)[1] & 1)
        return max(0, h[3] - used)

    # -- the test's view
    def dom(self, domid):
        """dict(cur, max, target, sets, last_set_ns, exists) in kB."""
        with self.locked(False):
            d = self._dom(domid)
        return dict(exists=bool(d[1] & 1), cur=d[2], max=d[3], target=d[4], sets=d[5],
                    last_set_ns=d[6])

    def free_kb(self):
        with self.locked(False):
            return self._free_kb()

    def set_calls(self):
        with self.locked(False):
            return self._head()[5]

    def fail_sets(self, n):
        with self.locked():
            h = self._head()
            h[6] = n
            HEAD.pack_into(self.m, 0, *h)

    def set_total(self, total_mb):
        with self.locked():
            h = self._head()
            h[3] = total_mb * MB
            HEAD.pack_into(self.m, 0, *h)

    def add(self, domid, cur_kb, max_kb):
        with self.locked():
            self._put(domid, [domid, 1, cur_kb, max_kb, cur_kb, 0, 0, 0, 0])

    def remove(self, domid):
        with self.locked():
            self._put(domid, [domid, 0, 0, 0, 0, 0, 0, 0, 0])

    def set_cur(self, domid, cur_kb):
        with self.locked():
            d = self._dom(domid)
            d[2] = cur_kb
            self._put(domid, d)


class G:
    """One fake guest's behaviour (the Guests thread reads it)."""

    def __init__(self, domid, mem_mb, static_max_mb, name, prefix="data/xenballoon",
                 delay=0.1):
        self.domid = domid
        self.mem_kb = mem_mb * MB
        self.static_max_kb = static_max_mb * MB
        self.name = name
        self.prefix = prefix
        self.delay = delay          # seconds before it follows a new target
        self.rate_kb = 4096 * MB    # kB a second its balloon moves
        self.heartbeat = True
        self.hb_period = 0.5
        self.follow = True          # False: refuses its target
        self.hb = 0
        self.next_hb = 0.0
        self.last_move = time.monotonic()
        self.vram_kb = 0            # an HVM guest's video memory: held, not targeted


class Guests(threading.Thread):
    """Every fake guest, in one thread with its own xenstore client."""

    def __init__(self, xsd, hv, period=0.02):
        super().__init__(daemon=True)
        self.xsd, self.hv, self.period = xsd, hv, period
        self.guests = {}
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.xs = XS(xsd.socket_path)
        self.errors = []
        self.reconnect_ev = threading.Event()

    def reconnect(self):
        """After a xenstored restart: the thread opens a new client."""
        self.reconnect_ev.set()
        wait_for(lambda: not self.reconnect_ev.is_set(), 5, 0.01)

    # -- made by the test's thread (own client)
    def add(self, domid, mem_mb, static_max_mb=None, name=None, directed=True, goal_mb=None,
            prefix="data/xenballoon", delay=0.1, introduce=True, videoram_mb=0):
        g = G(domid, mem_mb, static_max_mb or mem_mb * 4, name or "guest%d" % domid, prefix,
              delay)
        g.vram_kb = videoram_mb * MB
        home = "/local/domain/%d" % domid
        with XS(self.xsd.socket_path) as c:
            c.write(home + "/name", g.name)
            c.write(home + "/memory/static-max", str(g.static_max_kb))
            c.write(home + "/memory/target", str(g.mem_kb))
            if videoram_mb:
                c.write(home + "/memory/videoram", str(videoram_mb * MB))
            c.mkdir(home + "/data")
            self.hv.add(domid, g.mem_kb + videoram_mb * MB, g.mem_kb + videoram_mb * MB + 1024)
            if videoram_mb:
                with self.hv.locked():
                    e = self.hv._dom(domid)
                    e[4] = g.mem_kb         # the target: without the video memory
                    self.hv._put(domid, e)
            if directed:
                c.write("%s/%s/mode" % (home, prefix), "directed")
                c.write("%s/%s/goal" % (home, prefix),
                        str((goal_mb if goal_mb is not None else mem_mb) * MB))
                c.write("%s/%s/workingset" % (home, prefix), str(mem_mb * MB // 4))
                c.write("%s/%s/pressure" % (home, prefix), pressure_text(0, 0))
                c.write("%s/%s/heartbeat" % (home, prefix), "0")
            if introduce:
                c.introduce_domain(domid, mfn=domid + 100, port=domid + 10)
        with self.lock:
            self.guests[domid] = g
        return g

    def remove(self, domid):
        with self.lock:
            self.guests.pop(domid, None)
        with XS(self.xsd.socket_path) as c:
            c.rm("/local/domain/%d" % domid)
            try:
                c.release_domain(domid)
            except OSError:
                pass
        self.hv.remove(domid)

    def get(self, domid):
        with self.lock:
            return self.guests[domid]

    # -- the thread
    def run(self):
        try:
            while not self.stop_ev.wait(self.period):
                if self.reconnect_ev.is_set():
                    self.xs.close()
                    self.xs = XS(self.xsd.socket_path)
                    self.reconnect_ev.clear()
                now = time.monotonic()
                with self.lock:
                    gs = list(self.guests.values())
                for g in gs:
                    self.tick(g, now)
        except Exception as e:      # noqa: BLE001 - reported by the test
            self.errors.append(repr(e))

    def tick(self, g, now):
        if g.heartbeat and now >= g.next_hb:
            g.hb += 1
            g.next_hb = now + g.hb_period
            try:
                self.xs.write("/local/domain/%d/%s/heartbeat" % (g.domid, g.prefix), str(g.hb))
            except OSError:
                pass                # xenstored restarting: the test knows
        if not g.follow:
            g.last_move = now
            return
        # A look without the lock first: most guests are where they should be.
        d = self.hv._dom(g.domid)
        if d[2] == d[4] + g.vram_kb:
            g.last_move = now
            return
        with self.hv.locked():
            d = self.hv._dom(g.domid)
            if not d[1] & 1:
                return
            # The hypervisor counts the video memory too.
            cur, target, last_ns = d[2], d[4] + g.vram_kb, d[6]
            if cur == target or (time.monotonic_ns() - last_ns) / 1e9 < g.delay:
                g.last_move = now
                return
            step = max(1, int(g.rate_kb * (now - g.last_move)))
            if target < cur:
                cur = max(target, cur - step)
            else:
                cur = min(target, cur + step, cur + self.hv._free_kb())
            d[2] = cur
            self.hv._put(g.domid, d)
        g.last_move = now

    def stop(self):
        self.stop_ev.set()
        self.join(5)
        self.xs.close()


def pressure_text(some_avg10, some_total_us):
    return ("some avg10=%.2f avg60=0.00 avg300=0.00 total=%d\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n" % (some_avg10, some_total_us))


class Balancer(LoggedProcess):
    """xenballoon-balancer -d -v with the stand-in preloaded."""

    def __init__(self, case_dir, binary, fakexl, xsd, hv, conf="", wrapper="", name="bal"):
        self.dir = case_dir
        self.binary = binary
        self.fakexl = fakexl
        self.xsd = xsd
        self.hv = hv
        self.wrapper = wrapper.split() if wrapper else []
        self.conf = os.path.join(case_dir, name + ".conf")
        self.log = os.path.join(case_dir, name + ".log")
        self.pidfile = os.path.join(case_dir, name + ".pid")
        self.proc = None
        self.logf = None
        self.fail_99 = True     # valgrind's --error-exitcode, ASan's exitcode
        self.write_conf(conf)

    def write_conf(self, text):
        with open(self.conf + ".tmp", "w") as f:
            f.write(text)
        os.rename(self.conf + ".tmp", self.conf)

    def env(self):
        e = dict(os.environ)
        e["XENSTORED_PATH"] = self.xsd.socket_path
        e["XB_FAKEHV"] = self.hv.path
        e["LD_PRELOAD"] = self.fakexl
        return e

    def cmd(self, *extra):
        return self.wrapper + [self.binary, "-f", self.conf, "--pidfile", self.pidfile] + \
            list(extra)

    def start(self, *extra):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.cmd("-d", "-v", *extra), env=self.env(),
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        return self

    def run(self, *extra, timeout=120):
        return subprocess.run(self.cmd(*extra), env=self.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def signal(self, sig):
        self.proc.send_signal(sig)


def view(xs, domid):
    """The balancer's published view of a domain: a dict, or None."""
    v = xs.read("/tool/xenballoon-balancer/dom/%d" % domid)
    if v is None:
        return None
    out = {}
    for part in v.decode().split():
        k, _, val = part.partition("=")
        out[k] = int(val) if val.isdigit() else val
    return out
