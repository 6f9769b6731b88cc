"""The `env` and `inherit_env` options (API.md §1): what environment a
worker gets, cold and warm, and how the options are checked."""
import os
from types import MappingProxyType

import pytest

import multiverse as mp
from multiverse import _core
from multiverse._warm import HUB

SECRET = "MV_TEST_SECRET"
KEPT = ("PATH", "HOME", "LANG", "TZ", "TMPDIR")


@pytest.fixture(autouse=True)
def host_env(monkeypatch):
    # A secret of the host (a database password, say), and the variables a
    # worker keeps without inherit_env, all set so that each can be checked.
    monkeypatch.setenv(SECRET, "hunter2")
    monkeypatch.setenv("LC_TIME", "C")
    for name in KEPT:
        if name not in os.environ:
            monkeypatch.setenv(name, "/tmp" if name in ("HOME", "TMPDIR") else "C")
    HUB.close()
    yield
    HUB.close()


def worker_env(**kwargs):
    return mp.run_worker("env_dump", **kwargs)["env"]


def test_a_worker_inherits_the_host_environment_by_default():
    env = worker_env()
    assert env[SECRET] == "hunter2"
    assert env["MULTIVERSE_WORKER"] == "env_dump"
    assert mp.config()["inherit_env"] is True and mp.config()["env"] == {}


def test_inherit_env_false_keeps_host_secrets_out():
    mp.configure(inherit_env=False, env={"APP_MODE": "batch"})
    env = worker_env()
    assert SECRET not in env
    assert "PYTHONPATH" not in env  # set by conftest for the tests' workers
    for name in KEPT + ("LC_TIME",):
        assert env[name] == os.environ[name], name
    assert env["APP_MODE"] == "batch"
    assert env["MULTIVERSE_WORKER"] == "env_dump" and len(env["MULTIVERSE_TASK_ID"]) == 16
    allowed = set(KEPT) | {"APP_MODE"}
    assert [n for n in env if n not in allowed and not n.startswith(("LC_", "MULTIVERSE_"))] == []


def test_env_overrides_a_host_variable_and_adds_new_ones():
    os.environ["MV_TEST_OVERRIDE"] = "host"
    try:
        mp.configure(env={"MV_TEST_OVERRIDE": "configured", "MV_TEST_NEW": "x y=z"})
        env = worker_env()
    finally:
        del os.environ["MV_TEST_OVERRIDE"]
    assert env["MV_TEST_OVERRIDE"] == "configured"
    assert env["MV_TEST_NEW"] == "x y=z"
    assert env[SECRET] == "hunter2"  # inherited still
    assert mp.config()["env"] == {"MV_TEST_NEW": "x y=z", "MV_TEST_OVERRIDE": "configured"}


def test_the_task_variables_cannot_be_overridden():
    mp.configure(env={"MULTIVERSE_WORKER": "someone_else", "MULTIVERSE_TASK_ID": "0" * 16,
                      "MULTIVERSE_RESULT_FD": "1", "MULTIVERSE_OTHER": "kept"})
    env = worker_env()
    assert env["MULTIVERSE_WORKER"] == "env_dump"
    assert env["MULTIVERSE_TASK_ID"] != "0" * 16
    assert env["MULTIVERSE_RESULT_FD"] == "3"  # and the result still arrived on it
    assert env["MULTIVERSE_OTHER"] == "kept"


def test_env_is_copied_when_configured():
    mine = {"MV_TEST_NEW": "before"}
    mp.configure(env=mine)
    mine["MV_TEST_NEW"] = "after"
    assert worker_env()["MV_TEST_NEW"] == "before"
    returned = mp.config()["env"]
    returned["MV_TEST_NEW"] = "changed"
    assert mp.config()["env"] == {"MV_TEST_NEW": "before"}


def test_none_and_an_empty_mapping_reset_the_options():
    mp.configure(env={"MV_TEST_NEW": "1"}, inherit_env=False)
    mp.configure(env={}, inherit_env=None)
    assert mp.config()["env"] == {} and mp.config()["inherit_env"] is True
    env = worker_env()
    assert "MV_TEST_NEW" not in env and env[SECRET] == "hunter2"


