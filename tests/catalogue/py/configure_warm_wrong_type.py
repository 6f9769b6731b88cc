"""A warm setting of the wrong type (or an unknown one): a TypeError
naming the worker and the setting; the warm settings stay as they were."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(warm={"echo": {"processes": "2"}}))
fact("warm", mp.config()["warm"])
carry_on()
