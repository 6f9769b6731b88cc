"""gather(on_error="bogus") is refused, naming on_error; the handles it
was given are then gathered normally."""
from _host import attempt, carry_on, mp

handles = [mp.parallel(abs)(-n) for n in (1, 2)]
attempt(lambda: mp.gather(handles, on_error="bogus"))
carry_on(lambda: mp.gather(handles))
