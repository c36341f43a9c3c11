"""xs.py - talk to the real xenstored from Python tests (stdlib only).

Two classes:

  XS(socket_path)   a client: ctypes on the real libxenstore.so.4, so the
                    bytes on the wire are exactly what a C client sends.
  Xenstored(dir)    one xenstored (Debian's, Xen 4.17) run by
                    tests/harness/xenstored.sh in DIR; a context manager.

and count_requests(trace_path) for benchmarks (needs XSD_TRACE / trace=True).

    from xs import XS, Xenstored
    with Xenstored("/tmp/t1") as xsd:           # started, /local/domain/0 made
        with xsd.client() as xs:
            xs.write("memory/target", "262144")  # relative: /local/domain/0/..
            assert xs.read("memory/target") == b"262144"
        subprocess.run([daemon], env=xsd.env)    # XENSTORED_PATH for C clients
        xsd.kill()                               # SIGKILL, stale socket left
        xsd.restart()                            # a new, empty store

Where things are found (environment, else defaults relative to the repo):
  XB_XEN_ROOT   extracted Debian packages   (build/xen/root, `make harness`)
  XB_SHIM       the LD_PRELOAD shim         (build/harness/xsd_shim.so)
  XB_LIBXENSTORE  the client library        (/usr/lib/x86_64-linux-gnu/libxenstore.so.4)

Command line (used by xenstored.sh; handy by hand):
  python3 xs.py wait SOCKET [TIMEOUT [PID]]   connect, create /local/domain/0
  python3 xs.py read|rm|ls SOCKET PATH
  python3 xs.py write SOCKET PATH VALUE
  python3 xs.py count TRACEFILE               request counts from a -T trace
"""

import collections
import ctypes
import ctypes.util
import errno
import os
import re
import select
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
XENSTORED_SH = os.path.join(HERE, "xenstored.sh")

XBT_NULL = 0
XS_OPEN_READONLY = 1 << 0
XS_OPEN_SOCKETONLY = 1 << 1
XS_UNWATCH_FILTER = 1 << 2

XS_PERM_NONE = 0x00
XS_PERM_READ = 0x01
XS_PERM_WRITE = 0x02
XS_PERM_BOTH = XS_PERM_READ | XS_PERM_WRITE
XS_PERM_ENOENT_OK = 0x04
XS_PERM_OWNER = 0x08
XS_PERM_IGNORE = 0x10

_PERM_LETTERS = {"n": XS_PERM_NONE, "r": XS_PERM_READ, "w": XS_PERM_WRITE,
                 "b": XS_PERM_BOTH}


def default_paths():
    """(xen_root, shim) from the environment or the defaults."""
    xen_root = os.environ.get("XB_XEN_ROOT") or os.path.join(REPO, "build", "xen", "root")
    shim = os.environ.get("XB_SHIM") or os.path.join(REPO, "build", "harness", "xsd_shim.so")
    return os.path.abspath(xen_root), os.path.abspath(shim)


def _find_libxenstore(xen_root=None):
    cands = [os.environ.get("XB_LIBXENSTORE"),
             "/usr/lib/x86_64-linux-gnu/libxenstore.so.4",
             ctypes.util.find_library("xenstore")]
    if xen_root:
        cands.append(os.path.join(xen_root, "usr/lib/x86_64-linux-gnu/libxenstore.so.4"))
    for c in cands:
        if c and (os.path.exists(c) or "/" not in c):
            return c
    raise RuntimeError("libxenstore.so.4 not found: install libxenstore4 (libxen-dev) "
                       "or set XB_LIBXENSTORE")


class _Perm(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint), ("perms", ctypes.c_uint)]


_lib = None
_libc = None
_lib_lock = threading.Lock()


