"""An infinite timeout is refused (0 or None means "none")."""
import math

from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo", {"x": 1}, timeout=math.inf))
carry_on()
