"""Turns the rows of bench/run.sh into RESULTS.md and a chart.

usage: report.py RESULTS.jsonl RESULTS.md CHART.png "COMMAND" [SECONDS]

Every row was measured in the same run as its baseline, in each
containment tier. The target rows carry raw samples: medians, ratios, a
bootstrap interval of the ratio and the verdict against the project's
target are computed here, the same way for every row and tier. The other
rows (containment, CPU work, no-op tasks, map, scale) keep their verdict
against the best peer.
"""
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TIERS = ("cgroup", "subreaper")
TIER_WHO = {"cgroup": "root", "subreaper": "nobody"}
MV = ("MultiWorker", "mp.", "@mp.", "Process::", "multiverse")

# The targets of the issue: bench -> (number, what, limit on the ratio
# multiverse / baseline).
RATIO_TARGETS = OrderedDict([
    ("cold_call", ("1", "cold worker call: MultiWorker::run vs symfony/process", 1.05)),
    ("fork_call", ("2", "forked task per call vs bare fork + pipe + wait", 1.3)),
    ("map_10k", ("3", "Process::map, 10 000 tiny items, vs pcntl_fork chunked map", 1.2)),
    ("warm_call", ("4", "warm call vs raw pipe round trip to a persistent process", 3.0)),
])
# Target 5: (key, what, limit, unit, kind): kind "ratio" compares with the
# bare contender, "abs" is a bound on multiverse's own value.
CONCURRENT_TARGETS = [
    ("start", "time until all have started, vs bare", 2.0, "×", "ratio"),
    ("cpu", "host CPU per task", 1.0, " ms", "abs"),
    ("procs", "processes per task beyond the task", 1.0, "", "abs"),
]
CHART_NAMES = {"start": "all started / bare", "cpu": "host CPU ms/task",
               "procs": "processes/task beyond it"}
HOST_WIDE = ("mv-forkserver",)  # one per host process, not per task


def is_mv(name):
    return name.startswith(MV)


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    php = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True,
                         text=True).stdout
    py = subprocess.run(["/usr/bin/python3", "-c", "import platform; print(platform.python_version())"],
                        capture_output=True, text=True).stdout.strip()
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} vCPU ({cpu}), "
            f"{mem:.0f} GiB RAM; /usr/bin/python3 {py}, PHP {php}")


def fmt(v, digits=2):
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        if 0 < abs(v) < 0.1:
            return f"{v:.3f}"
        return f"{v:.{digits}f}"
    return str(v)


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ratio_ci(a, b, seed=1, resamples=1000):
    """95% bootstrap interval of median(a) / median(b)."""
    rng = random.Random(seed)
    out = []
    for _ in range(resamples):
        ma = statistics.median(rng.choices(a, k=len(a)))
        mb = statistics.median(rng.choices(b, k=len(b)))
        out.append(ma / mb if mb else float("inf"))
    out.sort()
    return out[int(0.025 * resamples)], out[int(0.975 * resamples) - 1]


def verdict(value, limit, ci=None):
    if value is None:
        return "not measured"
    shown = fmt(value)
    if shown == fmt(limit) and value != limit:  # 1.3004 is not 1.30
        shown = f"{value:.4f}"
    text = f"met ({shown} ≤ {fmt(limit)})" if value <= limit else \
        f"**not met** ({shown} > {fmt(limit)})"
    if ci and ci[0] <= limit <= ci[1]:
        text += ", within noise"
    return text


def table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in line) + " |" for line in lines]
    return out


def mode_order(mode):
    return (0 if mode == "back to back" else 1, mode)


# -- the target rows ------------------------------------------------------------------

class Comparison:
    """multiverse against its baseline in one (bench, lang, mode, tier)."""

    def __init__(self, rows):
        self.rows = rows
        self.mv = next((r for r in rows if r["side"] == "mv"), None)
        self.peer = next((r for r in rows if r["side"] == "peer"), None)
        self.ratio = self.ci = None
        if self.mv and self.peer and self.mv["samples"] and self.peer["samples"]:
            self.ratio = statistics.median(self.mv["samples"]) / statistics.median(
                self.peer["samples"])
            self.ci = ratio_ci(self.mv["samples"], self.peer["samples"])


