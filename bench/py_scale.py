"""Target 5, Python: N concurrent forked tasks (N = 1000 when the machine's
limits allow it), contenders alternating round by round:

- N calls of an @mp.parallel(fork=True) function with set_max_concurrent_tasks(N),
  then .get() on every handle: each task forked under its own supervisor;
- N bare os.fork(), the child runs the same function and ends with
  os._exit(0); then os.waitpid() on each.

The function notes its pid and CLOCK_MONOTONIC time when it begins
running, then blocks until the observer (scale_watch.py) has seen all N
and counted the host's process tree. Per round: time until all have
started (last mark - first call), host CPU (getrusage(RUSAGE_SELF): every
thread of this process) per task over the whole run, processes besides
the tasks.
"""
import fcntl
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import multiverse as mp
from benchlib import emit, note

HERE = os.path.dirname(os.path.abspath(__file__))
PY = os.environ.get("BENCH_PYTHON", "/usr/bin/python3")
WATCH = os.path.join(HERE, "scale_watch.py")


def gate(mark, lock):
    """The task: note pid and start time, wait for the observer."""
    line = b"%d %d\n" % (os.getpid(), time.monotonic_ns())
    fd = os.open(mark, os.O_WRONLY | os.O_APPEND)
    os.write(fd, line)
    os.close(fd)
    lfd = os.open(lock, os.O_RDONLY)
    fcntl.flock(lfd, fcntl.LOCK_SH)
    os.close(lfd)
    return 1


gate_task = mp.parallel(fork=True)(gate)


def run_parallel(n, mark, lock):
    handles = [gate_task(mark, lock) for _ in range(n)]
    return sum(h.get() for h in handles)


def run_fork(n, mark, lock):
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                gate(mark, lock)
            finally:
                os._exit(0)
        pids.append(pid)
    ok = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        ok += os.waitstatus_to_exitcode(status) == 0
    return ok


CONTENDERS = {"@mp.parallel": run_parallel, "os.fork (bare)": run_fork}
SIDES = {"@mp.parallel": "mv", "os.fork (bare)": "peer"}


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    want = int(os.environ.get("BENCH_SCALE_TASKS", "1000"))
    rounds = int(os.environ.get("BENCH_SCALE_ROUNDS", "3"))
    fit = json.loads(subprocess.run([PY, WATCH, "fit", str(want)], check=True,
                                    capture_output=True, text=True).stdout)
    n = fit["tasks"]
    note("python scale: " + fit["why"])
    mp.set_max_concurrent_tasks(n)
    res = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fd, mark = tempfile.mkstemp(prefix="mv-bench-mark-")
            os.close(fd)
            fd, lock = tempfile.mkstemp(prefix="mv-bench-lock-")
            os.close(fd)
            obs = subprocess.Popen([PY, WATCH, "watch", str(os.getpid()), str(n), mark, lock, "240"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
            if obs.stdout.readline().strip() != b"ready":
                raise SystemExit("the observer did not start")
            cpu0 = cpu()
            t0 = time.monotonic_ns()
            ok = CONTENDERS[name](n, mark, lock)
            wall = (time.monotonic_ns() - t0) / 1e9
            used = cpu() - cpu0
            seen = json.loads(obs.stdout.read())
            obs.wait()
            with open(mark) as f:
                stamps = [int(line.split()[1]) for line in f if line.strip()]
            os.unlink(mark)
            os.unlink(lock)
            if ok != n or len(stamps) != n or seen["timed_out"]:
                raise SystemExit("%s: %d of %d results, %d started, observer: %r"
                                 % (name, ok, n, len(stamps), seen))
            res[name].append({
                "start_all_s": (max(stamps) - t0) / 1e9,
                "first_start_ms": (min(stamps) - t0) / 1e6,
                "host_cpu_ms_per_task": used * 1000 / n,
                "extra_procs": seen["other_procs"],
                "extra_by_name": seen["other_by_name"],
                "extra_cpu_ms_per_task": seen["other_cpu_s"] * 1000 / n,
                "wall_s": wall,
            })
            time.sleep(1.5)  # the dispatcher lets go of its thread; the machine settles
    for name, rs in res.items():
        row = {"bench": "concurrent", "lang": "python", "mode": "all at once", "contender": name,
               "side": SIDES[name], "tasks": n, "requested": fit["requested"], "fit": fit["why"],
               "rounds": len(rs)}
        for k in rs[0]:
            row[k] = [x[k] for x in rs]
        emit(row)


if __name__ == "__main__":
    sys.exit(main())
