"""The pre-forked pool: task processes forked once, then sent calls.

`@parallel(pool=True)` and `map(..., pool=True)` send picklable calls here
instead of forking one process per call. Each pool process is a persistent
fork task (Loop.fork_call(serve, persistent=True)) under its own
supervisor, listed in the registry like any task (kind "fork", named
POOL_NAME). A request is pickle((target, unwrap, args, kwargs)); the answer
is the same blob a forked task sends (_child.py), or UNPICKLABLE when the
process cannot rebuild the call (a function defined after it was forked):
the host then runs that call in a process of its own.

Host side, the dispatcher (_dispatch.py) queues pooled calls in its loop
(Loop.pool_submit) and forks servers when the loop asks for them; the C
side (ext-python/src/prefork.c) gives calls to idle servers and arms each
call's deadline in the server's supervisor, so it holds even if nobody
waits. A server that dies (timeout, cancel, crash, clear()) fails only the
call it was running, and a new one is forked when calls wait.
"""
from __future__ import annotations

import itertools
import logging
import pickle
import sys
from typing import Any, Callable, Dict, Iterator, Optional

from . import _child, _config, _outcome

log = logging.getLogger("multiverse")

POOL_NAME = "multiverse-pool"
UNPICKLABLE = b"U"


# Child side ------------------------------------------------------------------


def serve(channel: Any) -> None:
    """The loop of a pool process: one call per request, until the host
    closes the channel."""
    _child._reset_signals()
    while True:
        request = channel.recv()
        if request is None:
            return
        try:
            target, unwrap, args, kwargs = pickle.loads(request)
            fn = target.__wrapped__ if unwrap else target
        except BaseException as exc:  # whatever unpickling raised: let the host fork
            channel.send(UNPICKLABLE + _child._safe_str(exc).encode("utf-8", "replace"))
            continue
        del request
        blob = _child.call_blob(fn, args, kwargs)
        del fn, args, kwargs, target
        _flush()
        channel.end_request()  # what the call left behind dies, as after a forked task
        channel.send(blob)
        del blob


def _flush() -> None:
    # A forked task's output is flushed when it exits; a pool process does
    # it after each call instead.
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


# Host side ---------------------------------------------------------------------


