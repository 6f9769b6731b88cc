"""A worker killed by SIGSEGV: the error carries the signal."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("segfault"))
carry_on()
