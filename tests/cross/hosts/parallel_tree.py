"""Python host: a @mp.parallel(fork=True) task that builds the escaping tree of
pidtree.py and waits to be killed from outside (clear() by name).

usage: parallel_tree.py CONFIG_JSON PIDDIR
Prints `TASK {"name", "task_id"}` once submitted, then `OUTCOME {json}`
with the class and fields of what get() raised.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import multiverse as mp  # noqa: E402
import pidtree  # noqa: E402


@mp.parallel(fork=True)  # a task of its own, registered under its name
def hold_tree(piddir):
    pidtree.build(piddir)
    pidtree.linger()


def main():
    mp.configure(**json.loads(sys.argv[1]))
    h = hold_tree(sys.argv[2])
    print("TASK " + json.dumps({"name": h.get_name(), "task_id": h.get_task_id()}), flush=True)
    try:
        outcome = {"result": h.get(timeout=60)}
    except mp.TaskError as e:
        outcome = {"error": {"class": type(e).__name__, "message": str(e),
                             "task_name": e.task_name, "task_id": e.task_id}}
    print("OUTCOME " + json.dumps(outcome), flush=True)


main()
