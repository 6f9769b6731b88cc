"""Starting PHP and Python host processes the way users run them:
`php -d extension=multiverse.so script.php ...` and `/usr/bin/python3
script.py ...`, with the built package on PYTHONPATH.

A Hosts object belongs to one test. It tags every process it starts with
the test's MV_TEST_TOKEN (see procs.py) and, in close(), kills whatever
is still running — hosts, and anything they left behind — so a failed
test cannot leak processes into the next one.
"""
import json
import os
import signal
import subprocess
import uuid

from . import procs

PYTHON = "/usr/bin/python3"


class HostHung(AssertionError):
    pass


class Hosts:
    def __init__(self, artifacts):
        self.artifacts = artifacts
        self.token = uuid.uuid4().hex
        self._started = []

    def env(self, **extra):
        env = dict(os.environ)
        # Workers inherit the host's environment: this is how a Python
        # worker written with the SDK finds the package.
        env["PYTHONPATH"] = self.artifacts.pythonpath
        env["PYTHONDONTWRITEBYTECODE"] = "1"   # keep the checkout clean
        env["MV_TEST_TOKEN"] = self.token
        env.pop("MULTIVERSE_CONTAINMENT", None)
        env.update(extra)
        return env

    def php(self, script, *args):
        return ["php", "-d", "extension=" + self.artifacts.php_ext, script] + [_arg(a) for a in args]

    def py(self, script, *args):
        return [PYTHON, script] + [_arg(a) for a in args]

    def cli(self, *args):
        return [self.artifacts.cli] + [str(a) for a in args]

    def start(self, argv, cwd=None, **env):
        """Start a host in the background (its own session)."""
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cwd, env=self.env(**env), start_new_session=True)
        self._started.append(proc)
        return proc

    def run(self, argv, timeout=60, cwd=None, **env):
        """Run a host to completion; a host that does not end in `timeout`
        seconds is killed and reported as hung."""
        proc = self.start(argv, cwd=cwd, **env)
        return finish(proc, timeout)

    def close(self):
        for proc in self._started:
            if proc.poll() is None:
                _kill_group(proc)
            proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                pipe.close()
        self._started = []
        procs.kill_tagged(self.token)


def finish(proc, timeout=60):
    """Wait for a started host; returns (returncode, stdout, stderr) as text."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        raise HostHung("host %s did not end within %s s\nstdout: %s\nstderr: %s"
                       % (proc.args, timeout, out.decode(errors="replace")[-2000:],
                          err.decode(errors="replace")[-2000:]))
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _arg(a):
    return a if isinstance(a, str) else json.dumps(a)


def lines(stdout, tag):
    """The JSON values of every stdout line `TAG {json}`."""
    out = []
    for line in stdout.splitlines():
        if line.startswith(tag + " "):
            out.append(json.loads(line[len(tag) + 1:]))
    return out


def one(stdout, tag, stderr=""):
    found = lines(stdout, tag)
    assert len(found) == 1, "expected one %s line, got %d\nstdout: %s\nstderr: %s" % (
        tag, len(found), stdout[-3000:], stderr[-3000:])
    return found[0]
