"""Python CPU work: multiverse against the standard library and its peers.

Every contender runs in the same process, alternating round by round, and
the medians are compared (a lone absolute time says little on a shared
VM). Prints one JSON object per benchmark row on stdout.

Rows:
- cpu8: 8 tasks x ~200 ms of pure-Python arithmetic: serial, a plain
  os.fork split (the yardstick: what the cores allow), @mp.parallel (the
  warm pool, its default), @mp.parallel(fork=True), ProcessPoolExecutor,
  multiprocessing.Pool, pebble, joblib (loky): speed-up over serial.
- noop: round trip of one no-op task, and tasks/s over a batch of 500
  no-ops.
- map: mp.map vs multiprocessing.Pool.map vs ProcessPoolExecutor.map over
  10 000 and 100 000 small items.
- hostsize: the default path's no-op round trip from hosts of 10 MB,
  300 MB and 1.5 GB (each a fresh interpreter holding that much touched
  memory), against fork=True's.
"""
import concurrent.futures as cf
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

import multiverse as mp

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CORES = os.cpu_count() or 1


def burn(n):
    """Pure-Python arithmetic, ~200 ms for the calibrated n."""
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 1000003
    return acc


def noop(x=None):
    return x


def square(x):
    return x * x


def calibrate(target=0.2):
    n = 200_000
    while True:
        t0 = time.perf_counter()
        burn(n)
        took = time.perf_counter() - t0
        if took > 0.05:
            return int(n * target / took)
        n *= 2


def emit(row):
    print(json.dumps(row), flush=True)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# -- cpu8 ------------------------------------------------------------------

def fork_split(n, tasks):
    """The yardstick: one os.fork per task, results through pipes."""
    pids = []
    reads = []
    for _ in range(tasks):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, str(burn(n)).encode())
            os._exit(0)
        os.close(w)
        pids.append(pid)
        reads.append(r)
    out = []
    for pid, r in zip(pids, reads):
        out.append(int(os.read(r, 64)))
        os.close(r)
        os.waitpid(pid, 0)
    return out


def bench_cpu8():
    n = calibrate()
    tasks = 8
    want = [burn(n)] * tasks
    # Decorated here, in __main__, as a script's user would: the pool gets
    # the function by value.
    par = mp.parallel(burn)
    forked = mp.parallel(fork=True)(burn)
    contenders = {
        "serial": lambda: [burn(n) for _ in range(tasks)],
        "os.fork split": lambda: fork_split(n, tasks),
        "@mp.parallel": lambda: [h.get() for h in [par(n) for _ in range(tasks)]],
        "@mp.parallel(fork=True)": lambda: [h.get() for h in [forked(n) for _ in range(tasks)]],
    }
    ppe = cf.ProcessPoolExecutor(CORES)
    contenders["ProcessPoolExecutor"] = lambda: list(ppe.map(burn, [n] * tasks))
    mpool = multiprocessing.Pool(CORES)
    contenders["multiprocessing.Pool"] = lambda: mpool.map(burn, [n] * tasks, chunksize=1)
    try:
        import pebble
        peb = pebble.ProcessPool(CORES)
        contenders["pebble"] = lambda: [f.result() for f in
                                        [peb.schedule(burn, (n,)) for _ in range(tasks)]]
    except ImportError:
        peb = None
    try:
        import joblib
        contenders["joblib (loky)"] = lambda: joblib.Parallel(n_jobs=CORES, backend="loky")(
            joblib.delayed(burn)(n) for _ in range(tasks))
    except ImportError:
        pass
    times = {k: [] for k in contenders}
    for name, fn in contenders.items():  # warm-up: pools start their processes
        if name != "serial":
            fn()
    order = list(contenders.items())
    for r in range(ROUNDS):
        # A different order each round: no contender always follows the
        # eight exiting processes of the fork split.
        for name, fn in order[r % len(order):] + order[:r % len(order)]:
            took, out = timed(fn)
            assert list(out) == want, name
            times[name].append(took)
    ppe.shutdown()
    mpool.close()
    mpool.join()
    if peb:
        peb.close()
        peb.join()
    serial = statistics.median(times["serial"])
    for name, ts in times.items():
        med = statistics.median(ts)
        emit({"bench": "py_cpu8", "contender": name, "median_s": med,
              "speedup_vs_serial": serial / med, "rounds": ROUNDS, "tasks": tasks,
              "task_s": serial / tasks})


# -- no-op round trip and throughput ----------------------------------------

