"""An env variable name exec() would accept but a shell could not use:
refused by configure(), naming it; env stays as it was."""
from _host import attempt, carry_on, fact, mp

mp.configure(env={"GOOD": "1"})
attempt(lambda: mp.configure(env={"GOOD": "2", "BAD-NAME": "x"}))
fact("env", mp.config()["env"])
carry_on()
