"""The dispatcher: one background thread that owns the core Loop.

A caller gives its call a place in the loop's concurrency limit itself
(Loop.reserve: the core keeps one FIFO for every kind of task); the thread
forks each call when its turn comes (wait_events() lists it, at once if a
slot was free: reserve(notify=True)), sleeps with the GIL released while
the loop's own thread drives the loop, and resolves handles as tasks end.
When nothing is running it exits and closes its loop, so an idle host has
exactly the threads and fds it had before; the next call starts a new one.

Pooled calls (_prefork.py) go from the caller straight to the core's pool
(Loop.pool_call), which gives them to the pool's processes while the
thread sleeps; the thread forks the processes the pool asks for and
resolves handles from the answers. Pool processes are tasks of the loop,
so while there are any the thread stays, asleep, ready for the next pooled
call (starting a thread would cost more than the call); shutdown() and
interpreter exit end it, and the processes with it. Pooled and forked
calls share the loop's concurrency limit (Loop.set_limit).

Calls of a Batch (an Executor's max_workers) also run at most its limit
at once: each loop gets a core batch for it (Loop.batch), made when its
first call arrives, and the core holds the others back in the same FIFO.

Cancelling and reading pids go straight to the C Task, which is safe from
any thread (see ext-python/src/mvpy.h), whatever the kind of call.
"""
from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Set

from . import _config, _core, _prefork
from .errors import ShutdownError, TaskError
from .handle import AsyncHandle, check_wait_timeout, wait_event

log = logging.getLogger("multiverse")

# Beyond kill_grace, how long a kill may take to be confirmed: the core's,
# as registry clears, PHP and the CLI use.
_KILL_MARGIN: float = _core.KILL_MARGIN
# How long an idle dispatcher keeps its thread and loop for the next call:
# starting them again costs more than a call.
_LINGER = 1.0


class Batch:
    """Calls that run at most `limit` at once, on top of the package's
    limit (an Executor's max_workers). The core keeps them back: the
    dispatcher gives each loop a core batch for it."""

    __slots__ = ("limit", "__weakref__")

    def __init__(self, limit: int) -> None:
        self.limit = limit


class _Call:
    """A call: its handle, the child-side runner and fork options, its
    batch (None: none); for a pooled call also the pickled request (None:
    it forks) until it is sent, and `pooled` while the pool runs it."""

    __slots__ = ("handle", "runner", "timeout", "mem_kb", "cpu_s", "payload", "pooled", "batch")

    def __init__(self, handle: AsyncHandle, runner: Optional[Callable[[], Any]],
                 timeout: Optional[float], mem_kb: int, cpu_s: int,
                 payload: Optional[bytes] = None, batch: Optional[Batch] = None) -> None:
        self.handle = handle
        self.runner = runner
        self.timeout = timeout
        self.mem_kb = mem_kb
        self.cpu_s = cpu_s
        self.payload = payload
        self.pooled = payload is not None
        self.batch = batch


