"""Celery tasks whose bodies run contained: `ContainedTask`.

    from celery import Celery
    from multiverse.celery import ContainedTask

    app = Celery("proj", broker="redis://127.0.0.1:6379/0")

    @app.task(base=ContainedTask, time_limit=30, soft_time_limit=25)
    def render(doc_id):
        subprocess.run(["libreoffice", "--convert-to", "pdf", ...])

Celery's own time limits act on the pool process that ran the task, never
on the processes the task started. A ContainedTask runs its body in a
multiverse task instead: a process forked from the Celery process for
this call (`mp.Executor(fork=True)`: the task object, its arguments and
the module state reach it through fork(), nothing is pickled on the way
in; the return value or the exception is pickled back). So:

- `time_limit` is the task's timeout: past it the body's whole process
  tree (grandchildren that called setsid() included) is killed, SIGTERM
  then SIGKILL after kill_grace, and the task fails with Celery's
  `TimeLimitExceeded`. It holds under every pool, solo and threads too,
  where Celery enforces no limit at all. Under prefork Celery's pool also
  kills its pool process at the same moment; whichever acts first, the
  tree is gone (the pool process's death kills it) and the result is
  `TimeLimitExceeded`.
- `soft_time_limit`: SIGUSR1 is sent to the body's process (only to it,
  as Celery signals only its pool process), where it raises Celery's
  `SoftTimeLimitExceeded`; the body may catch it and clean up before the
  hard limit. Its own children are not signalled. (Under prefork, Celery's
  own soft limit, raised in the pool process, is passed on the same way,
  once.)
- Whatever way the body ends, the processes it left behind are killed.
  When the Celery process running the body dies (SIGKILL, OOM), the tree
  dies within about a second. When a prefork worker dies, Debian's Celery
  kills its pool processes (PR_SET_PDEATHSIG); where a pool process
  outlives its worker, the task notices within 0.1 s, kills the tree and
  ends that process without storing a result (it would race with the
  redelivered run). With `acks_late=True` the message is redelivered with
  nothing of its first run alive; add `reject_on_worker_lost=True` to
  have Celery requeue it at once when only the pool process died.
- Exceptions: the body's exception is raised again in the Celery process
  with its own type (so `AsyncResult.result` has that type and
  `autoretry_for`, `throws`, `Retry` work as usual); its cause is a
  `RemoteTraceback` holding the body's traceback, so Celery's stored
  `AsyncResult.traceback` shows where the body raised. An exception that
  cannot travel back (it does not pickle) is raised as mp.TaskError with
  the same text. A body that crashed (signal, os._exit, a memory or CPU
  limit) fails with mp.TaskCrashedError; a tree killed by mp.clear() with
  mp.TaskCancelledError.
- The body is registered (mp.running(), mp.clear()) under the task's name
  with what a registry name cannot hold made '_' (`tasks.render` ->
  `tasks_render`).
- In the body, `self.request` and `current_task` are the Celery
  process's; the app's broker connection pools are reset as Celery resets
  them in every process it forks (app.on_after_fork is sent), so the body
  may send tasks.

Limits resolve as Celery resolves them: per call
(`apply_async(time_limit=...)`), else the task's, else the app's
`task_time_limit` / `task_soft_time_limit`; with no hard limit,
mp.configure(timeout=...) applies as to any task. Task options
`max_memory_mb` and `max_cpu_secs` (as for `@mp.parallel`) bound the
body's memory and CPU time.

Importing this module registers two remote control commands on every
Celery app: `celery -A proj control multiverse_clear [worker]` runs
mp.clear() on each worker's machine (the registry is per machine: that is
how a fleet is cleared), `celery -A proj inspect multiverse_running`
lists each machine's running trees.

Importing `multiverse` never imports Celery; importing this module does
(an ImportError naming the package to install when it is missing).
"""
from __future__ import annotations

import logging
import os
import re
import signal
import time
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

try:
    import celery  # type: ignore[import]
    from celery.exceptions import (  # type: ignore[import]
        SoftTimeLimitExceeded,
        TimeLimitExceeded,
    )
    from celery.signals import worker_process_init  # type: ignore[import]
    from celery.worker.control import (  # type: ignore[import]
        control_command,
        inspect_command,
    )
