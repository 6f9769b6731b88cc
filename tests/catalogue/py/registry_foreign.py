"""An entry owned by another user names a live process ("victim"): it is
neither listed nor killed; the real worker next to it is."""
from _host import attempt, carry_on, fact, mp

attempt(mp.running)
fact("cleared_victim", mp.clear("victim"))
fact("cleared", mp.clear())
carry_on()
