"""A worker name with a slash is refused (no sub-paths)."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("sub/dir"))
carry_on()
