"""Warm workers: run_worker() through a pool of started worker processes,
with the guarantees of a cold call (API.md §1, issue 7)."""
import os
import shutil
import sys
import threading
import time
from types import MappingProxyType

import pytest

import multiverse as mp
from multiverse import _config, _core
from multiverse._warm import HUB
from conftest import wait_until
from proctools import alive, in_forked_child, survivors, wait_for_pids


@pytest.fixture(autouse=True)
def retire_pools():
    # Warm processes outlive calls: each test starts with none and leaves none.
    HUB.close()
    yield
    HUB.close()


def call(payload=None, **kwargs):
    return mp.run_worker("warm_sdk", payload or {}, **kwargs)


def test_one_process_serves_many_calls():
    results = [call({"i": i}) for i in range(4)]
    assert [r["echo"] for r in results] == [{"i": i} for i in range(4)]
    assert len({r["pid"] for r in results}) == 1
    assert [r["served"] for r in results] == [1, 2, 3, 4]
    assert results[0]["warm"] == "1"
    assert results[0]["pid"] != os.getpid()


def test_workers_without_warm_settings_stay_cold():
    first = mp.run_worker("echo", {"a": 1})
    assert first == {"echo": {"a": 1}}
    assert mp.running("echo") == []  # nothing kept


def test_max_requests_replaces_the_process():
    mp.configure(warm={"warm_sdk": {"max_requests": 2}})
    pids = [call()["pid"] for _ in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert survivors([pids[0], pids[2]], timeout=5) == []


def test_idle_timeout_ends_the_process_and_the_next_call_starts_one():
    mp.configure(warm={"warm_sdk": {"idle_timeout": 0.3}})
    first = call()["pid"]
    # Nobody calls meanwhile: the supervisor ends it on its own.
    assert survivors([first], timeout=5) == []
    # Its supervisor leaves the registry once the whole tree is gone.
    assert wait_until(lambda: mp.running("warm_sdk") == [])
    second = call()["pid"]
    assert second != first


def test_timeout_kills_the_whole_tree_and_a_fresh_process_takes_over(tmp_path):
    first = call()["pid"]
    t0 = time.monotonic()
    with pytest.raises(mp.WorkerTimeoutError) as info:
        call({"tree": str(tmp_path)}, timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert info.value.timeout == 0.5
    assert "timed out after 0.5 s" in str(info.value)
    pids = wait_for_pids(str(tmp_path), 2)
    assert first in pids  # the setsid grandchild and the warm process itself
    assert survivors(pids, timeout=5) == []
    again = call({"after": True})
    assert again["echo"] == {"after": True}
    assert again["pid"] != first


def test_a_crash_fails_the_call_naming_it_and_the_process_is_replaced():
    first = call()["pid"]
    with pytest.raises(mp.WorkerError) as info:
        call({"crash": True})
    err = info.value
    assert "exited with code 3" in str(err) and "warm process replaced" in str(err)
    assert err.exit_code == 3
    assert "crashing" in err.stderr
    assert not alive(first)
    assert call()["pid"] != first


def test_an_exception_fails_only_its_call():
    first = call()["pid"]
    with pytest.raises(mp.WorkerError) as info:
        call({"fail": "bad input"})
    err = info.value
    assert err.remote_type == "ValueError"
    assert err.remote_message == "bad input"
    assert any(f["function"] == "handle" for f in err.remote_trace)
    assert "Traceback" in err.stderr
    assert call()["pid"] == first  # still the same process


def test_logs_on_stdout_never_corrupt_results():
    for i in range(3):
        result = call({"noise": True, "i": i})
        assert result["echo"] == {"noise": True, "i": i}


def test_running_shows_state_and_clear_kills_warm_processes():
    pid = call()["pid"]
    entry = wait_until(lambda: [e for e in mp.running("warm_sdk") if e["state"] == "idle"])
    assert entry and entry[0]["kind"] == "warm" and entry[0]["pid"] == pid
    worker = threading.Thread(target=call, args=({"sleep": 1.0},))
    worker.start()
    busy = wait_until(lambda: [e for e in mp.running("warm_sdk") if e["state"] == "busy"])
    worker.join()
    assert busy and busy[0]["pid"] == pid
    wait_until(lambda: mp.running("warm_sdk")[0]["state"] == "idle")
    assert mp.clear("warm_sdk") == 1
    assert not alive(pid)
    assert call()["pid"] != pid  # the next call starts a fresh one


def test_concurrent_callers_share_the_pool():
    mp.configure(warm={"warm_sdk": {"processes": 2}})
    call()  # one started; the second starts on demand
    results = []
    threads = [threading.Thread(target=lambda: results.append(call({"sleep": 0.4})))
               for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    assert len(results) == 4
    assert len({r["pid"] for r in results}) == 2
    assert 0.75 < took < 3.0  # two at a time


def test_each_waiting_thread_returns_when_its_own_call_ends():
    # Threads waiting at once: one drives the loop, the others sleep; a short
    # call must not wait for the long one whoever drives (the long call's
    # thread starts first, so it is the first to drive).
    mp.configure(warm={"warm_sdk": {"processes": 4}})
    starters = [threading.Thread(target=call, args=({"sleep": 0.3},)) for _ in range(4)]
    for t in starters:  # four at once: four processes
        t.start()
    for t in starters:
        t.join()
    assert len(mp.running("warm_sdk")) == 4
    took = {}

    def timed(key, sleep):
        t0 = time.monotonic()
        call({"sleep": sleep})
        took[key] = time.monotonic() - t0

    long = threading.Thread(target=timed, args=("long", 1.5))
    long.start()
    time.sleep(0.1)
    short = [threading.Thread(target=timed, args=(i, 0.2)) for i in range(3)]
    for t in short:
        t.start()
    for t in short:
        t.join()
    assert all(took[i] < 1.0 for i in range(3)), took
    long.join()
    assert took["long"] >= 1.5


def test_a_worker_written_to_the_framing_without_the_sdk():
    mp.configure(warm={"warm_plain": True})
    a = mp.run_worker("warm_plain", {"n": 21})
    b = mp.run_worker("warm_plain", {"n": 2})
    assert a["double"] == 42 and b["double"] == 4 and a["pid"] == b["pid"]
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("warm_plain", {"boom": "missing"})
    assert info.value.remote_type == "KeyError"
    assert mp.run_worker("warm_plain", {"n": 1})["pid"] == a["pid"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_node_worker_written_to_the_framing():
    mp.configure(warm={"warm_node": {"processes": 1}})
    a = mp.run_worker("warm_node", {"s": "abc"})
    b = mp.run_worker("warm_node", {"s": "xyz"})
    assert (a["upper"], b["upper"]) == ("ABC", "XYZ")
    assert a["pid"] == b["pid"]


def test_configure_false_keeps_a_worker_cold():
    warm_pid = call()["pid"]  # its multiverse.json makes it warm
    mp.configure(warm={"warm_sdk": False})
    first, second = call(), call()
    assert first["served"] == second["served"] == 1  # a new process each time
    assert first["warm"] is None and len({warm_pid, first["pid"], second["pid"]}) == 3
    assert mp.config()["warm"] == {"warm_sdk": False}
    mp.configure(warm=None)
    assert call()["pid"] == warm_pid  # its pool was left alone meanwhile


def test_a_changed_configuration_replaces_the_pool():
    first = call()["pid"]
    mp.configure(kill_grace=1.5)
    second = call()["pid"]
    assert second != first
    assert survivors([first], timeout=5) == []


def test_the_same_settings_keep_the_warm_process():
    first = call()["pid"]
    # The settings its multiverse.json asks for, now from configure().
    mp.configure(warm={"warm_sdk": {"processes": 1}})
    assert call()["pid"] == first
    mp.configure(warm={"warm_sdk": {"processes": 1, "max_requests": 0}}, timeout=30)
    assert call()["pid"] == first
    mp.configure(python=sys.executable, kill_grace=1.0)  # the values they had
    assert call()["pid"] == first
    # A timeout does not change how a process starts, so it keeps the pool,
    # and calls get the configuration's timeout, not the pool's.
    mp.configure(timeout=0.5)
    with pytest.raises(mp.WorkerTimeoutError) as info:
        call({"sleep": 2})
    assert info.value.timeout == 0.5


@pytest.mark.parametrize("change", ["python", "warm", "idle_timeout", "inherit_env", "env"])
def test_a_change_of_how_processes_start_replaces_the_pool(change, tmp_path):
    first = call()
    if change == "python":
        link = tmp_path / "python3"
        link.symlink_to(sys.executable)
        mp.configure(python=str(link))
    elif change == "warm":
        mp.configure(warm={"warm_sdk": {"max_requests": 100}})
    elif change == "idle_timeout":
        mp.configure(warm={"warm_sdk": {"idle_timeout": 60}})
    elif change == "inherit_env":
        # PYTHONPATH, which finds the SDK, is passed on explicitly.
        mp.configure(inherit_env=False, env={"PYTHONPATH": os.environ["PYTHONPATH"]})
    else:
        mp.configure(env={"MV_TEST_CHANGE": "1"})
    second = call()
    assert second["pid"] != first["pid"] and second["served"] == 1
    assert survivors([first["pid"]], timeout=5) == []
    assert call()["pid"] == second["pid"]


def test_a_call_in_flight_ends_normally_when_its_pool_is_replaced():
    first = call()["pid"]
    # The registry shows a state once it has lasted 50 ms: the first call
    # (which includes the process's start) may still show as busy.
    assert wait_until(lambda: [e["state"] for e in mp.running("warm_sdk")] == ["idle"])
    results = []
    worker = threading.Thread(target=lambda: results.append(call({"sleep": 1.0})))
    worker.start()
    assert wait_until(lambda: [e for e in mp.running("warm_sdk") if e["state"] == "busy"])
    mp.configure(env={"MV_TEST_CHANGE": "1"})
    second = call()  # waits for the call in flight: the old pool retires after it
    worker.join()
    assert results and results[0]["pid"] == first and results[0]["echo"] == {"sleep": 1.0}
    assert second["pid"] != first
    assert survivors([first], timeout=5) == []


def test_a_change_that_keeps_the_pool_does_not_wait_for_calls_in_flight():
    mp.configure(warm={"warm_sdk": {"processes": 2}})
    call()
    # The registry shows a state once it has lasted 50 ms: wait for the
    # first call's "busy" to be gone before looking for the next one's.
    assert wait_until(lambda: [e["state"] for e in mp.running("warm_sdk")] == ["idle"])
    worker = threading.Thread(target=call, args=({"sleep": 3.0},))
    worker.start()
    assert wait_until(lambda: [e for e in mp.running("warm_sdk") if e["state"] == "busy"])
    mp.configure(timeout=30)
    call()  # the pool's second process, without waiting for the call in flight
    assert worker.is_alive()
    worker.join()
    assert len(mp.running("warm_sdk")) == 2


def test_the_core_decides_what_replaces_a_pool():
    base = _config.current()

    def replaces(**change):
        return _core.replaces("warm_sdk", base, dict(base, **change))

    assert not replaces()
    assert not replaces(timeout=5.0)
    assert not replaces(warm={"warm_sdk": {"processes": 1}})  # as its multiverse.json
    assert not replaces(warm={"warm_sdk": False})  # cold: its pool is left alone
    assert replaces(warm={"warm_sdk": {"processes": 2}})
    assert replaces(kill_grace=0.5)
    assert replaces(python="/usr/bin/env")
    assert replaces(max_output=1024)


def test_warm_settings_are_validated():
    with pytest.raises(TypeError, match="unknown setting 'procs'"):
        mp.configure(warm={"warm_sdk": {"procs": 2}})
    # Values are checked by the core: its words.
    with pytest.raises(ValueError, match="^warm 'warm_sdk': processes must be >= 1, got 0$"):
        mp.configure(warm={"warm_sdk": {"processes": 0}})
    with pytest.raises(ValueError, match="^warm 'warm_sdk': max_requests must be >= 0, got -1$"):
        mp.configure(warm={"warm_sdk": {"max_requests": -1}})
    with pytest.raises(ValueError, match="^warm 'warm_sdk': idle_timeout must be >= 0, got -1$"):
        mp.configure(warm={"warm_sdk": {"idle_timeout": -1}})
    with pytest.raises(ValueError, match="idle_timeout must be a number, got NAN"):
        mp.configure(warm={"warm_sdk": {"idle_timeout": float("nan")}})
    with pytest.raises(ValueError, match="processes is out of range"):
        mp.configure(warm={"warm_sdk": {"processes": 2 ** 40}})
    # Types are the binding's to check.
    with pytest.raises(TypeError, match="max_requests must be an int, not float"):
        mp.configure(warm={"warm_sdk": {"max_requests": 1.5}})
    with pytest.raises(TypeError, match="processes must be an int, not bool"):
        mp.configure(warm={"warm_sdk": {"processes": True}})
    with pytest.raises(TypeError, match="idle_timeout must be a number of seconds, not str"):
        mp.configure(warm={"warm_sdk": {"idle_timeout": "5"}})
    with pytest.raises(TypeError, match="dict"):
        mp.configure(warm=["warm_sdk"])
    with pytest.raises(ValueError, match="^warm: invalid worker name '../x'"):
        mp.configure(warm={"../x": True})
    with pytest.raises(ValueError, match=r"^warm: invalid worker name 'a\\x00b'"):
        mp.configure(warm={"a\x00b": True})
    with pytest.raises(TypeError, match="worker name must be a str, not int"):
        mp.configure(warm={1: True})
    with pytest.raises(TypeError, match="True, False or a dict of settings, not str"):
        mp.configure(warm={"warm_sdk": "yes"})
    # A bad entry anywhere leaves everything as it was.
    with pytest.raises(ValueError):
        mp.configure(warm={"ok": True, "warm_sdk": {"processes": 0}}, timeout=5)
    assert mp.config()["warm"] == {} and mp.config()["timeout"] == 0.0
    mp.configure(warm={"warm_sdk": True, "other": MappingProxyType({"idle_timeout": 2})})
    assert mp.config()["warm"] == {
        "warm_sdk": {"processes": 1, "max_requests": 0, "idle_timeout": 0.0},
        "other": {"processes": 1, "max_requests": 0, "idle_timeout": 2.0},
    }
    mp.configure(warm=None)
    assert mp.config()["warm"] == {}


def test_a_malformed_multiverse_json_is_a_worker_error(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "main.py").write_text("print('{}')\n")
    (tmp_path / "broken" / "multiverse.json").write_text('{"warm": {"processes": "two"}}')
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("broken", workers_path=str(tmp_path))
    assert "processes" in str(info.value) and "multiverse.json" in str(info.value)


def test_a_forked_child_uses_its_own_pool():
    parent = call()["pid"]
    seen = in_forked_child(lambda: {"pid": call()["pid"], "parent_alive": alive(parent)})
    assert seen["pid"] not in (parent, None)
    assert seen["parent_alive"]  # the child did not touch the parent's process
    assert survivors([seen["pid"]], timeout=5) == []  # the child's own died with it
    assert call()["pid"] == parent


def test_a_worker_that_never_greets_fails_fast_saying_why(tmp_path):
    # plain_warm is a per-call worker marked warm (greet_timeout 1 in its
    # multiverse.json): it reads stdin to end of file and never greets.
    pidfile = str(tmp_path / "pids")
    mp.configure(env={"MV_PIDFILE": pidfile})
    t0 = time.monotonic()
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("plain_warm", {"a": 1}, timeout=30)
    took = time.monotonic() - t0
    assert 0.9 <= took < 5  # greet_timeout, not the call's 30 s
    err = info.value
    assert not isinstance(err, mp.WorkerTimeoutError)
    assert "warm worker 'plain_warm' did not greet within 1 s" in str(err)
    assert "does not speak the warm protocol" in str(err)
    assert "multiverse.worker.serve(handler)" in str(err)
    assert err.worker == "plain_warm"
    # The worker and its setsid grandchild are gone; nothing is listed.
    with open(pidfile) as f:
        grandchild = int(f.read().split()[0])
    with open(pidfile + ".main") as f:
        main = int(f.read().split()[0])
    assert survivors([main, grandchild], timeout=5) == []
    assert mp.running("plain_warm") == []
    # The next call fails the same way, as fast.
    t0 = time.monotonic()
    with pytest.raises(mp.WorkerError, match="does not speak the warm protocol"):
        mp.run_worker("plain_warm", {}, timeout=30)
    assert time.monotonic() - t0 < 5


def test_greet_timeout_is_a_warm_setting():
    assert _config.check_warm({"w": {"greet_timeout": 2.5}}) is not None
    with pytest.raises(ValueError, match="greet_timeout must be >= 0"):
        mp.configure(warm={"w": {"greet_timeout": -1}})
    with pytest.raises(TypeError, match="greet_timeout must be a number of seconds"):
        mp.configure(warm={"w": {"greet_timeout": "5"}})