def _load():
    """Load libxenstore once and declare the prototypes used here."""
    global _lib, _libc
    with _lib_lock:
        if _lib is not None:
            return _lib
        L = ctypes.CDLL(_find_libxenstore(default_paths()[0]), use_errno=True)
        c = ctypes
        vp, u32, cp, uint = c.c_void_p, c.c_uint32, c.c_char_p, c.c_uint
        puint = c.POINTER(c.c_uint)
        protos = {
            "xs_open": (vp, [c.c_ulong]),
            "xs_close": (None, [vp]),
            "xs_read": (vp, [vp, u32, cp, puint]),
            "xs_write": (c.c_bool, [vp, u32, cp, c.c_void_p, uint]),
            "xs_mkdir": (c.c_bool, [vp, u32, cp]),
            "xs_rm": (c.c_bool, [vp, u32, cp]),
            "xs_directory": (vp, [vp, u32, cp, puint]),
            "xs_get_permissions": (vp, [vp, u32, cp, puint]),
            "xs_set_permissions": (c.c_bool, [vp, u32, cp, c.POINTER(_Perm), uint]),
            "xs_watch": (c.c_bool, [vp, cp, cp]),
            "xs_unwatch": (c.c_bool, [vp, cp, cp]),
            "xs_fileno": (c.c_int, [vp]),
            "xs_check_watch": (vp, [vp]),
            "xs_read_watch": (vp, [vp, puint]),
            "xs_transaction_start": (u32, [vp]),
            "xs_transaction_end": (c.c_bool, [vp, u32, c.c_bool]),
            "xs_introduce_domain": (c.c_bool, [vp, uint, c.c_ulong, uint]),
            "xs_release_domain": (c.c_bool, [vp, uint]),
            "xs_is_domain_introduced": (c.c_bool, [vp, uint]),
            "xs_get_domain_path": (vp, [vp, uint]),
        }
        for name, (res, args) in protos.items():
            f = getattr(L, name)
            f.restype = res
            f.argtypes = args
        libc = ctypes.CDLL(None, use_errno=True)
        libc.free.restype = None
        libc.free.argtypes = [vp]
        _libc = libc
        _lib = L
        return L


def _b(s):
    if isinstance(s, bytes):
        return s
    return str(s).encode()


def _err(what, path=None):
    e = ctypes.get_errno() or errno.EIO
    return OSError(e, "%s: %s" % (what, os.strerror(e)), path)


def _strvec(ptr, n):
    """Copy a libxenstore char*[] (one malloc block) and free it."""
    arr = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_char_p))
    out = [arr[i] for i in range(n)]
    _libc.free(ptr)
    return out


