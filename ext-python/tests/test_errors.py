"""Task errors: remote exceptions, crashes, limits, timeouts, pickling."""
import ctypes
import os
import pickle
import signal
import sys
import time

import pytest

import multiverse as mp


class NeedsTwoArgs(Exception):
    """Pickles, but cannot be rebuilt from its args (a common mistake)."""

    def __init__(self, a, b):
        super().__init__("%s/%s" % (a, b))


def fails_deep():
    def inner():
        raise ValueError("bad input 42")

    inner()


def test_task_error_fields_and_cause():
    h = mp.parallel(name="validator")(fails_deep)()
    with pytest.raises(mp.TaskError) as info:
        h.get(timeout=30)
    err = info.value
    # Both a TaskError and the remote type (API.md §3).
    assert isinstance(err, mp.TaskError) and isinstance(err, ValueError)
    assert type(err).__name__ == "TaskError(ValueError)"
    assert err.task_name == "validator"
    assert err.task_id == h.get_task_id()
    assert err.error_type == "ValueError"
    assert err.error_message == "bad input 42"
    assert err.elapsed_time > 0
    assert "in inner" in err.traceback and "in fails_deep" in err.traceback
    assert isinstance(err.__cause__, ValueError)
    assert err.__cause__.args == ("bad input 42",)
    text = str(err)
    for part in ("validator", h.get_task_id(), "ValueError", "bad input 42", " s"):
        assert part in text, (part, text)


def test_remote_traceback_is_shown_with_the_error():
    import traceback

    with pytest.raises(mp.TaskError) as info:
        mp.parallel(fails_deep)().get(timeout=30)
    shown = "".join(traceback.format_exception(info.value))
    assert "Remote traceback" in shown and "in inner" in shown


def test_exception_that_cannot_be_rebuilt_keeps_its_text():
    def raise_it():
        raise NeedsTwoArgs(1, 2)

    with pytest.raises(mp.TaskError) as info:
        mp.parallel(raise_it)().get(timeout=30)
    err = info.value
    assert err.error_type == "NeedsTwoArgs"
    assert err.error_message == "1/2"
    assert err.__cause__ is None
    assert "NeedsTwoArgs" in err.traceback


def test_unpicklable_result_says_so():
    import threading

    with pytest.raises(mp.TaskError) as info:
        mp.parallel(lambda: threading.Lock())().get(timeout=30)
    assert "could not be pickled" in info.value.error_message
    assert "lock" in info.value.error_message.lower()


def test_result_that_cannot_be_unpickled_here():
    def make():
        # A class that only exists in the child.
        import types

        mod = types.ModuleType("only_in_child")
        sys.modules["only_in_child"] = mod
        exec("class Thing:\n    pass\n", mod.__dict__)
        mod.Thing.__module__ = "only_in_child"
        return mod.Thing()

    with pytest.raises(mp.TaskError) as info:
        mp.parallel(make)().get(timeout=30)
    assert "could not be unpickled" in str(info.value)


class ExitsWhenUnpickled:
    """A value whose reconstruction calls sys.exit(): bytes from a task must
    never end the host."""

    def __reduce__(self):
        return (sys.exit, (5,))


class RaisesExitsWhenUnpickled(Exception):
    def __reduce__(self):
        return (sys.exit, (6,))


@pytest.mark.parametrize("fork", [False, True])
def test_a_result_or_error_that_exits_when_unpickled_is_a_task_error(fork):
    with pytest.raises(mp.TaskError) as info:
        mp.parallel(fork=fork)(ExitsWhenUnpickled)().get(timeout=30)
    assert "could not be unpickled" in str(info.value)
    assert info.value.error_type == "SystemExit"

    def raise_it():
        raise RaisesExitsWhenUnpickled("boom")

    with pytest.raises(mp.TaskError) as info:
        mp.parallel(fork=fork)(raise_it)().get(timeout=30)
    assert info.value.error_type == "RaisesExitsWhenUnpickled"
    assert "boom" in str(info.value)


