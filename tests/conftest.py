"""What every Python suite shares (integration, monitor, faults, soak and
the harness self-test), in one place:

  * the options naming the builds under test (--daemon, --monitor, ...)
    and where the logs go (--workdir);
  * the result file of `make check` (--result: one line "PASSED FAILED",
    read by scripts/summary.sh). A skipped test, a module that does not
    import, or a run that selected no test at all counts as failed;
  * fixtures: the real xenstored of tests/harness (xsd), a fake guest
    with the daemon under test (new_guest), a directory per case;
  * a test may return a one-line account of what it measured: it is
    printed at the end under "measured".

One case: `make check-integration T=NAME` (pytest -k NAME).
"""

import os
import re
import signal
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "harness"))

from guest import Guest, rmtree  # noqa: E402
from xs import Xenstored  # noqa: E402


def pytest_addoption(parser):
    g = parser.getgroup("xenballoond", "the builds under test")
    g.addoption("--result", default="",
                help="file to get one line 'PASSED FAILED' (make check's summary)")
    g.addoption("--suite", default="", help="the suite's name in the last line")
    g.addoption("--workdir", default=os.path.join(REPO, "build", "pytest"),
                help="where each case keeps its files and logs")
    g.addoption("--daemon", default=os.path.join(REPO, "build", "xenballoond"),
                help="the xenballoond binary under test")
    g.addoption("--san-daemon", default="",
                help="the ASan/UBSan build of xenballoond (soak)")
    g.addoption("--wrapper", default="",
                help='command in front of the daemon: "valgrind --error-exitcode=99 ..."')
    g.addoption("--shim", default="", help="faultinj.so, preloaded into the daemon (faults)")
    g.addoption("--monitor", default=os.path.join(REPO, "build", "xenballoon-monitor"),
                help="the xenballoon-monitor binary under test")
    g.addoption("--san-monitor", default="",
                help="the ASan/UBSan build of xenballoon-monitor: its cases run twice")
    g.addoption("--balancer", default=os.path.join(REPO, "build", "xenballoon-balancer"),
                help="the xenballoon-balancer binary under test")
    g.addoption("--fakexl", default=os.path.join(REPO, "build", "harness", "fakexl.so"),
                help="the stand-in for libxl preloaded into the balancer (balancer)")
    g.addoption("--ticks", type=int, default=20000, help="ticks of each soak run")
    g.addoption("--seed", type=int, default=None, help="random seed of the fault matrix")


class Tally:
    """Counts each test once: passed when every phase passed."""

    def __init__(self):
        self.passed = set()
        self.failed = set()
        self.broken = []            # modules that did not collect
        self.details = []           # (test name or None, line) for "measured"
        self.final = (0, 1)         # what the result file says

    def counts(self):
        passed = len(self.passed - self.failed)
        return passed, len(self.failed) + len(self.broken)

    def pytest_collectreport(self, report):
        if report.failed:
            self.broken.append(report.nodeid)

    def pytest_runtest_logreport(self, report):
        if report.failed or report.skipped:
            self.failed.add(report.nodeid)
        elif report.when == "call":
            self.passed.add(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        args = {n: pyfuncitem.funcargs[n] for n in pyfuncitem._fixtureinfo.argnames}
        detail = pyfuncitem.obj(**args)
        if detail is not None:
            self.details.append((pyfuncitem.name, str(detail)))
        return True

    def pytest_sessionfinish(self, session, exitstatus):
        passed, failed = self.counts()
        if failed == 0 and (passed == 0 or exitstatus not in (0, 1)):
            failed = 1              # nothing ran, or the run itself broke
        if failed:
            if session.exitstatus == 0:
                session.exitstatus = 1
        self.final = (passed, failed)
        result = session.config.getoption("result")
        if result:
            os.makedirs(os.path.dirname(os.path.abspath(result)), exist_ok=True)
            with open(result, "w") as f:
                f.write("%d %d\n" % (passed, failed))
            # The failing cases by name, for scripts/summary.sh's last lines.
            with open(result + ".failures", "w") as f:
                for name in sorted(self.failed) + self.broken:
                    f.write("FAIL %s\n" % name)

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        if self.details:
            tr.section("measured")
            for name, detail in self.details:
                tr.write_line(detail if name is None else "%s: %s" % (name, detail))
        if self.broken:
            tr.write_line("did not collect: %s" % ", ".join(self.broken), red=True)
        if self.counts() == (0, 0):
            tr.write_line("no test ran: counted as 1 failed", red=True)
        # pytest_sessionfinish ran first: self.final is what --result got.
        suite = tr.config.getoption("suite") or "pytest"
        tr.write_line("%s: %d passed, %d failed" % ((suite,) + self.final))


def pytest_configure(config):
    config.pluginmanager.register(Tally(), "xenballoond-tally")


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def opts(request):
    """The command-line options (pytest_addoption above)."""
    return request.config.option


@pytest.fixture(scope="session")
def report(request):
    """report(line): a line for the "measured" section at the end."""
    tally = request.config.pluginmanager.get_plugin("xenballoond-tally")
    return lambda line: tally.details.append((None, line))


@pytest.fixture(scope="session")
def workdir(opts):
    d = os.path.abspath(opts.workdir)
    os.makedirs(d, exist_ok=True)
    return d


def case_name(node_name):
    """A directory name for a case: test_x[san] -> x-san."""
    name = re.sub(r"^test_", "", node_name)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


@pytest.fixture
def case_dir(request, workdir):
    """An empty directory for this case's files and logs (kept after the
    run for a post-mortem)."""
    d = os.path.join(workdir, case_name(request.node.name))
    rmtree(d)
    os.makedirs(d)
    return d


@pytest.fixture
def xsd(case_dir):
    """The real xenstored, started, for this case alone."""
    x = Xenstored(os.path.join(case_dir, "xsd"))
    x.start()
    yield x
    stop_xenstored(x)


def stop_xenstored(x):
    """Stop a xenstored that a case may have left stopped (SIGSTOP)."""
    if x.pid:
        try:
            os.kill(x.pid, signal.SIGCONT)
        except OSError:
            pass
    x.stop()


@pytest.fixture
def new_guest(case_dir, opts):
    """new_guest(xsd, conf="", **kw): a Guest (tests/harness/guest.py) in
    this case's directory running --daemon (under --wrapper). Daemons a
    failed case leaves running are killed."""
    made = []

    def make(xsd, conf="", sub="guest", **kw):
        g = Guest(os.path.join(case_dir, sub), xsd, os.path.abspath(opts.daemon), conf,
                  wrapper=opts.wrapper, **kw)
        made.append(g)
        return g
    yield make
    for g in made:
        g.kill()
