"""Real process trees: timeouts, leftovers, host death and Ctrl-C leave
nothing alive, setsid() and orphaned grandchildren included."""
import os
import signal
import subprocess
import sys
import time

import pytest

import multiverse as mp
from conftest import SCRIPTS
from proctools import alive, start_escaping_tree, survivors, wait_for_pids

TIERS = ["subreaper", "auto"]  # auto = cgroup where a delegated cgroup exists


@pytest.fixture(params=TIERS)
def containment(request, monkeypatch):
    # The core reads MULTIVERSE_CONTAINMENT whenever it builds a config.
    monkeypatch.setenv("MULTIVERSE_CONTAINMENT", request.param)
    return request.param


def test_timeout_kills_the_whole_tree_without_anyone_waiting(tmp_path, containment):
    def tree():
        start_escaping_tree(str(tmp_path), "t")
        time.sleep(300)

    h = mp.parallel(timeout=1.0)(tree)()
    pids = wait_for_pids(str(tmp_path), 4)
    assert all(alive(p) for p in pids)
    # Nobody calls get(): the supervisor enforces the deadline by itself.
    assert survivors(pids, timeout=1.0 + 1.0 + 5) == []
    assert h.wait(timeout=10)
    with pytest.raises(mp.TaskTimeoutError):
        h.get()


@pytest.mark.parametrize("fork", [True, False], ids=["fork", "pool"])
def test_leftovers_of_a_finished_task_are_killed(tmp_path, containment, fork):
    def leaves_children():
        start_escaping_tree(str(tmp_path), "l")
        return "finished"

    h = mp.parallel(fork=fork)(leaves_children)()
    assert h.get(timeout=30) == "finished"
    pids = wait_for_pids(str(tmp_path), 4)
    with open(tmp_path / "l-task.pid") as f:
        task_pid = int(f.read())
    if fork:
        assert survivors(pids, timeout=5) == []
    else:
        # The task ran in a pool process, which stays to serve the next
        # call; everything the call started is gone.
        assert task_pid in pids and alive(task_pid)
        assert survivors([p for p in pids if p != task_pid], timeout=5) == []


def test_kill_grace_then_sigkill_for_a_tree_ignoring_sigterm(tmp_path):
    mp.configure(kill_grace=0.5)

    def stubborn():
        subprocess.Popen(["sh", "-c", "trap '' TERM; echo $$ > %s/stubborn.pid; "
                          "while :; do sleep 1; done" % tmp_path], start_new_session=True)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(300)

    h = mp.parallel(timeout=0.5)(stubborn)()
    pids = wait_for_pids(str(tmp_path), 1)
    with pytest.raises(mp.TaskTimeoutError):
        h.get(timeout=30)
    assert h.elapsed_time() >= 0.9  # timeout + grace before SIGKILL
    assert survivors(pids, timeout=2) == []


def _start_script(name, *args):
    return subprocess.Popen([sys.executable, os.path.join(SCRIPTS, name)] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_host_killed_by_sigkill_takes_its_trees_along(tmp_path, runtime_dir):
    host = _start_script("host_with_tree.py", tmp_path, runtime_dir)
    try:
        assert host.stdout.readline().strip() == "ready"
        pids = wait_for_pids(str(tmp_path), 4)
        assert all(alive(p) for p in pids)
        host.kill()
        host.wait(timeout=10)
        # API.md: every running task tree dies within about one second.
        assert survivors(pids, timeout=3.0) == []
    finally:
        if host.poll() is None:
            host.kill()
        host.communicate()


def test_ctrl_c_in_get_raises_keyboard_interrupt_and_leaves_no_orphan(tmp_path, runtime_dir):
    host = _start_script("ctrl_c.py", tmp_path, runtime_dir)
    try:
        assert host.stdout.readline().strip() == "waiting"
        pids = wait_for_pids(str(tmp_path), 4)
        time.sleep(0.3)  # let get() settle into its wait
        host.send_signal(signal.SIGINT)
        out, err = host.communicate(timeout=30)
    finally:
        if host.poll() is None:
            host.kill()
    assert "KeyboardInterrupt" in err, err
    assert host.returncode in (-signal.SIGINT, 130, 1), host.returncode
    assert survivors(pids, timeout=3.0) == []
