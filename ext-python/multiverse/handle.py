"""AsyncHandle: the caller's view of one task.

A handle is created queued, started by the dispatcher thread when a slot
is free, and resolved exactly once. Every wait is done on threading
primitives in short slices, so Ctrl-C (KeyboardInterrupt) interrupts it
and the GIL is free for other threads meanwhile. The result is unpickled
lazily, in the thread that asks for it.
"""
from __future__ import annotations

import concurrent.futures
import logging
import math
import sys
import threading
import time
from concurrent.futures import _base as _futures
from typing import Any, Callable, Dict, Generator, List, Optional, Protocol

from . import _outcome
from .errors import TaskCancelledError, TaskError, TaskTimeoutError

log = logging.getLogger("multiverse")

_SLICE = 0.2  # seconds: how long a wait may sleep before checking signals

QUEUED, STARTING, RUNNING, DONE = "queued", "starting", "running", "done"


def check_wait_timeout(timeout: Optional[float], what: str = "timeout") -> Optional[float]:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("%s must be a number of seconds or None, not %s"
                        % (what, type(timeout).__name__))
    if math.isnan(timeout) or timeout < 0:
        raise ValueError("%s must be >= 0, got %r" % (what, timeout))
    return float(timeout)


class _Flag(Protocol):
    def is_set(self) -> bool: ...

    def wait(self, timeout: Optional[float] = None) -> bool: ...


class _Resolved:
    """Whether a handle is resolved, kept on the Future's own condition:
    one Condition per handle rather than a second one inside a
    threading.Event (a handle is made per call)."""

    __slots__ = ("_cond", "_set")

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set_locked(self) -> None:
        """With the condition held; the caller notifies."""
        self._set = True

    def wait(self, timeout: Optional[float] = None) -> bool:
        # May return early (the condition is notified for other reasons
        # too): wait_event() waits again for what is left.
        with self._cond:
            if not self._set:
                self._cond.wait(timeout)
            return self._set


