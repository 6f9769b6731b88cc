"""Facts about processes, read from /proc (no psutil needed in hosts).

Every host a test starts gets a unique MV_TEST_TOKEN in its environment.
Workers, forked tasks and everything they start inherit it, whatever
session they moved to, so `tagged(token)` finds every process a test is
responsible for: the leak check after a case, and the cleanup after a
failed test.
"""
import os
import signal
import time


def alive(pid):
    """True if pid runs and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def start_time(pid):
    """The process's start time in clock ticks since boot (field 22 of
    /proc/PID/stat), which the registry uses to recognise a process."""
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def survivors(pids, timeout=0.0):
    """The pids still alive after waiting up to `timeout` for them to die."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)


def tagged(token):
    """Live processes whose environment carries MV_TEST_TOKEN=token."""
    needle = b"MV_TEST_TOKEN=" + token.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if needle in env and alive(int(name)):
            found.append(int(name))
    return found


def leftovers(token, timeout=1.0):
    """Tagged processes still alive after `timeout`: a finished call must
    leave nothing behind."""
    deadline = time.monotonic() + timeout
    while True:
        left = tagged(token)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def kill_tagged(token):
    """SIGKILL everything carrying the token (cleanup after a failure)."""
    for _ in range(50):
        pids = tagged(token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def wait_for(predicate, timeout=15.0, interval=0.02):
    """Poll predicate() until it is truthy; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
