"""Warm workers: pools of started worker processes that run_worker() reuses.

All pools of this process live in one core loop of their own, the warm
loop, apart from the dispatcher's loop of @parallel tasks: warm processes
outlive every call, while the dispatcher's loop comes and goes with its
thread. There is no thread for it either. A caller waiting for its answer
drives the loop itself with the GIL released (Loop.wait); callers that
arrive while another one drives wait on a condition, which the driver
notifies whenever requests end, and the first of them takes over driving
when the driver's own answer is in. So any number of threads may call warm
workers at once, up to the pool's size in parallel, and a lone caller
pays no thread hand-off.

Pools belong to the process that made them: after os.fork() the child
forgets the parent's (without touching its processes) and makes its own.
A pool is replaced when the configuration it was made with changes; the
old one retires once its last call has returned.
"""
from __future__ import annotations

import atexit
import os
import threading
from typing import Any, Dict, List, Optional

from . import _core

# How long a wait may sleep before checking for signals (Ctrl-C).
_SLICE = 0.2


class _Entry:
    """One worker's pool and the configuration it was made with."""

    __slots__ = ("pool", "loop", "key", "calls", "retired")

    def __init__(self, pool: Any, loop: Any, key: str) -> None:
        self.pool = pool
        self.loop = loop
        self.key = key
        self.calls = 0          # calls in flight
        self.retired = False    # replaced: close once calls == 0


class Hub:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._loop: Any = None
        self._pools: Dict[str, _Entry] = {}
        self._driving = False

    # -- calls --------------------------------------------------------------------
    def call(self, name: str, warm: Dict[str, Any], cfg: Dict[str, Any], data: bytes,
             timeout: Optional[float]) -> Dict[str, Any]:
        """Send one request to `name`'s pool and return its report."""
        entry, task = self._submit(name, warm, cfg, data, timeout)
        try:
            try:
                self._wait(task, entry.loop)
            except BaseException:
                # Ctrl-C while waiting: the warm process serving the request
                # is killed (whole tree) and the call ends once it is gone.
                task.cancel()
                try:
                    self._wait(task, entry.loop)
                except BaseException:
                    pass
                raise
        finally:
            self._done_with(entry)
        report: Optional[Dict[str, Any]] = task.report()
        if report is None:  # the loop was closed under the call
            raise RuntimeError("warm pools were closed while the call was waiting")
        return report

    def _submit(self, name: str, warm: Dict[str, Any], cfg: Dict[str, Any], data: bytes,
                timeout: Optional[float]) -> Any:
        key = pool_key(cfg, warm)
        stale = None
        with self._cond:
            if self._loop is None:
                self._loop = _core.Loop()
            entry = self._pools.get(name)
            if entry is not None and entry.key != key:
                entry.retired = True
                del self._pools[name]
                if entry.calls == 0:
                    stale = entry
                entry = None
            if entry is None:
                pool = self._loop.warm_pool(name, config=cfg, **warm)
                entry = self._pools[name] = _Entry(pool, self._loop, key)
            task = entry.pool.call(data, timeout=timeout)
            entry.calls += 1
        if stale is not None:
            stale.pool.close()
        return entry, task

    def _done_with(self, entry: _Entry) -> None:
        with self._cond:
            entry.calls -= 1
            close = entry.retired and entry.calls == 0
        if close:
            entry.pool.close()

    def _wait(self, task: Any, loop: Any) -> None:
        while not task.done:
            with self._cond:
                if task.done:
                    return
                if self._driving:
                    self._cond.wait(_SLICE)
                    continue
                self._driving = True
            try:
                loop.wait(_SLICE)   # GIL released; returns when any request ends
            except RuntimeError:
                if not loop.closed:
                    raise
                return  # close() ended every request of the loop
            finally:
                self._stop_driving()

    def _stop_driving(self) -> None:
        # Taking the lock may be interrupted by a signal handler that raises
        # (Ctrl-C): the flag must be cleared anyway, or nobody would drive.
        pending: Optional[BaseException] = None
        while True:
            try:
                self._cond.acquire()
                break
            except BaseException as exc:
                pending = exc
        try:
            self._driving = False
            self._cond.notify_all()
        finally:
            self._cond.release()
        if pending is not None:
            raise pending

    # -- state -------------------------------------------------------------------------
    def stats(self) -> Dict[str, Any]:
        """{name: (idle, busy)} of this process's pools."""
        with self._cond:
            entries = list(self._pools.items())
        return {name: e.pool.stats() for name, e in entries if not e.pool.closed}

    def close(self) -> None:
        """Retire every pool (shutdown, interpreter exit)."""
        with self._cond:
            loop, pools = self._loop, list(self._pools.values())
            self._loop = None
            self._pools = {}
        for entry in pools:
            entry.pool.close()
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


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    return value


def pool_key(cfg: Dict[str, Any], warm: Dict[str, Any]) -> str:
    """What a pool was made with, as a string to compare: every option
    (env and inherit_env included, which the pool's processes were started
    with) and the warm settings. Mappings are sorted at every level, so
    equal configurations give equal keys whatever order they were built
    in, and a different one always gives a new pool."""
    return repr((_canonical(cfg), _canonical(warm)))


def _close_at_exit() -> None:
    try:
        HUB.close()
    except Exception:  # exit must go on whatever happens here
        pass


HUB = Hub()
os.register_at_fork(after_in_child=HUB.after_fork_child)
atexit.register(_close_at_exit)

__all__: List[str] = ["HUB"]
