"""The configured python does not exist: said as such, not as "exit 127"."""
from _host import CASE, attempt, carry_on, mp

mp.configure(python="/nonexistent/python3")
attempt(lambda: mp.run_worker("echo"))
mp.configure(python=CASE["python"])
carry_on()
