# A Python worker whose handler raises an exception class of its own two
# frames down: the caller must see that type, message and those frames.
from multiverse import worker


class QuotaExceeded(Exception):
    pass


def check_quota(used, limit):
    if used > limit:
        raise QuotaExceeded("used %d of %d" % (used, limit))  # RAISE-LINE


def handle(payload):
    check_quota(payload["used"], payload["limit"])
    return "under quota"


worker.serve(handle)
