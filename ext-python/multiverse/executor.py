"""Executor: a concurrent.futures.Executor whose futures are AsyncHandles.

Each submitted call is a task started through parallel.submit(), the path
@parallel calls take, so every containment promise holds per call: a
per-task timeout and cancel() kill the task's whole tree, and a crash
fails only that call's future (the executor never breaks).

`max_workers` bounds how many of this executor's calls run at once. The
package has one concurrency limit for everything (the dispatcher's); an
executor's own bound is kept here: a call beyond it is held back in the
executor, its handle already returned, and started when one of the
executor's calls ends. That happens in the ended task's done callback, on
the dispatcher thread, which must never block: starting a task only queues
it with the dispatcher.

A held-back call has no task yet, and parallel.submit() makes the handle
together with the task, so the executor's handle (_ExecutorHandle) is an
AsyncHandle of its own that follows the task's handle once the task
exists: same outcome, pid, elapsed time, and the task's id.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextvars
import inspect
import os
import threading
import time
import weakref
from typing import Any, Callable, Deque, Iterable, Iterator, List, Optional, Set, Tuple

from .parallel import ParallelFunction, parallel
from .parallel import submit as submit_task
from ._dispatch import DISPATCHER, keep_parent_state
from .errors import ShutdownError, TaskCancelledError, TaskError
from .handle import DONE, AsyncHandle, check_wait_timeout

__all__ = ["Executor"]


def _probe() -> None:
    """Stands for the submitted functions when the options are checked."""


def _call_with_initializer(initializer: Callable[..., Any], initargs: Tuple[Any, ...],
                           fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Task body when the executor has an initializer: it runs first, in
    the task's process, as it runs in each worker process of a
    ProcessPoolExecutor."""
    initializer(*initargs)
    return fn(*args, **kwargs)


def _run_chunk(fn: Callable[..., Any], chunk: List[Tuple[Any, ...]], /) -> List[Any]:
    """Task body of map(chunksize=n): fn over n argument tuples, in order."""
    out = []
    for args in chunk:
        value = fn(*args)
        if inspect.iscoroutine(value):
            value = asyncio.run(value)
        out.append(value)
    return out


class _Gate:
    """An executor's bound, and the dispatcher as the executor's handles
    see it: the dispatcher's checks, plus slots. A handle takes a slot when
    its task is started and gives it back when it is resolved (retire()),
    which starts the next held-back call."""

    def __init__(self, limit: Optional[int]) -> None:
        self._lock = threading.Lock()
        self._limit = limit  # None: the package's concurrency limit, read each time
        self._queue: Deque[_ExecutorHandle] = collections.deque()
        self._started: Set[_ExecutorHandle] = set()
        self._pumping = False

    def _full_locked(self) -> bool:
        limit = self._limit if self._limit is not None else DISPATCHER.max_concurrent
        return len(self._started) >= limit

    def admit(self, handle: "_ExecutorHandle") -> bool:
        """Take a slot for a new call (True: the caller starts it now) or
        queue it behind the calls already waiting."""
        with self._lock:
            if not self._queue and not self._full_locked():
                self._started.add(handle)
                return True
            self._queue.append(handle)
            return False

    def drain(self) -> List["_ExecutorHandle"]:
        """Every held-back call, removed (shutdown(cancel_futures=True))."""
        with self._lock:
            held = list(self._queue)
            self._queue.clear()
        return held

    def pump(self) -> None:
        """Start held-back calls while slots are free. One thread at a time
        does it; a call made meanwhile (a start that failed resolves its
        handle, which retires it and pumps again) finds the loop running
        and leaves the work to it."""
        with self._lock:
            if self._pumping:
                return
            self._pumping = True
        try:
            while True:
                with self._lock:
                    if not self._queue or self._full_locked():
                        self._pumping = False
                        return
                    handle = self._queue.popleft()
                    self._started.add(handle)
                handle._launch(raise_errors=False)
        except BaseException:
            with self._lock:
                self._pumping = False
            raise

    # -- the dispatcher's interface, as AsyncHandle uses it ----------------------
    def retire(self, handle: AsyncHandle) -> None:
        with self._lock:
            self._started.discard(handle)  # type: ignore[arg-type]
        self.pump()

    def discard(self, handle: AsyncHandle) -> bool:
        with self._lock:
            try:
                self._queue.remove(handle)  # type: ignore[arg-type]
            except ValueError:
                return False
            return True

    def check_may_block(self, what: str) -> None:
        DISPATCHER.check_may_block(what)

    def in_dispatcher_thread(self) -> bool:
        return DISPATCHER.in_dispatcher_thread()

    def kill_wait(self) -> float:
        return DISPATCHER.kill_wait()


