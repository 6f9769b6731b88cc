"""mp.Executor: what it promises beyond the standard library's executor
tests (test_stdlib_executor.py): trees killed on timeout and cancel, a
crash fails one future only, max_workers, asyncio, shutdown, exit."""
import asyncio
import concurrent.futures
import contextvars
import os
import signal
import time

import pytest

import multiverse as mp
from conftest import wait_until
from proctools import alive, run_python, start_escaping_tree, survivors, wait_for_pids

# Module-level task bodies: a pooled call (fork=False) pickles its
# function by reference, so these run in pool processes too.


def escaping_tree(directory, tag):
    start_escaping_tree(directory, tag)
    time.sleep(300)


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)


def sleep_then(seconds, value):
    time.sleep(seconds)
    return value


def interval(directory, i, rendezvous):
    """Record when this call ran (monotonic is one clock for every process).
    The first `rendezvous` calls wait for each other: they must be able to
    run at once."""
    start = time.monotonic()
    with open(os.path.join(directory, "%d.start" % i), "w") as f:
        f.write(repr(start))
    if i < rendezvous:
        deadline = time.monotonic() + 20
        while len([n for n in os.listdir(directory) if n.endswith(".start")]) < rendezvous:
            if time.monotonic() > deadline:
                raise RuntimeError("the first calls did not run at once")
            time.sleep(0.01)
    time.sleep(0.2)
    with open(os.path.join(directory, "%d.interval" % i), "w") as f:
        f.write("%r %r" % (start, time.monotonic()))
    return i


def most_at_once(directory):
    intervals = []
    for name in os.listdir(directory):
        if name.endswith(".interval"):
            with open(os.path.join(directory, name)) as f:
                start, end = map(float, f.read().split())
            intervals.append((start, end))
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
                    key=lambda ev: (ev[0], ev[1]))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return len(intervals), peak


MODES = [pytest.param(True, id="forked"), pytest.param(False, id="pooled")]


@pytest.fixture(autouse=True)
def no_pool_left():
    """End the pre-forked pool after each test. The fixture of conftest.py
    restores the concurrency limit after a test, which retires a pool that
    still has processes when the limit goes down; the dispatcher can then
    miss the wakeup of the next call and leave it queued (the inner loop
    of wait_events() in ext-python/src/pool.c sleeps again without looking
    at py_wakes). Not a property of Executor: kept out of its tests."""
    yield
    mp.shutdown(timeout_secs=10)
    mp.reset_shutdown()


@pytest.mark.parametrize("fork", MODES)
def test_a_task_past_its_timeout_has_its_tree_killed(tmp_path, fork):
    with mp.Executor(max_workers=2, timeout=1.0, fork=fork) as ex:
        f = ex.submit(escaping_tree, str(tmp_path), "t")
        pids = wait_for_pids(str(tmp_path), 4)
        assert all(alive(p) for p in pids)
        with pytest.raises(mp.TaskTimeoutError) as info:
            f.result(timeout=30)
        assert isinstance(info.value, TimeoutError)
        assert f.done() and not f.cancelled()
        assert survivors(pids, timeout=5) == []
        # The executor goes on.
        assert ex.submit(sleep_then, 0, "next").result(timeout=30) == "next"


@pytest.mark.parametrize("fork", MODES)
def test_cancel_of_a_running_call_kills_its_tree(tmp_path, fork):
    with mp.Executor(max_workers=2, fork=fork) as ex:
        f = ex.submit(escaping_tree, str(tmp_path), "c")
        pids = wait_for_pids(str(tmp_path), 4)
        assert wait_until(f.running)
        assert f.cancel() is True
        # cancel() returns once the tree is gone.
        assert survivors(pids) == []
        assert f.cancelled() and f.done()
        with pytest.raises(concurrent.futures.CancelledError):
            f.result()
        assert ex.submit(sleep_then, 0, 7).result(timeout=30) == 7


