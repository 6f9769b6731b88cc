"""runtime_dir is a regular file: the worker is refused with a typed error."""
from _host import CASE, attempt, carry_on, mp

mp.configure(runtime_dir=CASE["bad_runtime_dir"])
attempt(lambda: mp.run_worker("echo"))
mp.configure(runtime_dir=CASE["runtime_dir"])
carry_on()