def request_payload(fn: Any, unwrap: bool, args: Any, kwargs: Any) -> Optional[bytes]:
    """The pickled call, or None when it cannot be pickled (closures,
    lambdas, local functions, unpicklable arguments): such a call forks."""
    try:
        return pickle.dumps((fn, unwrap, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


class Request:
    """The stand-in for a running task that the AsyncHandle of a pooled
    call gets: cancel() takes the call out of the queue if no server has
    it yet, else kills the server running it (the C side decides, under
    the loop's locks, so it never hits a server running another call)."""

    __slots__ = ("id", "_cancel", "_loop", "_pid")

    def __init__(self, request_id: int, cancel: Callable[["Request"], bool], loop: Any) -> None:
        self.id = request_id
        self._cancel = cancel
        self._loop = loop
        self._pid: Optional[int] = None

    def cancel(self) -> bool:
        return self._cancel(self)

    @property
    def pid(self) -> Optional[int]:
        if self._pid is None:
            try:
                self._pid = self._loop.pool_pid(self.id)
            except RuntimeError:  # the loop is closed: the call is over
                pass
        return self._pid


class Pool:
    """The dispatcher's side of the pool: which calls are out, which
    servers exist. Used on the dispatcher's thread, except submit() and
    cancel(), which any thread calls (submit() with the dispatcher's lock
    held)."""

    def __init__(self, lock: Any, fork: Callable[[Any, Any], None]) -> None:
        self._lock = lock
        self._fork = fork                     # runs a call in a process of its own
        self.calls: Dict[int, Any] = {}       # request id -> _Call, queued or running
        self.servers: Dict[Any, int] = {}     # server Task -> config version (-1: retiring)
        self._ids = itertools.count(1)

    def submit(self, loop: Any, call: Any) -> None:
        request = Request(next(self._ids), self.cancel, loop)
        call.request = request
        self.calls[request.id] = call
        handle = call.handle
        handle._begin_start()
        # For the handle the call runs from now on: cancel() goes through
        # the Request, and the timeout counts from when a server takes it.
        handle._started(request)
        loop.pool_submit(request.id, call.payload, _call_timeout(call) or 0.0)
        call.payload = None

    def cancel(self, request: Request) -> bool:
        result = request._loop.pool_cancel(request.id)
        if result == 1:
            with self._lock:
                call = self.calls.pop(request.id, None)
            if call is not None:
                _cancelled(call, "cancelled before it started")
        return bool(result)

    def answer(self, loop: Any, server: Any, request_id: int, elapsed: float,
               blob: bytes) -> None:
        with self._lock:
            call = self.calls.pop(request_id, None)
        if call is None:
            return  # an answer nobody waits for
        handle = call.handle
        if blob[:1] == UNPICKLABLE:
            # Defined after the pool was forked, or not importable there.
            log.debug("task %r (id %s) cannot run in the pool (%s): it forks", handle._name,
                      handle._task_id, blob[1:].decode("utf-8", "replace"))
            self._fork(loop, call)
            return
        call.runner = None
        handle._finish_blob(blob, elapsed, server.pid)
        if handle._error is not None:
            log.info("task %r (id %s) raised after %.3f s", handle._name, handle._task_id, elapsed)

    def ended(self, server: Any) -> bool:
        """A task of the loop ended: False if it is not a server. A server's
        call in flight fails with the server's end (timeout, cancel,
        crash, clear())."""
        if self.servers.pop(server, None) is None:
            return False
        running = server.pool_request
        if running is None:
            return True  # ended while idle or retiring: replaced when needed
        request_id, elapsed = running
        with self._lock:
            call = self.calls.pop(request_id, None)
        report = server.report()
        if call is None or report is None:
            return True
        call.runner = None
        handle = call.handle
        error = _outcome.pool_error(report, handle._name, handle._task_id, elapsed,
                                    _call_timeout(call))
        log.warning("task %r (id %s): pool process %s %s", handle._name, handle._task_id,
                    report["pid"], error.error_message)
        handle._resolve(None, error, elapsed, report["pid"] if report["pid"] > 0 else None)
        return True

    def start_servers(self, loop: Any, count: int, limit: int) -> None:
        # The loop's count may predate servers forked since: stay within limit.
        live = sum(1 for made in self.servers.values() if made != -1)
        count = min(count, limit - live)
        config = _config.current()
        for _ in range(count):
            try:
                task = loop.fork_call(serve, name=POOL_NAME, config=config, persistent=True)
            except Exception as exc:
                log.warning("cannot fork a pool process: %s", exc)
                if not self.servers:
                    self._fork_queued(loop)
                return
            self.servers[task] = _config.version()

    def _fork_queued(self, loop: Any) -> None:
        # No server at all: the waiting calls fork, each on its own.
        for call in self._unqueue(loop):
            self._fork(loop, call)

    def _unqueue(self, loop: Any) -> Iterator[Any]:
        """Take the calls no server has started out of the loop's queue,
        one at a time."""
        for request_id in list(self.calls):
            if loop.pool_cancel(request_id, kill=False) == 1:
                with self._lock:
                    call = self.calls.pop(request_id, None)
                if call is not None:
                    yield call

    def retire(self, limit: int) -> None:
        """Retire servers made with an older configuration, and those
        beyond `limit`; a busy one finishes its call first."""
        version = _config.version()
        live = 0
        for task, made in list(self.servers.items()):
            if made == -1:
                continue
            if made != version or live >= limit:
                self.servers[task] = -1
                task.close_input()
            else:
                live += 1

    def cancel_queued(self, loop: Any, why: str) -> None:
        for call in self._unqueue(loop):
            _cancelled(call, why)

    def fail_all(self, why: str) -> None:
        """The loop is gone: calls still out never ran."""
        with self._lock:
            calls, self.calls = list(self.calls.values()), {}
        for call in calls:
            _cancelled(call, why)


def _call_timeout(call: Any) -> float:
    """A call's own timeout, else the configured one (0: none)."""
    timeout: Optional[float] = call.timeout
    return timeout if timeout is not None else _config.default_timeout()


def _cancelled(call: Any, why: str) -> None:
    call.runner = None
    call.handle._resolve_cancelled(why)
