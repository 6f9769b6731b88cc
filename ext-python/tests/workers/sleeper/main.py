# Starts an escaping process tree, writes pid files, then sleeps.
import os
import subprocess
import time

from multiverse import worker

data = worker.payload()
d, tag = data["dir"], data.get("tag", "w")
for i in range(2):
    subprocess.Popen(["sh", "-c", "echo $$ > %s/%s-setsid%d.pid; exec sleep 300" % (d, tag, i)],
                     start_new_session=True)
with open(os.path.join(d, tag + "-worker.pid"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(data.get("seconds", 300))
worker.respond("slept")