class XS:
    """A libxenstore handle (xs_open with XS_OPEN_SOCKETONLY).

    Values are bytes; paths and values may be given as str. Failures raise
    OSError with the errno libxenstore set (ENOENT for read() gives None).
    Every method takes t= (a transaction id from transaction_start).
    """

    _env_lock = threading.Lock()

    def __init__(self, socket_path=None, flags=XS_OPEN_SOCKETONLY):
        self._L = _load()
        self.socket_path = socket_path
        # libxenstore reads XENSTORED_PATH in xs_open(): set it just then.
        with XS._env_lock:
            old = os.environ.get("XENSTORED_PATH")
            if socket_path is not None:
                os.environ["XENSTORED_PATH"] = socket_path
            try:
                ctypes.set_errno(0)
                self.h = self._L.xs_open(flags)
                e = ctypes.get_errno()
            finally:
                if socket_path is not None:
                    if old is None:
                        del os.environ["XENSTORED_PATH"]
                    else:
                        os.environ["XENSTORED_PATH"] = old
        if not self.h:
            e = e or errno.ECONNREFUSED
            raise OSError(e, "xs_open(%s): %s" % (socket_path, os.strerror(e)), socket_path)

    # -- plumbing
    def _handle(self):
        if not self.h:
            raise OSError(errno.EBADF, "XS handle is closed")
        return self.h

    def close(self):
        if self.h:
            self._L.xs_close(self.h)
            self.h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- nodes
    def read(self, path, t=XBT_NULL):
        """bytes, or None when the node does not exist."""
        n = ctypes.c_uint()
        ctypes.set_errno(0)
        p = self._L.xs_read(self._handle(), t, _b(path), ctypes.byref(n))
        if not p:
            if ctypes.get_errno() == errno.ENOENT:
                return None
            raise _err("xs_read", path)
        data = ctypes.string_at(p, n.value)
        _libc.free(p)
        return data

    def write(self, path, value, t=XBT_NULL):
        v = _b(value)
        if not self._L.xs_write(self._handle(), t, _b(path), v, len(v)):
            raise _err("xs_write", path)

    def mkdir(self, path, t=XBT_NULL):
        if not self._L.xs_mkdir(self._handle(), t, _b(path)):
            raise _err("xs_mkdir", path)

    def rm(self, path, t=XBT_NULL):
        """Remove a subtree; ENOENT is not an error (as in libxenstore)."""
        if not self._L.xs_rm(self._handle(), t, _b(path)):
            raise _err("xs_rm", path)

    def directory(self, path, t=XBT_NULL):
        """List of child names (str); None when the node does not exist."""
        n = ctypes.c_uint()
        ctypes.set_errno(0)
        p = self._L.xs_directory(self._handle(), t, _b(path), ctypes.byref(n))
        if not p:
            if ctypes.get_errno() == errno.ENOENT:
                return None
            raise _err("xs_directory", path)
        return [s.decode() for s in _strvec(p, n.value)]

    ls = directory

    def exists(self, path, t=XBT_NULL):
        return self.read(path, t) is not None

    # -- permissions: a list of (domid, letters) with letters in n r w b,
    #    the first entry is the owner (and its letters the default for others)
    def get_perms(self, path, t=XBT_NULL):
        n = ctypes.c_uint()
        p = self._L.xs_get_permissions(self._handle(), t, _b(path), ctypes.byref(n))
        if not p:
            raise _err("xs_get_permissions", path)
        arr = ctypes.cast(p, ctypes.POINTER(_Perm))
        out = []
        for i in range(n.value):
            bits = arr[i].perms & XS_PERM_BOTH
            letter = {XS_PERM_NONE: "n", XS_PERM_READ: "r",
                      XS_PERM_WRITE: "w", XS_PERM_BOTH: "b"}[bits]
            out.append((arr[i].id, letter))
        _libc.free(p)
        return out

    def set_perms(self, path, perms, t=XBT_NULL):
        """perms: [(domid, 'n'|'r'|'w'|'b'), ...] or ints (XS_PERM_*), or
        the xenstore-chmod strings ["n0", "r5"]."""
        items = []
        for p in perms:
            if isinstance(p, str):
                dom, bits = int(p[1:]), _PERM_LETTERS[p[0]]
            else:
                dom, bits = p
                if isinstance(bits, str):
                    bits = _PERM_LETTERS[bits]
            items.append((int(dom), int(bits)))
        arr = (_Perm * len(items))(*[_Perm(d, b) for d, b in items])
        if not self._L.xs_set_permissions(self._handle(), t, _b(path), arr, len(items)):
            raise _err("xs_set_permissions", path)

    # -- transactions
    def transaction_start(self):
        t = self._L.xs_transaction_start(self._handle())
        if t == XBT_NULL:
            raise _err("xs_transaction_start")
        return t

    def transaction_end(self, t, abort=False):
        """Commit (or abort). A conflicting commit raises OSError(EAGAIN)."""
        if not self._L.xs_transaction_end(self._handle(), t, bool(abort)):
            raise _err("xs_transaction_end")

    def transaction(self, fn, retries=10):
        """Run fn(t) in a transaction; retry on EAGAIN; return fn's result."""
        for _ in range(retries):
            t = self.transaction_start()
            try:
                res = fn(t)
            except BaseException:
                try:
                    self.transaction_end(t, abort=True)
                except OSError:
                    pass
                raise
            try:
                self.transaction_end(t)
                return res
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise
        raise OSError(errno.EAGAIN, "transaction: still conflicting after %d tries" % retries)

    # -- watches
    def watch(self, path, token):
        if not self._L.xs_watch(self._handle(), _b(path), _b(token)):
            raise _err("xs_watch", path)

    def unwatch(self, path, token):
        if not self._L.xs_unwatch(self._handle(), _b(path), _b(token)):
            raise _err("xs_unwatch", path)

    def fileno(self):
        fd = self._L.xs_fileno(self._handle())
        if fd < 0:
            raise _err("xs_fileno")
        return fd

    def check_watch(self):
        """(path, token) of a pending event, or None. Never blocks."""
        ctypes.set_errno(0)
        p = self._L.xs_check_watch(self._handle())
        if not p:
            if ctypes.get_errno() in (errno.EAGAIN, 0):
                return None
            raise _err("xs_check_watch")
        v = _strvec(p, 2)
        return v[0].decode(), v[1].decode()

    def read_watch(self):
        """(path, token); blocks until an event (or the handle fails)."""
        n = ctypes.c_uint()
        p = self._L.xs_read_watch(self._handle(), ctypes.byref(n))
        if not p:
            raise _err("xs_read_watch")
        v = _strvec(p, n.value)
        return v[0].decode(), v[1].decode()

    def wait_watch(self, timeout):
        """Next event (path, token) within timeout seconds, else None."""
        deadline = time.monotonic() + timeout
        fd = self.fileno()
        while True:
            ev = self.check_watch()
            if ev is not None:
                return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([fd], [], [], left)

    # -- domains (the shim makes introduce/release work without Xen)
    def introduce_domain(self, domid, mfn=1, port=1):
        if not self._L.xs_introduce_domain(self._handle(), domid, mfn, port):
            raise _err("xs_introduce_domain")

    def release_domain(self, domid):
        if not self._L.xs_release_domain(self._handle(), domid):
            raise _err("xs_release_domain")

    def is_domain_introduced(self, domid):
        return bool(self._L.xs_is_domain_introduced(self._handle(), domid))

    def get_domain_path(self, domid):
        p = self._L.xs_get_domain_path(self._handle(), domid)
        if not p:
            raise _err("xs_get_domain_path")
        s = ctypes.string_at(p).decode()
        _libc.free(p)
        return s


