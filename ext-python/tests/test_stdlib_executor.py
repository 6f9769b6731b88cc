"""The standard library's own executor tests, run against mp.Executor.

CPython's test.test_concurrent_futures (Debian: libpython3.11-testsuite)
writes its tests as mixins that any executor can be combined with
(ExecutorTest, WaitTests, AsCompletedTests, ExecutorShutdownTest, ...);
here each is combined with a mixin whose executor is
mp.Executor(max_workers=5), twice: calls forked (Forked*, fork=True) and
calls sent to the pre-forked pool (Pooled*, fork=False). The functions
they submit are defined in that module, so both modes can run them.

A test is excluded only where it checks something multiverse deliberately
does differently, or internals of ProcessPoolExecutor; each exclusion says
why.
"""
import sys
import unittest

import pytest

import multiverse as mp

cf = pytest.importorskip(
    "test.test_concurrent_futures",
    reason="CPython's test suite is not installed (Debian: libpython3.11-testsuite)")

if not hasattr(cf, "ExecutorMixin"):  # pragma: no cover - Python 3.12+ split the module up
    pytest.skip("test.test_concurrent_futures has not the layout of Python 3.11 (%s)"
                % sys.version.split()[0], allow_module_level=True)


class MultiverseMixin(cf.ExecutorMixin):
    """The stdlib's executor fixture (setUp makes the executor with
    max_workers=worker_count, tearDown shuts it down waiting) with
    mp.Executor swapped in, its calls forked (fork=True) or sent to the
    pre-forked pool (fork=False). The test cases derive from
    unittest.TestCase, not from the module's BaseTestCase: its tearDown
    reaps every exited child of this process (waitpid(-1)), which would
    take the task supervisors from under the core."""

    executor_type = mp.Executor
    fork = True

    def setUp(self):
        # The initializer mixins set executor_kwargs in their own setUp,
        # which runs before this one.
        self.executor_kwargs = dict(self.executor_kwargs, fork=self.fork)
        super().setUp()


class PooledMixin(MultiverseMixin):
    fork = False

    def tearDown(self):
        super().tearDown()
        # The pool's processes go with each test (see no_pool_left() in
        # test_executor.py: a later test that lowers the concurrency limit
        # would retire them, and the dispatcher can then miss a wakeup).
        mp.shutdown(timeout_secs=10)
        mp.reset_shutdown()


def _context_free(fork):
    class ContextFreeExecutor(mp.Executor):
        """mp.Executor for the deadlock tests, which make executors of
        their own with ProcessPoolExecutor's mp_context= (there is no
        multiprocessing context here)."""

        def __init__(self, max_workers=None, *, mp_context=None, **kwargs):
            kwargs.setdefault("fork", fork)
            super().__init__(max_workers, **kwargs)

    return ContextFreeExecutor


class ContextFreeMixin(MultiverseMixin):
    executor_type = _context_free(True)

    def get_context(self):
        return None


class PooledContextFreeMixin(ContextFreeMixin, PooledMixin):
    executor_type = _context_free(False)


# Reasons shared by several exclusions.
POOL_INTERNALS = ("inspects ProcessPoolExecutor's internals (_processes, mp_context, "
                  "max_tasks_per_child); an mp.Executor has no worker processes to count: "
                  "each call is a task of its own")
BROKEN_POOL = ("expects BrokenProcessPool: by contract a crashed task fails only its own "
               "future with TaskCrashedError and the executor keeps working "
               "(test_executor.py checks that)")
NOT_PICKLED = ("expects an error from pickling the call's arguments or unpickling them in "
               "the worker: a forked call's arguments are never pickled, and a pooled call "
               "that cannot be pickled, or unpickled in the pool process, is forked instead "
               "(by contract, transparently), so the call runs")
SYS_EXIT = ("expects SystemExit from result(): sys.exit() in a task is that task's "
            "TaskError (error_type 'SystemExit'), never raised as SystemExit in the caller, "
            "whose program it would end")
EXIT_KILLS = ("the script imports the executor by name from concurrent.futures, and it "
              "expects a task still running at interpreter exit to be waited for: by "
              "contract multiverse kills it at exit (test_executor.py checks "
              "mp.Executor at exit)")


def _excluded(reason):
    @unittest.skip(reason)
    def test(self):
        pass  # pragma: no cover

    return test


