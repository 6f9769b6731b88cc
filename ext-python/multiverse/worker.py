"""The worker SDK: what a Python worker script imports.

    from multiverse import worker

    data = worker.payload()
    worker.respond({"sum": data["a"] + data["b"]})

The payload arrives as JSON on stdin. The result goes to the result
channel (the fd named by MULTIVERSE_RESULT_FD, fd 3) when there is one, so
print() stays free for logging; otherwise to stdout. fail() reports an
exception as a structured error the host turns into WorkerError fields.

serve(handler) also speaks the warm (persistent) framing when the host
starts the worker warm (MULTIVERSE_WARM=1 in its environment): the
greeting line first, then one JSON payload per line on stdin, one compact
JSON answer per line on the result channel, until end of file on stdin
(see _serve_warm()).

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

# The first line a warm process writes on the result channel.
_GREETING = b'{"multiverse":"ready"}\n'

_UNREAD = object()
_payload: Any = _UNREAD
_responded = False
_warm = False   # serving warm requests: payload() is the current request's


def payload() -> Any:
    """The decoded JSON payload (read from stdin once; None if empty). In
    a warm handler: the request being handled (also the handler's
    argument)."""
    global _payload
    if _payload is _UNREAD and not _warm:
        raw = sys.stdin.buffer.read()
        _payload = json.loads(raw) if raw.strip() else None
    return None if _payload is _UNREAD else _payload


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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _emit(data: bytes) -> None:
    fd = _result_fd()
    if fd is None:
        sys.stdout.flush()
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    _write_all(fd, data)


def _no_warm(what: str) -> None:
    if _warm:
        raise RuntimeError("%s is for per-call workers: a warm handler returns its result "
                           "(or raises) and serve() answers the request" % what)


def _check_first_result() -> None:
    if _responded:
        raise RuntimeError("respond() or fail() was already called: a worker sends one result")


def respond(value: Any) -> None:
    """Send the result (any JSON-encodable value). Call it once."""
    global _responded
    _no_warm("respond()")
    _check_first_result()
    data = json.dumps(value, allow_nan=False).encode()
    _responded = True
    _emit(data)


def _frames(exc: BaseException) -> List[Dict[str, Any]]:
    return [
        {"file": f.filename, "line": f.lineno or 0, "function": f.name}
        for f in traceback.extract_tb(exc.__traceback__)
    ]


def _error_object(exc: BaseException) -> bytes:
    """The structured error for exc, as one line of JSON. Its traceback is
    also printed to stderr, which the host keeps with the call."""
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
    return json.dumps({"__multiverse_error__": error}, separators=(",", ":")).encode()


def fail(exc: Optional[BaseException] = None, *, exit_code: int = 1) -> NoReturn:
    """Report `exc` (default: the exception being handled) as the worker's
    error and exit with `exit_code` (SystemExit). The host gets its type,
    message and frames; the traceback is also printed to stderr."""
    global _responded
    _no_warm("fail()")
    if exc is None:
        exc = sys.exc_info()[1]
    if exc is None:
        exc = RuntimeError("worker failed")
    elif isinstance(exc, str):
        exc = RuntimeError(exc)
    _check_first_result()
    data = _error_object(exc)
    _responded = True
    _emit(data)
    raise SystemExit(exit_code)


def serve(handler: Callable[[Any], Any]) -> None:
    """Run handler(payload) and respond with what it returns; an exception
    it raises is reported with fail().

    Started warm (MULTIVERSE_WARM=1 in the environment), it serves one
    request per line on stdin until end of file instead: handler(payload)
    for each, and its return value, or the structured error of what it
    raised, as one line on the result channel. An exception fails only
    that request; the process keeps serving.
    """
    if os.environ.get("MULTIVERSE_WARM") == "1":
        _serve_warm(handler)
        return
    try:
        result = handler(payload())
    except Exception as exc:
        fail(exc)
    respond(result)


def _serve_warm(handler: Callable[[Any], Any]) -> None:
    """The warm framing: the greeting, then a line in, a line out, until
    end of file. The greeting tells the host this process speaks the
    framing; a warm process that does not greet in time is killed and the
    call fails at once.

    What the handler printed is flushed before its answer is written, so
    the host files those logs under this request. The answer is compact
    JSON, which escapes control characters inside strings: it is always
    exactly one line.
    """
    global _payload, _warm
    _warm = True
    fd = _result_fd()
    out = fd if fd is not None else sys.stdout.fileno()  # run by hand: answers on stdout
    _write_all(out, _GREETING)
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            _payload = json.loads(line)
            answer = json.dumps(handler(_payload), allow_nan=False,
                                separators=(",", ":")).encode()
        except Exception as exc:
            answer = _error_object(exc)
        finally:
            _payload = _UNREAD
        sys.stdout.flush()
        sys.stderr.flush()
        _write_all(out, answer + b"\n")
