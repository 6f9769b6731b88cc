"""How a catalogue case's sandbox is prepared before its host runs.

Every case gets a copy of workers/ (plus `noexec`, a worker whose `main`
is not executable) and a private runtime_dir. A setup adds what its case
needs, through the Context: `params` go into the host's JSON, `state`
is kept for the case's checks, `aux` starts processes that belong to the
harness (a real registered worker, a victim) rather than to the host —
they are not counted as the host's leftovers, and are killed afterwards.
"""
import os
import shutil
import time

from mvtests import procs
from mvtests.hosts import PYTHON, Hosts

HERE = os.path.dirname(os.path.realpath(__file__))
NOBODY = 65534


class Context:
    def __init__(self, sandbox, hosts, artifacts):
        self.sandbox = sandbox
        self.hosts = hosts
        self.aux = Hosts(artifacts)
        self.workers = os.path.join(sandbox, "workers")
        self.runtime_dir = os.path.join(sandbox, "run")
        self.params = {"workers_path": self.workers, "runtime_dir": self.runtime_dir,
                       "python": PYTHON}
        self.state = {}
        shutil.copytree(os.path.join(HERE, "workers"), self.workers)
        noexec = os.path.join(self.workers, "noexec", "main")
        os.mkdir(os.path.dirname(noexec))
        with open(noexec, "w") as f:
            f.write("#!/bin/sh\necho '\"never runs\"'\n")
        os.chmod(noexec, 0o644)

    def close(self):
        self.aux.close()   # the harness's own processes, registered or not

    def hand_to_nobody(self, lang):
        """For a host that runs as uid 65534: its runtime_dir becomes
        nobody's, and its scripts are copied where nobody can read them
        (the checkout may sit below a directory only root can enter)."""
        os.chown(self.runtime_dir, NOBODY, NOBODY)
        scripts = os.path.join(self.sandbox, "hosts")
        shutil.copytree(os.path.join(HERE, lang), scripts)
        return scripts


def start_registered_sleeper(ctx):
    """A real worker, started by the CLI, that stays in the registry."""
    ctx.aux.start(ctx.aux.cli("run", "--runtime-dir", ctx.runtime_dir, "--workers-path",
                              ctx.workers, "--python", PYTHON, "sleeper"))

    def listed():
        _, out, _ = ctx.aux.run(ctx.aux.cli("ps", "--runtime-dir", ctx.runtime_dir))
        return [int(line.split("\t")[0]) for line in out.splitlines()]

    pids = procs.wait_for(listed)
    assert len(pids) == 1, "the sleeper did not register: %r" % pids
    ctx.state["real_pid"] = pids[0]
    (entry,) = [n for n in os.listdir(ctx.runtime_dir) if n.endswith(".entry")]
    with open(os.path.join(ctx.runtime_dir, entry)) as f:
        ctx.state["real_entry"] = f.read()
    ctx.state["real_entry_name"] = entry


def registry_corrupt(ctx):
    """Next to the real entry: every way an entry file can be broken."""
    start_registered_sleeper(ctx)
    real = ctx.state["real_entry"]

    def plant(name, data):
        with open(os.path.join(ctx.runtime_dir, name), "wb") as f:
            f.write(data)

    plant("1.entry", b"")                                         # empty
    plant("2.entry", os.urandom(4096))                            # binary noise
    plant("3.entry", b"v=1\nsupervisor_pid\npid=1\n")             # a line without '='
    plant("4.entry", real.replace("v=1", "v=99").encode())        # unknown version
    plant("5.entry", real.replace("\npid=", "\npid=12abc").encode())  # trailing junk
    plant("6.entry", real.encode() + b"x" * 100000)               # oversized
    plant("7.entry", real.split("worker=")[0].encode())           # truncated
    os.mkdir(os.path.join(ctx.runtime_dir, "8.entry"))            # a directory
    # A symlink to the real entry: followed, the worker would be listed twice.
    os.symlink(ctx.state["real_entry_name"], os.path.join(ctx.runtime_dir, "9.entry"))


def registry_foreign(ctx):
    """A well-formed entry owned by nobody, naming a live process of ours
    (the victim, in a session of its own). Were it trusted, clear() would
    SIGTERM the victim as its "supervisor"."""
    start_registered_sleeper(ctx)
    victim = ctx.aux.start(["sleep", "300"])
    procs.wait_for(lambda: procs.alive(victim.pid))
    start = procs.start_time(victim.pid)
    entry = ("v=1\nsupervisor_pid=%d\nsupervisor_start=%d\npid=%d\nstart=%d\nhost_pid=%d\n"
             "worker=victim\ntask_id=00000000deadbeef\nkind=exec\nstate=running\n"
             "started_at=%.6f\n" % (victim.pid, start, victim.pid, start, victim.pid, time.time()))
    path = os.path.join(ctx.runtime_dir, "%d.entry" % victim.pid)
    with open(path, "w") as f:
        f.write(entry)
    os.chmod(path, 0o600)
    os.chown(path, NOBODY, NOBODY)
    ctx.state["victim_pid"] = victim.pid


def runtime_dir_not_dir(ctx):
    path = os.path.join(ctx.sandbox, "a-file")
    with open(path, "w") as f:
        f.write("not a directory\n")
    ctx.params["bad_runtime_dir"] = path


def runtime_dir_foreign(ctx):
    path = os.path.join(ctx.sandbox, "squatted")
    os.mkdir(path, 0o700)
    os.chown(path, NOBODY, NOBODY)
    ctx.params["bad_runtime_dir"] = path


def runtime_dir_readonly(ctx):
    """Run as nobody; the bad runtime_dir is nobody's own, mode 0500."""
    path = os.path.join(ctx.sandbox, "readonly")
    os.mkdir(path, 0o500)
    os.chown(path, NOBODY, NOBODY)
    ctx.params["bad_runtime_dir"] = path


def worker_latin1(ctx):
    """A worker `latin1` whose result is JSON grammar in Latin-1 (a legacy
    program's output), with a stderr line in Latin-1 too."""
    path = os.path.join(ctx.workers, "latin1")
    os.mkdir(path)
    with open(os.path.join(path, "main.py"), "w") as f:
        f.write("import sys\n"
                "sys.stdin.read()\n"
                "sys.stderr.buffer.write(b'r\\xe9sum\\xe9 written\\n')\n"
                "sys.stdout.buffer.write(b'{\"name\": \"Jos\\xe9\"}')\n")


def marker(ctx):
    """A directory `inside` of the sandbox (the open_basedir case allows
    it) and, in the host's JSON, the path of a marker file there that a
    worker or closure creates if it runs."""
    inside = os.path.join(ctx.sandbox, "inside")
    os.mkdir(inside)
    ctx.params["marker"] = os.path.join(inside, "ran")