def _tests(name, mixin, excluded=None, deadlock=False):
    """TestCase classes, Forked<name> and Pooled<name>: mixin's tests on
    mp.Executor, minus `excluded` (test name -> why)."""
    excluded = excluded or {}
    for test in excluded:
        assert hasattr(mixin, test), "%s has no %s" % (mixin.__name__, test)
    bases = {"Forked": ContextFreeMixin if deadlock else MultiverseMixin,
             "Pooled": PooledContextFreeMixin if deadlock else PooledMixin}
    for mode, base in bases.items():
        attrs = {test: _excluded(reason) for test, reason in excluded.items()}
        attrs["__module__"] = __name__
        cls_name = mode + name
        globals()[cls_name] = type(cls_name, (mixin, base, unittest.TestCase), attrs)


# ExecutorTest, with the tests ProcessPoolExecutorTest adds to it.
_tests("ExecutorTest", cf.ProcessPoolExecutorTest, {
    "test_killed_child": BROKEN_POOL,
    "test_traceback": (
        "expects the remote type itself (type(exc) is RuntimeError) with a "
        "_RemoteTraceback cause: by contract the error is a TaskError derived from the "
        "remote type (isinstance(exc, RuntimeError) holds), its cause the original "
        "exception and the remote traceback in .traceback and a note"),
    "test_ressources_gced_in_workers": (
        "needs a multiprocessing context for a Manager, and expects the argument to be "
        "finalized in the worker: a forked task ends with os._exit(), running no "
        "finalizers (its whole process goes)"),
    "test_saturation": POOL_INTERNALS,
    "test_idle_process_reuse_one": POOL_INTERNALS,
    "test_idle_process_reuse_multiple": POOL_INTERNALS,
    "test_max_tasks_per_child": POOL_INTERNALS,
    "test_max_tasks_per_child_defaults_to_spawn_context": POOL_INTERNALS,
    "test_max_tasks_early_shutdown": POOL_INTERNALS,
})

_tests("WaitTest", cf.WaitTests)

_tests("AsCompletedTest", cf.AsCompletedTests)

_tests("ShutdownTest", cf.ExecutorShutdownTest, {
    "test_interpreter_shutdown": EXIT_KILLS,
    "test_hang_gh83386": EXIT_KILLS,
    "test_submit_after_interpreter_shutdown": (
        "the script imports the executor by name from concurrent.futures; mp.Executor "
        "raises ShutdownError (a RuntimeError, named as such in the traceback) for a "
        "submit at exit (test_executor.py checks it)"),
})

_tests("InitializerTest", cf.InitializerMixin)

_tests("FailingInitializerTest", cf.FailingInitializerMixin, {
    "test_initializer": (
        "expects a failing initializer to break the executor (BrokenExecutor): the "
        "initializer runs in each call's process, and its failure fails that call "
        "only, like any error of the call (test_executor.py checks it)"),
})

_tests("DeadlockTest", cf.ExecutorDeadlockTest, {
    "test_error_at_task_pickle": NOT_PICKLED,
    "test_exit_at_task_unpickle": NOT_PICKLED,
    "test_error_at_task_unpickle": NOT_PICKLED,
    "test_crash_at_task_unpickle": NOT_PICKLED,
    "test_crash_during_func_exec_on_worker": BROKEN_POOL,
    "test_crash_during_result_pickle_on_worker": BROKEN_POOL,
    "test_exit_during_func_exec_on_worker": SYS_EXIT,
    "test_exit_during_result_pickle_on_worker": SYS_EXIT,
    "test_error_during_result_unpickle_in_result_handler": (
        "expects BrokenProcessPool: a result that cannot be unpickled here fails its own "
        "future with a TaskError that says so (error_type 'UnpicklingError')"),
    "test_exit_during_result_unpickle_in_result_handler": (
        "expects BrokenProcessPool: a result is unpickled when it is asked for, in the "
        "thread that asks, so the SystemExit its unpickling raises reaches that caller"),
    "test_shutdown_deadlock": BROKEN_POOL,
    "test_shutdown_deadlock_pickle": (
        "expects a PicklingError for an argument (a call that cannot be pickled is "
        "forked: see the other pickling tests) and reads ProcessPoolExecutor's "
        "_executor_manager_thread"),
}, deadlock=True)