# --------------------------------------------------------------------------
# request counting from a `xenstored -T` trace
#   IN 0x55d0c1a2b6d0 20261126 16:20:31 WRITE (foo bar)
_TRACE_IN = re.compile(rb"^IN \S+ \d+ [\d:]+ ([A-Z_]+) ")


def count_requests(trace_path, start=0):
    """Counter {request type: number} of the requests xenstored received
    (IN lines) in its -T trace, from byte offset start. Use
    trace_size(path) before a measured section and pass it as start."""
    c = collections.Counter()
    try:
        with open(trace_path, "rb") as f:
            f.seek(start)
            for line in f:
                m = _TRACE_IN.match(line)
                if m:
                    c[m.group(1).decode()] += 1
    except FileNotFoundError:
        pass
    return c


def trace_size(trace_path):
    try:
        return os.path.getsize(trace_path)
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------
class XenstoredError(RuntimeError):
    pass


class Xenstored:
    """One xenstored in directory `dir` (socket DIR/socket, log
    DIR/xenstored.log, pid DIR/xenstored.pid, trace DIR/trace).

    trace=True passes -T DIR/trace; args are more xenstored options;
    domains is the XSD_SHIM_DOMAINS value (domids that exist for
    permission checks besides dom0 and introduced ones: "5,7" or "all").
    As a context manager: start on enter, stop on exit.

    reap=True makes this process a child subreaper (prctl), so the daemons
    it starts become its children when xenstored.sh exits and are reaped
    after stop/kill instead of staying zombies of pid 1 (nothing reaps
    there in these sandboxes).
    """

    def __init__(self, dir, trace=False, args=(), domains=None, timeout=5.0,
                 reap=True):
        self.dir = os.path.abspath(dir)
        self.socket_path = os.path.join(self.dir, "socket")
        self.log_path = os.path.join(self.dir, "xenstored.log")
        self.pid_path = os.path.join(self.dir, "xenstored.pid")
        self.trace_path = os.path.join(self.dir, "trace")
        self.trace = trace
        self.args = list(args)
        self.domains = domains
        self.timeout = timeout
        self.reap = reap

    # environment for clients (C daemons, xenstore-* tools, python XS)
    @property
    def env(self):
        e = dict(os.environ)
        e["XENSTORED_PATH"] = self.socket_path
        return e

    def _run(self, action):
        xen_root, shim = default_paths()
        e = dict(os.environ)
        e["XB_XEN_ROOT"] = xen_root
        e["XB_SHIM"] = shim
        e["XSD_TRACE"] = "1" if self.trace else "0"
        e["XSD_ARGS"] = " ".join(self.args)
        e["XSD_START_TIMEOUT"] = str(self.timeout)
        if self.domains is not None:
            e["XSD_SHIM_DOMAINS"] = str(self.domains)
        else:
            e.pop("XSD_SHIM_DOMAINS", None)
        e.setdefault("PYTHON", sys.executable or "/usr/bin/python3")
        try:
            r = subprocess.run(["sh", XENSTORED_SH, action, self.dir], env=e,
                               stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=self.timeout + 15)
        except subprocess.TimeoutExpired:
            raise XenstoredError("xenstored.sh %s %s: timed out" % (action, self.dir))
        return r

    def _do(self, action):
        if self.reap:
            _become_subreaper()
        pid = self.pid
        r = self._run(action)
        if r.returncode != 0:
            raise XenstoredError("xenstored.sh %s %s failed (%d): %s%s" % (
                action, self.dir, r.returncode, r.stdout, r.stderr))
        if action in ("stop", "kill"):
            _reap(pid)
        return r.stdout

    def start(self):
        self._do("start")
        return self

    def stop(self):
        self._do("stop")

    def kill(self):
        """SIGKILL, no clean-up: the socket file stays (stale)."""
        self._do("kill")

    def restart(self):
        """stop (whatever state) then start: a new, empty store."""
        self.stop()
        self.start()

    def status(self):
        """'running', 'dead' (pid file, no process) or 'stopped'."""
        r = self._run("status")
        return {0: "running", 1: "dead", 3: "stopped"}.get(r.returncode, "unknown")

    def running(self):
        return self.status() == "running"

    @property
    def pid(self):
        try:
            with open(self.pid_path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def client(self, flags=XS_OPEN_SOCKETONLY):
        return XS(self.socket_path, flags)

    def requests(self, start=0):
        return count_requests(self.trace_path, start)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
_subreaper = False


def _become_subreaper():
    global _subreaper
    if _subreaper:
        return
    _subreaper = True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0),
                   ctypes.c_ulong(0))   # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _reap(pid):
    """Reap pid if it is our (dead) child; bounded, never blocks."""
    if not pid:
        return
    for _ in range(50):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        if not _proc_alive(pid):
            time.sleep(0.01)
            continue
        return


