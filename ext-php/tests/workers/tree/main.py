"""Builds a process tree that tries to escape: a child in a new session
(setsid), a grandchild whose parent exited (double fork) and a plain
child. Writes every pid of the tree (its own first) to payload["pidfile"],
atomically, then sleeps payload["sleep"] seconds (default: long)."""
import json
import os
import subprocess
import sys
import time

payload = json.load(sys.stdin)
pids = [os.getpid()]

# A child in its own session.
escapee = subprocess.Popen(["sleep", "300"], start_new_session=True)
pids.append(escapee.pid)

# A plain child.
plain = subprocess.Popen(["sleep", "300"])
pids.append(plain.pid)

# A double fork: the grandchild is orphaned at once.
r, w = os.pipe()
middle = os.fork()
if middle == 0:
    grandchild = os.fork()
    if grandchild == 0:
        os.setsid()
        os.close(r)
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        time.sleep(300)
        os._exit(0)
    os._exit(0)
os.close(w)
os.waitpid(middle, 0)
pids.append(int(os.read(r, 32)))
os.close(r)

tmp = payload["pidfile"] + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(str(p) for p in pids))
os.rename(tmp, payload["pidfile"])
time.sleep(payload.get("sleep", 300))
json.dump({"slept": True}, sys.stdout)
