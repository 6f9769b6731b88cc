"""The warm pool, where @parallel and map() run calls by default:
picklable calls go to task processes forked in advance; functions of
__main__, closures and lambdas travel by value (cloudpickle); what cannot
be pickled, and fork=True, forks a process per call."""
import asyncio
import os
import subprocess
import threading
import time

import pytest

import multiverse as mp
from conftest import wait_until
from proctools import (alive, in_forked_child, run_python, start_escaping_tree, survivors,
                       wait_for_pids)

STATE = "as imported"


@pytest.fixture(autouse=True)
def fresh_pool():
    # Pool processes live until shutdown(): each test starts without any
    # and leaves none behind (running() and clear() in other tests).
    yield
    mp.shutdown(timeout_secs=10)
    mp.reset_shutdown()


@mp.parallel
def is_locked(lock):
    return lock.locked()


@mp.parallel
def whoami():
    return os.getpid()


@mp.parallel
def add(a, b=0):
    return a + b


@mp.parallel
def state():
    return STATE


@mp.parallel
def raises(message):
    raise ValueError(message)


@mp.parallel
def crash(code):
    os._exit(code)


@mp.parallel
def sleep_then(seconds, value=None, marker=None):
    time.sleep(seconds)
    if marker:
        with open(marker, "w") as f:
            f.write("ran")
    return value


@mp.parallel
def escaping_tree(directory):
    start_escaping_tree(directory, "pool")
    time.sleep(300)


@mp.parallel
def leave_a_child():
    return subprocess.Popen(["sleep", "300"]).pid


@mp.parallel
async def coroutine(x):
    await asyncio.sleep(0.01)
    return x * 3


def square(x):
    return x * x


def test_consecutive_calls_reuse_one_process():
    pids = [whoami().get(timeout=30) for _ in range(5)]
    assert len(set(pids)) == 1 and pids[0] != os.getpid()
    assert add(2, b=40).get() == 42
    entries = [e for e in mp.running() if e["worker"] == "multiverse-pool"]
    assert [e["pid"] for e in entries] == [pids[0]] and entries[0]["kind"] == "fork"


def test_closures_and_lambdas_run_in_the_pool_by_value():
    pool_pid = whoami().get(timeout=30)
    offset = 5
    assert mp.parallel(lambda x: (x + offset, os.getpid()))(1).get() == (6, pool_pid)

    def local(x):
        return x * offset, os.getpid()

    offset = 7  # by value at the call: the closure sees what it references now
    assert mp.parallel(local)(2).get() == (14, pool_pid)
    assert mp.map(lambda x: (x + offset, os.getpid()), [1]) == [(8, pool_pid)]


SEEN_LIMIT = 10
SEEN_ITEMS = [1]


def test_a_function_sent_by_value_sees_its_globals_as_they_are_at_each_call():
    global SEEN_LIMIT
    # A local function (no closure) travels by value; its pickle is reused
    # only while nothing it reads can have changed.
    def limit():
        return SEEN_LIMIT, len(SEEN_ITEMS), os.getpid()

    pool_pid = whoami().get(timeout=30)
    task = mp.parallel(limit)
    try:
        assert task().get(timeout=30) == (10, 1, pool_pid)
        assert task().get(timeout=30) == (10, 1, pool_pid)
        SEEN_LIMIT = 3          # rebound: a new pickle
        SEEN_ITEMS.append(2)    # mutated in place: never cached
        assert task().get(timeout=30) == (3, 2, pool_pid)
    finally:
        SEEN_LIMIT = 10
        del SEEN_ITEMS[1:]


def test_unpicklable_arguments_and_fork_true_fork_instead():
    pool_pid = whoami().get(timeout=30)
    lock = threading.Lock()  # cannot be pickled, but a forked task has it
    assert is_locked(lock).get() is False
    forked = whoami.options(fork=True)().get()
    assert forked not in (pool_pid, os.getpid())
    assert mp.parallel(fork=True)(lambda: os.getpid())().get() not in (pool_pid, os.getpid())
    assert add(1, 2).get() == 3
    assert whoami().get() == pool_pid  # the pool keeps serving


