"""Tests of xenballoon-monitor against the real xenstored (tests/harness),
with fake guests' keys written by the test and a fake `xl` script
(XENBALLOON_MONITOR_XL) printing sample `xl info` / `xl tmem-list -a -l`.

    make check-monitor [T=NAME]

Every case runs against --monitor (id [rel]); the cases not marked
release_only also against --san-monitor ([san], ASan/UBSan: any report
fails the case through stderr or the exit status). Options, result file
and shared fixtures: tests/conftest.py.
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from guest import rmtree
from xs import Xenstored

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
XS_PY = os.path.join(REPO, "tests", "harness", "xs.py")

HEADER = "id memtotal balloon  commit  swapin swapout    pgin    pgout  preswap  precache"
LONG_EXTRA = ("  dom0-tgt    max-kb   used-kb  cache-kb   goal-kb psi-some psi-full"
              "  source           name")
LONG_ZEROS = "%10d%10d%10d%9s%9s" % (0, 0, 0, "0.00", "0.00")
NO_XL = "/nonexistent/xl"

WORKDIR = None   # this run's files (--workdir)
XSD = None       # the shared xenstored
XS = None        # a client of it
BIN = None       # the binary under test
FAKE = None      # directory of the fake xl


def pytest_generate_tests(metafunc):
    """Each case against the release build, and (--san-monitor) the
    ASan/UBSan build unless it is marked release_only."""
    builds = [("rel", metafunc.config.getoption("monitor"))]
    san = metafunc.config.getoption("san_monitor")
    if san and not metafunc.definition.get_closest_marker("release_only"):
        builds.append(("san", san))
    metafunc.parametrize("build", [os.path.abspath(b) for _, b in builds],
                         ids=[t for t, _ in builds], indirect=True)


@pytest.fixture(scope="session")
def shared_xenstored(workdir):
    """One xenstored and one fake xl for the whole run."""
    global WORKDIR, XSD, XS, FAKE
    WORKDIR = os.path.join(workdir, "run")
    rmtree(WORKDIR)
    FAKE = os.path.join(WORKDIR, "fakexl")
    os.makedirs(FAKE)
    with open(os.path.join(FAKE, "xl"), "w") as f:
        f.write(FAKE_XL)
    os.chmod(os.path.join(FAKE, "xl"), 0o755)
    XSD = Xenstored(os.path.join(WORKDIR, "xsd"))
    XSD.start()
    XS = XSD.client()
    yield XSD
    XS.close()
    XSD.stop()


@pytest.fixture(autouse=True)
def build(request, shared_xenstored):
    """The binary under test (see pytest_generate_tests)."""
    global BIN
    BIN = request.param
    return BIN


def row(domid, tot=0, tgt=0, cmt=0, sin=0, sout=0, pgin=0, pgout=0, preswap=0, precache=0):
    """The printf of Xen 3.4's xenballoon-monitor, exactly."""
    return "%2d %8d%8d%8d%7d%8d%9d%9d%9d%9d" % (domid, tot, tgt, cmt, sin, sout, pgin, pgout,
                                                 preswap, precache)


# --- fixtures --------------------------------------------------------------

def meminfo(total, committed=None, nl="\n"):
    lines = ["MemTotal:       %8d kB" % total, "MemFree:          123456 kB",
             "MemAvailable:     234567 kB", "Buffers:           10000 kB",
             "SwapTotal:       1048572 kB", "SwapFree:        1048572 kB"]
    if committed is not None:
        lines.append("Committed_AS:   %8d kB" % committed)
    lines.append("VmallocTotal:   34359738367 kB")
    return nl.join(lines) + nl


def vmstat(pswpin, pswpout, pgpgin, pgpgout, nl="\n"):
    lines = ["nr_free_pages 30000", "pgpgin %d" % pgpgin, "pgpgout %d" % pgpgout,
             "pswpin %d" % pswpin, "pswpout %d" % pswpout, "pgfault 99999",
             "pgmajfault 12"]
    return nl.join(lines) + nl


def dom_path(domid, key=""):
    return "/local/domain/%d%s" % (domid, "/" + key if key else "")


def put_domain(domid, name=None, prefix="memory", meminfo_text=None, vmstat_text=None,
               selftarget=None, preswap=None, target=None, static_max=None, xs=None):
    xs = xs or XS
    xs.mkdir(dom_path(domid))
    if name is not None:
        xs.write(dom_path(domid, "name"), name)
    if target is not None:
        xs.write(dom_path(domid, "memory/target"), str(target))
    if static_max is not None:
        xs.write(dom_path(domid, "memory/static-max"), str(static_max))
    for key, val in (("meminfo", meminfo_text), ("vmstat", vmstat_text),
                     ("selftarget", selftarget), ("preswap", preswap)):
        if val is not None:
            xs.write(dom_path(domid, "%s/%s" % (prefix, key)),
                     val if isinstance(val, (bytes, str)) else str(val))


def full_domain(domid, tot, tgt, cmt, sin, sout, pgin, pgout, preswap, prefix="memory",
                nl="\n", **kw):
    put_domain(domid, prefix=prefix, meminfo_text=meminfo(tot, cmt, nl),
               vmstat_text=vmstat(sin, sout, pgin, pgout, nl), selftarget=tgt,
               preswap=preswap, **kw)


def clear_domains(xs=None):
    xs = xs or XS
    for d in xs.directory("/local/domain") or []:
        if d != "0":
            xs.rm("/local/domain/" + d)
    xs.rm("/local/domain/0/memory")


FAKE_XL = r"""#!/bin/sh
# fake xl: prints $d/info or $d/tmem, exit status from $d/<f>.rc
d=$(dirname "$0")
echo "$*" >> "$d/calls"
if [ -x "$d/hook" ]; then "$d/hook" "$@"; fi
case "$1" in
info) f=$d/info ;;
tmem-list) f=$d/tmem ;;
*) echo "xl: unknown command $1" >&2; exit 2 ;;
esac
if [ -f "$f.sleep" ]; then
	echo $$ > "$f.pid"
	sleep "$(cat "$f.sleep")" &
	echo $! > "$f.childpid"
	wait
fi
if [ ! -f "$f" ]; then
	echo "xl: $1 not supported" >&2
	exit 1
fi
cat "$f"
exit "$(cat "$f.rc" 2>/dev/null || echo 0)"
"""

