# Creates the file named by payload["path"]: proves that it ran.
import json
import sys

with open(json.load(sys.stdin)["path"], "w") as f:
    f.write("ran")
print("{}")
