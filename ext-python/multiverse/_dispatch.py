"""The dispatcher: one background thread that owns the core Loop.

Callers only append to a queue and wake the thread. The thread forks
queued calls while fewer than the concurrency limit run, sleeps in
Loop.wait() with the GIL released, and resolves handles as tasks end.
When nothing is queued or running it closes its loop and exits, so an
idle host has exactly the threads and fds it had before; the next call
starts a new one.

Cancelling and reading pids go straight to the C Task, which is safe from
any thread (see ext-python/src/mvpy.h).
"""
from __future__ import annotations

import atexit
import collections
import logging
import math
import os
import threading
from typing import Any, Callable, Deque, Dict, List, Optional, Set

from . import _config, _core
from .errors import ShutdownError, TaskError
from .handle import AsyncHandle, check_wait_timeout, wait_event

log = logging.getLogger("multiverse")

# Beyond kill_grace, how long a kill may take to be confirmed.
_KILL_MARGIN = 5.0


class _Call:
    """A queued call: its handle, the child-side runner and fork options."""

    __slots__ = ("handle", "runner", "timeout", "mem_kb", "cpu_s")

    def __init__(self, handle: AsyncHandle, runner: Optional[Callable[[], Any]],
                 timeout: Optional[float], mem_kb: int, cpu_s: int) -> None:
        self.handle = handle
        self.runner = runner
        self.timeout = timeout
        self.mem_kb = mem_kb
        self.cpu_s = cpu_s


