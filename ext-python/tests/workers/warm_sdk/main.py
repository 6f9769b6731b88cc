# A warm worker written with the SDK: serve() answers one request per line.
# Payload switches: "sleep" seconds, "fail" (raise), "crash" (exit without
# answering), "tree" (a setsid grandchild writing its pid file, then hang),
# "noise" (print JSON-looking logs around the answer).
import os
import subprocess
import sys
import time

from multiverse import worker

served = 0


def handle(payload):
    global served
    served += 1
    if payload.get("sleep"):
        time.sleep(payload["sleep"])
    if payload.get("fail"):
        raise ValueError(payload["fail"])
    if payload.get("crash"):
        sys.stderr.write("warm_sdk: crashing\n")
        sys.stderr.flush()
        os._exit(3)
    if payload.get("tree"):
        subprocess.Popen(["sh", "-c", "echo $$ > %s/grandchild.pid; exec sleep 300"
                          % payload["tree"]], start_new_session=True)
        with open(os.path.join(payload["tree"], "warm.pid"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(300)
    if payload.get("noise"):
        print('{"not": "the result"}')
        print("partial json: [1, 2,", end="")
        sys.stdout.flush()
        print("\n" * 3 + "}" * 5)
    return {"pid": os.getpid(), "served": served, "echo": payload,
            "warm": os.environ.get("MULTIVERSE_WARM")}


worker.serve(handle)
