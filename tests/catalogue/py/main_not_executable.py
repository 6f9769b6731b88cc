"""workers/noexec/main exists but is not executable (mode 0644)."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("noexec"))
carry_on()
