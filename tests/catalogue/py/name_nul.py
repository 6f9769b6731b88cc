"""A NUL in a worker name is refused before anything starts, the name
shown escaped (C would see only "echo", a worker that exists)."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo\x00../etc"))
carry_on()
