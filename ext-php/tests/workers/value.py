"""Prints a result on stdout (no result channel): payload["value"] as JSON,
or payload["raw"] verbatim (for values PHP cannot send, e.g. big integers),
or the bytes of payload["raw_b64"]. Optional: "sleep" seconds first, "exit"
with a status instead, "times" to return [start, end] wall-clock times,
"barrier": {"dir", "count"} to wait until that many calls have started."""
import base64
import json
import os
import sys
import time

payload = json.load(sys.stdin)
start = time.time()
time.sleep(payload.get("sleep", 0))
if "barrier" in payload:
    d, n = payload["barrier"]["dir"], payload["barrier"]["count"]
    open(os.path.join(d, str(os.getpid())), "w").close()
    deadline = start + 10
    while len(os.listdir(d)) < n and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
if "exit" in payload:
    sys.exit(payload["exit"])
if payload.get("times"):
    payload["value"] = [start, time.time()]
if "raw_b64" in payload:
    sys.stdout.buffer.write(base64.b64decode(payload["raw_b64"]))
elif "raw" in payload:
    sys.stdout.write(payload["raw"])
else:
    json.dump(payload.get("value"), sys.stdout)
