#!/usr/bin/env python3
"""The tables of `make bench-policy`, from the guests' console logs.

Reads E2E_DIR/bp-RUN-POLICY.log (the anonymous-memory trace) and
E2E_DIR/bpd-RUN-POLICY.log (the disk trace), one guest each: the trace's
phases, "P NAME START_MS END_MS WORK", and the samples, "S t_ms
target_kb ...", see bench/policy/polbench.c and tests/e2e/diskserve.c;
and E2E_DIR/console.log ("E2E BENCH" lines). Prints a markdown table per
trace, one row per policy per run, and a targets block for the pressure
goal, and writes them to OUT/table.md; the logs are copied to OUT.
"""
import argparse
import datetime
import os
import platform
import shutil
import statistics
import sys

NAMES = {
    "static": "no daemon (static 512 MB)",
    "2009": "2009 rule (XENBALLOON_GOAL=committed)",
    "kernel": "kernel successor (interval 5, down 8, reserve 10 %)",
    "qubes": "Qubes-like (1.3 x used; bench-only controller)",
    "pressure": "pressure goal (XENBALLOON_SELF=true, the default)",
    "nopsi": "pressure goal, guest booted psi=0 (no PSI)",
    "nocache": "pressure goal without the cache rule (XENBALLOON_CACHE_HOLD=0)",
    "cycled": "static 512 MB, the balloon taken to the floor and back first (a control)",
    "static2": "no daemon (static 512 MB) again, after the others (a control)",
}
ALLOC_PHASES = ["ramp", "burst1", "burst2", "burst3", "slab"]
FIELDS = ["t_ms", "target_kb", "current_kb", "memtotal_kb", "memavail_kb", "committed_kb",
          "swapused_kb", "psi_some_us", "psi_full_us", "pswpin", "pswpout", "pgmajfault",
          "refault", "oom_kill", "file_kb", "refault_file", "disk_read_kb"]
SERVES = ["serve1", "serve2", "serve3"]
ANON_ORDER = ["idle", "ramp", "hold", "burst1", "gap1", "burst2", "gap2", "burst3", "gap3",
              "quiet", "slab", "slab-free", "tail"]
DISK_ORDER = ["idle", "load", "heap", "serve1", "lull1", "serve2", "lull2", "serve3", "cold"]
# A burst's pressure starts when the PSI "some" total moves, or when
# MemAvailable falls under this (near the kernel's reclaim watermarks; a
# guest sized tightly sits at some tens of MB without stalling).
PRESSURE_AVAIL_KB = 16 * 1024


def parse_log(path):
    """phases {name: (start_ms, end_ms, work)}, samples [dict], extras {}."""
    phases, samples, extra = {}, [], {"daemon": [], "trace_err": []}
    inside = False
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "BP-BEGIN":
                inside = True
                continue
            if w[0] == "BP-END":
                inside = False
                continue
            if w[0] == "BP-RESULT":
                extra["result"] = " ".join(w[3:])
                continue
            if not inside:
                continue
            if w[0] == "P" and len(w) >= 5:
                phases[w[1]] = (int(w[2]), int(w[3]), w[4])
            elif w[0] == "S" and len(w) == len(FIELDS) + 1:
                try:
                    samples.append(dict(zip(FIELDS, (int(x) for x in w[1:]))))
                except ValueError:
                    extra.setdefault("bad_lines", 0)
                    extra["bad_lines"] = extra.get("bad_lines", 0) + 1
            elif w[0] == "X" and len(w) >= 2:
                if w[1] in ("daemon", "trace_err"):
                    extra[w[1]].append(" ".join(w[2:]))
                elif w[1].startswith(("cpu_", "tasks_")):
                    extra[w[1]] = w[2:]
                elif len(w) >= 3:
                    extra[w[1]] = w[2]
    return phases, samples, extra


def delta(win, key):
    return win[-1][key] - win[0][key]


