"""configure() and the process-wide configuration it sets.

The options and their meaning are PHP's (`multiverse.*` INI settings), so
one mental model covers both languages. The values are kept as a dict and
handed to the core on every call; unset options take the core's defaults.
"""
from __future__ import annotations

import threading
from typing import Any, Dict

from . import _core

OPTIONS = (
    "workers_path",
    "timeout",
    "kill_grace",
    "python",
    "node",
    "php",
    "max_output",
    "runtime_dir",
)

DEFAULTS: Dict[str, Any] = {
    "workers_path": None,   # "." (the current directory)
    "timeout": 0.0,         # unlimited
    "kill_grace": 2.0,
    "python": None,         # {workers_path}/python/venv/bin/python, else python3 on PATH
    "node": None,           # node on PATH
    "php": None,            # php on PATH
    "max_output": 64 * 1024 * 1024,
    "runtime_dir": None,    # $XDG_RUNTIME_DIR/multiverse or /tmp/multiverse-<uid>
}

_lock = threading.Lock()
_values: Dict[str, Any] = {}


def configure(**options: Any) -> None:
    """Set options for every later task and worker (same names as PHP).

    Unknown names raise TypeError, invalid values ValueError/TypeError
    naming the option; nothing changes unless every value is valid. An
    option set to None goes back to its default.
    """
    for key in options:
        if key not in OPTIONS:
            raise TypeError(
                "configure() got an unknown option %r (known: %s)" % (key, ", ".join(OPTIONS))
            )
    with _lock:
        merged = dict(_values)
        for key, value in options.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        _core.check_config(merged)
        _values.clear()
        _values.update(merged)


def current() -> Dict[str, Any]:
    """The options explicitly set, as the dict the core functions take."""
    with _lock:
        return dict(_values)


def config() -> Dict[str, Any]:
    """Every option with its effective value (runtime_dir resolved)."""
    values = current()
    out = dict(DEFAULTS)
    out.update(values)
    out["runtime_dir"] = _core.runtime_dir(values)
    return out


def kill_grace() -> float:
    with _lock:
        return float(_values.get("kill_grace", DEFAULTS["kill_grace"]))


def default_timeout() -> float:
    with _lock:
        return float(_values.get("timeout", DEFAULTS["timeout"]))


def reset_in_child() -> None:
    """After a fork: a fresh lock (a parent thread may have held the old one)."""
    global _lock
    _lock = threading.Lock()
