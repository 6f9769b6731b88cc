"""Workers from Python: run_worker(), running() and clear().

Same contract and same registry as PHP's MultiWorker::run(), ::running()
and ::clear(): a worker started here is listed and killable from PHP
(`php artisan multiverse:clear`) and the other way round. A worker the
core finds warm (configure(warm=...), else its multiverse.json) is called
through its pool (_warm.py); the result and the errors are the same as a
cold call's.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Dict, List, Optional

from . import _config, _core, _outcome
from ._warm import HUB
from .errors import WorkerError
from .parallel import _check_timeout

log = logging.getLogger("multiverse")

# Beyond kill_grace, how long clear() waits for trees to be confirmed dead.
_KILL_MARGIN: float = _core.KILL_MARGIN  # the core's, as PHP and the CLI use


def _check_name(name: Any, what: str = "name") -> str:
    if not isinstance(name, str):
        raise TypeError("%s must be a str, not %s" % (what, type(name).__name__))
    _core.validate_worker_name(name)
    return name


def run_worker(name: str, payload: Any = None, timeout: Optional[float] = None,
               workers_path: Optional[str] = None) -> Any:
    """Run worker `name` with `payload` (JSON-encoded; None sends {}) and
    return its decoded JSON result. Raises WorkerError (WorkerTimeoutError
    on timeout) carrying exit code, signal, output and the remote error.
    `timeout` overrides configure(timeout=...) for this call (0 = none)."""
    _check_name(name)
    timeout = _check_timeout(timeout)
    try:
        data = json.dumps({} if payload is None else payload, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise type(exc)("payload cannot be JSON-encoded: %s" % exc) from None
    version, cfg = _config.snapshot()
    if workers_path is not None:
        cfg["workers_path"] = os.fspath(workers_path)
    warm = _is_warm(name, cfg)
    log.debug("worker %r starting%s", name, " (warm)" if warm else "")
    try:
        # None: cold after all (its multiverse.json changed since the check).
        report = HUB.call(name, cfg, version, data, timeout) if warm else None
        if report is None:
            report = _core.run_worker(cfg, name, data, -1.0 if timeout is None else timeout)
    except _core.Error as exc:
        # Nothing was started: not found, interpreter missing, no supervisor.
        log.warning("worker %r could not start: %s", name, exc)
        raise WorkerError(str(exc), worker=name, status=exc.name) from None
    if report["status"] == _core.OK:
        try:
            result = _outcome.worker_result(report)
        except WorkerError as exc:
            log.warning("worker %r failed: %s", name, exc)
            raise
        log.debug("worker %r finished in %.3f s", name, report["elapsed"])
        return result
    log.warning("worker %r failed: %s", name, report["message"])
    raise _outcome.worker_error(report)


def _is_warm(name: str, cfg: Dict[str, Any]) -> bool:
    """Whether the core calls `name` warm for `cfg`: its warm entry
    (False keeps it cold), else its multiverse.json."""
    try:
        return _core.worker_warm(cfg, name) is not None
    except ValueError as exc:
        raise WorkerError("worker %r: %s" % (name, exc), worker=name, status="MV_EINVAL") from None


def _registry_error(what: str, worker: Optional[str], exc: Any) -> WorkerError:
    # A registry that cannot be used (runtime_dir not a directory, another
    # user's, not writable) or trees that would not die: the package's
    # documented error, as PHP's WorkerException, with the core's code in
    # `status`. The core's own exception class is private.
    return WorkerError("%s failed: %s" % (what, exc), worker=worker or "", status=exc.name)


def running(worker: Optional[str] = None, all_namespaces: bool = False) -> List[Dict[str, Any]]:
    """Running workers and tasks of this user in the configured namespace
    (every namespace with all_namespaces=True), from any process: dicts
    with pid, worker, task_id, started_at, elapsed, host_pid (as PHP's
    running()), plus supervisor_pid, kind ("exec", "fork", "warm"), state
    ("running"; warm processes: "idle" or "busy") and namespace.
    WorkerError when the registry cannot be read."""
    if worker is not None:
        _check_name(worker, "worker")
    try:
        entries: List[Dict[str, Any]] = _core.registry_list(_config.current(), worker,
                                                            bool(all_namespaces))
    except _core.Error as exc:
        raise _registry_error("running()", worker, exc) from None
    return entries


def clear(worker: Optional[str] = None, all_namespaces: bool = False) -> int:
    """Kill every running worker tree of this user in the configured
    namespace (every namespace with all_namespaces=True; or only those
    named `worker` exactly) started by any process, wait until they are
    gone, and return how many trees were killed. WorkerError when the
    registry cannot be read, or when trees are still dying after
    kill_grace plus a margin."""
    if worker is not None:
        _check_name(worker, "worker")
    try:
        killed: int = _core.registry_clear(_config.current(), worker,
                                           _config.kill_grace() + _KILL_MARGIN,
                                           bool(all_namespaces))
    except _core.Error as exc:
        log.warning("clear(%s) failed: %s", worker or "", exc)
        raise _registry_error("clear()", worker, exc) from None
    log.info("clear(%s) killed %d tree(s)", worker or "", killed)
    return killed
