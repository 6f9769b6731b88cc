"""running() with a runtime_dir that is a regular file: the package's
WorkerError, never the extension's private exception class."""
from _host import CASE, attempt, carry_on, mp

mp.configure(runtime_dir=CASE["bad_runtime_dir"])
attempt(mp.running)
mp.configure(runtime_dir=CASE["runtime_dir"])
carry_on()
