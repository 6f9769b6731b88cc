"""A lean host that runs many tasks and reports what it holds before and
after: fds, threads, children (zombies included). Printed as JSON for
test_host_safety.py. A small host keeps each fork cheap.

    many_tasks.py COUNT CONCURRENCY RUNTIME_DIR fork|pool

fork: a process forked per task; pool: the warm pool (its processes exist
before and after; "final" is what is left after shutdown())."""
import json
import os
import sys
import threading
import time

import multiverse as mp


def snapshot():
    loop = sys.modules["multiverse._dispatch"].DISPATCHER._loop
    return {
        "fds": sorted(os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
        "children": _children(),
        "pool_processes": loop.processes if loop is not None else 0,
    }


def _children():
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid
            found.append([int(pid), fields[0]])  # pid, state
    return found


def settle(threads, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mp.get_active_task_count() == 0 and len(os.listdir("/proc/self/task")) == threads:
            return
        time.sleep(0.02)


count, concurrency = int(sys.argv[1]), int(sys.argv[2])
mp.configure(runtime_dir=sys.argv[3])
mp.set_max_concurrent_tasks(concurrency)
base_threads = threading.active_count()
work = mp.parallel(fork=sys.argv[4] == "fork")(lambda i: i * 2)
# Warm-up: the supervisor image is materialised once per process; the
# pool's processes start, all of them: each call lasts long enough that
# none is served by a process another one already used (with instant
# calls, how many processes a burst makes depends on timing).
slow = mp.parallel(fork=sys.argv[4] == "fork")(lambda i: (time.sleep(0.3), i * 2)[1])
assert [h.get() for h in [slow(1) for _ in range(concurrency)]] == [2] * concurrency
if sys.argv[4] == "pool":
    # On a loaded machine a process may start after the call it was made
    # for was served by another: wait until the pool is whole.
    pool_loop = sys.modules["multiverse._dispatch"].DISPATCHER._loop
    deadline = time.monotonic() + 10
    while pool_loop.processes < concurrency and time.monotonic() < deadline:
        time.sleep(0.02)
settle(base_threads)
before = snapshot()
start = time.monotonic()
done = 0
while done < count:
    batch = min(500, count - done)
    handles = [work(i) for i in range(batch)]
    assert [h.get() for h in handles] == [i * 2 for i in range(batch)]
    done += batch
seconds = time.monotonic() - start
settle(before["threads"])
after = snapshot()
mp.shutdown(timeout_secs=10)
settle(base_threads)
final = snapshot()
print(json.dumps({"before": before, "after": after, "final": final, "tasks": done,
                  "seconds": seconds}))
