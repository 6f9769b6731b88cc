# The same echo, written with the SDK: warm when multiverse.json says so.
from multiverse import worker

worker.serve(lambda payload: payload)
