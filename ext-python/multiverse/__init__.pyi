# Type stubs for the public API of multiverse (API.md section 3).
import concurrent.futures
from typing import (
    Any,
    Awaitable,
    Callable,
    Coroutine,
    Dict,
    Generator,
    Generic,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    ParamSpec,
    Protocol,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from . import worker as worker
from .errors import (
    ShutdownError as ShutdownError,
    TaskCancelledError as TaskCancelledError,
    TaskCrashedError as TaskCrashedError,
    TaskError as TaskError,
    TaskTimeoutError as TaskTimeoutError,
    WorkerError as WorkerError,
    WorkerTimeoutError as WorkerTimeoutError,
)

__version__: str

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")
T2 = TypeVar("T2")

class AsyncHandle(concurrent.futures.Future[R]):
    """Also a concurrent.futures.Future: wait(), as_completed() and
    asyncio.wrap_future() take it."""
    def get(self, timeout: Optional[float] = ...) -> R: ...
    def try_get(self) -> Optional[R]: ...
    def wait(self, timeout: Optional[float] = ...) -> bool: ...
    def is_ready(self) -> bool: ...
    def cancel(self) -> bool: ...
    def is_cancelled(self) -> bool: ...
    def get_task_id(self) -> str: ...
    def get_name(self) -> str: ...
    def get_timeout(self) -> Optional[float]: ...
    def elapsed_time(self) -> float: ...
    @property
    def pid(self) -> Optional[int]: ...
    def set_metadata(self, key: str, value: Any) -> None: ...
    def get_metadata(self, key: str, default: Any = ...) -> Any: ...
    def get_all_metadata(self) -> Dict[str, Any]: ...
    def add_done_callback(self, fn: Callable[[AsyncHandle[R]], object]) -> None: ...
    def __await__(self) -> Generator[Any, None, R]: ...
    def result(self, timeout: Optional[float] = ...) -> R: ...
    def exception(self, timeout: Optional[float] = ...) -> Optional[BaseException]: ...
    def done(self) -> bool: ...
    def running(self) -> bool: ...
    def cancelled(self) -> bool: ...

class ParallelFunction(Protocol[P, R]):
    """A @parallel function: each call returns an AsyncHandle at once.
    Its arguments are the function's own (typed as such); per-call options
    go through options(). The untyped shorthand `work(x, timeout=2.0)`, for
    a function without a `timeout` parameter, works at run time but a
    type checker cannot add a keyword to a ParamSpec (PEP 612)."""
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> AsyncHandle[R]: ...
    def options(
        self,
        *,
        timeout: Optional[float] = ...,
        name: Optional[str] = ...,
        max_memory_mb: Optional[float] = ...,
        max_cpu_secs: Optional[float] = ...,
        fork: bool = ...,
    ) -> ParallelFunction[P, R]: ...
    @property
    def parallel_options(self) -> Dict[str, Any]: ...
    __wrapped__: Callable[P, Any]

class _Decorator(Protocol):
    @overload
    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]], /) -> ParallelFunction[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R], /) -> ParallelFunction[P, R]: ...

@overload
def parallel(fn: Callable[P, Coroutine[Any, Any, R]], /) -> ParallelFunction[P, R]: ...
@overload
def parallel(fn: Callable[P, R], /) -> ParallelFunction[P, R]: ...
@overload
def parallel(
    *,
    timeout: Optional[float] = ...,
    name: Optional[str] = ...,
    max_memory_mb: Optional[float] = ...,
    max_cpu_secs: Optional[float] = ...,
    fork: bool = ...,
) -> _Decorator: ...

