"""The joblib backend "multiverse": joblib.Parallel's batches as tasks.

    import joblib
    import multiverse.joblib  # registers the backend

    with joblib.parallel_backend("multiverse", n_jobs=4, timeout=60):
        results = joblib.Parallel()(joblib.delayed(f)(x) for x in items)

Each batch of calls joblib dispatches runs as one multiverse task (through
an mp.Executor with max_workers=n_jobs), so the tasks' promises hold: a
batch's leftover processes die with it, a crash fails that batch only,
and when joblib gives up (an error, or Parallel's own timeout) every batch
still running has its whole tree killed. The backend's `timeout` is each
task's, enforced by its supervisor even while nobody waits.

Importing `multiverse` never imports joblib; importing this module does
(ImportError when joblib is not installed).
"""
from __future__ import annotations

import concurrent.futures
import logging
from typing import Any, Callable, Optional

import joblib  # type: ignore[import]
from joblib._parallel_backends import (  # type: ignore[import]
    AutoBatchingMixin,
    ParallelBackendBase,
)

from ._dispatch import DISPATCHER
from ._prefork import by_value, unwrap_by_value
from .executor import Executor
from .handle import AsyncHandle

__all__ = ["MultiverseBackend", "BACKEND_NAME"]

log = logging.getLogger("multiverse")

BACKEND_NAME = "multiverse"


