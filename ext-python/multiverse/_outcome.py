"""Core reports -> results and exceptions.

For tasks: a report whose status is MV_OK carries the child's blob (see
_child.py); every other status is a process-level ending (timeout, cancel,
crash, limit) and becomes the matching TaskError subclass. For workers:
MV_OK carries JSON, the rest becomes WorkerError / WorkerTimeoutError.
"""
from __future__ import annotations

import builtins
import json
import pickle
from typing import Any, Dict, Optional, Tuple

from . import _child, _core
from .errors import (
    TaskCancelledError,
    TaskCrashedError,
    TaskError,
    TaskTimeoutError,
    WorkerError,
    WorkerTimeoutError,
    task_error_class,
)

Report = Dict[str, Any]


def _strip_subject(message: str, what: str, name: str) -> str:
    # The core says "task 'x' timed out ..."; the exception names the task
    # itself, so the message keeps only the predicate.
    prefix = "%s '%s' " % (what, name)
    return message[len(prefix):] if message.startswith(prefix) else message


def _none_if(value: int, sentinel: int) -> Optional[int]:
    return None if value == sentinel else value


def task_fields(name: str, task_id: str, elapsed: float) -> Dict[str, Any]:
    """The keyword arguments that name a task in every TaskError."""
    return {"task_name": name, "task_id": task_id, "elapsed_time": elapsed}


def task_outcome(report: Report, name: str,
                 task_id: str) -> Tuple[Optional[memoryview], Optional[TaskError]]:
    """(pickled value, None) on success, else (None, the error)."""
    common = task_fields(name, task_id, report["elapsed"])
    status = report["status"]
    message = _strip_subject(report["message"], "task", report["worker"])
    if status == _core.OK:
        return blob_outcome(report["result"], common)
    if status == _core.ETIMEDOUT:
        return None, TaskTimeoutError(message, timeout=report["timeout"] or None, **common)
    if status == _core.ECANCELED:
        return None, TaskCancelledError(message, **common)
    return None, TaskCrashedError(
        message,
        exit_code=_none_if(report["exit_code"], -1),
        signal=_none_if(report["signal"], 0),
        limit=report["limit"] or None,
        **common,
    )


def blob_outcome(blob: bytes, common: Dict[str, Any]
                 ) -> Tuple[Optional[memoryview], Optional[TaskError]]:
    """A task's answer blob (_child.py) -> (pickled value, None) or (None, error)."""
    if blob[:1] == _child.OK:
        return memoryview(blob)[1:], None  # no copy of a large result
    if blob[:1] == _child.ERROR:
        return None, remote_error(blob[1:], common)
    return None, TaskCrashedError(
        "exited with code 0 without sending a result", exit_code=0, **common
    )


def pool_error(report: Report, name: str, task_id: str, elapsed: float,
               timeout: float) -> TaskError:
    """The error of a pooled call whose pool process ended under it. The
    process's report describes the process; the call's own timeout and
    elapsed time replace its."""
    if report["status"] == _core.ETIMEDOUT:
        return TaskTimeoutError(
            "timed out after %g s (process tree killed)" % timeout, timeout=timeout or None,
            **task_fields(name, task_id, elapsed),
        )
    report = dict(report, elapsed=elapsed)
    if report["status"] == _core.OK:
        report["result"] = b""  # it exited cleanly without answering this call
    error = task_outcome(report, name, task_id)[1]
    assert error is not None
    return error


# What unpickling a task's bytes may raise, all of it the task's failure:
# a value whose reconstruction calls sys.exit() must not end the host
# (KeyboardInterrupt, the user's Ctrl-C while it runs, still goes through).
_UNPICKLING_ERRORS = (Exception, SystemExit)


def remote_error(data: bytes, common: Dict[str, Any]) -> TaskError:
    """The TaskError for an exception raised inside the task."""
    try:
        info = pickle.loads(data)
    except _UNPICKLING_ERRORS as exc:  # a damaged blob: still an error, never a hang
        return TaskError("the task's error report could not be read: %s" % exc, **common)
    cause = None
    if info.get("exc") is not None:
        try:
            cause = pickle.loads(info["exc"])
        except _UNPICKLING_ERRORS:
            cause = None  # its class is not importable here: the text remains
    # The remote type: the cause's, else a builtin of that name.
    original = type(cause) if isinstance(cause, BaseException) else \
        getattr(builtins, str(info["type"]), None)
    err = task_error_class(original)(
        info["message"], error_type=info["type"], traceback=info["traceback"], **common
    )
    if isinstance(cause, BaseException):
        err.__cause__ = cause
    if info["traceback"] and hasattr(err, "add_note"):
        # Shown under the error when it is not caught: where it happened.
        err.add_note("Remote traceback (in the task process):\n" + info["traceback"].rstrip())
    return err


def unpickle_value(blob: memoryview, name: str, task_id: str,
                   elapsed: float) -> Tuple[Any, Optional[TaskError]]:
    try:
        return pickle.loads(blob), None
    except _UNPICKLING_ERRORS as exc:
        err = TaskError(
            "the result could not be unpickled: %s: %s" % (type(exc).__name__, exc),
            error_type=type(exc).__name__, **task_fields(name, task_id, elapsed),
        )
        err.__cause__ = exc
        return None, err


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def worker_result(report: Report) -> Any:
    """The decoded result of a successful worker report.

    The core has checked the JSON grammar, not the encoding: JSON is UTF-8
    (RFC 8259), and bytes that are not are the worker's fault, reported as
    its WorkerError, like invalid JSON (PHP's WorkerException says the
    same). Python's decoder has limits of its own (digits of an int,
    nesting) past which it refuses a document the core accepted: also the
    worker's WorkerError, never a bare ValueError of the json module."""
    data: bytes = report["result"]
    where = "stdout" if report["result_source"] == "stdout" else "the result channel"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise worker_error(report, "worker '%s' printed a result that is not valid UTF-8 on %s "
                           "(byte 0x%02x at offset %d)"
                           % (report["worker"], where, data[exc.start], exc.start),
                           status="MV_EPROTO") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise worker_error(report, "worker '%s' printed JSON on %s that Python cannot decode: %s"
                           % (report["worker"], where, exc), status="MV_EPROTO") from None


def worker_error(report: Report, message: Optional[str] = None,
                 status: Optional[str] = None) -> WorkerError:
    """The WorkerError of a report; `message` and `status` replace the
    core's when the failure was found here (the result could not be
    decoded)."""
    remote = report["remote"] or {}
    fields = {
        "worker": report["worker"],
        "driver": report["driver"],
        "exit_code": _none_if(report["exit_code"], -1),
        "signal": _none_if(report["signal"], 0),
        "stdout": _text(report["stdout"]),
        "stderr": _text(report["stderr"]),
        "remote_type": remote.get("type"),
        "remote_message": remote.get("message"),
        "remote_trace": remote.get("frames", []),
        "elapsed": report["elapsed"],
        "status": status or report["status_name"],
        "task_id": report["task_id"],
    }
    if report["end"] == "spawn_failed":
        fields["exit_code"] = None
    if message is None:
        message = report["message"]
    if status is None and report["status"] == _core.ETIMEDOUT:
        return WorkerTimeoutError(message, timeout=report["timeout"], **fields)
    return WorkerError(message, **fields)