class _ExecutorHandle(AsyncHandle):
    """The handle an Executor returns. Until its task is started it is held
    by the executor (cancel() removes it there); then it follows the
    task's own handle: it is resolved with that handle's outcome, and its
    id, timeout, pid, elapsed time and running() are the task's."""

    def __init__(self, name: str, timeout: Optional[float], gate: _Gate,
                 start: Callable[[], AsyncHandle]) -> None:
        # A provisional id: the task's replaces it when the task is started.
        super().__init__(name, os.urandom(8).hex(), timeout, gate)
        self._gate = gate
        self._start: Optional[Callable[[], AsyncHandle]] = start
        self._inner: Optional[AsyncHandle] = None

    def _launch(self, raise_errors: bool) -> None:
        """Start the task (its slot is taken). With raise_errors (submit()
        starting it in the caller's thread) a failure to start is raised to
        the caller; otherwise it resolves this handle."""
        failure: Optional[TaskError] = None
        raised: Optional[BaseException] = None
        inner: Optional[AsyncHandle] = None
        with self._lock:
            start, self._start = self._start, None
            if self._phase == DONE or start is None:
                return  # cancelled while it was held: its slot is already back
            if self._cancel_requested:
                failure = TaskCancelledError("cancelled before it started",
                                             task_name=self._name, task_id=self._task_id)
            else:
                # Under the lock, so that cancel() sees either no task and a
                # start that will not happen, or the started task.
                try:
                    inner = start()
                except ShutdownError as exc:
                    failure = TaskCancelledError(
                        "multiverse was shut down before the task started",
                        task_name=self._name, task_id=self._task_id)
                    raised = exc
                except TaskError as exc:
                    failure = raised = exc
                except Exception as exc:
                    failure = TaskError("could not start: %s: %s" % (type(exc).__name__, exc),
                                        task_name=self._name, task_id=self._task_id,
                                        error_type=type(exc).__name__)
                    failure.__cause__ = exc
                    raised = exc
                else:
                    self._inner = inner
                    self._task_id = inner.get_task_id()
                    self._timeout = inner.get_timeout()
        if inner is not None:
            inner.add_done_callback(self._follow)
            return
        assert failure is not None
        self._resolve_error(failure)  # gives the slot back
        if raise_errors and raised is not None:
            raise raised

    def _follow(self, inner: AsyncHandle) -> None:
        """The task's handle is resolved: so is this one, the same way (the
        result stays pickled until someone asks for it)."""
        if not inner.done():
            return
        self._resolve(inner._blob, inner._error, inner._elapsed or 0.0, inner._pid)
        with self._lock:
            self._inner = None  # the outcome is here now; the task's handle can go

    def cancel(self) -> bool:
        """As AsyncHandle.cancel(): a held-back call never starts, a running
        task's tree is killed (and this returns once it is gone)."""
        with self._lock:
            if self._phase == DONE:
                return self._cancelled
            self._cancel_requested = True
            inner = self._inner
        if inner is None:
            # Held back, or being started by a thread that will see the
            # request: either way no task will run.
            self._gate.discard(self)
            self._resolve_cancelled("cancelled before it started")
            return True
        inner.cancel()
        self._follow(inner)
        if not self.done():
            return True  # on the dispatcher thread: the kill is under way
        return self._cancelled

    def _send_cancel(self) -> None:
        """Ask for the cancellation without waiting for it (several trees
        are then killed together; cancel() waits)."""
        with self._lock:
            if self._phase == DONE:
                return
            self._cancel_requested = True
            inner = self._inner
        if inner is not None:
            task = inner._request_cancel()
            if task is not None:
                task.cancel()

    def running(self) -> bool:
        inner = self._inner
        return inner is not None and inner.running()

    def elapsed_time(self) -> float:
        inner = self._inner
        if self._elapsed is None and inner is not None:
            return inner.elapsed_time()
        return super().elapsed_time()

    @property
    def pid(self) -> Optional[int]:
        inner = self._inner
        if self._pid is None and inner is not None:
            return inner.pid
        return self._pid

    def __repr__(self) -> str:
        inner = self._inner
        phase = self._phase if inner is None or self._phase == DONE else inner._phase
        return "<AsyncHandle %r id=%s %s>" % (self._name, self._task_id, phase)


