"""Target 4, Python: a warm call against a raw pipe round trip, contenders
alternating call by call:

- mp.run_worker("echo_warm", payload): the worker kept warm
  (multiverse.json), a line in, a line out on its result channel;
- the very same echo_warm/main.py started once with subprocess.Popen
  (MULTIVERSE_WARM=1, so the SDK serves a line per line; with no result
  fd it answers on stdout): one JSON line written to its stdin, one line
  read from its stdout, json.loads.
"""
import json
import os
import subprocess
import sys

import multiverse as mp
from benchlib import alternate, sample_rows

HERE = os.path.dirname(os.path.abspath(__file__))
WORKERS = os.path.join(HERE, "workers")
PY = os.environ.get("BENCH_PYTHON", "/usr/bin/python3")
PAYLOAD = {"id": 42, "name": "multiverse", "items": [1, 2, 3]}


def main():
    mp.configure(workers_path=WORKERS, python=PY)
    env = dict(os.environ, MULTIVERSE_WARM="1")
    env.pop("MULTIVERSE_RESULT_FD", None)
    proc = subprocess.Popen([PY, os.path.join(WORKERS, "echo_warm", "main.py")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            cwd=os.path.join(WORKERS, "echo_warm"), env=env)
    out = proc.stdout
    if json.loads(out.readline()) != {"multiverse": "ready"}:  # the warm greeting
        raise SystemExit("echo_warm did not greet")

    def raw():
        proc.stdin.write(json.dumps(PAYLOAD).encode() + b"\n")
        proc.stdin.flush()
        return json.loads(out.readline())

    contenders = {
        "mp.run_worker (warm)": lambda: mp.run_worker("echo_warm", PAYLOAD),
        "Popen pipe round trip": raw,
    }
    sides = {"mp.run_worker (warm)": "mv", "Popen pipe round trip": "peer"}

    def check(name, got):
        if got != PAYLOAD:
            raise SystemExit("%s returned a wrong result: %r" % (name, got))

    times = alternate(contenders, int(os.environ.get("BENCH_WARM_CALLS", "1000")), 0.0,
                      check, warmup=20)
    sample_rows("warm_call", "python", "back to back", times, sides)
    proc.stdin.close()
    proc.wait()


if __name__ == "__main__":
    sys.exit(main())
