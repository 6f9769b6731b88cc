"""Shared helpers of the Python benchmarks: contenders alternating call by
call, optional spacing, one JSON row of raw samples per contender.

Rows carry the raw samples; bench/report.py computes medians, ratios and
verdicts from them, the same way for every row.
"""
import json
import os
import sys
import time

QUICK = os.environ.get("BENCH_QUICK") == "1"
SPACING = float(os.environ.get("BENCH_SPACING", "0.2"))


def emit(row):
    print(json.dumps(row), flush=True)


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def modes():
    """The modes of the rows that have both: back to back, then spaced."""
    return [("back to back", 0.0), ("spaced %g s" % SPACING, SPACING)]


def alternate(contenders, calls, spacing=0.0, check=None, warmup=2):
    """Call every contender `calls` times, alternating call by call (the
    order flips every round, so neither always goes first); with spacing,
    the machine idles that long before every call. Returns name -> list of
    call times in ms."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            out = contenders[name]()
            if check is not None:
                check(name, out)
    times = {name: [] for name in names}
    for i in range(calls):
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            if spacing:
                time.sleep(spacing)
            t0 = time.perf_counter()
            out = contenders[name]()
            took = time.perf_counter() - t0
            if check is not None:
                check(name, out)
            times[name].append(took * 1000.0)
    return times


def sample_rows(bench, lang, mode, times, sides, **extra):
    """One row per contender: the raw samples (ms) and its side ("mv" for
    multiverse, "peer" for the baseline it is compared with)."""
    for name, samples in times.items():
        row = {"bench": bench, "lang": lang, "mode": mode, "contender": name,
               "side": sides[name], "unit": "ms", "calls": len(samples),
               "samples": [round(s, 4) for s in samples]}
        row.update(extra)
        emit(row)
