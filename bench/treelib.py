"""The process tree of the containment benchmark, usable as a worker body
or as a function run in a forked task or a pool process."""
import os
import time


def _note(pidfile):
    fd = os.open(pidfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"%d\n" % os.getpid())
    os.close(fd)


def _linger():
    while True:
        time.sleep(3600)


def build_and_wait(pidfile):
    _note(pidfile)
    if os.fork() == 0:              # a plain child
        _note(pidfile)
        _linger()
    if os.fork() == 0:              # a child that leaves the session
        os.setsid()
        _note(pidfile)
        _linger()
    if os.fork() == 0:              # a double-forked, setsid grandchild
        os.setsid()
        if os.fork() == 0:
            _note(pidfile)
            _linger()
        os._exit(0)
    _linger()


def pids(pidfile):
    try:
        with open(pidfile) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def survivors(pidfile, settle=0.2):
    """Tree processes alive a moment after the call returned."""
    time.sleep(settle)
    return [p for p in pids(pidfile) if alive(p)]


def cleanup(pidfile):
    import signal
    for p in pids(pidfile):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.unlink(pidfile)
    except FileNotFoundError:
        pass