class Dispatcher:
    def __init__(self) -> None:
        self._max = max(1, _core.cpu_count())
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._running: Dict[Any, _Call] = {}   # core Task -> call: reserved, forked or pooled
        self._active: Set[AsyncHandle] = set()        # queued, starting or running
        self._thread: Optional[threading.Thread] = None
        # A thread that retired and may still be closing its loop.
        self._closing: Optional[threading.Thread] = None
        self._loop: Any = None
        self._pool = _prefork.Pool()
        # The current loop's core batch of each Batch with calls (gone with
        # the Batch, or with the loop).
        self._batches: "weakref.WeakKeyDictionary[Batch, Any]" = weakref.WeakKeyDictionary()
        self._closed = False
        self._tls = threading.local()

    # -- submission -------------------------------------------------------------
    def submit(self, call: _Call) -> None:
        handle = call.handle
        failure: Optional[BaseException] = None
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
            self._active.add(handle)
            loop = self._loop
            batch = self._core_batch_locked(loop, call.batch)
            if call.payload is not None:
                # Handed to the loop without waiting for it; its thread passes
                # it to the pool.
                task = self._pool.submit(loop, call, self._max, batch)
                self._running[task] = call
                return
            # Its place in the FIFO now, in submission order; the thread
            # forks it when wait_events() says its turn came.
            handle._begin_start()
            try:
                task, _ = loop.reserve(name=handle._name, task_id=handle._task_id, batch=batch,
                                       notify=True)
            except Exception as exc:
                failure = exc
            else:
                self._running[task] = call
        # Resolving takes the lock (retire()).
        if failure is not None:
            handle._resolve_error(_start_failed(handle, failure))
        elif handle._reserved(task):
            task.cancel()  # cancelled meanwhile: it ends before it ran

    def _start_thread_locked(self) -> None:
        # Both may fail (no fds, no threads left): then nothing is queued and
        # the caller gets the exception.
        loop = _core.Loop()
        loop.set_limit(self._max)
        thread = threading.Thread(target=self._run, args=(loop,), name="multiverse-dispatcher",
                                  daemon=True)
        try:
            thread.start()
        except BaseException:
            loop.close()
            raise
        # The thread waits for this lock before it looks at the queue.
        self._loop, self._thread = loop, thread

    def _core_batch_locked(self, loop: Any, batch: Optional[Batch]) -> Any:
        if batch is None:
            return None
        core = self._batches.get(batch)
        if core is None:
            core = self._batches[batch] = loop.batch(batch.limit)
        return core

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
            if self._loop is not None:
                # Raising it starts waiting calls at once; lowering it retires
                # the pool processes beyond it.
                self._loop.set_limit(n)
                self._pool.refresh(self._loop, n)

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
        idle_since: Optional[float] = None
        try:
            while True:
                linger: Optional[float] = None
                with self._lock:
                    # Pool processes of an older configuration retire.
                    self._pool.refresh(loop, self._max)
                    idle = not self._running
                    # Pool processes keep the thread, unless shutdown() or exit
                    # wants them gone; without them it lingers a moment.
                    if idle and (not loop.processes or self._closed):
                        now = time.monotonic()
                        idle_since = now if idle_since is None else idle_since
                        if self._closed or now - idle_since >= _LINGER:
                            self._retire_thread_locked()
                            return
                        linger = _LINGER - (now - idle_since)
                    else:
                        idle_since = None
                # In a method of its own: no call stays referenced by this frame
                # while it sleeps (a finished call's handle and result are its
                # owner's).
                self._handle_events(loop, *loop.wait_events(timeout=linger))
        except BaseException:
            log.exception("multiverse dispatcher failed; its running tasks are cancelled")
            with self._lock:
                self._retire_thread_locked()
        finally:
            # Every task of the loop ends here, canceled if it had not.
            for task in loop.close():
                self._finish(loop, task)

    def _handle_events(self, loop: Any, done: List[Any], starts: List[Any], need: int) -> None:
        """What wait_events() said: tasks that ended, reserved tasks whose
        turn came (fork them), pool processes to fork."""
        for task in done:
            self._finish(loop, task)
        for task in starts:
            with self._lock:
                turn = self._running.get(task)
            if turn is not None:
                self._fork(loop, turn, task)
        if need:
            self._fork_pool(loop, need)

    def _retire_thread_locked(self) -> None:
        """The thread is about to end with its loop: the next submit()
        starts a new thread, with a new loop and pool."""
        if self._thread is threading.current_thread():
            self._closing = self._thread
            self._thread = None
            self._loop = None
            self._pool = _prefork.Pool()
            self._batches = weakref.WeakKeyDictionary()

    def _fork(self, loop: Any, call: _Call, task: Any) -> None:
        """Fork a reserved call whose turn came."""
        handle = call.handle
        try:
            forked = loop.fork_reserved(
                task,
                call.runner,
                timeout=call.timeout,
                max_memory_kb=call.mem_kb,
                max_cpu_secs=call.cpu_s,
                config=_config.current(),
            )
        except Exception as exc:
            # The task has ended with the error: its end finds the handle
            # resolved.
            handle._resolve_error(_start_failed(handle, exc))
            return
        finally:
            call.runner = None  # the child has its copy; drop the arguments here
        if not forked:
            return  # cancelled before its fork: its end resolves the handle
        log.debug("task %r (id %s) started", handle._name, handle._task_id)
        if handle._started(task):
            task.cancel()

    def _fork_now(self, loop: Any, call: _Call) -> None:
        """A pooled call that has to fork after all: at once, counted in
        the limit even if that is reached (it was counted as a pool call)."""
        handle = call.handle
        call.pooled = False
        try:
            with self._lock:
                batch = self._core_batch_locked(loop, call.batch)
            task = loop.fork_call(
                call.runner,
                name=handle._name,
                timeout=call.timeout,
                max_memory_kb=call.mem_kb,
                max_cpu_secs=call.cpu_s,
                config=_config.current(),
                task_id=handle._task_id,
                batch=batch,
            )
        except Exception as exc:
            handle._resolve_error(_start_failed(handle, exc))
            return
        finally:
            call.runner = None
        with self._lock:
            self._running[task] = call
        log.debug("task %r (id %s) started", handle._name, handle._task_id)
        if handle._started(task):
            task.cancel()

    def _fork_pool(self, loop: Any, count: int) -> None:
        """Fork the processes the pool asked for. Each is forked, or fails:
        the pool fails the calls waiting when it has no process left, and
        they fork on their own."""
        for _ in range(count):
            try:
                if not loop.pool_fork(_prefork.serve):
                    return
            except Exception as exc:
                log.warning("cannot fork a pool process: %s", exc)

    def _finish(self, loop: Any, task: Any) -> None:
        with self._lock:
            call = self._running.pop(task, None)
        if call is None:
            return
        if call.pooled:
            self._pool.ended(task, call, loop, self._fork_now)
            return
        handle = call.handle
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
        closes its loop. One that retired by itself may be closing it still:
        it is waited for too."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._loop.wakeup()
            closing = self._closing
        for t in (closing, thread):
            if t is not None and t is not threading.current_thread():
                t.join(self.kill_wait())

    def reset_shutdown(self) -> None:
        with self._lock:
            self._closed = False

    def _cancel_queued(self, why: str) -> None:
        queued: List[AsyncHandle] = []
        with self._lock:
            loop = self._loop
        if loop is not None:
            # Waiting for their turn in the loop: reserved and pooled calls.
            for task in loop.cancel_queued():
                with self._lock:
                    call = self._running.get(task)
                if call is not None:
                    queued.append(call.handle)
        for handle in queued:
            handle._resolve_cancelled(why)

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
        keep_parent_state(self._running, self._active, loop)
        self._reset()
        _config.reset_in_child()
        if loop is not None:
            try:
                loop.forget()
            except RuntimeError:
                pass


# What a forked child copied of its parent's bookkeeping (calls, handles,
# tasks): kept here, never freed. Freeing it would write to every object
# it holds (their reference counts), and the kernel would copy each of
# their pages from the parent; a task forked while a thousand others run
# would pay for all of them before it starts.
_PARENT_STATE: List[Any] = []


def keep_parent_state(*objs: Any) -> None:
    """In a forked child: keep the parent's containers alive, untouched."""
    _PARENT_STATE.append(objs)


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
