"""Cross-language tests: PHP and Python hosts as real processes, calling
workers written in the other languages and sharing one registry.

- PHP (and Python) call a Python worker written with the SDK; a handler
  that raises reaches the caller as the remote type, message and frames.
- A worker (or @mp.parallel task) started by one language is listed and
  killed — its whole tree, setsid grandchild included — by the other, and
  by the CLI.
- Node and PHP workers are called from both languages.

Every test has a private runtime_dir (the `sandbox` fixture), so clear()
only ever sees this test's workers.
"""
import os
import sys
import time

import pytest

from mvtests import procs
from mvtests.hosts import PYTHON, finish, one

HERE = os.path.dirname(os.path.realpath(__file__))
WORKERS = os.path.join(HERE, "workers")
HOSTS = os.path.join(HERE, "hosts")
LANGS = ("python", "php")

sys.path.insert(0, HOSTS)
import pidtree  # noqa: E402  (the tree's pid files: one reader for hosts and tests)


@pytest.fixture
def config(sandbox):
    """configure() options every host of the test uses."""
    return {"workers_path": WORKERS, "runtime_dir": os.path.join(sandbox, "run"),
            "python": PYTHON, "kill_grace": 0.5}


def host_argv(hosts, lang, script, *args):
    path = os.path.join(HOSTS, script + (".py" if lang == "python" else ".php"))
    return hosts.py(path, *args) if lang == "python" else hosts.php(path, *args)


def call(hosts, lang, config, worker, payload):
    """Run `worker` from a fresh `lang` host; its OUTCOME."""
    rc, out, err = hosts.run(host_argv(hosts, lang, "call", config, worker, payload))
    assert rc == 0, "host exited %d\n%s\n%s" % (rc, out, err)
    return one(out, "OUTCOME", err)


def registry(hosts, lang, config, op, worker=None):
    """running()/clear() from a fresh `lang` host."""
    args = [config, op] + ([worker] if worker else [])
    rc, out, err = hosts.run(host_argv(hosts, lang, "registry", *args))
    assert rc == 0, "registry host exited %d\n%s\n%s" % (rc, out, err)
    return one(out, "REGISTRY", err)


def line_of(path, marker):
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if marker in text:
                return number
    raise AssertionError("%s not in %s" % (marker, path))


def start_tree(hosts, sandbox, lang, config, tag):
    """Start a `lang` host whose worker `tree` builds the escaping tree;
    returns (host process, {name: pid}) once the whole tree exists."""
    piddir = os.path.join(sandbox, tag)
    os.mkdir(piddir)
    host = hosts.start(host_argv(hosts, lang, "call", config, "tree", {"piddir": piddir}))
    return host, wait_tree(host, piddir)


def start_parallel_tree(hosts, sandbox, config, tag):
    piddir = os.path.join(sandbox, tag)
    os.mkdir(piddir)
    host = hosts.start(hosts.py(os.path.join(HOSTS, "parallel_tree.py"), config, piddir))
    return host, wait_tree(host, piddir)


def wait_tree(host, piddir):
    # Stop waiting early if the host died: its stderr says why.
    procs.wait_for(lambda: len(pidtree.read(piddir)) == 3 or host.poll() is not None)
    pids = pidtree.read(piddir)
    if len(pids) != 3:
        rc, out, err = finish(host, 10)
        pytest.fail("the tree did not come up (host exit %s): %s %s" % (rc, out, err))
    assert all(procs.alive(p) for p in pids.values())
    return pids


def host_outcome(host):
    rc, out, err = finish(host, 30)
    assert rc == 0, "host exited %d\n%s\n%s" % (rc, out, err)
    return one(out, "OUTCOME", err)


# -- Python workers written with the SDK --------------------------------------------

PAYLOAD = {"a": 2, "b": 3.5, "nested": {"list": [1, "two", None, True, False],
                                        "text": "h\u00e9llo \u2713 \"quoted\"\nline two"},
           "empty": [], "big": 2 ** 53}


