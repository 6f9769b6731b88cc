"""A per-call worker marked warm in its multiverse.json: it reads stdin to
end of file (which never comes to a warm process) and never greets. With
MV_PIDFILE set it first starts a setsid grandchild that writes its pid
there, to show the whole tree goes."""
import json
import os
import sys
import time

pidfile = os.environ.get("MV_PIDFILE")
if pidfile and os.fork() == 0:
    os.setsid()
    with open(pidfile, "a") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(1000)
    os._exit(0)
with open(pidfile + ".main" if pidfile else os.devnull, "w") as f:
    f.write("%d\n" % os.getpid())
raw = sys.stdin.read()
with os.fdopen(int(os.environ["MULTIVERSE_RESULT_FD"]), "w") as out:
    out.write(json.dumps({"got": raw}))