def group_samples(rows):
    """(bench, lang, mode) -> tier -> Comparison, for the ratio targets."""
    groups = OrderedDict()
    for bench in list(RATIO_TARGETS) + ["map_cpu"]:
        keys = sorted({(r["lang"], r["mode"]) for r in rows if r["bench"] == bench},
                      key=lambda k: (k[0] != "php", mode_order(k[1])))
        for lang, mode in keys:
            per_tier = OrderedDict()
            for tier in TIERS:
                sel = [r for r in rows if r["bench"] == bench and r["lang"] == lang
                       and r["mode"] == mode and r["tier"] == tier]
                if sel:
                    per_tier[tier] = Comparison(sel)
            groups[(bench, lang, mode)] = per_tier
    return groups


def concurrent_metrics(rows, tier, lang):
    sel = [r for r in rows if r["bench"] == "concurrent" and r["tier"] == tier and r["lang"] == lang]
    mv = next((r for r in sel if r["side"] == "mv"), None)
    peer = next((r for r in sel if r["side"] == "peer"), None)
    if mv is None or peer is None:
        return None

    def per_task_procs(r):
        vals = []
        for extra, by in zip(r["extra_procs"], r["extra_by_name"]):
            wide = sum(by.get(n, 0) for n in HOST_WIDE)
            vals.append((extra - wide) / r["tasks"])
        return statistics.median(vals)

    start = statistics.median(mv["start_all_s"]) / statistics.median(peer["start_all_s"])
    return {
        "mv": mv, "peer": peer,
        "start": start,
        "cpu": statistics.median(mv["host_cpu_ms_per_task"]),
        "procs": per_task_procs(mv),
        "peer_procs": per_task_procs(peer),
        "peer_cpu": statistics.median(peer["host_cpu_ms_per_task"]),
    }


def summary(rows, groups):
    tiers = [t for t in TIERS if any(r.get("tier") == t for r in rows)]
    header = ["#", "target", "host", "mode", "limit"] + [f"{t} tier ({TIER_WHO[t]})" for t in tiers]
    lines, chart_rows = [], []
    for (bench, lang, mode), per_tier in groups.items():
        if bench not in RATIO_TARGETS:
            continue
        num, what, limit = RATIO_TARGETS[bench]
        cells = []
        for t in tiers:
            c = per_tier.get(t)
            cells.append(verdict(c.ratio, limit, c.ci) if c else "not run")
            chart_rows.append((f"{num}. {bench.replace('_', ' ')} ({lang}, {mode})", t,
                               c.ratio if c else None, limit))
        lines.append([num, what, lang, mode, f"≤ {fmt(limit)}×"] + cells)
    for lang in ("php", "python"):
        if not any(r["bench"] == "concurrent" and r["lang"] == lang for r in rows):
            continue
        n = "/".join(str(x) for x in sorted({r["tasks"] for r in rows
                                             if r["bench"] == "concurrent" and r["lang"] == lang}))
        for key, what, limit, unit, kind in CONCURRENT_TARGETS:
            cells = []
            for t in tiers:
                m = concurrent_metrics(rows, t, lang)
                cells.append(verdict(m[key], limit) if m else "not run")
                chart_rows.append((f"5. {n} tasks: {CHART_NAMES[key]} ({lang})", t,
                                   m[key] if m else None, limit))
            lim = f"≤ {fmt(limit)}{unit}" if kind == "abs" else f"≤ {fmt(limit)}×"
            lines.append(["5", f"{n} concurrent tasks: {what}", lang, "all at once", lim] + cells)
    return table(header, lines), chart_rows


def section_ratio(bench, groups):
    num, what, limit = RATIO_TARGETS.get(bench, ("", "", None))
    lines = []
    for (b, lang, mode), per_tier in groups.items():
        if b != bench:
            continue
        for tier, c in per_tier.items():
            for r in c.rows:
                s = r["samples"]
                is_mv_row = r["side"] == "mv"
                ratio = f"{fmt(c.ratio)} ({fmt(c.ci[0])}–{fmt(c.ci[1])})" if (
                    is_mv_row and c.ratio) else ("baseline" if r["side"] == "peer" else
                                                 "reference")
                v = verdict(c.ratio, limit, c.ci) if (is_mv_row and limit) else ""
                lines.append([tier, lang, mode, r["contender"], len(s), statistics.median(s),
                              pct(s, 0.25), pct(s, 0.75), pct(s, 0.95), ratio, v])
    header = ["tier", "host", "mode", "contender", "calls", "median ms", "p25", "p75", "p95",
              "ratio to baseline (95% CI)", "verdict" if limit else ""]
    return table(header, lines)