def _check_workers(max_workers: Optional[int]) -> Optional[int]:
    if max_workers is None:
        return None
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise TypeError("max_workers must be an int or None, not %s" % type(max_workers).__name__)
    if max_workers <= 0:
        raise ValueError("max_workers must be greater than 0")
    return max_workers


def _cancel_all(handles: Iterable[AsyncHandle]) -> None:
    """Cancel them all: every kill is sent before any is waited for, so the
    trees die together."""
    pending = [h for h in handles if not h.done()]
    for h in pending:
        if isinstance(h, _ExecutorHandle):
            h._send_cancel()
    for h in pending:
        h.cancel()


class Executor(concurrent.futures.Executor):
    """A concurrent.futures.Executor that runs each call as a multiverse
    task and returns its AsyncHandle.

    - `max_workers`: how many of this executor's calls run at once (the
      rest wait in the executor, first come first served). None: the
      package's concurrency limit (set_max_concurrent_tasks()), which
      bounds all tasks together anyway.
    - `timeout`: seconds each call may run (0: none; None: the configured
      default); past it its tree is killed and its future raises
      TaskTimeoutError.
    - `fork`: False (default) runs calls in the warm pool processes, as
      @parallel does (the call pickled; see parallel()); True forks a
      process per call (closures and module state as they are at the
      call, nothing pickled on the way in).
    - `name` (task name; default: the function's), `max_memory_mb`,
      `max_cpu_secs`: as for @parallel.
    - `initializer(*initargs)` runs in each call's process before the call
      (every call has a process of its own, or shares a pool process).

    cancel() of a running future kills its tree; a crashed call fails only
    its future. Submitting after shutdown() raises ShutdownError (a
    RuntimeError).
    """

    def __init__(self, max_workers: Optional[int] = None, timeout: Optional[float] = None,
                 fork: bool = False, *, name: Optional[str] = None,
                 max_memory_mb: Optional[float] = None, max_cpu_secs: Optional[float] = None,
                 initializer: Optional[Callable[..., Any]] = None,
                 initargs: Tuple[Any, ...] = ()) -> None:
        self._max_workers = _check_workers(max_workers)
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be callable")
        # The options are checked by @parallel itself.
        checked = parallel(timeout=timeout, name=name, max_memory_mb=max_memory_mb,
                           max_cpu_secs=max_cpu_secs, fork=fork)(_probe).parallel_options
        self._timeout: Optional[float] = checked["timeout"]
        self._name = name
        self._mem_mb: Optional[float] = checked["max_memory_mb"]
        self._cpu_secs: Optional[float] = checked["max_cpu_secs"]
        self._pool = not checked["fork"]
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._shut = False
        self._start_afresh()
        _EXECUTORS.add(self)

    def _start_afresh(self) -> None:
        """No calls, no slots taken: a new executor's state, and that of one
        copied into a forked child (see _after_fork_in_child())."""
        self._gate = _Gate(self._max_workers)
        self._lock = threading.Lock()
        # Futures not yet finished are held by the executor (held back) or
        # the dispatcher (started); done ones go when their owner drops them.
        self._futures: "weakref.WeakSet[_ExecutorHandle]" = weakref.WeakSet()

    # -- submitting --------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> AsyncHandle:
        """Run fn(*args, **kwargs) as a task; returns its AsyncHandle at once."""
        if not callable(fn):
            raise TypeError("submit() needs a callable, got %s" % type(fn).__name__)
        if isinstance(fn, ParallelFunction):
            fn = fn.__wrapped__  # its body: the executor's options apply
        name = self._name or getattr(fn, "__name__", None) or type(fn).__name__
        return self._submit(fn, args, kwargs, name)

    def _submit(self, fn: Callable[..., Any], args: Tuple[Any, ...], kwargs: Any,
                name: str) -> AsyncHandle:
        if self._initializer is not None:
            args = (self._initializer, self._initargs, fn) + args
            fn = _call_with_initializer
        # The submitter's context variables, wherever the task is started
        # from (a held-back call starts on the dispatcher thread).
        ctx = contextvars.copy_context()
        pool = (fn, False) if self._pool else None
        timeout, mem_mb, cpu_secs = self._timeout, self._mem_mb, self._cpu_secs

        def start() -> AsyncHandle:
            return ctx.run(submit_task, fn, args, kwargs, name=name, timeout=timeout,
                           mem_mb=mem_mb, cpu_secs=cpu_secs, pool=pool)

        handle = _ExecutorHandle(name, timeout, self._gate, start)
        with self._lock:
            if self._shut:
                raise ShutdownError("cannot schedule new futures after shutdown")
            self._futures.add(handle)
            now = self._gate.admit(handle)
        if now:
            handle._launch(raise_errors=True)
        return handle

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any],
            timeout: Optional[float] = None, chunksize: int = 1) -> Iterator[Any]:
        """fn over the iterables' items (as the builtin map), results in
        order. Every call is submitted at once; `timeout` is the deadline
        of the whole iteration, counted from this call (TimeoutError). With
        `chunksize` n, each task runs n calls. When iteration stops early
        (an error, the deadline, the iterator dropped), the calls not yet
        returned are cancelled and their trees killed."""
        if isinstance(chunksize, bool) or not isinstance(chunksize, int):
            raise TypeError("chunksize must be an int, not %s" % type(chunksize).__name__)
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        timeout = check_wait_timeout(timeout)
        end = None if timeout is None else time.monotonic() + timeout
        if isinstance(fn, ParallelFunction):
            fn = fn.__wrapped__
        name = self._name or getattr(fn, "__name__", None) or type(fn).__name__
        items = zip(*iterables)
        if chunksize == 1:
            fs = [self._submit(fn, args, {}, name) for args in items]
        else:
            fs = []
            while True:
                chunk = [args for _, args in zip(range(chunksize), items)]
                if not chunk:
                    break
                fs.append(self._submit(_run_chunk, (fn, chunk), {}, name))
        return _results(fs, end, timeout, chunksize > 1)

    # -- shutting down -------------------------------------------------------------------
    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new calls (ShutdownError). `cancel_futures`: the calls still
        held back by max_workers are cancelled. `wait`: return once every call of
        this executor has finished. The package's other tasks are not
        affected (see multiverse.shutdown() for those)."""
        with self._lock:
            self._shut = True
            futures = list(self._futures)
        if cancel_futures:
            # The calls held back by max_workers. Those already started
            # (holding the executor's slots) run: cancelling one of them
            # would race with its fork, and might kill it.
            for h in self._gate.drain():
                h._resolve_cancelled("cancelled by Executor.shutdown() before it started")
        if wait:
            DISPATCHER.check_may_block("shutdown(wait=True) an Executor")
            for h in futures:
                h.wait()

    def _cancel_everything(self) -> None:
        """Cancel every call of this executor that has not finished: the
        held-back ones never start, running trees are killed together.
        The executor stays usable (multiverse.joblib's abort_everything)."""
        held = self._gate.drain()
        with self._lock:
            futures = list(self._futures)
        for h in held:
            h._resolve_cancelled("cancelled before it started")
        _cancel_all(futures)


_EXECUTORS: "weakref.WeakSet[Executor]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A child (a forked task using an executor of its parent's module, or
    # os.fork()) has none of its parent's tasks: the slots they hold in a
    # copied executor would never be given back, and its locks may have
    # been held by another thread at the fork. Its executors start afresh;
    # the parent's handles are not usable there, as for any task.
    for ex in list(_EXECUTORS):
        keep_parent_state(ex._futures)  # not freed here (see keep_parent_state)
        ex._start_afresh()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _results(fs: List[AsyncHandle], end: Optional[float], timeout: Optional[float],
             chunked: bool) -> Iterator[Any]:
    """map()'s iterator. A future is dropped as soon as its result is
    taken, and no result is kept here past its yield."""
    try:
        fs.reverse()
        while fs:
            if chunked:
                chunk = _take(fs, end, timeout)
                chunk.reverse()
                while chunk:
                    yield chunk.pop()
            else:
                yield _take(fs, end, timeout)
    finally:
        _cancel_all(fs)


def _take(fs: List[AsyncHandle], end: Optional[float], timeout: Optional[float]) -> Any:
    """The result of the last future, popped once it is there (on failure
    it stays, for the caller to cancel)."""
    h = fs[-1]
    left = None if end is None else max(0.0, end - time.monotonic())
    if not h.wait(left):
        raise TimeoutError("map() did not finish within %s s" % timeout)
    value = h.result()
    fs.pop()
    return value
