"""Executor: a concurrent.futures.Executor whose futures are AsyncHandles.

Each submitted call is a task started through parallel.submit(), the path
@parallel calls take, so every containment promise holds per call: a
per-task timeout and cancel() kill the task's whole tree, and a crash
fails only that call's future (the executor never breaks).

`max_workers` bounds how many of this executor's calls run at once, on
top of the package's one concurrency limit (the dispatcher's): the
executor's calls are a Batch, which the core holds back in the loop's one
FIFO (see _dispatch.py). A call beyond the bound is a task like any
other, waiting for its turn; its future is the task's own AsyncHandle.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import threading
import time
import weakref
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple

from .parallel import ParallelFunction, parallel
from .parallel import submit as submit_task
from ._dispatch import DISPATCHER, Batch, keep_parent_state
from .errors import ShutdownError
from .handle import AsyncHandle, check_wait_timeout

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
        task = h._request_cancel()
        if task is not None:
            task.cancel()
    for h in pending:
        h.cancel()


class Executor(concurrent.futures.Executor):
    """A concurrent.futures.Executor that runs each call as a multiverse
    task and returns its AsyncHandle.

    - `max_workers`: how many of this executor's calls run at once (the
      rest wait their turn, first come first served). None: the
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
        max_workers = _check_workers(max_workers)
        self._batch = None if max_workers is None else Batch(max_workers)
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
        """No calls: a new executor's state, and that of one copied into a
        forked child (see _after_fork_in_child())."""
        self._lock = threading.Lock()
        # Futures not yet finished are held by the dispatcher; done ones go
        # when their owner drops them.
        self._futures: "weakref.WeakSet[AsyncHandle]" = weakref.WeakSet()

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
        pool = (fn, False) if self._pool else None
        with self._lock:
            if self._shut:
                raise ShutdownError("cannot schedule new futures after shutdown")
            handle = submit_task(fn, args, kwargs, name=name, timeout=self._timeout,
                                 mem_mb=self._mem_mb, cpu_secs=self._cpu_secs, pool=pool,
                                 batch=self._batch)
            self._futures.add(handle)
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
        """Refuse new calls (ShutdownError). `cancel_futures`: the calls that
        have not started (waiting for their turn) are cancelled. `wait`:
        return once every call of this executor has finished. The package's
        other tasks are not affected (see multiverse.shutdown() for those)."""
        with self._lock:
            self._shut = True
            futures = list(self._futures)
        if cancel_futures:
            # Only those that have not started: one that starts meanwhile
            # runs on (never killed by this).
            for h in futures:
                h._withdraw("cancelled by Executor.shutdown() before it started")
        if wait:
            DISPATCHER.check_may_block("shutdown(wait=True) an Executor")
            for h in futures:
                h.wait()

    def _cancel_everything(self) -> None:
        """Cancel every call of this executor that has not finished: those
        waiting never start, running trees are killed together. The
        executor stays usable (multiverse.joblib's abort_everything)."""
        with self._lock:
            futures = list(self._futures)
        for h in futures:
            h._withdraw("cancelled before it started")
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
