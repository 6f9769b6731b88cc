"""Module functions: shutdown, counts, limits, map, gather, configure."""
import os
import time

import pytest

import multiverse as mp
from conftest import wait_until
from multiverse import _config

API_NAMES = [
    "parallel", "AsyncHandle", "TaskError", "TaskTimeoutError", "TaskCancelledError",
    "TaskCrashedError", "ShutdownError", "WorkerError", "WorkerTimeoutError", "shutdown",
    "reset_shutdown", "get_active_task_count", "set_max_concurrent_tasks", "map", "gather",
    "run_worker", "configure", "running", "clear", "worker",
]


def test_every_api_name_is_exported():
    for name in API_NAMES:
        assert hasattr(mp, name), name
        assert name in mp.__all__, name


def test_types_ship_with_the_package():
    pkg = os.path.dirname(mp.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    stub = open(os.path.join(pkg, "__init__.pyi")).read()
    for name in API_NAMES:
        assert name in stub, name
    worker_stub = open(os.path.join(pkg, "worker.pyi")).read()
    for name in ("payload", "respond", "fail", "serve"):
        assert "def %s(" % name in worker_stub


def sleeper(seconds, value=None):
    time.sleep(seconds)
    return value


def test_shutdown_waits_for_running_and_queued_tasks():
    mp.set_max_concurrent_tasks(1)
    hs = [mp.parallel(sleeper)(0.2, i) for i in range(3)]
    assert mp.shutdown(timeout_secs=30) is True
    assert [h.get() for h in hs] == [0, 1, 2]
    assert mp.get_active_task_count() == 0


def test_submitting_after_shutdown_raises_until_reset():
    assert mp.shutdown() is True
    with pytest.raises(mp.ShutdownError):
        mp.parallel(lambda: 1)()
    with pytest.raises(RuntimeError):
        mp.map(abs, [1, 2])
    mp.reset_shutdown()
    assert mp.parallel(lambda: 1)().get(timeout=30) == 1


def test_shutdown_cancel_pending():
    mp.set_max_concurrent_tasks(1)
    running = mp.parallel(sleeper)(0.5, "ran")
    queued = [mp.parallel(sleeper)(0.5, i) for i in range(2)]
    assert wait_until(lambda: running.pid is not None)  # the first one has started
    assert mp.shutdown(timeout_secs=30, cancel_pending=True) is True
    assert running.get() == "ran"
    for h in queued:
        assert h.is_cancelled()
        with pytest.raises(mp.TaskCancelledError):
            h.get()


def test_shutdown_timeout_kills_what_is_left():
    h = mp.parallel(sleeper)(60)
    start = time.monotonic()
    assert mp.shutdown(timeout_secs=0.3) is False
    assert time.monotonic() - start < 10
    assert h.is_ready()
    with pytest.raises(mp.TaskCancelledError):
        h.get()
    assert mp.get_active_task_count() == 0


def test_shutdown_rejects_bad_timeouts():
    with pytest.raises(ValueError, match="timeout_secs"):
        mp.shutdown(timeout_secs=-1)
    with pytest.raises(TypeError):
        mp.shutdown(timeout_secs="1")


def test_active_task_count_counts_queued_and_running():
    mp.set_max_concurrent_tasks(1)
    hs = [mp.parallel(sleeper)(0.3) for _ in range(3)]
    assert mp.get_active_task_count() == 3
    hs[0].get(timeout=30)
    assert mp.get_active_task_count() <= 2
    for h in hs:
        h.get(timeout=30)
    assert mp.get_active_task_count() == 0


def test_set_max_concurrent_tasks_validates():
    for bad in (0, -3):
        with pytest.raises(ValueError):
            mp.set_max_concurrent_tasks(bad)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError):
            mp.set_max_concurrent_tasks(bad)
    mp.set_max_concurrent_tasks(3)
    assert mp.get_max_concurrent_tasks() == 3


def test_default_limit_is_the_cpu_count():
    assert mp.get_max_concurrent_tasks() == len(os.sched_getaffinity(0))


# map ------------------------------------------------------------------------------


