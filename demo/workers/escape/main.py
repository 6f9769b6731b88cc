# A worker whose tree tries every escape, then hangs: a plain child, a
# setsid child and a double-forked grandchild, all noted in the pidfile.
import json
import os
import sys
import time


def note(pidfile):
    with open(pidfile, "a") as f:
        f.write("%d\n" % os.getpid())


pidfile = json.load(sys.stdin)["pidfile"]
note(pidfile)
for mode in ("plain", "setsid", "double"):
    if os.fork() == 0:
        if mode != "plain":
            os.setsid()
        if mode == "double" and os.fork() != 0:
            os._exit(0)
        note(pidfile)
        time.sleep(1000)
        os._exit(0)
time.sleep(1000)
