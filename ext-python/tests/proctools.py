"""Process-tree facts for the tests: pid files, liveness, fds, threads, zombies."""
import json
import os
import subprocess
import time

import psutil


def alive(pid):
    """True if pid runs and is not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def read_pids(directory, suffix=".pid"):
    """Pids written by a task tree, one file per process."""
    pids = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(suffix):
            with open(os.path.join(directory, name)) as f:
                text = f.read().strip()
            if text:
                pids.append(int(text))
    return pids


def wait_for_pids(directory, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = read_pids(directory)
        if len(pids) >= count:
            return pids
        time.sleep(0.02)
    raise AssertionError("expected %d pid files in %s, got %r" % (count, directory,
                                                                  read_pids(directory)))


def survivors(pids, timeout=0.0):
    """The pids still alive after waiting up to timeout for them to die."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def thread_count():
    return len(os.listdir("/proc/self/task"))


def zombie_children():
    return [c.pid for c in psutil.Process().children(recursive=False)
            if c.status() == psutil.STATUS_ZOMBIE]


def start_escaping_tree(directory, tag):
    """From inside a task: start children that try to escape the task's
    tree (two setsid() sessions and an orphaned setsid grandchild), each
    writing its pid file, then write the task's own pid file. Returns the
    number of pid files to expect."""
    for i in range(2):
        subprocess.Popen(["sh", "-c", "echo $$ > %s/%s-setsid%d.pid; exec sleep 300"
                          % (directory, tag, i)], start_new_session=True)
    # The middle shell exits at once: its child is orphaned and in a new session.
    subprocess.Popen(["sh", "-c", "setsid sh -c 'echo $$ > %s/%s-orphan.pid; exec sleep 300' &"
                      " exit 0" % (directory, tag)])
    with open(os.path.join(directory, tag + "-task.pid"), "w") as f:
        f.write(str(os.getpid()))
    # Return only once every process has announced itself, so a task that
    # ends right after this leaves a complete tree behind.
    deadline = time.monotonic() + 10
    while len([n for n in os.listdir(directory) if n.startswith(tag + "-") and
                os.path.getsize(os.path.join(directory, n)) > 0]) < 4:
        # A file counts once written: `echo $$ > f` creates it empty first.
        if time.monotonic() > deadline:
            raise RuntimeError("the escaping tree did not start")
        time.sleep(0.01)
    return 4


def in_forked_child(fn):
    """fn() in a child forked from this process, which then _exit()s; returns
    what fn returned, sent back as JSON ({} if the child sent nothing)."""
    r, w = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(r)
        try:
            os.write(w, json.dumps(fn()).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        seen = json.loads(f.read() or "{}")
    os.waitpid(child, 0)
    return seen


def run_python(code, timeout=30, **kwargs):
    import sys

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, **kwargs)
