"""A negative timeout is refused before the worker starts."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo", {"x": 1}, timeout=-1.0))
carry_on()