@pytest.mark.parametrize("lang", LANGS)
def test_sdk_worker_result_reaches_both_languages(hosts, config, lang):
    outcome = call(hosts, lang, config, "sum", PAYLOAD)
    assert outcome == {"result": {"sum": 5.5, "echo": PAYLOAD, "worker": "sum", "lang": "python"}}


@pytest.mark.parametrize("lang", LANGS)
def test_sdk_worker_exception_carries_remote_type_message_and_frames(hosts, config, lang):
    error = call(hosts, lang, config, "quota", {"used": 9, "limit": 5})["error"]
    assert error["class"] == ("Multiverse\\WorkerException" if lang == "php" else "WorkerError")
    assert error["driver"] == "python"
    assert error["exit_code"] == 1 and error["signal"] is None
    assert error["remote_type"] == "QuotaExceeded"
    assert error["remote_message"] == "used 9 of 5"
    assert "QuotaExceeded" in error["message"]
    main = os.path.join(WORKERS, "quota", "main.py")
    frames = [f for f in error["remote_trace"] if os.path.realpath(f["file"]) == main]
    # Outermost first, as Python prints them: handle() called check_quota().
    assert [(f["function"], f["line"]) for f in frames] == [
        ("handle", line_of(main, "check_quota(payload")),
        ("check_quota", line_of(main, "RAISE-LINE")),
    ]
    assert error["remote_trace"][-1]["function"] == "check_quota"
    assert error["elapsed"] > 0


# -- Node and PHP workers -------------------------------------------------------------


@pytest.mark.parametrize("worker,driver", [("node_echo", "node"), ("php_echo", "php")])
@pytest.mark.parametrize("lang", LANGS)
def test_node_and_php_workers_from_both_languages(hosts, config, lang, worker, driver):
    outcome = call(hosts, lang, config, worker, PAYLOAD)
    # argv is empty: the payload travels on stdin only.
    assert outcome == {"result": {"lang": driver, "echo": PAYLOAD, "worker": worker, "argv": []}}


@pytest.mark.parametrize("worker,driver,remote_type", [
    ("node_fail", "node", "RangeError"), ("php_fail", "php", "DomainException")])
@pytest.mark.parametrize("lang", LANGS)
def test_node_and_php_worker_errors_from_both_languages(hosts, config, lang, worker, driver,
                                                        remote_type):
    error = call(hosts, lang, config, worker, {"amount": 7})["error"]
    assert error["class"] == ("Multiverse\\WorkerException" if lang == "php" else "WorkerError")
    assert error["driver"] == driver
    assert error["exit_code"] == (1 if driver == "node" else 255)
    assert error["remote_type"] == remote_type
    assert error["remote_message"] == "amount out of range: 7"
    main = os.path.join(WORKERS, worker, "main." + ("js" if driver == "node" else "php"))
    innermost = error["remote_trace"][-1]
    assert os.path.realpath(innermost["file"]) == main
    assert innermost["line"] == line_of(main, "THROW-LINE")
    assert innermost["function"].endswith("checkAmount")


# -- one registry for both languages ------------------------------------------------


@pytest.mark.parametrize("starter,killer", [("python", "php"), ("php", "python")])
def test_worker_started_in_one_language_is_listed_and_cleared_by_the_other(
        hosts, sandbox, config, starter, killer):
    host, tree = start_tree(hosts, sandbox, starter, config, "tree")
    listed = registry(hosts, killer, config, "running")
    assert len(listed) == 1, listed
    entry = listed[0]
    assert (entry["worker"], entry["pid"], entry["host_pid"]) == ("tree", tree["root"], host.pid)
    assert entry["started_at"] <= time.time() and entry["elapsed"] >= 0
    # Names match exactly: neither a prefix nor a longer name is this worker.
    assert registry(hosts, killer, config, "running", "tre") == []
    assert registry(hosts, killer, config, "clear", "tree2") == 0
    assert procs.survivors(tree.values()) == list(tree.values()), "a wrong clear() hit the tree"

    assert registry(hosts, killer, config, "clear", "tree") == 1
    # clear() returns once the tree is dead: the setsid grandchild too.
    assert procs.survivors(tree.values()) == []
    error = host_outcome(host)["error"]
    assert error["class"] == ("WorkerError" if starter == "python" else "Multiverse\\WorkerException")
    # The host that ran it learns why it ended.
    assert "killed by clear()" in error["message"] and error["signal"] == 15
    assert registry(hosts, killer, config, "running") == []
    assert procs.leftovers(hosts.token) == []