def wait_event(event: _Flag, timeout: Optional[float]) -> bool:
    """event.wait() in slices: signal handlers (Ctrl-C) run between them."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = _SLICE if deadline is None else min(_SLICE, deadline - time.monotonic())
        if left <= 0:
            return event.is_set()
        if event.wait(left):
            return True


class AsyncHandle(concurrent.futures.Future):  # type: ignore[type-arg]
    """The result of a call to a `@parallel` function, available later.

    It is also a concurrent.futures.Future, so the standard library's
    wait(), as_completed() and asyncio.wrap_future() take it: the Future's
    own state (its condition, state and waiters, which those functions
    read) follows the task's, set when the task starts and when it ends.
    result()/exception() are get() under the Future's names; cancel() kills
    a running task's tree (a plain Future cannot be cancelled once it
    runs); cancelled() is true for a cancelled task, while is_cancelled()
    also counts a timed-out one (it was stopped too)."""

    def __init__(self, name: str, task_id: str, timeout: Optional[float], dispatcher: Any) -> None:
        super().__init__()
        self._name = name
        self._task_id = task_id
        self._timeout = timeout
        self._dispatcher = dispatcher
        self._lock = threading.Lock()
        future: Any = self  # the Future's private state (not in typeshed)
        self._event = _Resolved(future._condition)
        self._phase = QUEUED
        self._task: Any = None
        self._pid: Optional[int] = None
        self._t_start: Optional[float] = None
        self._elapsed: Optional[float] = None
        self._blob: Optional[memoryview] = None
        self._value: Any = None
        self._error: Optional[TaskError] = None
        self._cancel_requested = False
        self._cancelled = False
        self._on_done: List[Callable[["AsyncHandle"], Any]] = []
        self._metadata: Dict[str, Any] = {}

    # -- results ------------------------------------------------------------
    def get(self, timeout: Optional[float] = None) -> Any:
        """The task's return value; raises its TaskError. `timeout` bounds
        only this wait: past it, TimeoutError is raised and the task keeps
        running."""
        timeout = check_wait_timeout(timeout)
        if not self._event.is_set():
            self._dispatcher.check_may_block("get() a task that is not finished")
            if not wait_event(self._event, timeout):
                raise TimeoutError(
                    "task %r (id %s) did not finish within %s s (it keeps running)"
                    % (self._name, self._task_id, timeout)
                )
        return self._value_or_raise()

    def try_get(self) -> Any:
        """The result if the task has finished (raising its error if it
        failed), else None."""
        if not self._event.is_set():
            return None
        return self._value_or_raise()

    def _value_or_raise(self) -> Any:
        with self._lock:
            if self._blob is not None:
                self._value, err = _outcome.unpickle_value(
                    self._blob, self._name, self._task_id, self._elapsed or 0.0
                )
                self._blob = None
                if err is not None:
                    self._error = err
            error, value = self._error, self._value
        if error is not None:
            raise error
        return value

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until the task has finished; False if `timeout` passed first."""
        timeout = check_wait_timeout(timeout)
        if self._event.is_set():
            return True
        self._dispatcher.check_may_block("wait() for a task that is not finished")
        return wait_event(self._event, timeout)

    def is_ready(self) -> bool:
        return self._event.is_set()

    # -- cancellation ---------------------------------------------------------
    def cancel(self) -> bool:
        """Cancel the task: a queued task never starts, a running task's
        whole process tree is killed (SIGTERM, kill_grace, SIGKILL) and this
        returns once it is gone. False if the task had already finished.
        Called on a thread running an asyncio event loop (asyncio cancels a
        wrap_future() of this handle there), or from a done callback, it
        returns True at once and the kill goes on without blocking it."""
        with self._lock:
            state = self._phase
            if state == DONE:
                return self._cancelled
            self._cancel_requested = True
            task = self._task
        # A task waiting for its turn never starts (its end resolves this);
        # one being forked right now is killed as soon as its process exists.
        if task is not None:
            task.cancel()
        if self._dispatcher.in_dispatcher_thread() or _in_event_loop():
            return True  # neither the dispatcher nor an event loop may block
        wait_event(self._event, self._dispatcher.kill_wait())
        return self._cancelled

    def is_cancelled(self) -> bool:
        return self._cancelled

    # -- concurrent.futures.Future ------------------------------------------------
    def result(self, timeout: Optional[float] = None) -> Any:
        return self.get(timeout)

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        """The task's error (None if it succeeded); waits like result()."""
        try:
            self.get(timeout)
        except TaskError as exc:
            return exc
        return None

    def done(self) -> bool:
        return self._event.is_set()

    def running(self) -> bool:
        if self._phase != RUNNING:
            return False
        # A pooled call is handed to the core at once; it may still wait
        # there for its turn (a batch's, an Executor's max_workers).
        task = self._task
        return task is None or not task.queued

    def cancelled(self) -> bool:
        return self._event.is_set() and isinstance(self._error, TaskCancelledError)

    def set_running_or_notify_cancel(self) -> bool:
        raise RuntimeError("an AsyncHandle is run by multiverse, not by an executor")

    def set_result(self, result: Any) -> None:
        raise RuntimeError("an AsyncHandle gets its result from its task")

    def set_exception(self, exception: Optional[BaseException]) -> None:
        raise RuntimeError("an AsyncHandle gets its result from its task")

    # -- information ------------------------------------------------------------
    def get_task_id(self) -> str:
        return self._task_id

    def get_name(self) -> str:
        return self._name

    def get_timeout(self) -> Optional[float]:
        """The task's timeout in seconds, or None for no timeout."""
        return self._timeout

    def elapsed_time(self) -> float:
        """Seconds the task has run (0 while queued; final once finished)."""
        if self._elapsed is not None:
            return self._elapsed
        start = self._t_start
        return 0.0 if start is None else time.monotonic() - start

    @property
    def pid(self) -> Optional[int]:
        """The task process's pid, None until it is known."""
        if self._pid is None:
            task = self._task
            if task is not None:
                self._pid = task.pid
        return self._pid

    def set_metadata(self, key: str, value: Any) -> None:
        with self._lock:
            self._metadata[key] = value

    def get_metadata(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._metadata.get(key, default)

    def get_all_metadata(self) -> Dict[str, Any]:
        with self._lock:
            return dict(self._metadata)

    def add_done_callback(self, fn: Callable[["AsyncHandle"], Any]) -> None:
        """Call fn(handle) once the task has finished: at once if it already
        has, else on the dispatcher thread (keep it short; it must not wait
        for other tasks)."""
        with self._lock:
            if self._phase != DONE:
                self._on_done.append(fn)
                return
        self._run_callback(fn)

    def __await__(self) -> Generator[Any, None, Any]:
        """`await handle`: suspends the coroutine, never the event loop."""
        if not self._event.is_set():
            import asyncio

            loop = asyncio.get_running_loop()
            future = loop.create_future()

            def wake(_handle: "AsyncHandle") -> None:
                try:
                    loop.call_soon_threadsafe(_set_done, future)
                except RuntimeError:
                    pass  # the event loop is closed: nobody is waiting any more

            self.add_done_callback(wake)
            yield from future.__await__()
        return self._value_or_raise()

    def __repr__(self) -> str:
        return "<AsyncHandle %r id=%s %s>" % (self._name, self._task_id, self._phase)

    # -- used by the dispatcher ---------------------------------------------------
    def _begin_start(self) -> bool:
        with self._lock:
            if self._phase != QUEUED:
                return False
            self._phase = STARTING
            return True

    def _request_cancel(self) -> Any:
        """Mark for cancellation (honoured if it is just starting); returns
        the running core task, if any, for the caller to kill."""
        with self._lock:
            if self._phase == DONE:
                return None
            self._cancel_requested = True
            return self._task

    def _withdraw(self, why: str) -> bool:
        """Cancel it only if it has not started (waiting for its turn in the
        core): True if it never runs. One that starts meanwhile runs on,
        untouched."""
        with self._lock:
            if self._phase == DONE:
                return False
            task = self._task
        if task is not None and task.withdraw():
            # Its end comes through the loop, and finds it resolved.
            self._resolve_cancelled(why)
            return True
        return False

    def _reserved(self, task: Any) -> bool:
        """Record the core task of a call waiting for its turn (cancel()
        cancels it there); True if a cancel arrived meanwhile."""
        with self._lock:
            self._task = task
            return self._cancel_requested

    def _started(self, task: Any) -> bool:
        """Record the running task; True if a cancel arrived meanwhile."""
        with self._lock:
            self._task = task
            self._phase = RUNNING
            self._t_start = time.monotonic()
            cancel = self._cancel_requested
        # The Future's private state, which wait() and as_completed() read
        # (typeshed does not declare it).
        future: Any = self
        with future._condition:
            if future._state == _futures.PENDING:
                future._state = _futures.RUNNING
        return cancel

    def _finish(self, report: Dict[str, Any]) -> None:
        blob, error = _outcome.task_outcome(report, self._name, self._task_id)
        pid = report["pid"] if report["pid"] > 0 else None
        self._resolve(blob, error, report["elapsed"], pid)

    def _finish_blob(self, blob: bytes, elapsed: float, pid: Optional[int]) -> None:
        """Resolve with a pool process's answer (same blob as a forked task's)."""
        common = _outcome.task_fields(self._name, self._task_id, elapsed)
        value, error = _outcome.blob_outcome(blob, common)
        self._resolve(value, error, elapsed, pid)

    def _resolve_cancelled(self, why: str) -> None:
        err = TaskCancelledError(why, task_name=self._name, task_id=self._task_id)
        self._resolve(None, err, 0.0, None)

    def _resolve_error(self, error: TaskError) -> None:
        self._resolve(None, error, 0.0, None)

    def _resolve(self, blob: Optional[memoryview], error: Optional[TaskError],
                 elapsed: float, pid: Optional[int]) -> None:
        with self._lock:
            if self._phase == DONE:
                return
            self._phase = DONE
            self._blob = blob
            self._error = error
            self._elapsed = float(elapsed)
            if pid is not None:
                self._pid = pid
            self._task = None
            # A timed-out task was stopped too (API.md §3).
            self._cancelled = isinstance(error, (TaskCancelledError, TaskTimeoutError))
            callbacks, self._on_done = self._on_done, []
        self._dispatcher.retire(self)
        # The Future's side, for wait()/as_completed() and their waiters.
        future: Any = self
        with future._condition:
            cancelled = isinstance(error, TaskCancelledError)
            future._state = _futures.CANCELLED_AND_NOTIFIED if cancelled else _futures.FINISHED
            future._exception = error
            for waiter in future._waiters:
                if cancelled:
                    waiter.add_cancelled(self)
                elif error is not None:
                    waiter.add_exception(self)
                else:
                    waiter.add_result(self)
            self._event.set_locked()
            future._condition.notify_all()
        for fn in callbacks:
            self._run_callback(fn)

    def _run_callback(self, fn: Callable[["AsyncHandle"], Any]) -> None:
        try:
            fn(self)
        except Exception:
            log.exception("done callback %r of task %r (id %s) raised", fn, self._name,
                          self._task_id)


def _in_event_loop() -> bool:
    """Whether this thread is running an asyncio event loop (asyncio is not
    imported for the question)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio._get_running_loop() is not None


def _set_done(future: Any) -> None:
    if not future.done():
        future.set_result(None)
