"""Every documented form of the Python API: `mypy --strict` accepts this
file (test_typing.py)."""
import multiverse as mp


@mp.parallel
def square(x: int) -> int:
    return x * x


@mp.parallel(timeout=5.0, name="resize", max_memory_mb=256, max_cpu_secs=10)
def resize(path: str, width: int = 100) -> bytes:
    return path.encode() * width


@mp.parallel
def fetch(url: str, timeout: float = 5.0) -> str:
    return url


async def coro(x: int) -> str:
    return str(x)


h: mp.AsyncHandle[int] = square(3)
value: int = h.get(timeout=1.0)
maybe: "int | None" = h.try_get()
done: bool = h.wait(0.5)
h.cancel()
h.is_cancelled()
h.get_task_id()
h.get_name()
h.elapsed_time()
h.set_metadata("k", 1)
h.get_all_metadata()
h.add_done_callback(lambda handle: handle.get())
data: bytes = resize("a", width=3).get()
per_call: mp.AsyncHandle[bytes] = resize.options(timeout=2.0, name="r2")("b")
own: str = fetch("u", timeout=3.0).get()  # the function's own parameter
text: str = mp.parallel(coro)(1).get()
squares: "list[int]" = mp.map(lambda x: x * x, [1, 2, 3])
values: "list[int]" = mp.gather([square(1), square(2)])
try:
    square(1).get()
except mp.TaskTimeoutError as e:
    t: "float | None" = e.timeout
except mp.TaskCrashedError as e:
    code: "int | None" = e.exit_code
except mp.TaskError as e:
    kind: str = e.error_type
mp.configure(timeout=10.0, env={"A": "1"}, inherit_env=False)
mp.configure(namespace="billing-app")
entries: "list[dict[str, object]]" = mp.running("resize", all_namespaces=True)
namespace_of_first: object = mp.running()[0]["namespace"]
cleared: int = mp.clear(all_namespaces=True) + mp.clear("resize")
mp.set_max_concurrent_tasks(4)
mp.shutdown(timeout_secs=5.0, cancel_pending=True)

import concurrent.futures

fs: "list[mp.AsyncHandle[int]]" = [square(1), square(2)]
finished, pending = concurrent.futures.wait(fs, timeout=1.0)
for f in concurrent.futures.as_completed(fs):
    n: int = f.result()
err: "BaseException | None" = square(1).exception()

sums: "list[int]" = mp.map(lambda a, b: a + b, [1, 2], [3, 4], workers=2, progress=True)
for item in mp.imap(str, [1, 2], chunksize=1, progress=lambda done, total: None):
    s2: str = item
unordered: "list[float]" = list(mp.imap_unordered(float, ["1", "2"]))
for handle in mp.as_completed([square(1)], timeout=5.0):
    got: int = handle.result()

def double(x: int) -> int:
    return 2 * x


with mp.Executor(max_workers=2, timeout=5.0, fork=True) as ex:
    fut: mp.AsyncHandle[int] = ex.submit(double, 3)
    doubled: int = fut.result(timeout=1.0)
    mapped: "list[int]" = list(ex.map(double, [1, 2], timeout=10.0, chunksize=2))
    awaited: str = ex.submit(coro, 1).result()
    awaited_all: "list[str]" = list(ex.map(coro, [1, 2]))
    ex.shutdown(wait=True, cancel_futures=True)
as_base: concurrent.futures.Executor = mp.Executor(fork=False, name="jobs", max_memory_mb=64,
                                                   initializer=print, initargs=("ready",))

import asyncio


async def in_event_loop(ex: mp.Executor) -> int:
    return await asyncio.get_running_loop().run_in_executor(ex, double, 2)

import multiverse.joblib

# multiverse.celery: Celery ships no types (its classes are Any to mypy);
# ContainedTask's own attributes are typed.
from multiverse.celery import ContainedTask, RemoteTraceback


class RenderTask(ContainedTask):
    max_memory_mb = 512.0
    max_cpu_secs = 60.0


remote_text: str = RemoteTraceback("Traceback (most recent call last): ...").tb
