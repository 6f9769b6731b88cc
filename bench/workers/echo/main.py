# Trivial echo worker, cold protocol (stdin JSON in, stdout JSON out).
import json
import sys

print(json.dumps(json.load(sys.stdin)))
