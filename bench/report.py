"""Turns bench/results.jsonl into bench/RESULTS.md and a chart.

usage: report.py RESULTS.jsonl RESULTS.md CHART.png "COMMAND"

Every table shows medians and ratios measured in the same run; where
multiverse loses to a peer, the table says so in a "verdict" column.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MV = ("MultiWorker", "mp.", "@mp.", "Process::map", "multiverse")


def is_mv(name):
    return name.startswith(MV)


def load(path):
    rows = OrderedDict()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows.setdefault(r["bench"], []).append(r)
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
    php = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} vCPU ({cpu}), "
            f"{mem:.0f} GiB RAM; Python {platform.python_version()}, PHP {php}")


def fmt(v, digits=2):
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.{digits}f}"
    return str(v)


def table(rows, cols, verdict=None):
    head = "| contender | " + " | ".join(c[1] for c in cols) + (" | verdict |" if verdict else " |")
    sep = "|---" * (len(cols) + 1 + (1 if verdict else 0)) + "|"
    out = [head, sep]
    for r in rows:
        cells = [fmt(r.get(c[0], "")) for c in cols]
        v = [verdict(r)] if verdict else []
        out.append("| " + " | ".join([r["contender"]] + cells + v) + " |")
    return "\n".join(out)


def best_peer(rows, key, lower_is_better):
    peers = [r for r in rows if not is_mv(r["contender"]) and r["contender"] not in ("serial",)]
    if not peers:
        return None
    return (min if lower_is_better else max)(peers, key=lambda r: r[key])


def verdict_fn(rows, key, lower_is_better, what):
    peer = best_peer(rows, key, lower_is_better)

    def verdict(r):
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
        if better:
            return f"wins ({cmp})"
        return f"**loses** on {what} ({cmp})"
    return verdict


def section_call(rows):
    text = ["## 1. PHP → Python worker call",
            f"A trivial echo worker, {rows[0]['calls']} calls per contender, alternating call "
            "by call. `MultiWorker::run (warm)` is the same worker kept warm "
            "(`multiverse.json`), the issue 7 target is ≥ 50× its cold call.", ""]
    text.append(table(rows, [("median_ms", "median ms"), ("p95_ms", "p95 ms"),
                             ("speedup_vs_symfony", "× vs symfony/process"),
                             ("speedup_vs_cold", "× vs cold run")],
                      verdict_fn(rows, "median_ms", True, "latency")))
    return text


def section_containment(rows):
    text = ["## 2. Timeout containment",
            "The task's tree: the worker, a plain child, a `setsid` child and a double-forked "
            "grandchild (4 processes); 1 s timeout. Survivors are counted 200 ms after the call "
            "returned; *late* is the time from the deadline to the return.", ""]
    text.append(table(rows, [("lang", "host"), ("survivors_median", "survivors (median)"),
                             ("survivors_max", "survivors (max)"),
                             ("deadline_to_return_ms", "late ms")],
                      verdict_fn(rows, "survivors_max", True, "survivors")))
    return text


def section_cpu(rows):
    text = ["## 3. Python CPU work",
            f"{rows[0]['tasks']} tasks × ~{rows[0]['task_s'] * 1000:.0f} ms of pure-Python "
            "arithmetic; `os.fork split` (one plain fork per task) is the yardstick of what the "
            "cores allow.", ""]
    text.append(table(rows, [("median_s", "median s"), ("speedup_vs_serial", "speed-up vs serial")],
                      verdict_fn(rows, "speedup_vs_serial", False, "speed-up")))
    return text


def section_noop(rows):
    text = ["### No-op tasks",
            f"Round trip of one no-op task, and throughput over a batch of {rows[0]['batch']}. "
            "Issue 7 targets: round trip no slower than ProcessPoolExecutor's, throughput "
            "≥ 1.5× it.", ""]
    text.append(table(rows, [("roundtrip_ms", "round trip ms"),
                             ("roundtrip_vs_ppe", "round trip / PPE"),
                             ("tasks_per_s", "tasks/s"), ("throughput_vs_ppe", "throughput / PPE")],
                      verdict_fn(rows, "tasks_per_s", False, "throughput")))
    return text


def section_map(rows):
    text = ["### map over 100 000 small items", ""]
    text.append(table(rows, [("median_s", "median s"),
                             ("vs_multiprocessing", "time / multiprocessing")],
                      verdict_fn(rows, "median_s", True, "time")))
    return text


def section_closures(rows_by):
    text = ["## 4. PHP closures"]
    for bench, title in (("php_closures_cpu", "CPU-bound closure (~200 ms per item)"),
                         ("php_closures_10k", "10 000 small items")):
        rows = rows_by.get(bench)
        if not rows:
            continue
        text += ["", f"### {title}", ""]
        text.append(table(rows, [("items", "items"), ("median_s", "median s"),
                                 ("speedup_vs_serial", "speed-up vs serial")],
                          verdict_fn(rows, "median_s", True, "time")))
    return text


def section_scale(rows):
    text = ["## 5. Scale",
            "N concurrent sleeping tasks started from one host thread. multiverse runs each "
            "under its own supervisor (whole-tree containment); the peer starts bare children "
            "with no containment, for scale.", ""]
    text.append("| contender | tasks | start all (s) | per task (ms) | host CPU ms/task | "
                "host kB/task | supervisor kB/task | wall (s) |")
    text.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        text.append(f"| {r['contender']} | {r['tasks']} | {fmt(r['start_all_s'], 3)} | "
                    f"{fmt(r['start_all_s'] * 1000 / r['tasks'])} | "
                    f"{fmt(r['host_cpu_ms_per_task'])} | {fmt(r['host_kb_per_task'])} | "
                    f"{fmt(r['supervisor_kb_per_task'], 0)} | {fmt(r['wall_s'])} |")
    return text


def chart(data, path):
    panels = [p for p in ("php_worker_call", "containment", "py_cpu8", "py_noop", "scale")
              if p in data]
    cols = 3
    nrows = (len(panels) + cols - 1) // cols
    fig, grid = plt.subplots(nrows, cols, figsize=(15, 4.4 * nrows), squeeze=False)
    axes = [a for row in grid for a in row]
    for ax in axes[len(panels):]:
        ax.axis("off")
    for ax, p in zip(axes, panels):
        rows = data[p]
        if p == "scale":
            for name in sorted({r["contender"] for r in rows}):
                pts = [(r["tasks"], r["start_all_s"] * 1000 / r["tasks"]) for r in rows
                       if r["contender"] == name]
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=name)
            ax.set_xscale("log")
            ax.set_xlabel("concurrent tasks")
            ax.set_ylabel("start time per task (ms)")
            ax.set_title("Scale")
            ax.legend(fontsize=7)
            continue
        key, label, title = {
            "php_worker_call": ("median_ms", "median latency (ms, log)", "PHP → Python call"),
            "containment": ("survivors_max", "processes left alive (of 4)", "1 s timeout"),
            "py_cpu8": ("speedup_vs_serial", "speed-up vs serial", "8 × 200 ms CPU tasks"),
            "py_noop": ("tasks_per_s", "no-op tasks per second", "Tiny tasks"),
        }[p]
        names = [r["contender"] + (f" ({r['lang']})" if "lang" in r else "") for r in rows]
        vals = [r[key] for r in rows]
        colors = ["#2a7ab0" if is_mv(r["contender"]) else "#b0b0b0" for r in rows]
        bars = ax.barh(names, vals, color=colors)
        # Values on the bars: a bar of zero (no survivors) is still readable.
        ax.bar_label(bars, labels=[fmt(v) for v in vals], fontsize=7, padding=2)
        if p == "php_worker_call":
            ax.set_xscale("log")
        ax.margins(x=0.25)
        ax.set_xlabel(label)
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=7)
        ax.invert_yaxis()
    fig.suptitle("multiverse (blue) vs peers (grey), same machine, same run", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    src, md, png, command = sys.argv[1:5]
    data = load(src)
    text = ["# Benchmark results", "",
            f"- Machine: {machine()}",
            f"- Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
            f"- Command: `{command}`",
            "- Every row was measured in the same run as its peers, alternating; the numbers "
            "are medians. Absolute times on a shared 2-vCPU VM move from run to run; the "
            "ratios are what to read.", "",
            f"![chart]({os.path.basename(png)})", ""]
    if "php_worker_call" in data:
        text += section_call(data["php_worker_call"]) + [""]
    if "containment" in data:
        text += section_containment(data["containment"]) + [""]
    if "py_cpu8" in data:
        text += section_cpu(data["py_cpu8"]) + [""]
    if "py_noop" in data:
        text += section_noop(data["py_noop"]) + [""]
    if "py_map100k" in data:
        text += section_map(data["py_map100k"]) + [""]
    text += section_closures(data) + [""]
    if "scale" in data:
        text += section_scale(data["scale"]) + [""]
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
    if os.path.exists(notes):
        with open(notes) as f:
            text += [f.read()]
    with open(md, "w") as f:
        f.write("\n".join(text) + "\n")
    chart(data, png)


if __name__ == "__main__":
    main()