def test_map_keeps_order_and_uses_one_process_per_worker():
    # fork=True: a process per chunk, so processes count the chunks.
    results = mp.map(lambda x: (x * x, os.getpid()), range(20), workers=3, fork=True)
    assert [r[0] for r in results] == [x * x for x in range(20)]
    pids = {r[1] for r in results}
    assert len(pids) == 3 and os.getpid() not in pids
    # By default the chunks run in the pool's processes, at most `workers`.
    results = mp.map(lambda x: (x * x, os.getpid()), range(20), workers=3)
    assert [r[0] for r in results] == [x * x for x in range(20)]
    pids = {r[1] for r in results}
    assert 1 <= len(pids) <= 3 and os.getpid() not in pids


def test_map_with_chunksize_and_worker_cap():
    mp.set_max_concurrent_tasks(4)
    results = mp.map(lambda x: (x, os.getpid()), range(10), chunksize=3, workers=2, fork=True)
    assert [r[0] for r in results] == list(range(10))
    assert len({r[1] for r in results}) == 4  # ceil(10 / 3) chunks


def test_map_defaults_to_the_concurrency_limit():
    mp.set_max_concurrent_tasks(2)
    # fork=True: a process per chunk (pooled chunks may share a process).
    results = mp.map(lambda x: os.getpid(), range(9), fork=True)
    assert len(set(results)) == 2


def test_map_of_nothing_and_of_async_functions():
    assert mp.map(abs, []) == []

    async def double(x):
        return x * 2

    assert mp.map(double, [1, 2, 3]) == [2, 4, 6]


def test_map_raises_the_first_failure_with_the_item():
    def check(x):
        if x == 7:
            raise ValueError("seven")
        return x

    with pytest.raises(mp.TaskError) as info:
        mp.map(check, range(10), workers=2)
    assert info.value.error_type == "ValueError"
    assert "item 7" in "".join(getattr(info.value.__cause__, "__notes__", []))


def test_map_timeout_applies_per_chunk():
    with pytest.raises(mp.TaskTimeoutError):
        mp.map(lambda x: time.sleep(x), [0, 5], workers=2, timeout=0.5)


def test_map_validates_arguments():
    with pytest.raises(ValueError):
        mp.map(abs, [1], workers=0)
    with pytest.raises(ValueError):
        mp.map(abs, [1], chunksize=0)
    with pytest.raises(TypeError):
        mp.map(42, [1])


# gather ----------------------------------------------------------------------------


def _mixed_handles():
    ok = mp.parallel(lambda x: x)
    bad = mp.parallel(lambda: 1 / 0)
    return [ok(1), bad(), ok(3)]


def test_gather_raise():
    hs = _mixed_handles()
    with pytest.raises(mp.TaskError, match="ZeroDivisionError"):
        mp.gather(hs)
    for h in hs:
        h.wait(30)


def test_gather_skip_and_none():
    assert mp.gather(_mixed_handles(), on_error="skip") == [1, 3]
    assert mp.gather(_mixed_handles(), on_error="none") == [1, None, 3]
    assert mp.gather([]) == []


def test_gather_validates():
    with pytest.raises(ValueError, match="on_error"):
        mp.gather([], on_error="ignore")
    with pytest.raises(TypeError):
        mp.gather([42])


# configure --------------------------------------------------------------------------


def test_configure_unknown_option_names_it():
    with pytest.raises(TypeError, match="worker_path"):
        mp.configure(worker_path="/tmp")


def test_configure_invalid_values_name_the_option():
    with pytest.raises(ValueError, match="timeout"):
        mp.configure(timeout=-1)
    with pytest.raises(ValueError, match="kill_grace"):
        mp.configure(kill_grace=float("nan"))
    with pytest.raises(ValueError, match="max_output"):
        mp.configure(max_output=0)
    with pytest.raises(TypeError, match="max_output"):
        mp.configure(max_output="big")
    with pytest.raises(ValueError, match="runtime_dir"):
        mp.configure(runtime_dir="relative/dir")
    with pytest.raises(TypeError, match="python"):
        mp.configure(python=3)


