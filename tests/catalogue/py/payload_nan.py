"""NaN has no JSON form: the payload is refused, naming it."""
import math

from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo", {"ratio": math.nan}))
carry_on()
