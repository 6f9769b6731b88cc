"""A warm setting out of range: refused by configure() with the core's
message, naming the worker and the setting; neither the warm settings nor
the other options given with it change."""
from _host import attempt, carry_on, fact, mp

mp.configure(warm={"echo": False})
attempt(lambda: mp.configure(warm={"echo": True, "other": {"processes": 0}}, timeout=5))
fact("warm", mp.config()["warm"])
fact("timeout", mp.config()["timeout"])
carry_on()