def trace_window(phases, samples):
    """The samples of the trace, with one before its start and one after
    its end; and the memory held over it: MB·s of the balloon's
    current_kb (trapezoids between samples) and their mean."""
    t0, t1 = phases["start"][0], phases["end"][1]
    before = [s for s in samples if s["t_ms"] <= t0]
    after = [s for s in samples if s["t_ms"] >= t1]
    win = before[-1:] + [s for s in samples if t0 < s["t_ms"] < t1] + after[:1]
    mbs = 0.0
    for a, b in zip(win, win[1:]):
        mbs += (b["t_ms"] - a["t_ms"]) / 1000.0 * (a["current_kb"] + b["current_kb"]) / 2 / 1024
    span = (win[-1]["t_ms"] - win[0]["t_ms"]) / 1000.0
    return win, mbs, (mbs / span if span > 0 else 0)


def phase_means(phases, samples):
    """Mean MB held (current_kb) during each phase: what the policy did there."""
    out = {}
    for name, (a, b, _) in phases.items():
        inwin = [s["current_kb"] for s in samples if a <= s["t_ms"] <= b]
        if inwin and name not in ("start", "end"):
            out[name] = statistics.mean(inwin) / 1024
    return out


def measure(phases, samples, period_ms):
    t0, t1 = phases["start"][0], phases["end"][1]
    win, mbs, mean_mb = trace_window(phases, samples)
    m = {"wall_s": (t1 - t0) / 1000.0, "samples": len(win), "mbs": mbs, "mean_mb": mean_mb}
    m["min_avail_mb"] = min(s["memavail_kb"] for s in win) / 1024
    m["psi_some_ms"] = delta(win, "psi_some_us") / 1000
    m["psi_full_ms"] = delta(win, "psi_full_us") / 1000
    m["full_pct"] = 100.0 * m["psi_full_ms"] / 1000 / m["wall_s"]
    for k in ("pswpin", "pswpout", "pgmajfault", "refault", "oom_kill"):
        m[k] = delta(win, k)
    m["moved_mb"] = sum(abs(b["target_kb"] - a["target_kb"]) for a, b in zip(win, win[1:])) / 1024
    m["phase_ms"] = {p: phases[p][1] - phases[p][0] for p in ALLOC_PHASES if p in phases}
    m["phase_mean_mb"] = phase_means(phases, samples)
    # Burst response: each pressure episode of a burst (PSI "some" starts
    # rising, or MemAvailable drops under PRESSURE_AVAIL_KB) -> the
    # balloon's next growth.
    resp = []
    for b in ("burst1", "burst2", "burst3"):
        if b not in phases:
            continue
        a, e, _ = phases[b]
        e += 2000  # the burst is held 2 s
        ws = [s for s in samples if a - period_ms <= s["t_ms"] <= e]
        starts = []
        was = False
        for x, y in zip(ws, ws[1:]):
            now = y["psi_some_us"] > x["psi_some_us"] or y["memavail_kb"] < PRESSURE_AVAIL_KB
            if now and not was and y["t_ms"] >= a:
                starts.append(y["t_ms"])
            was = now
        if not starts:
            resp.append(("no-pressure", None))
        for tp in starts:
            tg = None
            for x, y in zip(samples, samples[1:]):
                if y["t_ms"] < tp - period_ms:
                    continue
                if y["t_ms"] > e + 3000:
                    break
                if y["current_kb"] > x["current_kb"] + 1024:
                    tg = y["t_ms"]
                    break
            resp.append(("grew", max(0, tg - tp)) if tg is not None else ("never", None))
    m["bursts"] = resp
    return m


def task_ticks(words):
    """{pid: (name, ticks)} from an "X tasks_..." line: "PID:(NAME):TICKS"
    words (a name may hold colons, as kworker/u2:1 does)."""
    out = {}
    for x in words:
        pid, rest = x.split(":", 1)
        name, ticks = rest.rsplit(":", 1)
        out[pid] = (name.strip("()"), int(ticks))
    return out


