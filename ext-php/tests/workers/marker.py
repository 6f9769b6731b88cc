"""Creates the file named by payload["path"]: proves that it ran."""
import json
import sys

payload = json.load(sys.stdin)
with open(payload["path"], "w") as f:
    f.write("ran")
json.dump({"ok": True}, sys.stdout)
