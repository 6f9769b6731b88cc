"""A warm worker: started once, it reads one JSON payload per line on stdin
and answers each with one JSON line on fd 3 (stdout stays free for logs).
Payload options: "sleep" seconds, "crash" (exit without answering),
"fail" (answer with a structured error and keep serving)."""
import json
import os
import sys
import time

out = os.fdopen(int(os.environ.get("MULTIVERSE_RESULT_FD", "3")), "w")
if os.environ.get("MULTIVERSE_WARM") == "1":  # started warm: greet before any request
    out.write('{"multiverse":"ready"}\n')
    out.flush()
served = 0
for line in sys.stdin:
    payload = json.loads(line)
    served += 1
    print("warm_echo: request %d" % served, flush=True)
    time.sleep(payload.get("sleep", 0))
    if payload.get("crash"):
        sys.stderr.write("warm_echo: crashing\n")
        sys.stderr.flush()
        os._exit(9)
    if payload.get("fail"):
        answer = {"__multiverse_error__": {"type": "KeyError", "message": payload["fail"],
                                           "frames": [{"file": __file__, "line": 27,
                                                       "function": "handle"}]}}
    else:
        answer = {"pid": os.getpid(), "served": served, "payload": payload,
                  "warm": os.environ.get("MULTIVERSE_WARM")}
    out.write(json.dumps(answer) + "\n")
    out.flush()
