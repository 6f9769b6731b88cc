"""RLIMIT_NPROC at 2: the supervisor starts, the worker under it cannot.
The error must still say that a process limit was hit."""
import resource

from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo"))
resource.setrlimit(resource.RLIMIT_NPROC, (200, 200))
carry_on()
