"""The extension under Debian's php-fpm8.2, driven with cgi-fcgi.

Each test starts its own FPM master (tests/fpm/fpm.py): bound to
127.0.0.1 on a free port, one child (pm = static, max_children = 1, so
consecutive requests meet the same child), the extension loaded from a
conf.d file as a distribution installs it, the multiverse settings given
per pool with php_admin_value. Every process the pool's children start
carries the test's MV_TEST_TOKEN: once the master is stopped, none may be
left (checked by the fixture).
"""
import os
import signal
import time

import pytest

from mvtests.fpm import Fpm
from mvtests import procs

CONTAINMENTS = ["auto", "subreaper"]


@pytest.fixture
def fpm(artifacts, request):
    servers = []

    def start(**options):
        server = Fpm(artifacts, **options)
        servers.append(server)
        server.start()
        return server

    yield start
    left = []
    for server in servers:
        server.stop()
        left += procs.leftovers(server.token, timeout=10)
        procs.kill_tagged(server.token)
        server.cleanup()
    assert left == [], "processes of the pool outlived FPM: %s" % left


def test_calls_through_fpm(fpm):
    server = fpm()
    payload = {"text": "h\u00e9llo", "list": [1, 2.5, None, True], "nested": {"a": {"b": 1}}}
    r = server.request("call.php", worker="echo", payload=payload)
    assert r["result"]["echo"] == payload
    assert r["result"]["pid"] != r["fpm_pid"]
    # Workers carry the test's token: the fixture's leftover check sees them.
    assert r["result"]["token"] == server.token

    r = server.request("fanout.php")
    assert "error" not in r, r
    assert r["squares"] == [1, 4, 9, 16, 25, 36]
    assert len(r["child_pids"]) == 3 and r["fpm_pid"] not in r["child_pids"]
    assert procs.survivors(r["child_pids"], timeout=5) == []
    # progress: told in the FPM child as chunks of 2 items end.
    assert r["progress"][-1] == "6/6"
    assert all(p.endswith("/6") for p in r["progress"])
    assert r["many"] == [1, 2]


def test_pool_settings_apply_when_the_extension_is_loaded_from_conf_d(fpm):
    server = fpm(ini={"multiverse.timeout": "7"}, php_values={"multiverse.max_output": "12345"})
    r = server.request("state.php")
    assert r["loaded"] is True
    assert r["ini"]["timeout"] == "7"
    assert r["ini"]["max_output"] == "12345"
    assert r["ini"]["runtime_dir"] == server.runtime_dir
    assert "Unable to set" not in server.log()


def test_extension_from_pool_config_drops_the_pools_multiverse_values(fpm):
    """FPM applies a pool's php_value/php_admin_value entries one by one
    when a child starts, in the reverse order of the file (each is pushed
    on the front of a list), all php_value before all php_admin_value, and
    loads php_admin_value[extension] when its turn comes. An entry that no
    loaded extension has registered yet is dropped with "Unable to set".
    ext-php/README.md documents this; this test keeps the statement true."""
    server = fpm(load="pool", ini={"multiverse.timeout": "7"},
                 php_values={"multiverse.max_output": "12345"})
    r = server.request("state.php")
    assert r["loaded"] is True
    assert r["ini"]["timeout"] == "0" and r["ini"]["max_output"] != "12345"
    # The master copies the child's stderr into its log when it gets to it.
    assert procs.wait_for(lambda: "Unable to set php_value 'multiverse.max_output'" in server.log()
                          and "Unable to set php_admin_value 'multiverse.timeout'" in server.log(),
                          timeout=10), server.log()


def test_extension_last_in_the_pool_gets_its_php_admin_values_only(fpm):
    """The fallback ext-php/README.md gives for a per-pool extension: after
    the multiverse lines it is loaded first, so their php_admin_values
    apply; php_values still come before any php_admin_value."""
    server = fpm(load="pool-last", ini={"multiverse.timeout": "7"},
                 php_values={"multiverse.max_output": "12345"})
    r = server.request("state.php")
    assert r["ini"]["timeout"] == "7" and r["ini"]["max_output"] != "12345"
    assert "Unable to set php_admin_value" not in server.log()
    r = server.request("call.php", worker="echo", payload={"n": 1})
    assert r["result"]["echo"] == {"n": 1}


