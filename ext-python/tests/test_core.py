"""multiverse._core directly: Loop, Task and the module functions."""
import os
import pickle
import sys
import time

import pytest

from multiverse import _core
from conftest import WORKERS


@pytest.fixture
def loop():
    lp = _core.Loop()
    yield lp
    lp.close()


def wait_all(loop, count, timeout=30):
    done = []
    deadline = time.monotonic() + timeout
    while len(done) < count and time.monotonic() < deadline:
        done += loop.wait(timeout=1)
    return done


def test_fork_call_report(loop):
    task = loop.fork_call(lambda: pickle.dumps(os.getpid()), name="probe", task_id="feedbeef",
                          register=False)
    assert task.task_id == "feedbeef" and task.name == "probe" and not task.done
    assert loop.active == 1
    assert wait_all(loop, 1) == [task]
    assert task.done and loop.active == 0
    report = task.report()
    assert report["status_name"] == "MV_OK"
    assert report["driver"] == "fork" and report["worker"] == "probe"
    assert pickle.loads(report["result"]) == report["pid"] == task.pid
    assert report["end"] == "exited" and report["exit_code"] == 0
    assert report["tier"] in ("cgroup", "subreaper")


def test_runner_failure_exits_1(loop, capfd):
    task = loop.fork_call(lambda: 1 / 0, register=False)
    wait_all(loop, 1)
    report = task.report()
    assert report["status_name"] == "MV_EEXIT" and report["exit_code"] == 1
    assert "ZeroDivisionError" in capfd.readouterr().err  # printed by the child


def test_spawn_worker_with_capture_and_config(loop):
    cfg = {"workers_path": WORKERS, "python": sys.executable}
    task = loop.spawn_worker("logs", b'{"a": 1, "b": 2}', config=cfg, register=False)
    wait_all(loop, 1)
    report = task.report()
    assert report["status_name"] == "MV_OK", report["message"]
    assert report["result_source"] == "channel"
    assert b"log line on stdout" in report["stdout"]
    assert b"log line on stderr" in report["stderr"]


def test_cancel_and_signal(loop):
    task = loop.fork_call(lambda: time.sleep(30) or b"", name="victim", register=False)
    time.sleep(0.2)
    assert task.signal(0 + 10) is True  # SIGUSR1 kills a default Python
    wait_all(loop, 1)
    assert task.report()["signal"] == 10
    task2 = loop.fork_call(lambda: time.sleep(30) or b"", register=False)
    assert task2.cancel() is True
    wait_all(loop, 1)
    assert task2.report()["end"] == "canceled"
    assert task2.cancel() is False
    with pytest.raises(ValueError):
        task2.signal(0)


def test_wakeup_interrupts_wait(loop):
    import threading

    loop.fork_call(lambda: time.sleep(5) or b"", register=False)
    threading.Timer(0.2, loop.wakeup).start()
    start = time.monotonic()
    assert loop.wait() == []
    assert time.monotonic() - start < 3
    assert loop.fileno() >= 0


