# A Python worker that never answers: it starts a grandchild in a session
# of its own, writes its pid and the grandchild's to payload["marker"]
# (atomically, one a line) and waits to be killed.
import os
import subprocess
import time

from multiverse import worker


def handle(payload):
    grandchild = subprocess.Popen(["sleep", "300"], start_new_session=True)
    tmp = payload["marker"] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n%d\n" % (os.getpid(), grandchild.pid))
    os.rename(tmp, payload["marker"])
    time.sleep(300)


worker.serve(handle)
