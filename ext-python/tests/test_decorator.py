"""@parallel: forms, options, what crosses the fork, parallelism, queueing."""
import asyncio
import contextvars
import os
import time

import pytest

import multiverse as mp

MODULE_STATE = {"value": 1}
REQUEST_ID = contextvars.ContextVar("request_id", default="none")


@mp.parallel
def square(x):
    return x * x


@mp.parallel(timeout=5.0, name="renamed")
def with_options(x):
    return os.getpid(), x


def test_bare_decorator_returns_handle_at_once():
    start = time.monotonic()
    h = square(7)
    assert isinstance(h, mp.AsyncHandle)
    assert time.monotonic() - start < 0.5
    assert h.get(timeout=30) == 49


def test_runs_in_another_process():
    pid, x = with_options(3).get(timeout=30)
    assert x == 3
    assert pid != os.getpid()


def test_decorator_options_and_name():
    h = with_options(1)
    assert h.get_name() == "renamed"
    assert h.get_timeout() == 5.0
    h.get(timeout=30)
    assert with_options.__wrapped__(2) == (os.getpid(), 2)  # the plain function stays reachable


def test_per_call_timeout_keyword_overrides():
    h = with_options(1, timeout=2.5)
    assert h.get_timeout() == 2.5
    h.get(timeout=30)
    unlimited = with_options(1, timeout=0)
    assert unlimited.get_timeout() is None
    unlimited.get(timeout=30)


def test_configured_timeout_is_the_default():
    mp.configure(timeout=7.0)
    h = square(2)
    assert h.get_timeout() == 7.0
    assert h.get(timeout=30) == 4


def test_closures_lambdas_bound_methods_and_module_state():
    lock_like = object()  # not picklable in a useful way; never pickled anyway
    captured = [1, 2, 3]

    def closure():
        return sum(captured), lock_like is not None

    class Counter:
        def __init__(self):
            self.base = 40

        def add(self, n):
            return self.base + n

    MODULE_STATE["value"] = 99
    assert mp.parallel(closure)().get(timeout=30) == (6, True)
    assert mp.parallel(lambda: MODULE_STATE["value"])().get(timeout=30) == 99
    assert mp.parallel(Counter().add)(2).get(timeout=30) == 42


def test_decorating_a_method_in_a_class():
    class Model:
        factor = 3

        @mp.parallel
        def scale(self, x):
            return self.factor * x

    assert Model().scale(5).get(timeout=30) == 15


def test_child_changes_do_not_reach_the_parent():
    MODULE_STATE["value"] = 5

    def mutate():
        MODULE_STATE["value"] = 1000
        return MODULE_STATE["value"]

    assert mp.parallel(mutate)().get(timeout=30) == 1000
    assert MODULE_STATE["value"] == 5


def test_contextvars_of_the_caller_are_visible():
    token = REQUEST_ID.set("req-42")
    try:
        h = mp.parallel(lambda: REQUEST_ID.get())()
    finally:
        REQUEST_ID.reset(token)
    assert h.get(timeout=30) == "req-42"


def test_async_def_runs_to_completion_in_the_task():
    @mp.parallel
    async def fetch(x):
        await asyncio.sleep(0.05)
        return os.getpid(), x + 1

    pid, value = fetch(1).get(timeout=30)
    assert value == 2 and pid != os.getpid()


def test_nested_parallel_calls_inside_a_task():
    @mp.parallel
    def outer(n):
        inner = mp.parallel(lambda i: (os.getppid(), i * 10))
        return os.getpid(), [h.get(timeout=30) for h in [inner(i) for i in range(n)]]

    outer_pid, results = outer(3).get(timeout=60)
    assert [r[1] for r in results] == [0, 10, 20]


def _burn(seconds):
    """Burn CPU for `seconds` of CPU time; returns when it ran (wall clock)."""
    started = time.time()
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return started, time.time()


