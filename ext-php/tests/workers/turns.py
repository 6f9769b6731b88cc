"""Records its turn in a batch: appends "start ID" to the file
payload["log"] when it starts and "end ID" when it ends (one O_APPEND write
each, so lines of concurrent calls never mix), runs payload["sleep"]
seconds (default 0.2) or, with "until_ends": n, until the log holds n "end"
lines (at most 10 s), and returns its id. As a warm worker
(MULTIVERSE_WARM=1, see warm_turns/) it does the same for each request."""
import json
import os
import sys
import time


def note(path, line):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (line + "\n").encode())
    os.close(fd)


def ends(path):
    with open(path) as f:
        return sum(1 for line in f if line.startswith("end "))


def turn(payload):
    note(payload["log"], "start " + payload["id"])
    if "until_ends" in payload:
        deadline = time.time() + 10
        while ends(payload["log"]) < payload["until_ends"] and time.time() < deadline:
            time.sleep(0.005)
    else:
        time.sleep(payload.get("sleep", 0.2))
    note(payload["log"], "end " + payload["id"])
    return payload["id"]


if os.environ.get("MULTIVERSE_WARM") == "1":
    out = os.fdopen(int(os.environ.get("MULTIVERSE_RESULT_FD", "3")), "w")
    out.write('{"multiverse":"ready"}\n')  # the warm greeting
    out.flush()
    for line in sys.stdin:
        out.write(json.dumps(turn(json.loads(line))) + "\n")
        out.flush()
else:
    json.dump(turn(json.load(sys.stdin)), sys.stdout)
