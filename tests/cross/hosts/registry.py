"""Python host: the registry seen from Python.

usage: registry.py CONFIG_JSON running|clear|running-all|clear-all [WORKER]
Prints `REGISTRY {json}`: mp.running(WORKER) or mp.clear(WORKER); the
-all forms with all_namespaces=True.
"""
import json
import sys

import multiverse as mp

mp.configure(**json.loads(sys.argv[1]))
worker = sys.argv[3] if len(sys.argv) > 3 else None
op, _, every = sys.argv[2].partition("-")
value = (mp.running if op == "running" else mp.clear)(worker, all_namespaces=every == "all")
print("REGISTRY " + json.dumps(value), flush=True)
