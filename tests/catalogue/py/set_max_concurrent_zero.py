"""set_max_concurrent_tasks(0) is refused and the limit stays as it was."""
from _host import attempt, carry_on, fact, mp

limit = mp.get_max_concurrent_tasks()
attempt(lambda: mp.set_max_concurrent_tasks(0))
fact("unchanged", mp.get_max_concurrent_tasks() == limit)
carry_on(lambda: mp.map(abs, [-1, -2, -3]))