def test_warm_worker_serves_consecutive_requests(fpm):
    server = fpm()
    first = server.request("call.php", worker="warm")
    second = server.request("call.php", worker="warm")
    assert first["fpm_pid"] == second["fpm_pid"]
    assert first["result"]["pid"] == second["result"]["pid"]
    assert [first["result"]["served"], second["result"]["served"]] == [1, 2]
    running = server.request("state.php")["running"]
    assert [(w["pid"], w["kind"]) for w in running] == [(first["result"]["pid"], "warm")]


def test_warm_workers_of_a_recycled_child_are_gone(fpm):
    # pm.max_requests = 2: the child ends after its second request.
    server = fpm(max_requests=2)
    first = server.request("call.php", worker="warm")
    second = server.request("call.php", worker="warm")
    assert first["result"]["pid"] == second["result"]["pid"]
    old_child, old_warm = first["fpm_pid"], first["result"]["pid"]
    assert procs.survivors([old_child, old_warm], timeout=10) == []

    third = server.request("call.php", worker="warm")
    assert third["fpm_pid"] != old_child
    assert third["result"]["pid"] != old_warm and third["result"]["served"] == 1
    running = server.request("state.php")["running"]
    assert [w["pid"] for w in running] == [third["result"]["pid"]]


def _hold(server, tmp_tag):
    """Start a request whose call never ends; returns (request process,
    FPM child pid, pids of the call's tree)."""
    marker = os.path.join(server.dir, tmp_tag + ".marker")
    pidfile = os.path.join(server.dir, tmp_tag + ".fpm")
    pending = server.request_async("call.php", worker="hold", payload={"marker": marker},
                                   pidfile=pidfile)
    assert procs.wait_for(lambda: os.path.exists(marker), timeout=20), server.log()
    with open(marker) as f:
        tree = [int(line) for line in f.read().split()]
    with open(pidfile) as f:
        child = int(f.read())
    assert len(tree) == 2 and all(procs.alive(p) for p in tree)
    return pending, child, tree


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_child_killed_mid_call_leaves_no_survivors(fpm, containment):
    server = fpm(containment=containment)
    pending, child, tree = _hold(server, "kill")
    os.kill(child, signal.SIGKILL)
    assert procs.survivors(tree, timeout=10) == []
    pending.wait(timeout=20)

    # The master starts a new child, which calls as before; the registry
    # holds nothing of the dead one.
    r = server.request("call.php", worker="echo", payload={"after": "kill"})
    assert r["fpm_pid"] != child and r["result"]["echo"] == {"after": "kill"}
    # The tier asked for reached the FPM child (and so the core in it).
    assert r["result"]["containment"] == (None if containment == "auto" else containment)
    assert server.request("state.php")["running"] == []


def test_request_terminate_timeout_leaves_no_survivors(fpm):
    # FPM's own limit ends the child (SIGTERM, no PHP shutdown) mid-call.
    server = fpm(terminate_timeout=2)
    pending, child, tree = _hold(server, "terminate")
    assert procs.survivors([child] + tree, timeout=15) == []
    pending.wait(timeout=20)
    assert procs.wait_for(lambda: "execution timed out" in server.log(), timeout=10)
    r = server.request("call.php", worker="echo", payload={"after": "terminate"})
    assert r["result"]["echo"] == {"after": "terminate"}
    assert server.request("state.php")["running"] == []


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_master_reload_leaves_no_survivors(fpm, containment):
    server = fpm(containment=containment)
    warm = server.request("call.php", worker="warm")["result"]["pid"]
    pending, child, tree = _hold(server, "reload")
    # SIGUSR2: the master stops its children (SIGQUIT, then SIGTERM after
    # process_control_timeout) and starts again from its configuration.
    server.reload()
    assert procs.survivors([child, warm] + tree, timeout=15) == []
    pending.wait(timeout=20)

    r = server.request("call.php", worker="warm")
    assert r["result"]["pid"] != warm and r["result"]["served"] == 1
    assert [w["pid"] for w in server.request("state.php")["running"]] == [r["result"]["pid"]]


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_master_stop_and_start_leaves_no_survivors(fpm, containment):
    server = fpm(containment=containment)
    warm = server.request("call.php", worker="warm")["result"]["pid"]
    pending, child, tree = _hold(server, "restart")
    server.stop()
    assert procs.survivors([child, warm] + tree, timeout=15) == []
    pending.wait(timeout=20)

    server.start()
    r = server.request("call.php", worker="warm")
    assert r["result"]["pid"] != warm and r["result"]["served"] == 1
    t = time.monotonic()
    r = server.request("call.php", worker="echo", payload={"n": 1})
    assert r["result"]["echo"] == {"n": 1} and time.monotonic() - t < 10
