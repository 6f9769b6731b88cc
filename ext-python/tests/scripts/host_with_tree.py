"""A host that starts a task with an escaping tree and then waits; the test
kills this process with SIGKILL and checks that the tree dies with it."""
import os
import sys
import time

import multiverse as mp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from proctools import start_escaping_tree  # noqa: E402

directory = sys.argv[1]
mp.configure(runtime_dir=sys.argv[2])  # the test session's private registry


def tree():
    start_escaping_tree(directory, "host")
    time.sleep(300)


handle = mp.parallel(tree)()
print("ready", flush=True)
time.sleep(300)
