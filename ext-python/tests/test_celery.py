"""multiverse.celery.ContainedTask end to end: a real redis-server (broker
and result backend) and two Celery worker processes, all started here on
127.0.0.1 and stopped at the end.

Worker "a" runs the prefork pool (2 processes) and consumes the queues
`celery` and `w-a`; its pool processes are made to outlive a killed worker
(see celery_tasks.py), so the watch ContainedTask keeps for that is what
is tested. Worker "b" runs the solo pool (no time limits of Celery's own)
and consumes `celery` and `w-b`. Tasks are routed to one worker or the
other through `w-a` / `w-b`.

The tests run in file order; the last one kills worker "a".
"""
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

import multiverse as mp
from proctools import alive, read_pids, survivors, wait_for_pids

try:
    from celery.exceptions import TimeLimitExceeded
except ImportError:  # pragma: no cover - a broken setup
    pytest.fail("Celery is not installed (apt-get install python3-celery python3-redis)",
                pytrace=False)

HERE = os.path.dirname(os.path.abspath(__file__))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
HOST = "127.0.0.1"
# One message (the tasks' and the results') takes milliseconds here; the
# budget is for starting interpreters on a busy 2-CPU machine.
RESULT_WAIT = 30


def _free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_only_multiverse_celery_imports_celery():
    out = _python("import sys, multiverse, multiverse.executor, multiverse.worker\n"
                  "assert 'celery' not in sys.modules, 'celery imported'\n"
                  "sys.modules['celery'] = None  # as if it were not installed\n"
                  "try:\n"
                  "    import multiverse.celery\n"
                  "except ImportError as exc:\n"
                  "    print(exc)\n")
    assert out.returncode == 0, out.stderr
    assert "multiverse.celery needs Celery" in out.stdout
    assert "python3-celery" in out.stdout


class Cluster:
    """redis-server and the Celery workers of this module."""

    def __init__(self, tmp, runtime_dir):
        self.tmp = tmp
        self.port = _free_port()
        self.url = "redis://%s:%d" % (HOST, self.port)
        self.redis = None
        self.workers = {}  # name -> Popen
        xdg = os.path.join(tmp, "xdg")
        os.mkdir(xdg, 0o700)
        self.env = dict(os.environ,
                        PYTHONPATH=os.pathsep.join([HERE] + [p for p in os.environ.get(
                            "PYTHONPATH", "").split(os.pathsep) if p]),
                        XDG_RUNTIME_DIR=xdg,
                        MV_TEST_REDIS_URL=self.url,
                        MV_TEST_RUNTIME_DIR=runtime_dir)

    def start_redis(self):
        if not os.access(REDIS_SERVER, os.X_OK):
            pytest.fail("redis-server is not installed (apt-get install redis-server)",
                        pytrace=False)
        self.redis = subprocess.Popen(
            [REDIS_SERVER, "--bind", HOST, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.tmp, "--protected-mode", "yes"],
            stdout=open(os.path.join(self.tmp, "redis.log"), "wb"), stderr=subprocess.STDOUT)

        def answers():
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        _wait_for(answers, 10, "redis-server")

    def start_worker(self, name, pool, queue, extra_env=None):
        args = [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker",
                "-n", "%s@mvtest" % name, "-Q", "celery," + queue, "-l", "info",
                "--without-gossip", "--without-mingle", "--without-heartbeat"]
        args += ["-P", "prefork", "-c", "2"] if pool == "prefork" else ["-P", pool]
        log = open(os.path.join(self.tmp, "worker-%s.log" % name), "ab")
        # A session of its own: the teardown can sweep its pool processes.
        self.workers[name] = subprocess.Popen(
            args, cwd=HERE, env=dict(self.env, **(extra_env or {})), stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, app, names):
        want = {"%s@mvtest" % n for n in names}

        def ready():
            for name in names:
                if self.workers[name].poll() is not None:
                    raise AssertionError("celery worker %s exited:\n%s" % (name, self.log(name)))
            replies = app.control.ping(destination=sorted(want), timeout=0.5)
            return want <= {host for reply in replies for host in reply}

        _wait_for(ready, 45, "celery workers %s" % ", ".join(sorted(want)))

    def stop_worker(self, name):
        p = self.workers[name]
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the worker's own session
        except ProcessLookupError:
            pass
        p.wait()

    def log(self, name):
        with open(os.path.join(self.tmp, "worker-%s.log" % name), errors="replace") as f:
            return f.read()[-4000:]

    def stop(self):
        for name in list(self.workers):
            self.stop_worker(name)
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, runtime_dir):
    c = Cluster(str(tmp_path_factory.mktemp("celery")), runtime_dir)
    os.environ["MV_TEST_REDIS_URL"] = c.url
    try:
        c.start_redis()
        import celery_tasks

        assert celery_tasks.REDIS == c.url, "celery_tasks was imported before the test set it up"
        c.app = celery_tasks.app
        c.tasks = celery_tasks
        c.start_worker("a", "prefork", "w-a", {"MV_TEST_NO_PDEATHSIG": "1"})
        c.start_worker("b", "solo", "w-b")
        c.wait_ready(c.app, ["a", "b"])
        yield c
    finally:
        # Results still referenced (by tracebacks kept in cycles) talk to
        # the backend when they are collected: while it is still there.
        gc.collect()
        c.stop()
        del os.environ["MV_TEST_REDIS_URL"]


