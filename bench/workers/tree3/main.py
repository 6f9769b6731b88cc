# The containment benchmark's tree: the worker, a plain child, a setsid
# child and a double-forked grandchild; every pid goes to the pidfile. Then
# it waits to be killed.
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import treelib  # noqa: E402

treelib.build_and_wait(json.load(sys.stdin)["pidfile"])
