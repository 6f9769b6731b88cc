"""As nproc_run, for a @mp.parallel task: the failure is a TaskError (raised
by the call or by get()), not whatever the thread or fork machinery threw."""
import resource

from _host import attempt, carry_on, mp


@mp.parallel
def one():
    return 1


attempt(lambda: one().get(timeout=30))
resource.setrlimit(resource.RLIMIT_NPROC, (200, 200))
carry_on(lambda: one().get(timeout=30))
