"""Dask task functions of test_dask.py: the recipe of the README, run by
the processes of a dask.distributed LocalCluster (which import this
module by name)."""
import os
import time

import multiverse as mp
from proctools import start_escaping_tree


def square(x):
    return x * x


def squares_with_map(items):
    """A Dask task fanning out with mp.map: one contained task per chunk."""
    return {"worker_pid": os.getpid(), "values": mp.map(square, items, workers=2)}


def squares_with_executor(items):
    """The same with mp.Executor (a concurrent.futures executor)."""
    with mp.Executor(max_workers=2) as ex:
        return list(ex.map(square, items))


def _escape_and_hang(directory, tag):
    start_escaping_tree(directory, tag)
    time.sleep(60)


def hang_past_timeout(directory, tags, timeout):
    """A Dask task whose contained tasks outlive their timeout: mp.map
    raises TaskTimeoutError after killing their trees."""
    return mp.map(_escape_and_hang, [directory] * len(tags), tags, timeout=timeout,
                  chunksize=1)


def hang_contained(directory, tag):
    """A Dask task waiting for a contained task that runs until killed."""
    return mp.parallel(_escape_and_hang)(directory, tag).get()