def test_python_registry_shows_supervisor_and_kind_of_a_php_worker(hosts, sandbox, config):
    host, tree = start_tree(hosts, sandbox, "php", config, "tree")
    (entry,) = registry(hosts, "python", config, "running")
    assert (entry["kind"], entry["state"], entry["pid"]) == ("exec", "running", tree["root"])
    supervisor = entry["supervisor_pid"]
    assert procs.alive(supervisor) and supervisor not in tree.values()
    assert registry(hosts, "python", config, "clear") == 1
    assert procs.survivors(list(tree.values()) + [supervisor]) == []
    assert host_outcome(host)["error"]["class"] == "Multiverse\\WorkerException"


def test_parallel_task_is_cleared_from_php_by_its_function_name(hosts, sandbox, config):
    host, tree = start_parallel_tree(hosts, sandbox, config, "task")
    (entry,) = registry(hosts, "python", config, "running")
    assert (entry["worker"], entry["kind"], entry["pid"], entry["host_pid"]) == \
        ("hold_tree", "fork", tree["root"], host.pid)
    (php_entry,) = registry(hosts, "php", config, "running", "hold_tree")
    assert php_entry["pid"] == tree["root"] and php_entry["task_id"] == entry["task_id"]

    assert registry(hosts, "php", config, "clear", "hold_tree") == 1
    assert procs.survivors(tree.values()) == []
    rc, out, err = finish(host, 30)
    assert rc == 0, err
    task = one(out, "TASK", err)
    assert task == {"name": "hold_tree", "task_id": entry["task_id"]}
    error = one(out, "OUTCOME", err)["error"]
    assert error["class"] == "TaskCancelledError" and "clear()" in error["message"]
    assert procs.leftovers(hosts.token) == []


def cli_ps(hosts, runtime_dir, *args, namespace="default"):
    """`multiverse ps` as {(pid, worker, host_pid)}; every entry is checked
    to be in `namespace` (None: any)."""
    rc, out, err = hosts.run(hosts.cli("ps", "--runtime-dir", runtime_dir, *args))
    assert rc == 0, err
    rows = set()
    for line in out.splitlines():
        pid, name, task_id, state, elapsed, host, ns = line.split("\t")
        assert host.startswith("host=") and state == "running" and len(task_id) >= 8
        assert ns.startswith("namespace=") and namespace in (None, ns[len("namespace="):])
        rows.add((int(pid), name, int(host[len("host="):])))
    return rows


def cli_clear(hosts, runtime_dir, *worker):
    rc, out, err = hosts.run(hosts.cli("clear", "--runtime-dir", runtime_dir, *worker))
    assert rc == 0, err
    return int(out.strip())


