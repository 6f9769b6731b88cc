"""The Python half of the demo: @mp.parallel on CPU-bound work, and a
timeout on a task whose children leave its session."""
import os
import subprocess
import time

import multiverse as mp


def count_primes(n):
    return sum(1 for i in range(2, n) if all(i % j for j in range(2, int(i ** 0.5) + 1)))


@mp.parallel
def primes(n):
    return count_primes(n)


@mp.parallel(timeout=1.0)
def runaway(pidfile):
    with open(pidfile, "w") as f:
        for _ in range(2):
            p = subprocess.Popen(["sleep", "1000"], start_new_session=True)
            f.write("%d\n" % p.pid)
    time.sleep(1000)


ns = [150_000, 152_000, 154_000, 156_000]
t0 = time.perf_counter()
serial = [count_primes(n) for n in ns]
t_serial = time.perf_counter() - t0
t0 = time.perf_counter()
handles = [primes(n) for n in ns]
parallel = [h.get() for h in handles]
t_parallel = time.perf_counter() - t0
assert parallel == serial
print("@mp.parallel: %s in %.2f s (serial %.2f s, %.1fx)" % (parallel, t_parallel, t_serial,
                                                          t_serial / t_parallel))

pidfile = "/tmp/mv-demo-%d" % os.getpid()
h = runaway(pidfile)
try:
    h.get()
except mp.TaskTimeoutError as e:
    pids = [int(x) for x in open(pidfile).read().split()]
    alive = [p for p in pids if os.path.exists("/proc/%d" % p)
             and ") Z" not in open("/proc/%d/stat" % p).read()]
    print("timeout: %s; its %d setsid children alive now: %d" % (e, len(pids), len(alive)))
os.unlink(pidfile)