class Dispatcher:
    def __init__(self) -> None:
        self._max = max(1, _core.cpu_count())
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._queue: Deque[_Call] = collections.deque()
        self._running: Dict[Any, AsyncHandle] = {}   # core Task -> handle
        self._active: Set[AsyncHandle] = set()        # queued, starting or running
        self._thread: Optional[threading.Thread] = None
        self._loop: Any = None
        self._closed = False
        self._tls = threading.local()

    # -- submission -------------------------------------------------------------
    def submit(self, call: _Call) -> None:
        with self._lock:
            if self._closed:
                raise ShutdownError(
                    "multiverse was shut down; call reset_shutdown() to accept tasks again"
                )
            if self._thread is None:
                self._start_thread_locked()
            self._queue.append(call)
            self._active.add(call.handle)
            self._loop.wakeup()

    def _start_thread_locked(self) -> None:
        # Both may fail (no fds, no threads left): then nothing is queued and
        # the caller gets the exception.
        loop = _core.Loop()
        thread = threading.Thread(target=self._run, args=(loop,), name="multiverse-dispatcher",
                                  daemon=True)
        try:
            thread.start()
        except BaseException:
            loop.close()
            raise
        # The thread waits for this lock before it looks at the queue.
        self._loop, self._thread = loop, thread

    def discard(self, handle: AsyncHandle) -> bool:
        """Remove a queued call; False if the dispatcher already took it."""
        with self._lock:
            for call in self._queue:
                if call.handle is handle:
                    self._queue.remove(call)
                    return True
        return False

    # -- settings and state -------------------------------------------------------
    @property
    def max_concurrent(self) -> int:
        return self._max

    def set_max_concurrent(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("n must be an int, not %s" % type(n).__name__)
        if n < 1:
            raise ValueError("n must be >= 1, got %d" % n)
        with self._lock:
            self._max = n
            if self._thread is not None:
                self._loop.wakeup()

    def active_count(self) -> int:
        with self._lock:
            return len(self._active)

    def in_dispatcher_thread(self) -> bool:
        return getattr(self._tls, "inside", False)

    def check_may_block(self, what: str) -> None:
        if self.in_dispatcher_thread():
            raise RuntimeError(
                "cannot %s from a done callback: it runs on the dispatcher thread, "
                "which would wait for itself" % what
            )

    def kill_wait(self) -> float:
        return _config.kill_grace() + _KILL_MARGIN

    # -- the thread ------------------------------------------------------------------
    def _run(self, loop: Any) -> None:
        self._tls.inside = True
        try:
            while True:
                with self._lock:
                    batch: List[_Call] = []
                    while self._queue and len(self._running) + len(batch) < self._max:
                        call = self._queue.popleft()
                        if call.handle._begin_start():
                            batch.append(call)
                    if not batch and not self._running:
                        if self._thread is threading.current_thread():
                            self._thread = None
                            self._loop = None
                        return
                for call in batch:
                    self._start(loop, call)
                if self._running:
                    for task in loop.wait():
                        self._finish(task)
        except BaseException:
            log.exception("multiverse dispatcher failed; its running tasks are cancelled")
            with self._lock:
                queued = list(self._queue)
                self._queue.clear()
                if self._thread is threading.current_thread():
                    self._thread = None
                    self._loop = None
            for call in queued:
                call.handle._resolve_cancelled("the dispatcher failed before the task started")
        finally:
            for task in loop.close():
                self._finish(task)

    def _start(self, loop: Any, call: _Call) -> None:
        handle = call.handle
        try:
            task = loop.fork_call(
                call.runner,
                name=handle._name,
                timeout=call.timeout,
                max_memory_kb=call.mem_kb,
                max_cpu_secs=call.cpu_s,
                config=_config.current(),
                task_id=handle._task_id,
            )
        except Exception as exc:
            log.warning("task %r (id %s) could not start: %s", handle._name, handle._task_id, exc)
            err = TaskError("could not start: %s" % exc, task_name=handle._name,
                            task_id=handle._task_id, error_type=type(exc).__name__)
            err.__cause__ = exc
            handle._resolve_error(err)
            return
        finally:
            call.runner = None  # the child has its copy; drop the arguments here
        with self._lock:
            self._running[task] = handle
        log.debug("task %r (id %s) started", handle._name, handle._task_id)
        if handle._started(task):
            task.cancel()

    def _finish(self, task: Any) -> None:
        with self._lock:
            handle = self._running.pop(task, None)
        if handle is None:
            return
        report = task.report()
        if report is None:  # forgotten: cannot happen in the owner process
            handle._resolve_cancelled("the task was lost")
        else:
            _log_end(handle, report)
            handle._finish(report)

    def retire(self, handle: AsyncHandle) -> None:
        """A handle is resolved: it no longer counts as active. Called by the
        handle before it wakes its waiters, so a caller that got a result
        never sees the task still counted."""
        with self._lock:
            self._active.discard(handle)

    # -- shutdown -------------------------------------------------------------------------
    def shutdown(self, timeout_secs: float, cancel_pending: bool) -> bool:
        checked = check_wait_timeout(timeout_secs, "timeout_secs")
        if checked is None or math.isinf(checked):
            raise ValueError("timeout_secs must be a finite number of seconds")
        self.check_may_block("shutdown()")
        with self._lock:
            self._closed = True
        if cancel_pending:
            self._cancel_queued("cancelled by shutdown() before it started")
        finished = self._wait_idle(checked)
        if not finished:
            self._cancel_queued("cancelled by shutdown() before it started")
            for handle in self._snapshot():
                task = handle._request_cancel()
                if task is not None:
                    task.cancel()
            self._wait_idle(self.kill_wait())
        return finished

    def reset_shutdown(self) -> None:
        with self._lock:
            self._closed = False

    def _cancel_queued(self, why: str) -> None:
        with self._lock:
            queued = list(self._queue)
            self._queue.clear()
        for call in queued:
            call.handle._resolve_cancelled(why)

    def _snapshot(self) -> List[AsyncHandle]:
        with self._lock:
            return list(self._active)

    def _wait_idle(self, timeout: float) -> bool:
        deadline = _now() + timeout
        while True:
            pending = [h for h in self._snapshot() if not h.is_ready()]
            if not pending:
                return True
            left = deadline - _now()
            if left <= 0:
                return False
            wait_event(pending[0]._event, left)

    def at_exit(self) -> None:
        """Interpreter exit: running task trees are killed, not left behind."""
        if not self._active:
            return
        log.debug("interpreter exit: cancelling %d task(s)", len(self._active))
        try:
            self.shutdown(0.0, True)
        except Exception:  # exit must go on whatever happens here
            log.exception("multiverse could not cancel its tasks at exit")

    def after_fork_child(self) -> None:
        """In any forked child (ours or os.fork()): the parent's tasks are
        not ours. Drop the copy of its loop and start from scratch."""
        loop = self._loop
        self._reset()
        _config.reset_in_child()
        if loop is not None:
            try:
                loop.forget()
            except RuntimeError:
                pass


def _now() -> float:
    import time

    return time.monotonic()


def _log_end(handle: AsyncHandle, report: Dict[str, Any]) -> None:
    status = report["status_name"]
    name, tid, elapsed = handle._name, handle._task_id, report["elapsed"]
    if status == "MV_OK":
        if report["result"][:1] == b"E":
            log.info("task %r (id %s) raised after %.3f s", name, tid, elapsed)
        else:
            log.debug("task %r (id %s) finished in %.3f s", name, tid, elapsed)
    elif status == "MV_ECANCELED":
        log.info("task %r (id %s) %s", name, tid, report["message"])
    else:
        log.warning("task %r (id %s): %s", name, tid, report["message"])


DISPATCHER = Dispatcher()
os.register_at_fork(after_in_child=DISPATCHER.after_fork_child)
atexit.register(DISPATCHER.at_exit)
