"""Registry namespaces (API.md §1): configure(namespace=...), running()
and clear() with all_namespaces."""
import subprocess
import sys
import time

import pytest

import multiverse as mp
from conftest import WORKERS, wait_until
from proctools import survivors, wait_for_pids

BAD = ["", "a/b", "../etc", "app name", "nul\0byte", "é", "n" * 65, "a:b"]


def start_host(namespace, runtime_dir, pid_dir):
    """Another process that runs the sleeper worker (a tree of 3) under
    `namespace` until it is killed; prints the error it then gets."""
    code = ("import multiverse as mp, sys\n"
            "mp.configure(workers_path=%r, python=sys.executable, runtime_dir=%r,"
            " kill_grace=1.0, namespace=%r)\n"
            "try:\n    mp.run_worker('sleeper', {'dir': %r})\n"
            "except mp.WorkerError as e:\n    print('ERR', e.status)\n"
            % (WORKERS, runtime_dir, namespace, str(pid_dir)))
    host = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return host, wait_for_pids(str(pid_dir), 3)


def finish(host):
    try:
        out, _ = host.communicate(timeout=30)
        return out
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()


@pytest.mark.parametrize("bad", BAD)
def test_an_invalid_namespace_is_a_value_error_and_changes_nothing(bad):
    mp.configure(namespace="good", timeout=5.0)
    with pytest.raises(ValueError, match="invalid namespace"):
        mp.configure(namespace=bad, timeout=9.0)
    # configure() applies everything or nothing: what starts next is
    # registered under the namespace set before.
    assert mp.config()["namespace"] == "good"
    assert mp.config()["timeout"] == 5.0
    assert mp.running(all_namespaces=True) == []
    h = mp.parallel(_nap)(30)
    try:
        found = wait_until(lambda: mp.running(all_namespaces=True))
        assert [e["namespace"] for e in found] == ["good"]
    finally:
        h.cancel()


def test_a_namespace_that_is_not_a_str_is_a_type_error():
    for bad in (42, b"bytes", ["x"]):
        with pytest.raises(TypeError, match="namespace must be a str"):
            mp.configure(namespace=bad)
    assert mp.config()["namespace"] == "default"


def test_the_default_and_the_longest_namespace():
    assert mp.config()["namespace"] == "default"
    mp.configure(namespace="n" * 64)
    assert mp.config()["namespace"] == "n" * 64
    assert mp.run_worker("echo", {"x": 1}) == {"echo": {"x": 1}}
    mp.configure(namespace=None)
    assert mp.config()["namespace"] == "default"


def test_clear_in_one_namespace_leaves_another_namespaces_worker_running(tmp_path, runtime_dir):
    host, pids = start_host("app-b", runtime_dir, tmp_path)
    try:
        mp.configure(namespace="app-a")
        assert mp.running() == [] and mp.running("sleeper") == []
        assert mp.clear() == 0 and mp.clear("sleeper") == 0
        time.sleep(0.2)
        assert survivors(pids) == pids
        # "default" is a namespace like any other.
        mp.configure(namespace=None)
        assert mp.clear() == 0
        assert survivors(pids) == pids
        # In app-b the worker is listed, with its namespace, and cleared.
        mp.configure(namespace="app-b")
        (entry,) = mp.running()
        assert entry["namespace"] == "app-b" and entry["worker"] == "sleeper"
        assert entry["host_pid"] == host.pid and entry["pid"] in pids
        assert mp.clear("sleeper") == 1
        assert survivors(pids) == []
        assert "ERR MV_ECANCELED" in finish(host)
    finally:
        finish(host)


def test_all_namespaces_sees_and_clears_every_namespace(tmp_path, runtime_dir):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    hx, px = start_host("x", runtime_dir, tmp_path / "x")
    hy, py = start_host("y", runtime_dir, tmp_path / "y")
    try:
        mp.configure(namespace="mine")
        assert mp.running() == []
        listed = mp.running("sleeper", all_namespaces=True)
        assert sorted(e["namespace"] for e in listed) == ["x", "y"]
        # The name filter still applies across namespaces.
        assert mp.running("echo", all_namespaces=True) == []
        assert mp.clear("echo", all_namespaces=True) == 0
        assert survivors(px + py) == px + py
        assert mp.clear(all_namespaces=True) == 2
        assert survivors(px + py) == []
        assert mp.running(all_namespaces=True) == []
        assert "ERR MV_ECANCELED" in finish(hx)
        assert "ERR MV_ECANCELED" in finish(hy)
    finally:
        finish(hx)
        finish(hy)


def _nap(seconds):
    time.sleep(seconds)
    return seconds


def test_tasks_are_registered_under_the_configured_namespace():
    mp.configure(namespace="tasks.ns")
    h = mp.parallel(name="napping")(_nap)(30)
    try:
        found = wait_until(lambda: [e for e in mp.running() if e["task_id"] == h.get_task_id()])
        assert found and found[0]["namespace"] == "tasks.ns"
        mp.configure(namespace="elsewhere")
        assert [e for e in mp.running() if e["task_id"] == h.get_task_id()] == []
        assert mp.clear() == 0
        assert not h.is_ready()
        mp.configure(namespace="tasks.ns")
        assert mp.clear("napping") == 1
        with pytest.raises(mp.TaskError):
            h.get(timeout=30)
    finally:
        h.cancel()