def cpu_use(extra):
    """Where the guest's one vCPU went during the trace, from the
    guest's "X cpu_start/cpu_end" (/proc/stat: user nice system idle
    iowait irq softirq steal, USER_HZ ticks) and "X tasks_start/end"
    (every task's ticks). None when the guest did not print them."""
    try:
        a = [int(x) for x in extra["cpu_start"]]
        b = [int(x) for x in extra["cpu_end"]]
        t0, t1 = task_ticks(extra["tasks_start"]), task_ticks(extra["tasks_end"])
    except (KeyError, ValueError):
        return None
    d = [y - x for x, y in zip(a, b)]
    if len(d) < 8 or sum(d) <= 0:
        return None
    total = sum(d)
    used = {pid: (name, ticks - t0.get(pid, (name, 0))[1]) for pid, (name, ticks) in t1.items()}
    balloon = [s for name, s in used.values() if name == "xen-balloon"]
    policy = used.get(extra.get("policy_pid", "-"))
    top = sorted(((s, name) for name, s in used.values() if s > 0), reverse=True)
    return {"busy_pct": 100.0 * (d[0] + d[1] + d[2] + d[5] + d[6]) / total,
            "steal_pct": 100.0 * d[7] / total,
            "policy_s": policy[1] / 100.0 if policy else None,
            "balloon_s": balloon[0] / 100.0 if balloon else None,
            "top": ", ".join("%s %.2f" % (name, s / 100.0) for s, name in top[:6])}


def burst_text(resp):
    ms = [v for k, v in resp if k == "grew"]
    never = sum(1 for k, _ in resp if k == "never")
    calm = sum(1 for k, _ in resp if k == "no-pressure")
    parts = []
    if ms:
        parts.append("%d / %d (%d episodes)" % (statistics.median(ms), max(ms), len(ms)))
    if never:
        parts.append("%d never grew" % never)
    if calm:
        parts.append("%d no pressure" % calm)
    return ", ".join(parts) if parts else "-"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_gib = int(f.readline().split()[1]) / 1024 / 1024
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        mem_gib, load = 0, ["?"] * 3
    return "%s, %d CPUs, %.0f GiB RAM, Linux %s; load average %s at the end" % (
        model, os.cpu_count() or 0, mem_gib, platform.release(), " ".join(load))


def md(h, rs):
    w = [max(len(h[i]), *(len(x[i]) for x in rs)) if rs else len(h[i]) for i in range(len(h))]
    out = ["| " + " | ".join(h[i].ljust(w[i]) for i in range(len(h))) + " |",
           "|" + "|".join("-" * (w[i] + 2) for i in range(len(h))) + "|"]
    out += ["| " + " | ".join(x[i].ljust(w[i]) for i in range(len(h))) + " |" for x in rs]
    return "\n".join(out)


def each_ok(a, res, policies):
    """(run, policy, measures) of every guest that finished, in table order."""
    for r in range(1, a.runs + 1):
        for p in policies:
            kind, m = res[(r, p)]
            if kind == "ok":
                yield r, p, m


def phase_table(a, res, policies, order, what):
    """What each policy held in each phase (mean MB of current_kb)."""
    rows = []
    for r, p, m in each_ok(a, res, policies):
                rows.append([str(r), p] + ["%.0f" % m["phase_mean_mb"][n] if n in m["phase_mean_mb"]
                                           else "-" for n in order])
    if not rows:
        return []
    return ["Mean MB held (the balloon's current_kb) in each phase of %s:" % what, "",
            md(["run", "policy"] + order, rows), ""]


