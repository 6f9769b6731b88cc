"""The pre-forked pool: task processes forked once, then sent calls.

`@parallel` and `map()` send picklable calls here (unless `fork=True`)
instead of forking one process per call. The pool is the core's pool
engine (Loop.pool_setup, ext-python/src/pool.c): it gives each call to an
idle process, arms the call's deadline in the process's supervisor, fails
only the call of a process that died (timeout, cancel, crash, clear()) and
asks for a new process when calls wait; the dispatcher (_dispatch.py)
forks it (Loop.pool_fork), and calls wait their turn in the loop's
concurrency limit with forked tasks. Each pool process is a persistent
fork task under its own supervisor, listed in the registry like any task
(kind "fork", named POOL_NAME).

What is Python's is here: a request is pickle((target, unwrap, args,
kwargs)); the answer is the same blob a forked task sends (_child.py), or
UNPICKLABLE when the process cannot rebuild the call (a function defined
after it was forked): the host then runs that call in a process of its
own, as it does when the pool cannot fork a process at all.
"""
from __future__ import annotations

import functools
import importlib
import logging
import pickle
import sys
import types
import weakref
from typing import Any, Callable, Optional, Set, Tuple

from . import _child, _config, _core, _outcome

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


# Optional (Debian's python3-cloudpickle): functions of __main__, closures
# and lambdas by value. Untyped, hence imported by name.
_cloudpickle: Any
try:
    _cloudpickle = importlib.import_module("cloudpickle")
except ImportError:
    _cloudpickle = None


def by_name(obj: Any) -> bool:
    """Whether pickle can send obj by name and a pool process find the
    same object: defined at the top level of an importable module (not
    `__main__`, whose functions a pool process has only as they were when
    it was forked)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__":
        return False
    if "<locals>" in qualname or "<lambda>" in qualname:
        return False
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found is obj


# Immutable values a function may reference whose identity says all:
# rebinding the name changes the identity, and the value cannot change.
_SCALARS = (int, float, complex, str, bytes, bool, type(None))


def _global_names(code: types.CodeType, out: Set[str]) -> Set[str]:
    """The global names code (and the code nested in it) may read."""
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _global_names(const, out)
    return out


@functools.lru_cache(maxsize=256)
def _sorted_global_names(code: types.CodeType) -> Tuple[str, ...]:
    # Per code object (immutable), not per call: a function called in a
    # loop is looked at for every call.
    return tuple(sorted(_global_names(code, set())))


def _snapshot(fn: types.FunctionType) -> Optional[Tuple[Any, ...]]:
    """What a function's by-value pickle depends on, when identities say
    it all: its code, defaults and the identity of every global it reads,
    each a module, an immutable scalar or something pickled by name. None
    when the pickle must be made again for each call (a closure, function
    attributes, a global that is mutable or travels by value)."""
    if fn.__closure__ or fn.__dict__:
        return None
    for default in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        if not isinstance(default, _SCALARS):
            return None
    glob = fn.__globals__
    seen = []
    for name in _sorted_global_names(fn.__code__):
        if name not in glob:
            continue  # a builtin, an attribute name, or not bound yet
        value = glob[name]
        if not (isinstance(value, (_SCALARS, types.ModuleType)) or
                (isinstance(value, (types.FunctionType, type)) and by_name(value))):
            return None
        seen.append((name, id(value)))
    return (fn.__code__, fn.__defaults__, fn.__kwdefaults__, tuple(seen))


# fn -> (snapshot, pickle): a function whose pickle depends on nothing that
# can change unseen is pickled once while it stays the same.
_pickled: "weakref.WeakKeyDictionary[Any, Tuple[Tuple[Any, ...], bytes]]" = \
    weakref.WeakKeyDictionary()


def _dumps_by_value(fn: Any) -> bytes:
    assert _cloudpickle is not None
    snap = _snapshot(fn) if isinstance(fn, types.FunctionType) else None
    if snap is not None:
        cached = _pickled.get(fn)
        if cached is not None and cached[0] == snap:
            return cached[1]
    data: bytes = _cloudpickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    if snap is not None:
        _pickled[fn] = (snap, data)
    return data


class _ByValue:
    """A function pickled by value (cloudpickle) inside a plain pickle: the
    rest of a request keeps the C pickler's speed."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __reduce__(self) -> Tuple[Any, ...]:
        return (pickle.loads, (_dumps_by_value(self.fn),))


def by_value(obj: Any) -> Any:
    """obj wrapped to be pickled by value (cloudpickle) inside a plain
    pickle; obj itself without cloudpickle."""
    return _ByValue(obj) if _cloudpickle is not None else obj


def unwrap_by_value(obj: Any) -> Any:
    """What by_value() wrapped (a call that forks instead gets its
    arguments unpickled)."""
    return obj.fn if isinstance(obj, _ByValue) else obj


