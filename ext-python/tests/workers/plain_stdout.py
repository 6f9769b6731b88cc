# Single-file worker without the SDK: the whole of stdout is the result.
import json
import sys

payload = json.load(sys.stdin)
print(json.dumps({"doubled": payload["n"] * 2}))
