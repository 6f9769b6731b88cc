# Answers with the environment it was started with: {"env": {...}, "pid"}.
# Standard library only, so that it runs with inherit_env=False (which
# drops the PYTHONPATH the SDK would be imported through). Started warm
# (MULTIVERSE_WARM=1) it speaks the framing by hand: one line in, one
# line out on the result channel, for each request.
import json
import os
import sys


def answer():
    return json.dumps({"env": dict(os.environ), "pid": os.getpid()})


out = os.fdopen(int(os.environ["MULTIVERSE_RESULT_FD"]), "w")
if os.environ.get("MULTIVERSE_WARM") == "1":
    out.write('{"multiverse":"ready"}\n')  # the warm greeting
    out.flush()
    for _line in sys.stdin:
        out.write(answer() + "\n")
        out.flush()
else:
    sys.stdin.read()
    out.write(answer())
