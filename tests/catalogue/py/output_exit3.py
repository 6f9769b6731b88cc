"""A worker that exits 3: the error carries the exit code and its stderr."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("exit3"))
carry_on()