def test_a_main_function_travels_by_value():
    code = (
        "import os\n"
        "import multiverse as mp\n"
        "LIMIT = 10\n"
        "@mp.parallel\n"
        "def clip(x):\n"
        "    return min(x, LIMIT), os.getpid()\n"
        "first, pool = clip(7).get(timeout=30)\n"
        "LIMIT = 3\n"
        "second, again = clip(7).get(timeout=30)\n"
        "print(first, second, pool == again, pool != os.getpid(), flush=True)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-4:] == ["7", "3", "True", "True"]


def test_without_cloudpickle_closures_and_main_functions_fork():
    code = (
        "import os, sys\n"
        "sys.modules['cloudpickle'] = None  # as if python3-cloudpickle were missing\n"
        "import multiverse as mp\n"
        "@mp.parallel\n"
        "def pid():\n"
        "    return os.getpid()\n"
        "a, b = pid().get(timeout=30), pid().get(timeout=30)\n"
        "offset = 1\n"
        "c = mp.parallel(lambda: os.getpid() + offset)().get(timeout=30) - 1\n"
        "print(a != b, c not in (a, b, os.getpid()), flush=True)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["True", "True"]


def test_a_function_the_pool_cannot_rebuild_forks_instead():
    pool_pid = whoami().get()
    # Defined after the pool process was forked: unknown there.
    exec("def late(x):\n    return ('late', x, __import__('os').getpid())", globals())
    late_task = mp.parallel(globals()["late"])
    globals()["late"] = late_task
    tag, x, pid = late_task(7).get(timeout=30)
    assert (tag, x) == ("late", 7) and pid != pool_pid
    assert whoami().get() == pool_pid  # the pool keeps serving


def test_module_state_is_the_one_the_pool_was_forked_with():
    global STATE
    assert state().get() == "as imported"
    STATE = "changed after the fork"
    try:
        # Documented: a pool process does not see later changes ...
        assert state().get() == "as imported"
        # ... while a task forked for the call does ...
        assert state.options(fork=True)().get() == "changed after the fork"
        # ... and so does a lambda, which travels by value.
        assert mp.parallel(lambda: STATE)().get() == "changed after the fork"
    finally:
        STATE = "as imported"


def test_exceptions_arrive_as_task_errors_with_their_cause():
    with pytest.raises(mp.TaskError) as info:
        raises("bad input").get()
    err = info.value
    assert isinstance(err, ValueError) and type(err).__name__ == "TaskError(ValueError)"
    assert err.error_type == "ValueError" and err.error_message == "bad input"
    assert isinstance(err.__cause__, ValueError)
    assert "in raises" in err.traceback
    assert err.task_name == "raises"
    assert whoami().get() > 0  # still serving


def test_timeout_kills_the_tree_and_the_process_is_replaced(tmp_path):
    first = whoami().get()
    h = escaping_tree(str(tmp_path), timeout=0.5)
    with pytest.raises(mp.TaskTimeoutError) as info:
        h.get(timeout=30)
    assert info.value.timeout == 0.5
    assert "timed out after 0.5 s" in str(info.value)
    pids = wait_for_pids(str(tmp_path), 4)
    assert first in pids
    assert survivors(pids, timeout=5) == []
    second = whoami().get()
    assert second != first and alive(second)


def test_a_crash_fails_only_its_task_and_the_pool_keeps_serving():
    handles = [add(i, 1) for i in range(3)] + [crash(7)] + [add(i, 1) for i in range(3)]
    outcomes = []
    for h in handles:
        try:
            outcomes.append(h.get(timeout=30))
        except mp.TaskCrashedError as exc:
            outcomes.append(exc)
    crashed = outcomes[3]
    assert isinstance(crashed, mp.TaskCrashedError) and crashed.exit_code == 7
    assert outcomes[:3] + outcomes[4:] == [1, 2, 3, 1, 2, 3]
    assert [add(i, i).get() for i in range(3)] == [0, 2, 4]


def test_cancel_kills_the_running_call_and_the_process_is_replaced():
    first = whoami().get()
    h = sleep_then(30)
    assert wait_until(lambda: h.pid == first)
    assert h.cancel() is True
    assert h.is_cancelled()
    with pytest.raises(mp.TaskCancelledError):
        h.get()
    assert survivors([first], timeout=5) == []
    assert whoami().get() != first


def test_cancel_of_a_queued_call_means_it_never_runs(tmp_path):
    mp.set_max_concurrent_tasks(1)
    marker = str(tmp_path / "ran")
    running = sleep_then(0.5, "first")
    queued = sleep_then(0, "second", marker)
    assert queued.cancel() is True
    assert running.get(timeout=30) == "first"
    with pytest.raises(mp.TaskCancelledError):
        queued.get()
    time.sleep(0.2)
    assert not os.path.exists(marker)


def test_pooled_and_forked_calls_share_the_concurrency_limit():
    mp.set_max_concurrent_tasks(1)
    whoami().get()
    t0 = time.monotonic()
    forked = mp.parallel(lambda: time.sleep(0.4) or "forked")()
    pooled = sleep_then(0.4, "pooled")
    assert forked.get(timeout=30) == "forked"
    assert pooled.get(timeout=30) == "pooled"
    assert time.monotonic() - t0 >= 0.75  # one after the other, whichever first


def test_shutdown_cancel_pending_cancels_pooled_calls_waiting_their_turn():
    mp.set_max_concurrent_tasks(1)
    running = sleep_then(0.3, "ran")
    queued = [sleep_then(0.3, i) for i in range(3)]
    assert wait_until(lambda: running.pid is not None)  # a pool process has it
    assert mp.shutdown(timeout_secs=30, cancel_pending=True) is True
    assert running.get() == "ran"
    for h in queued:
        assert h.is_cancelled()
        with pytest.raises(mp.TaskCancelledError):
            h.get()
    # shutdown() returns once the pool processes are gone.
    assert [e for e in mp.running() if e["worker"] == "multiverse-pool"] == []


def test_a_lower_limit_or_a_new_configuration_retires_pool_processes():
    mp.set_max_concurrent_tasks(2)
    first = whoami().get()
    mp.set_max_concurrent_tasks(3)
    assert whoami().get() == first  # a higher limit keeps them
    mp.set_max_concurrent_tasks(1)
    assert survivors([first], timeout=5) == []  # idle: retired at once
    second = whoami().get()
    assert second != first
    mp.configure(kill_grace=0.5)
    assert whoami().get() != second
    assert survivors([second], timeout=5) == []


def test_coroutines_and_map():
    assert coroutine(4).get() == 12
    assert mp.map(square, range(50)) == [x * x for x in range(50)]
    assert mp.map(lambda x: x + 1, range(5)) == [1, 2, 3, 4, 5]
    assert mp.map(square, range(7), chunksize=2) == [x * x for x in range(7)]


def test_processes_left_behind_by_a_call_are_killed():
    orphan = leave_a_child().get(timeout=30)
    assert survivors([orphan], timeout=5) == []


def test_clear_kills_pool_processes_and_the_pool_recovers():
    first = whoami().get()
    assert mp.clear("multiverse-pool") == 1
    assert not alive(first)
    assert whoami().get() != first


def test_the_dispatcher_hears_at_once_when_the_last_pool_process_dies():
    # A pool process killed between calls (clear(), a crash) ends without a
    # call to report it: the dispatcher learns from the core's round that
    # none is left, and retires after its linger (1 s), not later.
    from multiverse import _dispatch

    first = whoami().get()
    assert mp.clear("multiverse-pool") == 1
    t0 = time.monotonic()
    assert wait_until(lambda: not any(t.name == "multiverse-dispatcher"
                                      for t in threading.enumerate()), timeout=10)
    assert time.monotonic() - t0 < _dispatch._LINGER + 0.6
    assert not alive(first)


def test_shutdown_kills_the_pool():
    pid = whoami().get()
    assert mp.shutdown(timeout_secs=10) is True
    assert not alive(pid)
    assert [e for e in mp.running() if e["worker"] == "multiverse-pool"] == []


def test_a_forked_child_uses_its_own_pool():
    parent = whoami().get()
    seen = in_forked_child(lambda: {"pid": whoami().get(timeout=30)})
    assert seen.get("pid") not in (None, parent)
    assert alive(parent)
    assert whoami().get() == parent
    assert survivors([seen["pid"]], timeout=5) == []  # died with the child


def test_pool_processes_die_at_interpreter_exit():
    code = (
        "import os\n"
        "import multiverse as mp\n"
        "@mp.parallel\n"
        "def whoami():\n"
        "    return os.getpid()\n"
        "print(whoami().get(timeout=30), flush=True)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[-1])
    assert survivors([pid], timeout=2) == []


def test_throughput_side_by_side_with_a_fork_per_call():
    # Not a benchmark (bench/ has that): the pool must not be slower than
    # forking for tiny calls, by a wide margin.
    whoami().get()
    t0 = time.monotonic()
    mp.gather([add(i, 1) for i in range(200)])
    pooled = time.monotonic() - t0
    forked = mp.parallel(fork=True)(lambda x: x + 1)
    t0 = time.monotonic()
    mp.gather([forked(i) for i in range(20)])
    per_fork = (time.monotonic() - t0) / 20
    assert pooled / 200 < per_fork
