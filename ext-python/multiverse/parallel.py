"""@parallel, map() and gather(): running Python callables as forked tasks."""
from __future__ import annotations

import builtins
import concurrent.futures
import contextvars
import functools
import importlib
import inspect
import itertools
import math
import os
import pickle
import sys
import threading
import types
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from . import _child, _config, _prefork
from ._dispatch import DISPATCHER, Batch, _Call
from .errors import TaskError
from .handle import AsyncHandle, check_wait_timeout, wait_event

_UNSET = object()


def _id_counter() -> "itertools.count[int]":
    return itertools.count(int.from_bytes(os.urandom(8), "little"))


# Task ids: a random start, then counting (one system call per process,
# not per task). A forked child starts from a new random point when it
# first makes one: not in an after-fork hook, which every child of this
# process would pay for, most of them never starting a task.
_ids = _id_counter()
_ids_pid = os.getpid()


def _new_task_id() -> str:
    global _ids, _ids_pid
    if _ids_pid != os.getpid():
        _ids, _ids_pid = _id_counter(), os.getpid()
    return "%016x" % (next(_ids) & 0xFFFFFFFFFFFFFFFF)


def _check_limit(value: Optional[float], what: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number, not %s" % (what, type(value).__name__))
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise ValueError("%s must be a positive number, got %r" % (what, value))
    return value


def _check_timeout(timeout: Optional[float]) -> Optional[float]:
    timeout = check_wait_timeout(timeout)
    if timeout is not None and math.isinf(timeout):
        raise ValueError("timeout must be finite (use None or 0 for no timeout)")
    return timeout


def submit(fn: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any], *, name: str,
           timeout: Optional[float], mem_mb: Optional[float], cpu_secs: Optional[float],
           pool: Optional[Tuple[Any, bool]] = None, batch: Optional[Batch] = None) -> AsyncHandle:
    """Queue one call of fn as a task and return its handle.

    pool = (target, unwrap) asks for the warm pool: `target` is what to
    pickle for fn (the @parallel function itself, unwrapped in the pool
    process, since the module attribute of that name is the wrapper).
    batch: the calls it runs at most `batch.limit` at once with."""
    if timeout is None:
        effective = _config.default_timeout() or None
    else:
        effective = timeout or None  # 0 = no timeout
    handle = AsyncHandle(name, _new_task_id(), effective, DISPATCHER)
    # The context (contextvars) is the caller's, as for a thread pool; the
    # rest of the process state is whatever it is when the task forks.
    ctx = contextvars.copy_context()
    runner = _child.make_runner(fn, args, kwargs, ctx)
    payload = None
    # Limits are per process: such calls fork, as do calls that cannot be
    # pickled. Context variables cannot be pickled either; a pooled call
    # runs in the pool process's own context (documented).
    if pool is not None and mem_mb is None and cpu_secs is None:
        payload = _prefork.request_payload(pool[0], pool[1], args, kwargs)
    DISPATCHER.submit(_Call(
        handle,
        runner,
        timeout,
        0 if mem_mb is None else int(math.ceil(mem_mb * 1024)),
        0 if cpu_secs is None else int(math.ceil(cpu_secs)),
        payload,
        batch,
    ))
    return handle


