"""A NaN timeout is refused (it would compare false with everything)."""
import math

from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo", {"x": 1}, timeout=math.nan))
carry_on()
