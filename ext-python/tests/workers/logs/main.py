# Prints log lines on stdout and stderr: the result channel keeps the
# result apart from them.
import os
import sys

from multiverse import worker

data = worker.payload()
print("log line on stdout")
print("log line on stderr", file=sys.stderr)
worker.respond({"sum": data["a"] + data["b"], "cwd": os.getcwd(),
                "env_worker": os.environ.get("MULTIVERSE_WORKER"),
                "env_task": os.environ.get("MULTIVERSE_TASK_ID")})