def section_concurrent(rows):
    lines, notes = [], []
    for lang in ("php", "python"):
        for tier in TIERS:
            m = concurrent_metrics(rows, tier, lang)
            if not m:
                continue
            for r in (m["mv"], m["peer"]):
                by = r["extra_by_name"][-1]
                comp = ", ".join(f"{v} {k}" for k, v in sorted(by.items())) or "none"
                per_task = m["procs"] if r is m["mv"] else m["peer_procs"]
                lines.append([
                    tier, lang, r["contender"], r["tasks"], r["rounds"],
                    statistics.median(r["start_all_s"]),
                    (statistics.median(r["start_all_s"]) / statistics.median(m["peer"]["start_all_s"])),
                    statistics.median(r["first_start_ms"]),
                    statistics.median(r["host_cpu_ms_per_task"]),
                    f"{per_task:.3f} ({comp})",
                    statistics.median(r["extra_cpu_ms_per_task"]),
                    statistics.median(r["wall_s"]),
                ])
            fit = m["mv"].get("fit")
            if fit:
                notes.append(f"{lang}, {tier} tier: {fit}")
    header = ["tier", "host", "contender", "tasks", "rounds", "all started (s)", "× bare",
              "first started (ms)", "host CPU ms/task", "processes per task beyond it (seen)",
              "their CPU ms/task", "wall (s)"]
    return table(header, lines), notes


# -- the other rows --------------------------------------------------------------------

def best_peer(rows, key, lower_is_better):
    # Yardsticks are not peers: serial, and a bare fork per task.
    peers = [r for r in rows if not is_mv(r["contender"])
             and r["contender"] not in ("serial", "os.fork split")]
    if not peers:
        return None
    return (min if lower_is_better else max)(peers, key=lambda r: r[key])


def vs_peer(rows, key, lower_is_better, what):
    """Verdict against the best peer of the same tier."""
    def verdict_of(r):
        same = [x for x in rows if x.get("tier") == r.get("tier")]
        peer = best_peer(same, key, lower_is_better)
        if not is_mv(r["contender"]) or peer is None:
            return ""
        mine, theirs = r[key], peer[key]
        better = mine <= theirs if lower_is_better else mine >= theirs
        if mine == 0 or theirs == 0:
            cmp = f"{fmt(mine)} vs {fmt(theirs)} for {peer['contender']}"
        else:
            ratio = (theirs / mine) if lower_is_better else (mine / theirs)
            cmp = f"{ratio:.2f}x vs {peer['contender']}"
        if mine == theirs:
            return f"ties ({cmp})"
        return f"wins ({cmp})" if better else f"**loses** on {what} ({cmp})"
    return verdict_of


def legacy_table(rows, cols, verdict_of=None):
    header = ["tier", "contender"] + [c[1] for c in cols] + (["verdict"] if verdict_of else [])
    lines = []
    for r in rows:
        line = [r.get("tier", ""), r["contender"]] + [r.get(c[0], "") for c in cols]
        if verdict_of:
            line.append(verdict_of(r))
        lines.append(line)
    return table(header, lines)


