"""The host process stays intact: no SIGCHLD handler, no stolen children,
the GIL is free while waiting, and thousands of tasks leave no fds,
threads or zombies behind."""
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import pytest

import multiverse as mp
from conftest import SCRIPTS, wait_until
from multiverse import _core
from proctools import fd_count, thread_count, zombie_children


def _sigchld_caught():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGCHLD - 1)))
    raise AssertionError("no SigCgt line")


def test_no_sigchld_handler_is_installed():
    assert not _sigchld_caught()
    hs = [mp.parallel(time.sleep)(0.2) for _ in range(3)]
    assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL
    assert not _sigchld_caught()
    for h in hs:
        h.get(timeout=30)
    assert not _sigchld_caught()


def test_subprocess_works_while_tasks_run():
    hs = [mp.parallel(time.sleep)(1.0) for _ in range(2)]
    # A child of the host that ends while the dispatcher collects tasks:
    # its status must reach subprocess, not be reaped by multiverse.
    slow = subprocess.Popen(["sh", "-c", "sleep 0.5; exit 7"])
    for i in range(10):
        assert subprocess.run(["sh", "-c", "exit %d" % (i % 5 + 1)]).returncode == i % 5 + 1
    assert slow.wait(timeout=30) == 7
    pid = os.fork()
    if pid == 0:
        os._exit(9)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    for h in hs:
        h.get(timeout=30)


def test_a_task_never_holds_another_threads_subprocess_pipes():
    # A pipe made the way subprocess makes its child's stdout (os.pipe:
    # close-on-exec), open while a task is forked: the task must not keep
    # it, or the reader waits for the task to end before it sees EOF.
    r, w = os.pipe()
    h = mp.parallel(time.sleep)(3.0)
    wait_until(lambda: h.pid is not None, timeout=10)
    os.close(w)
    t0 = time.monotonic()
    assert os.read(r, 1) == b""
    assert time.monotonic() - t0 < 1.0
    os.close(r)
    h.get(timeout=30)


def test_subprocess_run_in_a_thread_is_not_slowed_by_tasks():
    # The scenario as users meet it: a host thread captures a subprocess's
    # output while tasks that live for seconds are forked at the same time.
    took = []
    stop = threading.Event()

    def runner():
        while not stop.is_set():
            t0 = time.monotonic()
            subprocess.run(["true"], capture_output=True)
            took.append(time.monotonic() - t0)

    th = threading.Thread(target=runner)
    th.start()
    try:
        hs = [mp.parallel(time.sleep)(3.0) for _ in range(8)]
        for h in hs:
            h.get(timeout=60)
    finally:
        stop.set()
        th.join()
    assert took and max(took) < 2.0, "slowest subprocess.run: %.2f s" % max(took)


def test_gil_is_released_while_the_loop_waits():
    loop = _core.Loop()
    try:
        task = loop.fork_call(lambda: (time.sleep(1.0), b"x")[1], name="sleeper", register=False)
        finished = []
        waiter = threading.Thread(target=lambda: finished.extend(loop.wait(timeout=5)))
        waiter.start()
        time.sleep(0.05)
        # If wait() held the GIL this thread could not run at all until
        # the task ended; it must keep computing meanwhile.
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < 0.3:
            n += 1
        assert n > 1000
        assert time.monotonic() - start < 0.9
        waiter.join(10)
        assert finished == [task]
    finally:
        loop.close()


def test_gil_is_free_while_get_waits():
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    try:
        mp.parallel(time.sleep)(0.5).get(timeout=30)
        seen = counter[0]
    finally:
        stop.set()
        t.join()
    assert seen > 10000


def test_dispatcher_thread_exists_only_while_there_is_work():
    base = threading.active_count()
    h = mp.parallel(time.sleep)(0.3)
    assert any(t.name == "multiverse-dispatcher" for t in threading.enumerate())
    h.get(timeout=30)
    assert wait_until(lambda: threading.active_count() == base, timeout=5)


