"""runtime_dir holds garbage *.entry files next to one real worker's entry:
running() lists the real one only, clear() kills it."""
from _host import attempt, carry_on, fact, mp

attempt(mp.running)
fact("cleared", mp.clear())
carry_on()
