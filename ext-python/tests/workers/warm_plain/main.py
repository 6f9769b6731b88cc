# A warm worker that follows the documented framing by hand, without the
# SDK: one JSON payload per line on stdin, one JSON line per request on
# the fd named by MULTIVERSE_RESULT_FD, exit at end of file.
import json
import os
import sys

out = os.fdopen(int(os.environ["MULTIVERSE_RESULT_FD"]), "w")
if os.environ.get("MULTIVERSE_WARM") == "1":  # started warm: greet before any request
    out.write('{"multiverse":"ready"}\n')
    out.flush()
for line in sys.stdin:
    payload = json.loads(line)
    print("plain: got a request")  # stdout is free for logs
    if "boom" in payload:
        error = {"type": "KeyError", "message": payload["boom"], "frames": []}
        out.write(json.dumps({"__multiverse_error__": error}) + "\n")
    else:
        out.write(json.dumps({"pid": os.getpid(), "double": payload["n"] * 2}) + "\n")
    out.flush()
