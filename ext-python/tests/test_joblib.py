"""multiverse.joblib: the joblib backend "multiverse" (Debian: python3-joblib)."""
import os
import time

import pytest

import multiverse as mp
from proctools import run_python, survivors, wait_for_pids
from test_executor import escaping_tree, interval, most_at_once, no_pool_left  # noqa: F401

joblib = pytest.importorskip("joblib")
import multiverse.joblib  # noqa: E402  (registers the backend)
from joblib import Parallel, delayed, parallel_backend  # noqa: E402


def failing(i):
    if i == 3:
        raise ValueError("item %d is bad" % i)
    return i


def test_importing_multiverse_does_not_import_joblib():
    out = run_python("import sys, multiverse; print('joblib' in sys.modules)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_results_in_order_from_other_processes():
    with parallel_backend("multiverse", n_jobs=2):
        assert Parallel()(delayed(pow)(2, i) for i in range(20)) == [2 ** i for i in range(20)]
        pids = Parallel()(delayed(os.getpid)() for _ in range(6))
    assert os.getpid() not in pids
    # Named in a Parallel call too, without the context manager.
    assert Parallel(n_jobs=2, backend="multiverse")(delayed(abs)(-i) for i in range(5)) == \
        [0, 1, 2, 3, 4]


def test_the_pool_runs_batches_too():
    with parallel_backend("multiverse", n_jobs=2, fork=False):
        pids = Parallel(batch_size=1)(delayed(os.getpid)() for _ in range(6))
    assert os.getpid() not in pids
    assert len(set(pids)) < len(pids)  # pool processes are reused, not forked per batch


def test_an_exception_propagates_and_the_backend_keeps_working():
    with parallel_backend("multiverse", n_jobs=2):
        with pytest.raises(ValueError, match="item 3 is bad") as info:
            Parallel()(delayed(failing)(i) for i in range(8))
        assert isinstance(info.value, mp.TaskError)
        assert Parallel()(delayed(failing)(i) for i in range(3)) == [0, 1, 2]
    # A Parallel object reused as a context manager (its backend kept
    # between calls) recovers too.
    with Parallel(n_jobs=2, backend="multiverse") as parallel:
        with pytest.raises(ZeroDivisionError):
            parallel(delayed(divmod)(1, i) for i in [1, 0, 2])
        assert parallel(delayed(divmod)(7, i) for i in [1, 2]) == [(7, 0), (3, 1)]


def test_the_backend_timeout_kills_the_tree(tmp_path):
    with parallel_backend("multiverse", n_jobs=2, timeout=1.0):
        with pytest.raises(mp.TaskTimeoutError):
            Parallel(batch_size=1)(delayed(escaping_tree)(str(tmp_path), tag)
                                   for tag in ("a", "b"))
    pids = wait_for_pids(str(tmp_path), 8)
    assert survivors(pids, timeout=5) == []


def test_parallels_own_timeout_kills_the_running_batches(tmp_path):
    with parallel_backend("multiverse", n_jobs=2):
        start = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            Parallel(timeout=2.0, batch_size=1)(
                delayed(escaping_tree)(str(tmp_path), tag) for tag in ("a", "b", "c"))
        assert time.monotonic() - start < 30
    assert "killed" in str(info.value)
    # Both running batches had started their trees; the third never ran.
    pids = wait_for_pids(str(tmp_path), 8)
    assert survivors(pids, timeout=5) == []
    assert not any(name.startswith("c-") for name in os.listdir(str(tmp_path)))


def test_n_jobs_bounds_the_batches_running_at_once(tmp_path):
    mp.set_max_concurrent_tasks(4)  # so that n_jobs, not the package, is the bound
    with parallel_backend("multiverse", n_jobs=2):
        done = Parallel(batch_size=1)(delayed(interval)(str(tmp_path), i, 2) for i in range(6))
    assert sorted(done) == list(range(6))
    assert most_at_once(str(tmp_path)) == (6, 2)


def test_n_jobs_values():
    backend = multiverse.joblib.MultiverseBackend()
    limit = mp.get_max_concurrent_tasks()
    assert backend.effective_n_jobs(-1) == limit
    assert backend.effective_n_jobs(-limit - 5) == 1
    assert backend.effective_n_jobs(3) == 3
    with pytest.raises(ValueError):
        backend.effective_n_jobs(0)
    with pytest.raises(ValueError):
        multiverse.joblib.MultiverseBackend(timeout=-1)
    # n_jobs=1 still runs in a task: the containment holds.
    with parallel_backend("multiverse", n_jobs=1):
        assert Parallel()(delayed(os.getpid)() for _ in range(2)) != [os.getpid()] * 2


def test_the_input_may_wait_for_tasks():
    # joblib consumes the rest of the input from its completion callbacks:
    # here each item waits for a task, which a callback run on the
    # dispatcher thread could not do.
    def items():
        for i in range(8):
            yield delayed(abs)(mp.parallel(abs)(-i).get(timeout=30))

    with parallel_backend("multiverse", n_jobs=2):
        assert Parallel()(items()) == list(range(8))


def test_a_main_function_redefined_after_the_pool_started_runs_as_it_is_now():
    # A batch travels by value: the pool process, forked at the first
    # batch, does not run its own copy of a function of __main__.
    code = (
        "import multiverse.joblib\n"
        "from joblib import Parallel, delayed, parallel_backend\n"
        "def f(x):\n"
        "    return x + 1\n"
        "with parallel_backend('multiverse', n_jobs=2):\n"
        "    first = Parallel()(delayed(f)(i) for i in range(3))\n"
        "    def f(x):\n"
        "        return x * 10\n"
        "    second = Parallel()(delayed(f)(i) for i in range(3))\n"
        "print(first, second, flush=True)\n"
    )
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[1, 2, 3] [0, 10, 20]"