def load_results(a, trace, policies, outcomes):
    """{(run, policy): ("ok", measures) | (kind, why)} and notes."""
    prefix = "bp" if trace == "anon" else "bpd"
    res, notes = {}, []
    for r in range(1, a.runs + 1):
        for p in policies:
            path = os.path.join(a.e2e, "%s-%d-%s.log" % (prefix, r, p))
            key = (r, p)
            if not os.path.exists(path):
                oc = outcomes.get((trace, str(r), p), ("did-not-run", "0"))[0]
                res[key] = ("missing", oc.replace("_", " "))
                continue
            shutil.copy(path, os.path.join(a.out, os.path.basename(path)))
            phases, samples, extra = parse_log(path)
            result = extra.get("result", "no result line")
            if result.startswith("unavailable"):
                res[key] = ("unavailable", result[len("unavailable "):])
                continue
            if "start" not in phases or "end" not in phases or len(samples) < 10:
                oc = outcomes.get((trace, str(r), p), ("?", "0"))
                res[key] = ("missing", "incomplete log (%s after %s s; %d samples; %s)" % (
                    oc[0].replace("_", " "), oc[1], len(samples), result))
                continue
            m = measure(phases, samples, a.period_ms) if trace == "anon" else \
                measure_disk(phases, samples, extra)
            m["extra"] = extra
            want = extra.get("lines")
            got = len(phases) + len(samples) + 1  # + the H line
            if want is not None and int(want) != got:
                notes.append("%s run %d %s: %s lines printed, %d read (console lost some)" % (
                    trace, r, p, want, got))
            if extra.get("trace_rc", "0") != "0":
                notes.append("%s run %d %s: the trace exited %s: %s" % (
                    trace, r, p, extra.get("trace_rc"), "; ".join(extra["trace_err"])))
            res[key] = ("ok", m)
    return res, notes