@pytest.mark.parametrize("mode", ["fork", "pool"])
def test_two_thousand_tasks_leave_fds_threads_and_zombies_unchanged(runtime_dir, mode):
    # In a lean host process: forks cost in proportion to the host's size,
    # and pytest's own threads and fds would blur the counts.
    done = subprocess.run(
        [sys.executable, os.path.join(SCRIPTS, "many_tasks.py"), "2000", "4", runtime_dir, mode],
        capture_output=True, text=True, timeout=280,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    before, after, final = report["before"], report["after"], report["final"]
    assert report["tasks"] == 2000
    assert after["fds"] == before["fds"], (before["pool_processes"], after["pool_processes"])
    assert after["threads"] == before["threads"]
    if mode == "fork":
        assert after["children"] == [] and before["children"] == []
    else:
        # The pool's processes (their supervisors are our children) served
        # every call: none was replaced, none is a zombie.
        assert after["children"] == before["children"] != []
        assert all(state != "Z" for _, state in after["children"])
    assert final["children"] == []


def test_fds_and_threads_return_to_baseline_in_this_process():
    work = mp.parallel(fork=True)(lambda i: i)
    assert work(0).get(timeout=30) == 0  # the supervisor image is cached once per process
    assert wait_until(lambda: mp.get_active_task_count() == 0 and not _dispatcher_alive())
    fds, threads = fd_count(), thread_count()
    assert [h.get(timeout=60) for h in [work(i) for i in range(50)]] == list(range(50))
    assert wait_until(lambda: thread_count() == threads, timeout=10)
    assert fd_count() == fds
    assert zombie_children() == []


def test_the_pool_gives_fds_and_threads_back_at_shutdown():
    wait_until(lambda: mp.get_active_task_count() == 0 and not _dispatcher_alive())
    mp.parallel(fork=True)(lambda: 0)().get(timeout=30)  # the supervisor image, once
    assert wait_until(lambda: not _dispatcher_alive())
    fds, threads = fd_count(), thread_count()
    work = mp.parallel(lambda i: i)
    assert [h.get(timeout=60) for h in [work(i) for i in range(50)]] == list(range(50))
    assert fd_count() > fds  # the pool's processes are there
    assert mp.shutdown(timeout_secs=10) is True
    mp.reset_shutdown()
    assert wait_until(lambda: thread_count() == threads, timeout=10)
    assert fd_count() == fds
    assert zombie_children() == []


def _dispatcher_alive():
    return any(t.name == "multiverse-dispatcher" for t in threading.enumerate())


def test_events_are_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="multiverse")
    mp.parallel(name="logged_ok")(lambda: 1)().get(timeout=30)
    try:
        mp.parallel(name="logged_fail")(lambda: 1 / 0)().get(timeout=30)
    except mp.TaskError:
        pass
    try:
        mp.parallel(name="logged_timeout", timeout=0.2)(time.sleep)(10).get(timeout=30)
    except mp.TaskTimeoutError:
        pass
    records = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "multiverse"]
    assert any(lvl == logging.DEBUG and "logged_ok" in m and "started" in m for lvl, m in records)
    assert any(lvl == logging.DEBUG and "logged_ok" in m and "finished" in m for lvl, m in records)
    assert any(lvl == logging.INFO and "logged_fail" in m and "raised" in m for lvl, m in records)
    assert any(lvl == logging.WARNING and "logged_timeout" in m and "timed out" in m
               for lvl, m in records)


def test_forked_child_of_the_host_does_not_inherit_tasks():
    h = mp.parallel(time.sleep)(1.0)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            ok = mp.get_active_task_count() == 0 and mp.parallel(lambda: 5)().get(timeout=30) == 5
        except BaseException:
            ok = False
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.close(r)
    os.waitpid(pid, 0)
    assert not h.is_ready()
    h.get(timeout=30)
