"""A worker whose result is JSON in Latin-1, not UTF-8: a WorkerError
saying so, its logs still readable."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("latin1"))
carry_on()
