"""The worker SDK: what a Python worker script imports.

    from multiverse import worker

    data = worker.payload()
    worker.respond({"sum": data["a"] + data["b"]})

The payload arrives as JSON on stdin. The result goes to the result
channel (the fd named by MULTIVERSE_RESULT_FD, fd 3) when there is one, so
print() stays free for logging; otherwise to stdout. fail() reports an
exception as a structured error the host turns into WorkerError fields.

This module uses the standard library only, so a worker pays no more than
the import of the package for it.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Callable, Dict, List, NoReturn, Optional

__all__ = ["payload", "respond", "fail", "serve"]

_UNREAD = object()
_payload: Any = _UNREAD
_responded = False


def payload() -> Any:
    """The decoded JSON payload (read from stdin once; None if empty)."""
    global _payload
    if _payload is _UNREAD:
        raw = sys.stdin.buffer.read()
        _payload = json.loads(raw) if raw.strip() else None
    return _payload


def _result_fd() -> Optional[int]:
    value = os.environ.get("MULTIVERSE_RESULT_FD")
    if not value:
        return None
    try:
        fd = int(value)
        os.fstat(fd)
        return fd
    except (ValueError, OSError):
        return None  # announced but not open: not run by multiverse


def _emit(data: bytes) -> None:
    fd = _result_fd()
    if fd is None:
        sys.stdout.flush()
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def respond(value: Any) -> None:
    """Send the result (any JSON-encodable value). Call it once."""
    global _responded
    if _responded:
        raise RuntimeError("respond() or fail() was already called: a worker sends one result")
    data = json.dumps(value, allow_nan=False).encode()
    _responded = True
    _emit(data)


def _frames(exc: BaseException) -> List[Dict[str, Any]]:
    return [
        {"file": f.filename, "line": f.lineno or 0, "function": f.name}
        for f in traceback.extract_tb(exc.__traceback__)
    ]


def fail(exc: Optional[BaseException] = None, *, exit_code: int = 1) -> NoReturn:
    """Report `exc` (default: the exception being handled) as the worker's
    error and exit with `exit_code` (SystemExit). The host gets its type,
    message and frames; the traceback is also printed to stderr."""
    global _responded
    if exc is None:
        exc = sys.exc_info()[1]
    if exc is None:
        exc = RuntimeError("worker failed")
    elif isinstance(exc, str):
        exc = RuntimeError(exc)
    if _responded:
        raise RuntimeError("respond() or fail() was already called: a worker sends one result")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    error = {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": text,
        "frames": _frames(exc),
        "language": "python",
    }
    sys.stderr.write(text)
    sys.stderr.flush()
    _responded = True
    _emit(json.dumps({"__multiverse_error__": error}).encode())
    raise SystemExit(exit_code)


def serve(handler: Callable[[Any], Any]) -> None:
    """Run handler(payload) and respond with what it returns; an exception
    it raises is reported with fail().

    For now this handles the one request of a per-call worker process; the
    persistent framing of warm workers will use the same entry point, so
    workers written against serve() keep working when they become warm.
    """
    try:
        result = handler(payload())
    except Exception as exc:
        fail(exc)
    respond(result)