class MultiverseBackend(AutoBatchingMixin, ParallelBackendBase):  # type: ignore[misc]
    """joblib backend running each batch as a multiverse task.

    Options (`joblib.parallel_backend("multiverse", n_jobs, **options)`):
    `timeout` (seconds per task, i.e. per batch: use
    `Parallel(batch_size=1)` to make it per call; 0 = none, None = the
    configured default), `fork` (False, the default: batches run in the
    warm pool processes, pickled; True: a process forked per batch),
    `max_memory_mb`, `max_cpu_secs`: as for mp.Executor.

    n_jobs: how many batches run at once; -1 is the package's concurrency
    limit (set_max_concurrent_tasks(), the usable CPUs by default), -2 one
    less, and so on. n_jobs=1 still runs in a task (one at a time), so the
    timeout and the containment hold. `Parallel(timeout=...)` bounds the
    wait for each batch's result: past it, TimeoutError is raised and the
    running batches are killed.
    """

    supports_timeout = True  # Parallel(timeout=...) is passed to get()
    supports_sharedmem = False
    uses_threads = False

    def __init__(self, timeout: Optional[float] = None, fork: bool = False,
                 max_memory_mb: Optional[float] = None, max_cpu_secs: Optional[float] = None,
                 nesting_level: Optional[int] = None,
                 inner_max_num_threads: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(nesting_level=nesting_level,
                         inner_max_num_threads=inner_max_num_threads, **kwargs)
        self._timeout = timeout
        self._fork = fork
        self._max_memory_mb = max_memory_mb
        self._max_cpu_secs = max_cpu_secs
        # Wrong options fail here, where the backend is named, not at the
        # first Parallel call.
        self._new_executor(None).shutdown(wait=False)
        self._executor: Optional[Executor] = None
        # joblib's completion callbacks run on a thread of their own: they
        # dispatch the next batches, which consumes the caller's iterator
        # (user code, which may block or wait for tasks: never on the
        # dispatcher thread, whose done callbacks must not block).
        self._callbacks: Optional[concurrent.futures.ThreadPoolExecutor] = None

    def _new_executor(self, n_jobs: Optional[int]) -> Executor:
        return Executor(max_workers=n_jobs, timeout=self._timeout, fork=self._fork,
                        max_memory_mb=self._max_memory_mb, max_cpu_secs=self._max_cpu_secs)

    def effective_n_jobs(self, n_jobs: Optional[int]) -> int:
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 in Parallel has no meaning")
        if n_jobs is None:
            return 1
        if n_jobs < 0:
            return max(DISPATCHER.max_concurrent + 1 + n_jobs, 1)
        return n_jobs

    def configure(self, n_jobs: Optional[int] = 1, parallel: Any = None, prefer: Any = None,
                  require: Any = None, **backend_args: Any) -> int:
        # backend_args are the memmapping options of joblib's process
        # backends (max_nbytes, mmap_mode, temp_folder, context...): a
        # forked task shares the parent's memory, there is nothing to map.
        n = self.effective_n_jobs(n_jobs)
        self.parallel = parallel
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self._executor = self._new_executor(n)
        if self._callbacks is None:
            self._callbacks = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="multiverse-joblib")
        return n

    def apply_async(self, func: Callable[[], Any],
                    callback: Optional[Callable[[Any], Any]] = None) -> "_Batch":
        executor, callbacks = self._executor, self._callbacks
        if executor is None or callbacks is None:
            raise RuntimeError("the multiverse joblib backend was not configured")
        if self._fork:
            handle = executor._submit(func, (), {}, _batch_name(func))
        else:
            # A batch holds joblib's calls; pickled by name, a function of
            # __main__ among them would run in the pool process's version
            # of it (as it was when the pool was forked): the batch goes by
            # value, as loky sends it.
            handle = executor._submit(_run_batch, (by_value(func),), {}, _batch_name(func))
        if callback is not None:
            handle.add_done_callback(_CallbackOnThread(callbacks, callback))
        return _Batch(handle)

    def abort_everything(self, ensure_ready: bool = True) -> None:
        if self._executor is not None:
            self._executor._cancel_everything()
        if ensure_ready:
            self.configure(n_jobs=self.parallel.n_jobs, parallel=self.parallel,
                           **self.parallel._backend_args)
        elif self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def terminate(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._callbacks is not None:
            self._callbacks.shutdown(wait=True)
            self._callbacks = None
        self.reset_batch_stats()


def _run_batch(batch: Any) -> Any:
    """Task body of a pooled batch (sent by value; unwrapped when the call
    fell back to a fork, where nothing was pickled)."""
    return unwrap_by_value(batch)()


class _CallbackOnThread:
    """A done callback that hands joblib's callback to the backend's
    callback thread (the dispatcher thread only queues it)."""

    __slots__ = ("pool", "callback")

    def __init__(self, pool: concurrent.futures.ThreadPoolExecutor,
                 callback: Callable[[Any], Any]) -> None:
        self.pool = pool
        self.callback = callback

    def __call__(self, handle: AsyncHandle) -> None:
        self.pool.submit(self._run, handle)

    def _run(self, handle: AsyncHandle) -> None:
        try:
            self.callback(handle)
        except Exception:
            log.exception("joblib's completion callback for task %r (id %s) raised",
                          handle.get_name(), handle.get_task_id())


class _Batch:
    """What joblib waits on for a batch: get(timeout) is the handle's, but
    past Parallel's timeout it says what happens next (joblib then aborts:
    the running batches are killed), not that the task keeps running."""

    __slots__ = ("handle",)

    def __init__(self, handle: AsyncHandle) -> None:
        self.handle = handle

    def get(self, timeout: Optional[float] = None) -> Any:
        if not self.handle.wait(timeout):
            raise TimeoutError("task %r (id %s) did not return within Parallel's timeout of "
                               "%s s: the running batches are killed"
                               % (self.handle.get_name(), self.handle.get_task_id(), timeout))
        return self.handle.result()


def _batch_name(batch: Any) -> str:
    """The task name of a batch: joblib's batches (BatchedCalls) are named
    after the function of their first call."""
    items = getattr(batch, "items", None)
    if items:
        fn = items[0][0]
        return "joblib:" + (getattr(fn, "__name__", None) or type(fn).__name__)
    return "joblib"


joblib.register_parallel_backend(BACKEND_NAME, MultiverseBackend)