def _proc_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read()
    except OSError:
        return False
    return s[s.rindex(b")") + 2:][:1] not in (b"Z", b"X")


def _cmd_wait(sock, timeout=5.0, pid=None):
    """Until the daemon answers: connect, then mkdir /local/domain/0."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if pid and not _proc_alive(pid):
            print("xs.py wait: xenstored (pid %d) exited" % pid, file=sys.stderr)
            return 1
        if os.path.exists(sock):
            try:
                with XS(sock) as xs:
                    xs.mkdir("/local/domain/0")
                    if xs.directory("/local/domain/0") is not None:
                        return 0
            except OSError as e:
                last = e
        time.sleep(0.02)
    print("xs.py wait: no answer on %s within %.1f s (%s)" % (sock, timeout, last),
          file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "wait" and 1 <= len(args) <= 3:
            return _cmd_wait(args[0], float(args[1]) if len(args) > 1 else 5.0,
                             int(args[2]) if len(args) > 2 else None)
        if cmd == "count" and len(args) == 1:
            for k, v in sorted(count_requests(args[0]).items()):
                print("%-24s %d" % (k, v))
            return 0
        if cmd in ("read", "rm", "ls", "write") and len(args) >= 2:
            with XS(args[0]) as xs:
                if cmd == "read":
                    v = xs.read(args[1])
                    if v is None:
                        print("%s: no such node" % args[1], file=sys.stderr)
                        return 1
                    sys.stdout.write(v.decode(errors="replace") + "\n")
                elif cmd == "rm":
                    xs.rm(args[1])
                elif cmd == "ls":
                    for n in xs.directory(args[1]) or []:
                        print(n)
                elif len(args) == 3:
                    xs.write(args[1], args[2])
                else:
                    return 2
            return 0
    except OSError as e:
        print("xs.py %s: %s" % (cmd, e), file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