XL_INFO = """host                   : dom0
release                : 6.1.0-18-amd64
version                : #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)
machine                : x86_64
nr_cpus                : 8
max_cpu_id             : 7
nr_nodes               : 1
cores_per_socket       : 4
threads_per_core       : 2
cpu_mhz                : 2893.202
virt_caps              : pv hvm hap shadow
total_memory           : 32637
free_memory            : 20133
sharing_freed_memory   : 0
sharing_used_memory    : 0
outstanding_claims     : 0
free_cpus              : 0
xen_major              : 4
xen_minor              : 11
xen_extra              : .4
xen_version            : 4.11.4
xen_commandline        : placeholder dom0_mem=4096M,max:4096M tmem
cc_compiler            : gcc (Debian 8.3.0-6) 8.3.0
xend_config_format     : 4
"""

# xen/common/tmem.c (tmemc_list_global/_shared/_client, use_long):
# G= then S= then C= (and its P= pools) per client, then T.
XL_TMEM = """G=Tt:150312,Te:0,Cf:0,Af:0,Pf:0,Ta:51200,Lm:0,Et:12,Ea:40,Rt:0,Ra:0,Rx:0,Fp:0,Ec:25600,Em:30000,Oc:10,Om:12,Nc:3,Nm:4,Pc:25600,Pm:30000,Fc:25600,Fm:30000,Sc:0,Sm:0,Ep:25600,Gd:0,Zt:0,Gz:0
C=CI:3,ww:0,co:0,fr:0,Tc:123456,Ge:100,Pp:0,Gp:0,Ec:777,Em:800,cp:0,cb:0,cn:0,cm:0
P=CI:3,PI:0,PT:EP,U0:0,U1:0,Pc:777,Pm:800,Oc:5,Om:6,Nc:0,Nm:0,ps:1000,pt:1000,pd:0,pr:0,px:0,gs:100,gt:200,fs:0,ft:0,os:0,ot:0
C=CI:1,ww:0,ca:0,co:0,fr:0,Tc:1,Ge:1,Pp:0,Gp:0,Ec:11,Em:11,cp:0,cb:0,cn:0,cm:0
C=CI:10,ww:0,co:0,fr:0,Tc:1,Ge:1,Pp:0,Gp:0,Ec:1010,Em:1010,cp:0,cb:0,cn:0,cm:0
P=CI:10,PI:0,PT:EP,U0:0,U1:0,Pc:99999,Pm:1,Oc:0,Om:0,Nc:0,Nm:0,ps:0,pt:0,pd:0,pr:0,px:0,gs:0,gt:0,fs:0,ft:0,os:0,ot:0
T
"""