def test_system_exit_in_a_task_is_an_error():
    with pytest.raises(mp.TaskError) as info:
        mp.parallel(lambda: sys.exit(4))().get(timeout=30)
    assert info.value.error_type == "SystemExit"


def _segfault():
    import faulthandler

    faulthandler.disable()  # pytest's dump would go to the terminal
    ctypes.string_at(0)


def test_segfault_is_a_crash():
    with pytest.raises(mp.TaskCrashedError) as info:
        mp.parallel(_segfault)().get(timeout=30)
    err = info.value
    assert err.signal == signal.SIGSEGV
    assert err.exit_code is None
    assert "SIGSEGV" in str(err)
    assert isinstance(err, mp.TaskError)


def test_os_exit_is_a_crash():
    with pytest.raises(mp.TaskCrashedError) as info:
        mp.parallel(lambda: os._exit(3))().get(timeout=30)
    assert info.value.exit_code == 3
    assert info.value.signal is None
    assert "code 3" in str(info.value)


def test_exit_zero_without_result_is_a_crash():
    with pytest.raises(mp.TaskCrashedError) as info:
        mp.parallel(lambda: os._exit(0))().get(timeout=30)
    assert info.value.exit_code == 0
    assert "without" in str(info.value)


def test_memory_limit_kills_the_task():
    @mp.parallel(max_memory_mb=150)
    def hog():
        block = bytearray(400 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(30)

    with pytest.raises(mp.TaskCrashedError) as info:
        hog().get(timeout=60)
    assert info.value.limit == "memory"
    assert "memory" in str(info.value)


def test_cpu_limit_kills_the_task():
    @mp.parallel(max_cpu_secs=1)
    def spin():
        while True:
            pass

    start = time.monotonic()
    with pytest.raises(mp.TaskCrashedError) as info:
        spin().get(timeout=60)
    assert info.value.limit == "cpu"
    assert time.monotonic() - start < 20


def test_oom_kill_by_sigkill_is_a_crash():
    # What the kernel's OOM killer does, without exhausting the test host.
    with pytest.raises(mp.TaskCrashedError) as info:
        mp.parallel(lambda: os.kill(os.getpid(), signal.SIGKILL))().get(timeout=30)
    assert info.value.signal == signal.SIGKILL


def test_timeout_error_fields():
    h = mp.parallel(name="slowpoke", timeout=0.3)(time.sleep)(30)
    with pytest.raises(mp.TaskTimeoutError) as info:
        h.get(timeout=30)
    err = info.value
    assert isinstance(err, mp.TaskError)
    assert err.timeout == 0.3
    assert err.task_name == "slowpoke"
    assert err.task_id == h.get_task_id()
    assert 0.25 <= err.elapsed_time < 10
    assert "timed out" in str(err) and "slowpoke" in str(err)


def test_errors_pickle_with_their_fields():
    err = mp.TaskCrashedError("boom", task_name="t", task_id="abc", elapsed_time=1.5,
                              exit_code=3, signal=None, limit=None, error_type="TaskCrashedError")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.task_name, copy.task_id, copy.elapsed_time, copy.exit_code) == ("t", "abc", 1.5, 3)
    assert str(copy) == str(err)
    werr = mp.WorkerTimeoutError("late", worker="w", timeout=2.0, exit_code=None, signal=9)
    wcopy = pickle.loads(pickle.dumps(werr))
    assert (wcopy.worker, wcopy.timeout, wcopy.signal) == ("w", 2.0, 9)


def test_a_task_error_raised_again_in_a_nested_task_comes_back_whole():
    @mp.parallel
    def outer():
        return mp.parallel(name="inner")(lambda: 1 / 0)().get(timeout=30)

    with pytest.raises(mp.TaskError) as info:
        outer().get(timeout=60)
    cause = info.value.__cause__
    assert isinstance(cause, mp.TaskError)
    assert cause.task_name == "inner" and cause.error_type == "ZeroDivisionError"


