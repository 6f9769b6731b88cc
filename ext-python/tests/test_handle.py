"""AsyncHandle: every method, cancellation, callbacks and await."""
import asyncio
import logging
import os
import threading
import time

import pytest

import multiverse as mp
from conftest import wait_until
from proctools import alive, survivors, wait_for_pids, start_escaping_tree


def sleeper(seconds, value=None):
    time.sleep(seconds)
    return value


def test_get_with_timeout_bounds_only_the_wait():
    h = mp.parallel(sleeper)(0.6, "done")
    with pytest.raises(TimeoutError, match="keeps running"):
        h.get(timeout=0.05)
    assert not h.is_ready()
    assert h.get(timeout=30) == "done"


def test_try_get_wait_and_is_ready():
    h = mp.parallel(sleeper)(0.4, 5)
    assert h.try_get() is None
    assert h.is_ready() is False
    assert h.wait(timeout=0.01) is False
    assert h.wait(timeout=30) is True
    assert h.is_ready() is True
    assert h.try_get() == 5


def test_try_get_raises_the_error_of_a_finished_task():
    h = mp.parallel(lambda: 1 / 0)()
    assert h.wait(timeout=30)
    with pytest.raises(mp.TaskError, match="ZeroDivisionError"):
        h.try_get()


def test_ids_names_and_timeouts():
    h = mp.parallel(name="labelled", timeout=3)(lambda: None)()
    other = mp.parallel(lambda: None)()
    assert isinstance(h.get_task_id(), str) and len(h.get_task_id()) == 16
    assert h.get_task_id() != other.get_task_id()
    assert h.get_name() == "labelled"
    assert other.get_name() == "<lambda>"
    assert h.get_timeout() == 3.0
    assert other.get_timeout() is None
    h.get(timeout=30)
    other.get(timeout=30)


def test_task_id_is_the_registry_id(runtime_dir):
    # A forked task is registered under its own id and name (a pooled call
    # runs in a process registered as "multiverse-pool").
    h = mp.parallel(name="registered", fork=True)(sleeper)(5)
    try:
        entries = _wait_for_entry(h.get_task_id())
        assert entries[0]["worker"] == "registered"
        assert entries[0]["kind"] == "fork"
        assert entries[0]["host_pid"] == os.getpid()
    finally:
        h.cancel()


def _wait_for_entry(task_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in mp.running() if e["task_id"] == task_id]
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("task %s never appeared in the registry" % task_id)


def test_elapsed_time_grows_and_freezes():
    h = mp.parallel(sleeper)(0.4)
    time.sleep(0.2)
    assert 0.0 <= h.elapsed_time() < 5
    h.get(timeout=30)
    final = h.elapsed_time()
    assert 0.35 <= final < 5
    time.sleep(0.1)
    assert h.elapsed_time() == final


def test_pid_is_the_task_process():
    def report_pid():
        time.sleep(0.3)
        return os.getpid()

    h = mp.parallel(report_pid)()
    deadline = time.monotonic() + 10
    while h.pid is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert h.pid is not None and h.pid != os.getpid()
    assert h.get(timeout=30) == h.pid


def test_metadata():
    h = mp.parallel(lambda: 1)()
    h.set_metadata("user", "u-1")
    h.set_metadata("attempt", 2)
    assert h.get_metadata("user") == "u-1"
    assert h.get_metadata("missing") is None
    assert h.get_metadata("missing", "dflt") == "dflt"
    everything = h.get_all_metadata()
    assert everything == {"user": "u-1", "attempt": 2}
    everything["user"] = "changed"  # a copy: the handle is not affected
    assert h.get_metadata("user") == "u-1"
    h.get(timeout=30)


def test_done_callbacks_before_and_after_completion():
    seen = []
    done = threading.Event()
    h = mp.parallel(sleeper)(0.2, "v")
    h.add_done_callback(lambda hh: (seen.append(("early", hh.get())), done.set()))
    assert done.wait(30)
    h.add_done_callback(lambda hh: seen.append(("late", hh.get())))
    assert seen == [("early", "v"), ("late", "v")]


def test_a_failing_callback_is_logged_not_raised(caplog):
    caplog.set_level(logging.ERROR, logger="multiverse")
    done = threading.Event()

    def bad(_h):
        raise RuntimeError("callback exploded")

    h = mp.parallel(lambda: 1)()
    h.add_done_callback(bad)
    h.add_done_callback(lambda _h: done.set())
    assert done.wait(30)
    assert h.get() == 1
    assert "callback exploded" in caplog.text


def test_waiting_inside_a_callback_is_refused():
    errors = []
    done = threading.Event()
    slow = mp.parallel(sleeper)(2)

    def cb(_h):
        try:
            slow.get()
        except RuntimeError as exc:
            errors.append(str(exc))
        done.set()

    mp.parallel(lambda: 1)().add_done_callback(cb)
    assert done.wait(30)
    assert errors and "dispatcher thread" in errors[0]
    slow.cancel()


def test_cancel_a_queued_task_never_starts(tmp_path):
    mp.set_max_concurrent_tasks(1)
    blocker = mp.parallel(sleeper)(0.5)
    marker = tmp_path / "ran"
    queued = mp.parallel(lambda: marker.write_text("yes"))()
    assert queued.cancel() is True
    assert queued.is_cancelled()
    assert queued.is_ready()
    with pytest.raises(mp.TaskCancelledError):
        queued.get()
    assert queued.elapsed_time() == 0.0
    blocker.get(timeout=30)
    time.sleep(0.2)
    assert not marker.exists()


