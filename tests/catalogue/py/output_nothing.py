"""A worker that exits 0 without a result has failed (no fake success)."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("silent"))
carry_on()
