"""Reports its environment: {"names": [...]} -> {"env": {name: value or
null}, "all": every variable name, "pid": ...}. Cold, one payload on
stdin; warm (MULTIVERSE_WARM=1), one payload per line."""
import json
import os
import sys


def answer(payload):
    return {"env": {n: os.environ.get(n) for n in payload.get("names", [])},
            "all": sorted(os.environ), "pid": os.getpid()}


out = os.fdopen(int(os.environ["MULTIVERSE_RESULT_FD"]), "w")
if os.environ.get("MULTIVERSE_WARM") == "1":
    out.write('{"multiverse":"ready"}\n')  # the warm greeting
    out.flush()
    for line in sys.stdin:
        out.write(json.dumps(answer(json.loads(line))) + "\n")
        out.flush()
else:
    json.dump(answer(json.load(sys.stdin)), out)
