"""One torture trial hosted by Python.

usage: host.py TRIAL_JSON

The trial names the kind ("worker": mp.run_worker, "fork":
@mp.parallel(fork=True), "pool": @mp.parallel in its warm pool, where the
task's root is the pool process),
the random tree spec, the pidfile, and how the task ends:
  exit, crash   the task's root does so once the tree is built
  timeout       the task's timeout expires
  cancel        fork: this host cancels it once the tree is built;
                worker: the driver sends this host SIGINT (Ctrl-C)
  clear, hostkill  the driver clears it from another process, or SIGKILLs
                this host, once the tree is built
Prints one JSON line: the outcome and this host's fds and zombie children
before and after (the driver checks that the tree is gone).
"""
import json
import os
import sys
import threading
import time

import multiverse as mp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tree  # noqa: E402


def fds():
    """Open fds, measured when the package is idle: its dispatcher thread
    (and the loop it owns) exits when there is nothing to do."""
    end = time.monotonic() + 10
    while threading.active_count() > 1 and time.monotonic() < end:
        time.sleep(0.01)
    return sorted(int(x) for x in os.listdir("/proc/self/fd") if os.path.exists("/proc/self/fd/" + x))


def zombies():
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            out.append(int(name))
    return out


@mp.parallel(fork=True)  # a forked task per trial; pool_tree runs it in the warm pool
def fork_tree(spec, pidfile, end):
    tree.build(spec, pidfile)
    tree.ending_root(end)
    return tree.expected(spec)


# The same body in the warm pool (sent by value: this is __main__).
pool_tree = fork_tree.options(fork=False)


def main():
    t = json.loads(sys.argv[1])
    mp.configure(workers_path=os.path.join(HERE, "workers"), python=sys.executable,
                 kill_grace=t["grace"], runtime_dir=t["runtime_dir"])
    end = t["end"]
    root_end = end if end in ("exit", "crash") else "linger"
    timeout = t["timeout"] if end == "timeout" else 30
    # Warm-up: the dispatcher thread, the cached supervisor image fd.
    if t["kind"] in ("fork", "pool"):
        fork_tree({"kids": []}, t["pidfile"] + ".warmup", "exit").get()
    else:
        mp.run_worker("torture", {"spec": {"kids": []}, "pidfile": t["pidfile"] + ".warmup", "end": "exit"})
    fds_before = fds()
    outcome = "ok"
    try:
        if t["kind"] == "worker":
            payload = {"spec": t["spec"], "pidfile": t["pidfile"], "end": root_end}
            mp.run_worker("torture", payload, timeout=timeout)
        else:
            task = fork_tree if t["kind"] == "fork" else pool_tree
            h = task.options(timeout=timeout)(t["spec"], t["pidfile"], root_end)
            if end == "cancel":
                tree.wait_built(t["spec"], t["pidfile"])
                h.cancel()
            h.get()
    except mp.WorkerTimeoutError:
        outcome = "timeout"
    except mp.TaskTimeoutError:
        outcome = "timeout"
    except mp.TaskCancelledError:
        outcome = "cancelled"
    except mp.TaskCrashedError:
        outcome = "crashed"
    except mp.WorkerError as e:
        outcome = "worker-error:" + (e.status or "")
    except mp.TaskError as e:
        outcome = "task-error:" + e.error_type
    except KeyboardInterrupt:
        outcome = "interrupted"
    if t["kind"] == "pool":
        # The pool's processes (and the threads that serve them) live until
        # shutdown: what the host holds afterwards is compared.
        mp.shutdown(timeout_secs=10)
    print(json.dumps({"outcome": outcome, "fds_before": fds_before, "fds_after": fds(),
                      "zombies": zombies()}), flush=True)


if __name__ == "__main__":
    main()