except ImportError as _exc:  # pragma: no cover - exercised without celery installed
    raise ImportError(
        "multiverse.celery needs Celery, which is not importable (%s): install it "
        "(Debian: apt-get install python3-celery; or pip install celery)" % _exc,
        name="celery") from _exc

from .errors import TaskCancelledError, TaskCrashedError, TaskError, TaskTimeoutError
from .executor import Executor
from .handle import AsyncHandle
from .workers import clear, running

__all__ = ["ContainedTask", "RemoteTraceback"]

log = logging.getLogger("multiverse")

# How often the Celery process, while the body runs, checks the soft limit
# and whether its worker is still there.
_POLL = 0.1

# In a prefork pool process: the pid of the worker that forked it (the
# process is orphaned when that changes). None elsewhere (solo, threads,
# the worker itself), where the body's host is the worker.
_pool_parent: Optional[int] = None


@worker_process_init.connect  # type: ignore[misc]
def _note_pool_parent(**_kwargs: Any) -> None:
    global _pool_parent
    _pool_parent = os.getppid()


class RemoteTraceback(Exception):
    """The body's traceback as text: set as the cause of the exception a
    ContainedTask raises again, so that the traceback Celery formats and
    stores shows where the body raised (the idiom of the standard
    library's process pools)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return '\n"""\n%s"""' % self.tb


class ContainedTask(celery.Task):  # type: ignore[misc]
    """A Celery task base class running each call's body in a contained
    multiverse task: `@app.task(base=ContainedTask, time_limit=30)`.

    See the module's documentation for what holds; in short, `time_limit`
    kills the body's whole process tree, `soft_time_limit` raises
    SoftTimeLimitExceeded in the body, and results and exceptions come back
    as Celery expects. Extra task options: `max_memory_mb`, `max_cpu_secs`.
    """

    #: Resident memory limit of the body's tree in MiB (None: none).
    max_memory_mb: Optional[float] = None
    #: CPU-time limit of the body in seconds (None: none).
    max_cpu_secs: Optional[float] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hard, soft = self._contained_limits()
        request = self.request_stack.top
        # fork=True: the body runs as Celery would run it, in a copy of this
        # process (the task object, its module state, the request), with
        # nothing pickled but the outcome.
        executor = Executor(max_workers=1, timeout=hard, fork=True, name=_task_name(self.name),
                            max_memory_mb=self.max_memory_mb, max_cpu_secs=self.max_cpu_secs)
        try:
            handle: AsyncHandle = executor.submit(_run_body, self, request, args, kwargs)
        finally:
            executor.shutdown(wait=False)  # the call runs on
        try:
            _wait(handle, soft)
            return handle.get()
        except TaskTimeoutError as exc:
            # The limit that applied: Celery's, or mp.configure(timeout=...).
            raise TimeLimitExceeded(exc.timeout or hard) from exc
        except TaskError as exc:
            raise _as_raised(exc) from _remote_cause(exc)
        finally:
            # Whatever ended the wait (the host's own exception, a
            # shutdown), the body's tree does not outlive it.
            if not handle.done():
                handle.cancel()

    def _contained_limits(self) -> Tuple[Optional[float], Optional[float]]:
        """(hard, soft) in seconds, resolved as Celery's worker resolves
        them: the call's own limits, else the task's (which Celery fills
        from the app's configuration)."""
        per_call = getattr(self.request, "timelimit", None) or (None, None)
        hard = per_call[0] or self.time_limit
        soft = per_call[1] or self.soft_time_limit
        return (float(hard) if hard else None), (float(soft) if soft else None)


def _task_name(name: Optional[str]) -> str:
    """The name the body is registered under (mp.running(), mp.clear()):
    the task's, with what a registry name cannot hold made '_'
    (tasks.render -> tasks_render)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name or "") or "celery_task"


def _wait(handle: AsyncHandle, soft: Optional[float]) -> None:
    """Wait for the body, delivering the soft limit to it, and giving up
    the whole process when the pool process's worker has died."""
    start = time.monotonic()
    soft_sent = soft is None
    while True:
        try:
            if handle.wait(_POLL):
                return
            if not soft_sent and soft is not None and time.monotonic() - start >= soft:
                soft_sent = _signal_body(handle, signal.SIGUSR1)
            if _pool_parent is not None and os.getppid() != _pool_parent:
                _orphaned(handle)
        except SoftTimeLimitExceeded:
            # Celery's prefork pool enforces the soft limit too, by raising
            # in this process: pass it on to the body, once.
            if not soft_sent:
                soft_sent = _signal_body(handle, signal.SIGUSR1)


def _signal_body(handle: AsyncHandle, signum: int) -> bool:
    """Send signum to the body's process; False when it has not started."""
    pid = handle.pid
    if pid is None or handle.done():
        return handle.done()
    try:
        # The body's process is reaped by its supervisor only after it has
        # exited, just before the handle is done: a pid reused in that
        # window is the only case this could miss (and it would find a
        # process of the same user's tree that the supervisor now kills).
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
    return True


def _orphaned(handle: AsyncHandle) -> None:
    """The worker that forked this pool process is gone (SIGKILL, OOM): its
    message is still unacknowledged (acks_late) and will be redelivered.
    Kill the body's tree and end this process at once: a result stored now
    would race with the redelivered run."""
    log.warning("Celery worker %s is gone: killing contained task %r (id %s) and leaving",
                _pool_parent, handle.get_name(), handle.get_task_id())
    try:
        handle.cancel()
    finally:
        os._exit(1)


def _as_raised(exc: TaskError) -> BaseException:
    """What the Celery process raises for a failed body: the body's own
    exception when it came back, else the TaskError (crash, cancel, or an
    exception that does not pickle)."""
    if isinstance(exc, (TaskCrashedError, TaskCancelledError)):
        return exc
    original = exc.__cause__
    if isinstance(original, BaseException):
        return original
    return exc


def _remote_cause(exc: TaskError) -> Optional[BaseException]:
    return RemoteTraceback(exc.traceback) if exc.traceback else None


# In the body's process ---------------------------------------------------------------


def _raise_soft_limit(signum: int, frame: Optional[types.FrameType]) -> None:
    raise SoftTimeLimitExceeded()


def _run_body(task: Any, request: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """The body, in its own process forked from the Celery process: the
    task's request and current_task as they were in the Celery process,
    fresh broker connections, SIGUSR1 raising SoftTimeLimitExceeded."""
    signal.signal(signal.SIGUSR1, _raise_soft_limit)
    # The fork copied the app's connection pools; Celery resets them (and
    # sends app.on_after_fork) in every process it forks itself.
    after_fork: Optional[Callable[[], None]] = getattr(task.app, "_after_fork", None)
    if after_fork is not None:
        after_fork()
    # The request stack is thread-local and this process was forked from
    # another thread: put the Celery process's request back on it.
    from celery._state import _task_stack  # type: ignore[import]

    _task_stack.push(task)
    if request is None:  # called directly, outside a worker
        task.push_request(args=args, kwargs=kwargs)
    else:
        task.request_stack.push(request)
    try:
        return task.run(*args, **kwargs)
    finally:
        task.pop_request()
        _task_stack.pop()


# Remote control: acting on each worker's machine ---------------------------------------


@control_command(  # type: ignore[misc]
    args=[("worker", str)],
    signature="[worker]",
)
def multiverse_clear(state: Any, worker: Optional[str] = None) -> Dict[str, Any]:
    """Kill every running multiverse tree of this worker's user and
    namespace on its machine (or those registered as `worker`):
    mp.clear(). It returns once
    they are gone (kill_grace at most), meanwhile this worker consumes
    nothing."""
    try:
        killed = clear(worker)
    except Exception as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc)}
    return {"ok": "killed %d tree(s)" % killed, "killed": killed}


@inspect_command()  # type: ignore[misc]
def multiverse_running(state: Any) -> List[Dict[str, Any]]:
    """The running multiverse trees of this worker's user on its machine:
    mp.running()."""
    return running()
