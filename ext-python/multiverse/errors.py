"""Exceptions raised by multiverse (all importable from `multiverse`).

Task errors come from `@parallel` tasks, worker errors from `run_worker()`.
Every class pickles with its attributes, so a task that re-raises the
error of a nested task sends it back intact.
"""
from __future__ import annotations

import concurrent.futures
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


class TaskTimeoutError(TaskError, TimeoutError):
    """The task ran past its timeout; its whole process tree was killed.
    Also a TimeoutError, so `except TimeoutError:` written for the standard
    library catches it."""

    def __init__(self, error_message: str = "", *, timeout: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.timeout = timeout
        super().__init__(error_message, **kwargs)


class TaskCancelledError(TaskError, concurrent.futures.CancelledError):
    """The task was cancelled (cancel(), shutdown(), clear()) before it
    ended. Also a concurrent.futures.CancelledError, as a cancelled
    future's result() raises."""


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


# A remote exception's TaskError is also an instance of the remote type ----------

_DUALS: Dict[type, type] = {}


def _restore_dual(original: type, state: Dict[str, Any]) -> Exception:
    """Unpickle helper of a TaskError that is also `original`."""
    return _restore(task_error_class(original), state)


class _RemoteTaskError(TaskError):
    """The base of the classes task_error_class() makes: they pickle as the
    pair (TaskError, original type), since a class made at run time cannot
    be found by name."""

    _original: type = Exception

    def __reduce__(self) -> Tuple[Any, ...]:
        state = dict(self.__dict__)
        state["__args__"] = self.args
        return (_restore_dual, (self._original, state))


def task_error_class(original: Any) -> Type[TaskError]:
    """The class of the TaskError for an exception of type `original`
    raised in a task: a class derived from both TaskError and `original`
    (so `except ValueError:` and `except TaskError:` both catch it), or
    TaskError itself when `original` cannot be a base (not an Exception,
    a final or layout-incompatible class, one that needs arguments of its
    own to be made). One class per type, made once."""
    if not isinstance(original, type) or not issubclass(original, Exception) or \
            issubclass(original, TaskError):
        return TaskError
    cls = _DUALS.get(original)
    if cls is not None:
        return cls
    try:
        made = type("TaskError(%s)" % original.__name__, (_RemoteTaskError, original),
                    {"__module__": __name__, "_original": original,
                     "__doc__": "TaskError raised by a task that raised %s." % original.__name__})
        # It must be constructible the way TaskError is: a type whose
        # __new__/__init__ insists on arguments of its own cannot be.
        made("probe")
    except Exception:
        made = TaskError
    _DUALS[original] = made
    return made


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