def _no_registered_trees():
    _wait_for(lambda: mp.running() == [], 5, "the registry to be empty: %r" % (mp.running(),))


def test_a_task_returns_its_value_from_either_worker(cluster):
    t = cluster.tasks
    results = [t.add.apply_async((2, 3), queue=q) for q in ("w-a", "w-b")]
    assert [r.get(timeout=RESULT_WAIT) for r in results] == [5, 5]

    r = t.whoami.apply_async(queue="w-a")
    seen = r.get(timeout=RESULT_WAIT)
    # The body saw its Celery request, in a process of its own that is gone.
    assert seen["id"] == r.id
    assert seen["hostname"] == "a@mvtest"
    assert seen["pid"] != cluster.workers["a"].pid
    assert not alive(seen["pid"])

    sent = t.send_add.apply_async((20, 22), queue="w-a").get(timeout=RESULT_WAIT)
    assert cluster.app.AsyncResult(sent).get(timeout=RESULT_WAIT) == 42
    _no_registered_trees()


def test_the_bodys_exception_type_and_traceback_reach_celerys_result(cluster):
    t = cluster.tasks
    for queue in ("w-a", "w-b"):
        r = t.fail.apply_async(("boom",), queue=queue)
        with pytest.raises(ValueError, match="^boom$"):
            r.get(timeout=RESULT_WAIT)
        assert r.state == "FAILURE"
        assert type(r.result) is ValueError
        # The traceback Celery stored shows where the body raised.
        tb = r.traceback
        assert "multiverse.celery.RemoteTraceback" in tb
        assert "in _explode" in tb and "raise ValueError(message)" in tb
        assert tb.rstrip().endswith("ValueError: boom")
    _no_registered_trees()


def test_autoretry_for_retries_the_bodys_exception(cluster, tmp_path):
    r = cluster.tasks.flaky.apply_async((str(tmp_path),), queue="w-a")
    assert r.get(timeout=RESULT_WAIT) == {"retries": 1}
    _no_registered_trees()


def test_time_limit_kills_the_whole_tree_including_setsid_children(cluster, tmp_path):
    t = cluster.tasks
    started = time.monotonic()
    results = {q: t.escape_and_hang.apply_async((str(tmp_path), q), queue=q)
               for q in ("w-a", "w-b")}
    pids = wait_for_pids(str(tmp_path), 8, timeout=RESULT_WAIT)
    for queue, r in results.items():
        with pytest.raises(TimeLimitExceeded):
            r.get(timeout=RESULT_WAIT)
    # time_limit=2, kill_grace=1 in celery_tasks.py
    assert time.monotonic() - started < 2 + 1 + 6
    assert survivors(pids, timeout=3.0) == []
    # The solo pool has no time limit of Celery's: this one was ours.
    assert "TaskTimeoutError" in results["w-b"].traceback
    _no_registered_trees()


