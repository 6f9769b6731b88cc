"""The dispatcher: one background thread that owns the core Loop.

Callers only append to a queue and wake the thread. The thread forks
queued calls while fewer than the concurrency limit run, sleeps in the
loop with the GIL released, and resolves handles as tasks end. When
nothing is queued or running it exits and closes its loop, so an idle host
has exactly the threads and fds it had before; the next call starts a new
one.

Pooled calls (_prefork.py) go from the caller straight into the loop's
queue of pooled calls, which the C side feeds to the pool's servers while
the thread sleeps; the thread forks servers when the loop asks for them
and resolves handles from their answers. Servers are tasks of the loop, so
while there are any the thread stays, asleep, ready for the next pooled
call (starting a thread would cost more than the call); shutdown() and
interpreter exit end it, and the servers with it. Pooled and forked calls
share the concurrency limit: servers busy plus forked tasks running stay
within it.

Cancelling and reading pids go straight to the C Task, which is safe from
any thread (see ext-python/src/mvpy.h); a pooled call's handle gets a
_prefork.Request instead.
"""
from __future__ import annotations

import atexit
import collections
import logging
import math
import os
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Set

from . import _config, _core, _prefork
from .errors import ShutdownError, TaskError
from .handle import AsyncHandle, check_wait_timeout, wait_event

log = logging.getLogger("multiverse")

# Beyond kill_grace, how long a kill may take to be confirmed.
_KILL_MARGIN = 5.0
# How long an idle dispatcher keeps its thread and loop for the next call:
# starting them again costs more than a call.
_LINGER = 1.0


class _Call:
    """A call: its handle, the child-side runner and fork options; for a
    pooled call also the pickled request (None: it forks)."""

    __slots__ = ("handle", "runner", "timeout", "mem_kb", "cpu_s", "payload", "request")

    def __init__(self, handle: AsyncHandle, runner: Optional[Callable[[], Any]],
                 timeout: Optional[float], mem_kb: int, cpu_s: int,
                 payload: Optional[bytes] = None) -> None:
        self.handle = handle
        self.runner = runner
        self.timeout = timeout
        self.mem_kb = mem_kb
        self.cpu_s = cpu_s
        self.payload = payload
        self.request: Optional[_prefork.Request] = None


