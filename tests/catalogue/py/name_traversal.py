"""A worker name that walks out of workers_path is refused before any process starts."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("../etc"))
carry_on()
