"""Echo worker: returns what it received on the result channel (fd 3),
with facts about how it was started. Logs on stdout, which the result
channel keeps out of the result."""
import json
import os
import sys

payload = json.load(sys.stdin)
print("echo worker: log line on stdout")
result = {
    "payload": payload,
    "worker": os.environ.get("MULTIVERSE_WORKER"),
    "task_id": os.environ.get("MULTIVERSE_TASK_ID"),
    "cwd": os.getcwd(),
    "argv": sys.argv[1:],
    "env_has_payload": any("secret-marker" in v for v in os.environ.values()),
    "pid": os.getpid(),
    "payload_type": type(payload).__name__,
}
with os.fdopen(int(os.environ["MULTIVERSE_RESULT_FD"]), "w") as out:
    json.dump(result, out)
