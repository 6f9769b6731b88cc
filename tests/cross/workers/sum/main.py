# A Python worker written with the SDK: adds two numbers and echoes the
# payload, so the caller can check every JSON type survives the trip.
import os

from multiverse import worker


def handle(payload):
    print("a log line: stdout is free while the SDK answers on fd 3")
    return {"sum": payload["a"] + payload["b"], "echo": payload,
            "worker": os.environ.get("MULTIVERSE_WORKER"), "lang": "python"}


worker.serve(handle)
