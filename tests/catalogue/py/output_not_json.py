"""A worker that exits 0 but prints something other than JSON has failed."""
from _host import attempt, carry_on, mp

attempt(lambda: mp.run_worker("not_json"))
carry_on()
