"""No free file descriptor: run_worker() fails naming "too many open files";
then the sweep gives back one fd at a time until it works again, and every
failure on the way must say the same. No fd may leak."""
from _host import attempt, carry_on, fact, fd_sweep, mp, open_fds, release_fds, starve_fds

mp.run_worker("echo")
before = open_fds()
held = starve_fds(0)
attempt(lambda: mp.run_worker("echo"))
release_fds(held)
fact("sweep", fd_sweep(lambda: mp.run_worker("echo")))
fact("fds", [before, open_fds()])
carry_on()
