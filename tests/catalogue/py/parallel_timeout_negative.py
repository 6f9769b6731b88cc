"""@mp.parallel(timeout=-1) is refused when decorating, naming the timeout."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.parallel(timeout=-1)(abs))
carry_on(lambda: mp.parallel(timeout=30)(abs)(-7).get())