def test_cli_ps_and_clear_see_workers_and_tasks_of_both_languages(hosts, sandbox, config):
    run = config["runtime_dir"]
    py_host, py_tree = start_tree(hosts, sandbox, "python", config, "py")
    php_host, php_tree = start_tree(hosts, sandbox, "php", config, "php")
    task_host, task_tree = start_parallel_tree(hosts, sandbox, config, "task")
    assert cli_ps(hosts, run) == {
        (py_tree["root"], "tree", py_host.pid),
        (php_tree["root"], "tree", php_host.pid),
        (task_tree["root"], "hold_tree", task_host.pid),
    }
    assert cli_ps(hosts, run, "tree") == {(py_tree["root"], "tree", py_host.pid),
                                         (php_tree["root"], "tree", php_host.pid)}

    assert cli_clear(hosts, run, "tree") == 2
    assert procs.survivors(list(py_tree.values()) + list(php_tree.values())) == []
    assert procs.survivors(task_tree.values()) == list(task_tree.values()), \
        "clear tree hit hold_tree"
    assert host_outcome(py_host)["error"]["class"] == "WorkerError"
    assert host_outcome(php_host)["error"]["class"] == "Multiverse\\WorkerException"

    assert cli_clear(hosts, run) == 1
    assert procs.survivors(task_tree.values()) == []
    assert host_outcome(task_host)["error"]["class"] == "TaskCancelledError"
    assert cli_ps(hosts, run) == set()
    assert procs.leftovers(hosts.token) == []


# -- namespaces ---------------------------------------------------------------------


def test_php_worker_in_a_namespace_is_seen_from_python_and_the_cli_only_there(
        hosts, sandbox, config):
    host, tree = start_tree(hosts, sandbox, "php", dict(config, namespace="app-x"), "tree")
    in_x, in_y = dict(config, namespace="app-x"), dict(config, namespace="app-y")
    (entry,) = registry(hosts, "python", in_x, "running")
    assert (entry["worker"], entry["pid"], entry["host_pid"], entry["namespace"]) == \
        ("tree", tree["root"], host.pid, "app-x")
    # Another namespace, and the default one, neither see nor kill it.
    assert registry(hosts, "python", in_y, "running") == []
    assert registry(hosts, "python", config, "running", "tree") == []
    assert registry(hosts, "python", in_y, "clear") == 0
    assert registry(hosts, "php", config, "clear", "tree") == 0
    assert cli_ps(hosts, config["runtime_dir"]) == set()
    assert cli_clear(hosts, config["runtime_dir"], "--namespace", "app-y") == 0
    assert procs.survivors(tree.values()) == list(tree.values()), "a clear() elsewhere hit it"
    # Every namespace: listed from both languages and the CLI.
    (every,) = registry(hosts, "python", in_y, "running-all")
    assert (every["pid"], every["namespace"]) == (tree["root"], "app-x")
    (every,) = registry(hosts, "php", in_y, "running-all", "tree")
    assert (every["pid"], every["namespace"]) == (tree["root"], "app-x")
    assert cli_ps(hosts, config["runtime_dir"], "--all", namespace="app-x") == \
        {(tree["root"], "tree", host.pid)}
    assert cli_ps(hosts, config["runtime_dir"], "--namespace", "app-x", namespace="app-x") == \
        {(tree["root"], "tree", host.pid)}
    # Cleared from Python in its namespace: the whole tree.
    assert registry(hosts, "python", in_x, "clear") == 1
    assert procs.survivors(tree.values()) == []
    assert "killed by clear()" in host_outcome(host)["error"]["message"]
    assert procs.leftovers(hosts.token) == []


@pytest.mark.parametrize("killer", LANGS)
def test_clear_of_every_namespace_from_either_language(hosts, sandbox, config, killer):
    py_host, py_tree = start_tree(hosts, sandbox, "python", dict(config, namespace="one"), "py")
    php_host, php_tree = start_tree(hosts, sandbox, "php", dict(config, namespace="two"), "php")
    both = list(py_tree.values()) + list(php_tree.values())
    assert registry(hosts, killer, config, "clear") == 0
    assert procs.survivors(both) == both
    assert registry(hosts, killer, dict(config, namespace="one"), "clear-all") == 2
    assert procs.survivors(both) == []
    assert host_outcome(py_host)["error"]["class"] == "WorkerError"
    assert host_outcome(php_host)["error"]["class"] == "Multiverse\\WorkerException"
    assert registry(hosts, killer, config, "running-all") == []
    assert procs.leftovers(hosts.token) == []
