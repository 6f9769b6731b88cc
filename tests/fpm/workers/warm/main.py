# A warm Python worker written with the SDK: one process serves call after
# call; it answers with its pid and how many calls it served.
import os

from multiverse import worker

served = 0


def handle(payload):
    global served
    served += 1
    return {"pid": os.getpid(), "served": served}


worker.serve(handle)
