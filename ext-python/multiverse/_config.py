"""configure() and the process-wide configuration it sets.

The options and their meaning are PHP's (`multiverse.*` INI settings, and
configure()'s "warm" option), so one mental model covers both languages.
The options are kept as a dict and handed to the core on every call
(ext-python/src/config.c turns it into an mv_config_t); unset options
take the core's defaults. The core checks the values: configure() has it
convert the new configuration into one that is thrown away, so nothing
is stored unless every value is valid. "env" is kept as a plain dict
sorted by name, "warm" as the core holds it (True spelled out as the
default settings), so that equal configurations compare equal.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Dict, Tuple

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
    "namespace",
    "env",
    "inherit_env",
    "warm",
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
    "namespace": "default", # the registry namespace tasks are registered under
    "env": {},              # variables added to (or replacing) a worker's environment
    "inherit_env": True,    # False: a worker gets only PATH, HOME, LANG, LC_*, TZ, TMPDIR
    "warm": {},             # only workers whose multiverse.json asks for it
}

_lock = threading.Lock()
_values: Dict[str, Any] = {}
# Bumped when configure() changes an option: pool processes made with an
# older configuration are retired, and a warm call waits for the calls
# made with an older one, without comparing dicts on each call.
_version = 0


def configure(**options: Any) -> None:
    """Set options for every later task and worker (same names as PHP).

    Unknown names raise TypeError, invalid values ValueError/TypeError
    naming the option; nothing changes unless every value is valid. An
    option set to None goes back to its default. `warm` maps worker names
    to warm settings (True, False or a dict of processes, max_requests,
    idle_timeout, greet_timeout) and replaces the whole mapping.
    `env` (a mapping of str -> str) adds or overrides variables of a
    worker's environment, `inherit_env=False` leaves it only PATH, HOME,
    LANG, LC_*, TZ and TMPDIR of the host's; neither applies to forked
    tasks, which are copies of this process.
    `namespace` (1 to 64 letters, digits, '_', '.' or '-'; default
    "default") is the registry namespace later tasks are registered under,
    and the one running() and clear() look at.
    """
    global _version
    for key in options:
        if key not in OPTIONS:
            raise TypeError(
                "configure() got an unknown option %r (known: %s)" % (key, ", ".join(OPTIONS))
            )
    # {} is the default of both: stored as unset, so it compares equal to it.
    if options.get("warm") is not None:
        options["warm"] = check_warm(options["warm"]) or None
    if options.get("env") is not None:
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


def check_warm(value: Any) -> Dict[str, Any]:
    """configure(warm=...) -> {name: False | {processes, max_requests,
    idle_timeout}} as the core holds it (a copy: later changes to the
    caller's mappings do not reach it).

    True means the default settings (one process, no request limit, no
    idle timeout), as in PHP; a dict sets some of them; False keeps a
    worker cold even if its multiverse.json asks to be warm. Mappings are
    copied into dicts here; the core's conversion checks the names and the
    types (TypeError), the core the values (ValueError with its message,
    naming the worker and the setting)."""
    if not isinstance(value, Mapping):
        raise TypeError("warm must be a dict of worker name -> settings (True, False or a dict), "
                        "not %s" % type(value).__name__)
    plain = {name: dict(entry) if isinstance(entry, Mapping) else entry
             for name, entry in value.items()}
    settings: Dict[str, Any] = _core.warm_settings(plain)
    return settings


def version() -> int:
    """Changes whenever configure() changes an option."""
    return _version


def current() -> Dict[str, Any]:
    """The options explicitly set, as the dict the core functions take."""
    with _lock:
        return dict(_values)


def snapshot() -> Tuple[int, Dict[str, Any]]:
    """version() and current(), taken together."""
    with _lock:
        return _version, dict(_values)


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
    out["warm"] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in out["warm"].items()}
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