def _accepts_keyword(func: Callable[..., Any], name: str) -> bool:
    """Whether func can take the keyword `name` (a parameter of that name,
    or **kwargs). A callable whose signature cannot be read is assumed to
    take it: its arguments are then never consumed."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD or
               (p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
               for p in params)


def _resolve_parallel(module: str, qualname: str) -> Any:
    """Unpickle helper: the @parallel function of that name, found as the
    module has it (in a pool process: as it imported it)."""
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class _Options:
    """The options of a @parallel function, checked once."""

    __slots__ = ("timeout", "name", "max_memory_mb", "max_cpu_secs", "fork")

    def __init__(self, timeout: Optional[float], name: Optional[str],
                 max_memory_mb: Optional[float], max_cpu_secs: Optional[float],
                 fork: bool) -> None:
        self.timeout = _check_timeout(timeout)
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError("name must be a non-empty str")
        self.name = name
        self.max_memory_mb = _check_limit(max_memory_mb, "max_memory_mb")
        self.max_cpu_secs = _check_limit(max_cpu_secs, "max_cpu_secs")
        if not isinstance(fork, bool):
            raise TypeError("fork must be a bool, not %s" % type(fork).__name__)
        self.fork = fork

    def replace(self, changes: Dict[str, Any]) -> "_Options":
        values = {k: getattr(self, k) for k in self.__slots__}
        values.update(changes)
        return _Options(**values)


class ParallelFunction:
    """A @parallel function: each call runs in a task of its own and
    returns an AsyncHandle at once. `options(...)` gives the same function
    with other options (per call: `work.options(timeout=2)(x)`); the
    keyword `timeout=` of a call is taken as its timeout only when the
    function itself cannot take a `timeout` argument (a user function's
    parameters are never consumed). The plain function is `__wrapped__`."""

    def __init__(self, func: Callable[..., Any], options: _Options,
                 origin: Optional["ParallelFunction"] = None) -> None:
        if not callable(func):
            raise TypeError("@parallel needs a callable, got %s" % type(func).__name__)
        functools.update_wrapper(self, func)
        self._func = func
        self._options = options
        self._task_name = options.name or getattr(func, "__name__", None) or type(func).__name__
        self._takes_timeout = _accepts_keyword(func, "timeout")
        # What a pool process unpickles: the decorated function as its
        # module names it (options made with options() are host-side only).
        self._origin = origin or self

    def __call__(self, *args: Any, **kwargs: Any) -> AsyncHandle:
        timeout = self._options.timeout
        if not self._takes_timeout and "timeout" in kwargs:
            # None keeps the function's timeout; 0 means none for this call.
            per_call = kwargs.pop("timeout")
            if per_call is not None:
                timeout = _check_timeout(per_call)
        o = self._options
        return submit(self._func, args, kwargs, name=self._task_name, timeout=timeout,
                      mem_mb=o.max_memory_mb, cpu_secs=o.max_cpu_secs,
                      pool=None if o.fork else self._pool_target())

    def _pool_target(self) -> Tuple[Any, bool]:
        """What a pool process is sent for this function: the decorated
        function by name when its module can find it there (unwrapped in
        the pool process), else the plain function, by value."""
        origin = self._origin
        if _prefork.by_name(origin):
            return (origin, True)
        return (self._func, False)

    def options(self, **changes: Any) -> "ParallelFunction":
        """The same function with some options changed (timeout, name,
        max_memory_mb, max_cpu_secs, fork), checked as the decorator's."""
        unknown = set(changes) - set(_Options.__slots__)
        if unknown:
            raise TypeError("options() got unknown option(s): %s (known: %s)"
                            % (", ".join(sorted(unknown)), ", ".join(_Options.__slots__)))
        return ParallelFunction(self._func, self._options.replace(changes), self._origin)

    @property
    def parallel_options(self) -> Dict[str, Any]:
        o = self._options
        return {"timeout": o.timeout, "name": self._task_name, "max_memory_mb": o.max_memory_mb,
                "max_cpu_secs": o.max_cpu_secs, "fork": o.fork}

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Decorating a method: bound to its instance like a function is.
        return self if obj is None else _BoundParallel(self, obj)

    def __reduce__(self) -> Tuple[Any, ...]:
        # Pickled by name, as a function is: only a function its module
        # can find again travels (a pool process looks it up there).
        qualname = getattr(self._origin, "__qualname__", "")
        module = getattr(self._origin, "__module__", None)
        if not module or not qualname or "<locals>" in qualname or "<lambda>" in qualname:
            raise pickle.PicklingError("a local @parallel function cannot be pickled by name")
        return (_resolve_parallel, (module, qualname))

    def __repr__(self) -> str:
        return "<parallel function %s>" % (getattr(self._func, "__qualname__", None) or
                                           self._task_name)


