#!/usr/bin/env python3
"""The table of `make bench-host`, from the guests' and dom0's logs.

Reads E2E_DIR/bh-RUN-ROW-I.log (guest I of a row: its phases, "P NAME
START_MS END_MS WORK", and samples, "S t_ms target_kb ...", as in
bench/policy) and E2E_DIR/bhhost-RUN-ROW.log (dom0's samples, "S t_ms
free_kb DOMID:CURRENT_KB:TARGET_KB ...", and the go mark, "G uptime").
Prints one row per policy and run, and the targets for the balancer,
and writes them to OUT/table.md.
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policy"))
import analyze as bp  # noqa: E402  (bench/policy/analyze.py: the guest logs' reader)

NAMES = {
    "static": "static partition (470 MB each)",
    "self": "selfballooning, uncoordinated",
    "qubes": "Qubes-like controller in dom0 (bench-only)",
    "balancer": "xenballoon-balancer (defaults)",
}
ALLOC = ["ramp", "burst"]
GUESTS = 3


def parse_host(path):
    """dom0's samples: [(t_ms, free_kb, {domid: (current_kb, target_kb)})],
    and the dom0 uptime of the go mark (or None)."""
    samples, go = [], None
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[0] == "S":
                try:
                    doms = {}
                    for x in w[3:]:
                        d, c, t = x.split(":")
                        doms[int(d)] = (int(c), int(t))
                    samples.append((int(w[1]), int(w[2]), doms))
                except ValueError:
                    continue
            elif len(w) == 2 and w[0] == "G":
                go = float(w[1])
    return samples, go


def guest_measures(path):
    phases, samples, extra = bp.parse_log(path)
    if "start" not in phases or "end" not in phases or len(samples) < 10:
        # The trace did not finish: killed (by the OOM killer, most
        # likely), or the guest failed. What it says of it still counts.
        try:
            oom = int(extra.get("oom_lines", "0")) and 1
        except ValueError:
            oom = 0
        return {"killed": True, "oom_kill": oom, "swapin": 0, "phase_ms": {},
                "psi_some_ms": None, "psi_full_ms": None, "full_pct": None,
                "response_ms": None, "result": extra.get("result", "no result")}
    win, _, mean_mb = bp.trace_window(phases, samples)
    t0, t1 = phases["start"][0], phases["end"][1]
    m = {"phase_ms": {p: phases[p][1] - phases[p][0] for p in ALLOC if p in phases},
         "mean_mb": mean_mb, "wall_s": (t1 - t0) / 1000.0, "killed": False}
    have_psi = win[0]["psi_some_us"] >= 0
    m["psi_some_ms"] = bp.delta(win, "psi_some_us") / 1000 if have_psi else None
    m["psi_full_ms"] = bp.delta(win, "psi_full_us") / 1000 if have_psi else None
    m["full_pct"] = 100.0 * m["psi_full_ms"] / 1000 / m["wall_s"] if have_psi else None
    m["oom_kill"] = bp.delta(win, "oom_kill")
    m["swapin"] = bp.delta(win, "pswpin")
    # The burst's response: from the first sample where use (MemTotal -
    # MemAvailable) rose by more than 1 MB to the first where the
    # allocation grew by more than 1 MB (0 when growth came first).
    m["response_ms"] = None
    if "burst" in phases:
        a, e, _ = phases["burst"]
        ws = [s for s in samples if a - 500 <= s["t_ms"] <= e + 10000]
        rise = None
        for x, y in zip(ws, ws[1:]):
            if (y["memtotal_kb"] - y["memavail_kb"]) > (x["memtotal_kb"] - x["memavail_kb"]) + 1024 \
                    and y["t_ms"] >= a:
                rise = y["t_ms"]
                break
        if rise is not None:
            for x, y in zip(samples, samples[1:]):
                if y["t_ms"] < rise - 250:
                    continue
                if y["current_kb"] > x["current_kb"] + 1024:
                    m["response_ms"] = max(0, y["t_ms"] - rise)
                    break
    return m


def host_measures(samples, go, period_s=0.25):
    """Mean MB held by the guests and free on the host over the 200 s
    trace, and target changes a minute once the guests have settled after
    giving their working sets back (180-200 s)."""
    if not samples:
        return None
    t0 = samples[0][0]
    if go is not None:
        # The go mark is dom0's uptime; samples are CLOCK_MONOTONIC ms,
        # the same clock in dom0's kernel.
        t0 = int(go * 1000)
    win = [s for s in samples if t0 <= s[0] <= t0 + 200000]
    if len(win) < 10:
        return None
    held = [sum(c for c, _ in s[2].values()) / 1024 for s in win]
    free = [s[1] / 1024 for s in win]
    tail = [s for s in win if s[0] >= t0 + 180000]
    changes = 0
    for x, y in zip(tail, tail[1:]):
        for d, (_, tgt) in y[2].items():
            if d in x[2] and x[2][d][1] != tgt:
                changes += 1
    span_min = (tail[-1][0] - tail[0][0]) / 60000 if len(tail) > 1 else 0
    return {"held_mb": statistics.mean(held), "free_mb": statistics.mean(free),
            "min_free_mb": min(free),
            "changes_per_min": changes / span_min if span_min > 0 else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--e2e", default="build/e2e")
    ap.add_argument("--out", default="build/bench-host")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--rows", default="static,self,qubes,balancer")
    a = ap.parse_args()
    rows = [r for r in a.rows.split(",") if r]
    os.makedirs(a.out, exist_ok=True)

    res = {}
    for r in range(1, a.runs + 1):
        for row in rows:
            hp = os.path.join(a.e2e, "bhhost-%d-%s.log" % (r, row))
            gs = []
            for i in range(GUESTS):
                p = os.path.join(a.e2e, "bh-%d-%s-%d.log" % (r, row, i))
                if os.path.exists(p):
                    shutil.copy(p, os.path.join(a.out, os.path.basename(p)))
                    gs.append(guest_measures(p))
                else:
                    gs.append(None)
            h = None
            if os.path.exists(hp):
                shutil.copy(hp, os.path.join(a.out, os.path.basename(hp)))
                h = host_measures(*parse_host(hp))
            res[(r, row)] = (gs, h)

    hdr = ["run", "policy", "mean MB held by the guests", "host free MB mean / lowest",
           "phase x static: ramp / burst (guests 0, 1, 2)", "PSI some ms (guests)",
           "PSI full % (guests)", "swap-ins", "OOM kills", "burst response ms (guests)",
           "target changes / min, steady"]
    out_rows = []
    for r in range(1, a.runs + 1):
        base = res.get((r, "static"), ([None] * GUESTS, None))[0]
        for row in rows:
            gs, h = res[(r, row)]
            if all(g is None for g in gs):
                out_rows.append([str(r), NAMES.get(row, row), "not available"] + [""] * (len(hdr) - 3))
                continue
            xs = []
            for i, g in enumerate(gs):
                b = base[i] if base else None
                if g is not None and g["killed"]:
                    xs.append("trace killed")
                    continue
                if g is None or b is None or b["killed"]:
                    xs.append("-")
                    continue
                g["x"] = {p: g["phase_ms"][p] / max(1, b["phase_ms"][p]) for p in ALLOC
                          if p in g["phase_ms"] and p in b["phase_ms"]}
                xs.append("/".join("%.2f" % g["x"][p] for p in ALLOC if p in g["x"]))

            def col(key, fmt):
                return ", ".join("-" if g is None or g.get(key) is None else fmt % g[key] for g in gs)
            out_rows.append([
                str(r), NAMES.get(row, row),
                "-" if h is None else "%.0f" % h["held_mb"],
                "-" if h is None else "%.0f / %.0f" % (h["free_mb"], h["min_free_mb"]),
                ", ".join(xs), col("psi_some_ms", "%.0f"), col("full_pct", "%.2f"),
                str(sum(g["swapin"] for g in gs if g)), str(sum(g["oom_kill"] for g in gs if g)),
                col("response_ms", "%d"),
                "-" if h is None or h["changes_per_min"] is None else "%.1f" % h["changes_per_min"]])
    lines = ["# make bench-host, %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "",
             bp.md(hdr, out_rows), ""]

    lines.append("Targets for the balancer (each run against its own rows):")
    for r in range(1, a.runs + 1):
        gs, h = res.get((r, "balancer"), ([None] * GUESTS, None))
        if all(g is None for g in gs):
            lines.append("- run %d: no balancer row" % r)
            continue

        def verdict(ok):
            return "met" if ok else "**not met**"
        lines.append("- run %d:" % r)
        oom = sum(g["oom_kill"] for g in gs if g)
        lines.append("  - OOM kills %d: %s" % (oom, verdict(oom == 0)))
        for i, g in enumerate(gs):
            if g is None:
                lines.append("  - guest %d: no log" % i)
                continue
            if g["killed"]:
                lines.append("  - guest %d: its trace did not finish (%s): **not met**" % (
                    i, "OOM kill" if g["oom_kill"] else g["result"]))
                continue
            worst = max(g.get("x", {}).values()) if g.get("x") else None
            lines.append("  - guest %d allocating phases %s x static (<= 1.15): %s" % (
                i, "-" if worst is None else "%.2f" % worst,
                "no static row" if worst is None else verdict(worst <= 1.15)))
            if g["full_pct"] is not None:
                lines.append("  - guest %d PSI full %.2f %% (< 0.5 %%): %s" % (
                    i, g["full_pct"], verdict(g["full_pct"] < 0.5)))
        q = res.get((r, "qubes"), ([None] * GUESTS, None))
        if h and q[1]:
            qstall = max([(g["full_pct"] or 0) for g in q[0] if g] or [0])
            bstall = max([(g["full_pct"] or 0) for g in gs if g] or [0])
            lines.append("  - host free %.0f MB vs Qubes-like %.0f MB, PSI full at most %.2f %% vs %.2f %% "
                         "(more free at equal or lower stall): %s" % (
                             h["free_mb"], q[1]["free_mb"], bstall, qstall,
                             verdict(h["free_mb"] > q[1]["free_mb"] and bstall <= qstall + 0.05)))
        resp = sorted(g["response_ms"] for g in gs if g and g["response_ms"] is not None)
        if resp:
            p50 = statistics.median(resp)
            lines.append("  - burst response p50 %d ms, max %d ms (<= 1000 / 2000): %s" % (
                p50, resp[-1], verdict(p50 <= 1000 and resp[-1] <= 2000)))
    lines.append("")
    lines.append("Phase x: the guest's ramp (260 MB at 16 MB/s) and burst (240 MB as fast as it "
                 "can) over the same guest's in the static row of the run. PSI: each guest's "
                 "/proc/pressure/memory over its trace. Burst response: from the guest's first "
                 "sample where its use rose by more than 1 MB in the burst to the first where its "
                 "allocation grew by more than 1 MB (resolution 250 ms). Target changes: "
                 "memory/target changes a minute over all guests once settled (180-200 s), "
                 "from dom0's samples.")
    lines.append("Machine: " + bp.machine() + "; the e2e machine under QEMU TCG.")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