@pytest.mark.parametrize("fork", MODES)
def test_a_crash_fails_only_its_future(fork):
    # max_workers=1: a crashed call must give its slot back.
    with mp.Executor(max_workers=1, fork=fork) as ex:
        exited = ex.submit(os._exit, 3)
        killed = ex.submit(kill_myself)
        after = ex.submit(sleep_then, 0, "still working")
        with pytest.raises(mp.TaskCrashedError) as info:
            exited.result(timeout=30)
        assert info.value.exit_code == 3
        with pytest.raises(mp.TaskCrashedError) as info:
            killed.result(timeout=30)
        assert info.value.signal == signal.SIGKILL
        assert after.result(timeout=30) == "still working"
        assert ex.submit(pow, 2, 5).result(timeout=30) == 32


@pytest.mark.parametrize("fork", MODES)
def test_max_workers_is_never_exceeded(tmp_path, fork):
    # The package's own limit is higher, so only the executor's bound holds
    # the calls back.
    mp.set_max_concurrent_tasks(6)
    with mp.Executor(max_workers=2, fork=fork) as ex:
        fs = [ex.submit(interval, str(tmp_path), i, 2) for i in range(6)]
        assert sorted(f.result(timeout=60) for f in fs) == list(range(6))
    count, peak = most_at_once(str(tmp_path))
    assert count == 6
    assert peak == 2


@pytest.mark.parametrize("fork", [False, True])
def test_two_executors_keep_their_own_bounds_side_by_side(fork):
    # One executor's calls waiting for their turn never hold back another's:
    # each bound is a batch of its own in the core's one queue.
    mp.set_max_concurrent_tasks(4)
    with mp.Executor(max_workers=1, fork=fork) as busy, \
            mp.Executor(max_workers=1, fork=fork) as free:
        long = busy.submit(sleep_then, 2.0, "long")
        held = busy.submit(sleep_then, 0, "held")
        assert free.submit(sleep_then, 0, "free").result(timeout=30) == "free"
        assert not held.done() and not held.running()
        assert held.result(timeout=30) == "held" and long.result(timeout=30) == "long"


def test_max_workers_none_follows_the_package_limit(tmp_path):
    mp.set_max_concurrent_tasks(3)
    with mp.Executor() as ex:
        fs = [ex.submit(interval, str(tmp_path), i, 3) for i in range(6)]
        assert sorted(f.result(timeout=60) for f in fs) == list(range(6))
    assert most_at_once(str(tmp_path)) == (6, 3)


def test_invalid_arguments():
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_workers must be greater than 0"):
            mp.Executor(max_workers=bad)
    with pytest.raises(TypeError):
        mp.Executor(max_workers=1.5)
    with pytest.raises(ValueError):
        mp.Executor(timeout=-1)
    with pytest.raises(TypeError):
        mp.Executor(fork="yes")
    with pytest.raises(TypeError):
        mp.Executor(initializer=3)
    with mp.Executor() as ex:
        with pytest.raises(ValueError):
            ex.map(abs, [1], chunksize=0)
        with pytest.raises(TypeError):
            ex.submit(3)


def test_run_in_executor():
    async def main(ex):
        loop = asyncio.get_running_loop()
        values = await asyncio.gather(*[loop.run_in_executor(ex, pow, 2, i) for i in range(4)])
        with pytest.raises(ZeroDivisionError):
            await loop.run_in_executor(ex, divmod, 1, 0)
        # The event loop keeps running while a call does.
        ticks = 0
        call = loop.run_in_executor(ex, sleep_then, 0.5, "slept")
        while not call.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return values, await call, ticks

    with mp.Executor(max_workers=2) as ex:
        values, slept, ticks = asyncio.run(main(ex))
    assert values == [1, 2, 4, 8]
    assert slept == "slept"
    assert ticks > 1


def test_cancelling_the_awaiting_asyncio_future_kills_the_tree(tmp_path):
    async def main(ex):
        f = ex.submit(escaping_tree, str(tmp_path), "a")
        wrapped = asyncio.wrap_future(f)
        await asyncio.get_running_loop().run_in_executor(
            None, wait_for_pids, str(tmp_path), 4)
        wrapped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await wrapped
        return f

    with mp.Executor(max_workers=2) as ex:
        f = asyncio.run(main(ex))
        assert f.wait(timeout=30)
        assert f.cancelled()
    assert survivors(wait_for_pids(str(tmp_path), 4), timeout=5) == []