class _BoundParallel:
    """A @parallel method of an instance: calls and options() pass the
    instance first, as a bound method does."""

    __slots__ = ("_function", "_instance")

    def __init__(self, function: ParallelFunction, instance: Any) -> None:
        self._function = function
        self._instance = instance

    def __call__(self, *args: Any, **kwargs: Any) -> AsyncHandle:
        return self._function(self._instance, *args, **kwargs)

    def options(self, **changes: Any) -> "_BoundParallel":
        return _BoundParallel(self._function.options(**changes), self._instance)

    @property
    def __wrapped__(self) -> Any:
        return types.MethodType(self._function._func, self._instance)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._function, name)


def parallel(fn: Optional[Callable[..., Any]] = None, /, *, timeout: Optional[float] = None,
             name: Optional[str] = None, max_memory_mb: Optional[float] = None,
             max_cpu_secs: Optional[float] = None, fork: bool = False) -> Any:
    """Run each call of the decorated function as a contained task.

    Usable bare (`@parallel`) or with options. A call returns an
    AsyncHandle at once. `timeout` (seconds; 0 = none) can also be given
    per call with `work.options(timeout=...)(x)`, or as the keyword
    `timeout=` when the function has no `timeout` parameter of its own;
    without one, configure(timeout=...) applies. `max_memory_mb` limits
    the task's resident memory (which includes pages shared with this
    process after the fork), `max_cpu_secs` its CPU time; past either the
    tree is killed and the handle raises TaskCrashedError.

    Where a call runs. By default in a warm pool process (forked from this
    process on first use, one per allowed concurrent task): the function
    and its arguments travel by pickle. Functions defined in `__main__`,
    closures and lambdas travel by value when cloudpickle is installed
    (they see the values they reference at the call); a function of an
    importable module is found by name, in the module as the pool process
    has it. What cannot be pickled (a lock, a socket, a generator; a
    closure without cloudpickle), and calls with limits, fork a process
    of their own instead. A pooled call does not see the caller's context
    variables. `fork=True`: every call forks a fresh process from this
    one, which sees the closures and the whole module state as they are
    at the call; nothing is pickled but the result. Either way a call's
    leftover processes die when it ends, and a timeout or cancel() kills
    its tree (a pool process that ran it is replaced).
    """
    options = _Options(timeout, name, max_memory_mb, max_cpu_secs, fork)

    def decorate(func: Callable[..., Any]) -> ParallelFunction:
        return ParallelFunction(func, options)

    return decorate(fn) if fn is not None else decorate


# map() ---------------------------------------------------------------------------


def _run_chunk(fn: Callable[..., Any], chunk: List[Any], first: int, star: bool) -> List[Any]:
    """Task body of map(): fn over one chunk, in order, in one process. The
    chunk holds argument tuples (`star`: several iterables) or the items
    themselves (one iterable: no tuple per item to build and pickle). A
    coroutine fn returns is run to completion before the next item."""
    out: List[Any] = []
    append = out.append
    try:
        if star:
            for args in chunk:
                append(fn(*args))
        else:
            for item in chunk:
                append(fn(item))
        # One pass in C over the result types; coroutines are rare.
        if types.CoroutineType in set(builtins.map(type, out)):
            for i, value in enumerate(out):
                if type(value) is types.CoroutineType:
                    out[i] = _child._run_coroutine(value)
    except BaseException as exc:
        if hasattr(exc, "add_note"):
            exc.add_note("raised by map() for item %d" % (first + len(out)))
        raise
    return out


def _chunks(items: List[Any], workers: Optional[int],
            chunksize: Optional[int]) -> Iterator[Tuple[int, List[Any]]]:
    if chunksize is None:
        n = min(workers or DISPATCHER.max_concurrent, len(items))
        size, extra = divmod(len(items), n)
        start = 0
        for i in builtins.range(n):
            end = start + size + (1 if i < extra else 0)
            yield start, items[start:end]
            start = end
    else:
        for start in builtins.range(0, len(items), chunksize):
            yield start, items[start:start + chunksize]