def set_xl(info=None, tmem=None, info_rc=0, tmem_rc=0, info_sleep=None, hook=None):
    """Configure the fake xl. None: that command fails (exit 1)."""
    for f in os.listdir(FAKE):
        if f != "xl":
            os.unlink(os.path.join(FAKE, f))
    for name, text, rc, sl in (("info", info, info_rc, info_sleep), ("tmem", tmem, tmem_rc, None)):
        if text is not None:
            with open(os.path.join(FAKE, name), "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
            with open(os.path.join(FAKE, name + ".rc"), "w") as f:
                f.write(str(rc))
        if sl is not None:
            with open(os.path.join(FAKE, name + ".sleep"), "w") as f:
                f.write(str(sl))
    if hook is not None:
        p = os.path.join(FAKE, "hook")
        with open(p, "w") as f:
            f.write(hook)
        os.chmod(p, 0o755)


def xl_calls():
    try:
        with open(os.path.join(FAKE, "calls")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def fake_xl():
    return os.path.join(FAKE, "xl")


# --- running the monitor ----------------------------------------------------

def env_for(xl=NO_XL, xsd=None, extra=None):
    e = dict((xsd or XSD).env)
    e["XENBALLOON_MONITOR_XL"] = xl
    e.pop("LC_ALL", None)
    if extra:
        e.update(extra)
    return e


def run(*args, xl=NO_XL, xsd=None, extra=None, timeout=30):
    return subprocess.run([BIN] + list(args), env=env_for(xl, xsd, extra),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def ok_out(*args, **kw):
    """stdout (str) of a run that must exit 0 with nothing on stderr."""
    p = run(*args, **kw)
    assert p.returncode == 0, "exit %d, stderr %r" % (p.returncode, p.stderr[-2000:])
    assert p.stderr == b"", "stderr not empty: %r" % p.stderr[-2000:]
    return p.stdout.decode("utf-8")


def lines_of(out):
    assert out.endswith("\n"), "output does not end with a newline: %r" % out[-80:]
    return out[:-1].split("\n")


def only_safe_bytes(raw, what):
    bad = [b for b in raw if not (b == 10 or 32 <= b < 127)]
    assert not bad, "%s: bytes outside printable ASCII: %r" % (what, bytes(bad[:20]))


# --- table ---------------------------------------------------------------------

def test_header_and_rows_exact():
    clear_domains()
    full_domain(1, 1015944, 524288, 345678, 5, 6, 123456, 654321, 12)
    full_domain(2, 2097152, 1048576, 900000, 0, 0, 7, 8, 0)
    out = ok_out()
    assert out == "\n".join([HEADER,
                        row(1, 1015944, 524288, 345678, 5, 6, 123456, 654321, 12, 0),
                        row(2, 2097152, 1048576, 900000, 0, 0, 7, 8, 0, 0)]) + "\n", (
        "table")


def test_escaped_newlines():
    """The original wrote the files with their newlines as the two
    characters backslash-n; both forms parse."""
    clear_domains()
    full_domain(4, 777777, 500000, 400000, 1, 2, 3, 4, 5, nl="\\n")
    assert "\\n" in XS.read(dom_path(4, "memory/meminfo")).decode(), "fixture not escaped"
    full_domain(5, 888888, 600000, 500000, 6, 7, 8, 9, 10, nl="\n")
    assert lines_of(ok_out())[1:] == [row(4, 777777, 500000, 400000, 1, 2, 3, 4, 5),
                                  row(5, 888888, 600000, 500000, 6, 7, 8, 9, 10)], (
        "rows")


def test_data_xenballoon_fallback():
    clear_domains()
    # only under data/xenballoon (stock toolstack: memory/ read-only to the guest)
    full_domain(6, 1000000, 900000, 800000, 1, 2, 3, 4, 5, prefix="data/xenballoon",
                target=950000)
    # both: memory/ wins
    full_domain(7, 1111, 2222, 3333, 4, 5, 6, 7, 8, prefix="memory")
    full_domain(7, 9999, 9999, 9999, 9, 9, 9, 9, 9, prefix="data/xenballoon")
    # mixed: meminfo in memory/, the rest in data/xenballoon/
    put_domain(8, meminfo_text=meminfo(5000, 4000))
    put_domain(8, prefix="data/xenballoon", vmstat_text=vmstat(1, 2, 3, 4), selftarget=4500,
               preswap=6)
    lines = lines_of(ok_out())
    assert lines[1:] == [row(6, 1000000, 900000, 800000, 1, 2, 3, 4, 5),
                    row(7, 1111, 2222, 3333, 4, 5, 6, 7, 8),
                    row(8, 5000, 4500, 4000, 1, 2, 3, 4, 6)], (
        "rows")
    srcs = [ln[len(row(0)) + 21 + len(LONG_ZEROS):].split()[0]
            for ln in lines_of(ok_out("-l"))[1:]]
    assert srcs == ["data/xenballoon", "memory", "mixed"], "-l sources"


def test_missing_values_are_zero():
    clear_domains()
    put_domain(3, name="empty")                       # nothing published
    XS.mkdir(dom_path(9))                             # not even a name
    put_domain(11, meminfo_text="MemTotal: 4096 kB\n")  # no Committed_AS
    put_domain(12, vmstat_text="pswpout 7\n")          # one vmstat line
    assert lines_of(ok_out())[1:] == [row(3), row(9), row(11, tot=4096), row(12, sout=7)], "rows"


def test_garbage_values():
    """Unparsable values show 0; nothing of the guest's text is printed."""
    clear_domains()
    esc = "\x1b]0;owned\x07\x1b[2J\x1b[31m"
    put_domain(13, name=esc + "evil",
               meminfo_text=esc + "MemTotal: lots kB\nCommitted_AS: -5 kB\n" + esc,
               vmstat_text="pswpin \x1b[31m5\npswpout 0x10\npgpgin 99999999999999999999999999\n"
                           "pgpgout\n" + esc,
               selftarget="12abc", preswap="-5", target="1e6", static_max=esc)
    put_domain(14, meminfo_text=b"MemTotal:\x00 123 kB\n\xff\xfe\n", selftarget=" 42",
               preswap="42 ", vmstat_text=b"\x00" * 100)
    put_domain(15, selftarget="99999999999999999999999", preswap="18446744073709551616",
               meminfo_text="MemTotal: 1180591620717411303424 kB\n")
    for args in ([], ["-l"]):
        p = run(*args)
        assert p.returncode == 0, "exit status"
        assert p.stderr == b"", "stderr"
        only_safe_bytes(p.stdout, "table %s" % args)
    lines = lines_of(ok_out())
    assert lines[1:] == [row(13), row(14), row(15)], "rows"
    assert lines_of(ok_out("-l"))[1] == row(13) + "%11d%10d" % (0, 0) + LONG_ZEROS + (
        "  %-15s  %s" % ("memory", "?]0;owned??[2J?[31mevil")), (
        "sanitized name")


def test_order_and_dom0_excluded():
    clear_domains()
    for d in (10, 2, 3, 100):
        put_domain(d, selftarget=d)
    XS.write("/local/domain/0/memory/selftarget", "5")
    XS.write("/local/domain/0/memory/meminfo", meminfo(4096000, 1))
    XS.mkdir("/local/domain/tools")   # not a domain
    XS.mkdir("/local/domain/007")     # not a canonical domid
    lines = lines_of(ok_out())
    ids = [int(ln.split()[0]) for ln in lines[1:]]
    assert ids == [2, 3, 10, 100], "domain order"
    XS.rm("/local/domain/tools")
    XS.rm("/local/domain/007")


# --- host figures -------------------------------------------------------

def test_host_summary_and_precache():
    clear_domains()
    for d in (1, 2, 3, 10):
        put_domain(d, selftarget=1000 + d)
    set_xl(info=XL_INFO, tmem=XL_TMEM)
    lines = lines_of(ok_out(xl=fake_xl()))
    assert lines[1:] == [row(1, tgt=1001, precache=11), row(2, tgt=1002, precache=0),
                    row(3, tgt=1003, precache=777), row(10, tgt=1010, precache=1010),
                    "Free memory: 20133 MiB   Idle tmem: 200 MiB   Ephemeral tmem: 100 MiB"], (
        "rows and summary")
    calls = xl_calls()
    assert "info" in calls, "xl info not run: %r" % calls
    assert "tmem-list -a -l" in calls, "xl tmem-list -a -l not run: %r" % calls


def test_host_partial():
    clear_domains()
    put_domain(1, selftarget=5)
    # Xen >= 4.13: no tmem-list
    set_xl(info=XL_INFO)
    assert lines_of(ok_out(xl=fake_xl()))[-1] == "Free memory: 20133 MiB", "no tmem"
    # xl info fails, tmem works
    set_xl(info=XL_INFO, info_rc=1, tmem=XL_TMEM)
    assert lines_of(ok_out(xl=fake_xl()))[-1] == "Idle tmem: 200 MiB   Ephemeral tmem: 100 MiB", (
        "no free memory")
    # short (not --long) style G= line without Ec:
    set_xl(tmem="G=Tt:1,Te:0,Cf:0,Af:0,Pf:0,Ta:513,Lm:0,Et:0,Ea:0,Rt:0,Ra:0,Rx:0,Fp:0\n")
    assert lines_of(ok_out(xl=fake_xl()))[-1] == "Idle tmem: 2 MiB", "idle only"
    # free_memory 0 is a value (Xen 3.4's sed dropped it)
    set_xl(info="free_memory            : 0\n")
    assert lines_of(ok_out(xl=fake_xl()))[-1] == "Free memory: 0 MiB", "zero free"


def test_xl_missing():
    clear_domains()
    put_domain(1, selftarget=5)
    want = HEADER + "\n" + row(1, tgt=5) + "\n"
    assert ok_out(xl=NO_XL) == want, "no xl"
    notexec = os.path.join(WORKDIR, "not-executable")
    with open(notexec, "w") as f:
        f.write("#!/bin/sh\necho free_memory : 5\n")
    os.chmod(notexec, 0o644)
    assert ok_out(xl=notexec) == want, "xl not executable"
    assert ok_out(xl="/") == want, "xl a directory"


def test_xl_garbage():
    clear_domains()
    put_domain(1, selftarget=5)
    set_xl(info="free_memory : \x1b]0;x\x07 123\n", tmem="G=Ta:-5,Ec:\x1b[2J7\nC=CI:1,Ec:0x10\n")
    p = run(xl=fake_xl())
    assert (p.returncode, p.stderr) == (0, b""), "exit, stderr"
    only_safe_bytes(p.stdout, "output")
    assert p.stdout.decode() == HEADER + "\n" + row(1, tgt=5) + "\n", "nothing from garbage"
    set_xl(info="free_memory            : 99999999999999999999999\n",
           tmem="C=CI:1,Ec:5\nC=CI:1,Ec:6\n")
    assert lines_of(ok_out(xl=fake_xl()))[1:] == [row(1, tgt=5, precache=6)], "last C= line wins"


@pytest.mark.release_only
def test_xl_timeout_kills_group():
    clear_domains()
    put_domain(1, selftarget=5)
    set_xl(info=XL_INFO, info_sleep=60, tmem=XL_TMEM)
    t0 = time.monotonic()
    out = ok_out(xl=fake_xl(), timeout=40)
    took = time.monotonic() - t0
    assert 3.5 < took < 12, "took %.1f s (time-out is 5 s)" % took
    assert lines_of(out)[-1] == "Idle tmem: 200 MiB   Ephemeral tmem: 100 MiB", "summary"
    for f in ("info.pid", "info.childpid"):
        with open(os.path.join(FAKE, f)) as fh:
            pid = int(fh.read())
        gone = False
        for _ in range(200):
            try:
                with open("/proc/%d/stat" % pid) as st:
                    state = st.read().rsplit(")", 1)[1].split()[0]
                if state in ("Z", "X"):
                    gone = True
                    break
            except FileNotFoundError:
                gone = True
                break
            time.sleep(0.01)
        assert gone, "%s (pid %d) still running after the time-out" % (f, pid)


# --- widths and alignment ----------------------------------------------------

def right_edges(line):
    return [m.end() for m in re.finditer(r"\S+", line)]


# Xen 3.4's header and printf disagree by one column for swapin, swapout
# and precache (their labels end one column right of the numbers); both
# are kept exactly, so the skew stays when columns widen.
XEN34_SKEW = [0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0]


def header_edges_as_rows(hdr, n):
    return [e - k for e, k in zip(right_edges(hdr)[:n], XEN34_SKEW)]


def test_wide_numbers_never_truncated():
    clear_domains()
    big = dict(tot=123456789012, tgt=12345678, cmt=98765432, sin=1234567, sout=12345678,
               pgin=10 ** 15, pgout=123456789, preswap=7, precache=0)
    full_domain(1234, big["tot"], big["tgt"], big["cmt"], big["sin"], big["sout"],
                big["pgin"], big["pgout"], big["preswap"])
    full_domain(5, 1, 2, 3, 4, 5, 6, 7, 8)
    lines = lines_of(ok_out())
    hdr, r1, r2 = lines
    vals = [1234] + [big[k] for k in ("tot", "tgt", "cmt", "sin", "sout", "pgin", "pgout",
                                      "preswap", "precache")]
    assert [int(x) for x in r2.split()] == vals, "numbers in full"
    assert [int(x) for x in r1.split()] == [5, 1, 2, 3, 4, 5, 6, 7, 8, 0], "small row"
    assert header_edges_as_rows(hdr, 10) == right_edges(r2), "header/number right edges (wide)"
    assert right_edges(r1) == right_edges(r2), "rows aligned"
    assert hdr.split() == HEADER.split(), "header words"
    # -l, with big dom0 values too
    XS.write(dom_path(5, "memory/target"), str(10 ** 12))
    XS.write(dom_path(5, "memory/static-max"), str(10 ** 13))
    lines = lines_of(ok_out("-l"))
    e = [right_edges(ln)[:12] for ln in lines]
    assert header_edges_as_rows(lines[0], 12) == e[1], "-l header edges vs row"
    assert e[1] == e[2], "-l rows aligned"


def test_default_widths_match_seed():
    """With numbers that fit, the widths are Xen 3.4's: its header, and
    each number right-aligned in "%2d %8d%8d%8d%7d%8d%9d%9d%9d%9d"."""
    clear_domains()
    full_domain(9, 99999999, 9999999, 9999999, 999999, 9999999, 99999999, 99999999, 99999999)
    lines = lines_of(ok_out())
    assert lines == [HEADER, row(9, 99999999, 9999999, 9999999, 999999, 9999999, 99999999,
                            99999999, 99999999)], (
        "max widths that fit")
    # one digit more in the balloon column would touch memtotal in Xen 3.4's printf:
    # here the column widens and keeps a space
    full_domain(9, 99999999, 12345678, 1, 1, 1, 1, 1, 1)
    lines = lines_of(ok_out())
    assert " 99999999 12345678 " in lines[1], "no space kept: %r" % lines[1]
    assert header_edges_as_rows(lines[0], 10) == right_edges(lines[1]), "widened header"


def test_long_format():
    clear_domains()
    put_domain(3, name="web1", target=1048576, static_max=2097152,
               meminfo_text=meminfo(1000000, 500000), selftarget=900000)
    put_domain(4, name="caf\xe9-\u00e9\nx\ty" + "z" * 60)
    XS.mkdir(dom_path(5))
    lines = lines_of(ok_out("-l"))
    assert lines[0] == HEADER + LONG_EXTRA, "-l header"
    assert lines[1] == row(3, 1000000, 900000, 500000) + "%11d%10d" % (
        1048576, 2097152) + LONG_ZEROS + "  %-15s  %s" % ("memory", "web1"), "-l row"
    assert lines[2] == row(4) + "%11d%10d" % (0, 0) + LONG_ZEROS + "  %-15s  %s" % (
        "-", "caf??-???x?y" + "z" * 27 + "~"), "-l sanitized, truncated name"
    assert lines[3] == row(5) + "%11d%10d" % (0, 0) + LONG_ZEROS + "  %-15s  %s" % (
        "-", "-"), "-l no name"


# --- JSON ------------------------------------------------------------------------

FIELDS = ["memtotal_kb", "selftarget_kb", "committed_as_kb", "pswpin", "pswpout", "pgpgin",
          "pgpgout", "preswap_pages", "precache_pages", "target_kb", "static_max_kb",
          "used_kb", "goal_kb", "psi_some_avg10", "psi_full_avg10", "workingset_kb",
          "balancer_share_kb", "balancer_weight", "balancer_min_kb", "balancer_max_kb",
          "balancer_stalling"]
# Strings, or null: the daemon's mode, the balancer's state of the guest.
TEXT_FIELDS = ["mode", "balancer_state"]


def test_json():
    clear_domains()
    full_domain(1, 1015944, 524288, 345678, 5, 6, 123456, 654321, 12, name="web1",
                target=1048576, static_max=2097152)
    weird = b'q"b\\s\nn\tt\x1b[31m\x00z\xff\xc3\xa9\xc2\x9b\xe2\x80\xa8end'
    put_domain(2, name=weird, prefix="data/xenballoon", selftarget=77)
    XS.mkdir(dom_path(3))
    set_xl(info=XL_INFO, tmem=XL_TMEM)
    p = run("--json", xl=fake_xl())
    assert (p.returncode, p.stderr) == (0, b""), "exit, stderr"
    raw = p.stdout
    assert b"\x1b" not in raw and b"\x00" not in raw and b"\xc2\x9b" not in raw, (
        "control characters in the JSON text")
    raw.decode("utf-8")  # strict: valid UTF-8
    doc = json.loads(raw)
    assert sorted(doc) == ["balancer", "domains", "host"], "top-level keys"
    assert doc["balancer"] is None, "no balancer running"
    doms = doc["domains"]
    assert [d["domid"] for d in doms] == [1, 2, 3], "domids"
    for d in doms:
        assert sorted(d) == sorted(["domid", "name", "stats_source"] + FIELDS + TEXT_FIELDS), (
            "domain keys")
        assert d["mode"] is None and d["balancer_state"] is None, "no mode, no balancer"
        for f in FIELDS:
            assert d[f] is None or (isinstance(d[f], int) and d[f] >= 0), "%s: %r" % (f, d[f])
    d1 = doms[0]
    assert [d1[f] for f in FIELDS] == [1015944, 524288, 345678, 5, 6, 123456, 654321, 12, 11,
                                  1048576, 2097152, None, None, None, None, None, None,
                                  None, None, None, None], (
        "domain 1 values")
    assert (d1["name"], d1["stats_source"]) == ("web1", "memory"), "domain 1 name, source"
    assert doms[1]["name"] == 'q"b\\s\nn\tt\x1b[31m\x00z\ufffd\u00e9\u009b\u2028end', (
        "escaped name")
    assert doms[1]["stats_source"] == "data/xenballoon", "source"
    assert doms[1]["selftarget_kb"] == 77, "selftarget"
    assert doms[1]["memtotal_kb"] == None, "missing is null"
    assert (doms[2]["name"], doms[2]["stats_source"]) == (None, None), "no name, no stats"
    assert doc["host"] == {"free_memory_mib": 20133, "tmem_idle_pages": 51200,
                      "tmem_ephemeral_pages": 25600, "tmem_idle_mib": 200,
                      "tmem_ephemeral_mib": 100}, (
        "host")
    doc = json.loads(ok_out("--json", xl=NO_XL))
    assert set(doc["host"].values()) == {None}, "host without xl"
    clear_domains()
    assert json.loads(ok_out("--json"))["domains"] == [], "no domains"


PSI_TEXT = ("some avg10=1.25 avg60=0.50 avg300=0.10 total=123456\n"
            "full avg10=0.07 avg60=0.02 avg300=0.00 total=6543\n")


def test_pressure_goal_figures():
    """The pressure goal's figures (used, the page cache kept, goal, PSI
    some/full avg10) in the long table, JSON and Prometheus; garbage in
    them reads as absent."""
    clear_domains()
    put_domain(3, name="web1", meminfo_text=meminfo(466000, 20000), selftarget=250000)
    XS.write(dom_path(3, "memory/used"), "150000")
    XS.write(dom_path(3, "memory/workingset"), "61440")
    XS.write(dom_path(3, "memory/goal"), "239768")
    XS.write(dom_path(3, "memory/pressure"), PSI_TEXT)
    put_domain(4, name="odd", prefix="data/xenballoon", selftarget=1)
    XS.write(dom_path(4, "data/xenballoon/used"), "12k")
    XS.write(dom_path(4, "data/xenballoon/workingset"), "-1")
    XS.write(dom_path(4, "data/xenballoon/pressure"),
             "some avg10=101.00 avg60=0 avg300=0 total=1\n\x1b[2J")
    lines = lines_of(ok_out("-l"))
    assert lines[1] == row(3, 466000, 250000, 20000) + "%11d%10d%10d%10d%10d%9s%9s  %-15s  %s" % (
        0, 0, 150000, 61440, 239768, "1.25", "0.07", "memory", "web1"), "-l row: %r" % lines[1]
    assert lines[2] == row(4, tgt=1) + "%11d%10d" % (0, 0) + LONG_ZEROS + "  %-15s  %s" % (
        "data/xenballoon", "odd"), "-l garbage row: %r" % lines[2]
    doc = json.loads(ok_out("--json"))
    d3, d4 = doc["domains"]
    keys = ("used_kb", "workingset_kb", "goal_kb", "psi_some_avg10", "psi_full_avg10")
    assert [d3[f] for f in keys] == [150000, 61440, 239768, 1.25, 0.07], "json figures"
    assert [d4[f] for f in keys] == [None, None, None, None, None], "json garbage"
    s = prom_parse_strict(ok_out("--prometheus"))
    web = (("domid", "3"), ("name", "web1"))
    got = {k: v for k, v in s.items()
           if k[1] == web and any(w in k[0] for w in ("used", "workingset", "goal", "psi"))}
    assert got == {("xenballoon_guest_used_bytes", web): 150000 * 1024,
                   ("xenballoon_guest_workingset_bytes", web): 61440 * 1024,
                   ("xenballoon_guest_goal_bytes", web): 239768 * 1024,
                   ("xenballoon_guest_psi_memory_some_avg10_ratio", web): 0.0125,
                   ("xenballoon_guest_psi_memory_full_avg10_ratio", web): 0.0007}, got
    # The short table keeps the seed's ten columns.
    assert lines_of(ok_out())[0] == HEADER, "short header"


# --- Prometheus ------------------------------------------------------------

ABBREVIATIONS = {"s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"}
def prom_parse_strict(text):
    """The text exposition format, read by the Prometheus client library's
    own parser (Debian's python3-prometheus-client), plus the rules
    promtool's promlint applies. Returns {(name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    assert text == "" or text.endswith("\n"), "does not end with a newline"
    assert "\n\n" not in text and not text.startswith("\n"), "empty line"
    samples, families = {}, []
    for fam in text_string_to_metric_families(text):
        # A family's HELP, TYPE and samples form one block: one split
        # in two comes back from the parser as two families.
        assert fam.name not in families, fam.name + ": not one block"
        families.append(fam.name)
        assert fam.type in ("counter", "gauge"), "%s: type %s" % (fam.name, fam.type)
        assert fam.documentation.strip() != "", fam.name + ": HELP wanted"
        if fam.type == "counter":
            # The library names a counter's samples NAME_total whatever
            # the text said: the text must have said it.
            assert "# TYPE %s_total counter\n" % fam.name in text, (
                fam.name + ": counters end in _total")
        for smp in fam.samples:
            name = smp.name
            # Counts, pages and bytes are whole; a _ratio (PSI) is 0..1.
            assert smp.value == int(smp.value) or (
                name.endswith("_ratio") and 0 <= smp.value <= 1), (
                "%s: odd value %r" % (name, smp.value))
            # promlint
            assert name == name.lower(), name + ": not snake_case"
            assert (fam.type == "counter") == name.endswith("_total"), (
                name + ": counters (only) end in _total")
            for tok in name.split("_"):
                assert tok not in ABBREVIATIONS, name + ": abbreviated unit " + tok
            assert not re.search(r"_(bucket|count|sum)$", name), name + ": reserved suffix"
            assert ":" not in name, name + ": colon"
            key = (name, tuple(smp.labels.items()))
            assert key not in samples, "%s: duplicate series" % (key,)
            samples[key] = smp.value
    return samples


WEB1 = (("domid", "3"), ("name", "web1"))


def put_web1(selftarget_kb=524288):
    """Domain 3, "web1", with every statistic; returns the Prometheus
    series the monitor must give for it."""
    full_domain(3, 1015944, selftarget_kb, 345678, 5, 6, 123456, 654321, 12, name="web1",
                target=1048576, static_max=2097152)
    return {
        ("xenballoon_guest_memtotal_bytes", WEB1): 1015944 * 1024,
        ("xenballoon_guest_selftarget_bytes", WEB1): selftarget_kb * 1024,
        ("xenballoon_guest_committed_as_bytes", WEB1): 345678 * 1024,
        ("xenballoon_guest_vmstat_pswpin_total", WEB1): 5,
        ("xenballoon_guest_vmstat_pswpout_total", WEB1): 6,
        ("xenballoon_guest_vmstat_pgpgin_total", WEB1): 123456,
        ("xenballoon_guest_vmstat_pgpgout_total", WEB1): 654321,
        ("xenballoon_guest_preswap_pages", WEB1): 12,
        ("xenballoon_guest_target_bytes", WEB1): 1048576 * 1024,
        ("xenballoon_guest_static_max_bytes", WEB1): 2097152 * 1024,
        ("xenballoon_guest_info", WEB1 + (("source", "memory"),)): 1,
    }


def test_prometheus():
    clear_domains()
    web1 = put_web1()
    weird = b'a\\b"c\nd\x1b[2Je\xff\xc3\xa9'
    put_domain(4, name=weird, prefix="data/xenballoon", selftarget=77)
    XS.mkdir(dom_path(5))
    set_xl(info=XL_INFO, tmem=XL_TMEM)
    p = run("--prometheus", xl=fake_xl())
    assert (p.returncode, p.stderr) == (0, b""), "exit, stderr"
    assert b"\x1b" not in p.stdout, "ESC in the output"
    text = p.stdout.decode("utf-8")
    s = prom_parse_strict(text)
    odd = (("domid", "4"), ("name", 'a\\b"c\nd\ufffd[2Je\ufffd\u00e9'))
    want = dict(web1)
    want.update({
        ("xenballoon_guest_precache_pages", WEB1): 777,
        ("xenballoon_guest_selftarget_bytes", odd): 77 * 1024,
        ("xenballoon_guest_info", odd + (("source", "data/xenballoon"),)): 1,
        ("xenballoon_guest_info", (("domid", "5"), ("name", ""), ("source", "none"))): 1,
        ("xenballoon_host_free_memory_bytes", ()): 20133 * 1048576,
        ("xenballoon_host_tmem_idle_pages", ()): 51200,
        ("xenballoon_host_tmem_ephemeral_pages", ()): 25600,
    })
    assert s == want, "samples"
    promtool = shutil.which("promtool")
    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=p.stdout,
                           capture_output=True, timeout=30)
        assert r.returncode == 0, "promtool check metrics: %r" % (r.stdout + r.stderr)
    # without anything: still valid (empty)
    clear_domains()
    assert prom_parse_strict(ok_out("--prometheus")) == {}, "empty exposition"


# --- domains coming and going ---------------------------------------------------

def test_domain_removed_between_listing_and_reading():
    """The fake xl runs after the listing and before the reads: its hook
    destroys domain 5 there."""
    clear_domains()
    for d in (4, 5, 6):
        full_domain(d, 1000 * d, 900 * d, 800 * d, d, d, d, d, d, name="dom%d" % d)
    hook = "#!/bin/sh\n[ \"$1\" = info ] || exit 0\nexec %s %s rm \"$XENSTORED_PATH\" /local/domain/5\n" % (
        sys.executable, XS_PY)
    set_xl(info=XL_INFO, hook=hook)
    for args in ([], ["--json"], ["--prometheus"], ["-l"]):
        put_domain(5, name="dom5", selftarget=5)
        out = ok_out(*args, xl=fake_xl())
        assert XS.read(dom_path(5)) is None, "hook did not remove domain 5"
        if args == ["--json"]:
            assert [d["domid"] for d in json.loads(out)["domains"]] == [4, 6], "json domids"
        elif args == ["--prometheus"]:
            assert 'domid="5"' not in out and 'domid="6"' in out, "prometheus: %r" % out
        else:
            assert [int(ln.split()[0]) for ln in lines_of(out)[1:-1]] == [4, 6], "%s ids" % args


def test_domains_churning():
    """Domains created and destroyed all the time: never an error."""
    clear_domains()
    full_domain(1, 1, 2, 3, 4, 5, 6, 7, 8, name="stable")
    stop = threading.Event()
    errors = []

    def churn():
        try:
            with XSD.client() as xs:
                i = 0
                while not stop.is_set():
                    d = 20 + i % 10
                    full_domain(d, 1, 2, 3, 4, 5, 6, 7, 8, name="c%d" % d, xs=xs)
                    xs.rm(dom_path(20 + (i + 5) % 10))
                    i += 1
        except Exception as e:  # pragma: no cover
            errors.append(e)

    th = threading.Thread(target=churn)
    th.start()
    try:
        for i in range(25):
            args = (["--json"], [], ["-l"], ["--prometheus"])[i % 4]
            out = ok_out(*args)
            if args == ["--json"]:
                ids = [d["domid"] for d in json.loads(out)["domains"]]
                assert ids[0] == 1 and set(ids) <= {1} | set(range(20, 30)), "ids %r" % ids
            elif args == ["--prometheus"]:
                prom_parse_strict(out)
            else:
                for ln in lines_of(out)[1:]:
                    assert re.match(r"^ ?\d+( +\d+){9}( |$)", ln), "bad row %r" % ln
    finally:
        stop.set()
        th.join()
    assert not errors, "churn thread: %r" % errors


# --- xenstore unreachable ----------------------------------------------------------

def test_xenstore_unreachable():
    p = run(extra={"XENSTORED_PATH": "/nonexistent/socket"})
    assert p.returncode == 1, "exit status, no socket"
    assert p.stdout == b"", "stdout"
    err = p.stderr.decode()
    assert "xenstore" in err and "/nonexistent/socket" in err, "message: %r" % err
    assert err.count("\n") == 1, "one line: %r" % err
    # watching: not there at the start is an error too (later losses are retried)
    p = run("-w", "0.2", extra={"XENSTORED_PATH": "/nonexistent/socket"}, timeout=10)
    assert (p.returncode, p.stdout) == (1, b""), "watch without xenstore"
    assert b"/nonexistent/socket" in p.stderr, "message: %r" % p.stderr
    # a stale socket (xenstored killed)
    d = os.path.join(WORKDIR, "stale")
    xsd = Xenstored(d).start()
    try:
        xsd.kill()
        p = run(xsd=xsd)
        assert p.returncode == 1, "exit status, stale socket"
        assert b"Connection refused" in p.stderr, "message: %r" % p.stderr
    finally:
        xsd.stop()


# --- options ----------------------------------------------------------------

def test_options():
    p = run("-h")
    assert (p.returncode, p.stderr) == (0, b""), "-h"
    assert b"usage: xenballoon-monitor" in p.stdout and b"--prometheus" in p.stdout, "usage text"
    assert run("--help").stdout == p.stdout, "--help"
    for v in ("-V", "--version"):
        p = run(v)
        assert p.returncode == 0, v
        assert re.match(rb"^xenballoon-monitor \S+\n$", p.stdout), "%s: %r" % (v, p.stdout)
    for bad in (["-x"], ["--bogus"], ["extra"], ["-w"], ["-w", "0"], ["-w", "abc"],
                ["-w", "nan"], ["-w", "inf"], ["-w", "-1"], ["-w", "1s"], ["-w", "100000"],
                ["--json", "--prometheus"]):
        p = run(*bad)
        assert p.returncode == 2, "exit status for %s" % bad
        assert p.stdout == b"", "stdout for %s" % bad
        assert p.stderr != b"", "no message for %s" % bad


# --- watch --------------------------------------------------------------------

def read_until(fd, pred, timeout, buf=b""):
    end = time.monotonic() + timeout
    while not pred(buf):
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def stop_watch(p, timeout=10):
    p.send_signal(signal.SIGINT)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail("did not stop on SIGINT")


def test_watch_plain_when_not_a_terminal():
    clear_domains()
    full_domain(3, 1000, 2000, 3000, 4, 5, 6, 7, 8)
    p = subprocess.Popen([BIN, "-w", "0.2"], env=env_for(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        frame = HEADER + "\n" + row(3, 1000, 2000, 3000, 4, 5, 6, 7, 8) + "\n\n"
        buf = read_until(p.stdout.fileno(), lambda b: b.count(frame.encode()) >= 2, 10)
        assert buf.count(frame.encode()) >= 2, "two frames: %r" % buf
        XS.write(dom_path(3, "memory/selftarget"), "2500")
        frame2 = HEADER + "\n" + row(3, 1000, 2500, 3000, 4, 5, 6, 7, 8) + "\n\n"
        buf = read_until(p.stdout.fileno(), lambda b: frame2.encode() in b, 10, buf)
        assert frame2.encode() in buf, "changed frame: %r" % buf[-400:]
    finally:
        rc = stop_watch(p)
    rest = p.stdout.read()
    err = p.stderr.read()
    assert (rc, err) == (0, b""), "exit, stderr"
    only_safe_bytes(buf + rest, "plain frames")
    assert ((buf + rest).decode().replace(frame, "").replace(frame2, "")) == "", (
        "only whole frames")


def test_watch_json_lines():
    clear_domains()
    put_domain(3, selftarget=5)
    p = subprocess.Popen([BIN, "--json", "-w", "0.2"], env=env_for(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        buf = read_until(p.stdout.fileno(), lambda b: b.count(b"\n") >= 3, 10)
    finally:
        rc = stop_watch(p)
    buf += p.stdout.read()
    assert (rc, p.stderr.read()) == (0, b""), "exit, stderr"
    docs = [json.loads(ln) for ln in buf.decode().splitlines()]
    assert len(docs) >= 3, "%d documents" % len(docs)
    assert all(d["domains"][0]["selftarget_kb"] == 5 for d in docs), "values"


def test_watch_terminal_highlights_changes():
    clear_domains()
    full_domain(3, 1000, 2000, 3000, 4, 5, 6, 7, 8, name="web1")
    master, slave = os.openpty()
    p = subprocess.Popen([BIN, "-l", "-w", "0.2"], env=env_for(), stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    try:
        buf = read_until(master, lambda b: b.count(b"\x1b[H") >= 3, 10)
        assert buf.startswith(b"\x1b[H\x1b[2J"), "clears the screen first: %r" % buf[:40]
        assert b"Every 0.2s: xenballoon-monitor" in buf, "title: %r" % buf[:200]
        assert b"\x1b[7m" not in buf, "nothing changed, nothing highlighted: %r" % buf[-600:]
        # one transaction: both changes land in the same frame
        XS.transaction(lambda t: (XS.write(dom_path(3, "memory/selftarget"), "2500", t),
                                  XS.write(dom_path(7, "memory/selftarget"), "7", t)))
        hl = b"\x1b[7m2500\x1b[27m"
        buf = read_until(master, lambda b: hl in b, 10, buf)
        assert hl in buf, "changed cell highlighted: %r" % buf[-800:]
        at = buf.index(hl)
        end = buf.find(b"\x1b[H", at)
        frame = buf[buf.rindex(b"\x1b[H", 0, at):end if end >= 0 else len(buf)]
        assert b"\x1b[7m1000\x1b[27m" not in frame, "unchanged cell highlighted: %r" % frame
        assert re.search(rb"\n\x1b\[7m ?7\x1b\[27m", frame) or b"\x1b[7m7\x1b[27m " in frame, (
            "new domain highlighted: %r" % frame)
        # the next frame: nothing changed any more
        n = buf.count(b"\x1b[H")
        buf = read_until(master, lambda b: b.count(b"\x1b[H") >= n + 2, 10, buf)
        last = buf[buf.rindex(b"\x1b[H", 0, buf.rindex(b"\x1b[H")):buf.rindex(b"\x1b[H")]
        assert b"\x1b[7m" not in last and b" 2500" in last, "settled frame: %r" % last
    finally:
        rc = stop_watch(p)
        os.close(master)
    assert (rc, p.stderr.read()) == (0, b""), "exit, stderr"


@pytest.mark.release_only
def test_watch_survives_xenstored_restart():
    d = os.path.join(WORKDIR, "restart")
    xsd = Xenstored(d).start()
    try:
        with xsd.client() as xs:
            put_domain(3, selftarget=111, xs=xs)
        p = subprocess.Popen([BIN, "--json", "-w", "0.2"], env=env_for(xsd=xsd),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            buf = read_until(p.stdout.fileno(), lambda b: b"111" in b, 10)
            assert b"111" in buf, "first frames: %r" % buf
            xsd.kill()
            err = read_until(p.stderr.fileno(), lambda b: b"retrying" in b, 10)
            assert b"retrying" in err, "no message after the crash: %r" % err
            xsd.start()
            with xsd.client() as xs:
                put_domain(3, selftarget=222, xs=xs)
            buf = read_until(p.stdout.fileno(), lambda b: b"222" in b, 10, buf)
            assert b"222" in buf, "no frame after the restart: %r" % buf[-300:]
            err = read_until(p.stderr.fileno(), lambda b: b"back" in b, 5, err)
        finally:
            rc = stop_watch(p)
        err += p.stderr.read()
        assert rc == 0, "exit status"
        assert err.count(b"retrying") == 1, "one message while down: %r" % err
        assert b"xenstore is back" in err, "recovery message: %r" % err
    finally:
        xsd.stop()


@pytest.mark.release_only
def test_many_domains():
    clear_domains()

    def fill(t):
        for d in range(1, 301):
            XS.write(dom_path(d, "memory/selftarget"), str(d), t)
            XS.write(dom_path(d, "memory/meminfo"), meminfo(d * 1000, d), t)
    XS.transaction(fill)
    t0 = time.monotonic()
    lines = lines_of(ok_out())
    took = time.monotonic() - t0
    assert len(lines) == 301, "rows"
    assert lines[300] == row(300, 300000, 300, 300), "last row"
    assert took < 10, "took %.1f s" % took
    clear_domains()


# --- dom0 metrics for a fleet: node_exporter's textfile collector ----------------

def free_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, timeout=10.0):
    """GET /metrics from node_exporter, retrying while it starts."""
    import urllib.request
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                return r.read().decode("utf-8")
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def samples_of(text, prefix):
    """{(name, sorted labels): value} of the series whose name starts with
    prefix, read with the Prometheus client library's own parser."""
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.startswith(prefix):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.mark.release_only
def test_textfile_scraped_by_node_exporter(case_dir):
    """--textfile DIR writes DIR/xenballoon.prom atomically; the real
    prometheus-node-exporter (textfile collector only, on 127.0.0.1)
    serves the guests' values from xenstore, with no scrape error."""
    exporter = shutil.which("prometheus-node-exporter")
    assert exporter, "prometheus-node-exporter is not installed (mk/monitor.mk installs it)"
    clear_domains()
    want = put_web1()
    put_domain(7, name="db2", prefix="data/xenballoon", meminfo_text=meminfo(2000000, 1500000),
               selftarget=1800000)
    tdir = os.path.join(case_dir, "textfile")
    os.makedirs(tdir)
    # An earlier file is replaced, not appended to.
    with open(os.path.join(tdir, "xenballoon.prom"), "w") as f:
        f.write("xenballoon_stale_series 1\n")
    p = run("--textfile", tdir)
    assert (p.returncode, p.stderr, p.stdout) == (0, b"", b""), "exit, stderr, stdout"
    assert sorted(os.listdir(tdir)) == ["xenballoon.prom"], "left in DIR: %r" % os.listdir(tdir)
    assert os.stat(os.path.join(tdir, "xenballoon.prom")).st_mode & 0o777 == 0o644, "mode"
    with open(os.path.join(tdir, "xenballoon.prom")) as f:
        assert f.read() == ok_out("--prometheus"), "the file differs from --prometheus"

    port = free_port()
    log = open(os.path.join(case_dir, "node-exporter.log"), "wb")
    ne = subprocess.Popen([exporter, "--collector.disable-defaults", "--collector.textfile",
                           "--collector.textfile.directory=" + tdir,
                           "--web.listen-address=127.0.0.1:%d" % port],
                          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        text = scrape(port)
        got = samples_of(text, "xenballoon_")
        db = (("domid", "7"), ("name", "db2"))
        want.update({
            ("xenballoon_guest_memtotal_bytes", db): 2000000 * 1024,
            ("xenballoon_guest_committed_as_bytes", db): 1500000 * 1024,
            ("xenballoon_guest_selftarget_bytes", db): 1800000 * 1024,
            ("xenballoon_guest_info", db + (("source", "data/xenballoon"),)): 1,
        })
        for k, v in want.items():
            assert got.get(k) == v, "scraped %s = %r, wanted %r" % (k, got.get(k), v)
        assert not any(n == "xenballoon_stale_series" for n, _ in got), "old file served"
        errs = samples_of(text, "node_textfile_scrape_error")
        assert errs == {("node_textfile_scrape_error", ()): 0.0}, "scrape error: %r" % errs
        # The guest moves; the next run's file is what the next scrape serves.
        put_web1(selftarget_kb=400000)
        p = run("--textfile", tdir)
        assert p.returncode == 0, "second run exit %d" % p.returncode
        got = samples_of(scrape(port), "xenballoon_guest_selftarget_bytes")
        assert got[("xenballoon_guest_selftarget_bytes", WEB1)] == 400000 * 1024, "not updated"
        lines = [ln for ln in text.splitlines() if ln.startswith("xenballoon_guest_memtotal")]
    finally:
        ne.terminate()
        ne.wait(timeout=10)
        log.close()
    # A directory that is not there: a clear error, exit 1.
    p = run("--textfile", os.path.join(case_dir, "missing"))
    assert p.returncode == 1, "exit %d for a missing directory" % p.returncode
    assert b"missing/xenballoon.prom" in p.stderr, "stderr %r" % p.stderr
    return "node_exporter served %d xenballoon series, node_textfile_scrape_error 0; %s" % (
        len(samples_of(text, "xenballoon_")), "; ".join(lines))
