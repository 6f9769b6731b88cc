"""A namespace with a path separator is refused by configure(), naming it;
nothing of that configure() is applied (timeout included)."""
from _host import attempt, carry_on, fact, mp

mp.configure(namespace="app-a")
attempt(lambda: mp.configure(timeout=9.0, namespace="app-a/../b"))
fact("namespace", mp.config()["namespace"])
fact("timeout", mp.config()["timeout"])
carry_on()
