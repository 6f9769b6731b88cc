"""configure() and the process-wide configuration it sets.

The options and their meaning are PHP's (`multiverse.*` INI settings, and
configure()'s "warm" option), so one mental model covers both languages.
The core's options are kept as a dict and handed to the core on every
call; unset options take the core's defaults. "warm" is the package's own
(the core gets the settings per pool): it is kept apart, normalised.
"env" is kept as a plain dict sorted by name, so that two equal mappings
give equal configurations (warm pools are keyed by them).
"""
from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any, Dict, Optional, Union

from . import _core
from .errors import WorkerError

OPTIONS = (
    "workers_path",
    "timeout",
    "kill_grace",
    "python",
    "node",
    "php",
    "max_output",
    "runtime_dir",
    "env",
    "inherit_env",
    "warm",
)

# Settings of one warm worker, with their defaults (as PHP's).
WARM_KEYS = ("processes", "max_requests", "idle_timeout")
WARM_DEFAULTS: Dict[str, Any] = {"processes": 1, "max_requests": 0, "idle_timeout": 0.0}

DEFAULTS: Dict[str, Any] = {
    "workers_path": None,   # "." (the current directory)
    "timeout": 0.0,         # unlimited
    "kill_grace": 2.0,
    "python": None,         # {workers_path}/python/venv/bin/python, else python3 on PATH
    "node": None,           # node on PATH
    "php": None,            # php on PATH
    "max_output": 64 * 1024 * 1024,
    "runtime_dir": None,    # $XDG_RUNTIME_DIR/multiverse or /tmp/multiverse-<uid>
    "env": {},              # variables added to (or replacing) a worker's environment
    "inherit_env": True,    # False: a worker gets only PATH, HOME, LANG, LC_*, TZ, TMPDIR
    "warm": {},             # only workers whose multiverse.json asks for it
}

_lock = threading.Lock()
_values: Dict[str, Any] = {}
# worker name -> False (never warm) or its settings (WARM_KEYS)
_warm: Dict[str, Union[bool, Dict[str, Any]]] = {}
# Bumped when configure() changes a core option: pool processes made with
# an older configuration are retired without comparing dicts on each call.
_version = 0
_UNSET: Any = object()


def configure(**options: Any) -> None:
    """Set options for every later task and worker (same names as PHP).

    Unknown names raise TypeError, invalid values ValueError/TypeError
    naming the option; nothing changes unless every value is valid. An
    option set to None goes back to its default. `warm` maps worker names
    to warm settings (see check_warm()) and replaces the whole mapping.
    `env` (a mapping of str -> str) adds or overrides variables of a
    worker's environment, `inherit_env=False` leaves it only PATH, HOME,
    LANG, LC_*, TZ and TMPDIR of the host's; neither applies to forked
    tasks, which are copies of this process.
    """
    global _version
    for key in options:
        if key not in OPTIONS:
            raise TypeError(
                "configure() got an unknown option %r (known: %s)" % (key, ", ".join(OPTIONS))
            )
    warm = options.pop("warm", _UNSET)
    if warm is not _UNSET and warm is not None:
        warm = check_warm(warm)
    if options.get("env") is not None:
        # {} is the default: stored as unset, so it compares equal to it.
        options["env"] = check_env(options["env"]) or None
    with _lock:
        merged = dict(_values)
        for key, value in options.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        _core.check_config(merged)
        if merged != _values:
            _version += 1
        _values.clear()
        _values.update(merged)
        if warm is not _UNSET:
            _warm.clear()
            _warm.update(warm or {})


def check_env(value: Any) -> Dict[str, str]:
    """configure(env=...) -> a plain dict sorted by name (a copy: later
    changes to the caller's mapping do not reach workers). Names must be
    str here so that they can be sorted; the values, names' syntax and
    NULs are checked by the core's conversion (check_config), which names
    the variable."""
    if not isinstance(value, Mapping):
        raise TypeError("env must be a mapping of variable name -> str, not %s"
                        % type(value).__name__)
    items = list(value.items())
    for key, _ in items:
        if not isinstance(key, str):
            raise TypeError("env: variable names must be str, not %s" % type(key).__name__)
    return dict(sorted(items))


def check_warm(value: Any) -> Dict[str, Union[bool, Dict[str, Any]]]:
    """configure(warm=...) -> {name: False | settings}, or TypeError /
    ValueError naming the worker and setting at fault.

    True means the default settings (one process, no request limit, no
    idle timeout), as in PHP; a dict sets some of them; False keeps a
    worker cold even if its multiverse.json asks to be warm."""
    if not isinstance(value, dict):
        raise TypeError("warm must be a dict of worker name -> settings (True, False or a dict), "
                        "not %s" % type(value).__name__)
    out: Dict[str, Union[bool, Dict[str, Any]]] = {}
    for name, entry in value.items():
        if not isinstance(name, str):
            raise TypeError("warm: worker names must be str, got %r" % (name,))
        try:
            _core.validate_worker_name(name)
        except ValueError as exc:
            raise ValueError("warm: %s" % exc) from None
        if entry is False:
            out[name] = False
            continue
        settings = dict(WARM_DEFAULTS)
        if isinstance(entry, dict):
            for key, v in entry.items():
                if key not in WARM_KEYS:
                    raise TypeError("warm: worker %r has an unknown setting %r (known: %s)"
                                    % (name, key, ", ".join(WARM_KEYS)))
                settings[key] = _warm_value(name, key, v)
        elif entry is not True:
            raise TypeError("warm: worker %r must be True, False or a dict of settings, not %s"
                            % (name, type(entry).__name__))
        out[name] = settings
    return out


def _warm_value(name: str, key: str, v: Any) -> Any:
    integer = key != "idle_timeout"
    if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
        raise TypeError("warm: %r of worker %r must be %s, not %s"
                        % (key, name, "an int" if integer else "a number of seconds",
                           type(v).__name__))
    low = 1 if key == "processes" else 0
    if not (math.isfinite(v) and low <= v <= 1e9):
        raise ValueError("warm: %r of worker %r must be between %d and 1e9, got %r"
                         % (key, name, low, v))
    return int(v) if integer else float(v)


def warm_setting(name: str) -> Optional[Union[bool, Dict[str, Any]]]:
    """configure()'s warm entry for `name`: None if not named there."""
    with _lock:
        entry = _warm.get(name)
        return dict(entry) if isinstance(entry, dict) else entry


def version() -> int:
    """Changes whenever configure() changes a core option."""
    return _version


def current() -> Dict[str, Any]:
    """The options explicitly set, as the dict the core functions take."""
    with _lock:
        return dict(_values)


def config() -> Dict[str, Any]:
    """Every option with its effective value (runtime_dir resolved).
    WorkerError when no runtime_dir can be resolved (the default ones are
    another user's and there is no home directory to fall back to)."""
    values = current()
    out = dict(DEFAULTS)
    out.update(values)
    try:
        out["runtime_dir"] = _core.runtime_dir(values)
    except _core.Error as exc:
        # The registry's failure, as running() and clear() report it: the
        # core's exception class is private.
        raise WorkerError("config() failed: %s" % exc, status=exc.name) from None
    out["env"] = dict(out["env"])
    with _lock:
        out["warm"] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in _warm.items()}
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
