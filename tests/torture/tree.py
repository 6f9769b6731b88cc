"""Random process trees for the torture suite.

A tree spec is JSON: {"kids": [node, ...]} where a node is
  {"setsid": bool, "double": bool, "ignore_term": bool,
   "fork_on_term": bool, "kids": [node, ...]}
- setsid: the process starts a new session (escapes kill(-pgid));
- double: it is started by a double fork (its parent exits at once, so it
  is reparented to the nearest subreaper);
- ignore_term: it ignores SIGTERM (only SIGKILL ends it);
- fork_on_term: on SIGTERM it forks a fresh child and keeps running (a
  tree that grows while it is being killed);
- leave_cgroup: it moves itself out of its cgroup into the parent cgroup
  (what a task running as root can do to its cgroup leaf; harmless where
  it cannot).

build(spec, pidfile) turns the calling process into the root of such a tree:
every process appends its pid to pidfile. expected(spec) is how many pids
that makes, so a test can wait until the whole tree exists.
"""
import json
import os
import random
import signal
import sys
import time


def random_spec(rng, max_depth=4, max_fanout=3):
    def node(depth):
        kids = []
        if depth < max_depth:
            kids = [node(depth + 1) for _ in range(rng.randint(0, max_fanout if depth < 2 else 1))]
        return {
            "setsid": rng.random() < 0.5,
            "double": rng.random() < 0.35,
            "ignore_term": rng.random() < 0.3,
            "fork_on_term": rng.random() < 0.15,
            "leave_cgroup": rng.random() < 0.1,
            "kids": kids,
        }
    depth = rng.randint(1, max_depth)
    return {"kids": [node(2) for _ in range(rng.randint(1, max_fanout))] if depth > 1 else []}


def expected(spec):
    return 1 + sum(expected(k) for k in spec.get("kids", []))


def _note(pidfile):
    fd = os.open(pidfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"%d\n" % os.getpid())
    os.close(fd)


def _on_term(pidfile):
    def handler(signum, frame):
        if os.fork() == 0:
            _note(pidfile)
            _linger()
    return handler


def _linger():
    while True:
        time.sleep(3600)


def _leave_cgroup():
    try:
        rel = [l[3:] for l in open("/proc/self/cgroup").read().splitlines()
               if l.startswith("0::")][0]
        mnt = [l.split()[4] for l in open("/proc/self/mountinfo")
               if " - cgroup2 " in l and l.split()[3] == "/"][0]
        with open(mnt + os.path.dirname(rel) + "/cgroup.procs", "w") as f:
            f.write("0")
    except (OSError, IndexError):
        pass  # no cgroup v2, or not allowed: nothing to leave


def _become(node, pidfile):
    """Configure this process as `node`, start its children, linger."""
    if node.get("leave_cgroup"):
        _leave_cgroup()
    if node.get("setsid"):
        os.setsid()
    if node.get("fork_on_term"):
        signal.signal(signal.SIGTERM, _on_term(pidfile))
    elif node.get("ignore_term"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _note(pidfile)
    _spawn_kids(node, pidfile)
    _linger()


def _spawn_kids(node, pidfile):
    for kid in node.get("kids", []):
        pid = os.fork()
        if pid == 0:
            try:
                if kid.get("double") and os.fork() != 0:
                    os._exit(0)
                _become(kid, pidfile)
            finally:
                os._exit(0)
        if kid.get("double"):
            os.waitpid(pid, 0)


def build(spec, pidfile, wait=True):
    """Make the calling process the tree's root: it notes itself, starts the
    tree and (with wait) returns once every process has noted its pid."""
    _note(pidfile)
    _spawn_kids(spec, pidfile)
    if wait:
        wait_built(spec, pidfile)


def read_pids(pidfile):
    try:
        with open(pidfile) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def wait_built(spec, pidfile, timeout=20.0):
    want = expected(spec)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(read_pids(pidfile)) >= want:
            return True
        time.sleep(0.005)
    return False


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def ending_root(how):
    """What the root does once the tree is built."""
    if how == "exit":
        return
    if how == "crash":
        signal.signal(signal.SIGSEGV, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGSEGV)
    _linger()


if __name__ == "__main__":
    # Usage as a worker body: payload {"spec": ..., "pidfile": ..., "end": ...}
    p = json.load(sys.stdin)
    build(p["spec"], p["pidfile"])
    ending_root(p.get("end", "exit"))
    print(json.dumps({"built": expected(p["spec"])}))
