"""Raises an exception two calls deep: the traceback on stderr is what the
extension turns into getRemoteType()/getRemoteMessage()/getRemoteTrace()."""
import json
import sys


def check(payload):
    if payload.get("n", 0) > 10:
        raise ValueError("bad input: %d" % payload["n"])
    return payload


def handle(payload):
    return check(payload)


print("about to fail")
print(json.dumps(handle(json.load(sys.stdin))))
