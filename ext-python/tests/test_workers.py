"""run_worker(), running() and clear(): the worker contract of API.md §1."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import multiverse as mp
from conftest import WORKERS
from proctools import survivors, wait_for_pids


def test_result_channel_keeps_logs_out_of_the_result():
    result = mp.run_worker("logs", {"a": 2, "b": 40})
    assert result["sum"] == 42
    assert result["cwd"] == os.path.join(WORKERS, "logs")  # the worker's own directory
    assert result["env_worker"] == "logs"
    assert len(result["env_task"]) == 16


def test_payload_round_trip_and_default_payload():
    payload = {"text": "héllo", "list": [1, 2.5, None, True], "nested": {"k": "v"}}
    assert mp.run_worker("echo", payload) == {"echo": payload}
    assert mp.run_worker("echo") == {"echo": {}}
    assert mp.run_worker("echo", [1, 2]) == {"echo": [1, 2]}


def test_single_file_worker_with_json_on_stdout():
    assert mp.run_worker("plain_stdout", {"n": 21}) == {"doubled": 42}


def test_executable_worker():
    assert mp.run_worker("shellexec", {"x": 1}) == {"shell": True, "got": {"x": 1}}


def test_workers_path_argument(tmp_path):
    (tmp_path / "local.py").write_text("import json,sys\nprint(json.dumps('from tmp'))\n")
    assert mp.run_worker("local", workers_path=str(tmp_path)) == "from tmp"
    with pytest.raises(mp.WorkerError):
        mp.run_worker("local")  # not in the configured workers_path


def test_invalid_worker_names_are_rejected_before_anything_starts():
    for bad in ("../etc/passwd", "a/b", "", "x y", "name;rm"):
        with pytest.raises(ValueError):
            mp.run_worker(bad)
    with pytest.raises(TypeError):
        mp.run_worker(42)


def test_a_nul_in_a_worker_name_is_a_value_error_showing_it():
    # C would see "a", a valid name: the NUL must be refused, not cut.
    for call in (mp.run_worker, mp.running, mp.clear):
        with pytest.raises(ValueError) as info:
            call("a\x00b")
        assert "'a\\x00b'" in str(info.value)
    with pytest.raises(ValueError, match=r"'echo\\x00'"):
        mp.run_worker("echo\x00")  # the part before the NUL exists
    with pytest.raises(ValueError, match=r"'a\\nb'"):
        mp.run_worker("a\nb")  # control characters are shown escaped too
    with pytest.raises(ValueError, match="warm"):
        mp.configure(warm={"a\x00b": True})


def test_payload_that_is_not_json():
    with pytest.raises(TypeError, match="payload"):
        mp.run_worker("echo", {"s": {1, 2}})
    with pytest.raises(ValueError, match="payload"):
        mp.run_worker("echo", {"f": float("nan")})


def test_bad_timeout_is_a_value_error():
    with pytest.raises(ValueError, match="timeout"):
        mp.run_worker("echo", timeout=-1)


def test_missing_worker():
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("no_such_worker")
    assert "not found" in str(info.value)
    assert info.value.worker == "no_such_worker"
    assert info.value.status == "MV_ENOTFOUND"


def test_missing_interpreter():
    mp.configure(python="/nonexistent/python3")
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("echo")
    assert "python" in str(info.value)


def test_structured_error_from_fail():
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("fails", {"value": -3})
    err = info.value
    assert err.remote_type == "ValueError"
    assert err.remote_message == "negative value: -3"
    assert err.exit_code == 1 and err.signal is None
    assert any(f["function"] == "check" and f["file"].endswith("main.py") and f["line"] > 0
               for f in err.remote_trace)
    assert "ValueError" in str(err)
    assert err.driver == "python"


def test_uncaught_exception_is_parsed_from_stderr():
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("crash", {"a": 1})
    err = info.value
    assert err.exit_code == 1
    assert "KeyError" in err.stderr
    assert err.elapsed > 0
    assert "KeyError" in str(err)
    assert err.remote_type == "KeyError"
    assert err.remote_message == "'missing'"
    assert any(f["function"] == "load" and f["line"] > 0 for f in err.remote_trace)


def test_death_by_signal():
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("segv")
    assert info.value.signal == signal.SIGSEGV
    assert info.value.exit_code is None


def test_invalid_json_result():
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("badjson")
    assert "JSON" in str(info.value)
    assert info.value.stdout.startswith("this is not json")


@pytest.mark.parametrize("channel", [False, True], ids=["stdout", "result-channel"])
def test_a_result_that_is_not_utf8_is_a_worker_error(channel):
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("not_utf8", {"channel": channel})
    err = info.value
    where = "the result channel" if channel else "stdout"
    assert str(err) == ("worker 'not_utf8' printed a result that is not valid UTF-8 on %s "
                        "(byte 0xe9 at offset 13)" % where)
    assert err.status == "MV_EPROTO" and err.exit_code == 0 and err.worker == "not_utf8"
    assert err.__cause__ is None and err.__suppress_context__
    # The logs stay readable, undecodable bytes replaced.
    assert err.stderr == "stderr \ufffd log\n"
    if channel:
        assert err.stdout == "stdout \ufffd log\n"
    else:
        assert err.stdout == '{"name": "Jos\ufffd"}'


def test_json_that_python_cannot_decode_is_a_worker_error(tmp_path):
    # Valid JSON to the core, past Python's limit on int digits.
    (tmp_path / "huge.py").write_text("print('1' * 5000)\n")
    with pytest.raises(mp.WorkerError, match="that Python cannot decode") as info:
        mp.run_worker("huge", workers_path=str(tmp_path))
    assert info.value.status == "MV_EPROTO"


def test_output_over_max_output_is_an_error(tmp_path):
    (tmp_path / "big.py").write_text("import sys\nsys.stdout.write('[' + '1,' * 5000 + '1]')\n")
    mp.configure(max_output=1024)
    with pytest.raises(mp.WorkerError, match="max_output"):
        mp.run_worker("big", workers_path=str(tmp_path))


def test_timeout_kills_the_worker_tree(tmp_path):
    start = time.monotonic()
    with pytest.raises(mp.WorkerTimeoutError) as info:
        mp.run_worker("sleeper", {"dir": str(tmp_path)}, timeout=1.0)
    assert 0.9 <= time.monotonic() - start < 15
    err = info.value
    assert err.timeout == 1.0
    assert isinstance(err, mp.WorkerError)
    pids = wait_for_pids(str(tmp_path), 3, timeout=1)
    assert survivors(pids, timeout=1) == []


def test_configured_timeout_applies():
    mp.configure(timeout=0.5)
    with pytest.raises(mp.WorkerTimeoutError):
        mp.run_worker("sleeper", {"dir": "/tmp", "tag": "cfg-%d" % os.getpid()})


def test_serve_handles_the_request():
    assert mp.run_worker("served", {"items": [1, 2, 3]}) == {"items": 3}
    with pytest.raises(mp.WorkerError) as info:
        mp.run_worker("served", {"fail": True})
    assert info.value.remote_type == "KeyError"


def test_running_lists_and_clear_kills_a_worker(tmp_path):
    outcome = {}

    def run():
        try:
            mp.run_worker("sleeper", {"dir": str(tmp_path)})
        except mp.WorkerError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    pids = wait_for_pids(str(tmp_path), 3)
    entries = mp.running("sleeper")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["worker"] == "sleeper" and entry["host_pid"] == os.getpid()
    assert entry["pid"] in pids and entry["kind"] == "exec"
    assert entry["elapsed"] >= 0 and entry["started_at"] > 1e9
    assert mp.running("other") == []
    assert mp.clear("other") == 0
    assert mp.clear("sleeper") == 1
    assert survivors(pids) == []
    t.join(30)
    assert "error" in outcome and "clear" in str(outcome["error"])
    assert mp.running("sleeper") == []


def test_registry_is_shared_across_processes(tmp_path, runtime_dir):
    # Another host (a PHP process, say) starts a worker; this one sees it
    # and kills it.
    code = ("import multiverse as mp, sys\n"
            "mp.configure(workers_path=%r, python=sys.executable, runtime_dir=%r)\n"
            "try:\n    mp.run_worker('sleeper', {'dir': %r})\n"
            "except mp.WorkerError as e:\n    print('ERR', e.status)\n"
            % (WORKERS, runtime_dir, str(tmp_path)))
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = wait_for_pids(str(tmp_path), 3)
        entries = mp.running()
        assert [e["host_pid"] for e in entries] == [other.pid]
        assert mp.clear() == 1
        assert survivors(pids) == []
        out, _ = other.communicate(timeout=30)
        assert "ERR MV_ECANCELED" in out
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()


def test_registry_failures_are_worker_errors(tmp_path):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    mp.configure(runtime_dir=str(not_a_dir))
    for call, what in ((mp.running, "running()"), (mp.clear, "clear()")):
        with pytest.raises(mp.WorkerError) as info:
            call()
        assert str(info.value) == "%s failed: runtime_dir '%s' is not a directory" % (
            what, not_a_dir)
        assert type(info.value) is mp.WorkerError and info.value.__cause__ is None
        assert info.value.status == "MV_EREGISTRY"


def test_trees_still_dying_after_clear_waited_are_a_worker_error(tmp_path, monkeypatch):
    from multiverse import workers

    outcome = {}

    def run():
        try:
            mp.run_worker("sleeper", {"dir": str(tmp_path)})
        except mp.WorkerError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    pids = wait_for_pids(str(tmp_path), 3)
    # clear() waits kill_grace plus a margin for the trees to die; with no
    # wait at all the tree is still dying when it gives up.
    monkeypatch.setattr(workers, "_KILL_MARGIN", -mp.config()["kill_grace"])
    with pytest.raises(mp.WorkerError) as info:
        mp.clear("sleeper")
    assert "clear() failed: 1 worker tree(s) still dying" in str(info.value)
    assert info.value.status == "MV_ETIMEDOUT" and info.value.worker == "sleeper"
    # It was signalled all the same: it dies within kill_grace.
    assert survivors(pids, timeout=10) == []
    t.join(30)
    assert "error" in outcome


def test_running_and_clear_validate_names():
    with pytest.raises(ValueError):
        mp.running("../x")
    with pytest.raises(ValueError):
        mp.clear("a b")


def test_ctrl_c_in_run_worker_kills_the_worker(tmp_path, runtime_dir):
    code = ("import multiverse as mp, sys\n"
            "mp.configure(workers_path=%r, python=sys.executable, runtime_dir=%r)\n"
            "print('go', flush=True)\n"
            "mp.run_worker('sleeper', {'dir': %r})\n" % (WORKERS, runtime_dir, str(tmp_path)))
    host = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert host.stdout.readline().strip() == "go"
        pids = wait_for_pids(str(tmp_path), 3)
        host.send_signal(signal.SIGINT)
        _, err = host.communicate(timeout=30)
    finally:
        if host.poll() is None:
            host.kill()
    assert "KeyboardInterrupt" in err
    assert survivors(pids, timeout=2) == []


def test_sdk_outside_multiverse_falls_back_to_stdout(tmp_path):
    script = tmp_path / "w.py"
    script.write_text("from multiverse import worker\nworker.respond({'got': worker.payload()})\n")
    env = dict(os.environ)
    env.pop("MULTIVERSE_RESULT_FD", None)
    done = subprocess.run([sys.executable, str(script)], input='{"a": 1}', capture_output=True,
                          text=True, env=env, timeout=30)
    assert done.returncode == 0
    assert done.stdout == '{"got": {"a": 1}}'


def test_sdk_fail_outside_multiverse_prints_and_exits_1(tmp_path):
    script = tmp_path / "w.py"
    script.write_text("from multiverse import worker\n"
                      "try:\n    raise LookupError('nope')\n"
                      "except LookupError:\n    worker.fail()\n")
    done = subprocess.run([sys.executable, str(script)], input="", capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 1
    assert '"__multiverse_error__"' in done.stdout and '"LookupError"' in done.stdout
    assert "LookupError: nope" in done.stderr


def test_sdk_respond_twice_is_refused(tmp_path):
    script = tmp_path / "w.py"
    script.write_text("from multiverse import worker\nworker.respond(1)\n"
                      "try:\n    worker.respond(2)\nexcept RuntimeError:\n    print(' twice')\n")
    done = subprocess.run([sys.executable, str(script)], input="", capture_output=True, text=True,
                          timeout=30)
    assert done.stdout == "1 twice\n"
