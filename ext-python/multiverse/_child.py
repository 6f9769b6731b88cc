"""What runs inside a task process, and the format of what it sends back.

The function and its arguments reach the child through fork(): they are
never pickled (the pre-forked pool, _prefork.py, is the exception: it
sends pickled calls). Only the outcome travels back, as one blob:

    b"K" + pickle(value)         the function returned (or its coroutine did)
    b"E" + pickle(info dict)     it raised, or the value could not be pickled

The error info is a dict of plain strings plus the pickled exception as
its own bytes, so an exception class that cannot be unpickled in the
parent still leaves a readable error behind.
"""
from __future__ import annotations

import contextvars
import inspect
import io
import pickle
import signal
import traceback
from typing import Any, Callable, Dict, Optional, Tuple

OK = b"K"
ERROR = b"E"


def make_runner(fn: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any],
                ctx: contextvars.Context) -> Callable[[], Any]:
    """The zero-argument callable that Loop.fork_call() runs in the child."""

    def runner() -> Any:  # bytes-like
        _reset_signals()
        return ctx.run(call_blob, fn, args, kwargs)

    return runner


def call_blob(fn: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """Call fn (running a coroutine it returns to completion) and return
    the outcome blob."""
    try:
        value = fn(*args, **kwargs)
        if inspect.iscoroutine(value):
            value = _run_coroutine(value)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: report them
        return error_blob(exc)
    return value_blob(value)


def _run_coroutine(coro: Any) -> Any:
    import asyncio  # only tasks that need it pay for the import

    return asyncio.run(coro)


def _reset_signals() -> None:
    # The host may handle SIGTERM (a server's graceful shutdown); in a task
    # SIGTERM means "your tree is being killed" and must end the process.
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):
        pass


def value_blob(value: Any) -> Any:
    # Pickled straight after the tag into one buffer, handed out without a
    # copy: results can be hundreds of megabytes.
    out = io.BytesIO()
    out.write(OK)
    try:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:
        return error_blob(exc, "the result (%s) could not be pickled: " % type(value).__name__)
    return out.getbuffer()


def error_blob(exc: BaseException, prefix: str = "") -> bytes:
    info: Dict[str, Any] = {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "message": prefix + _safe_str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        "exc": _pickled_exception(exc),
    }
    return ERROR + pickle.dumps(info, protocol=pickle.HIGHEST_PROTOCOL)


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:
        return "<unprintable %s>" % type(exc).__name__


def _pickled_exception(exc: BaseException) -> Optional[bytes]:
    # Checked both ways here, where the traceback is still at hand: an
    # exception whose __init__ takes other arguments than it passes to
    # Exception pickles fine but cannot be rebuilt.
    try:
        data = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
        return data
    except BaseException:
        return None