def test_shutdown_cancel_futures_cancels_the_held_back_calls():
    ex = mp.Executor(max_workers=1)
    first = ex.submit(sleep_then, 0.5, "first")
    held = [ex.submit(sleep_then, 0, i) for i in range(5)]
    assert wait_until(first.running)
    ex.shutdown(wait=True, cancel_futures=True)
    assert first.result() == "first"
    for f in held:
        assert f.cancelled()
        with pytest.raises(concurrent.futures.CancelledError):
            f.result()


def test_submit_after_shutdown_raises():
    ex = mp.Executor()
    ex.shutdown()
    with pytest.raises(mp.ShutdownError) as info:
        ex.submit(pow, 2, 2)
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(RuntimeError):
        ex.map(abs, [1])
    with mp.Executor() as ex:
        pass
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(pow, 2, 2)


def test_shutdown_without_wait_leaves_the_calls_running():
    ex = mp.Executor(max_workers=1)
    fs = [ex.submit(sleep_then, 0.2, i) for i in range(3)]
    ex.shutdown(wait=False)
    assert [f.result(timeout=30) for f in fs] == [0, 1, 2]


def test_map_keeps_order_chunks_and_kills_what_is_left_at_its_deadline(tmp_path):
    with mp.Executor(max_workers=2) as ex:
        assert list(ex.map(sleep_then, [0.2, 0, 0.1], "abc")) == ["a", "b", "c"]
        assert list(ex.map(pow, range(7), range(7), chunksize=3)) == [i ** i for i in range(7)]
        it = ex.map(escaping_tree, [str(tmp_path)], ["m"], timeout=2.0)
        pids = wait_for_pids(str(tmp_path), 4)
        with pytest.raises(TimeoutError) as info:
            next(it)
        assert not isinstance(info.value, mp.TaskError)  # the wait's deadline, not the task's
        assert survivors(pids, timeout=5) == []


def test_map_raises_the_first_error_in_order_and_cancels_the_rest():
    with mp.Executor(max_workers=1) as ex:
        it = ex.map(divmod, [1, 1, 1, 1], [1, 0, 1, 1])
        assert next(it) == (1, 0)
        with pytest.raises(ZeroDivisionError):
            next(it)


def test_a_held_back_call_keeps_its_task_id_and_the_submitters_context():
    var = contextvars.ContextVar("var", default="unset")

    def read_var():
        time.sleep(1.0)
        return var.get()

    var.set("submitter's")
    # fork=True: a task of its own, registered under its id, with the
    # submitter's context (a pooled call carries no context variables).
    with mp.Executor(max_workers=1, fork=True) as ex:
        first = ex.submit(sleep_then, 0.3, None)
        held = ex.submit(read_var)
        task_id = held.get_task_id()
        assert not held.running() and held.pid is None
        assert wait_until(held.running)
        # Known once its supervisor has said so, a moment after the start.
        assert wait_until(lambda: held.pid is not None)
        # The id it had while it waited is its task's.
        assert held.get_task_id() == task_id
        assert task_id in [e["task_id"] for e in mp.running()]
        # It was forked when its turn came, with the submitter's context.
        assert held.result(timeout=30) == "submitter's"
        first.result(timeout=30)
        assert held.elapsed_time() > 0.9


def test_cancel_a_held_back_call(tmp_path):
    marker = tmp_path / "ran"
    with mp.Executor(max_workers=1) as ex:
        first = ex.submit(sleep_then, 0.3, None)
        held = ex.submit(marker.write_text, "yes")
        assert held.cancel() is True
        assert held.cancelled() and held.is_cancelled()
        first.result(timeout=30)
        after = ex.submit(sleep_then, 0, "after")
        assert after.result(timeout=30) == "after"
    assert not marker.exists()


def test_options_apply_to_each_call():
    ex = mp.Executor(timeout=0.5, name="job")
    with ex:
        f = ex.submit(time.sleep, 30)
        with pytest.raises(mp.TaskTimeoutError) as info:
            f.result(timeout=30)
        assert f.get_name() == "job" and info.value.task_name == "job"
        assert f.get_timeout() == 0.5
        # A @parallel function runs its body, with the executor's options.
        assert ex.submit(mp.parallel(timeout=99)(pow), 3, 2).result(timeout=30) == 9


def _init(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))


def _initialized_pid():
    return os.getpid()


def _failing_init():
    raise ValueError("init failed")


