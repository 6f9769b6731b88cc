"""multiverse: supervised process workers and fork-based parallel tasks.

    import multiverse as mp

    @mp.parallel(timeout=5.0)
    def work(x):
        return x * x

    print(work(7).get())

Each call of a `@parallel` function runs in a process forked from the
caller, under a supervisor that enforces its timeout and kills its whole
process tree. `Executor` is a concurrent.futures.Executor over the same
tasks (`multiverse.joblib` a joblib backend). `run_worker()` runs worker
programs (Python, Node, PHP, executables) by name; `multiverse.worker` is
the SDK for writing them.
Events are logged to the `multiverse` logger.
"""
import logging as _logging

from . import _core, worker
from ._dispatch import DISPATCHER as _DISPATCHER
from ._config import config, configure
from .errors import (
    ShutdownError,
    TaskCancelledError,
    TaskCrashedError,
    TaskError,
    TaskTimeoutError,
    WorkerError,
    WorkerTimeoutError,
)
from .executor import Executor
from .handle import AsyncHandle
from .parallel import as_completed, gather, imap, imap_unordered, map, parallel
from .workers import clear, run_worker, running

__version__: str = _core.CORE_VERSION

__all__ = [
    "parallel",
    "AsyncHandle",
    "Executor",
    "TaskError",
    "TaskTimeoutError",
    "TaskCancelledError",
    "TaskCrashedError",
    "ShutdownError",
    "WorkerError",
    "WorkerTimeoutError",
    "shutdown",
    "reset_shutdown",
    "get_active_task_count",
    "set_max_concurrent_tasks",
    "get_max_concurrent_tasks",
    "map",
    "imap",
    "imap_unordered",
    "as_completed",
    "gather",
    "run_worker",
    "configure",
    "config",
    "running",
    "clear",
    "worker",
]

_logging.getLogger("multiverse").addHandler(_logging.NullHandler())


def shutdown(timeout_secs: float = 30.0, cancel_pending: bool = False) -> bool:
    """Stop accepting tasks (ShutdownError) and wait up to `timeout_secs`
    for queued and running ones; with `cancel_pending`, queued tasks are
    cancelled instead of run. What is still running at the deadline is
    killed. True when everything finished within the timeout."""
    return _DISPATCHER.shutdown(timeout_secs, bool(cancel_pending))


def reset_shutdown() -> None:
    """Accept tasks again after shutdown()."""
    _DISPATCHER.reset_shutdown()


def get_active_task_count() -> int:
    """Tasks queued or running."""
    return _DISPATCHER.active_count()


def set_max_concurrent_tasks(n: int) -> None:
    """How many tasks run at once (default: the CPUs this process may use);
    further calls queue."""
    _DISPATCHER.set_max_concurrent(n)


def get_max_concurrent_tasks() -> int:
    return _DISPATCHER.max_concurrent
