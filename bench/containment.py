"""Timeout containment, Python side: a task whose tree has a plain child, a
setsid child and a double-forked grandchild gets a 1 s timeout. Reported:
processes of the tree still alive after the call returned, and the time
from the deadline to the return. Contenders alternate round by round."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import multiverse as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treelib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.join(HERE, "workers")
PY = sys.executable
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TIMEOUT = 1.0


def run_worker(pidfile):
    try:
        mp.run_worker("tree3", {"pidfile": pidfile}, timeout=TIMEOUT)
    except mp.WorkerTimeoutError:
        pass


@mp.parallel
def tree_task(pidfile):
    treelib.build_and_wait(pidfile)


def parallel(pidfile):
    try:
        tree_task(pidfile, timeout=TIMEOUT).get()
    except mp.TaskTimeoutError:
        pass


def subprocess_run(pidfile):
    try:
        subprocess.run([PY, os.path.join(WORKERS, "tree3", "main.py")],
                       input=json.dumps({"pidfile": pidfile}).encode(),
                       stdout=subprocess.DEVNULL, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pass


_pebble = None


def pebble_schedule(pidfile):
    import concurrent.futures
    global _pebble
    import pebble
    if _pebble is None:
        _pebble = pebble.ProcessPool(2)
    fut = _pebble.schedule(treelib.build_and_wait, args=(pidfile,), timeout=TIMEOUT)
    try:
        fut.result()
    except concurrent.futures.TimeoutError:
        pass


CONTENDERS = {
    "mp.run_worker": run_worker,
    "@mp.parallel": parallel,
    "subprocess.run(timeout=)": subprocess_run,
    "pebble schedule(timeout=)": pebble_schedule,
}


def main():
    mp.configure(workers_path=WORKERS, python=PY, kill_grace=2.0)
    res = {k: {"late": [], "survivors": []} for k in CONTENDERS}
    for _ in range(ROUNDS):
        for name, fn in CONTENDERS.items():
            pidfile = tempfile.mktemp(prefix="mv-bench-tree-")
            t0 = time.monotonic()
            fn(pidfile)
            late = time.monotonic() - (t0 + TIMEOUT)
            res[name]["late"].append(late)
            res[name]["survivors"].append(len(treelib.survivors(pidfile)))
            treelib.cleanup(pidfile)
    if _pebble is not None:
        _pebble.stop()
        _pebble.join()
    for name, r in res.items():
        print(json.dumps({"bench": "containment", "lang": "python", "contender": name,
                          "survivors_median": statistics.median(r["survivors"]),
                          "survivors_max": max(r["survivors"]),
                          "tree_size": 4,
                          "deadline_to_return_ms": statistics.median(r["late"]) * 1000,
                          "rounds": ROUNDS}), flush=True)


if __name__ == "__main__":
    main()
