"""Warm workers: run_worker() through the core's pools of started worker
processes.

The pools are the core's: the loop keeps one per worker name and
workers_path (mv_loop_warm_pool), made on first use and replaced, its old
processes retired, when the configuration or the warm settings differ
from those it was made with. They live in one core loop of their own, the
warm loop, apart from the dispatcher's loop of @parallel tasks: warm
processes outlive every call, while the dispatcher's loop comes and goes
with its thread. There is no thread for it either. A caller waits for its
answer with Loop.wait_task (GIL released): the core lets one waiting
thread drive the loop while the others sleep, and another take over when
it leaves (mv_sched_wait_until). So any number of threads may call warm
workers at once, up to the pool's size in parallel, and a lone caller
pays no thread hand-off.

The core retires a replaced pool at once, killing the calls it is
serving. So that a configure() never fails calls already made, the calls
in flight are counted per worker with the configuration they were made
with, and a call whose configuration would replace their pool (the core
compares them: _core.replaces) waits until they have returned: the old
processes retire once their calls are done.

Pools belong to the process that made them: after os.fork() the child
forgets the parent's loop (without touching its processes) and makes its
own.
"""
from __future__ import annotations

import atexit
import os
import threading
from typing import Any, Dict, List, Optional, Tuple

from . import _core

# How long a wait may sleep before checking for signals (Ctrl-C).
_SLICE = 0.2


class _Flight:
    """The calls in flight to one worker, and the configuration (with its
    version) the first of them was made with."""

    __slots__ = ("version", "cfg", "calls")

    def __init__(self, version: int, cfg: Dict[str, Any]) -> None:
        self.version = version
        self.cfg = cfg
        self.calls = 0


def _acquire(lock: Any) -> Optional[BaseException]:
    """Take `lock` whatever happens: taking it may be interrupted by a
    signal handler that raises (Ctrl-C), and bookkeeping that must happen
    would be skipped. Returns what was raised meanwhile, for the caller to
    raise once it is done."""
    pending: Optional[BaseException] = None
    while True:
        try:
            lock.acquire()
            return pending
        except BaseException as exc:
            pending = exc


class Hub:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._loop: Any = None
        # worker name -> its calls in flight
        self._flights: Dict[str, _Flight] = {}

    # -- calls --------------------------------------------------------------------
    def call(self, name: str, cfg: Dict[str, Any], version: int, data: bytes,
             timeout: Optional[float]) -> Optional[Dict[str, Any]]:
        """Send one request to `name`'s pool for `cfg` (configuration
        `version`) and return its report; None when the core finds the
        worker cold for `cfg`."""
        loop, task = self._submit(name, cfg, version, data, timeout)
        if task is None:
            return None
        try:
            try:
                self._wait(task, loop)
            except BaseException:
                # Ctrl-C while waiting: the warm process serving the request
                # is killed (whole tree) and the call ends once it is gone.
                task.cancel()
                try:
                    self._wait(task, loop)
                except BaseException:
                    pass
                raise
        finally:
            self._done_with(name)
        report: Optional[Dict[str, Any]] = task.report()
        if report is None:  # the loop was closed under the call
            raise RuntimeError("warm pools were closed while the call was waiting")
        return report

    def _submit(self, name: str, cfg: Dict[str, Any], version: int, data: bytes,
                timeout: Optional[float]) -> Tuple[Any, Any]:
        with self._cond:
            # Calls in flight made with another configuration: if this one
            # would replace their pool, the core would kill them, so it
            # waits. Their callers drive the loop meanwhile.
            flight = self._flights.get(name)
            while (flight is not None and flight.version != version
                   and _core.replaces(name, flight.cfg, cfg)):
                self._cond.wait(_SLICE)
                flight = self._flights.get(name)
            if self._loop is None:
                self._loop = _core.Loop()
            loop = self._loop
            task = loop.warm_call(name, data, config=cfg, timeout=timeout)
            if task is not None:
                if flight is None:
                    flight = self._flights[name] = _Flight(version, cfg)
                flight.calls += 1
        return loop, task

    def _done_with(self, name: str) -> None:
        pending = _acquire(self._cond)
        try:
            flight = self._flights[name]
            flight.calls -= 1
            if flight.calls == 0:
                del self._flights[name]
                self._cond.notify_all()
        finally:
            self._cond.release()
        if pending is not None:
            raise pending

    @staticmethod
    def _wait(task: Any, loop: Any) -> None:
        # In slices: a signal handler (Ctrl-C) runs between them.
        while not task.done:
            try:
                loop.wait_task(task, _SLICE)
            except RuntimeError:
                if not loop.closed:
                    raise
                return  # close() ended every request of the loop

    # -- state -------------------------------------------------------------------------
    def close(self) -> None:
        """Retire every pool (shutdown, interpreter exit): calls in flight
        are canceled, idle processes get end of file."""
        with self._cond:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.close()

    def after_fork_child(self) -> None:
        """In a forked child: the parent's pools are not ours."""
        loop = self._loop
        self._reset()
        if loop is not None:
            try:
                loop.forget()
            except RuntimeError:
                pass


def _close_at_exit() -> None:
    try:
        HUB.close()
    except Exception:  # exit must go on whatever happens here
        pass


HUB = Hub()
os.register_at_fork(after_in_child=HUB.after_fork_child)
atexit.register(_close_at_exit)

__all__: List[str] = ["HUB"]