def test_cancel_a_running_task_kills_its_tree(tmp_path):
    def tree():
        start_escaping_tree(str(tmp_path), "c")
        time.sleep(300)

    h = mp.parallel(tree)()
    pids = wait_for_pids(str(tmp_path), 4)
    start = time.monotonic()
    assert h.cancel() is True
    # cancel() returns once the tree is gone.
    assert survivors(pids) == []
    assert time.monotonic() - start < 10
    assert h.is_cancelled()
    with pytest.raises(mp.TaskCancelledError) as info:
        h.get()
    assert "cancel" in str(info.value)


def test_cancel_after_completion_returns_false():
    h = mp.parallel(lambda: 3)()
    assert h.get(timeout=30) == 3
    assert h.cancel() is False
    assert h.is_cancelled() is False
    assert h.get() == 3


def test_await_does_not_block_the_event_loop():
    work = mp.parallel(sleeper)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        results = await asyncio.gather(work(0.5, "a"), work(0.5, "b"))
        t.cancel()
        return results, ticks

    results, ticks = asyncio.run(main())
    assert results == ["a", "b"]
    assert ticks >= 15  # the loop kept running while both tasks did


def test_await_raises_the_task_error():
    async def main():
        return await mp.parallel(lambda: {}["nope"])()

    with pytest.raises(mp.TaskError, match="KeyError"):
        asyncio.run(main())


def test_await_a_finished_handle():
    h = mp.parallel(lambda: "ready")()
    h.get(timeout=30)

    async def main():
        return await h

    assert asyncio.run(main()) == "ready"


def test_handles_are_generic_for_annotations():
    assert mp.AsyncHandle[int] is not None


def test_repr_names_the_task():
    h = mp.parallel(name="shown")(lambda: None)()
    assert "shown" in repr(h) and h.get_task_id() in repr(h)
    h.get(timeout=30)
    assert "done" in repr(h)


def test_cancel_stops_a_task_that_ignores_sigterm_after_the_grace():
    mp.configure(kill_grace=0.5)

    def stubborn():
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(300)

    h = mp.parallel(stubborn)()
    deadline = time.monotonic() + 10
    while h.pid is None and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = h.pid
    time.sleep(0.2)
    start = time.monotonic()
    assert h.cancel() is True
    took = time.monotonic() - start
    assert 0.4 <= took < 5, took
    assert not alive(pid)


# -- an AsyncHandle is a concurrent.futures.Future (API.md §3) ---------------------


def _sleep_then(seconds, value):
    time.sleep(seconds)
    return value


def _fail():
    raise ValueError("no")


def test_handles_work_with_the_standard_librarys_wait_and_as_completed():
    import concurrent.futures as cf

    slow = mp.parallel(_sleep_then)(1.0, "slow")
    fast = mp.parallel(_sleep_then)(0.1, "fast")
    assert isinstance(fast, cf.Future)
    done, not_done = cf.wait([slow, fast], timeout=30, return_when=cf.FIRST_COMPLETED)
    assert fast in done and slow in not_done
    assert [f.result() for f in cf.as_completed([slow, fast], timeout=30)] in (
        ["fast", "slow"], ["slow", "fast"])
    failing = mp.parallel(_fail)()
    done, _ = cf.wait([failing], timeout=30, return_when=cf.FIRST_EXCEPTION)
    assert failing in done
    assert isinstance(failing.exception(), ValueError)
    assert failing.done() and not failing.running() and not failing.cancelled()


def test_future_state_follows_the_task():
    import concurrent.futures as cf

    h = mp.parallel(_sleep_then)(30, None)
    assert wait_until(h.running)
    assert not h.done()
    assert h.cancel()
    assert h.cancelled() and h.done()
    with pytest.raises(cf.CancelledError):
        h.result()
    done, _ = cf.wait([h], timeout=5)
    assert h in done
    with pytest.raises(RuntimeError):
        h.set_result(1)


def test_cancelling_a_wrapped_handle_never_blocks_the_event_loop():
    # asyncio cancels the handle from the loop's thread; the kill (here the
    # whole kill_grace: the task ignores SIGTERM) goes on without the loop.
    mp.configure(kill_grace=1.5)

    def stubborn():
        import signal

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(300)

    async def main():
        h = mp.parallel(stubborn)()
        wrapped = asyncio.wrap_future(h)
        while h.pid is None:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        gaps, last = [], time.monotonic()

        async def ticker():
            nonlocal last
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        t = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.05)
        wrapped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await wrapped
        await asyncio.sleep(0.3)
        t.cancel()
        return h, max(gaps)

    h, worst = asyncio.run(main())
    assert worst < 0.5, worst
    assert h.wait(timeout=30) and h.cancelled()
    assert not alive(h.pid)


def test_asyncio_wraps_a_handle():
    import asyncio

    async def main():
        value = await asyncio.wrap_future(mp.parallel(_sleep_then)(0.1, 42))
        with pytest.raises(ValueError):
            await asyncio.wrap_future(mp.parallel(_fail)())
        return value

    assert asyncio.run(main()) == 42