def test_configure_is_all_or_nothing_and_none_resets():
    before = mp.config()
    with pytest.raises(ValueError):
        mp.configure(kill_grace=0.25, timeout=-5)
    assert mp.config()["kill_grace"] == before["kill_grace"]
    mp.configure(kill_grace=0.25, max_output=1024)
    cfg = mp.config()
    assert cfg["kill_grace"] == 0.25 and cfg["max_output"] == 1024
    mp.configure(max_output=None)
    assert mp.config()["max_output"] == _config.DEFAULTS["max_output"]
    assert set(mp.config()) == set(_config.OPTIONS)


def test_config_reports_an_unresolvable_runtime_dir_as_a_worker_error(monkeypatch):
    from multiverse import _core

    def unresolvable(config):
        exc = _core.Error("'/tmp/multiverse-0' is not this user's directory and there is no "
                          "home directory to use instead")
        exc.code, exc.name = -17, "MV_EREGISTRY"
        raise exc

    # The real case needs /tmp/multiverse-<uid> squatted and no home: the
    # core's failure is simulated, the mapping is what is checked.
    monkeypatch.setattr(_core, "runtime_dir", unresolvable)
    with pytest.raises(mp.WorkerError) as info:
        mp.config()
    assert str(info.value).startswith("config() failed: '/tmp/multiverse-0' is not this user's")
    assert info.value.status == "MV_EREGISTRY" and info.value.__cause__ is None


# -- map over several iterables, imap, imap_unordered, progress, as_completed -----


def _add(a, b):
    return a + b


def _sleep_value(seconds, value):
    time.sleep(seconds)
    return value


def test_map_takes_several_iterables_like_the_builtin():
    assert mp.map(_add, [1, 2, 3], [10, 20, 30, 40]) == [11, 22, 33]
    assert mp.map(pow, [2, 3], [3, 2], chunksize=1) == [8, 9]
    with pytest.raises(TypeError, match="at least one iterable"):
        mp.map(abs)


def test_imap_streams_in_order_and_imap_unordered_as_they_finish():
    delays = [0.8, 0.05, 0.05]
    it = mp.imap(_sleep_value, delays, ["a", "b", "c"], chunksize=1)
    assert list(it) == ["a", "b", "c"]
    seen = list(mp.imap_unordered(_sleep_value, delays, ["a", "b", "c"], chunksize=1,
                                  workers=3))
    assert sorted(seen) == ["a", "b", "c"] and seen[-1] == "a"  # the slow one last


def test_imap_closed_early_cancels_what_runs():
    it = mp.imap(_sleep_value, [0.05, 30, 30], [1, 2, 3], chunksize=1, workers=3)
    assert next(it) == 1
    it.close()
    assert wait_until(lambda: mp.get_active_task_count() == 0, timeout=10)


def test_progress_callable_sees_every_item():
    calls = []
    assert mp.map(abs, range(-5, 5), chunksize=3, progress=lambda d, t: calls.append((d, t))) \
        == [abs(x) for x in range(-5, 5)]
    assert calls[-1] == (10, 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) == 4
    with pytest.raises(TypeError, match="progress"):
        mp.map(abs, [1], progress="yes")


def test_progress_true_draws_a_bar(capsys):
    assert mp.map(abs, [-1, -2], progress=True) == [1, 2]
    err = capsys.readouterr().err
    assert "2/2" in err  # tqdm's bar, or the plain line without tqdm


def test_as_completed_yields_handles_as_they_finish():
    slow, fast = mp.parallel(_sleep_value)(0.8, "slow"), mp.parallel(_sleep_value)(0.05, "fast")
    order = [h.get() for h in mp.as_completed([slow, fast], timeout=30)]
    assert order == ["fast", "slow"]
    with pytest.raises(TypeError):
        list(mp.as_completed([1]))


def test_a_forked_child_does_not_repeat_its_parents_task_ids():
    """Task ids count up from a random start; a forked child starts from a
    new one when it first needs an id (no after-fork hook does it)."""
    import sys
    parallel = sys.modules["multiverse.parallel"]  # the module; mp.parallel is the decorator
    first = parallel._new_task_id()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, parallel._new_task_id().encode())
        os._exit(0)
    os.close(w)
    child = os.read(r, 64).decode()
    os.close(r)
    os.waitpid(pid, 0)
    following = parallel._new_task_id()
    assert int(following, 16) == int(first, 16) + 1
    assert child != following and len(child) == 16
