"""Target 2, Python: one forked task per call, back to back and spaced,
contenders alternating call by call:

- @mp.parallel(fork=True): each call forks the caller under a supervisor (the
  per-call fork path), the return value pickled back; `.get()`.
- the bare floor: os.fork() + os.pipe(); the child writes
  pickle.dumps(fn()) and ends with os._exit(0) (as multiverse's children
  do), the parent reads to end of file, os.waitpid() and pickle.loads().
"""
import os
import pickle

import multiverse as mp
from benchlib import alternate, modes, sample_rows


def work():
    return {"answer": 42, "pid": os.getpid()}


task = mp.parallel(fork=True)(work)


def bare_fork(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            data = pickle.dumps(fn())
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return pickle.loads(b"".join(chunks))


CONTENDERS = {
    "@mp.parallel(fork=True) .get()": lambda: task().get(),
    "os.fork + pipe + pickle": lambda: bare_fork(work),
}
SIDES = {"@mp.parallel(fork=True) .get()": "mv", "os.fork + pipe + pickle": "peer"}


def check(name, out):
    if not isinstance(out, dict) or out.get("answer") != 42 or out.get("pid") == os.getpid():
        raise SystemExit("%s returned a wrong result: %r" % (name, out))


def main():
    calls = {False: int(os.environ.get("BENCH_FORK_CALLS", "300")),
             True: int(os.environ.get("BENCH_SPACED_CALLS", "60"))}
    for mode, spacing in modes():
        times = alternate(CONTENDERS, calls[spacing > 0], spacing, check)
        sample_rows("fork_call", "python", mode, times, SIDES)


if __name__ == "__main__":
    main()
