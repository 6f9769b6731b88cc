"""mp.map(workers=0) is refused, naming `workers`."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.map(abs, [-1, -2, -3], workers=0))
carry_on(lambda: mp.map(abs, [-1, -2, -3], workers=2))