@pytest.mark.parametrize("env, error, match", [
    ({"1ABC": "x"}, ValueError, r"invalid variable name '1ABC'"),
    ({"A=B": "x"}, ValueError, r"invalid variable name 'A=B'"),
    ({"A-B": "x"}, ValueError, r"invalid variable name 'A-B'"),
    ({"": "x"}, ValueError, r"variable name must not be empty"),
    ({"A\x00B": "x"}, ValueError, r"invalid variable name 'A\\x00B' \(it contains a NUL"),
    ({"GOOD": "x\x00y"}, ValueError, r"the value of 'GOOD' contains a NUL"),
    ({"GOOD": "\ud800"}, ValueError, r"the value of 'GOOD' cannot be encoded"),
    ({"N" * 300: "x"}, ValueError, r"invalid variable name 'N{64}'\.\.\."),
    ({1: "x"}, TypeError, r"env: variable names must be str, not int"),
    ({"GOOD": 1}, TypeError, r"the value of 'GOOD' must be a str, not int"),
    ({"GOOD": None}, TypeError, r"the value of 'GOOD' must be a str, not NoneType"),
    ([("GOOD", "x")], TypeError, r"env must be a mapping"),
    ("GOOD=x", TypeError, r"env must be a mapping"),
])
def test_bad_env_is_refused_before_anything_starts(env, error, match):
    mp.configure(env={"MV_TEST_NEW": "kept"})
    with pytest.raises(error, match=match):
        mp.configure(env=env, timeout=3)
    # All or nothing: neither option changed.
    assert mp.config()["env"] == {"MV_TEST_NEW": "kept"} and mp.config()["timeout"] == 0.0


def test_inherit_env_must_be_a_bool():
    for bad in (0, 1, "no", 0.0):
        with pytest.raises(TypeError, match="inherit_env must be a bool"):
            mp.configure(inherit_env=bad)
    assert mp.config()["inherit_env"] is True


def test_env_accepts_any_mapping():
    mp.configure(env=MappingProxyType({"MV_TEST_NEW": "2"}))
    assert type(mp.config()["env"]) is dict
    assert worker_env()["MV_TEST_NEW"] == "2"


# -- warm workers: the pool is started with the environment ------------------------


def warm_call():
    return mp.run_worker("env_dump")


def test_a_warm_pool_is_replaced_when_env_or_inherit_env_changes():
    mp.configure(warm={"env_dump": True}, env={"A_VAR": "1", "B_VAR": "2"})
    first = warm_call()
    assert first["env"]["MULTIVERSE_WARM"] == "1"
    assert first["env"]["A_VAR"] == "1" and first["env"][SECRET] == "hunter2"
    assert warm_call()["pid"] == first["pid"]  # reused

    # The same mapping built in another order: the same configuration.
    mp.configure(env={"B_VAR": "2", "A_VAR": "1"})
    assert warm_call()["pid"] == first["pid"]

    mp.configure(env={"A_VAR": "changed", "B_VAR": "2"})
    second = warm_call()
    assert second["pid"] != first["pid"] and second["env"]["A_VAR"] == "changed"

    mp.configure(inherit_env=False)
    third = warm_call()
    assert third["pid"] != second["pid"]
    assert SECRET not in third["env"] and third["env"]["A_VAR"] == "changed"


def test_the_core_compares_env_as_a_set():
    # What replaces a pool is the core's call (mv_config_same_start).
    one = {"timeout": 1.0, "env": {"A": "1", "B": "2"}, "warm": {"env_dump": True}}
    other = {"env": {"B": "2", "A": "1"}, "timeout": 1.0, "warm": {"env_dump": True}}
    assert not _core.replaces("env_dump", one, other)
    assert _core.replaces("env_dump", one, dict(one, inherit_env=False))
    assert _core.replaces("env_dump", one, dict(one, env={"A": "1", "B": "3"}))
    assert _core.replaces("env_dump", one, dict(one, env={"A": "1"}))


# -- forked tasks are copies of the host: env options do not apply ------------------


def read_env(name):
    return os.environ.get(name)


def test_forked_tasks_see_the_host_environment_whatever_env_says():
    mp.configure(inherit_env=False, env={"MV_TEST_NEW": "1"})
    task = mp.parallel(read_env)
    assert task(SECRET).get(timeout=30) == "hunter2"
    assert task("MV_TEST_NEW").get(timeout=30) is None
