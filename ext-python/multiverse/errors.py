"""Exceptions raised by multiverse (all importable from `multiverse`).

Task errors come from `@parallel` tasks, worker errors from `run_worker()`.
Every class pickles with its attributes, so a task that re-raises the
error of a nested task sends it back intact.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Type

__all__ = [
    "TaskError",
    "TaskTimeoutError",
    "TaskCancelledError",
    "TaskCrashedError",
    "ShutdownError",
    "WorkerError",
    "WorkerTimeoutError",
]


def _restore(cls: Type[Exception], state: Dict[str, Any]) -> Exception:
    """Unpickle helper: rebuild an error from its attribute dict."""
    obj = cls.__new__(cls)
    Exception.__init__(obj, *state.pop("__args__", ()))
    obj.__dict__.update(state)
    return obj


class _Picklable(Exception):
    # Exception's default pickling only replays args; keyword attributes
    # would be lost, so the whole __dict__ travels instead.
    def __reduce__(self) -> Tuple[Any, ...]:
        state = dict(self.__dict__)
        state["__args__"] = self.args
        return (_restore, (type(self), state))


class TaskError(_Picklable):
    """A task failed: it raised, or its process ended without a result.

    `__cause__` is the original exception when it could be unpickled in
    this process; `traceback` is the remote traceback as text.
    """

    def __init__(
        self,
        error_message: str = "",
        *,
        task_name: str = "",
        task_id: str = "",
        elapsed_time: float = 0.0,
        error_type: Optional[str] = None,
        traceback: str = "",
    ) -> None:
        self.task_name = task_name
        self.task_id = task_id
        self.elapsed_time = float(elapsed_time)
        self.error_type = error_type if error_type is not None else type(self).__name__
        self.error_message = error_message
        self.traceback = traceback
        super().__init__(self._describe())

    def _describe(self) -> str:
        return "task %r (id %s, %.3f s): %s: %s" % (
            self.task_name,
            self.task_id or "-",
            self.elapsed_time,
            self.error_type,
            self.error_message,
        )

    def __str__(self) -> str:
        return self._describe()


class TaskTimeoutError(TaskError):
    """The task ran past its timeout; its whole process tree was killed."""

    def __init__(self, error_message: str = "", *, timeout: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(error_message, **kwargs)


class TaskCancelledError(TaskError):
    """The task was cancelled (cancel(), shutdown(), clear()) before it ended."""


class TaskCrashedError(TaskError):
    """The task's process died without a result: a signal (segfault, OOM
    kill), `os._exit()`, or a memory/CPU limit. `exit_code` is None when a
    signal killed it; `signal` is None when it exited; `limit` names the
    exceeded limit ("memory", "cpu") or is None."""

    def __init__(self, error_message: str = "", *, exit_code: Optional[int] = None,
                 signal: Optional[int] = None, limit: Optional[str] = None,
                 **kwargs: Any) -> None:
        self.exit_code = exit_code
        self.signal = signal
        self.limit = limit
        super().__init__(error_message, **kwargs)


class ShutdownError(RuntimeError):
    """A task was submitted after shutdown() (see reset_shutdown())."""


class WorkerError(_Picklable):
    """A worker run by run_worker() failed.

    The fields are those of PHP's WorkerException: the worker's name and
    driver, exit code (None when killed by a signal), signal (None when it
    exited), bounded stdout/stderr, the remote exception's type, message
    and frames when stderr or the SDK's fail() reported one, and the
    elapsed seconds. `status` is the core's code name ("MV_EEXIT", ...).
    """

    def __init__(
        self,
        message: str = "",
        *,
        worker: str = "",
        driver: str = "",
        exit_code: Optional[int] = None,
        signal: Optional[int] = None,
        stdout: str = "",
        stderr: str = "",
        remote_type: Optional[str] = None,
        remote_message: Optional[str] = None,
        remote_trace: Optional[List[Dict[str, Any]]] = None,
        elapsed: float = 0.0,
        status: str = "",
        task_id: str = "",
    ) -> None:
        self.worker = worker
        self.driver = driver
        self.exit_code = exit_code
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_trace = list(remote_trace or [])
        self.elapsed = float(elapsed)
        self.status = status
        self.task_id = task_id
        super().__init__(message)


class WorkerTimeoutError(WorkerError):
    """The worker ran past its timeout; its whole process tree was killed."""

    def __init__(self, message: str = "", *, timeout: float = 0.0, **kwargs: Any) -> None:
        self.timeout = float(timeout)
        super().__init__(message, **kwargs)
