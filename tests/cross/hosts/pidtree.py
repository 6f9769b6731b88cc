"""A small process tree that tries to escape: the calling process (the
root) forks a child, which forks a grandchild that calls setsid() — a new
session, out of reach of kill(-pgid). Each notes its pid in
piddir/{root,child,grandchild}.pid; build() returns once all three did."""
import os
import time

NAMES = ("root", "child", "grandchild")


def note(piddir, name):
    tmp = os.path.join(piddir, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(str(os.getpid()))
    os.rename(tmp, os.path.join(piddir, name + ".pid"))   # never seen half-written


def linger():
    while True:
        time.sleep(3600)


def build(piddir):
    if os.fork() == 0:
        try:
            if os.fork() == 0:
                os.setsid()
                note(piddir, "grandchild")
                linger()
            note(piddir, "child")
            linger()
        finally:
            os._exit(0)
    note(piddir, "root")
    deadline = time.monotonic() + 20
    while not all(os.path.exists(os.path.join(piddir, n + ".pid")) for n in NAMES):
        if time.monotonic() > deadline:
            raise RuntimeError("the tree did not come up")
        time.sleep(0.01)


def read(piddir):
    """{name: pid} of the tree's processes noted so far."""
    out = {}
    for name in NAMES:
        try:
            with open(os.path.join(piddir, name + ".pid")) as f:
                out[name] = int(f.read())
        except FileNotFoundError:
            pass
    return out
