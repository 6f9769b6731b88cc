"""A host blocked in get() on a task with an escaping tree; the test sends
SIGINT (what Ctrl-C does) and expects KeyboardInterrupt and no survivors."""
import os
import sys
import time

import multiverse as mp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from proctools import start_escaping_tree  # noqa: E402

directory = sys.argv[1]
mp.configure(runtime_dir=sys.argv[2])  # the test session's private registry


def tree():
    start_escaping_tree(directory, "ctrlc")
    time.sleep(300)


handle = mp.parallel(tree)()
print("waiting", flush=True)
handle.get()
