"""Run unprivileged with RLIMIT_NPROC at 1: the host cannot fork at all, so
run_worker() fails; after raising the soft limit, it works."""
import resource

from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo"))
resource.setrlimit(resource.RLIMIT_NPROC, (200, 200))
carry_on()