def test_the_initializer_runs_in_each_calls_process_and_a_failure_fails_that_call(tmp_path):
    marker = str(tmp_path / "init")
    with mp.Executor(max_workers=1, initializer=_init, initargs=(marker,)) as ex:
        pid = ex.submit(_initialized_pid).result(timeout=30)
        with open(marker) as f:
            assert int(f.read()) == pid
    with mp.Executor(max_workers=1, initializer=_failing_init) as ex:
        with pytest.raises(ValueError, match="init failed"):
            ex.submit(pow, 2, 2).result(timeout=30)
        assert isinstance(ex.submit(pow, 2, 2).exception(timeout=30), ValueError)


def test_package_shutdown_treats_held_back_calls_as_queued_tasks():
    # A call waiting for the executor's turn is a queued task like any
    # other: shutdown() runs it before it returns ...
    ex = mp.Executor(max_workers=1)
    first = ex.submit(sleep_then, 0.3, "ran")
    held = ex.submit(sleep_then, 0, "ran too")
    assert mp.shutdown(timeout_secs=30)
    assert first.result() == "ran" and held.result() == "ran too"
    with pytest.raises(mp.ShutdownError):
        ex.submit(pow, 2, 2)
    # ... and shutdown(cancel_pending=True) cancels it, not the running one.
    mp.reset_shutdown()
    first = ex.submit(sleep_then, 0.3, "ran")
    held = ex.submit(sleep_then, 0, "never")
    assert wait_until(first.running)
    assert mp.shutdown(timeout_secs=30, cancel_pending=True)
    assert first.result() == "ran"
    assert held.wait(timeout=10)
    assert held.cancelled()


def test_a_done_callback_may_submit():
    ex = mp.Executor(max_workers=1)
    chained = []

    def then(_f):
        chained.append(ex.submit(sleep_then, 0, "second"))

    first = ex.submit(sleep_then, 0.1, "first")
    first.add_done_callback(then)
    assert first.result(timeout=30) == "first"
    assert wait_until(lambda: chained)
    assert chained[0].result(timeout=30) == "second"
    ex.shutdown()


EXIT_SCRIPT = """
import os, sys, time
import multiverse as mp
from proctools import start_escaping_tree

def tree(directory):
    start_escaping_tree(directory, "x")
    time.sleep(300)

ex = mp.Executor(max_workers=2)
ex.submit(tree, sys.argv[1])
deadline = time.monotonic() + 20
while len(os.listdir(sys.argv[1])) < 4 and time.monotonic() < deadline:
    time.sleep(0.02)
ex.shutdown(wait=False)
print("exiting", flush=True)
"""


def test_at_interpreter_exit_running_calls_are_killed(tmp_path, runtime_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.argv[1:] = [%r]; sys.path.insert(0, %r)\n"
            "import multiverse as mp; mp.configure(runtime_dir=%r)\n" % (str(tmp_path), here,
                                                                        runtime_dir)
            + EXIT_SCRIPT)
    out = run_python(code, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "exiting" in out.stdout
    assert "Traceback" not in out.stderr, out.stderr
    assert survivors(wait_for_pids(str(tmp_path), 4), timeout=5) == []


def test_submit_at_interpreter_exit_raises_runtime_error(runtime_dir):
    code = """
import atexit

@atexit.register
def run_last():  # registered before multiverse is imported: runs after its exit hook
    try:
        ex.submit(pow, 2, 3)
    except RuntimeError as exc:
        print("refused:", type(exc).__name__)

import multiverse as mp
mp.configure(runtime_dir=%r)
ex = mp.Executor(max_workers=2)
print(ex.submit(pow, 2, 2).result())
""" % runtime_dir
    out = run_python(code, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "refused:", "ShutdownError"], out


SHARED = mp.Executor(max_workers=1)


def submit_to_shared():
    return SHARED.submit(pow, 2, 3).result(timeout=20)


def test_an_executor_copied_into_a_task_starts_afresh():
    # The parent's call holds the only slot; the task's copy of the
    # executor has none of the parent's calls, so its own call starts.
    blocker = SHARED.submit(sleep_then, 3, "parent")
    try:
        assert mp.parallel(submit_to_shared)().get(timeout=30) == 8
    finally:
        assert blocker.result(timeout=30) == "parent"
