# The torture suite's worker: builds the random tree given in the payload,
# then ends as told (exit, crash, or linger until killed).
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import tree  # noqa: E402

p = json.load(sys.stdin)
tree.build(p["spec"], p["pidfile"])
tree.ending_root(p.get("end", "exit"))
print(json.dumps({"built": tree.expected(p["spec"])}))