class Executor(concurrent.futures.Executor):
    """A concurrent.futures.Executor whose futures are AsyncHandles: each
    call is a task (timeout and cancel() kill its tree; a crash fails only
    its future). `async def` functions are run to completion in the task."""
    def __init__(
        self,
        max_workers: Optional[int] = ...,
        timeout: Optional[float] = ...,
        fork: bool = ...,
        *,
        name: Optional[str] = ...,
        max_memory_mb: Optional[float] = ...,
        max_cpu_secs: Optional[float] = ...,
        initializer: Optional[Callable[..., object]] = ...,
        initargs: Tuple[Any, ...] = ...,
    ) -> None: ...
    @overload
    def submit(
        self, fn: Callable[P, Coroutine[Any, Any, R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncHandle[R]: ...
    @overload
    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> AsyncHandle[R]: ...
    @overload
    def map(
        self,
        fn: Callable[..., Coroutine[Any, Any, R]],
        *iterables: Iterable[Any],
        timeout: Optional[float] = ...,
        chunksize: int = ...,
    ) -> Iterator[R]: ...
    @overload
    def map(
        self,
        fn: Callable[..., R],
        *iterables: Iterable[Any],
        timeout: Optional[float] = ...,
        chunksize: int = ...,
    ) -> Iterator[R]: ...
    def shutdown(self, wait: bool = ..., *, cancel_futures: bool = ...) -> None: ...

def shutdown(timeout_secs: float = ..., cancel_pending: bool = ...) -> bool: ...
def reset_shutdown() -> None: ...
def get_active_task_count() -> int: ...
def set_max_concurrent_tasks(n: int) -> None: ...
def get_max_concurrent_tasks() -> int: ...
@overload
def map(
    fn: Callable[[T], Awaitable[R]],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> List[R]: ...
@overload
def map(
    fn: Callable[[T], R],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> List[R]: ...
@overload
def map(
    fn: Callable[[T, T2], R],
    iterable: Iterable[T],
    iterable2: Iterable[T2],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> List[R]: ...
@overload
def map(
    fn: Callable[..., R],
    iterable: Iterable[Any],
    iterable2: Iterable[Any],
    iterable3: Iterable[Any],
    /,
    *iterables: Iterable[Any],
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> List[R]: ...
@overload
def imap(
    fn: Callable[[T], Awaitable[R]],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap(
    fn: Callable[[T], R],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap(
    fn: Callable[[T, T2], R],
    iterable: Iterable[T],
    iterable2: Iterable[T2],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap(
    fn: Callable[..., R],
    iterable: Iterable[Any],
    iterable2: Iterable[Any],
    iterable3: Iterable[Any],
    /,
    *iterables: Iterable[Any],
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap_unordered(
    fn: Callable[[T], Awaitable[R]],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap_unordered(
    fn: Callable[[T], R],
    iterable: Iterable[T],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap_unordered(
    fn: Callable[[T, T2], R],
    iterable: Iterable[T],
    iterable2: Iterable[T2],
    /,
    *,
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
@overload
def imap_unordered(
    fn: Callable[..., R],
    iterable: Iterable[Any],
    iterable2: Iterable[Any],
    iterable3: Iterable[Any],
    /,
    *iterables: Iterable[Any],
    workers: Optional[int] = ...,
    chunksize: Optional[int] = ...,
    timeout: Optional[float] = ...,
    progress: Union[bool, Callable[[int, int], object]] = ...,
    fork: bool = ...,
) -> Iterator[R]: ...
def as_completed(
    handles: Iterable[AsyncHandle[R]], timeout: Optional[float] = ...
) -> Iterator[AsyncHandle[R]]: ...
@overload
def gather(handles: Iterable[AsyncHandle[R]], on_error: Literal["raise", "skip"] = ...) -> List[R]: ...
@overload
def gather(handles: Iterable[AsyncHandle[R]], on_error: Literal["none"]) -> List[Optional[R]]: ...
def run_worker(
    name: str,
    payload: Any = ...,
    timeout: Optional[float] = ...,
    workers_path: Optional[str] = ...,
) -> Any: ...
def configure(
    *,
    workers_path: Optional[str] = ...,
    timeout: Optional[float] = ...,
    kill_grace: Optional[float] = ...,
    python: Optional[str] = ...,
    node: Optional[str] = ...,
    php: Optional[str] = ...,
    max_output: Optional[int] = ...,
    runtime_dir: Optional[str] = ...,
    namespace: Optional[str] = ...,
    env: Optional[Mapping[str, str]] = ...,
    inherit_env: Optional[bool] = ...,
    warm: Optional[Dict[str, Union[bool, Dict[str, float]]]] = ...,
) -> None: ...
def config() -> Dict[str, Any]: ...
def running(worker: Optional[str] = ..., all_namespaces: bool = ...) -> List[Dict[str, Any]]: ...
def clear(worker: Optional[str] = ..., all_namespaces: bool = ...) -> int: ...
