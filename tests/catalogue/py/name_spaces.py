"""A worker name with spaces is refused (names are never shell words)."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("two words"))
carry_on()