def section_legacy(by):
    text = []
    if "containment" in by:
        rows = by["containment"]
        text += ["## Timeout containment",
                 "The task's tree: the worker, a plain child, a `setsid` child and a "
                 "double-forked grandchild (4 processes); 1 s timeout. Survivors are counted "
                 "200 ms after the call returned; *late* is the time from the deadline to the "
                 "return. Target: no survivor.", ""]
        text += legacy_table(rows, [("lang", "host"), ("survivors_median", "survivors (median)"),
                                    ("survivors_max", "survivors (max)"),
                                    ("deadline_to_return_ms", "late ms"), ("rounds", "rounds")],
                             vs_peer(rows, "survivors_max", True, "survivors"))
        text.append("")
    if "py_cpu8" in by:
        rows = by["py_cpu8"]
        r0 = rows[0]
        text += ["## Python CPU work",
                 f"{r0['tasks']} tasks × ~{r0['task_s'] * 1000:.0f} ms of pure-Python "
                 "arithmetic; `os.fork split` (one plain fork per task) is the yardstick of what "
                 "the cores allow. Issue 13 target: `@mp.parallel`'s speed-up at least the best "
                 "of ProcessPoolExecutor, multiprocessing.Pool, joblib (loky) and pebble.", ""]
        text += legacy_table(rows, [("median_s", "median s"),
                                    ("speedup_vs_serial", "speed-up vs serial"),
                                    ("rounds", "rounds")],
                             vs_peer(rows, "speedup_vs_serial", False, "speed-up"))
        text.append("")
    if "py_noop" in by:
        rows = by["py_noop"]
        text += ["### No-op tasks",
                 f"Round trip of one no-op task, and throughput over a batch of "
                 f"{rows[0]['batch']}. Issue 13 targets, for the default `@mp.parallel` (its warm "
                 "pool): round trip no slower than ProcessPoolExecutor's, throughput ≥ 2× it.", ""]
        text += legacy_table(rows, [("roundtrip_ms", "round trip ms"),
                                    ("roundtrip_vs_ppe", "round trip / PPE"),
                                    ("tasks_per_s", "tasks/s"),
                                    ("throughput_vs_ppe", "throughput / PPE")],
                             vs_peer(rows, "tasks_per_s", False, "throughput"))
        text.append("")
    for key, title in (("py_map10k", "10 000"), ("py_map100k", "100 000")):
        if key not in by:
            continue
        rows = by[key]
        text += [f"### map over {title} small items",
                 "Issue 13 target (10 000 items): `mp.map` no slower than "
                 "`multiprocessing.Pool.map`.", ""]
        text += legacy_table(rows, [("median_s", "median s"),
                                    ("vs_multiprocessing", "time / multiprocessing")],
                             vs_peer(rows, "median_s", True, "time"))
        text.append("")
    if "py_hostsize" in by:
        rows = by["py_hostsize"]
        text += ["### Per-call cost and the host's size",
                 "No-op round trip from a fresh interpreter holding 10 MB, 300 MB or 1.5 GB of "
                 "touched memory. Issue 13 target: flat for the default path (the warm pool); "
                 "`fork=True` copies the host's page tables on every call.", ""]
        text += legacy_table(rows, [("host_mb", "host MB"), ("roundtrip_ms", "round trip ms"),
                                    ("vs_smallest_default", "vs default at 10 MB"),
                                    ("rounds", "rounds")])
        text.append("")
    if "scale" in by:
        rows = by["scale"]
        text += ["## Scale (C API)",
                 "N concurrent `sh -c 'sleep S; echo 1'` tasks from one host thread through the "
                 "C API, each under its own supervisor; the peer starts bare children with "
                 "`subprocess.Popen` and no containment. *start all* is the time the host took "
                 "to launch them (not until they run: see target 5 for that).", ""]
        lines = []
        for r in rows:
            lines.append([r.get("tier", ""), r["contender"], r["tasks"], f"{r['start_all_s']:.3f}",
                          r["start_all_s"] * 1000 / r["tasks"], r["host_cpu_ms_per_task"],
                          r["host_kb_per_task"], r["supervisor_kb_per_task"], r["wall_s"]])
        text += table(["tier", "contender", "tasks", "start all (s)", "per task (ms)",
                       "host CPU ms/task", "host kB/task", "supervisor kB/task", "wall (s)"], lines)
        text.append("")
    return text


# -- chart ---------------------------------------------------------------------------------

