"""200 MB on stdout with max_output = 1 MiB: an error saying so, and the
host's memory stays small (maxrss in KiB)."""
import resource

from _host import attempt, carry_on, fact, mp

mp.configure(max_output=1 << 20)
attempt(lambda: mp.run_worker("flood"))
fact("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
mp.configure(max_output=None)
carry_on()