def test_cpu_bound_python_runs_in_parallel():
    if mp.get_max_concurrent_tasks() < 2 or os.cpu_count() < 2:
        pytest.fail("this test needs 2 CPUs")
    work = mp.parallel(_burn)
    # Two CPU-bound calls run side by side in separate processes (no GIL
    # between them): their runs overlap in time, most of each. Measured as
    # overlap rather than speed-up, so a busy host slows both without
    # failing the test.
    (a0, a1), (b0, b1) = [h.get(timeout=60) for h in [work(0.5) for _ in range(2)]]
    overlap = min(a1, b1) - max(a0, b0)
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), ((a0, a1), (b0, b1))


def test_calls_beyond_the_limit_queue():
    mp.set_max_concurrent_tasks(1)
    assert mp.get_max_concurrent_tasks() == 1

    def stamp():
        start = time.time()
        time.sleep(0.3)
        return start, time.time()

    work = mp.parallel(stamp)
    handles = [work() for _ in range(3)]
    assert mp.get_active_task_count() == 3
    spans = sorted(h.get(timeout=30) for h in handles)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert s2 >= e1 - 0.01, spans  # never two at once


def test_invalid_decorator_options():
    with pytest.raises(ValueError, match="timeout"):
        mp.parallel(timeout=-1)
    with pytest.raises(ValueError, match="max_memory_mb"):
        mp.parallel(max_memory_mb=0)
    with pytest.raises(ValueError, match="max_cpu_secs"):
        mp.parallel(max_cpu_secs=-2)
    with pytest.raises(TypeError, match="timeout"):
        mp.parallel(timeout="soon")
    with pytest.raises(ValueError, match="name"):
        mp.parallel(name="")
    with pytest.raises(TypeError):
        mp.parallel(42)
    with pytest.raises(ValueError, match="timeout"):
        square(1, timeout=float("nan"))
    assert mp.get_active_task_count() == 0


# -- per-call options, and a function's own parameters (API.md §3) ----------------


@mp.parallel
def fetch(url, timeout=5):
    return url, timeout


@mp.parallel
def takes_anything(**kwargs):
    return kwargs


class Scaler:
    def __init__(self, k):
        self.k = k

    @mp.parallel(timeout=20)
    def scale(self, x):
        return self.k * x


def test_a_functions_own_timeout_is_never_consumed():
    h = fetch("u", timeout=9)
    assert h.get(timeout=30) == ("u", 9)
    assert h.get_timeout() is None
    assert takes_anything(timeout=3).get(timeout=30) == {"timeout": 3}
    # Its task's timeout comes from options().
    h = fetch.options(timeout=2.5)("u", timeout=1)
    assert h.get_timeout() == 2.5
    assert h.get(timeout=30) == ("u", 1)


def test_options_make_a_variant_and_leave_the_function_alone():
    h = with_options.options(timeout=1.5, name="again")(1)
    assert h.get_timeout() == 1.5 and h.get_name() == "again"
    assert h.get(timeout=30)[1] == 1
    unchanged, unlimited = with_options(1), with_options.options(timeout=0)(1)
    assert unchanged.get_timeout() == 5.0 and unlimited.get_timeout() is None
    unchanged.get(timeout=30)
    unlimited.get(timeout=30)
    forked = with_options.options(fork=True)
    assert forked(2).get(timeout=30)[1] == 2
    assert forked.__wrapped__ is with_options.__wrapped__
    with pytest.raises(TypeError, match="unknown option"):
        with_options.options(timeot=1)
    with pytest.raises(ValueError):
        with_options.options(timeout=-1)
    with pytest.raises(TypeError, match="fork must be a bool"):
        with_options.options(fork="yes")
    with pytest.raises(TypeError, match="unknown option"):
        with_options.options(pool=True)


def test_a_decorated_method_binds_to_its_instance():
    h = Scaler(3).scale(2)
    assert h.get_timeout() == 20
    assert h.get(timeout=30) == 6
    assert Scaler(4).scale.options(fork=True)(5).get(timeout=30) == 20