def test_wait_events_raises_once_the_event_thread_stopped():
    """The core's event thread stops if epoll itself fails (its fd made
    /dev/null behind its back here): wait_events() raises instead of
    sleeping for ever, and close() still ends the running task."""
    lp = _core.Loop()
    task = lp.fork_call(lambda: (time.sleep(30), b"")[1], name="slow", register=False)
    assert lp.wait_events(timeout=0) == ([], [], 0)  # the event thread runs from now on
    epfd = lp.fileno()
    saved = os.dup(epfd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(devnull, epfd, inheritable=False)
        lp.set_limit(lp.limit)  # takes the loop: its round in epoll ends, the next one fails
        deadline = time.monotonic() + 10
        with pytest.raises(_core.Error) as err:
            while time.monotonic() < deadline:
                lp.wait_events(timeout=1)
        assert err.value.name == "MV_ESYS" and "event thread stopped" in str(err.value)
    finally:
        os.dup2(saved, epfd, inheritable=False)
        os.close(saved)
        os.close(devnull)
        ended = lp.close()
    assert task in ended and task.done


def test_close_kills_running_tasks_and_returns_them():
    lp = _core.Loop()
    task = lp.fork_call(lambda: time.sleep(30) or b"", register=False)
    time.sleep(0.1)
    ended = lp.close()
    assert ended == [task]
    assert task.report()["end"] == "canceled"
    assert lp.closed
    with pytest.raises(RuntimeError, match="closed"):
        lp.fork_call(lambda: b"", register=False)
    assert lp.close() == []


def test_forget_only_in_a_child(loop):
    with pytest.raises(RuntimeError):
        loop.forget()
    pid = os.fork()
    if pid == 0:
        try:
            loop.forget()
            ok = loop.closed
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_forked_child_forgets_running_tasks_without_touching_them(loop):
    """In a child, forget() leaves the parent's running tasks alone: there
    they read as done and cannot be cancelled; in the parent the task runs
    on, untouched by the child."""
    task = loop.fork_call(lambda: (time.sleep(30), b"")[1], name="slow", register=False)
    pid = os.fork()
    if pid == 0:
        try:
            loop.forget()
            ok = loop.closed and loop.active == 0 and task.done and not task.cancel()
            ok = ok and task.report() is None
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not task.done and loop.active == 1
    assert task.cancel()
    assert wait_all(loop, 1) == [task]


def test_a_batch_holds_back_only_its_own_tasks(loop):
    batch = loop.batch(1)
    assert batch.limit == 1
    first, now = loop.reserve(name="first", batch=batch)
    assert now
    second, now = loop.reserve(name="second", batch=batch)
    assert not now and second.queued
    # Another task of the loop is not held back by the full batch.
    other, now = loop.reserve(name="other")
    assert now
    # withdraw() ends only a task that has not started.
    assert second.withdraw() and second.done
    assert not second.withdraw()
    # Its turn came (reserved with its slot): it is being started, not withdrawn.
    assert not first.withdraw() and not first.done
    first.cancel()
    task = loop.fork_call(lambda: b"ran", batch=batch)
    assert not task.withdraw()  # forked: it runs
    assert loop.wait_task(task, 30)
    assert task.report()["result"] == b"ran"
    other.cancel()
    with pytest.raises(ValueError, match=">= 1"):
        loop.batch(0)
    with pytest.raises(TypeError, match="Batch"):
        loop.reserve(batch=1)
    another = _core.Loop()
    try:
        with pytest.raises(ValueError, match="another loop"):
            another.reserve(batch=batch)
        with pytest.raises(ValueError, match="another loop"):
            another.pool_call(b"", 0.0, "x", batch=batch)
    finally:
        another.close()
    # A batch outlives its loop harmlessly.
    kept = loop.batch(2)
    loop.close()
    del kept, batch


def test_bad_arguments(loop):
    with pytest.raises(TypeError):
        loop.fork_call(42)
    with pytest.raises(ValueError, match="timeout"):
        loop.fork_call(lambda: b"", timeout=-1, register=False)
    with pytest.raises(TypeError, match="unknown configuration option"):
        loop.fork_call(lambda: b"", config={"bogus": 1}, register=False)
    with pytest.raises(ValueError):
        loop.wait(timeout=-2)
    with pytest.raises(ValueError):
        loop.fork_call(lambda: b"", max_memory_kb=-1, register=False)
    assert loop.active == 0


def test_module_functions(runtime_dir):
    assert _core.cpu_count() >= 1
    assert _core.containment_probe() in ("cgroup", "subreaper")
    assert _core.runtime_dir({"runtime_dir": runtime_dir}) == runtime_dir
    assert _core.registry_list({"runtime_dir": runtime_dir}) == []
    assert _core.registry_clear({"runtime_dir": runtime_dir}) == 0
    _core.validate_worker_name("ok_name-1")
    with pytest.raises(ValueError):
        _core.validate_worker_name("no/slash")
    with pytest.raises(_core.Error) as info:
        _core.run_worker({"workers_path": WORKERS}, "absent", b"{}")
    assert info.value.name == "MV_ENOTFOUND" and info.value.code < 0
