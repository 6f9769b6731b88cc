"""An option of the wrong type is refused, naming the option."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(max_output="lots"))
fact("max_output", mp.config()["max_output"])
carry_on()
