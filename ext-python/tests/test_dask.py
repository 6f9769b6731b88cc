"""The Dask recipe of the README, run for real: multiverse inside the tasks
of a dask.distributed LocalCluster of worker processes (on 127.0.0.1,
started and stopped here). The containment promises hold inside a Dask
task as anywhere: a timeout kills the contained tasks' whole trees, and
the error reaches the Dask client with its type."""
import os

import pytest

import multiverse as mp
from proctools import survivors, wait_for_pids

try:
    from dask.distributed import Client, LocalCluster
except ImportError:  # pragma: no cover - a broken setup
    pytest.fail("dask.distributed is not installed (apt-get install python3-distributed)",
                pytrace=False)

import dask_tasks


def _task_trees():
    """Registered trees other than the Dask workers' pre-forked pool
    processes (which mp.map uses by default and keep running)."""
    return [(e["worker"], e["task_id"]) for e in mp.running() if e["worker"] != "multiverse-pool"]


@pytest.fixture(scope="module")
def client(runtime_dir):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        # Each Dask worker process configures multiverse the way the test
        # process is (this session's private registry, a short kill grace).
        client.run(mp.configure, runtime_dir=runtime_dir, kill_grace=1.0)
        yield client


def test_map_and_executor_inside_dask_tasks(client):
    batches = [[1, 2, 3], [4, 5, 6, 7]]
    out = client.gather(client.map(dask_tasks.squares_with_map, batches))
    assert [o["values"] for o in out] == [[1, 4, 9], [16, 25, 36, 49]]
    # Dask ran them in its worker processes, not here.
    assert all(o["worker_pid"] != os.getpid() for o in out)
    assert client.submit(dask_tasks.squares_with_executor, [8, 9]).result() == [64, 81]


def test_a_timeout_inside_a_dask_task_kills_the_trees(client, tmp_path):
    future = client.submit(dask_tasks.hang_past_timeout, str(tmp_path), ["x", "y"], 1.5)
    pids = wait_for_pids(str(tmp_path), 8, timeout=30)
    with pytest.raises(mp.TaskTimeoutError) as info:
        future.result(timeout=30)
    assert info.value.timeout == 1.5
    assert survivors(pids, timeout=3.0) == []
    assert _task_trees() == []


def test_client_run_clear_clears_every_workers_machine(client, tmp_path):
    future = client.submit(dask_tasks.hang_contained, str(tmp_path), "c")
    pids = wait_for_pids(str(tmp_path), 4, timeout=30)
    killed = client.run(mp.clear)
    # Both Dask workers share this machine's registry: between them they
    # killed the tree (and the pool processes mp.map left running).
    assert sum(killed.values()) >= 1, killed
    with pytest.raises(mp.TaskCancelledError):
        future.result(timeout=30)
    assert survivors(pids, timeout=3.0) == []
    assert _task_trees() == []
