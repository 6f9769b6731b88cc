"""inherit_env="no" is a TypeError: a non-empty string would be true and
hand the host's secrets to every worker."""
from _host import attempt, carry_on, fact, mp

attempt(lambda: mp.configure(inherit_env="no"))
fact("inherit_env", mp.config()["inherit_env"])
carry_on()
