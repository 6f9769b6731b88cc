"""A NUL in an env value would cut it short at exec(): refused by
configure(), naming the variable."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(env={"TOKEN": "abc\x00def"}))
fact("env", mp.config()["env"])
carry_on()
