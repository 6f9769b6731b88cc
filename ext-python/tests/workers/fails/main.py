# Reports an exception through the SDK's structured error.
from multiverse import worker


def check(value):
    if value < 0:
        raise ValueError("negative value: %d" % value)
    return value


try:
    worker.respond(check(worker.payload()["value"]))
except ValueError as exc:
    worker.fail(exc)
