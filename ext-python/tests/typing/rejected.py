"""Wrong uses of the Python API: `mypy --strict` reports an error on each
line marked `# error` (test_typing.py), and on no other."""
import multiverse as mp


@mp.parallel
def square(x: int) -> int:
    return x * x


square("three")  # error
wrong: mp.AsyncHandle[str] = square(3)  # error
square.options(timeout="soon")  # error
square(1).get(timeout="1")  # error
mp.parallel(timeout="5")  # error
mp.configure(timeout="10")  # error
mp.configure(namespace=7)  # error
mp.running(all_namespaces="yes")  # error
mp.clear(worker=3)  # error
mp.gather([square(1)], on_error="ignore")  # error
mp.map(square, [1], progress="yes")  # error
mp.map(lambda a, b: a + b, [1], ["x"]).pop().bit_length()  # error

ex = mp.Executor(max_workers=2)
mp.Executor(max_workers="2")  # error
ex.submit(square.__wrapped__, 1).result(timeout="1")  # error
ex.submit(len, 3)  # error
wrong_future: mp.AsyncHandle[str] = ex.submit(len, "abc")  # error
ex.map(len, ["a"], chunksize="1")  # error
ex.shutdown(cancel_futures="yes")  # error

from multiverse.celery import ContainedTask, RemoteTraceback


class BadTask(ContainedTask):
    max_memory_mb = "lots"  # error
RemoteTraceback(3)  # error