def chart(chart_rows, by, path):
    legacy = [p for p in ("containment", "py_cpu8", "py_noop", "scale") if p in by]
    nleg = (len(legacy) + 1) // 2
    labels = list(OrderedDict.fromkeys(r[0] for r in chart_rows))
    top_h = max(3.0, 0.32 * len(labels) + 1.2)
    fig = plt.figure(figsize=(15, top_h + 4.2 * nleg))
    gs = fig.add_gridspec(1 + nleg, 2, height_ratios=[top_h] + [4.2] * nleg)
    ax = fig.add_subplot(gs[0, :])
    colors = {"cgroup": "#2a7ab0", "subreaper": "#e08a2c"}
    h = 0.38
    for i, tier in enumerate(TIERS):
        ys, xs, texts = [], [], []
        for j, label in enumerate(labels):
            hit = [r for r in chart_rows if r[0] == label and r[1] == tier]
            if not hit or hit[0][2] is None:
                continue
            _, _, value, limit = hit[0]
            ys.append(j + (i - 0.5) * h)
            xs.append(max(value / limit, 1e-3))
            texts.append(fmt(value))
        if xs:
            bars = ax.barh(ys, xs, height=h, color=colors[tier], label=f"{tier} tier ({TIER_WHO[tier]})")
            ax.bar_label(bars, labels=texts, fontsize=7, padding=2)
    ax.axvline(1.0, color="#c03030", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("measured / target (left of the dashed line: target met); bar label: measured value")
    ax.set_title("Targets: multiverse against its bare baseline, both containment tiers")
    ax.legend(fontsize=8, loc="lower right")
    ax.margins(x=0.15)
    for k, p in enumerate(legacy):
        ax = fig.add_subplot(gs[1 + k // 2, k % 2])
        rows = by[p]
        if p == "scale":
            for name in sorted({(r["contender"], r.get("tier", "")) for r in rows}):
                pts = [(r["tasks"], r["start_all_s"] * 1000 / r["tasks"]) for r in rows
                       if (r["contender"], r.get("tier", "")) == name]
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o",
                        label=f"{name[0]} [{name[1]}]")
            ax.set_xscale("log")
            ax.set_xlabel("concurrent tasks")
            ax.set_ylabel("launch time per task (ms)")
            ax.set_title("Scale (C API)")
            ax.legend(fontsize=7)
            continue
        key, label, title = {
            "containment": ("survivors_max", "processes left alive (of 4)", "1 s timeout"),
            "py_cpu8": ("speedup_vs_serial", "speed-up vs serial", "8 × 200 ms CPU tasks"),
            "py_noop": ("tasks_per_s", "no-op tasks per second (log)", "Tiny tasks"),
        }[p]
        names = [r["contender"] + (f" ({r['lang']})" if "lang" in r else "")
                 + f" [{r.get('tier', '')}]" for r in rows]
        vals = [r[key] for r in rows]
        cols = [("#2a7ab0" if r.get("tier") == "cgroup" else "#e08a2c") if is_mv(r["contender"])
                else "#b0b0b0" for r in rows]
        bars = ax.barh(names, vals, color=cols)
        ax.bar_label(bars, labels=[fmt(float(v)) for v in vals], fontsize=7, padding=2)
        if p == "py_noop":
            ax.set_xscale("log")
        ax.margins(x=0.25)
        ax.set_xlabel(label)
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=6)
        ax.invert_yaxis()
    fig.suptitle("multiverse (blue: cgroup tier, orange: subreaper tier) vs peers (grey), "
                 "same machine, same run", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=100)


# -- main ------------------------------------------------------------------------------------

def main():
    src, md, png, command = sys.argv[1:5]
    seconds = int(sys.argv[5]) if len(sys.argv) > 5 else None
    rows = load(src)
    for r in rows:
        r.setdefault("tier", "")
    by = OrderedDict()
    for r in rows:
        by.setdefault(r["bench"], []).append(r)
    groups = group_samples(rows)

    tiers = [t for t in TIERS if any(r["tier"] == t for r in rows)]
    steps = by.get("step_time", [])
    lengths = ", ".join(f"{t} tier {sum(s['seconds'] for s in steps if s['tier'] == t):.0f} s"
                        for t in tiers)
    text = ["# Benchmark results", "",
            f"- Machine: {machine()}",
            "- Date: " + datetime.datetime.fromtimestamp(os.path.getmtime(src)).strftime(
                "%Y-%m-%d %H:%M"),
            f"- Command: `{command}`" + (f" ({seconds} s in all, builds included; {lengths})"
                                         if seconds else ""),
            f"- Source: {os.environ.get('BENCH_SOURCE', 'unknown')}",
            "- Tiers: " + ", ".join(f"**{t}** (as {TIER_WHO[t]}, MULTIVERSE_CONTAINMENT={t})"
                                    for t in tiers),
            "- Every multiverse row was measured in the same run as its baseline, alternating "
            "call by call (round by round for target 5), repeated; the numbers are medians and "
            "the ratios are ratios of medians, with a 95% bootstrap interval. This is a shared "
            "2-vCPU VM where other work runs too: absolute times move from run to run, read the "
            "ratios, and treat a verdict marked *within noise* as undecided.", ""]
    failed = by.get("failed", [])
    if failed:
        text += ["**Failed steps:** " + "; ".join(f"{f['step']} ({f['tier']} tier, exit {f['rc']})"
                                                 for f in failed), ""]
    tier_rows = by.get("tier", [])
    if tier_rows:
        text += ["Tier check (a forked task and an exec'd worker report their cgroup):", ""]
        text += table(["tier", "user", "requested", "observed", "host cgroup", "forked task",
                       "worker"],
                      [[r["tier"], r["user"], r["requested"],
                        r["observed"] if r["observed"] == r["tier"] else f"**{r['observed']}**",
                        r["host_cgroup"], r["forked_task_cgroup"], r["worker_cgroup"]]
                       for r in tier_rows])
        text.append("")
    text += [f"![chart]({os.path.basename(png)})", "", "## Targets", ""]
    summ, chart_rows = summary(rows, groups)
    text += summ + [""]

    titles = {
        "cold_call": ("1. Cold worker call (PHP → Python)",
                      "A trivial echo worker (`bench/workers/echo`, plain `json`, no SDK) on "
                      "/usr/bin/python3: `MultiWorker::run('echo', $payload)` against "
                      "symfony/process running the same script (payload on stdin, JSON from "
                      "stdout). Back to back, and with the machine idle 0.2 s before every call."),
        "fork_call": ("2. A forked task per call",
                      "Python: `@mp.parallel(fork=True)` (each call forks the caller under a supervisor) "
                      "and `.get()` against `os.fork()` + `os.pipe()` + pickle + `os.waitpid()`, "
                      "the child ending with `os._exit(0)`. PHP: `Process::fork(fn)->wait()` + "
                      "`getOutput()` against `pcntl_fork()` + `stream_socket_pair()` + "
                      "`serialize()` + `pcntl_waitpid()`, the child ending with "
                      "`posix_kill(getmypid(), SIGKILL)` (no PHP shutdown, like `_exit()`)."),
        "map_10k": ("3. Process::map over 10 000 tiny items",
                    "`fn ($x) => $x * 2` over `range(1, 10000)`, both with as many workers as "
                    "cores: `Process::map($items, $fn, $cores)` against a hand-written "
                    "`pcntl_fork` + socket-pair chunked map. `serial` (`array_map`) is a "
                    "reference."),
        "warm_call": ("4. Warm call",
                      "`bench/workers/echo_warm` kept warm: `MultiWorker::run` (PHP) and "
                      "`mp.run_worker` (Python) against the very same script started once with "
                      "`proc_open` / `subprocess.Popen` (MULTIVERSE_WARM=1), one JSON line in, "
                      "one line out."),
        "map_cpu": ("CPU-bound closures (PHP)",
                    "2 × cores items of ~200 ms of arithmetic: `Process::map` against the "
                    "`pcntl_fork` map, serial as the reference. No target: it shows the fork "
                    "overhead vanishing behind real work."),
    }
    for bench in list(RATIO_TARGETS):
        if not any(b == bench for b, _, _ in groups):
            continue
        title, blurb = titles[bench]
        num, _, limit = RATIO_TARGETS[bench]
        text += [f"## {title}", blurb + f" Target: ratio ≤ {fmt(limit)}.", ""]
        text += section_ratio(bench, groups) + [""]
    if "concurrent" in by:
        t, notes = section_concurrent(rows)
        text += ["## 5. Concurrent tasks",
                 "PHP: `MultiWorker::runMany` of N exec'd tasks with concurrency N against N "
                 "bare `proc_open()` of the same executable (`bench/gate.c`). Python: N "
                 "`@mp.parallel(fork=True)` calls with `set_max_concurrent_tasks(N)` against N bare "
                 "`os.fork()`. Each task notes its pid and CLOCK_MONOTONIC time as it begins "
                 "running, then blocks until an observer process has seen all N and counted the "
                 "host's process tree; rounds alternate the contenders. *all started* is the "
                 "last task's start minus the first call; host CPU is `getrusage()` of the host "
                 "process over the whole call; processes beyond the tasks are the host's "
                 "descendants that are not tasks, one per host process (the fork server) "
                 "excepted, which is shown in the breakdown. *their CPU* is what those processes "
                 "(fork server included) used from just before the call until all tasks had "
                 "started (from /proc): work done outside the host. Targets: all started ≤ 2× bare, host "
                 "CPU ≤ 1 ms per task, ≤ 1 process per task beyond it.", ""]
        text += [f"- {n}" for n in notes] + [""]
        text += t + [""]
    if "map_cpu" in by:
        title, blurb = titles["map_cpu"]
        text += [f"## {title}", blurb, ""]
        text += section_ratio("map_cpu", groups) + [""]
    text += section_legacy(by)
    if steps:
        text += ["## Run length", ""]
        text += table(["step"] + [f"{t} (s)" for t in tiers],
                      [[name] + [next((s["seconds"] for s in steps if s["step"] == name
                                       and s["tier"] == t), "") for t in tiers]
                       for name in OrderedDict.fromkeys(s["step"] for s in steps)])
        text.append("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
    if os.path.exists(notes):
        with open(notes) as f:
            text += [f.read()]
    with open(md, "w") as f:
        f.write("\n".join(text) + "\n")
    chart(chart_rows, by, png)


if __name__ == "__main__":
    main()
