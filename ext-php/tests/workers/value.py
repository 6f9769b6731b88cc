"""Prints a result on stdout (no result channel): payload["value"] as JSON,
or payload["raw"] verbatim (for values PHP cannot send, e.g. big integers),
or the bytes of payload["raw_b64"]. Optional: "sleep" seconds first, "exit"
with a status instead, "times" to return [start, end] wall-clock times."""
import base64
import json
import sys
import time

payload = json.load(sys.stdin)
start = time.time()
time.sleep(payload.get("sleep", 0))
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
