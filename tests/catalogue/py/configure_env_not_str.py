"""An env value that is not a str (a port number, say) is a TypeError
naming the variable, not a silent str()."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(env={"PORT": 8080}))
fact("env", mp.config()["env"])
carry_on()