def _check_count(value: Optional[int], what: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int or None, not %s" % (what, type(value).__name__))
    if value < 1:
        raise ValueError("%s must be >= 1, got %d" % (what, value))
    return value


class _StderrProgress:
    """progress=True without tqdm: one line on stderr, rewritten."""

    def __init__(self, total: int, name: str) -> None:
        self.total = total
        self.name = name

    def __call__(self, done: int, total: int) -> None:
        sys.stderr.write("\r%s: %d/%d" % (self.name, done, total))
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def close(self) -> None:
        pass


class _TqdmProgress:
    def __init__(self, tqdm: Any, total: int, name: str) -> None:
        self.bar = tqdm(total=total, desc=name)
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        self.bar.close()


def _progress_reporter(progress: Any, total: int, name: str) -> Any:
    """progress=True: a tqdm bar when tqdm is installed, else a line on
    stderr; a callable gets (done, total); False/None: nothing."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm import tqdm
        except ImportError:
            return _StderrProgress(total, name)
        return _TqdmProgress(tqdm, total, name)
    if callable(progress):
        return progress
    raise TypeError("progress must be a bool or a callable (done, total), not %s"
                    % type(progress).__name__)


def _map_run(fn: Callable[..., Any], iterables: Tuple[Iterable[Any], ...],
             workers: Optional[int], chunksize: Optional[int], timeout: Optional[float],
             fork: bool, progress: Any, ordered: bool) -> Iterator[List[Any]]:
    """The engine of map/imap/imap_unordered: fn over the zipped items in
    chunks, at most `cap` chunks at once; yields each chunk's results, in
    input order (`ordered`) or as chunks finish. The first failure (in the
    order results are yielded) cancels the other chunks and raises."""
    if not callable(fn):
        raise TypeError("fn must be callable")
    if not iterables:
        raise TypeError("map() needs at least one iterable")
    if not isinstance(fork, bool):
        raise TypeError("fork must be a bool, not %s" % type(fork).__name__)
    workers = _check_count(workers, "workers")
    chunksize = _check_count(chunksize, "chunksize")
    timeout = _check_timeout(timeout)
    star = len(iterables) > 1
    items = list(zip(*iterables)) if star else list(iterables[0])
    name = "map:" + (getattr(fn, "__name__", None) or type(fn).__name__)
    report = _progress_reporter(progress, len(items), name)
    return _map_chunks(fn, items, star, workers, chunksize, timeout, fork, report, ordered, name)


def _flatten(chunks: Iterator[List[Any]]) -> Iterator[Any]:
    """The items of the chunks' result lists; closing it closes `chunks`
    (which cancels what still runs)."""
    try:
        for values in chunks:
            yield from values
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _map_chunks(fn: Callable[..., Any], items: List[Any], star: bool, workers: Optional[int],
                chunksize: Optional[int], timeout: Optional[float], fork: bool, report: Any,
                ordered: bool, name: str) -> Iterator[List[Any]]:
    """Yields each chunk's list of results, in input order (`ordered`) or
    as chunks finish."""
    if not items:
        if report is not None:
            report(0, 0)
        return
    chunks = list(_chunks(items, workers, chunksize))
    cap = workers if (workers and chunksize) else len(chunks)
    started: List[AsyncHandle] = []
    changed = threading.Event()
    done_items = 0
    next_out = 0              # ordered: the next chunk to yield
    yielded: Set[int] = set()  # chunks yielded

    def wake(_handle: AsyncHandle) -> None:
        changed.set()

    try:
        while True:
            changed.clear()
            while len(started) < len(chunks) and \
                    sum(1 for h in started if not h.is_ready()) < cap:
                start, chunk = chunks[len(started)]
                h = submit(_run_chunk, (fn, chunk, start, star), {}, name=name, timeout=timeout,
                           mem_mb=None, cpu_secs=None,
                           pool=None if fork else (_run_chunk, False))
                h.add_done_callback(wake)
                started.append(h)
            ready = [i for i, h in enumerate(started) if h.is_ready()]
            for i in ready:
                if started[i]._error is not None:
                    started[i].get()  # the first failure, in input order: raises its TaskError
            if ordered:
                out: List[int] = []
                while next_out < len(started) and started[next_out].is_ready():
                    out.append(next_out)
                    next_out += 1
            else:
                out = [i for i in ready if i not in yielded]
            for i in out:
                yielded.add(i)
                values = started[i].get()  # raises the chunk's TaskError
                done_items += len(values)
                if report is not None:
                    report(done_items, len(items))
                yield values
            if len(yielded) == len(chunks):
                break
            DISPATCHER.check_may_block("map()")
            wait_event(changed, None)
    except BaseException:
        _cancel_all(started)
        raise
    finally:
        close = getattr(report, "close", None)
        if close is not None:
            close()


def map(fn: Callable[..., Any], *iterables: Iterable[Any], workers: Optional[int] = None,
        chunksize: Optional[int] = None, timeout: Optional[float] = None,
        progress: Any = False, fork: bool = False) -> List[Any]:
    """fn over the items, in parallel processes; results in input order.

    Like the builtin: with several iterables fn gets one item of each,
    until the shortest ends. Items are split into contiguous chunks, one
    task per chunk: by default one chunk per worker (`workers`, default:
    the concurrency limit). With `chunksize`, chunks have that many items
    and at most `workers` of them run at once. `timeout` applies to each
    chunk's task. The first failure cancels the remaining chunks and
    raises its TaskError (the item's index is noted on the original
    exception). `progress=True` draws a tqdm bar (a line on stderr without
    tqdm); a callable gets (done, total) as chunks finish, in this thread.
    The chunks (fn and the items, pickled) run in the warm pool processes;
    `fork=True` forks a process per chunk instead; see parallel().
    """
    out: List[Any] = []
    for values in _map_run(fn, iterables, workers, chunksize, timeout, fork, progress, True):
        out.extend(values)
    return out


def imap(fn: Callable[..., Any], *iterables: Iterable[Any], workers: Optional[int] = None,
         chunksize: Optional[int] = None, timeout: Optional[float] = None,
         progress: Any = False, fork: bool = False) -> Iterator[Any]:
    """map(), yielding results in input order as they arrive. Arguments
    are checked at once; closing the iterator early cancels what runs.
    Without `chunksize` the items are split as map() splits them; give a
    small one for results to stream."""
    return _flatten(_map_run(fn, iterables, workers, chunksize, timeout, fork, progress, True))


def imap_unordered(fn: Callable[..., Any], *iterables: Iterable[Any],
                   workers: Optional[int] = None, chunksize: Optional[int] = None,
                   timeout: Optional[float] = None, progress: Any = False,
                   fork: bool = False) -> Iterator[Any]:
    """map(), yielding results as their chunks finish (a chunk's results
    in their order)."""
    return _flatten(_map_run(fn, iterables, workers, chunksize, timeout, fork, progress, False))


def as_completed(handles: Iterable[AsyncHandle],
                 timeout: Optional[float] = None) -> Iterator[AsyncHandle]:
    """Yield the handles as their tasks finish (concurrent.futures'
    as_completed: a handle is a Future); TimeoutError if `timeout` seconds
    pass first."""
    handles = builtins.list(handles)
    for h in handles:
        if not isinstance(h, AsyncHandle):
            raise TypeError("as_completed() takes AsyncHandles, got %s" % type(h).__name__)
    timeout = check_wait_timeout(timeout)
    if any(not h.done() for h in handles):
        DISPATCHER.check_may_block("as_completed()")
    finished: Iterator[Any] = concurrent.futures.as_completed(handles, timeout)
    return finished


def _cancel_all(handles: List[AsyncHandle]) -> None:
    # Every kill is sent before waiting for any, so the trees die together.
    for h in handles:
        task = h._request_cancel()
        if task is not None:
            task.cancel()
    for h in handles:
        h.cancel()


# gather() ---------------------------------------------------------------------------


def gather(handles: Iterable[AsyncHandle], on_error: str = "raise") -> List[Any]:
    """Wait for every handle and return their results in order.

    on_error: "raise" re-raises the first failure (in order), "skip"
    leaves failed tasks out, "none" puts None in their place.
    """
    if on_error not in ("raise", "skip", "none"):
        raise ValueError("on_error must be 'raise', 'skip' or 'none', got %r" % (on_error,))
    handles = list(handles)
    for h in handles:
        if not isinstance(h, AsyncHandle):
            raise TypeError("gather() takes AsyncHandles, got %s" % type(h).__name__)
    results = []
    for h in handles:
        try:
            results.append(h.get())
        except TaskError:
            if on_error == "raise":
                raise
            if on_error == "none":
                results.append(None)
    return results