class Dispatcher:
    def __init__(self) -> None:
        self._max = max(1, _core.cpu_count())
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._queue: Deque[_Call] = collections.deque()   # calls that fork
        self._running: Dict[Any, AsyncHandle] = {}   # core Task -> handle
        self._active: Set[AsyncHandle] = set()        # queued, starting or running
        self._thread: Optional[threading.Thread] = None
        self._loop: Any = None
        self._pool = _prefork.Pool(self._lock, self._fork_now)
        self._sleeping = False  # the thread waits in the loop: submit() must wake it
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
                try:
                    self._start_thread_locked()
                except (OSError, RuntimeError, _core.Error) as exc:
                    # No fd for the loop, or no thread left (RLIMIT_NPROC): the
                    # call cannot start, which is a TaskError like any other.
                    err = _start_failed(call.handle, exc)
                    raise err from err.__cause__
            self._active.add(call.handle)
            if call.payload is not None:
                self._pool.submit(self._loop, call)  # wakes the loop itself if needed
                return
            self._queue.append(call)
            # One wakeup per sleep: the thread looks at the whole queue
            # before it sleeps again.
            if self._sleeping:
                self._sleeping = False
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
        pool = self._pool
        idle_since: Optional[float] = None
        try:
            while True:
                linger: Optional[float] = None
                with self._lock:
                    self._sleeping = False
                    batch: List[_Call] = []
                    # The limit as it is now (set_max_concurrent_tasks() may
                    # have changed it while the thread lingered).
                    loop.pool_limits(self._max, self._max, bool(self._queue))
                    # A slot of the limit shared with pool servers, counted
                    # by the loop (take_slot) so neither side overshoots.
                    while self._queue and loop.take_slot():
                        call = self._queue.popleft()
                        if call.handle._begin_start():
                            batch.append(call)
                        else:
                            loop.give_slot()
                    idle = not batch and not self._running and not pool.calls
                    # Idle servers keep the thread, unless shutdown() or exit
                    # wants them gone; without them it lingers a moment.
                    if idle and (not pool.servers or self._closed):
                        now = time.monotonic()
                        idle_since = now if idle_since is None else idle_since
                        if self._closed or now - idle_since >= _LINGER:
                            self._retire_thread_locked()
                            return
                        linger = _LINGER - (now - idle_since)
                    else:
                        idle_since = None
                for call in batch:
                    self._start(loop, call)
                pool.retire(self._max)
                # While forked calls wait, one slot is held back for them,
                # so that pooled calls cannot starve them.
                loop.pool_limits(self._max, self._max, bool(self._queue))
                if self._may_sleep(loop):
                    done, answers, need = loop.wait_events(timeout=linger)
                    for server, request_id, elapsed, blob in answers:  # before ends
                        pool.answer(loop, server, request_id, elapsed, blob)
                    for task in done:
                        self._finish(loop, task, pool)
                    if need:
                        pool.start_servers(loop, need, self._max)
        except BaseException:
            log.exception("multiverse dispatcher failed; its running tasks are cancelled")
            with self._lock:
                queued = list(self._queue)
                self._queue.clear()
                self._retire_thread_locked()
            for call in queued:
                call.handle._resolve_cancelled("the dispatcher failed before the task started")
        finally:
            for task in loop.close():
                self._finish(loop, task, pool)
            pool.fail_all("cancelled: the dispatcher stopped before the task started")

    def _retire_thread_locked(self) -> None:
        """The thread is about to end with its loop: the next submit()
        starts a new thread, with a new loop and pool."""
        if self._thread is threading.current_thread():
            self._thread = None
            self._loop = None
            self._pool = _prefork.Pool(self._lock, self._fork_now)

    def _may_sleep(self, loop: Any) -> bool:
        """False if queued calls can start now; else mark the thread as
        sleeping, so that the next submit() wakes it."""
        with self._lock:
            if self._queue and loop.pool_stats()[4] > 0:
                return False
            self._sleeping = True
            return True

    def _fork_now(self, loop: Any, call: _Call) -> None:
        """A pooled call that has to fork after all: at once, counted in
        the limit even if that is reached (it was counted as a pool call)."""
        loop.take_slot(force=True)
        self._start(loop, call)

    def _start(self, loop: Any, call: _Call) -> None:
        """Fork a call whose slot is taken (take_slot)."""
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
            handle._resolve_error(_start_failed(handle, exc))
            loop.give_slot()
            return
        finally:
            call.runner = None  # the child has its copy; drop the arguments here
        with self._lock:
            self._running[task] = handle
        log.debug("task %r (id %s) started", handle._name, handle._task_id)
        if handle._started(task):
            task.cancel()

    def _finish(self, loop: Any, task: Any, pool: _prefork.Pool) -> None:
        if pool.ended(task):
            return
        with self._lock:
            handle = self._running.pop(task, None)
        if handle is None:
            return
        loop.give_slot()
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
        self._close_pool()
        return finished

    def _close_pool(self) -> None:
        """Kill the pool processes (shutdown(), exit; the shutdown flag is
        set): the thread, which stays for them, wakes up, sees the flag and
        closes its loop."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._loop.wakeup()
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.kill_wait())

    def reset_shutdown(self) -> None:
        with self._lock:
            self._closed = False

    def _cancel_queued(self, why: str) -> None:
        with self._lock:
            queued = list(self._queue)
            self._queue.clear()
            loop, pool = self._loop, self._pool
        for call in queued:
            call.handle._resolve_cancelled(why)
        if loop is not None:
            pool.cancel_queued(loop, why)

    def _snapshot(self) -> List[AsyncHandle]:
        with self._lock:
            return list(self._active)

    def _wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            pending = [h for h in self._snapshot() if not h.is_ready()]
            if not pending:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            wait_event(pending[0]._event, left)

    def at_exit(self) -> None:
        """Interpreter exit: running task trees and pool processes are
        killed, not left behind."""
        try:
            if self._active:
                log.debug("interpreter exit: cancelling %d task(s)", len(self._active))
                self.shutdown(0.0, True)
            else:
                with self._lock:
                    self._closed = True
                self._close_pool()
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


def _start_failed(handle: AsyncHandle, exc: BaseException) -> TaskError:
    """The TaskError of a call whose process could not start (logged)."""
    log.warning("task %r (id %s) could not start: %s", handle._name, handle._task_id, exc)
    # The core's exception class is private: its code name ("MV_EMFILE")
    # becomes the error_type, and it is not chained as the cause.
    private = isinstance(exc, _core.Error)
    err = TaskError("could not start: %s" % exc, task_name=handle._name,
                    task_id=handle._task_id,
                    error_type=getattr(exc, "name", "Error") if private else type(exc).__name__)
    if not private:
        err.__cause__ = exc
    return err


def _log_end(handle: AsyncHandle, report: Dict[str, Any]) -> None:
    status = report["status"]
    name, tid, elapsed = handle._name, handle._task_id, report["elapsed"]
    if status == _core.OK:
        if report["result"][:1] == b"E":
            log.info("task %r (id %s) raised after %.3f s", name, tid, elapsed)
        else:
            log.debug("task %r (id %s) finished in %.3f s", name, tid, elapsed)
    elif status == _core.ECANCELED:
        log.info("task %r (id %s) %s", name, tid, report["message"])
    else:
        log.warning("task %r (id %s): %s", name, tid, report["message"])


DISPATCHER = Dispatcher()
os.register_at_fork(after_in_child=DISPATCHER.after_fork_child)
atexit.register(DISPATCHER.at_exit)
