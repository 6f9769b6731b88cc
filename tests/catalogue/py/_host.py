"""What every Python case of the catalogue shares. A case is a small script:

    from _host import mp, attempt, carry_on
    attempt(lambda: mp.run_worker("../etc"))   # the bad input
    carry_on()                                 # then a normal call

sys.argv[1] is the harness's JSON (CASE): workers_path, runtime_dir,
python, and whatever the case needs. Output, one line each:
  OUTCOME {json}     what attempt() caught: class (module-qualified unless
                     a builtin), message and the exception's fields
                     (class null: nothing was raised)
  FACT name {json}   an observation the harness checks
  CARRIED-ON {json}  the result of the normal call made afterwards
"""
import json
import os
import resource
import sys

import multiverse as mp

CASE = json.loads(sys.argv[1])
mp.configure(workers_path=CASE["workers_path"], python=CASE["python"],
             runtime_dir=CASE["runtime_dir"], kill_grace=0.5)

_FIELDS = ("exit_code", "signal", "elapsed", "elapsed_time", "driver", "status", "error_type",
           "limit", "worker", "task_name")


def emit(tag, value):
    print(tag, json.dumps(value, default=repr), flush=True)


def fact(name, value):
    emit("FACT " + name, value)


def class_name(exc):
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else cls.__module__ + "." + cls.__qualname__


def describe(exc):
    out = {"class": class_name(exc), "message": str(exc)}
    for key in _FIELDS:
        if hasattr(exc, key):
            out[key] = getattr(exc, key)
    for key in ("stdout", "stderr"):
        if isinstance(getattr(exc, key, None), str):
            out[key + "_bytes"] = len(getattr(exc, key).encode())
    return out


def attempt(provoke):
    try:
        out = {"class": None, "value": provoke()}
    except Exception as exc:
        out = describe(exc)
    emit("OUTCOME", out)


def carry_on(call=None):
    """The host carries on: one normal call (by default, a worker), then
    its zombie children, of which there must be none."""
    emit("CARRIED-ON", (call or (lambda: mp.run_worker("echo", {"carry": "on"})))())
    fact("zombies", zombies())


def zombies():
    me, out = os.getpid(), []
    for name in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            out.append(int(name))
    return out


def open_fds():
    return len(os.listdir("/proc/self/fd")) - 1   # listdir's own fd


def starve_fds(free):
    """Use up every free file descriptor below a soft limit of 64, then give
    `free` of them back; returns the fds to release afterwards."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    held = []
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass
    for _ in range(min(free, len(held))):
        os.close(held.pop())
    return held


def release_fds(held):
    for fd in held:
        os.close(fd)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


def fd_sweep(call):
    """call() with 0, 1, 2 ... free fds until it has worked three times in a
    row. Every failure on the way must say what ran out."""
    steps, ok, free = [], 0, 0
    while free < 64 and ok < 3:
        held = starve_fds(free)
        try:
            call()
            step = {"free": free, "class": None}
            ok += 1
        except Exception as exc:
            step = dict(describe(exc), free=free)
            ok = 0
        finally:
            release_fds(held)
        steps.append(step)
        free += 1
    return steps
