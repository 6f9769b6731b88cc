"""Fixtures shared by the multiverse tests.

Every test runs against a private registry directory (so clear() can never
touch another user's or another suite's workers), with the worker fixtures
under tests/workers and this interpreter as the worker python. After each
test, nothing may be left queued or running.
"""
import os
import sys
import time

import pytest

try:
    import multiverse as mp
    from multiverse import _config
except ImportError as exc:  # pragma: no cover - only on a broken setup
    raise SystemExit(
        "multiverse is not importable (%s): run ext-python/run-tests.sh, or build it and put "
        "the build directory on PYTHONPATH" % exc
    )

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.join(HERE, "workers")
SCRIPTS = os.path.join(HERE, "scripts")

# Workers and helper scripts are separate interpreters: they find the
# package under test the same way this process did.
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(mp.__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_PKG_PARENT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)


@pytest.fixture(scope="session")
def runtime_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry")
    os.chmod(path, 0o700)
    return str(path)


def base_config(runtime_dir):
    return {"workers_path": WORKERS, "python": sys.executable, "runtime_dir": runtime_dir,
            "kill_grace": 1.0}


@pytest.fixture(autouse=True)
def clean_state(runtime_dir):
    mp.configure(**{k: None for k in _config.OPTIONS})
    mp.configure(**base_config(runtime_dir))
    mp.reset_shutdown()
    default_max = mp.get_max_concurrent_tasks()
    yield
    leftover = mp.get_active_task_count()
    if leftover:
        mp.shutdown(timeout_secs=0, cancel_pending=True)
    mp.reset_shutdown()
    mp.set_max_concurrent_tasks(default_max)
    mp.configure(**{k: None for k in _config.OPTIONS})
    mp.configure(**base_config(runtime_dir))
    assert leftover == 0, "the test left %d task(s) queued or running" % leftover


@pytest.fixture
def workers_path():
    return WORKERS


@pytest.fixture
def scripts_path():
    return SCRIPTS


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Poll until predicate() is true; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
