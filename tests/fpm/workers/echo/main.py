# A cold Python worker written with the SDK: answers with its pid, the
# payload, and the MV_TEST_TOKEN and MULTIVERSE_CONTAINMENT it inherited
# (the pool's env[...]), so a test can tell which process served a call,
# and that the leftover check sees the workers.
import os

from multiverse import worker


def handle(payload):
    return {"pid": os.getpid(), "echo": payload, "token": os.environ.get("MV_TEST_TOKEN"),
            "containment": os.environ.get("MULTIVERSE_CONTAINMENT")}


worker.serve(handle)