def _by_value(fn: Any) -> Any:
    """fn as it travels: itself when pickle finds it by name (or it is not a
    function), wrapped to travel by value, or None when it would have to
    travel by value and cloudpickle is missing."""
    if not isinstance(fn, (types.FunctionType, type)) or by_name(fn):
        return fn
    return _ByValue(fn) if _cloudpickle is not None else None


def request_payload(fn: Any, unwrap: bool, args: Any, kwargs: Any) -> Optional[bytes]:
    """The pickled call, or None when it cannot be pickled: such a call
    forks. fn, and functions among the positional arguments (map()'s),
    travel by value when they are functions of `__main__`, closures or
    lambdas; other arguments that pickle refuses are pickled whole by
    cloudpickle."""
    target = _by_value(fn)
    if target is None:
        return None
    if any(isinstance(a, types.FunctionType) for a in args):
        sent = []
        for a in args:
            v = _by_value(a) if isinstance(a, types.FunctionType) else a
            if v is None and a is not None:
                return None
            sent.append(v)
        args = tuple(sent)
    try:
        return pickle.dumps((target, unwrap, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        pass
    if _cloudpickle is None:
        return None
    try:
        data: bytes = _cloudpickle.dumps((target, unwrap, args, kwargs),
                                         protocol=pickle.HIGHEST_PROTOCOL)
        return data
    except Exception:
        return None


class Pool:
    """The dispatcher's side of the pool: the configuration and the
    concurrency limits it was made for. submit() and refresh() run with the
    dispatcher's lock held, ended() on the dispatcher's thread."""

    def __init__(self) -> None:
        self._version: Optional[int] = None  # configuration it was made with, None: no pool
        self._peak = 0  # the highest limit since: processes it may have

    def submit(self, loop: Any, call: Any, limit: int, batch: Any = None) -> Any:
        """Send a pooled call to the pool (in the core batch `batch`, if
        any); returns its Task."""
        handle = call.handle
        self._check(loop, limit)
        task = loop.pool_call(call.payload, _call_timeout(call), handle._name, handle._task_id,
                              batch=batch)
        call.payload = None
        handle._begin_start()
        # The handle cancels and reads the pid through the Task; the timeout
        # counts from when a process takes the call.
        handle._started(task)
        log.debug("task %r (id %s) started (pool)", handle._name, handle._task_id)
        return task

    def refresh(self, loop: Any, limit: int) -> None:
        """Once a pool was made: a new one if the configuration changed or
        the limit went down since."""
        if self._version is not None:
            self._check(loop, limit)

    def _check(self, loop: Any, limit: int) -> None:
        if self._version != _config.version() or limit < self._peak:
            self._setup(loop, limit)
        elif limit > self._peak:
            self._peak = limit

    def _setup(self, loop: Any, limit: int) -> None:
        # The pool forks as many processes as the loop's limit lets calls
        # run at once, with the current configuration. The one it replaces
        # takes no more calls and retires once its calls are done: so its
        # processes beyond a lower limit go, and none made with an older
        # configuration serves a new call.
        version, config = _config.snapshot()
        loop.pool_setup(config, 0, POOL_NAME)
        self._version = version
        self._peak = limit

    def ended(self, task: Any, call: Any, loop: Any, fork: Callable[[Any, Any], None]) -> None:
        """A pooled call's Task ended: the answer, or why its process died.
        fork(loop, call) runs the call in a process of its own."""
        handle = call.handle
        status, not_started, elapsed, pid, blob = task.outcome()
        if status == _core.OK and blob[:1] == UNPICKLABLE:
            # Defined after the pool was forked, or not importable there.
            log.debug("task %r (id %s) cannot run in the pool (%s): it forks", handle._name,
                      handle._task_id, blob[1:].decode("utf-8", "replace"))
            fork(loop, call)
            return
        if not_started and status != _core.ECANCELED:
            # No pool process could be forked for it.
            log.warning("task %r (id %s) cannot run in the pool (%s): it forks", handle._name,
                        handle._task_id, (task.report() or {}).get("message"))
            fork(loop, call)
            return
        call.runner = None
        if status == _core.OK:
            handle._finish_blob(blob, elapsed, pid if pid > 0 else None)
            if handle._error is not None:
                log.info("task %r (id %s) raised after %.3f s", handle._name, handle._task_id,
                         elapsed)
            else:
                log.debug("task %r (id %s) finished in %.3f s", handle._name, handle._task_id,
                          elapsed)
            return
        report = task.report()
        error = _outcome.pool_error(report, handle._name, handle._task_id, elapsed,
                                    _call_timeout(call))
        log.warning("task %r (id %s): pool process %s %s", handle._name, handle._task_id,
                    report["pid"], error.error_message)
        handle._resolve(None, error, elapsed, pid if pid > 0 else None)


def _call_timeout(call: Any) -> float:
    """A call's own timeout, else the configured one (0: none)."""
    timeout: Optional[float] = call.timeout
    return timeout if timeout is not None else _config.default_timeout()