def bench_noop(batch=500):
    par = mp.parallel(noop)
    forked = mp.parallel(fork=True)(noop)
    ppe = cf.ProcessPoolExecutor(CORES)
    ppe.submit(noop).result()
    par(0).get()  # the pool's processes
    contenders = {
        "@mp.parallel": (lambda: par(1).get(), lambda: [h.get() for h in [par(i) for i in range(batch)]]),
        "@mp.parallel(fork=True)": (lambda: forked(1).get(),
                                    lambda: [h.get() for h in [forked(i) for i in range(batch)]]),
        "ProcessPoolExecutor": (lambda: ppe.submit(noop, 1).result(),
                                lambda: [f.result() for f in [ppe.submit(noop, i) for i in range(batch)]]),
    }
    rt = {k: [] for k in contenders}
    thr = {k: [] for k in contenders}
    for _ in range(ROUNDS):
        for name, (one, many) in contenders.items():
            samples = []
            for _ in range(20):
                took, _ = timed(one)
                samples.append(took)
            rt[name].append(statistics.median(samples))
            took, out = timed(many)
            assert list(out) == list(range(batch)), name
            thr[name].append(batch / took)
    ppe.shutdown()
    base_rt = statistics.median(rt["ProcessPoolExecutor"])
    base_thr = statistics.median(thr["ProcessPoolExecutor"])
    for name in contenders:
        emit({"bench": "py_noop", "contender": name,
              "roundtrip_ms": statistics.median(rt[name]) * 1000,
              "roundtrip_vs_ppe": statistics.median(rt[name]) / base_rt,
              "tasks_per_s": statistics.median(thr[name]),
              "throughput_vs_ppe": statistics.median(thr[name]) / base_thr,
              "batch": batch, "rounds": ROUNDS})


# -- map over 10 000 and 100 000 items -----------------------------------------

def bench_map(n):
    items = list(range(n))
    want = [x * x for x in items]
    mpool = multiprocessing.Pool(CORES)
    ppe = cf.ProcessPoolExecutor(CORES)
    contenders = {
        "mp.map": lambda: mp.map(square, items),
        "mp.map(fork=True)": lambda: mp.map(square, items, fork=True),
        "multiprocessing.Pool.map": lambda: mpool.map(square, items),
        "ProcessPoolExecutor.map": lambda: list(ppe.map(square, items, chunksize=n // (4 * CORES))),
        "serial": lambda: [square(x) for x in items],
    }
    contenders["mp.map"]()  # warm-up: the pool's processes
    times = {k: [] for k in contenders}
    for _ in range(ROUNDS):
        for name, fn in contenders.items():
            took, out = timed(fn)
            assert list(out) == want, name
            times[name].append(took)
    mpool.close()
    mpool.join()
    ppe.shutdown()
    base = statistics.median(times["multiprocessing.Pool.map"])
    for name, ts in times.items():
        emit({"bench": "py_map%dk" % (n // 1000), "contender": name,
              "median_s": statistics.median(ts),
              "vs_multiprocessing": statistics.median(ts) / base, "items": n, "rounds": ROUNDS})


# -- per-call cost against the host's size ------------------------------------

HOST = r"""
import json, os, statistics, sys, time
import multiverse as mp
ballast = bytearray(int(sys.argv[1]) * 1024 * 1024)
for i in range(0, len(ballast), 4096):
    ballast[i] = 1  # touched: resident, copied on write by a fork
def noop(x=None):
    return x
pooled, forked = mp.parallel(noop), mp.parallel(fork=True)(noop)
pooled(0).get()
forked(0).get()
out = {}
for name, fn in (("default", pooled), ("fork=True", forked)):
    samples = []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        fn(1).get()
        samples.append(time.perf_counter() - t0)
    out[name] = statistics.median(samples)
print(json.dumps(out))
"""


def bench_hostsize(sizes=(10, 300, 1500)):
    calls = int(os.environ.get("BENCH_HOSTSIZE_CALLS", "40"))
    ms = {s: {"default": [], "fork=True": []} for s in sizes}
    for _ in range(ROUNDS):
        for size in sizes:  # alternating sizes, round by round
            out = subprocess.run([sys.executable, "-c", HOST, str(size), str(calls)],
                                 capture_output=True, text=True, check=True)
            for name, v in json.loads(out.stdout).items():
                ms[size][name].append(v * 1000)
    base = statistics.median(ms[sizes[0]]["default"])
    for size in sizes:
        for name in ("default", "fork=True"):
            med = statistics.median(ms[size][name])
            emit({"bench": "py_hostsize", "contender": "@mp.parallel " + name,
                  "host_mb": size, "roundtrip_ms": med,
                  "vs_smallest_default": med / base, "rounds": ROUNDS})


if __name__ == "__main__":
    which = sys.argv[1:] or ["cpu8", "noop", "map", "hostsize"]
    if "cpu8" in which:
        bench_cpu8()
    if "noop" in which:
        bench_noop()
    if "map" in which:
        bench_map(10_000)
        bench_map(100_000)
    if "hostsize" in which:
        bench_hostsize()