def anon_report(a, res, policies):
    """The anonymous trace's tables and targets."""
    hdr = ["run", "policy", "mean MB held", "MB·s", "lowest MemAvailable MB", "PSI some ms",
           "PSI full ms (% of wall)", "swap-ins / outs", "major faults", "refaults", "OOM kills",
           "ramp x", "bursts x", "slab x", "allocating x", "balloon moved MB",
           "burst response ms p50 / max", "wall s"]
    rows = []
    for r in range(1, a.runs + 1):
        st = res.get((r, "static"))
        base = st[1]["phase_ms"] if st and st[0] == "ok" else None
        for p in policies:
            kind, m = res[(r, p)]
            if kind != "ok":
                rows.append([str(r), NAMES.get(p, p), "not available: " + m] + [""] * (len(hdr) - 3))
                continue

            def ratio(names):
                if not base or any(n not in base or n not in m["phase_ms"] for n in names):
                    return None
                return sum(m["phase_ms"][n] for n in names) / max(1, sum(base[n] for n in names))

            def rt(names):
                x = ratio(names)
                return "-" if x is None else "%.2f" % x
            m["alloc_ratio"] = ratio(ALLOC_PHASES)
            rows.append([str(r), NAMES.get(p, p), "%.0f" % m["mean_mb"], "%.0f" % m["mbs"],
                         "%.0f" % m["min_avail_mb"], "%.0f" % m["psi_some_ms"],
                         "%.0f (%.2f %%)" % (m["psi_full_ms"], m["full_pct"]),
                         "%d / %d" % (m["pswpin"], m["pswpout"]), str(m["pgmajfault"]),
                         str(m["refault"]), str(m["oom_kill"]), rt(["ramp"]),
                         rt(["burst1", "burst2", "burst3"]), rt(["slab"]), rt(ALLOC_PHASES),
                         "%.0f" % m["moved_mb"], burst_text(m["bursts"]), "%.1f" % m["wall_s"]])

    lines = ["## The anonymous-memory trace", "", md(hdr, rows), ""]

    lines += phase_table(a, res, policies, ANON_ORDER, "the trace")

    # Where each guest's CPU went (the trace is CPU-bound under TCG: a
    # policy's own work and the balloon driver's slow its phases).
    cpu_rows = []
    for r, p, m in each_ok(a, res, policies):
        c = cpu_use(m["extra"])
        if c is None:
            cpu_rows.append([str(r), p, "-", "-", "-", "-", "-"])
            continue
        cpu_rows.append([str(r), p, "%.1f" % c["busy_pct"], "%.1f" % c["steal_pct"],
                         "-" if c["policy_s"] is None else "%.2f" % c["policy_s"],
                         "-" if c["balloon_s"] is None else "%.2f" % c["balloon_s"],
                         c["top"] or "-"])
    if cpu_rows:
        lines += ["The guest's CPU over the trace (/proc/stat; USER_HZ ticks of the policy's "
                  "process and of the balloon driver's xen-balloon thread):", "",
                  md(["run", "policy", "busy %", "steal %", "policy CPU s", "balloon thread CPU s",
                      "most CPU (task s)"],
                     cpu_rows), ""]

    # Targets for the pressure goal, against the other rows of the same run.
    lines.append("Targets for the pressure goal (each run against its own rows):")
    for r in range(1, a.runs + 1):
        kind, m = res.get((r, "pressure"), ("missing", "not in BENCH_POLICIES"))
        if kind != "ok":
            lines.append("- run %d: pressure goal not available (%s)" % (r, m))
            continue

        def other(p):
            k = res.get((r, p))
            return k[1] if k and k[0] == "ok" else None

        def verdict(ok):
            return "met" if ok else "**not met**"
        lines.append("- run %d:" % r)
        lines.append("  - OOM kills %d: %s" % (m["oom_kill"], verdict(m["oom_kill"] == 0)))
        if m.get("alloc_ratio") is None:
            lines.append("  - allocating phases vs static: no static row in this run")
        else:
            lines.append("  - allocating phases %.2f x static (<= 1.15): %s" % (
                m["alloc_ratio"], verdict(m["alloc_ratio"] <= 1.15)))
        lines.append("  - PSI full %.0f ms of %.1f s = %.2f %% (< 0.5 %%): %s" % (
            m["psi_full_ms"], m["wall_s"], m["full_pct"], verdict(m["full_pct"] < 0.5)))
        for p, test, text in (("kernel", lambda x, y: x <= 0.9 * y, "at least 10 % below"),
                              ("qubes", lambda x, y: x < y, "below"),
                              ("2009", lambda x, y: x <= 1.1 * y, "at most 10 % above")):
            o = other(p)
            if o is None:
                lines.append("  - mean held vs %s: no %s row in this run" % (p, p))
            else:
                lines.append("  - mean held %.0f MB vs %s %.0f MB (%+.1f %%; %s): %s" % (
                    m["mean_mb"], p, o["mean_mb"], 100.0 * (m["mean_mb"] / o["mean_mb"] - 1), text,
                    verdict(test(m["mean_mb"], o["mean_mb"]))))
        ms = [v for k, v in m["bursts"] if k == "grew"]
        never = sum(1 for k, _ in m["bursts"] if k == "never")
        ok = never == 0 and all(v <= 1000 for v in ms)
        lines.append("  - burst response %s (growth within 1000 ms of pressure): %s" % (
            burst_text(m["bursts"]), verdict(ok)))
    lines.append("")
    lines.append("Burst response: for each pressure episode in a burst (from the sample where PSI "
                 "some starts rising or MemAvailable falls under %d MB), the time to the first sample "
                 "where current_kb grew by more than 1 MB (0: growth came first); p50 / max over the "
                 "run's episodes; resolution one sample, %d ms. x: the phase's time over "
                 "the static guest's in the same run. Swap, faults, refaults: pages/events over "
                 "the trace, from /proc/vmstat." % (PRESSURE_AVAIL_KB // 1024, a.period_ms))
    for r in range(1, a.runs + 1):
        st = res.get((r, "static"))
        if st and st[0] == "ok":
            lines.append("Static guest, run %d: %s (seconds)." % (r, ", ".join(
                "%s %.1f" % (n, st[1]["phase_ms"][n] / 1000) for n in ALLOC_PHASES if n in st[1]["phase_ms"])))
    return lines


def work_field(work, key):
    """An int field "key=N" of a phase's work text; None when absent."""
    for part in work.split(","):
        k, _, v = part.partition("=")
        if k == key:
            try:
                return int(v)
            except ValueError:
                return None
    return None


COST_KEYS = ("usr_ms", "sys_ms", "minflt", "majflt", "ivcsw", "guest_busy_ms",
             "guest_iowait_ms", "guest_steal_ms")


def cost_table(a, res, policies):
    """Where each serve's time went: the service's own CPU, the rest of
    the guest's (the daemon, the balloon driver, kswapd, the sampler),
    waiting for the disk, and the vCPU's time taken by the hypervisor."""
    hdr = ["run", "policy", "serve", "wall s", "service CPU s (user + sys)", "minor faults",
           "preempted", "rest of the guest CPU s", "iowait s", "steal s"]
    def sec(v):
        return "-" if v is None or v < 0 else "%.2f" % (v / 1000)
    rows = []
    for r, p, m in each_ok(a, res, policies):
        for n in SERVES:
            c = m["cost"].get(n)
            if c is None or n not in m["phase_ms"]:
                continue
            usr, sys_ = c["usr_ms"] or 0, c["sys_ms"] or 0
            busy = c["guest_busy_ms"]
            rest = None if busy is None or busy < 0 else max(0, busy - usr - sys_)
            rows.append([str(r), p, n, "%.2f" % (m["phase_ms"][n] / 1000),
                         "%.2f (%.2f + %.2f)" % ((usr + sys_) / 1000, usr / 1000, sys_ / 1000),
                         str(c["minflt"]), str(c["ivcsw"]), sec(rest),
                         sec(c["guest_iowait_ms"]), sec(c["guest_steal_ms"])])
    if not rows:
        return []
    return ["Where each serve's time went (diskserve's getrusage; the guest's /proc/stat, "
            "USER_HZ ticks; preempted: involuntary context switches):", "", md(hdr, rows), ""]


def measure_disk(phases, samples, extra):
    """The disk trace's measures: memory held, each serve's time, what the
    disk read in each phase (diskserve's own count), stall, refaults of
    the page cache, balloon moves, and where the balloon ended against
    the floor."""
    t0, t1 = phases["start"][0], phases["end"][1]
    win, _, mean_mb = trace_window(phases, samples)
    m = {"wall_s": (t1 - t0) / 1000.0, "mean_mb": mean_mb}
    m["have_psi"] = win[0]["psi_some_us"] >= 0 and win[-1]["psi_some_us"] >= 0
    m["psi_some_ms"] = delta(win, "psi_some_us") / 1000 if m["have_psi"] else None
    m["psi_full_ms"] = delta(win, "psi_full_us") / 1000 if m["have_psi"] else None
    m["full_pct"] = 100.0 * m["psi_full_ms"] / 1000 / m["wall_s"] if m["have_psi"] else None
    m["refault_file_mb"] = delta(win, "refault_file") * 4 / 1024
    m["oom_kill"] = delta(win, "oom_kill")
    m["moved_mb"] = sum(abs(y["target_kb"] - x["target_kb"]) for x, y in zip(win, win[1:])) / 1024
    m["phase_ms"] = {n: phases[n][1] - phases[n][0] for n in ["load"] + SERVES if n in phases}
    m["read_mb"] = {}
    for n in ["load"] + SERVES:
        if n in phases:
            kb = work_field(phases[n][2], "read_kb")
            m["read_mb"][n] = kb / 1024 if kb is not None and kb >= 0 else None
    m["hot_mb"] = work_field(phases["load"][2], "hot_mb") if "load" in phases else None
    # Where each serve's time went (diskserve's getrusage and /proc/stat;
    # absent in logs from before it printed them).
    m["cost"] = {}
    for n in SERVES:
        if n in phases and work_field(phases[n][2], "usr_ms") is not None:
            m["cost"][n] = {k: work_field(phases[n][2], k) for k in COST_KEYS}
    m["phase_mean_mb"] = phase_means(phases, samples)
    m["end_mb"] = win[-1]["current_kb"] / 1024
    # The floor in balloon units: xenballoond's floor (MemTotal side) plus
    # the balloon's offset above MemTotal, as the guest started.
    try:
        offset_kb = win[0]["current_kb"] - win[0]["memtotal_kb"]
        m["floor_mb"] = (int(extra["floor_mb"]) * 1024 + offset_kb) / 1024
    except (KeyError, ValueError):
        m["floor_mb"] = None
    return m


def disk_report(a, res, policies):
    """The disk trace's tables and targets."""
    hdr = ["run", "policy", "mean MB held", "serve1 x", "serve2 x", "serve3 x",
           "MB read from disk: load / serve1 / serve2 / serve3", "PSI some ms",
           "PSI full ms (% of wall)", "cache refaults MB", "balloon moved MB",
           "held at the end MB (floor)", "OOM kills", "wall s"]
    rows = []
    for r in range(1, a.runs + 1):
        st = res.get((r, "static"))
        base = st[1]["phase_ms"] if st and st[0] == "ok" else None
        for p in policies:
            kind, m = res[(r, p)]
            if kind != "ok":
                rows.append([str(r), NAMES.get(p, p), "not available: " + m] + [""] * (len(hdr) - 3))
                continue
            m["serve_x"] = {}
            for n in SERVES:
                if base and n in base and n in m["phase_ms"]:
                    m["serve_x"][n] = m["phase_ms"][n] / max(1, base[n])

            def rd(n):
                v = m["read_mb"].get(n)
                return "-" if v is None else "%.1f" % v
            rows.append([str(r), NAMES.get(p, p), "%.0f" % m["mean_mb"]] +
                        ["%.2f" % m["serve_x"][n] if n in m["serve_x"] else "-" for n in SERVES] +
                        [" / ".join(rd(n) for n in ["load"] + SERVES),
                         "-" if m["psi_some_ms"] is None else "%.0f" % m["psi_some_ms"],
                         "- (no PSI)" if m["psi_full_ms"] is None else
                         "%.0f (%.2f %%)" % (m["psi_full_ms"], m["full_pct"]),
                         "%.1f" % m["refault_file_mb"], "%.0f" % m["moved_mb"],
                         "%.0f (%s)" % (m["end_mb"], "-" if m["floor_mb"] is None else
                                        "%.0f" % m["floor_mb"]),
                         str(m["oom_kill"]), "%.1f" % m["wall_s"]])
    lines = ["## The disk trace", "", md(hdr, rows), ""]
    lines += phase_table(a, res, policies, DISK_ORDER, "the disk trace")
    lines += cost_table(a, res, policies)
    lines.append("Targets for the pressure goal on the disk trace (each run against its own "
                 "static row):")
    for p in [q for q in ("pressure", "nopsi") if q in policies]:
        for r in range(1, a.runs + 1):
            kind, m = res.get((r, p), ("missing", "not run"))
            if kind != "ok":
                lines.append("- run %d, %s: not available (%s)" % (r, p, m))
                continue
            st = res.get((r, "static"))
            stm = st[1] if st and st[0] == "ok" else None

            def verdict(ok):
                return "met" if ok else "**not met**"
            lines.append("- run %d, %s:" % (r, NAMES.get(p, p)))
            for n in SERVES:
                x = m["serve_x"].get(n)
                lines.append("  - %s %s x static (<= 1.15): %s" % (
                    n, "-" if x is None else "%.2f" % x,
                    "no static row" if x is None else verdict(x <= 1.15)))
            hot = m["hot_mb"] or 0
            for n in SERVES:
                v = m["read_mb"].get(n)
                lines.append("  - %s re-read %s MB of %d MB hot (<= 10 %%): %s" % (
                    n, "-" if v is None else "%.1f" % v, hot,
                    "unknown" if v is None or not hot else verdict(v <= 0.1 * hot)))
            if m["full_pct"] is None:
                lines.append("  - PSI full: not measurable in a guest booted psi=0")
            else:
                lines.append("  - PSI full %.0f ms of %.1f s = %.2f %% (< 0.5 %%): %s" % (
                    m["psi_full_ms"], m["wall_s"], m["full_pct"], verdict(m["full_pct"] < 0.5)))
            lines.append("  - balloon moved %.0f MB (<= 3 x %d MB hot): %s" % (
                m["moved_mb"], hot, verdict(m["moved_mb"] <= 3 * hot)))
            if stm:
                lines.append("  - mean held %.0f MB vs static %.0f MB (%+.1f %%; at least 25 %% below): %s" % (
                    m["mean_mb"], stm["mean_mb"], 100.0 * (m["mean_mb"] / stm["mean_mb"] - 1),
                    verdict(m["mean_mb"] <= 0.75 * stm["mean_mb"])))
            else:
                lines.append("  - mean held vs static: no static row in this run")
            if m["floor_mb"] is None:
                lines.append("  - held at the end: the floor is unknown")
            else:
                lines.append("  - held at the end %.0f MB vs floor %.0f MB (within 10 %%): %s" % (
                    m["end_mb"], m["floor_mb"], verdict(m["end_mb"] <= 1.1 * m["floor_mb"])))
            lines.append("  - OOM kills %d: %s" % (m["oom_kill"], verdict(m["oom_kill"] == 0)))
    lines.append("")
    lines.append("x: the serve phase's time over the static guest's in the same run. MB read "
                 "from disk: what xvda read during the phase (/sys/block/xvda/stat, by "
                 "diskserve); after the load every MB is a re-read. Cache refaults: "
                 "workingset_refault_file over the trace. Held at the end: the balloon's "
                 "current_kb at the trace's end; the floor in balloon units (xenballoond's "
                 "floor plus the balloon's offset above MemTotal).")
    for r in range(1, a.runs + 1):
        st = res.get((r, "static"))
        if st and st[0] == "ok":
            lines.append("Static guest, run %d: %s (seconds)." % (r, ", ".join(
                "%s %.1f" % (n, st[1]["phase_ms"][n] / 1000) for n in ["load"] + SERVES
                if n in st[1]["phase_ms"])))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e2e", default="build/e2e")
    ap.add_argument("--out", default="build/bench-policy")
    ap.add_argument("--traces", default="anon,disk")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--policies", default="static,2009,kernel,qubes,pressure")
    ap.add_argument("--period-ms", type=int, default=250)
    a = ap.parse_args()
    policies = [p for p in a.policies.split(",") if p]
    traces = [t for t in a.traces.split(",") if t]
    os.makedirs(a.out, exist_ok=True)

    outcomes = {}
    console = os.path.join(a.e2e, "console.log")
    if os.path.exists(console):
        with open(console, errors="replace") as f:
            for line in f:
                w = line.split()
                if len(w) >= 7 and w[0] == "E2E" and w[1] == "BENCH":
                    outcomes[(w[2], w[3], w[4])] = (w[5], w[6])

    lines = ["# make bench-policy, %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), ""]
    any_ok = False
    for t in traces:
        if t == "anon":
            res, notes = load_results(a, t, policies, outcomes)
            lines += anon_report(a, res, policies)
        elif t == "disk":
            dp = []
            for p in policies:
                dp += [p, "nopsi"] if p == "pressure" else [p]
            res, notes = load_results(a, t, dp, outcomes)
            lines += disk_report(a, res, dp)
        else:
            lines += ["Unknown trace %s." % t, ""]
            continue
        for n in notes:
            lines.append("Note: " + n)
        lines.append("")
        any_ok = any_ok or any(v[0] == "ok" for v in res.values())
    lines.append("Machine: " + machine() + "; the e2e machine under QEMU TCG (guest timings "
                 "depend on the host's load: the machine is shared).")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0 if any_ok else 1


if __name__ == "__main__":
    sys.exit(main())
