"""A set has no JSON form: the payload is refused, naming it."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("echo", {"tags": {"a", "b"}}))
carry_on()
