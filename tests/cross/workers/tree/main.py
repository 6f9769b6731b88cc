# A Python worker that never answers: it builds a small tree (a child, and
# a grandchild in a session of its own, see pidtree.py), notes every pid
# in payload["piddir"] and waits to be killed.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hosts"))
import pidtree  # noqa: E402
from multiverse import worker  # noqa: E402


def handle(payload):
    pidtree.build(payload["piddir"])
    pidtree.linger()


worker.serve(handle)
