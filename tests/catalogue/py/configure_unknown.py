"""A misspelt option is refused, and the valid option given with it is not
applied either: configure() changes all or nothing."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(timeout=5.0, timeuot=5.0))
fact("timeout", mp.config()["timeout"])
carry_on()
