"""An empty worker name is refused."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker(""))
carry_on()
