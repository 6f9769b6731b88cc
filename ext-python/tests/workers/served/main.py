# A worker written for serve(): the handler returns or raises.
from multiverse import worker


def handle(payload):
    if payload.get("fail"):
        raise KeyError("no such item")
    return {"items": len(payload.get("items", []))}


worker.serve(handle)
