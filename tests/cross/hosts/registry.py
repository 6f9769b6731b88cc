"""Python host: the registry seen from Python.

usage: registry.py CONFIG_JSON running|clear [WORKER]
Prints `REGISTRY {json}`: mp.running(WORKER) or mp.clear(WORKER).
"""
import json
import sys

import multiverse as mp

mp.configure(**json.loads(sys.argv[1]))
worker = sys.argv[3] if len(sys.argv) > 3 else None
value = mp.running(worker) if sys.argv[2] == "running" else mp.clear(worker)
print("REGISTRY " + json.dumps(value), flush=True)
