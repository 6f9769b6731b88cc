"""As fd_exhaustion_run, for a @mp.parallel(fork=True) task: the failure is a TaskError
(raised by the call or by get()) naming "too many open files"."""
import threading
import time

from _host import attempt, carry_on, fact, fd_sweep, mp, open_fds, release_fds, starve_fds


@mp.parallel(fork=True)  # a task per call: its fds come and go with it
def one():
    return 1


def idle_fds():
    # Counted when the dispatcher thread (and the loop it owns) is gone.
    while threading.active_count() > 1:
        time.sleep(0.01)
    return open_fds()


one().get()
before = idle_fds()
held = starve_fds(0)
attempt(lambda: one().get(timeout=30))
release_fds(held)
fact("sweep", fd_sweep(lambda: one().get(timeout=30)))
fact("fds", [before, idle_fds()])
carry_on(lambda: one().get(timeout=30))
