# A cold Python worker written with the SDK: answers with its pid and the
# payload, so a test can tell which process served a call.
import os

from multiverse import worker


def handle(payload):
    return {"pid": os.getpid(), "echo": payload}


worker.serve(handle)