def test_error_class_hierarchy():
    assert issubclass(mp.TaskTimeoutError, mp.TaskError)
    assert issubclass(mp.TaskCancelledError, mp.TaskError)
    assert issubclass(mp.TaskCrashedError, mp.TaskError)
    assert issubclass(mp.ShutdownError, RuntimeError)
    assert issubclass(mp.WorkerTimeoutError, mp.WorkerError)
    assert issubclass(mp.TaskError, Exception) and issubclass(mp.WorkerError, Exception)


def square(x):
    return x * x


def test_a_task_that_cannot_start_does_not_chain_the_private_core_error(monkeypatch):
    from multiverse import _core

    def no_loop():
        exc = _core.Error("too many open files")
        exc.code, exc.name = -6, "MV_EMFILE"
        raise exc

    mp.shutdown()        # no dispatcher thread: the next call makes a loop
    mp.reset_shutdown()
    monkeypatch.setattr(_core, "Loop", no_loop)
    with pytest.raises(mp.TaskError) as info:
        mp.parallel(square)(3)
    err = info.value
    assert "could not start: too many open files" in str(err)
    assert err.error_type == "MV_EMFILE"
    # The core's exception class is private: neither the cause nor the
    # context shown under the traceback.
    assert err.__cause__ is None and err.__suppress_context__
    monkeypatch.undo()
    assert mp.parallel(square)(3).get(timeout=60) == 9


# -- the standard library's exceptions catch ours (API.md §3) ---------------------


class Custom(LookupError):
    pass


def raise_custom():
    raise Custom("custom 7")


def raise_key():
    raise KeyError("missing")


def raise_unicode():
    b"\xff".decode("utf-8")


def test_remote_exception_is_caught_by_its_own_type():
    with pytest.raises(KeyError) as info:
        mp.parallel(raise_key)().get(timeout=30)
    assert isinstance(info.value, mp.TaskError)
    assert info.value.error_type == "KeyError"
    # A user-defined class of an importable module, and its bases.
    with pytest.raises(Custom) as info2:
        mp.parallel(raise_custom)().get(timeout=30)
    assert isinstance(info2.value, LookupError) and isinstance(info2.value, mp.TaskError)
    assert "custom 7" in str(info2.value)
    # One class per remote type.
    with pytest.raises(Custom) as info3:
        mp.parallel(raise_custom)().get(timeout=30)
    assert type(info3.value) is type(info2.value)


def test_a_type_that_cannot_be_a_base_gives_a_plain_task_error():
    # UnicodeDecodeError needs five arguments of its own to be made.
    with pytest.raises(mp.TaskError) as info:
        mp.parallel(raise_unicode)().get(timeout=30)
    assert type(info.value) is mp.TaskError
    assert info.value.error_type == "UnicodeDecodeError"
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_remote_typed_errors_pickle_and_keep_both_types():
    with pytest.raises(KeyError) as info:
        mp.parallel(raise_key)().get(timeout=30)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value)
    assert isinstance(again, KeyError) and isinstance(again, mp.TaskError)
    assert again.task_id == info.value.task_id and again.error_message == info.value.error_message


def test_timeout_is_a_timeout_error_and_counts_as_cancelled():
    import concurrent.futures

    h = mp.parallel(timeout=0.3)(time.sleep)(30)
    with pytest.raises(TimeoutError) as info:
        h.get(timeout=30)
    assert isinstance(info.value, mp.TaskTimeoutError)
    assert h.is_cancelled()  # it was stopped
    assert issubclass(mp.TaskCancelledError, concurrent.futures.CancelledError)
    assert issubclass(mp.TaskTimeoutError, TimeoutError)
    err = pickle.loads(pickle.dumps(info.value))
    assert isinstance(err, TimeoutError) and err.timeout == info.value.timeout


def test_cancelled_is_a_cancelled_error():
    import concurrent.futures

    h = mp.parallel(time.sleep)(30)
    time.sleep(0.2)
    assert h.cancel()
    with pytest.raises(concurrent.futures.CancelledError) as info:
        h.get(timeout=30)
    assert isinstance(info.value, mp.TaskCancelledError)