def test_soft_time_limit_raises_inside_the_body(cluster, tmp_path):
    t = cluster.tasks
    results = [t.soft_limit_cleanup.apply_async((str(tmp_path), q), queue=q)
               for q in ("w-a", "w-b")]
    pids = wait_for_pids(str(tmp_path), 8, timeout=RESULT_WAIT)
    assert [r.get(timeout=RESULT_WAIT) for r in results] == ["cleaned up after the soft limit"] * 2
    # The body's children were not signalled; they died when it ended.
    assert survivors(pids, timeout=3.0) == []
    _no_registered_trees()


def test_control_broadcast_clears_the_fleet(cluster, tmp_path):
    t = cluster.tasks
    r = t.hang.apply_async((str(tmp_path), "h"), queue="w-a")
    pids = wait_for_pids(str(tmp_path), 4, timeout=RESULT_WAIT)
    listed = cluster.app.control.broadcast("multiverse_running", reply=True, timeout=10,
                                          limit=2)
    names = [e["worker"] for reply in listed for entries in reply.values() for e in entries]
    assert "celery_tasks_hang" in names
    replies = cluster.app.control.broadcast("multiverse_clear", reply=True, timeout=10,
                                            limit=2)
    assert {host for reply in replies for host in reply} == {"a@mvtest", "b@mvtest"}
    r.get(timeout=RESULT_WAIT, propagate=False)
    assert isinstance(r.result, mp.TaskCancelledError), r.result
    assert survivors(pids) == []
    # Both workers share this machine's registry: each killed the one tree
    # or found it gone (two clear() at once may both count it).
    killed = sorted(v["killed"] for reply in replies for v in reply.values())
    assert killed in ([0, 1], [1, 1]), replies
    _no_registered_trees()


def _tree_of(task_name):
    entries = [e for e in mp.running() if e["worker"] == task_name]
    assert len(entries) == 1, mp.running()
    return entries[0]


def test_pool_process_killed_mid_task_leaves_nothing_and_the_task_is_retried(cluster, tmp_path):
    t = cluster.tasks
    r = t.survive_worker_loss.apply_async((str(tmp_path), "d1"), queue="w-a")
    pids = wait_for_pids(str(tmp_path), 4, timeout=RESULT_WAIT)
    host = _tree_of("celery_tasks_survive_worker_loss")["host_pid"]
    assert psutil.Process(host).ppid() == cluster.workers["a"].pid  # a pool process
    os.kill(host, signal.SIGKILL)
    assert survivors(pids, timeout=3.0) == []
    # reject_on_worker_lost: requeued at once, run again by a new pool process.
    assert r.get(timeout=RESULT_WAIT) == {"hostname": "a@mvtest", "first_run": False}
    _no_registered_trees()


def test_worker_killed_mid_task_leaves_nothing_and_another_worker_runs_it(cluster, tmp_path):
    t = cluster.tasks
    # Only worker a consumes `celery` while the task is delivered.
    cluster.stop_worker("b")
    r = t.survive_worker_loss.apply_async((str(tmp_path), "d2"))
    pids = wait_for_pids(str(tmp_path), 4, timeout=RESULT_WAIT)
    worker = cluster.workers["a"]
    pool = [p.pid for p in psutil.Process(worker.pid).children()]
    host = _tree_of("celery_tasks_survive_worker_loss")["host_pid"]
    assert host in pool
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    # Its pool processes do not die with it (see celery_tasks.py): the
    # one running the task kills the tree and leaves.
    assert survivors(pids + [host], timeout=5.0) == []
    _no_registered_trees()
    # acks_late: the message is still unacknowledged; a worker takes it back
    # once the visibility timeout has passed (the Redis transport does so
    # when it starts, and every 100 s after).
    first_run = os.path.getmtime(os.path.join(str(tmp_path), "d2.first-run"))
    time.sleep(max(0.0, first_run + t.VISIBILITY_TIMEOUT + 0.5 - time.time()))
    cluster.start_worker("b", "solo", "w-b")
    assert r.get(timeout=RESULT_WAIT) == {"hostname": "b@mvtest", "first_run": False}
    _no_registered_trees()
    # Nothing of worker a's pool is left either.
    assert survivors(pool, timeout=5.0) == []
    assert read_pids(str(tmp_path))  # the pid files were there to check
