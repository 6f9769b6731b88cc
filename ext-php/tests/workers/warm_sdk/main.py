"""A warm worker written with the SDK: serve() answers one JSON line per
request. It reports its pid, so tests can tell which process served a call.
Payload switches: "sleep" seconds, "noise" (prints JSON-looking logs on
stdout before answering), "fail" (raises), "exit" (os._exit without
answering), "segv" (dies of SIGSEGV), "tree" (a directory: starts a setsid
grandchild that writes its pid there, then hangs)."""
import os
import signal
import subprocess
import time

from multiverse import worker

served = 0


def handle(payload):
    global served
    served += 1
    time.sleep(payload.get("sleep", 0))
    if payload.get("noise"):
        print('{"pid": 0, "served": -1}')
        print("[1, 2,", flush=True)
        print("}" * 3, end="")
    if payload.get("fail"):
        raise ValueError(payload["fail"])
    if "exit" in payload:
        os._exit(payload["exit"])
    if payload.get("segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if payload.get("tree"):
        subprocess.Popen(["sh", "-c", 'echo $$ > "$0/grandchild"; exec sleep 300',
                          payload["tree"]], start_new_session=True)
        time.sleep(300)
    return {"pid": os.getpid(), "served": served, "echo": payload}


worker.serve(handle)
