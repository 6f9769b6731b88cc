# The normal call every case makes after its failure: echoes the payload.
import json
import sys

print(json.dumps({"echo": json.load(sys.stdin)}))
