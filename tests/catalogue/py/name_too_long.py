"""A worker name longer than a file name can be is refused."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("w" * 300))
carry_on()
