"""clear() with a runtime_dir squatted by another user: the package's
WorkerError, never the extension's private exception class."""
from _host import CASE, attempt, carry_on, mp

mp.configure(runtime_dir=CASE["bad_runtime_dir"])
attempt(mp.clear)
mp.configure(runtime_dir=CASE["runtime_dir"])
carry_on()
